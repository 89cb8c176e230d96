/**
 * Every export of every package entry point, given bad input
 * (docs/rules.md#validation, docs/rules.md#atomicity,
 * docs/rules.md#handles-and-platforms).
 *
 * The exports are enumerated at run time, so a new one is exercised
 * without editing this file: every function, every class constructor, every
 * function property of an exported object, and every method of live
 * instances (made from two `buildPlatform(msm8x60Board())` platforms) is
 * called argument position by argument position with NaN, −1, 0.5,
 * 2^40 + 4096, a string, null, undefined, `{}`, an object of the wrong kind,
 * a freed handle and a handle of the other platform. The other arguments are
 * valid values chosen by the parameter's name, so each position is tested
 * on its own. Each call must throw a `VcmError`, and neither platform's
 * snapshot (nor the instance's own state) may change. The compat face
 * (`createVcmCompat`) never throws by design: its functions must return
 * their failure value with a `VcmError` in `lastError`.
 *
 * A new exported class needs a factory in `FACTORIES` (the test fails
 * saying so); a parameter that legitimately takes any value goes into
 * `ANY_VALUE` with the reason.
 */
import { appendFileSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { RangeAllocator, SZ_16M, SZ_1M, SZ_4K, SZ_64K, VCM_MEMTYPE_0, VCM_PREBUILT_KERNEL, VcmError } from '@vcm/core';
import { buildPlatform, msm8x60Board } from '@vcm/devtree';
import type { Platform } from '@vcm/devtree';

const ENTRY_POINTS = ['@vcm/core', '@vcm/core/compat', '@vcm/physalloc', '@vcm/smmu', '@vcm/vmm-overlay', '@vcm/devtree'] as const;

/** Handles of one platform: live ones, and one freed handle of each kind. */
function handles(p: Platform) {
  const vcm = p.vcmm.create(0x1000_0000, SZ_16M);
  const ctx = p.tree.getCtxInstance('vcodec_a_mm1');
  const assoc = vcm.assoc(ctx);
  assoc.activate();
  const res = vcm.reserve(SZ_64K);
  const pm = p.vcmm.physAlloc(VCM_MEMTYPE_0, SZ_64K, 0);
  res.back(pm);
  const bound = vcm.createBound(SZ_1M);
  const kv = p.vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
  const process = p.vmm.createProcess('app');
  const node = p.dev.list()[0] as string;
  const fd = p.dev.open(node, process);
  const freed = {
    vcm: p.vcmm.create(0, SZ_16M),
    res: vcm.reserve(SZ_4K),
    pm: p.vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K, 0),
    bound: vcm.createBound(SZ_1M),
    assoc: p.vcmm.create(0x2000_0000, SZ_16M).assoc(p.tree.getCtxInstance('vcodec_b_mm2')),
    process: p.vmm.createProcess('gone'),
    fd: p.dev.open(node, process),
  };
  freed.vcm.free();
  freed.res.unreserve();
  freed.pm.free();
  freed.bound.free();
  freed.assoc.deassoc();
  freed.process.exit();
  freed.fd.close();
  return { p, vcm, ctx, assoc, res, pm, bound, kv, process, fd, node, freed };
}
type Handles = ReturnType<typeof handles>;

interface World {
  readonly a: Handles;
  /** The other platform: where foreign handles come from. */
  readonly b: Handles;
  state(): string;
}

function makeWorld(): World {
  const a = handles(buildPlatform(msm8x60Board()));
  const b = handles(buildPlatform(msm8x60Board()));
  return { a, b, state: () => JSON.stringify([a.p.snapshot(), b.p.snapshot()]) };
}

/** What kind of thing a parameter takes, by its name. */
type Kind = 'vcm' | 'res' | 'pm' | 'assoc' | 'bound' | 'dev' | 'process' | 'fd' | 'number' | 'other';

const KIND_BY_NAME: Record<string, Kind> = {
  vcm: 'vcm', srcVcm: 'vcm', dstVcm: 'vcm',
  res: 'res', reservation: 'res', from: 'res', to: 'res',
  physmem: 'pm', pm: 'pm',
  avcm: 'assoc', assoc: 'assoc',
  bound: 'bound',
  dev: 'dev', devId: 'dev', device: 'dev', ctx: 'dev',
  process: 'process',
  handle: 'fd',
};

