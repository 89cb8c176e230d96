/**
 * A page-table format is a value: a small table of operations over
 * descriptors held in `PhysicalMemory`, in the shape of Linux's io-pgtable
 * (`io_pgtable_ops`: map, unmap, iova_to_phys). Drivers call the format;
 * nothing outside the format knows the descriptor bits.
 */
import { VcmError } from '@vcm/core';
import type { PhysicalMemory } from '@vcm/core';
import type { WalkPath } from './walk-path.js';

/** Where a table's memory comes from: `PhysicalAllocator.allocateTable/freeTable`. */
export interface TableMemory {
  allocateTable(size: number, align: number): number;
  freeTable(pa: number, size: number): void;
  /**
   * Optional: `count` tables at once, at the addresses `count` calls of
   * `allocateTable` would give, in that order, all or nothing. A bulk map
   * uses it when present (`PhysAllocator` has it).
   */
  allocateTables?(size: number, align: number, count: number): number[];
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

/** What a walk found for one address (a leaf). */
export interface WalkResult {
  /** The translated physical address of the byte asked for. */
  readonly pa: number;
  /**
   * The virtual base and size of what a TLB may hold for this leaf: the
   * leaf entry (a 4 KiB page, a 64 KiB large page, a section …), or for an
   * LPAE entry with the contiguous hint the whole 16-entry run (64 KiB of
   * pages, 32 MiB of 2 MiB blocks).
   */
  readonly va: number;
  readonly size: number;
  /** The output base of that range (`pa - (va_asked - va)`). */
  readonly base: number;
  /** `prot` decoded back from the descriptor bits. */
  readonly prot: number;
  /** Decoded permission facts for the permission check (made by the caller, not the format). */
  readonly readable: boolean;
  readonly writable: boolean;
  /** Not XN: executable (at any privilege unless `privilegedExecutable` says otherwise). */
  readonly executable: boolean;
  /** Not XN and not PXN: executable at PL1. */
  readonly privilegedExecutable: boolean;
  /** Unprivileged (PL0) access allowed: AP[1]. */
  readonly user: boolean;
  /** Access flag (AF / AP[0]) set. */
  readonly accessFlag: boolean;
  /** The output address space: true for Non-secure (NS = 1, or NSTable = 1 above the leaf). */
  readonly nonSecure: boolean;
  /** Short format: the domain the leaf belongs to (section / level-1 table descriptor [8:5]; supersections 0). LPAE: 0. */
  readonly domain: number;
  /** The leaf descriptor: the low 32 bits (short format: the whole descriptor). */
  readonly descriptor: number;
  /** LPAE only: the high 32 bits of the leaf descriptor. */
  readonly descriptorHigh: number;
  /** Level of the leaf (short: 1 or 2; LPAE: 1, 2 or 3). */
  readonly level: number;
  /** Where the leaf descriptor was read. */
  readonly entryPa: number;
}

/**
 * What the translation registers say, decoded (QEMU keeps its
 * `SMMUTransCfg` apart from the raw registers the same way). Made by
 * `PageTableFormat.decodeConfig`; a `WalkConfig` is only ever one the
 * format accepted.
 */
export interface WalkConfig {
  /** Table base PA from TTBR0 (the base-address field only; up to 40 bits). */
  readonly ttbr0: number;
  /** Table base PA from TTBR1. */
  readonly ttbr1: number;
  /** Short: TTBCR.N; LPAE: TTBCR.T0SZ. 0..7. */
  readonly t0sz: number;
  /** LPAE: TTBCR.T1SZ (0..7); short: 0 (TTBR1 always indexes VA[31:20]). */
  readonly t1sz: number;
  /** Short: TTBCR.PD0; LPAE: TTBCR.EPD0. A walk through TTBR0 is disabled (translation fault, level 1). */
  readonly epd0: boolean;
  /** Short: TTBCR.PD1; LPAE: TTBCR.EPD1. */
  readonly epd1: boolean;
  /** Short only: SCTLR.AFE, AP[0] is an access flag (LPAE always has AF). */
  readonly afe: boolean;
  /** The walker is Non-secure: a secure mapping (NS = 0) is a translation fault for it (docs/attributes.md#secure). */
  readonly nonSecure: boolean;
}

/** The raw register words `decodeConfig` reads. */
export interface TranslationRegisters {
  /** TTBCR (short: N [2:0], PD0 4, PD1 5, EAE 31 = 0; LPAE: T0SZ [2:0], EPD0 7, T1SZ [18:16], EPD1 23, EAE 31 = 1, plus walk attributes). */
  readonly ttbcr: number;
  /** TTBR0, low word (short: the whole register; its walk-attribute bits below the base are ignored). */
  readonly ttbr0: number;
  /** LPAE: TTBR0 bits [63:32] (BADDR[39:32] in [7:0], ASID in [23:16]). Short: absent or 0. */
  readonly ttbr0High?: number;
  readonly ttbr1: number;
  readonly ttbr1High?: number;
  /** SCTLR: only AFE (bit 29) matters to the walk, and only in the short format. Default 0. */
  readonly sctlr?: number;
}

/** One level of a walk: the entry's physical address and the descriptor read there. */
export interface WalkStep {
  readonly level: number;
  readonly entryPa: number;
  readonly descriptor: number;
  /** LPAE: the high word; short: 0. */
  readonly descriptorHigh: number;
}

/**
 * Fault kinds. The format raises 'translation', 'access-flag' and
 * 'address-size'; 'permission' is raised by the caller, which compares the
 * access with the leaf's decoded permissions.
 */
export type WalkFaultKind = 'translation' | 'access-flag' | 'permission' | 'address-size';

/** A walk that ended in a fault, as data. */
export interface WalkFault {
  readonly fault: WalkFaultKind;
  /** The lookup level that faulted (1 when no descriptor was read: the address is in neither TTBR's range, or that walk is disabled). */
  readonly level: number;
  /** Where the faulting descriptor was read; -1 when none was read. */
  readonly entryPa: number;
  readonly descriptor: number;
  readonly descriptorHigh: number;
}

/** Narrow a walk's outcome (`EINVAL` for anything that is not one). */
export function isWalkFault(r: WalkResult | WalkFault): r is WalkFault {
  if (typeof r !== 'object' || r === null) {
    throw new VcmError('EINVAL', `isWalkFault: r must be what format.walk returned (a WalkResult or a WalkFault), got ${r === null ? 'null' : typeof r}`, { param: 'r' });
  }
  return (r as Partial<WalkFault>).fault !== undefined;
}

/** What an unmap removed or rewrote: the input range whose TLB entries must go (io-pgtable's gather). */
export interface Invalidation {
  readonly va: number;
  readonly len: number;
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

/** How a new page table is shaped: the split it is walked under and which base register walks it. */
export interface PageTableOptions {
  /**
   * The split N (short: TTBCR.N; LPAE: TTBCR.T0SZ, with T1SZ = 0) the
   * table is walked under. 0 (default): the whole 32-bit space through
   * TTBR0.
   */
  readonly split?: number;
  /**
   * Which base register the table is for. 0 (default): the TTBR0 table,
   * covering [0, 2^(32-N)) (short: 16 KiB >> N long; LPAE with N ≥ 2: a
   * level-2 root). 1: the TTBR1 table, covering [2^(32-N), 2^32) and
   * walked from level 1 (needs N ≥ 1).
   */
  readonly ttbr?: 0 | 1;
  /**
   * LPAE only: the output address size in bits (io-pgtable's `oas`): 32, 36
   * or 40 (default). A physical address at or above 2^oas is refused.
   */
  readonly outputBits?: number;
}

/** One live page table in RAM. */
export interface PageTable {
  readonly format: PageTableFormat;
  /** Physical address of the first-level table (what goes into TTBR). */
  readonly rootPa: number;
  /** The input range this table translates: [inputBase, inputBase + inputSize). */
  readonly inputBase: number;
  readonly inputSize: number;
  /** The registers' view of this table alone (its TTBR the root, the other walk disabled), for `walk(va)`. */
  readonly walkConfig: WalkConfig;
  /**
   * Map one page of a size in `format.pageSizes`; va and pa aligned to it.
   * Mapping over an existing leaf (or over a table where a block would go)
   * is `EBUSY` naming the clash. Atomic.
   */
  map(va: number, pa: number, size: number, prot: number): void;
  /**
   * Unmap one leaf exactly (`size` equal to the leaf's); a partial unmap of
   * a larger leaf is `EINVAL`. A page or block inside an LPAE contiguous
   * run may go alone: the run is first rewritten without the hint
   * (break-before-make). Frees emptied level-2/3 tables. Returns the range
   * to invalidate (the whole run when a hint was broken).
   */
  unmap(va: number, size: number): Invalidation;
  /**
   * Map [va, va+len) → [pa, pa+len) choosing at each step the largest page
   * size allowed by the alignment of both addresses and the remaining
   * length; writes in bulk through `PhysicalMemory.pageWords`. Atomic: a
   * clash anywhere leaves every table word as it was.
   */
  mapRange(va: number, pa: number, len: number, prot: number): void;
  /** Unmap a range made of whole leaves (contiguous runs may be cut, as for `unmap`). Atomic. Returns the range to invalidate. */
  unmapRange(va: number, len: number): Invalidation;
  /** `format.walk` through `walkConfig` (a secure walker): the leaf, or `undefined` on any fault. */
  walk(va: number): WalkResult | undefined;
  /** Every valid leaf in address order. */
  leaves(): Iterable<LeafEntry>;
  /** Bytes of table memory this table holds (level-1 plus every live lower-level table). */
  readonly tableBytes: number;
  /** Free every table (the caller unmapped what it cares about; leftover leaves are simply dropped). */
  destroy(): void;
}

/**
 * A page-table format as a value, in the shape of Linux's io-pgtable
 * (`io_pgtable_ops`: map, unmap, iova_to_phys): `armV7Short` (ARMv7
 * short-descriptor) and `armLpae4k` (LPAE, 4 KiB granule). Drivers call the
 * format; nothing outside it knows the descriptor bits
 * (docs/hardware.md#page-table-formats).
 */
export interface PageTableFormat {
  readonly name: 'armV7Short' | 'armLpae4k';
  /** Supported page sizes, ascending. */
  readonly pageSizes: readonly number[];
  /** Create an empty table in `memory`, its pages from `tables`. */
  create(memory: PhysicalMemory, tables: TableMemory, options?: PageTableOptions): PageTable;
  /**
   * Decode raw register words into a `WalkConfig`; `EINVAL` naming the
   * field for what this format cannot express (the other format's
   * TTBCR.EAE, a base not aligned as the split needs, address bits above
   * 40, should-be-zero bits set).
   */
  decodeConfig(regs: TranslationRegisters, nonSecure?: boolean): WalkConfig;
  /**
   * The hardware walk from registers: selects TTBR0 or TTBR1 by the split,
   * reads descriptors from `memory`, and returns the leaf or a fault as
   * data. With `trace`, pushes one `WalkStep` per descriptor read. Without
   * it, the only allocation is the returned object. With `from` (a
   * `WalkPath`), the walk starts where `from` says — below the top level,
   * at a table a walk cache remembered — still reading every remaining
   * descriptor from RAM, and reports in `from` the descriptors it read and
   * the table descriptors it followed (docs/hardware.md#translation-caches).
   */
  walk(memory: PhysicalMemory, config: WalkConfig, va: number, trace?: WalkStep[], from?: WalkPath): WalkResult | WalkFault;
}
