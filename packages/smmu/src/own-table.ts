/**
 * The seed's own-table address space (seed 000 "IOMMU Hardware Control":
 * `smmu_map`, `smmu_unmap`, `smmu_update_start`, `smmu_update_done`): the
 * page table a virtual context owns and maps page by page itself, which
 * `smmu_activate` loads into TTBR0. It is one more kind of address space a
 * context's TTBR0 can hold; the other kind is a VCM's table, which
 * `@vcm/core` maps through the driver (driver.ts).
 *
 * The table is made on first use with the format of the SMMU the context is
 * bound to (else the one that created it), and freed by `destroy`.
 */
import { VcmError, checkAttr, checkUint, formatSize, hex } from '@vcm/core';
import type { PhysicalMemory } from '@vcm/core';
import { PROT_GLOBAL, PROT_PRIV } from './format.js';
import type { PageTableFormat, TableMemory } from './format.js';
import { protOfAttr } from './prot.js';
import { TranslationTable } from './translation-table.js';

/** Where the own table's memory and format come from (the context's SMMU). */
export interface TableSource {
  readonly format: PageTableFormat;
  readonly memory: PhysicalMemory;
  readonly tableAllocator: TableMemory;
}

export class OwnTable {
  #table: TranslationTable | undefined;
  /** Leaves mapped through `map` and not unmapped: an own table with none may give TTBR0 up to a VCM. */
  #leaves = 0;

  constructor(private readonly source: () => TableSource) {}

  /** The table, if made. */
  get table(): TranslationTable | undefined {
    return this.#table;
  }

  /** No leaf is mapped (a table that is not made is empty too). */
  get isEmpty(): boolean {
    return this.#leaves === 0;
  }

  /** The table, made on first use. */
  ensure(): TranslationTable {
    if (this.#table === undefined) {
      const s = this.source();
      this.#table = new TranslationTable(s.format, s.memory, s.tableAllocator);
    }
    return this.#table;
  }

  /** `smmu_update_start`: open a bracket. Brackets nest. */
  updateStart(): void {
    this.ensure().updateStart();
  }

  /** `smmu_update_done`: close the bracket; every TLB invalidation it needs has completed on return. */
  updateDone(where: string): void {
    // No table yet means no bracket was opened; do not make one just to refuse (docs/rules.md#atomicity).
    if (this.#table === undefined) {
      throw new VcmError('EINVAL', `${where}: no update bracket is open (call updateStart first)`, { param: 'bracket', value: 0, expected: 'an open bracket' });
    }
    this.#table.updateDone(where);
  }

  /**
   * `smmu_map(dev, pa, va, len, attr)`: one page of a size the format
   * supports, both addresses aligned to it; `attr` the `vcm.h` reservation
   * bits (read+write when no access bit is set). Outside a bracket it is
   * its own bracket. A refused first map leaves no table behind.
   */
  map(where: string, pa: number, va: number, len: number, attr: number): void {
    const size = this.#checkPageSize(where, len);
    checkUint(where, 'pa', pa);
    checkUint(where, 'va', va, 0xffffffff);
    this.#checkPageAligned(where, 'pa', pa, size);
    this.#checkPageAligned(where, 'va', va, size);
    const prot = protOfAttr(checkAttr(where, 'attr', attr, 0x3ff | PROT_GLOBAL | PROT_PRIV));
    const created = this.#table === undefined;
    const table = this.ensure();
    table.updateStart();
    try {
      table.mapPage(va, pa, size, prot);
    } catch (e) {
      this.#refused(where, table, created);
      throw e;
    }
    table.updateDone(where);
    this.#leaves++;
  }

  /** `smmu_unmap(dev, va, len)`: exactly one page mapped earlier with that size. */
  unmap(where: string, va: number, len: number): void {
    const size = this.#checkPageSize(where, len);
    checkUint(where, 'va', va, 0xffffffff);
    this.#checkPageAligned(where, 'va', va, size);
    const created = this.#table === undefined;
    const table = this.ensure();
    table.updateStart();
    try {
      table.unmapPage(va, size);
    } catch (e) {
      this.#refused(where, table, created);
      throw e;
    }
    table.updateDone(where);
    this.#leaves--;
  }

  /** Free the table memory (the context is deinitialised). */
  destroy(): void {
    this.#table?.destroy();
    this.#table = undefined;
    this.#leaves = 0;
  }

  /**
   * Close the bracket of a refused change (each change is its own bracket);
   * a table the refused call made is freed again (docs/rules.md#atomicity).
   */
  #refused(where: string, table: TranslationTable, created: boolean): void {
    table.updateDone(where);
    if (created) this.destroy();
  }

  #checkPageSize(where: string, len: unknown): number {
    const sizes = this.source().format.pageSizes;
    if (typeof len !== 'number' || !sizes.includes(len)) {
      throw new VcmError('EINVAL', `${where}: len must be one of the format's page sizes (${sizes.map(formatSize).join(', ')}), got ${typeof len === 'number' ? len : typeof len}`, {
        param: 'len',
        value: typeof len === 'number' ? len : typeof len,
        expected: sizes,
      });
    }
    return len;
  }

  #checkPageAligned(where: string, param: string, value: number, size: number): void {
    if (value % size !== 0) {
      throw new VcmError('EINVAL', `${where}: ${param} must be aligned to the page size ${formatSize(size)}, got ${hex(value)}`, {
        param,
        value,
        expected: `a multiple of ${formatSize(size)}`,
      });
    }
  }
}
