/**
 * Page-table memory a rewrite can hold on to. A migration breaks every
 * mapping of a buffer before it makes the new ones (break-before-make,
 * docs/migration.md#break-before-make), and an unmap frees the level-2
 * tables it empties at once. Given back to the table allocator, they could
 * not be had back: it places a table at the lowest free address that fits,
 * so a rollback that maps the old backing again could find its tables
 * elsewhere, and the state would differ from before the failed call
 * (docs/rules.md#atomicity).
 *
 * While held, freed tables are kept here instead, and a table of the same
 * size is served from them before the allocator is asked. Tables that were
 * allocated before the hold began are served first, so a rollback rebuilds
 * the old mapping in the very memory it left, and the tables made during the
 * hold are the ones given back when it ends. The idea is Linux's
 * `iommu_iotlb_gather` freelist (drivers/iommu/io-pgtable-arm.c), which also
 * keeps emptied tables until the invalidation that makes them unreachable
 * has completed.
 */
import { VcmError, hex } from './errors.js';
import type { PhysicalAllocator, PhysicalMemory } from './memory.js';
import { checkUint } from './validate.js';

/** Where page-table memory comes from: `PhysicalAllocator.allocateTable/freeTable`. */
export type TableSource = Pick<PhysicalAllocator, 'allocateTable' | 'freeTable'>;

/**
 * Table memory with a hold (`createTableHold`): it passes every call to its
 * source, except that between `hold()` and the matching `release()` freed
 * tables are kept for reuse and given back to the source only at the end.
 */
export interface TableHold extends TableSource {
  /** Start holding (holds nest; the outermost `release` ends them). */
  hold(): void;
  /** End one hold; the last one gives every table still kept back to the source. */
  release(): void;
  /** True between the first `hold()` and the last `release()`. */
  readonly isHeld: boolean;
  /** Bytes of table memory kept right now (freed during the hold, not yet reused). */
  readonly keptBytes: number;
}

interface Kept {
  readonly pa: number;
  readonly size: number;
  /** Allocated before the hold began: served first, so a rollback gets its own tables back. */
  readonly original: boolean;
}

class HeldTables implements TableHold {
  readonly #source: TableSource;
  readonly #memory: PhysicalMemory;
  #depth = 0;
  #kept: Kept[] = [];
  /** Tables taken from the source during the hold. */
  readonly #fresh = new Set<number>();

  constructor(source: TableSource, memory: PhysicalMemory) {
    this.#source = source;
    this.#memory = memory;
  }

  get isHeld(): boolean {
    return this.#depth > 0;
  }

  get keptBytes(): number {
    return this.#kept.reduce((n, k) => n + k.size, 0);
  }

  hold(): void {
    this.#depth++;
  }

  release(): void {
    if (this.#depth === 0) {
      throw new VcmError('EINVAL', 'tableHold.release: the tables are not held (call hold first)', { param: 'hold', value: 0, expected: 'a hold' });
    }
    if (--this.#depth > 0) return;
    const kept = this.#kept;
    this.#kept = [];
    this.#fresh.clear();
    for (const k of kept) this.#source.freeTable(k.pa, k.size);
  }

  allocateTable(size: number, align: number): number {
    if (this.#depth > 0) {
      let pick = -1;
      for (let i = this.#kept.length - 1; i >= 0; i--) {
        const k = this.#kept[i] as Kept;
        if (k.size !== size || k.pa % align !== 0) continue;
        pick = i;
        if (k.original) break;
      }
      if (pick >= 0) {
        const k = this.#kept[pick] as Kept;
        this.#kept.splice(pick, 1);
        // The contract of allocateTable: a fresh table is zero-filled (an all-zero descriptor is invalid in both formats).
        this.#memory.fill(k.pa, k.size, 0);
        return k.pa;
      }
    }
    const pa = this.#source.allocateTable(size, align);
    if (this.#depth > 0) this.#fresh.add(pa);
    return pa;
  }

  freeTable(pa: number, size: number): void {
    if (this.#depth === 0) {
      this.#source.freeTable(pa, size);
      return;
    }
    checkUint('tableHold.freeTable', 'pa', pa);
    checkUint('tableHold.freeTable', 'size', size);
    if (this.#kept.some((k) => k.pa === pa)) {
      throw new VcmError('EINVAL', `tableHold.freeTable: the table at ${hex(pa)} is already free (double free)`, { param: 'pa', value: pa });
    }
    this.#kept.push({ pa, size, original: !this.#fresh.has(pa) });
  }
}

function isTableSource(v: unknown): v is TableSource {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Partial<TableSource>;
  return typeof t.allocateTable === 'function' && typeof t.freeTable === 'function';
}

/**
 * Table memory over `source` (a `PhysicalAllocator`) that a page-table owner
 * hands its formats, so that a migration can hold the tables its unmaps
 * empty (`AddressSpace.holdTables`). `memory` is the RAM the tables live in
 * (a reused table is zero-filled there).
 */
export function createTableHold(source: TableSource, memory: PhysicalMemory): TableHold {
  if (!isTableSource(source)) {
    throw new VcmError('EINVAL', 'createTableHold: source must have allocateTable and freeTable (a PhysicalAllocator qualifies)', {
      param: 'source',
      expected: '{ allocateTable, freeTable }',
    });
  }
  if (typeof memory !== 'object' || memory === null || typeof (memory as Partial<PhysicalMemory>).fill !== 'function') {
    throw new VcmError('EINVAL', 'createTableHold: memory must be a PhysicalMemory (the RAM the tables live in)', { param: 'memory', expected: 'PhysicalMemory' });
  }
  return new HeldTables(source, memory);
}
