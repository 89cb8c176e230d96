/**
 * What both page-table formats share: the checks at their public boundary
 * (docs/rules.md#validation), the `prot` word they accept, and the wording
 * of their errors (docs/rules.md#errors: name the call, the value, the
 * clash).
 */
import {
  VCM_CACHE_POLICY,
  checkOneOf,
  VCM_EXECUTE,
  VCM_READ,
  VCM_WRITE,
  VCM_WT,
  VcmError,
  checkAligned,
  checkAttr,
  checkLength,
  formatSize,
  hex,
} from '@vcm/core';
import { PROT_GLOBAL, PROT_PRIV } from '../format.js';
import type { PageTableOptions, TableMemory, TranslationRegisters, WalkFault } from '../format.js';

/** Every bit a format understands in `prot`: the `vcm.h` reservation attribute bits [9:0] plus the two format extras. */
export const PROT_ALLOWED = 0x3ff | PROT_GLOBAL | PROT_PRIV;

/** The 40-bit physical address space both formats reach (LPAE output address [39:12]; supersection PA[39:32]). */
export const PA_LIMIT = 2 ** 40;

/** 2^32: the input (device-address) space and the short format's reach for everything but supersections. */
export const TWO_32 = 2 ** 32;

/**
 * The smallest piece of table memory a format asks `TableMemory` for. The
 * allocator contract lists 16 KiB, 1 KiB and 4 KiB tables; a 32-byte LPAE
 * level-1 table or a short level-1 table with a split of 5..7 is smaller,
 * so it is given (and reports) 1 KiB, 1 KiB aligned (which also satisfies
 * the hardware's own, smaller, alignment).
 */
export const MIN_TABLE_BYTES = 0x400;

/** `prot`: attribute bits known, cache policy one of the four `vcm.h` policies. */
export function checkProt(where: string, prot: unknown): number {
  const p = checkAttr(where, 'prot', prot, PROT_ALLOWED);
  if ((p & VCM_CACHE_POLICY) > VCM_WT) {
    throw new VcmError('EINVAL', `${where}: prot cache policy must be VCM_NOTCACHED, VCM_WB_WA, VCM_WB_NWA or VCM_WT (0..3), got ${p & VCM_CACHE_POLICY}`, {
      param: 'prot',
      value: p,
      expected: 'cache policy 0..3',
    });
  }
  return p;
}

/** The input range a table translates and the output range it may reach. */
export interface TableRange {
  readonly inputBase: number;
  readonly inputSize: number;
  /** 2^outputBits. */
  readonly paLimit: number;
}

/** The common argument checks of `map`: a supported size, both addresses aligned to it, inside the input and output ranges. */
export function checkMapPage(
  where: string,
  pageSizes: readonly number[],
  range: TableRange,
  va: unknown,
  pa: unknown,
  size: unknown,
  prot: unknown,
): { va: number; pa: number; size: number; prot: number } {
  const s = checkPageSize(where, pageSizes, size);
  const v = checkAligned(where, 'va', va, s, range.inputBase + range.inputSize - s);
  checkInside(where, range, v, s);
  const p = checkAligned(where, 'pa', pa, s, PA_LIMIT - s);
  checkOutput(where, range, p, s);
  return { va: v, pa: p, size: s, prot: checkProt(where, prot) };
}

/** The common argument checks of `mapRange`: 4 KiB aligned, inside the input range and the physical space. */
export function checkMapRange(
  where: string,
  range: TableRange,
  va: unknown,
  pa: unknown,
  len: unknown,
  prot: unknown,
): { va: number; pa: number; len: number; prot: number } {
  const v = checkAligned(where, 'va', va, 0x1000, range.inputBase + range.inputSize - 0x1000);
  const p = checkAligned(where, 'pa', pa, 0x1000, PA_LIMIT - 0x1000);
  const l = checkLength(where, 'len', len, 0x1000);
  checkInside(where, range, v, l);
  checkOutput(where, range, p, l);
  return { va: v, pa: p, len: l, prot: checkProt(where, prot) };
}

/** `unmapRange` arguments: 4 KiB aligned, a positive multiple of 4 KiB long, inside the input range. */
export function checkUnmapRange(where: string, range: TableRange, va: unknown, len: unknown): { va: number; len: number } {
  const v = checkAligned(where, 'va', va, 0x1000, range.inputBase + range.inputSize - 0x1000);
  const l = checkLength(where, 'len', len, 0x1000);
  checkInside(where, range, v, l);
  return { va: v, len: l };
}

