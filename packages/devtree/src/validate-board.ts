/**
 * Validation of a board description at the public boundary
 * (docs/rules.md#validation): the first problem found is thrown as a `VcmError`
 * `EINVAL` whose
 * message starts with the JSON path of the bad value, shows the value and
 * says what is allowed, e.g.
 *
 *   board.smmus[3].format: "armV8" is not a known page-table format (allowed: "armV7Short", "armLpae4k")
 *
 * and whose `details` are `{ path, value, allowed }`. The checks go beyond
 * what the JSON Schema can say: banks that overlap, pools outside their bank
 * or not aligned to their block size, names that must be unique across the
 * board (contexts are looked up by name, seed 000), more contexts than
 * context banks.
 */
import { SZ_1M, VcmError, hex } from '@vcm/core';
import { CONTEXT_BANK_STRIDE } from '@vcm/smmu';
import { PAGE_OFFSET, VMALLOC_END, VMALLOC_MIN, VMALLOC_OFFSET } from '@vcm/vmm-overlay';
import { boardSchema } from './board-schema.js';
import { FORMAT_NAMES, TLB_POLICIES } from './board.js';
import type {
  Bank,
  Board,
  Context,
  FormatName,
  Memory,
  Memtype,
  Pool,
  Region,
  SmmuSpec,
  TlbPolicy,
} from './board.js';

const PAGE = 0x1000;
/** LPAE output addresses are 40 bits (docs/hardware.md#page-table-formats): no board address lies above. */
const MAX_PHYS = 2 ** 40;
const U32_MAX = 0xffffffff;
/** 4 GiB: short-descriptor tables, TTBRs and the CPU's lowmem hold 32-bit physical addresses. */
const FOUR_GIB = 2 ** 32;
/**
 * The most kernel RAM the CPU's linear map can span, lowest base to highest
 * end (`@vcm/vmm-overlay` layout: PAGE_OFFSET up, then VMALLOC_OFFSET and at
 * least VMALLOC_MIN of vmalloc below VMALLOC_END).
 */
const MAX_LOWMEM_SPAN = VMALLOC_END - VMALLOC_MIN - VMALLOC_OFFSET - PAGE_OFFSET;
const HEX_RE = /^0[xX][0-9a-fA-F]+(?:_[0-9a-fA-F]+)*$/;
const NAME_RE = /^[A-Za-z0-9_.-]+$/;

type Json = Readonly<Record<string, unknown>>;

/** How a value is shown in a message: strings quoted, numbers also in hex, containers by kind. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0x10000 ? `${value} (${hex(value)})` : String(value);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** What goes into `details.value`: plain JSON scalars as they are, containers by kind. */
function detailValue(value: unknown): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return Array.isArray(value) ? 'array' : typeof value;
}

function fail(path: string, value: unknown, problem: string, allowed: string): never {
  throw new VcmError('EINVAL', `${path}: ${show(value)} ${problem} (allowed: ${allowed})`, {
    path,
    value: detailValue(value),
    allowed,
  });
}

function failMissing(path: string, allowed: string): never {
  throw new VcmError('EINVAL', `${path}: missing (required: ${allowed})`, { path, value: undefined, allowed });
}

function quoteList(items: readonly string[]): string {
  return items.map((s) => JSON.stringify(s)).join(', ');
}

function range(base: number, size: number): string {
  return `[${hex(base)}, ${hex(base + size)})`;
}

/**
 * Check that `value` is a plain object holding every required key and no
 * unknown one; the key lists come from the schema so the two never drift.
 */
function object(path: string, value: unknown, def: { required: readonly string[]; properties: object }, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(path, value, `is not ${what}`, `an object with the keys ${quoteList(Object.keys(def.properties))}`);
  }
  const obj = value as Json;
  const known = Object.keys(def.properties);
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) fail(`${path}.${key}`, key, `is not a key of ${what}`, quoteList(known));
  }
  for (const key of def.required) {
    if (obj[key] === undefined) failMissing(`${path}.${key}`, `${what} needs ${quoteList(def.required)}`);
  }
  return obj;
}

function array(path: string, value: unknown, what: string, minItems = 0): readonly unknown[] {
  if (!Array.isArray(value)) fail(path, value, 'is not an array', `an array of ${what}`);
  if (value.length < minItems) fail(path, value, `has ${value.length} entries`, `at least ${minItems} ${what}`);
  return value;
}