/** A valid value for a parameter of this name (undefined when the name says nothing). */
function validFor(name: string, h: Handles): unknown {
  switch (KIND_BY_NAME[name]) {
    case 'vcm': return h.vcm;
    case 'res': return h.res;
    case 'pm': return h.pm;
    case 'assoc': return h.assoc;
    case 'bound': return h.bound;
    case 'dev': return h.ctx;
    case 'process': return h.process;
    case 'fd': return h.fd;
    default: break;
  }
  if (/^(len|size|bytes|length)$/.test(name)) return SZ_4K;
  if (/^(attr|flags|offset|toOff|fromOff|off)$/.test(name)) return 0;
  if (name === 'memtype') return VCM_MEMTYPE_0;
  if (/^(devAddr|srcDevAddr|va|addr|iova)$/.test(name)) return h.res.devAddr;
  if (/^(phys|pa)$/.test(name)) return h.pm.chunks()[0]!.pa;
  if (name === 'extVcmId') return VCM_PREBUILT_KERNEL;
  if (name === 'handler' || name === 'callback') return () => 'terminate';
  if (name === 'path') return h.node;
  return undefined;
}

/** Text parameters: any string is a legitimate value (a name, a path). */
const TEXT_PARAMS = new Set(['name', 'path', 'label', 'text', 'wanted']);
/** Message text (the call and parameter a helper names in its error): any value prints, so it is not checked. */
const MESSAGE_PARAMS = new Set(['where', 'param', 'message', 'description']);
/**
 * Parameters where undefined means something (`vmm.switchTo(undefined)`: a
 * kernel thread, no user space; `smmu.createContext(undefined, options)`: the
 * lowest free context index, which is how a board builds its contexts — the
 * call then legitimately creates one).
 */
const UNDEFINED_MEANS = new Set(['Vmm.switchTo#0', 'Smmu.createContext#0']);
/**
 * Optional parameters TypeScript marks with `?` (erased at run time) rather
 * than a default: undefined asks for the default. `attr` is optional in the
 * compat face as in the object API (it means 0); `trace` asks for no trace;
 * `onChange` (`new BankRegisters`) asks for no change callback.
 */
const OPTIONAL_PARAMS = new Set(['attr', 'trace', 'options', 'onChange']);
/** The compat iterators' cursors: null (or undefined) starts the iteration (`vcm_get_next_res(vcm, NULL)`). */
const CURSOR_PARAMS = new Set(['compat.vcm_get_next_res#1', 'compat.vcm_get_next_phys_res#1', 'compat.vcm_get_next_phys_addr#1']);
/** Option bags: `{}` (and, being optional, undefined) ask for the defaults. */
const OPTION_PARAMS = new Set(['options', 'opts', 'printOptions']);

/** The bad values for a parameter: all eleven, less those its kind legitimately takes. */
function badValues(param: Param, w: World): Array<[string, unknown]> {
  const name = param.name;
  const kind = KIND_BY_NAME[name] ?? 'other';
  const freed: Partial<Record<Kind, unknown>> = {
    vcm: w.a.freed.vcm, res: w.a.freed.res, pm: w.a.freed.pm, assoc: w.a.freed.assoc, bound: w.a.freed.bound, process: w.a.freed.process, fd: w.a.freed.fd,
  };
  // For a handle parameter, the same kind of handle from the other platform; elsewhere, a handle of it where a number or text belongs.
  const foreign = kind === 'other' || kind === 'number' ? w.b.vcm : validFor(name, w.b);
  // A live handle of this platform that is the wrong kind for the parameter.
  const wrong = kind === 'pm' ? w.a.res : kind === 'other' || kind === 'number' ? w.a.bound : w.a.pm;
  return [
    ['NaN', NaN],
    ['-1', -1],
    ['0.5', 0.5],
    ['2^40 + 4096', 2 ** 40 + 4096],
    ['a string', 'junk'],
    ['null', null],
    ['undefined', undefined],
    ['{}', {}],
    ['an object of the wrong kind', wrong],
    ['a freed handle', freed[kind] ?? w.a.freed.vcm],
    ['a handle of another platform', foreign],
  ].filter(([label]) => {
    // A parameter with a default takes undefined: it asks for the default.
    if (label === 'undefined' && (param.hasDefault || OPTION_PARAMS.has(name))) return false;
    if (label === 'a string' && TEXT_PARAMS.has(name)) return false;
    if (label === '{}' && OPTION_PARAMS.has(name)) return false;
    return true;
  }) as Array<[string, unknown]>;
}

