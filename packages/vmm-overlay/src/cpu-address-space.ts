/**
 * The VMM's page tables as core sees them: `AddressSpace`s over the
 * kernel's table (every `VCM_PREBUILT_KERNEL` VCM) and over a process's
 * table (its `VCM_PREBUILT_USER` VCMs). Core maps each backed reservation
 * into them; the mapping is live at once (seed 000: "mappings are active
 * immediately"), so every map and unmap also invalidates the CPU TLB.
 *
 * Kernel mappings: prot = attr | PROT_GLOBAL | PROT_PRIV — global (nG
 * clear: every ASID sees them) and privileged only (AP[1] clear), never
 * VCM_USER. User mappings: prot = attr | VCM_USER, not global, so the TLB
 * tags them with the process's ASID. In both, the attribute's alignment
 * field (placement, not protection) is dropped first (`protOfAttr`).
 */
import { VcmError, VCM_USER, checkLength, checkUint, formatSize, hex } from '@vcm/core';
import type { AddressSpace, TableHold } from '@vcm/core';
import { PROT_GLOBAL, PROT_PRIV, TLB_GLOBAL, protOfAttr } from '@vcm/smmu';
import type { PageTable, Tlb } from '@vcm/smmu';
import { CPU_TLB_BANK, CPU_TLB_SIZES_LOG2 } from './cpu.js';

/** One mapping core made: a backed reservation, or a chunk of one. */
export interface CpuMapping {
  readonly va: number;
  readonly pa: number;
  readonly len: number;
  /** The reservation attributes core passed (`VCM_READ` …, cache policy). */
  readonly attr: number;
  /** What went into the descriptors (attr plus PROT_GLOBAL/PROT_PRIV or VCM_USER). */
  readonly prot: number;
}

/**
 * A VMM page table plus the record of what core mapped into it: one for
 * the kernel, one per process. Several VCMs may share one (two kernel
 * VCMs share the kernel table and the vmalloc allocator that keeps their
 * reservations apart).
 */
export class CpuPageTable {
  readonly label: string;
  /** `TLB_GLOBAL` (`GLOBAL_ASID`, -1) for the kernel table. */
  readonly asid: number;
  private table_: PageTable | undefined;
  private readonly tlb: Tlb;
  private readonly mappings_ = new Map<number, CpuMapping>();

  /** The VMM's table memory, shared by every CPU table: what a migration holds (`holdTables`). */
  readonly #tableMemory: TableHold | undefined;

  constructor(label: string, table: PageTable, tlb: Tlb, asid: number, tableMemory?: TableHold) {
    this.label = label;
    this.table_ = table;
    this.tlb = tlb;
    this.asid = asid;
    this.#tableMemory = tableMemory;
  }

  /** @internal Keep the table memory unmaps empty until `_releaseTables` (`AddressSpace.holdTables`). */
  _holdTables(): void {
    this.#tableMemory?.hold();
  }

  /** @internal */
  _releaseTables(): void {
    this.#tableMemory?.release();
  }

  get kernel(): boolean {
    return this.asid === TLB_GLOBAL;
  }

  /** The table, or `undefined` once its process has exited. */
  get table(): PageTable | undefined {
    return this.table_;
  }

  get pgtblPa(): number | undefined {
    return this.table_?.rootPa;
  }

  /** What core mapped, in address order. */
  mappings(): CpuMapping[] {
    return [...this.mappings_.values()].sort((a, b) => a.va - b.va);
  }

  /** @internal The reservation attribute minus placement bits (the alignment field), plus what kernel or user means. */
  _protOf(attr: number): number {
    const prot = protOfAttr(attr);
    return this.kernel ? ((prot & ~VCM_USER) | PROT_GLOBAL | PROT_PRIV) >>> 0 : ((prot | VCM_USER) & ~(PROT_GLOBAL | PROT_PRIV)) >>> 0;
  }

  /** @internal Through `CpuAddressSpace.map`, which checks the range. */
  _map(where: string, va: number, pa: number, len: number, attr: number): void {
    const table = this.live(where);
    const prot = this._protOf(attr);
    table.mapRange(va, pa, len, prot);
    this.mappings_.set(va, { va, pa, len, attr, prot });
  }

  /** @internal Through `CpuAddressSpace.unmap`. */
  _unmap(where: string, va: number, len: number): void {
    const m = this.mappings_.get(va);
    if (m === undefined || m.len !== len) {
      throw new VcmError(
        'EINVAL',
        `${where}: [${hex(va)}, +${formatSize(len)}) is not a range mapped into the ${this.label} page table` +
          (m === undefined ? '' : ` (the mapping at ${hex(va)} is ${formatSize(m.len)})`),
        { va, len },
      );
    }
    // After its process exited the table is gone with all its mappings; only the record is left to drop.
    this.table_?.unmapRange(va, len);
    this.mappings_.delete(va);
  }

