/**
 * `struct physmem`: a physical memory allocation (seed 000, "Physical Memory
 * Allocation and Reservation Backing"). Physical memory is allocated apart
 * from reserving so that several reservations can be backed by the same
 * physmem. Made by `vcmm.physAlloc` (through the `PhysicalAllocator`) or by
 * `vcmm.mapPhysAddr` (a wrapper around an existing contiguous range).
 */
import type { Run } from './address-spaces.js';
import { type Graph, GraphObject } from './graph.js';
import { VcmError } from './errors.js';
import type { PhysAllocation, PhysChunk } from './memory.js';
import type { Reservation } from './reservation.js';

/** @internal Merge chunks that follow each other physically into runs: one map call per run. */
export function toRuns(chunks: readonly PhysChunk[]): Run[] {
  const runs: Run[] = [];
  let offset = 0;
  let cur: { offset: number; pa: number; len: number } | undefined;
  for (const c of chunks) {
    if (cur && cur.pa + cur.len === c.pa) cur.len += c.len;
    else {
      if (cur) runs.push(Object.freeze(cur));
      cur = { offset, pa: c.pa, len: c.len };
    }
    offset += c.len;
  }
  if (cur) runs.push(Object.freeze(cur));
  return runs;
}

function freezeChunks(chunks: readonly PhysChunk[]): readonly PhysChunk[] {
  return Object.freeze(chunks.map((c) => Object.freeze({ pa: c.pa, len: c.len, blockSize: c.blockSize })));
}

/**
 * `struct physmem`: physical memory allocated apart from any reservation
 * (`vcmm.physAlloc`), or an existing contiguous range wrapped for mapping
 * (`vcmm.mapPhysAddr`). Allocating it apart lets several reservations, in one
 * VCM or in many, be backed by the same memory — the shared buffers of
 * docs/rules.md#aliasing. Its chunks are the page-sized pieces the allocator
 * found (max munch: the largest pages first).
 */
export class Physmem extends GraphObject {
  readonly kind = 'physmem' as const;
  /** Allocated bytes (what `vcm_back` compares with the reservation's length); a migration keeps it. */
  readonly len: number;
  /** True for `vcmm.mapPhysAddr` wrappers: freeing releases only the handle. */
  readonly isMapped: boolean;
  /** @internal The memory target; changed only by a migration. */
  _memtype: number;
  /** @internal The physical-allocation attribute; changed only by a migration. */
  _physAttr: number;
  /** @internal Replaced by a migration (docs/migration.md). */
  _allocation: PhysAllocation | undefined;
  /** @internal */
  _chunks: readonly PhysChunk[];
  /** @internal Physically contiguous runs of the chunks. */
  _runs: readonly Run[];
  /** @internal Reservations it backs. */
  readonly _backs = new Set<Reservation>();
  /** @internal `pin()` count: a pinned allocation cannot migrate. */
  _pins = 0;
  /** @internal True while `vcmm.migrate` moves it: its backings and its life wait until the move ends. */
  _moving = false;

  /** Not a constructor to call: use `vcmm.physAlloc` or `vcmm.mapPhysAddr`. */
  constructor(g: Graph, id: number, memtype: number, attr: number, chunks: readonly PhysChunk[], allocation: PhysAllocation | undefined) {
    super(g, id);
    this._memtype = memtype;
    this._physAttr = attr;
    this._allocation = allocation;
    this._chunks = freezeChunks(chunks);
    this._runs = Object.freeze(toRuns(this._chunks));
    this.len = this._chunks.reduce((n, c) => n + c.len, 0);
    this.isMapped = allocation === undefined;
  }

  /** The memory target it came from; `VCM_INVALID` for `mapPhysAddr`. A migration changes it to the target's. */
  get memtype(): number {
    return this._memtype;
  }

  /** The physical-allocation attribute as the allocator applied it. */
  get attr(): number {
    return this._physAttr;
  }

  /** True when the chunks form one physically contiguous range. */
  get isContiguous(): boolean {
    return this._runs.length === 1;
  }

  /** How many `pin()` calls are not yet undone: while above 0, `vcmm.migrate` refuses to move it (`EBUSY`). */
  get pins(): number {
    this._live('physmem.pins');
    return this._pins;
  }

  /**
   * Pin it where it is, for DMA that must not see a stall (Linux's
   * `FOLL_LONGTERM` pin): a count, undone by `unpin()`. A pinned allocation
   * cannot migrate (docs/migration.md#what-cannot-move).
   */
  pin(): void {
    const where = 'physmem.pin';
    this._g.checkAlive(where);
    this._live(where);
    this._pins++;
  }

  /** Undo one `pin()`; `EINVAL` when it is not pinned. */
  unpin(): void {
    const where = 'physmem.unpin';
    this._g.checkAlive(where);
    this._live(where);
    if (this._pins === 0) {
      throw new VcmError('EINVAL', `${where}: ${this.label} is not pinned (pin() first)`, { physmem: this.id, pins: 0 });
    }
    this._pins--;
  }

  /** @internal A migration's commit: the new blocks under the same handle. */
  _rebase(allocation: PhysAllocation): void {
    this._allocation = allocation;
    this._memtype = allocation.memtype;
    this._physAttr = allocation.attr;
    this._chunks = freezeChunks(allocation.chunks);
    this._runs = Object.freeze(toRuns(this._chunks));
  }

  /** The physical chunks in allocation order (`vcm_get_next_phys_addr`). */
  chunks(): readonly PhysChunk[] {
    this._live('physmem.chunks');
    return this._chunks;
  }

  /** The reservations this physmem backs, by id. */
  get reservations(): Reservation[] {
    this._live('physmem.reservations');
    return [...this._backs].sort((a, b) => a.id - b.id);
  }

  /** `vcm_phys_free`: `EBUSY` while it backs a reservation. */
  free(): void {
    const where = 'physmem.free';
    this._g.checkAlive(where);
    this._live(where);
    if (this._moving) {
      throw new VcmError('EBUSY', `${where}: ${this.label} is being migrated; free it after the move`, { physmem: this.id, migrating: true });
    }
    if (this._backs.size > 0) {
      const ids = [...this._backs].map((r) => `#${r.id}`).join(', ');
      throw new VcmError('EBUSY', `${where}: ${this.label} still backs reservation ${ids}; unback first`, {
        physmem: this.id,
        reservations: [...this._backs].map((r) => r.id),
      });
    }
    if (this._allocation) this._g.allocator.free(this._allocation);
    this._g.physmems.delete(this);
    this._dead = 'was freed';
  }

  toJSON(): PhysmemSnapshot {
    return {
      id: this.id,
      memtype: this.memtype,
      len: this.len,
      attr: this.attr,
      contiguous: this.isContiguous,
      mapped: this.isMapped,
      pins: this._pins,
      chunks: this._chunks.map((c) => ({ pa: c.pa, len: c.len })),
      backs: [...this._backs].map((r) => r.id).sort((a, b) => a - b),
    };
  }
}

/** A physical allocation as plain JSON (docs/rules.md#observability): memtype, attribute, its chunks and the reservations it backs. */
export interface PhysmemSnapshot {
  id: number;
  memtype: number;
  len: number;
  attr: number;
  contiguous: boolean;
  mapped: boolean;
  /** `pin()` calls not yet undone. */
  pins: number;
  chunks: Array<{ pa: number; len: number }>;
  backs: number[];
}