/** A parameter as the function's source declares it. */
interface Param {
  readonly name: string;
  /** Declared with a default value (`attr = 0`): undefined asks for the default. */
  readonly hasDefault: boolean;
}

/** The parameters of a function, or of a class's constructor (its own, or the nearest inherited one), from its source. */
/** Any callable the test enumerates (the `Function` type would accept non-callables' shapes too). */
type AnyFn = (...args: unknown[]) => unknown;

function paramNames(fn: object): Param[] {
  let src = Function.prototype.toString.call(fn);
  if (isClass(fn)) {
    const at = src.search(/\bconstructor\s*\(/);
    if (at < 0) {
      const parent = Object.getPrototypeOf(fn) as object;
      return (parent as unknown) === Function.prototype ? [] : paramNames(parent);
    }
    src = src.slice(at);
  }
  const open = src.indexOf('(');
  if (open < 0) return [];
  let depth = 0;
  let cur = '';
  const parts: string[] = [];
  for (let i = open + 1; i < src.length; i++) {
    const c = src[i] as string;
    if (depth === 0 && c === ')') break;
    if (c === '(' || c === '[' || c === '{') depth++;
    if (c === ')' || c === ']' || c === '}') depth--;
    if (depth === 0 && c === ',') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '') parts.push(cur);
  return parts
    .map((p) => ({ name: p.trim().replace(/^\.\.\./, '').split(/[=\s:]/)[0] as string, hasDefault: p.includes('=') }))
    .filter((p) => p.name !== '');
}

const isClass = (v: unknown): v is new (...args: unknown[]) => unknown => typeof v === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(v));

/**
 * Parameters that legitimately take any value, with the reason. Keys are
 * `<callable>#<position>` (0-based) or `<callable>` for every position.
 * A function whose parameter list is empty takes no input and is not listed.
 */
const ANY_VALUE: Record<string, string> = {
  'hex': 'formats any value for an error message; it must never throw while an error is being reported',
  'formatSize': 'formats any value for an error message, like hex',
  'isVcmError': 'a type guard: it answers for any value',
  'isWalkFault': 'a type guard over a walk outcome: it answers for any value',
  'new VcmError': 'constructing the error being reported never throws',
  'checkUint#0': 'where: message text', 'checkUint#1': 'param: message text',
  'checkUint#2': 'value: the limit is the caller\'s max (2^53 − 1 unless given), so 2^40 + 4096 is a legal value here; junk is still refused',
  'checkLength#2': 'value: as checkUint, the limit is the caller\'s max',
  'checkLength#0': 'where: message text', 'checkLength#1': 'param: message text',
  'checkAligned#0': 'where: message text', 'checkAligned#1': 'param: message text',
  'checkAttr#0': 'where: message text', 'checkAttr#1': 'param: message text',
  'checkPowerOfTwo#0': 'where: message text', 'checkPowerOfTwo#1': 'param: message text',
  'checkOneOf#0': 'where: message text', 'checkOneOf#1': 'param: message text',
  'Vcmm.hook#2': 'data: the cookie handed back to the handler, any value (the header\'s void *data)',
  'SmmuContext.hookInterrupt#1': 'data: the handler\'s cookie, any value',
  'Cpu.hook#1': 'data: the handler\'s cookie, any value',
  'CpuDriver.hook#2': 'data: the handler\'s cookie, any value',
  'SmmuDriver.hook#2': 'data: the handler\'s cookie, any value',
  'DirectDriver.hook#2': 'data: the handler\'s cookie, any value',
  'isSmmu': 'a type guard', 'isSmmuContext': 'a type guard',
  'PhysAllocator.owns': 'a predicate: whether this allocator made the value, for any value',
  'PhysicalRam.writeU32#1': 'value: any integer, taken modulo 2^32 as the PhysicalMemory interface documents (fractions and non-numbers are refused)',
};

