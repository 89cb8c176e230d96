/**
 * The page-table view's model: one choice per device and base register
 * (an SMMU context's TTBR0/TTBR1, the CPU's TTBR0/TTBR1), each with the
 * ptdump ranges `dumpPageTables` grouped for it, the leaves of a range, and
 * which ranges a step added or changed.
 */
import { describeAttributes } from '@vcm/scenario';
import type { DumpLeaf, DumpRange } from '@vcm/scenario';
import type { StepState, TablesDump } from './state.js';

export interface TableChoice {
  /** `<device>/<base>`: stable across steps. */
  readonly key: string;
  readonly device: string;
  readonly base: 'TTBR0' | 'TTBR1';
  readonly format: string;
  readonly dump: TablesDump;
  readonly ranges: readonly DumpRange[];
  /** The tables hanging from this base, root first. */
  readonly tables: TablesDump['tables'];
}

/** Every base register of every device whose tables a walk reaches at this step (inactive contexts walk nothing). */
export function tableChoices(state: StepState): TableChoice[] {
  const dumps: TablesDump[] = [];
  for (const c of state.contexts) if (c.dump !== undefined) dumps.push(c.dump);
  if (state.cpu !== undefined) dumps.push(state.cpu.dump);
  const out: TableChoice[] = [];
  for (const dump of dumps) {
    for (const { base } of dump.regimes) {
      const tables = dump.tables.filter((t) => t.base === base).sort((a, b) => a.level - b.level || a.pa - b.pa);
      out.push({ key: `${dump.device}/${base}`, device: dump.device, base, format: dump.format, dump, ranges: dump.ranges.filter((r) => r.base === base), tables });
    }
  }
  return out;
}

/** A range's identity: where, how big, what it maps to, with what attributes and label. */
export function rangeKey(r: DumpRange): string {
  return `${r.base}:${r.level}:${r.va}:${r.size}:${r.pageSize}:${r.pa.map((p) => `${p.pa}+${p.len}`).join(',')}:${describeAttributes(r.attributes)}:${r.label ?? ''}`;
}

/** The ranges of `now` that `before` (the same choice one step earlier) did not have exactly; all of them when there was no such choice. */
export function changedRanges(before: TableChoice | undefined, now: TableChoice): Set<string> {
  const old = new Set(before?.ranges.map(rangeKey) ?? []);
  return new Set(now.ranges.map(rangeKey).filter((k) => !old.has(k)));
}

/** The leaves a range groups, in address order. */
export function leavesOf(dump: TablesDump, r: DumpRange): DumpLeaf[] {
  return dump.leaves.filter((l) => l.base === r.base && l.level === r.level && l.va >= r.va && l.va < r.va + r.size).sort((a, b) => a.va - b.va);
}

/** Writable and executable: what Linux's ptdump W+X check reports. */
export const isWritableExecutable = (r: DumpRange): boolean => r.attributes.write && r.attributes.execute;
