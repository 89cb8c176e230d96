/**
 * `struct res`: a contiguous range reserved from a VCM, with no physical
 * memory until it is backed (seed 000, "Reservations"; "Physical Memory
 * Allocation and Reservation Backing").
 */
import { mapIntoAll, remapAll, unmapFromAll } from './address-spaces.js';
import { checkAliasing } from './aliasing.js';
import { normaliseResAttr, reservationAlignment } from './attributes.js';
import { VCM_CACHE_POLICY } from './constants.js';
import { VcmError, formatSize, hex } from './errors.js';
import { checkHandle, type Graph, GraphObject, type ReverseEntry } from './graph.js';
import { Physmem } from './physmem.js';
import type { Bound } from './bound.js';
import type { Vcm } from './vcm.js';
import { checkLength, checkUint } from './validate.js';

/** `_addr` of a one-to-one reservation before it is backed: it has no address yet (seed: "pass through"). */
export const UNPLACED = -1;

/**
 * `struct res`: a contiguous range of device addresses reserved from a VCM
 * (`vcm.reserve`, `vcm.reserveAt`, `bound.reserve`). It holds no memory until
 * `back` maps a `Physmem` under it into every address space of the VCM; its
 * access, cache and alignment bits are the reservation attributes of `vcm.h`
 * (docs/attributes.md#encoding-table).
 */
export class Reservation extends GraphObject {
  readonly kind = 'reservation' as const;
  /** `vcm_get_vcm_from_res`: there is no such thing as an orphan reservation. */
  readonly vcm: Vcm;
  /** `vcm_get_res_len`. */
  readonly len: number;
  /** @internal */
  _attr: number;
  /** @internal Device address, or `UNPLACED` for an unbacked one-to-one reservation. */
  _addr: number;
  /** @internal */
  readonly _bound: Bound | undefined;
  /** @internal */
  _physmem: Physmem | undefined = undefined;
  /** @internal The reverse-map entries of the current backing. */
  _reverse: ReverseEntry[] = [];
  /** @internal Links in its VCM's list of live reservations (reservation-list.ts). */
  _prevInList: Reservation | undefined = undefined;
  /** @internal */
  _nextInList: Reservation | undefined = undefined;
  /** @internal */
  _inList = false;

  /** Not a constructor to call: use `vcm.reserve`, `vcm.reserveAt` or `bound.reserve`. */
  constructor(g: Graph, id: number, vcm: Vcm, len: number, attr: number, addr: number, bound: Bound | undefined) {
    super(g, id);
    this.vcm = vcm;
    this.len = len;
    this._attr = attr;
    this._addr = addr;
    this._bound = bound;
  }

  /** `vcm_get_res_attr`: the stored attribute (read+write added when no access bit was given). */
  get attr(): number {
    this._live('res.attr');
    return this._attr;
  }

  /** The bound it was reserved from, if any. */
  get bound(): Bound | undefined {
    return this._bound;
  }

  /**
   * `vcm_get_dev_addr`: the device address. For a one-to-one VCM it is the
   * physical address, known once backed (seed 000, "Low Level Control").
   */
  get devAddr(): number {
    this._live('res.devAddr');
    if (this._addr === UNPLACED) {
      throw new VcmError('EINVAL', `res.devAddr: ${this.label} on one-to-one ${this.vcm.label} has no device address until it is backed`, {
        reservation: this.id,
        vcm: this.vcm.id,
      });
    }
    return this._addr;
  }

  /** `vcm_get_physmem_from_res`: the backing, `undefined` while unbacked. */
  get physmem(): Physmem | undefined {
    this._live('res.physmem');
    return this._physmem;
  }

  get isBacked(): boolean {
    this._live('res.isBacked');
    return this._physmem !== undefined;
  }