  /**
   * @internal Drop TLB entries this table's change could leave stale: TLBIMVAA for
   * the kernel (every ASID sees its table), TLBIMVA by ASID for a process
   * (that ASID's entries, and any global ones in the range).
   */
  _invalidate(va: number, len: number): void {
    if (this.kernel) this.tlb.invalidateRangeAllContexts(CPU_TLB_BANK, va, len);
    else this.tlb.invalidateRange(CPU_TLB_BANK, this.asid, va, len, CPU_TLB_SIZES_LOG2);
  }

  /** Free the table (process exit): the TLB loses the ASID's entries first. */
  destroy(): void {
    if (this.table_ === undefined) return;
    if (!this.kernel) this.tlb.invalidateContext(CPU_TLB_BANK, this.asid);
    else this.tlb.invalidateAll();
    this.table_.destroy();
    this.table_ = undefined;
  }

  toJSON(): unknown {
    return {
      label: this.label,
      asid: this.kernel ? null : this.asid,
      pgtblPa: this.pgtblPa ?? null,
      tableBytes: this.table_?.tableBytes ?? 0,
      mappings: this.mappings(),
    };
  }

  private live(where: string): PageTable {
    if (this.table_ === undefined) {
      throw new VcmError('ENODEV', `${where}: the ${this.label} page table is gone (its process has exited)`, { table: this.label });
    }
    return this.table_;
  }
}

/**
 * The `AddressSpace` of one prebuilt VCM: checks that core maps only inside
 * the VCM's range (the kernel VCM must never touch the linear map), and
 * brackets TLB invalidation (`updateStart`/`updateDone`): the union of the
 * ranges changed in a bracket is invalidated once when it closes — one scan
 * of the TLB however many chunks were mapped.
 */
export class CpuAddressSpace implements AddressSpace {
  private depth = 0;
  private pendingLo = Infinity;
  private pendingHi = -Infinity;
  private destroyed = false;

  constructor(
    readonly owner: CpuPageTable,
    readonly startAddr: number,
    readonly len: number,
  ) {}

  get pgtblPa(): number | undefined {
    return this.owner.pgtblPa;
  }

  updateStart(): void {
    this.depth++;
  }

  updateDone(): void {
    if (this.depth === 0) {
      throw new VcmError('EINVAL', `${this.owner.label} address space: updateDone without updateStart`, {});
    }
    if (--this.depth === 0) this.flush();
  }

  map(va: number, pa: number, len: number, attr: number): void {
    const where = `${this.owner.label} address space map`;
    this.checkRange(where, va, len);
    checkUint(where, 'pa', pa);
    this.owner._map(where, va, pa, len, attr);
    this.pend(va, len);
  }

  unmap(va: number, len: number): void {
    const where = `${this.owner.label} address space unmap`;
    this.checkRange(where, va, len);
    this.owner._unmap(where, va, len);
    this.pend(va, len);
  }

  translate(va: number): number | undefined {
    return this.owner.table?.walk(va)?.pa;
  }

  /** A migration keeps the tables its unmaps empty until it ends, so a rollback rebuilds the old mappings in them. */
  holdTables(): void {
    this.owner._holdTables();
  }

  releaseTables(): void {
    this.owner._releaseTables();
  }

  /**
   * The table belongs to the VMM (the kernel's) or to a process and
   * outlives this VCM: nothing to free here. A process's table is freed by
   * `process.exit()`.
   */
  destroy(): void {
    this.destroyed = true;
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  toJSON(): unknown {
    return {
      table: this.owner.label,
      pgtblPa: this.pgtblPa ?? null,
      startAddr: this.startAddr,
      len: this.len,
      mappings: this.owner.mappings().filter((m) => m.va >= this.startAddr && m.va < this.startAddr + this.len),
    };
  }

  private checkRange(where: string, va: number, len: number): void {
    checkUint(where, 'va', va);
    checkLength(where, 'len', len);
    if (va < this.startAddr || va + len > this.startAddr + this.len) {
      throw new VcmError(
        'EINVAL',
        `${where}: [${hex(va)}, ${hex(va + len)}) is outside the VCM's range [${hex(this.startAddr)}, ${hex(this.startAddr + this.len)})`,
        { va, len, startAddr: this.startAddr, vcmLen: this.len },
      );
    }
  }

  private pend(va: number, len: number): void {
    if (va < this.pendingLo) this.pendingLo = va;
    if (va + len > this.pendingHi) this.pendingHi = va + len;
    if (this.depth === 0) this.flush();
  }

  private flush(): void {
    if (this.pendingHi > this.pendingLo) this.owner._invalidate(this.pendingLo, this.pendingHi - this.pendingLo);
    this.pendingLo = Infinity;
    this.pendingHi = -Infinity;
  }
}
