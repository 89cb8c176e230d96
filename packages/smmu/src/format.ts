/**
 * A page-table format is a value: a small table of operations over
 * descriptors held in `PhysicalMemory`, in the shape of Linux's io-pgtable
 * (`io_pgtable_ops`: map, unmap, iova_to_phys). Drivers call the format;
 * nothing outside the format knows the descriptor bits.
 */
import type { PhysicalMemory } from '@vcm/core';

/** Where a table's memory comes from: `PhysicalAllocator.allocateTable/freeTable`. */
export interface TableMemory {
  allocateTable(size: number, align: number): number;
  freeTable(pa: number, size: number): void;
}

/**
 * Extra protection bits beyond the `vcm.h` reservation attributes
 * (`VCM_READ`, `VCM_WRITE`, `VCM_EXECUTE`, `VCM_USER`, `VCM_SUPERVISOR`,
 * `VCM_SECURE`, cache policy), which `prot` otherwise is. They sit above
 * every header bit.
 */
/** A global (not per-ASID) mapping: nG clear. CPU kernel mappings use it; IOMMU mappings do not. */
export const PROT_GLOBAL = 1 << 24;
/** Privileged only: AP[1] (short) / AP[1] (LPAE bit 6) clear. Set by the CPU for kernel mappings. */
export const PROT_PRIV = 1 << 25;

/** What a walk found for one address. */
export interface WalkResult {
  /** The translated physical address of the byte asked for. */
  readonly pa: number;
  /** The virtual base and size of the leaf entry (a 4 KiB page, a 64 KiB large page, a section …). */
  readonly va: number;
  readonly size: number;
  /** The leaf's output base. */
  readonly base: number;
  /** `prot` decoded back from the descriptor bits. */
  readonly prot: number;
  /** Decoded permission facts for the permission check. */
  readonly readable: boolean;
  readonly writable: boolean;
  readonly executable: boolean;
  readonly user: boolean;
  /** Access flag (AF / AP[0]) set. */
  readonly accessFlag: boolean;
  /** The leaf descriptor: the low 32 bits (short format: the whole descriptor). */
  readonly descriptor: number;
  /** LPAE only: the high 32 bits of the leaf descriptor. */
  readonly descriptorHigh: number;
  /** Level of the leaf (short: 1 or 2; LPAE: 1, 2 or 3). */
  readonly level: number;
}

/** A valid leaf, for dumps (`ctx.dumpTables()`). */
export interface LeafEntry {
  readonly va: number;
  readonly size: number;
  readonly pa: number;
  readonly prot: number;
  readonly level: number;
  readonly descriptor: number;
  readonly descriptorHigh: number;
}

export interface PageTableOptions {
  /**
   * TTBCR.N for a table that TTBR0 points at when a split is used: the
   * table covers only 2^(32-N) bytes (short format: 16 KiB >> N long).
   * 0 (default): the whole 32-bit space.
   */
  readonly split?: number;
}

/** One live page table in RAM. */
export interface PageTable {
  readonly format: PageTableFormat;
  /** Physical address of the first-level table (what goes into TTBR). */
  readonly rootPa: number;
  /** The input range this table translates: [0, 2^(32-split)). */
  readonly inputSize: number;
  /**
   * Map one page of a size in `format.pageSizes`; va and pa aligned to it.
   * Mapping over an existing leaf (or over a table where a block would go)
   * is `EBUSY` naming the clash. Atomic.
   */
  map(va: number, pa: number, size: number, prot: number): void;
  /** Unmap one leaf exactly (`size` equal to the leaf's); a partial unmap of a larger leaf is `EINVAL`. Frees emptied level-2/3 tables. */
  unmap(va: number, size: number): void;
  /**
   * Map [va, va+len) → [pa, pa+len) choosing at each step the largest page
   * size allowed by the alignment of both addresses and the remaining
   * length; writes in bulk through `PhysicalMemory.pageWords`. Atomic: a
   * clash anywhere leaves every table word as it was.
   */
  mapRange(va: number, pa: number, len: number, prot: number): void;
  /** Unmap a range made of whole leaves. Atomic. */
  unmapRange(va: number, len: number): void;
  /** The hardware walk: reads descriptors from RAM. `undefined` when the address is unmapped. */
  walk(va: number): WalkResult | undefined;
  /** Every valid leaf in address order. */
  leaves(): Iterable<LeafEntry>;
  /** Bytes of table memory this table holds (level-1 plus every live lower-level table). */
  readonly tableBytes: number;
  /** Free every table (the caller unmapped what it cares about; leftover leaves are simply dropped). */
  destroy(): void;
}

export interface PageTableFormat {
  readonly name: 'armV7Short' | 'armLpae4k';
  /** Supported page sizes, ascending. */
  readonly pageSizes: readonly number[];
  /** Create an empty table in `memory`, its pages from `tables`. */
  create(memory: PhysicalMemory, tables: TableMemory, options?: PageTableOptions): PageTable;
}
