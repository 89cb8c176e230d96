/**
 * What the explorer shows of a platform after one step, as plain data: the
 * mapping graph (core's snapshot), every context's registers and tables, the
 * CPU's mappings found by walking its registers, the translation caches and
 * physical memory. Taken from the live platform by `captureState` after each
 * step, so stepping back is reading an older capture, and "what changed" is
 * a comparison of two captures.
 */
import type { VcmmSnapshot } from '@vcm/core';
import type { BlockPoolStats, ContiguousPoolStats, MemtypeStats } from '@vcm/physalloc';
import type { PageTableDump } from '@vcm/scenario';
import type { TlbEntry, TlbStats } from '@vcm/smmu';

/**
 * A device's page tables as `@vcm/scenario`'s `dumpPageTables` gives them
 * (registers raw and decoded, ptdump ranges labelled with buffers, every
 * leaf and every table), each table kept as where it lies and its size:
 * the explorer shows no table's bytes, and a capture per step stays small.
 */
export type TablesDump = Omit<PageTableDump, 'tables' | 'oracle'> & {
  readonly tables: readonly { readonly base: 'TTBR0' | 'TTBR1'; readonly level: number; readonly pa: number; readonly va: number; readonly bytes: number }[];
};

export interface ContextState {
  readonly name: string;
  readonly smmu: string;
  readonly format: string;
  readonly active: boolean;
  /** An active context's tables as its registers reach them; undefined while it is not active (the hardware walks nothing). */
  readonly dump: TablesDump | undefined;
}

export interface CpuState {
  readonly name: string;
  readonly format: string;
  /** The CPU's tables from TTBR0 (the current process) and TTBR1 (the kernel). */
  readonly dump: TablesDump;
}

/** One cache's counters (lookups = hits + misses) and how full it is. */
export interface CacheCounters {
  readonly name: string;
  readonly capacity: number;
  readonly entries: number;
  readonly lookups: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
}

/** A translation cache: the TLB the seeds' SMMU has, or the CPU's. */
export interface TlbState {
  readonly name: string;
  readonly stats: TlbStats;
  readonly entries: readonly TlbEntry[];
  /**
   * Every cache of an SMMU's hierarchy (docs/hardware.md#translation-caches):
   * each bank's micro-TLB, the main TLB, the walk cache; what is off is not
   * listed. The CPU has its TLB only.
   */
  readonly caches: readonly CacheCounters[];
  /** The SMMU's PMCG events (cycles, transactions, TLB misses, walk reads); null for the CPU. */
  readonly events: Readonly<Record<string, number>> | null;
}

export interface BankState {
  readonly name: string;
  readonly base: number;
  readonly size: number;
}

export interface PhysState {
  readonly banks: readonly BankState[];
  readonly pools: readonly BlockPoolStats[];
  readonly contiguous: readonly ContiguousPoolStats[];
  /** The page-table region. */
  readonly tables: ContiguousPoolStats;
  readonly memtypes: readonly MemtypeStats[];
}

/** A device of the board the graph can name: an SMMU context, the CPU, a direct-mapped device. */
export interface DeviceState {
  readonly name: string;
  readonly kind: 'context' | 'cpu' | 'direct';
  readonly smmu: string | null;
}

export interface StepState {
  readonly graph: VcmmSnapshot;
  readonly devices: readonly DeviceState[];
  readonly contexts: readonly ContextState[];
  readonly cpu: CpuState | undefined;
  readonly tlbs: readonly TlbState[];
  readonly phys: PhysState;
}
