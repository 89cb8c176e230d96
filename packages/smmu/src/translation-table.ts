/**
 * A page table as the SMMU sees it: the format's `PageTable` in RAM, the
 * context banks whose TTBR0 or TTBR1 currently point at it, and the update
 * bracket (`smmu_update_start`/`smmu_update_done`, seed 000 "Mapping") that
 * batches the TLB invalidations its changes need.
 *
 * Strict by default (docs/hardware.md#translation-caches): a change made
 * outside a bracket is its own bracket, so its invalidation has completed
 * when the call returns; inside a bracket the invalidations are recorded by
 * address and completed, by address and context id, in every SMMU's TLB
 * that has the table live, when the outermost bracket closes.
 *
 * Only removals are recorded: the TLB caches successful walks only (no
 * negative entries), so mapping an address that was unmapped cannot leave a
 * stale translation; the unmap that made it unmapped recorded (or already
 * completed) its own invalidation.
 *
 * Table memory an unmap frees inside a bracket is held until the bracket's
 * invalidations have completed, then given back: until then a walk cache may
 * still point at the freed table, and a table reused for another range would
 * be walked through that pointer (docs/hardware.md#translation-caches).
 * Linux's io-pgtable-arm, for the same reason, flushes the walk caches over
 * a table's range (`io_pgtable_tlb_flush_walk`) before it frees the table
 * (drivers/iommu/io-pgtable-arm.c, `__arm_lpae_unmap`).
 */
import { VcmError } from '@vcm/core';
import type { PhysicalMemory } from '@vcm/core';
import type { PageTable, PageTableFormat, PageTableOptions, TableMemory } from './format.js';
import type { ContextBank } from './context-bank.js';

/** log2 of each page size of a format, ascending (what the TLB probes). */
export function sizesLog2Of(format: PageTableFormat): number[] {
  const sizes = typeof format === 'object' && format !== null ? (format as { pageSizes?: unknown }).pageSizes : undefined;
  if (!Array.isArray(sizes) || !sizes.every((s) => typeof s === 'number' && s > 0 && (s & (s - 1)) === 0)) {
    throw new VcmError('EINVAL', `sizesLog2Of: format must be a PageTableFormat (armV7Short or armLpae4k), got ${format === null ? 'null' : typeof format}`, { param: 'format' });
  }
  return (sizes as number[]).map((s) => 31 - Math.clz32(s));
}

/**
 * The table memory a `TranslationTable`'s format allocates from: frees are
 * held while `holding()` says so (a bracket is open) and given back by
 * `release`.
 */
class HeldTableMemory implements TableMemory {
  /** Freed while holding: pa, size pairs. */
  private readonly held: number[] = [];
  /** The bulk allocation, when the memory under it has one (the formats use it only when present). */
  readonly allocateTables?: (size: number, align: number, count: number) => number[];

  constructor(
    private readonly inner: TableMemory,
    private readonly holding: () => boolean,
  ) {
    if (typeof inner.allocateTables === 'function') this.allocateTables = (size, align, count) => inner.allocateTables!(size, align, count);
  }

  allocateTable(size: number, align: number): number {
    return this.inner.allocateTable(size, align);
  }

  freeTable(pa: number, size: number): void {
    if (this.holding()) this.held.push(pa, size);
    else this.inner.freeTable(pa, size);
  }

  /** Give back every table held. */
  release(): void {
    const h = this.held;
    if (h.length === 0) return;
    for (let i = 0; i < h.length; i += 2) this.inner.freeTable(h[i]!, h[i + 1]!);
    h.length = 0;
  }
}

/**
 * A page table as the SMMU uses it: the format's table in RAM, the context
 * banks whose TTBR0 or TTBR1 point at it, and the update bracket
 * (`smmu_update_start`/`smmu_update_done`) that batches the TLB invalidations
 * its changes need. Outside a bracket each change is invalidated before the
 * call returns (docs/hardware.md#translation-caches).
 */