/** `unmap` arguments: a supported size, va aligned to it and inside the input range. */
export function checkUnmapPage(where: string, pageSizes: readonly number[], range: TableRange, va: unknown, size: unknown): { va: number; size: number } {
  const s = checkPageSize(where, pageSizes, size);
  const v = checkAligned(where, 'va', va, s, range.inputBase + range.inputSize - s);
  checkInside(where, range, v, s);
  return { va: v, size: s };
}

/** The output range: io-pgtable refuses a physical address at or above 2^oas (`-ERANGE`); for us `EINVAL` naming the limit. */
function checkOutput(where: string, range: TableRange, pa: number, len: number): void {
  if (pa + len > range.paLimit) {
    const bits = Math.log2(range.paLimit);
    throw new VcmError('EINVAL', `${where}: [${hex(pa)}, ${hex(pa + len)}) passes the ${bits}-bit output address space of this table (outputBits ${bits})`, {
      param: 'pa',
      value: pa,
      len,
      outputBits: bits,
    });
  }
}

export function checkPageSize(where: string, pageSizes: readonly number[], size: unknown): number {
  if (typeof size !== 'number' || !pageSizes.includes(size)) {
    throw new VcmError('EINVAL', `${where}: size must be one of ${pageSizes.map(formatSize).join(', ')}, got ${typeof size === 'number' ? `${size} (${hex(size)})` : typeof size}`, {
      param: 'size',
      value: typeof size === 'number' ? size : typeof size,
      expected: pageSizes,
    });
  }
  return size;
}

function checkInside(where: string, range: TableRange, va: number, len: number): void {
  const end = range.inputBase + range.inputSize;
  if (va < range.inputBase || va + len > end) {
    const what = range.inputBase === 0 ? `passes the end of the table's input range ${hex(end)}` : `is not inside the TTBR1 table's input range [${hex(range.inputBase)}, ${hex(end)})`;
    throw new VcmError('EINVAL', `${where}: [${hex(va)}, ${hex(va + len)}) ${what}`, {
      param: va < range.inputBase ? 'va' : 'len',
      value: va < range.inputBase ? va : len,
      va,
      inputBase: range.inputBase,
      inputSize: range.inputSize,
    });
  }
}

/** Description of a leaf for messages and details. */
export interface LeafFacts {
  readonly va: number;
  readonly size: number;
  readonly pa: number;
  readonly kind: string;
}

/** `EBUSY`: mapping over an existing leaf (Linux: `EEXIST`), naming the clash. */
export function clashError(where: string, addr: number, leaf: LeafFacts): VcmError {
  const at = addr === leaf.va ? '' : ` at ${hex(leaf.va)}`;
  return new VcmError('EBUSY', `${where}: ${hex(addr)} is already mapped by a ${leaf.kind}${at} → ${hex(leaf.pa)}`, {
    va: addr,
    leafVa: leaf.va,
    leafSize: leaf.size,
    leafPa: leaf.pa,
    leafKind: leaf.kind,
  });
}

/** `EBUSY`: a block where a lower-level table hangs (refused; the table is not freed behind the owner's back). */
export function tableClashError(where: string, addr: number, blockKind: string, level: number, tablePa: number, live: number): VcmError {
  return new VcmError(
    'EBUSY',
    `${where}: cannot put a ${blockKind} at ${hex(addr)}: a level-${level} table at ${hex(tablePa)} with ${live} live entr${live === 1 ? 'y' : 'ies'} hangs there (unmap those pages first)`,
    { va: addr, tablePa, tableLevel: level, liveEntries: live },
  );
}

/** `EINVAL`: unmapping part of a larger leaf (refused, as Linux 6.13 and later do). */
export function partialUnmapError(where: string, va: number, len: number, leaf: LeafFacts): VcmError {
  return new VcmError(
    'EINVAL',
    `${where}: [${hex(va)}, ${hex(va + len)}) covers only part of the ${leaf.kind} at ${hex(leaf.va)} → ${hex(leaf.pa)}; unmap the whole ${formatSize(leaf.size)}`,
    { va, len, leafVa: leaf.va, leafSize: leaf.size, leafPa: leaf.pa, leafKind: leaf.kind },
  );
}

/** `ENOENT`: unmapping an address that nothing maps. */
export function notMappedError(where: string, addr: number): VcmError {
  return new VcmError('ENOENT', `${where}: ${hex(addr)} is not mapped`, { va: addr });
}