function nameOf(path: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME_RE.test(value)) {
    fail(path, value, 'is not a valid name', 'a non-empty string of letters, digits, "_", "." and "-"');
  }
  return value;
}

/** An integer in [min, max] (IRQ numbers, counts, versions): JSON numbers only, no strings. */
function integer(path: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    fail(path, value, 'is not an integer', `an integer from ${min} to ${max === U32_MAX ? hex(max) : max}`);
  }
  if (value < min || value > max) fail(path, value, 'is out of range', `an integer from ${min} to ${max === U32_MAX ? hex(max) : max}`);
  return value;
}

/** An address or size: a number or a hex string, normalised to a number (docs/boards.md#addresses-and-sizes). */
function address(path: string, value: unknown): number {
  const allowed = `a non-negative integer below 2^40, or a hex string like "0x3800_0000"`;
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && HEX_RE.test(value)) n = Number.parseInt(value.slice(2).replaceAll('_', ''), 16);
  else fail(path, value, 'is not an address', allowed);
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_PHYS) fail(path, value, 'is not an address', allowed);
  return n;
}

function aligned(path: string, value: unknown, n: number, align: number, what: string): void {
  if (n % align !== 0) fail(path, value, `is not aligned to ${alignText(align)}`, `${what} that is a multiple of ${hex(align)}`);
}

function alignText(align: number): string {
  return align >= 0x100000 ? `${align / 0x100000} MiB` : `${align / 0x400} KiB`;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && Number.isSafeInteger(n) && (n & (n - 1)) === 0 && n <= 2 ** 30;
}

function overlaps(a: Region, b: Region): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** A thing that occupies physical memory, for the overlap checks. */
interface Placed extends Region {
  readonly path: string;
  /** The value shown: the thing's name. */
  readonly name: string;
  /** How the other side of a clash is named: `bank "smi"`. */
  readonly label: string;
}

function checkDisjoint(items: readonly Placed[], kind: string): void {
  const sorted = [...items].sort((a, b) => a.base - b.base);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (overlaps(prev, cur)) {
      // Report the later-written of the two, naming the earlier one.
      const [bad, other] = items.indexOf(cur) > items.indexOf(prev) ? [cur, prev] : [prev, cur];
      fail(
        bad.path,
        bad.name,
        `${range(bad.base, bad.size)} overlaps ${other.label} ${range(other.base, other.size)} at ${other.path}`,
        `${kind} that do not overlap`,
      );
    }
  }
}

const defs = boardSchema.$defs;

