/**
 * The page tables a walker reaches from its registers
 * (docs/scenarios.md#page-table-images): every table, as the bytes that lie
 * in RAM, and every leaf, found the way the hardware finds them — by the
 * format's own walk (`format.walk` with a trace), never by decoding a
 * descriptor here. For each entry of a table, one walk of an address that
 * entry translates: a walk that reads a further level shows where the
 * next table is (the entry it read there, less that entry's index); a walk
 * that stops at this level is a leaf or an invalid entry.
 *
 * Only the geometry of the two formats is known here — entries per table,
 * the input range one entry covers and the descriptor size (ARM ARM DDI
 * 0406C, B3.5 "Short-descriptor translation table format" and B3.6
 * "Long-descriptor translation table format") — because a dump must say
 * how many bytes a table occupies, which no walk reads.
 */
import { VcmError } from '@vcm/core';
import type { PhysicalMemory } from '@vcm/core';
import { isWalkFault } from '@vcm/smmu';
import type { PageTableFormat, WalkConfig, WalkFault, WalkResult, WalkStep } from '@vcm/smmu';

const TWO_32 = 2 ** 32;

/** The base register a table hangs from. */
export type TableBase = 'TTBR0' | 'TTBR1';

/**
 * One base register's part of the input space, walked with `config`: the
 * SMMU context's TTBR0 below the split and TTBR1 above it; the CPU's TTBR0
 * (the current process) below `PAGE_OFFSET` and TTBR1 (the kernel) above.
 */
export interface TranslationRegime {
  readonly base: TableBase;
  /** First input address this base translates. */
  readonly start: number;
  /** One past the last (at most 2^32). */
  readonly end: number;
  /**
   * The decoded registers to walk with (a secure walker, so that secure
   * leaves are listed too). The base's table is walked through `config`'s
   * TTBR0 or TTBR1 as the split in it routes `start`.
   */
  readonly config: WalkConfig;
  /**
   * Whether the base's root table is indexed by the whole 32-bit address
   * (the short format's TTBR1 and an LPAE TTBR1 with T1SZ = 0, both walked
   * as a full level-1 table; the CPU's kernel table) rather than from
   * `start`.
   */
  readonly fullRoot: boolean;
}

/** One table in RAM. */
export interface TableImage {
  readonly base: TableBase;
  readonly level: number;
  readonly pa: number;
  /** The first input address its entry 0 covers (its index window starts there). */
  readonly va: number;
  /** The table's bytes as they lie in RAM. */
  readonly bytes: Uint8Array;
}

/** One valid leaf (a 16-entry large page, supersection or hinted run once). */
export interface FoundLeaf {
  readonly base: TableBase;
  /** The input range one entry at the leaf's level covers (a hinted run or large page spans 16 of them). */
  readonly entrySpan: number;
  readonly walk: WalkResult;
}

/** A valid descriptor the walk could not use (an access flag of 0, an address too wide): where it is and why. */
export interface FaultingEntry {
  readonly base: TableBase;
  readonly va: number;
  readonly fault: WalkFault;
}

/** What a walker reaches from its registers. */
export interface ReachedTables {
  readonly tables: readonly TableImage[];
  readonly leaves: readonly FoundLeaf[];
  readonly faulting: readonly FaultingEntry[];
}

interface Geometry {
  /** Bytes of one descriptor. */
  readonly descriptorBytes: number;
  /** Input range one entry covers, by level. */
  readonly span: Readonly<Record<number, number>>;
  /** Entries of a table below the root, by level. */
  readonly entries: Readonly<Record<number, number>>;
}

/** The two formats' table geometry (ARM ARM DDI 0406C, B3.5 and B3.6). */
const GEOMETRY: Readonly<Record<PageTableFormat['name'], Geometry>> = {
  armV7Short: { descriptorBytes: 4, span: { 1: 2 ** 20, 2: 2 ** 12 }, entries: { 1: 4096, 2: 256 } },
  armLpae4k: { descriptorBytes: 8, span: { 1: 2 ** 30, 2: 2 ** 21, 3: 2 ** 12 }, entries: { 1: 4, 2: 512, 3: 512 } },
};

/** The input range one entry at `level` covers in `format`. */
export function entrySpan(format: PageTableFormat, level: number): number {
  const span = GEOMETRY[format.name].span[level];
  if (span === undefined) throw new VcmError('EINVAL', `entrySpan: ${format.name} has no level ${level} (allowed: ${Object.keys(GEOMETRY[format.name].span).join(', ')})`, { param: 'level', value: level });
  return span;
}