/** `EINVAL`: unmap with a size other than the leaf's own. */
export function wrongLeafSizeError(where: string, va: number, size: number, leaf: LeafFacts): VcmError {
  return new VcmError(
    'EINVAL',
    `${where}: size ${formatSize(size)} at ${hex(va)} does not match the ${leaf.kind} mapped there (${formatSize(leaf.size)}); unmap leaves one at a time or use unmapRange`,
    { va, size, leafVa: leaf.va, leafSize: leaf.size, leafPa: leaf.pa, leafKind: leaf.kind },
  );
}

/** `EINVAL`: any call on a destroyed table. */
export function destroyedError(where: string, rootPa: number): VcmError {
  return new VcmError('EINVAL', `${where}: the page table at ${hex(rootPa)} was destroyed`, { rootPa });
}

/** Allocate `count` tables all or nothing: on a failure the ones already obtained go back (docs/rules.md#atomicity). One `allocateTables` call when the table memory has it (docs/performance.md#bulk-mapping). */
export function allocateTables(tables: TableMemory, count: number, size: number): number[] {
  if (count === 0) return [];
  if (typeof tables.allocateTables === 'function') {
    const got = tables.allocateTables(size, size, count);
    if (!Array.isArray(got) || got.length !== count) {
      if (Array.isArray(got)) for (const pa of got) tables.freeTable(pa, size);
      throw new VcmError('EINVAL', `table memory: allocateTables(${size}, ${size}, ${count}) returned ${Array.isArray(got) ? `${got.length} addresses` : typeof got}, not an array of ${count}`, { count });
    }
    return got;
  }
  const got: number[] = [];
  try {
    for (let i = 0; i < count; i++) got.push(tables.allocateTable(size, size));
  } catch (e) {
    for (const pa of got) tables.freeTable(pa, size);
    throw e;
  }
  return got;
}

/** `prot` access bits as a walk reports them: both formats can only say read-only or read/write, never write-only. */
export function accessProt(writable: boolean, executable: boolean): number {
  return VCM_READ | (writable ? VCM_WRITE : 0) | (executable ? VCM_EXECUTE : 0);
}

/** What `create` was asked for, checked. */
export interface CreateArgs {
  readonly split: number;
  readonly ttbr: 0 | 1;
  readonly outputBits: number;
}

const OPTION_KEYS: ReadonlySet<string> = new Set(['split', 'ttbr', 'outputBits']);

function isFunctionOf(o: unknown, names: readonly string[]): boolean {
  if (typeof o !== 'object' || o === null) return false;
  const r = o as Record<string, unknown>;
  return names.every((n) => typeof r[n] === 'function');
}

/**
 * The arguments of `create`, checked before anything is allocated: a
 * `PhysicalMemory`, a `TableMemory`, and options with known keys only.
 */
export function checkCreate(where: string, memory: unknown, tables: unknown, options: unknown): CreateArgs {
  if (!isFunctionOf(memory, ['readU32', 'writeU32', 'pageWords'])) {
    throw new VcmError('EINVAL', `${where}: memory must be a PhysicalMemory (readU32, writeU32, pageWords), got ${describe(memory)}`, { param: 'memory' });
  }
  if (!isFunctionOf(tables, ['allocateTable', 'freeTable'])) {
    throw new VcmError('EINVAL', `${where}: tables must be a TableMemory (allocateTable, freeTable), got ${describe(tables)}`, { param: 'tables' });
  }
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new VcmError('EINVAL', `${where}: options must be an object { split?, ttbr?, outputBits? } or undefined, got ${describe(options)}`, { param: 'options' });
  }
  const o = (options ?? {}) as PageTableOptions;
  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.has(key)) {
      throw new VcmError('EINVAL', `${where}: unknown option '${key}'; the options are split, ttbr and outputBits`, { param: `options.${key}` });
    }
  }
  const split = checkOneOf(where, 'options.split', o.split === undefined ? 0 : o.split, [0, 1, 2, 3, 4, 5, 6, 7]);
  const ttbr = checkOneOf(where, 'options.ttbr', o.ttbr === undefined ? 0 : o.ttbr, [0, 1] as const);
  const outputBits = checkOneOf(where, 'options.outputBits', o.outputBits === undefined ? 40 : o.outputBits, [32, 36, 40]);
  if (ttbr === 1 && split === 0) {
    throw new VcmError('EINVAL', `${where}: a TTBR1 table needs a split of 1..7; with split 0 every address is translated through TTBR0`, {
      param: 'options.ttbr',
      value: ttbr,
      split,
    });
  }
  return { split, ttbr, outputBits };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object of another kind';
  return typeof v === 'number' || typeof v === 'string' ? `${typeof v} ${String(v)}` : typeof v;
}