  /**
   * `vcm_set_res_attr`. On a backed reservation every mapping is rewritten
   * (unmap and map again in each address space; the driver invalidates the
   * stale TLB entries before its update bracket closes).
   */
  setAttr(attr: number): void {
    const where = 'res.setAttr';
    this._live(where);
    const a = normaliseResAttr(where, attr);
    const { align, explicit } = reservationAlignment(this.len, a);
    if (explicit && this._addr !== UNPLACED && this._addr % align !== 0) {
      throw new VcmError('EINVAL', `${where}: ${this.label} sits at ${hex(this._addr)}, which is not aligned to the requested ${formatSize(align)}`, {
        param: 'attr',
        value: a,
        devAddr: this._addr,
        align,
      });
    }
    const pm = this._physmem;
    if (pm?._moving) throw movingError(where, this, pm);
    if (pm && a !== this._attr) {
      if ((a & VCM_CACHE_POLICY) !== (this._attr & VCM_CACHE_POLICY)) checkAliasing(this._g, where, pm, a, this);
      remapAll(this.vcm._spaces, this._addr, pm._runs, this._attr, a);
    }
    this._attr = a;
  }

  /**
   * `vcm_back`: back with `physmem` (lengths must be equal) and map it into
   * every address space of the VCM. Works whether or not the associations
   * are active (docs/rules.md#order-independence; never `EAGAIN`:
   * docs/decisions.md#vcm_back-never-returns-eagain).
   */
  back(physmem: Physmem): void {
    const where = 'res.back';
    const g = this._g;
    this._live(where);
    const pm = checkHandle(g, where, 'physmem', physmem, Physmem, 'physmem');
    if (this._physmem) {
      throw new VcmError('EINVAL', `${where}: ${this.label} is already backed by ${this._physmem.label}; unback it first`, {
        reservation: this.id,
        physmem: this._physmem.id,
      });
    }
    if (pm.len !== this.len) {
      throw new VcmError(
        'EINVAL',
        `${where}: ${this.label} is ${formatSize(this.len)} (${hex(this.len)}) but ${pm.label} is ${formatSize(pm.len)} (${hex(pm.len)}); the lengths must be equal`,
        { param: 'physmem', reservationLen: this.len, physmemLen: pm.len },
      );
    }
    if (pm._moving) throw movingError(where, this, pm);
    let addr = this._addr;
    if (this.vcm.type === 'one-to-one') addr = this.vcm._checkOneToOneBacking(where, this, pm);
    checkAliasing(g, where, pm, this._attr, undefined);
    mapIntoAll(this.vcm._spaces, addr, pm._runs, this._attr);
    // Everything below cannot fail: commit.
    this._addr = addr;
    this._physmem = pm;
    pm._backs.add(this);
    if (pm.isMapped) g.mappedPhysmemsBacking.add(pm);
    for (const run of pm._runs) {
      const entry: ReverseEntry = { res: this, offset: run.offset, pa: run.pa, len: run.len };
      g.reverse.insert(run.pa, run.len, entry);
      this._reverse.push(entry);
    }
    if (this.vcm.type === 'one-to-one') this.vcm._invalidateOrder();
  }

  /** `vcm_unback`: unmap from every address space and forget the backing. */
  unback(): void {
    const where = 'res.unback';
    this._live(where);
    const pm = this._physmem;
    if (!pm) throw new VcmError('EINVAL', `${where}: ${this.label} is not backed`, { reservation: this.id });
    if (pm._moving) throw movingError(where, this, pm);
    this._unbackNow(pm);
  }

  /** @internal */
  _unbackNow(pm: Physmem): void {
    const g = this._g;
    unmapFromAll(this.vcm._spaces, this._addr, pm._runs);
    for (const e of this._reverse) g.reverse.remove(e.pa, e.len, e);
    this._reverse = [];
    pm._backs.delete(this);
    if (pm.isMapped && pm._backs.size === 0) g.mappedPhysmemsBacking.delete(pm);
    this._physmem = undefined;
    if (this.vcm.type === 'one-to-one') {
      this._addr = UNPLACED;
      this.vcm._invalidateOrder();
    }
  }