/**
 * Every table and leaf reachable from `regimes` in `memory`. Walks one
 * address per table entry (a 16 KiB short level-1 table: 4096 walks).
 */
export function readPageTables(memory: PhysicalMemory, format: PageTableFormat, regimes: readonly TranslationRegime[]): ReachedTables {
  const geometry = GEOMETRY[format.name];
  const tables: TableImage[] = [];
  const leaves: FoundLeaf[] = [];
  const faulting: FaultingEntry[] = [];
  for (const regime of regimes) {
    if (!(regime.start < regime.end && regime.start >= 0 && regime.end <= TWO_32)) {
      throw new VcmError('EINVAL', `readPageTables: a regime must cover [start, end) inside the 32-bit input space, got [${regime.start}, ${regime.end})`, { param: 'regimes' });
    }
    const walk = (va: number): { r: WalkResult | WalkFault; steps: WalkStep[] } => {
      const steps: WalkStep[] = [];
      return { r: format.walk(memory, regime.config, va, steps), steps };
    };
    // The root: where the walk of the first address starts, and the window its index runs over.
    const first = walk(regime.start);
    const rootStep = first.steps[0];
    if (rootStep === undefined) continue; // the walk through this base is disabled: no table
    const level = rootStep.level;
    const span = geometry.span[level]!;
    const windowStart = regime.fullRoot ? 0 : regime.start;
    const windowEnd = regime.fullRoot ? TWO_32 : regime.end;
    const rootPa = rootStep.entryPa - Math.floor((regime.start - windowStart) / span) * geometry.descriptorBytes;
    visit(level, rootPa, windowStart, Math.ceil((windowEnd - windowStart) / span));

    function visit(lvl: number, pa: number, va: number, entries: number): void {
      const entrySize = geometry.span[lvl]!;
      tables.push({ base: regime.base, level: lvl, pa, va, bytes: memory.read(pa, entries * geometry.descriptorBytes) });
      let last: WalkResult | undefined;
      for (let i = 0; i < entries; i++) {
        const e0 = va + i * entrySize;
        if (e0 + entrySize <= regime.start || e0 >= regime.end) continue;
        const probe = Math.max(e0, regime.start);
        const { r, steps } = walk(probe);
        const k = steps.findIndex((s) => s.level === lvl);
        const next = k < 0 ? undefined : steps[k + 1];
        if (next !== undefined) {
          // A table descriptor: the next level's entry for `probe`, less its index, is the next table.
          const nextSpan = geometry.span[next.level]!;
          visit(next.level, next.entryPa - Math.floor((probe - e0) / nextSpan) * geometry.descriptorBytes, e0, geometry.entries[next.level]!);
          last = undefined;
        } else if (!isWalkFault(r)) {
          // One leaf of 16 entries (a large page, a supersection, a hinted run) is listed once.
          if (last === undefined || last.va !== r.va || last.size !== r.size || last.base !== r.base) leaves.push({ base: regime.base, entrySpan: entrySize, walk: r });
          last = r;
        } else {
          if (r.fault !== 'translation') faulting.push({ base: regime.base, va: probe, fault: r });
          last = undefined;
        }
      }
    }
  }
  return { tables, leaves, faulting };
}

/** Tables that lie back to back in RAM, merged into runs (one loadable image each), by physical address. */
export function tableRuns(tables: readonly TableImage[]): { pa: number; bytes: Uint8Array; tables: number }[] {
  const sorted = [...tables].sort((a, b) => a.pa - b.pa);
  const runs: { pa: number; parts: TableImage[]; end: number }[] = [];
  for (const t of sorted) {
    const run = runs.at(-1);
    if (run !== undefined && t.pa < run.end) {
      // Two bases sharing one table (or overlapping windows of one table): keep the larger view once.
      if (t.pa + t.bytes.length > run.end) {
        run.parts.push(t);
        run.end = t.pa + t.bytes.length;
      }
      continue;
    }
    if (run !== undefined && t.pa === run.end) {
      run.parts.push(t);
      run.end += t.bytes.length;
    } else runs.push({ pa: t.pa, parts: [t], end: t.pa + t.bytes.length });
  }
  return runs.map((r) => {
    const bytes = new Uint8Array(r.end - r.pa);
    for (const p of r.parts) bytes.set(p.bytes, p.pa - r.pa);
    return { pa: r.pa, bytes, tables: r.parts.length };
  });
}