/** `decodeConfig`'s register words, checked: 32-bit unsigned each, the high words 0 when absent. */
export function checkRegisters(where: string, regs: unknown, nonSecure: unknown): Required<TranslationRegisters> & { nonSecure: boolean } {
  if (typeof regs !== 'object' || regs === null) {
    throw new VcmError('EINVAL', `${where}: regs must be an object { ttbcr, ttbr0, ttbr0High?, ttbr1, ttbr1High?, sctlr? }, got ${describe(regs)}`, { param: 'regs' });
  }
  const r = regs as Record<string, unknown>;
  const word = (name: string, optional: boolean): number => {
    const v = r[name];
    if (optional && v === undefined) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new VcmError('EINVAL', `${where}: regs.${name} must be a 32-bit register word (0..0xffff_ffff), got ${typeof v === 'number' ? String(v) : describe(v)}`, {
        param: `regs.${name}`,
        value: typeof v === 'number' ? v : typeof v,
      });
    }
    return v;
  };
  if (nonSecure !== undefined && typeof nonSecure !== 'boolean') {
    throw new VcmError('EINVAL', `${where}: nonSecure must be a boolean (true: the walker is Non-secure), got ${describe(nonSecure)}`, { param: 'nonSecure' });
  }
  return {
    ttbcr: word('ttbcr', false),
    ttbr0: word('ttbr0', false),
    ttbr0High: word('ttbr0High', true),
    ttbr1: word('ttbr1', false),
    ttbr1High: word('ttbr1High', true),
    sctlr: word('sctlr', true),
    nonSecure: nonSecure === true,
  };
}

/** `EINVAL` from `decodeConfig`: a register value this format cannot walk from. */
export function registerError(where: string, register: string, value: number, why: string): VcmError {
  return new VcmError('EINVAL', `${where}: ${register} ${hex(value >>> 0)}: ${why}`, { param: register, value: value >>> 0 });
}

/** 2^(32-n) for n = 0..7: the size of the TTBR0 region for a split n. */
export const REGION_SIZE: readonly number[] = Object.freeze([0, 1, 2, 3, 4, 5, 6, 7].map((n) => 2 ** (32 - n)));

/**
 * The brand a `WalkConfig` made by a format carries (the format's name):
 * `walk` takes only a configuration its own format decoded, checked with
 * one property load on the hot path.
 */
export const CONFIG_FORMAT: unique symbol = Symbol('vcm.walkConfig.format');

/** Why `walk` refused its arguments (the slow path, after the one-line check failed). */
export function walkArgsError(name: string, memory: unknown, config: unknown, va: unknown, trace: unknown): VcmError {
  const where = `${name}.walk`;
  if (typeof memory !== 'object' || memory === null || typeof (memory as { readU32?: unknown }).readU32 !== 'function') {
    return new VcmError('EINVAL', `${where}: memory must be a PhysicalMemory, got ${describe(memory)}`, { param: 'memory' });
  }
  if (typeof config !== 'object' || config === null || (config as { [CONFIG_FORMAT]?: unknown })[CONFIG_FORMAT] !== name) {
    const other = typeof config === 'object' && config !== null ? (config as { [CONFIG_FORMAT]?: unknown })[CONFIG_FORMAT] : undefined;
    const why = typeof other === 'string' ? `a ${other} configuration` : describe(config);
    return new VcmError('EINVAL', `${where}: config must be a WalkConfig from ${name}.decodeConfig (or the walkConfig of a ${name} table), got ${why}`, { param: 'config' });
  }
  if (trace !== undefined && !Array.isArray(trace)) {
    return new VcmError('EINVAL', `${where}: trace must be an array to push WalkSteps into, or undefined, got ${describe(trace)}`, { param: 'trace' });
  }
  return new VcmError('EINVAL', `${where}: va must be a 32-bit input address (an integer from 0 to 0xffff_ffff), got ${typeof va === 'number' ? String(va) : describe(va)}`, {
    param: 'va',
    value: typeof va === 'number' ? va : typeof va,
  });
}

/** The single result object of a walk that faulted. */
export function walkFault(fault: 'translation' | 'access-flag' | 'address-size', level: number, entryPa: number, descriptor: number, descriptorHigh: number): WalkFault {
  return { fault, level, entryPa, descriptor: descriptor >>> 0, descriptorHigh: descriptorHigh >>> 0 };
}