function allowed(name: string, pos: number): boolean {
  return ANY_VALUE[name] !== undefined || ANY_VALUE[`${name}#${pos}`] !== undefined;
}

/**
 * Live instances of each exported class, from the world's first platform,
 * keyed by the class's name (also used for classes reached only through
 * instances: the CPU, its driver, processes …).
 */
const FACTORIES: Record<string, (w: World) => object> = {
  Vcmm: (w) => w.a.p.vcmm,
  Vcm: (w) => w.a.vcm,
  Reservation: (w) => w.a.res,
  Association: (w) => w.a.assoc,
  Physmem: (w) => w.a.pm,
  Bound: (w) => w.a.bound,
  GraphObject: (w) => w.a.vcm,
  VcmError: () => new VcmError('EINVAL', 'an error'),
  RangeAllocator: () => new RangeAllocator(0x1000_0000, SZ_16M),
  SmmuContext: (w) => w.a.ctx,
  Smmu: (w) => w.a.p.smmus['vcodec_a'] as object,
  SmmuDriver: (w) => w.a.p.smmuDriver,
  SmmuAddressSpace: (w) => (w.a.vcm as unknown as { _spaces: Array<{ space: object }> })._spaces[0]!.space,
  BankRegisters: (w) => (w.a.ctx as unknown as { bank: { registers: object } }).bank.registers,
  Tlb: (w) => w.a.p.cpu.tlb,
  CpuTlb: (w) => w.a.p.cpu.tlb,
  PhysicalRam: (w) => w.a.p.memory,
  PhysAllocator: (w) => w.a.p.allocator,
  BlockPool: (w) => Object.values(w.a.p.physical.pools)[0]!,
  ContiguousPool: (w) => Object.values(w.a.p.physical.contiguousPools)[0]!,
  Vmm: (w) => w.a.p.vmm,
  DeviceTree: (w) => w.a.p.tree,
  DevNodes: (w) => w.a.p.dev,
  DevHandle: (w) => w.a.fd,
  // Instances whose classes are not exported as values.
  Cpu: (w) => w.a.p.cpu,
  CpuDriver: (w) => w.a.p.vmm.driver,
  Process: (w) => w.a.process,
  CpuPageTable: (w) => w.a.p.vmm.kernelPageTable,
  DirectDriver: (w) => w.a.p.directDevices['adm_dma']!.driver,
};

/** With EVERY_EXPORT_TRACE=<file>, each call is logged before it runs: the last line names a call that crashed the worker. */
const TRACE_FILE = process.env['EVERY_EXPORT_TRACE'];
function trace(line: string): void {
  if (TRACE_FILE !== undefined) appendFileSync(TRACE_FILE, `${line}\n`);
}

/** One way a call went wrong. */
interface Problem {
  readonly call: string;
  readonly input: string;
  readonly got: string;
}

function describeOutcome(e: unknown): string {
  if (e === NO_THROW) return 'returned normally';
  if (e instanceof VcmError) return `VcmError ${e.code}`;
  return e instanceof Error ? `${e.name}: ${e.message.slice(0, 80)}` : `threw ${String(e)}`;
}
const NO_THROW = Symbol('no throw');