function validateMemory(path: string, value: unknown): Memory {
  const mem = object(path, value, defs.memory, 'a memory section');

  // Banks: page-aligned, non-empty, disjoint, uniquely named.
  const banks: Bank[] = [];
  array(`${path}.banks`, mem['banks'], 'banks ({ name, base, size })', 1).forEach((raw, i) => {
    const p = `${path}.banks[${i}]`;
    const b = object(p, raw, defs.bank, 'a bank');
    const name = nameOf(`${p}.name`, b['name']);
    if (banks.some((x) => x.name === name)) fail(`${p}.name`, name, 'names a second bank', 'a bank name used once');
    const base = address(`${p}.base`, b['base']);
    aligned(`${p}.base`, b['base'], base, PAGE, 'an address');
    const size = address(`${p}.size`, b['size']);
    if (size === 0) fail(`${p}.size`, b['size'], 'is empty', 'a positive multiple of 0x1000');
    aligned(`${p}.size`, b['size'], size, PAGE, 'a size');
    if (base + size > MAX_PHYS) fail(`${p}.size`, b['size'], `ends the bank at ${hex(base + size)}, past the 40-bit physical space`, `a bank that ends at or below ${hex(MAX_PHYS)}`);
    banks.push({ name, base, size });
  });
  checkDisjoint(banks.map((b, i) => ({ ...b, path: `${path}.banks[${i}]`, label: `bank "${b.name}"` })), 'banks');

  const inBank = (p: string, raw: unknown, r: Region, bankName: string, what: string): void => {
    const bank = banks.find((b) => b.name === bankName)!;
    if (r.base < bank.base || r.base + r.size > bank.base + bank.size) {
      fail(p, raw, `places ${what} at ${range(r.base, r.size)}, outside bank "${bank.name}"`, `a range inside ${range(bank.base, bank.size)}`);
    }
  };
  const inSomeBank = (p: string, raw: unknown, r: Region, what: string): void => {
    if (!banks.some((b) => r.base >= b.base && r.base + r.size <= b.base + b.size)) {
      fail(p, raw, `places ${what} at ${range(r.base, r.size)}, outside every bank`, `a range inside one of ${banks.map((b) => `"${b.name}" ${range(b.base, b.size)}`).join(', ')}`);
    }
  };
  const bankNames = banks.map((b) => b.name);

  // Pools: block pools aligned to their (power-of-two) block size, the contiguous pool page-aligned; all inside their bank.
  const pools: Pool[] = [];
  array(`${path}.pools`, mem['pools'], 'pools').forEach((raw, i) => {
    const p = `${path}.pools[${i}]`;
    const contiguous = typeof raw === 'object' && raw !== null && 'contiguous' in raw;
    const o = object(p, raw, contiguous ? defs.contiguousPool : defs.blockPool, contiguous ? 'a contiguous pool' : 'a block pool');
    const name = nameOf(`${p}.name`, o['name']);
    if (pools.some((x) => x.name === name)) fail(`${p}.name`, name, 'names a second pool', 'a pool name used once');
    const bank = nameOf(`${p}.bank`, o['bank']);
    if (!bankNames.includes(bank)) fail(`${p}.bank`, bank, 'is not a bank of this board', quoteList(bankNames));
    const base = address(`${p}.base`, o['base']);
    if (contiguous) {
      if (o['contiguous'] !== true) fail(`${p}.contiguous`, o['contiguous'], 'is not true', 'true (omit the key for a block pool)');
      aligned(`${p}.base`, o['base'], base, PAGE, 'an address');
      const size = address(`${p}.size`, o['size']);
      if (size === 0) fail(`${p}.size`, o['size'], 'is empty', 'a positive multiple of 0x1000');
      aligned(`${p}.size`, o['size'], size, PAGE, 'a size');
      inBank(p, name, { base, size }, bank, `pool "${name}"`);
      pools.push({ kind: 'contiguous', name, bank, base, size });
    } else {
      const blockSize = address(`${p}.blockSize`, o['blockSize']);
      if (!isPowerOfTwo(blockSize) || blockSize < PAGE) {
        fail(`${p}.blockSize`, o['blockSize'], 'is not a block size', 'a power of two from 0x1000 (4 KiB) to 1 GiB, e.g. 0x1000, 0x10000, 0x100000, 0x1000000');
      }
      aligned(`${p}.base`, o['base'], base, blockSize, `an address (pool "${name}" has ${alignText(blockSize)} blocks)`);
      const count = integer(`${p}.count`, o['count'], 1, U32_MAX);
      const size = blockSize * count;
      inBank(p, name, { base, size }, bank, `pool "${name}"`);
      pools.push({ kind: 'block', name, bank, base, blockSize, count, size });
    }
  });
  const placed: Placed[] = pools.map((x, i) => ({ base: x.base, size: x.size, path: `${path}.pools[${i}]`, name: x.name, label: `pool "${x.name}"` }));
  checkDisjoint(placed, 'pools');

  // Page-table memory: inside a bank, clear of the pools.
  const tp = `${path}.tableRegion`;
  const t = object(tp, mem['tableRegion'], defs.region, 'a region');
  const tableRegion = { base: address(`${tp}.base`, t['base']), size: address(`${tp}.size`, t['size']) };
  aligned(`${tp}.base`, t['base'], tableRegion.base, PAGE, 'an address');
  aligned(`${tp}.size`, t['size'], tableRegion.size, PAGE, 'a size');
  if (tableRegion.size < 0x4000) fail(`${tp}.size`, t['size'], 'is too small to hold one 16 KiB first-level table', 'a size of at least 0x4000');
  inSomeBank(tp, 'tableRegion', tableRegion, 'the page-table region');
  if (tableRegion.base + tableRegion.size > FOUR_GIB) {
    // The CPU's tables (and every armV7Short table) are short-descriptor: TTBR and level-1 pointers hold 32-bit addresses.
    fail(tp, 'tableRegion', `places the page-table region at ${range(tableRegion.base, tableRegion.size)}, past 4 GiB`, `a region that ends at or below ${hex(FOUR_GIB)}`);
  }
  placed.push({ ...tableRegion, path: tp, name: 'tableRegion', label: 'the page-table region' });
  checkDisjoint(placed, 'pools and the page-table region');

  // Kernel RAM: inside banks, clear of pools, tables and each other.
  const kernelRam: Region[] = [];
  array(`${path}.kernelRam`, mem['kernelRam'], 'regions ({ base, size })', 1).forEach((raw, i) => {
    const p = `${path}.kernelRam[${i}]`;
    const k = object(p, raw, defs.region, 'a region');
    const r = { base: address(`${p}.base`, k['base']), size: address(`${p}.size`, k['size']) };
    // The linear map is written as 1 MiB sections (vmm-overlay), so kernel RAM comes in whole MiB.
    aligned(`${p}.base`, k['base'], r.base, SZ_1M, 'an address');
    if (r.size === 0) fail(`${p}.size`, k['size'], 'is empty', 'a positive multiple of 0x10_0000');
    aligned(`${p}.size`, k['size'], r.size, SZ_1M, 'a size');
    inSomeBank(p, 'kernelRam', r, 'kernel RAM');
    if (r.base + r.size > FOUR_GIB) {
      fail(p, 'kernelRam', `places kernel RAM at ${range(r.base, r.size)}, past 4 GiB`, `lowmem that ends at or below ${hex(FOUR_GIB)}`);
    }
    kernelRam.push(r);
    placed.push({ ...r, path: p, name: 'kernelRam', label: 'kernel RAM' });
  });
  checkDisjoint(placed, 'pools, the page-table region and kernel RAM');
  const lowmemBase = Math.min(...kernelRam.map((r) => r.base));
  const lowmemEnd = Math.max(...kernelRam.map((r) => r.base + r.size));
  if (lowmemEnd - lowmemBase > MAX_LOWMEM_SPAN) {
    fail(
      `${path}.kernelRam`,
      mem['kernelRam'],
      `spans ${range(lowmemBase, lowmemEnd - lowmemBase)}: its linear map at ${hex(PAGE_OFFSET)} would leave less than ${VMALLOC_MIN / SZ_1M} MiB of vmalloc area below ${hex(VMALLOC_END)}`,
      `kernel RAM spanning at most ${hex(MAX_LOWMEM_SPAN)} bytes from its lowest base to its highest end`,
    );
  }

  // Memtypes: unique ids ≥ 1 (0 is VCM_INVALID), ordered lists of known block pools, an optional contiguous pool.
  const memtypes: Memtype[] = [];
  const blockNames = pools.filter((x) => x.kind === 'block').map((x) => x.name);
  const contNames = pools.filter((x) => x.kind === 'contiguous').map((x) => x.name);
  array(`${path}.memtypes`, mem['memtypes'], 'memtypes ({ id, name, pools })', 1).forEach((raw, i) => {
    const p = `${path}.memtypes[${i}]`;
    const m = object(p, raw, defs.memtype, 'a memtype');
    const id = integer(`${p}.id`, m['id'], 1, U32_MAX);
    if (memtypes.some((x) => x.id === id)) fail(`${p}.id`, id, 'numbers a second memtype', 'a memtype id used once (VCM_MEMTYPE_0 is 1, VCM_MEMTYPE_1 is 2 …)');
    const name = nameOf(`${p}.name`, m['name']);
    if (memtypes.some((x) => x.name === name)) fail(`${p}.name`, name, 'names a second memtype', 'a memtype name used once');
    const list: string[] = [];
    array(`${p}.pools`, m['pools'], 'pool names', 1).forEach((rawPool, j) => {
      const pp = `${p}.pools[${j}]`;
      const poolName = nameOf(pp, rawPool);
      if (contNames.includes(poolName)) fail(pp, poolName, 'is a contiguous pool', `block pools ${quoteList(blockNames)}; name a contiguous pool in "contiguous"`);
      if (!blockNames.includes(poolName)) fail(pp, poolName, 'is not a pool of this board', quoteList(blockNames));
      if (list.includes(poolName)) fail(pp, poolName, 'is listed twice in this memtype', 'each pool once per memtype');
      list.push(poolName);
    });
    let contiguous: string | undefined;
    if (m['contiguous'] !== undefined) {
      contiguous = nameOf(`${p}.contiguous`, m['contiguous']);
      if (!contNames.includes(contiguous)) fail(`${p}.contiguous`, contiguous, 'is not a contiguous pool of this board', contNames.length > 0 ? quoteList(contNames) : 'none: the board has no contiguous pool');
    }
    memtypes.push({ id, name, pools: list, contiguous });
  });

  return { banks, pools, memtypes, tableRegion, kernelRam };
}

