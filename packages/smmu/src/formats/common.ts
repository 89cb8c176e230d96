/**
 * What both page-table formats share: the checks at their public boundary
 * (docs/rules.md#validation), the `prot` word they accept, and the wording of
 * their errors (docs/rules.md#errors: name the call, the value, the clash).
 */
import {
  VCM_CACHE_POLICY,
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

/** The common argument checks of `map`: a supported size, both addresses aligned to it, inside the input range. */
export function checkMapPage(
  where: string,
  pageSizes: readonly number[],
  inputSize: number,
  va: unknown,
  pa: unknown,
  size: unknown,
  prot: unknown,
): { va: number; pa: number; size: number; prot: number } {
  const s = checkPageSize(where, pageSizes, size);
  const v = checkAligned(where, 'va', va, s, inputSize - s);
  const p = checkAligned(where, 'pa', pa, s, PA_LIMIT - s);
  return { va: v, pa: p, size: s, prot: checkProt(where, prot) };
}

/** The common argument checks of `mapRange`: 4 KiB aligned, inside the input range and the physical space. */
export function checkMapRange(
  where: string,
  inputSize: number,
  va: unknown,
  pa: unknown,
  len: unknown,
  prot: unknown,
): { va: number; pa: number; len: number; prot: number } {
  const v = checkAligned(where, 'va', va, 0x1000, inputSize - 0x1000);
  const p = checkAligned(where, 'pa', pa, 0x1000, PA_LIMIT - 0x1000);
  const l = checkLength(where, 'len', len, 0x1000);
  checkInside(where, inputSize, v, l);
  if (p + l > PA_LIMIT) {
    throw new VcmError('EINVAL', `${where}: pa ${hex(p)} + len ${formatSize(l)} passes the 40-bit physical space`, { param: 'len', value: l, pa: p });
  }
  return { va: v, pa: p, len: l, prot: checkProt(where, prot) };
}

/** `unmapRange` arguments: 4 KiB aligned, a positive multiple of 4 KiB long, inside the input range. */
export function checkUnmapRange(where: string, inputSize: number, va: unknown, len: unknown): { va: number; len: number } {
  const v = checkAligned(where, 'va', va, 0x1000, inputSize - 0x1000);
  const l = checkLength(where, 'len', len, 0x1000);
  checkInside(where, inputSize, v, l);
  return { va: v, len: l };
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

function checkInside(where: string, inputSize: number, va: number, len: number): void {
  if (va + len > inputSize) {
    throw new VcmError('EINVAL', `${where}: [${hex(va)}, ${hex(va + len)}) passes the end of the table's input range ${hex(inputSize)}`, {
      param: 'len',
      value: len,
      va,
      inputSize,
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

/** Allocate `count` tables all or nothing: on a failure the ones already obtained go back (docs/rules.md#atomicity). */
export function allocateTables(tables: { allocateTable(size: number, align: number): number; freeTable(pa: number, size: number): void }, count: number, size: number): number[] {
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