export class TranslationTable {
  readonly format: PageTableFormat;
  /** Banks whose TTBR0/TTBR1 hold this table now. */
  readonly users = new Set<ContextBank>();
  private depth = 0;
  /** Pending invalidations: va, len pairs; `pendingLength` numbers of it are live (no array truncation per flush). */
  private readonly pending: number[] = [];
  private pendingLength = 0;
  private destroyed = false;
  readonly table: PageTable;
  /** The RAM the table lives in (tables are shared only among SMMUs over the same memory). */
  readonly memory: PhysicalMemory;
  private readonly tables: HeldTableMemory;

  /** A new page table of `format` in `memory`, its table memory from `tables`. */
  constructor(format: PageTableFormat, memory: PhysicalMemory, tables: TableMemory, options?: PageTableOptions) {
    // Inside a bracket frees wait for its invalidations.
    this.tables = new HeldTableMemory(tables, () => this.depth > 0);
    this.table = format.create(memory, this.tables, options);
    this.memory = memory;
    this.format = format;
  }

  get rootPa(): number {
    return this.table.rootPa;
  }

  get bracketDepth(): number {
    return this.depth;
  }

  updateStart(): void {
    this.depth++;
  }

  /** Close a bracket; the outermost one completes every recorded invalidation. */
  updateDone(where: string): void {
    if (this.depth === 0) {
      throw new VcmError('EINVAL', `${where}: no update bracket is open (call updateStart first)`, { param: 'bracket', value: 0, expected: 'an open bracket' });
    }
    this.depth--;
    if (this.depth === 0) this.close();
  }

  /** Map one page (the seed's smmu_map). */
  mapPage(va: number, pa: number, size: number, prot: number): void {
    this.table.map(va, pa, size, prot);
  }

  /** Map a range with the largest pages alignment allows (core's `back`). */
  mapRange(va: number, pa: number, len: number, prot: number): void {
    this.table.mapRange(va, pa, len, prot);
  }

  /** Unmap one leaf; what the TLBs may hold for it is invalidated (a whole contiguous run when its hint was broken). */
  unmapPage(va: number, size: number): void {
    const gone = this.table.unmap(va, size);
    this.invalidate(gone.va, gone.len);
  }

  unmapRange(va: number, len: number): void {
    const gone = this.table.unmapRange(va, len);
    this.invalidate(gone.va, gone.len);
  }

  /** Record (inside a bracket) or complete (outside) the invalidation of [va, va+len). */
  invalidate(va: number, len: number): void {
    if (this.users.size === 0 && this.depth === 0) return;
    const p = this.pending;
    // Coalesce with the previous range when adjacent: a bracket of consecutive unmaps stays one range.
    const n = this.pendingLength;
    if (n >= 2 && p[n - 2]! + p[n - 1]! === va) {
      p[n - 1] = p[n - 1]! + len;
    } else {
      p[n] = va;
      p[n + 1] = len;
      this.pendingLength = n + 2;
    }
    if (this.depth === 0) this.flush();
  }

  private flush(): void {
    const p = this.pending;
    const n = this.pendingLength;
    if (n === 0) return;
    for (const bank of this.users) {
      // Every cache of the SMMU: its TLBs (micro and main) and its walk cache.
      const caches = bank.smmu.caches;
      const contextId = bank.contextId;
      // The SMMU's entry sizes: the format's page sizes and any contiguous run its walks produced.
      const sizes = bank.smmu.sizesLog2;
      for (let i = 0; i < n; i += 2) caches.invalidateRange(bank.index, contextId, p[i]!, p[i + 1]!, sizes);
    }
    this.pendingLength = 0;
  }

  /** The outermost bracket closed: its invalidations, then the table memory its unmaps freed. */
  private close(): void {
    this.flush();
    this.tables.release();
  }

  /** Free the table memory (after the owner unmapped what it cares about). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.table.destroy();
    // Nothing walks a destroyed table: what a bracket still held goes back too.
    this.tables.release();
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }
}
