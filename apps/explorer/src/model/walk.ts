/**
 * A walk as the explorer shows it: each descriptor read (level, where, the
 * words) with what it means, then the leaf or the fault. The meaning comes
 * from the format's own walk — an entry that is not the last one pointed at
 * the next level's table, the last one is the leaf the walk decoded (or the
 * fault it raised) — so no descriptor bit is decoded twice.
 */
import { formatSize, hex } from '@vcm/core';
import type { WalkFault, WalkResult, WalkStep } from '@vcm/smmu';

export interface WalkView {
  readonly va: number;
  readonly steps: readonly WalkStep[];
  readonly leaf: WalkResult | undefined;
  readonly fault: WalkFault | undefined;
  readonly pa: number | undefined;
}

export interface WalkLine {
  readonly level: number;
  readonly entryPa: number;
  readonly descriptor: string;
  readonly meaning: string;
}

export function descriptorWords(s: { descriptor: number; descriptorHigh: number }, long: boolean): string {
  return long ? `${hex(s.descriptorHigh)} ${hex(s.descriptor)}` : hex(s.descriptor);
}

/** The leaf's decoded facts, the way the format's walk reports them. */
export function leafFacts(leaf: WalkResult): string {
  const perms = `${leaf.readable ? 'R' : '-'}${leaf.writable ? 'W' : '-'}${leaf.executable ? 'X' : '-'}`;
  return [
    `${formatSize(leaf.size)} leaf at level ${leaf.level}: ${hex(leaf.va)} → ${hex(leaf.base)}`,
    `access ${perms}${leaf.privilegedExecutable ? '' : ' (not executable at PL1)'}, ${leaf.user ? 'user' : 'privileged only'}`,
    `access flag ${leaf.accessFlag ? 'set' : 'clear'}, ${leaf.nonSecure ? 'non-secure' : 'secure'} output${leaf.domain !== 0 ? `, domain ${leaf.domain}` : ''}`,
  ].join('; ');
}

export function walkLines(w: WalkView, long: boolean): WalkLine[] {
  return w.steps.map((s, i) => {
    const last = i === w.steps.length - 1;
    const next = w.steps[i + 1];
    let meaning: string;
    if (!last) meaning = `table descriptor: the level-${next?.level ?? s.level + 1} entry is read at ${hex(next?.entryPa ?? 0)}`;
    else if (w.leaf !== undefined) meaning = leafFacts(w.leaf);
    else if (w.fault !== undefined) meaning = `${w.fault.fault} fault at level ${w.fault.level}`;
    else meaning = '';
    return { level: s.level, entryPa: s.entryPa, descriptor: descriptorWords(s, long), meaning };
  });
}

/** The walk's outcome in one line: the physical address, or the fault. */
export function walkOutcome(w: WalkView): string {
  if (w.pa !== undefined) return `${hex(w.va)} → ${hex(w.pa)}`;
  if (w.fault !== undefined) return `${w.fault.fault} fault at level ${w.fault.level}${w.fault.entryPa >= 0 ? ` (descriptor at ${hex(w.fault.entryPa)})` : ' (no descriptor read)'}`;
  return 'no result';
}