function validateSmmus(path: string, value: unknown, deviceNames: Map<string, string>): SmmuSpec[] {
  const smmus: SmmuSpec[] = [];
  array(path, value, 'SMMUs').forEach((raw, i) => {
    const p = `${path}[${i}]`;
    const s = object(p, raw, defs.smmu, 'an SMMU');
    const name = nameOf(`${p}.name`, s['name']);
    const same = smmus.findIndex((x) => x.name === name);
    if (same >= 0) fail(`${p}.name`, name, `also names ${path}[${same}]`, 'an SMMU name used once');
    const base = address(`${p}.base`, s['base']);
    aligned(`${p}.base`, s['base'], base, PAGE, 'a register base');
    if (base > U32_MAX) fail(`${p}.base`, s['base'], 'is past the 32-bit register space', `an address up to ${hex(U32_MAX)}`);
    const clash = smmus.findIndex((x) => x.base === base);
    if (clash >= 0) fail(`${p}.base`, s['base'], `is also the register base of ${path}[${clash}] "${smmus[clash]!.name}"`, 'a register base used by one SMMU');
    const irq = integer(`${p}.irq`, s['irq'], 0, U32_MAX);
    const contextBanks = integer(`${p}.contextBanks`, s['contextBanks'], 1, 256);
    // The register space: one page per context bank from the base
    // (docs/hardware.md#the-smmu: banks 4 KiB apart).
    const regs = { base, size: contextBanks * CONTEXT_BANK_STRIDE };
    if (regs.base + regs.size > FOUR_GIB) {
      fail(`${p}.base`, s['base'], `puts ${contextBanks} context banks at ${range(regs.base, regs.size)}, past the 32-bit register space`, `a register space that ends at or below ${hex(FOUR_GIB)}`);
    }
    const overlap = smmus.findIndex((x) => overlaps(regs, { base: x.base, size: x.contextBanks * CONTEXT_BANK_STRIDE }));
    if (overlap >= 0) {
      const o = smmus[overlap]!;
      fail(
        `${p}.base`,
        s['base'],
        `puts the register space ${range(regs.base, regs.size)} where it overlaps the register space of ${path}[${overlap}] "${o.name}" ${range(o.base, o.contextBanks * CONTEXT_BANK_STRIDE)}`,
        'register spaces (base + contextBanks × 0x1000) that do not overlap',
      );
    }
    if (typeof s['format'] !== 'string' || !(FORMAT_NAMES as readonly string[]).includes(s['format'])) {
      fail(`${p}.format`, s['format'], 'is not a known page-table format', quoteList(FORMAT_NAMES));
    }
    const format = s['format'] as FormatName;
    const tp = `${p}.tlb`;
    const t = object(tp, s['tlb'], defs.smmu.properties.tlb, 'a TLB description');
    const entries = integer(`${tp}.entries`, t['entries'], 1, 65536);
    if (typeof t['policy'] !== 'string' || !(TLB_POLICIES as readonly string[]).includes(t['policy'])) {
      fail(`${tp}.policy`, t['policy'], 'is not a known TLB replacement policy', quoteList(TLB_POLICIES));
    }
    const policy = t['policy'] as TlbPolicy;
    const hwVersion = integer(`${p}.hwVersion`, s['hwVersion'], 0, U32_MAX);
    let allowVirtualContexts = false;
    if (s['allowVirtualContexts'] !== undefined) {
      if (typeof s['allowVirtualContexts'] !== 'boolean') fail(`${p}.allowVirtualContexts`, s['allowVirtualContexts'], 'is not a boolean', 'true or false');
      allowVirtualContexts = s['allowVirtualContexts'];
    }

    const contexts: Context[] = [];
    const rawContexts = array(`${p}.contexts`, s['contexts'], 'contexts ({ name, bank? })', 1);
    if (!allowVirtualContexts && rawContexts.length > contextBanks) {
      fail(`${p}.contexts`, rawContexts, `lists ${rawContexts.length} contexts for ${contextBanks} context banks`, `at most ${contextBanks} contexts, or "allowVirtualContexts": true`);
    }
    rawContexts.forEach((rawCtx, j) => {
      const cp = `${p}.contexts[${j}]`;
      const c = object(cp, rawCtx, defs.context, 'a context');
      const ctxName = nameOf(`${cp}.name`, c['name']);
      const owner = deviceNames.get(ctxName);
      if (owner !== undefined) fail(`${cp}.name`, ctxName, `also names ${owner}`, 'a device name used once on the whole board (contexts are looked up by name)');
      deviceNames.set(ctxName, `${cp}`);
      const bank = c['bank'] === undefined ? j : integer(`${cp}.bank`, c['bank'], 0, U32_MAX);
      if (bank >= contextBanks) fail(`${cp}.bank`, c['bank'] ?? bank, 'is not a context bank of this SMMU', `an index from 0 to ${contextBanks - 1}`);
      if (!allowVirtualContexts) {
        const sharer = contexts.find((x) => x.bank === bank);
        if (sharer !== undefined) fail(`${cp}.bank`, c['bank'] ?? bank, `is also the bank of context "${sharer.name}"`, `one context per bank, or "allowVirtualContexts": true`);
      }
      contexts.push({ name: ctxName, bank });
    });
    smmus.push({ name, base, irq, contextBanks, format, tlb: { entries, policy }, hwVersion, contexts, allowVirtualContexts });
  });
  return smmus;
}

