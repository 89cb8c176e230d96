/**
 * `struct bound`: a boundary inside a VCM to reserve from (`vcm_create_bound`,
 * `vcm_reserve_from_bound`). The allocator picks its addresses; it is a
 * nested range: its own `RangeAllocator` over a range taken from the VCM's,
 * so reservations made from the VCM never land inside it and reservations
 * made from it never leave it.
 */
import { VcmError } from './errors.js';
import { type Graph, GraphObject } from './graph.js';
import type { RangeAllocator } from './range-allocator.js';
import type { Reservation } from './reservation.js';
import type { Vcm } from './vcm.js';

/**
 * `struct bound`: a sub-range of a VCM that later reservations are taken from
 * (`vcm.createBound`, then `bound.reserve`). Reservations made from the VCM
 * never land inside it and reservations made from it never leave it, so a
 * driver can keep a window of device addresses for one purpose.
 */
export class Bound extends GraphObject {
  readonly kind = 'bound' as const;
  readonly vcm: Vcm;
  /** `vcm_get_bound_start_addr`. */
  readonly startAddr: number;
  /** `vcm_get_bound_len`. */
  readonly len: number;
  /** @internal */
  readonly _ranges: RangeAllocator;
  /** @internal Live reservations made from it. */
  _count = 0;

  /** Not a constructor to call: use `vcm.createBound`. */
  constructor(g: Graph, id: number, vcm: Vcm, startAddr: number, len: number, ranges: RangeAllocator) {
    super(g, id);
    this.vcm = vcm;
    this.startAddr = startAddr;
    this.len = len;
    this._ranges = ranges;
  }

  /** `vcm_reserve_from_bound`: placed inside the bound, like `vcm.reserve` otherwise. */
  reserve(len: number, attr = 0): Reservation {
    const where = 'bound.reserve';
    this._live(where);
    return this.vcm._reserve(where, len, attr, this);
  }

  /** `vcm_free_bound`: `EBUSY` while it holds reservations. */
  free(): void {
    const where = 'bound.free';
    this._live(where);
    if (this._count > 0) {
      throw new VcmError('EBUSY', `${where}: ${this.label} still holds ${this._count} reservation(s); unreserve them first`, {
        bound: this.id,
        reservations: this._count,
      });
    }
    this.vcm._releaseBound(this);
    this._dead = 'was freed';
  }

  toJSON(): BoundSnapshot {
    return { id: this.id, startAddr: this.startAddr, len: this.len, reservations: this._count };
  }
}

/** A bound as plain JSON (docs/rules.md#observability): its range and how many live reservations were made from it. */
export interface BoundSnapshot {
  id: number;
  startAddr: number;
  len: number;
  reservations: number;
}