/** Call `invoke(args)` for each position with each bad value; record what was not a VcmError or changed state. */
function exercise(
  label: string,
  names: Param[],
  invoke: (w: World, args: unknown[]) => unknown,
  ctx: { world: World; problems: Problem[]; calls: number; rebuild(): void; ownState?: (w: World) => string },
): void {
  for (let pos = 0; pos < names.length; pos++) {
    const param = names[pos] as Param;
    const name = param.name;
    if (allowed(label, pos) || MESSAGE_PARAMS.has(name)) continue;
    for (const [input, value] of badValues(param, ctx.world)) {
      if (input === 'undefined' && (UNDEFINED_MEANS.has(`${label}#${pos}`) || OPTIONAL_PARAMS.has(name))) continue;
      const w = ctx.world;
      const args = names.map((n) => validFor(n.name, w.a));
      args[pos] = value;
      const before = w.state() + (ctx.ownState?.(w) ?? '');
      trace(`${label} #${pos} ${input}`);
      let outcome: unknown = NO_THROW;
      try {
        invoke(w, args);
      } catch (e) {
        outcome = e;
      }
      ctx.calls++;
      let bad: string | undefined;
      if (!(outcome instanceof VcmError)) bad = describeOutcome(outcome);
      const after = w.state() + (ctx.ownState?.(w) ?? '');
      const changed = after !== before;
      if (changed) bad = `${bad ?? describeOutcome(outcome)}, and the state changed`;
      if (bad !== undefined) ctx.problems.push({ call: `${label}(#${pos} ${name})`, input, got: bad });
      // A changed world would make the next checks about a different state: start again from a fresh one.
      if (changed) ctx.rebuild();
    }
  }
}

describe('every export, given bad input, throws a VcmError and changes nothing', () => {
  it('functions, constructors, object methods and instance methods of every entry point', async () => {
    const ctx = { world: makeWorld(), problems: [] as Problem[], calls: 0, rebuild: () => undefined as void };
    ctx.rebuild = () => {
      ctx.world = makeWorld();
    };
    const missingFactories: string[] = [];
    const instanceClasses = new Set<string>(['Cpu', 'CpuDriver', 'Process', 'CpuPageTable', 'DirectDriver']);

    for (const entry of ENTRY_POINTS) {
      const mod = (await import(/* @vite-ignore */ entry)) as Record<string, unknown>;
      for (const [name, value] of Object.entries(mod)) {
        if (isClass(value)) {
          // Constructors: each position with bad input.
          exercise(`new ${name}`, paramNames(value), (_w, args) => new value(...args), ctx);
          if (FACTORIES[name] === undefined) missingFactories.push(`${entry} ${name}`);
          else instanceClasses.add(name);
        } else if (typeof value === 'function') {
          if (name === 'createVcmCompat') continue; // its functions are exercised on an instance below
          exercise(name, paramNames(value), (_w, args) => (value as (...a: unknown[]) => unknown)(...args), ctx);
        } else if (typeof value === 'object' && value !== null) {
          for (const [key, fn] of Object.entries(value)) {
            if (typeof fn !== 'function' || key.startsWith('_')) continue;
            exercise(`${name}.${key}`, paramNames(fn), (_w, args) => (fn as (...a: unknown[]) => unknown).apply(value, args), ctx);
          }
        }
      }
    }

    // Methods of live instances.
    for (const cls of instanceClasses) {
      const make = FACTORIES[cls] as (w: World) => object | Promise<object>;
      const proto = Object.getPrototypeOf(await make(ctx.world)) as object;
      for (const key of methodNames(proto)) {
        const fn = (proto as Record<string, unknown>)[key] as AnyFn;
        const ownState = (w: World): string => {
          try {
            return JSON.stringify(FACTORIES[cls]!(w));
          } catch {
            return '';
          }
        };
        const inst = { ...ctx, ownState };
        Object.defineProperty(inst, 'world', { get: () => ctx.world });
        exercise(
          `${cls}.${key}`,
          paramNames(fn),
          (w, args) => {
            const target = FACTORIES[cls]!(w);
            if (target instanceof Promise) throw new Error('async factory');
            return fn.apply(target, args);
          },
          inst,
        );
        ctx.calls = inst.calls;
      }
    }

    // The compat face: every vcm_* function returns its failure value and keeps the VcmError in lastError.
    const compatMod = await import('@vcm/core/compat');
    for (const fname of Object.keys(compatMod.createVcmCompat(ctx.world.a.p.vcmm)).filter((k) => k.startsWith('vcm_'))) {
      const sample = compatMod.createVcmCompat(ctx.world.a.p.vcmm) as unknown as Record<string, AnyFn>;
      const names = paramNames(sample[fname] as AnyFn);
      for (let pos = 0; pos < names.length; pos++) {
        const param = names[pos] as Param;
        const name = param.name;
        // data: the handler's cookie, any value (void *data).
        if (allowed(`compat.${fname}`, pos) || name === 'data') continue;
        for (const [input, value] of badValues(param, ctx.world)) {
          if (input === 'undefined' && OPTIONAL_PARAMS.has(name)) continue;
          if ((input === 'null' || input === 'undefined') && CURSOR_PARAMS.has(`compat.${fname}#${pos}`)) continue;
          // phys 0 starts vcm_get_next_phys_addr's iteration like null (the C code's 0 address).
          const w = ctx.world;
          const c = compatMod.createVcmCompat(w.a.p.vcmm) as unknown as Record<string, AnyFn> & { lastError: unknown };
          const args = names.map((n) => (n.name === 'lenBox' ? { value: 0 } : validFor(n.name, w.a)));
          args[pos] = value;
          const before = w.state();
          let threw: unknown = NO_THROW;
          try {
            (c[fname] as AnyFn)(...args);
          } catch (e) {
            threw = e;
          }
          ctx.calls++;
          const problems: string[] = [];
          if (threw !== NO_THROW) problems.push(`threw ${describeOutcome(threw)}`);
          else if (!(c.lastError instanceof VcmError)) problems.push(c.lastError === undefined ? 'succeeded' : `lastError is ${describeOutcome(c.lastError)}`);
          const changed = w.state() !== before;
          if (changed) problems.push('the state changed');
          if (problems.length > 0) ctx.problems.push({ call: `compat.${fname}(#${pos} ${name})`, input, got: problems.join(', ') });
          if (changed) ctx.rebuild();
        }
      }
    }

    expect(missingFactories, 'exported classes the test cannot make instances of: add a factory to FACTORIES in every-export.test.ts').toEqual([]);
    expect(ctx.calls).toBeGreaterThan(1000);
    const report = ctx.problems.map((p) => `${p.call} with ${p.input}: ${p.got}`);
    console.log(`${ctx.calls} calls, ${report.length} problems`);
    expect(report, `${report.length} calls did not throw a VcmError or changed state`).toEqual([]);
  });
});

