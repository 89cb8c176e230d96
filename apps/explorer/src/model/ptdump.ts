/**
 * ptdump-style ranges of a page table (Linux arch/arm/mm/dump.c): consecutive
 * leaves of one page size and one set of attributes, contiguous in device
 * and physical addresses, fold into one line; a writable and executable
 * range is flagged, as Linux's W+X check does.
 */
import { VCM_EXECUTE, VCM_READ, VCM_WRITE } from '@vcm/core';
import { PROT_PRIV } from '@vcm/smmu';
import type { Leaf } from './state.js';

export interface PtRange {
  readonly va: number;
  /** One past the last byte. */
  readonly end: number;
  readonly pa: number;
  readonly pageSize: number;
  readonly count: number;
  readonly level: number;
  readonly prot: number;
  /** The leaves of the range, in address order (for the drill-down). */
  readonly leaves: readonly Leaf[];
}

export function ptRanges(leaves: readonly Leaf[]): PtRange[] {
  const out: PtRange[] = [];
  let cur: { va: number; end: number; pa: number; pageSize: number; level: number; prot: number; leaves: Leaf[] } | undefined;
  for (const l of [...leaves].sort((a, b) => a.va - b.va)) {
    if (cur !== undefined && l.va === cur.end && l.pa === cur.pa + (cur.end - cur.va) && l.size === cur.pageSize && l.prot === cur.prot && l.level === cur.level) {
      cur.end += l.size;
      cur.leaves.push(l);
      continue;
    }
    if (cur !== undefined) out.push({ ...cur, count: cur.leaves.length });
    cur = { va: l.va, end: l.va + l.size, pa: l.pa, pageSize: l.size, level: l.level, prot: l.prot, leaves: [l] };
  }
  if (cur !== undefined) out.push({ ...cur, count: cur.leaves.length });
  return out;
}

/** `rwx` and the privilege the way ptdump prints them: "RW NX USR". */
export function protText(prot: number): string {
  const rw = prot & VCM_WRITE ? 'RW' : prot & VCM_READ ? 'ro' : '--';
  const x = prot & VCM_EXECUTE ? 'x ' : 'NX';
  return `${rw} ${x} ${prot & PROT_PRIV ? 'SVC' : 'USR'}`;
}

/** Writable and executable: what Linux's ptdump W+X check reports. */
export function isWritableExecutable(prot: number): boolean {
  return (prot & VCM_WRITE) !== 0 && (prot & VCM_EXECUTE) !== 0;
}