function validateNamed(path: string, value: unknown, what: string, deviceNames: Map<string, string>, minItems: number, maxItems: number): { name: string }[] {
  const list = array(path, value, `${what} ({ name })`, minItems);
  if (list.length > maxItems) fail(path, value, `has ${list.length} entries`, `at most ${maxItems} ${what} (the simulator models one CPU)`);
  return list.map((raw, i) => {
    const p = `${path}[${i}]`;
    const o = object(p, raw, defs.named, what === 'CPUs' ? 'a CPU' : 'a direct-mapped device');
    const name = nameOf(`${p}.name`, o['name']);
    const owner = deviceNames.get(name);
    if (owner !== undefined) fail(`${p}.name`, name, `also names ${owner}`, 'a device name used once on the whole board');
    deviceNames.set(name, p);
    return { name };
  });
}

/**
 * Check a board description and return it normalised (addresses as numbers,
 * context banks and optional lists filled in). Throws `VcmError` `EINVAL`
 * at the first problem, its message and `details.path` giving the JSON path.
 */
export function validateBoard(description: unknown): Board {
  const root = 'board';
  const b = object(root, description, boardSchema, 'a board description');
  if (typeof b['name'] !== 'string' || b['name'].length === 0) fail(`${root}.name`, b['name'], 'is not a board name', 'a non-empty string');
  const memory = validateMemory(`${root}.memory`, b['memory']);
  const deviceNames = new Map<string, string>();
  const smmus = validateSmmus(`${root}.smmus`, b['smmus'], deviceNames);
  const cpus = validateNamed(`${root}.cpus`, b['cpus'], 'CPUs', deviceNames, 1, 1);
  const directDevices = b['directDevices'] === undefined ? [] : validateNamed(`${root}.directDevices`, b['directDevices'], 'direct-mapped devices', deviceNames, 0, Number.MAX_SAFE_INTEGER);
  return { name: b['name'], memory, smmus, cpus, directDevices };
}

/** Parse a board file's text (JSON) and validate it; bad JSON is `EINVAL` naming the parser's complaint. */
export function parseBoard(text: string): Board {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new VcmError('EINVAL', `board: the text is not JSON: ${reason} (allowed: a JSON object, see board.schema.json)`, {
      path: 'board',
      value: 'text',
      allowed: 'a JSON object',
    });
  }
  return validateBoard(json);
}