/**
 * Members declared `private` or `protected` in the packages' TypeScript
 * sources, by class name: at run time they are ordinary methods, but they
 * are not part of the API (a user's code does not compile against them).
 */
function nonPublicMembers(): Map<string, Set<string>> {
  const root = fileURLToPath(new URL('../../../packages/', import.meta.url));
  const out = new Map<string, Set<string>>();
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) visit(path);
      else if (path.endsWith('.ts') && !path.endsWith('.test.ts')) {
        const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest);
        const walk = (node: ts.Node): void => {
          if (ts.isClassDeclaration(node) && node.name !== undefined) {
            const set = out.get(node.name.text) ?? new Set<string>();
            out.set(node.name.text, set);
            for (const m of node.members) {
              const hidden = ts.getCombinedModifierFlags(m) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected);
              if (hidden !== 0 && m.name !== undefined && ts.isIdentifier(m.name)) set.add(m.name.text);
            }
          }
          ts.forEachChild(node, walk);
        };
        walk(file);
      }
    }
  };
  for (const pkg of readdirSync(root)) visit(join(root, pkg, 'src'));
  return out;
}
const NON_PUBLIC = nonPublicMembers();

/** Public methods along the prototype chain: no constructor, no accessors, no private/protected or @internal `_` names, no plain-data views. */
function methodNames(proto: object): string[] {
  const out = new Set<string>();
  for (let p: object | null = proto; p !== null && p !== Object.prototype && p !== Error.prototype; p = Object.getPrototypeOf(p) as object | null) {
    const hidden = NON_PUBLIC.get((p as { constructor: { name: string } }).constructor.name);
    for (const key of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, key);
      if (key === 'constructor' || key.startsWith('_') || key === 'toJSON' || hidden?.has(key) || d === undefined || typeof d.value !== 'function') continue;
      out.add(key);
    }
  }
  return [...out];
}