  /**
   * `vcm_res_copy`: copy `len` bytes from this reservation at `fromOff` to
   * `to` at `toOff`, through the backing RAM. Both must be backed. Returns
   * the bytes copied.
   */
  copyTo(to: Reservation, toOff: number, fromOff: number, len: number): number {
    const where = 'res.copyTo';
    const g = this._g;
    this._live(where);
    const dst = checkHandle(g, where, 'to', to, Reservation, 'reservation');
    checkUint(where, 'toOff', toOff);
    checkUint(where, 'fromOff', fromOff);
    checkLength(where, 'len', len, 1);
    const src = this._physmem;
    const dpm = dst._physmem;
    if (!src) throw new VcmError('EINVAL', `${where}: the source ${this.label} is not backed`, { param: 'from', reservation: this.id });
    if (!dpm) throw new VcmError('EINVAL', `${where}: to (${dst.label}) is not backed`, { param: 'to', reservation: dst.id });
    if (fromOff + len > this.len) {
      throw new VcmError('EINVAL', `${where}: fromOff ${hex(fromOff)} + len ${hex(len)} runs past the end of ${this.label} (${hex(this.len)})`, {
        param: 'fromOff',
        value: fromOff,
        len,
        resLen: this.len,
      });
    }
    if (toOff + len > dst.len) {
      throw new VcmError('EINVAL', `${where}: toOff ${hex(toOff)} + len ${hex(len)} runs past the end of ${dst.label} (${hex(dst.len)})`, {
        param: 'toOff',
        value: toOff,
        len,
        resLen: dst.len,
      });
    }
    // Read the whole source first, so overlapping backings copy like memmove.
    const bytes = new Uint8Array(len);
    forEachSegment(src, fromOff, len, (pa, n, at) => bytes.set(g.memory.read(pa, n), at));
    forEachSegment(dpm, toOff, len, (pa, n, at) => g.memory.write(pa, bytes.subarray(at, at + n)));
    return len;
  }

  /** `vcm_unreserve`: `EBUSY` while backed. */
  unreserve(): void {
    const where = 'res.unreserve';
    this._live(where);
    if (this._physmem) {
      throw new VcmError('EBUSY', `${where}: ${this.label} is still backed by ${this._physmem.label}; unback it first`, {
        reservation: this.id,
        physmem: this._physmem.id,
      });
    }
    this.vcm._release(this);
    this._dead = 'was unreserved';
  }

  toJSON(): ReservationSnapshot {
    return {
      id: this.id,
      devAddr: this._addr === UNPLACED ? null : this._addr,
      len: this.len,
      attr: this._attr,
      physmem: this._physmem ? this._physmem.id : null,
      bound: this._bound ? this._bound.id : null,
    };
  }
}

/** A backing cannot change while its physmem moves (docs/migration.md#during-the-move). */
function movingError(where: string, res: Reservation, pm: Physmem): VcmError {
  return new VcmError('EBUSY', `${where}: ${pm.label} (backing of ${res.label}) is being migrated; try again after the move`, {
    reservation: res.id,
    physmem: pm.id,
    migrating: true,
  });
}

/** Walk [off, off+len) of a physmem as physical segments: fn(pa, bytes, offsetIntoRequest). */
function forEachSegment(pm: Physmem, off: number, len: number, fn: (pa: number, n: number, at: number) => void): void {
  let done = 0;
  for (const run of pm._runs) {
    if (done >= len) break;
    const runEnd = run.offset + run.len;
    const pos = off + done;
    if (pos >= runEnd) continue;
    const inRun = pos - run.offset;
    const n = Math.min(run.len - inRun, len - done);
    fn(run.pa + inRun, n, done);
    done += n;
  }
}

/**
 * A reservation as plain JSON (docs/rules.md#observability): address, length,
 * attribute and the physmem that backs it, if any.
 */
export interface ReservationSnapshot {
  id: number;
  devAddr: number | null;
  len: number;
  attr: number;
  physmem: number | null;
  bound: number | null;
}
