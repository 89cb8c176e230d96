/**
 * `struct vcm`: a Virtual Contiguous Memory region, the device end of an
 * edge in the mapping graph (seed 000, "Virtual Contiguous Memory
 * Regions"). Three kinds, as the seed muxes them:
 *  - device VCMs (`vcm_create`): reservations placed by core's device-address
 *    allocator (the original used genalloc);
 *  - one-to-one VCMs (`vcm_create` with a memtype's contiguous region):
 *    reservations are a pass-through and get the physical address on backing;
 *  - prebuilt VCMs (`vcm_create_from_prebuilt`): the VMM's table, reservations
 *    placed by the provider (the original's `alloc_vm_area()`).
 */
import { type Run, type SpaceEntry, mapRuns, unmapRuns } from './address-spaces.js';
import { Association } from './association.js';
import { checkAssocAttr, normaliseResAttr, perfWarning, reservationAlignment } from './attributes.js';
import { Bound, type BoundSnapshot } from './bound.js';
import { type VcmType, SZ_4K, VCM_START, alignDown, alignUp, naturalAlignment } from './constants.js';
import type { Device, PrebuiltVcm, VcmDescriptor } from './driver.js';
import { VcmError, formatSize, hex } from './errors.js';
import { type Graph, GraphObject, checkDevice, isDevice } from './graph.js';
import type { Physmem } from './physmem.js';
import { RangeAllocator } from './range-allocator.js';
import { ReservationList } from './reservation-list.js';
import { Reservation, type ReservationSnapshot, UNPLACED } from './reservation.js';
import { checkLength, checkUint } from './validate.js';
import type { AssociationSnapshot } from './association.js';

/**
 * `struct vcm`: a Virtual Contiguous Memory region, a range of device
 * addresses that reservations are carved from. A device VCM (`vcmm.create`)
 * places reservations itself; a one-to-one VCM makes each device address equal
 * to the physical address that backs it; a prebuilt VCM (`vcmm.createFromPrebuilt`)
 * is the CPU's kernel or user address space, whose placement the VMM decides.
 * Associating it with devices and activating the association is what makes
 * its mappings visible to hardware (docs/api.md#objects).
 */
export class Vcm extends GraphObject {
  readonly kind = 'VCM' as const;
  /** The seed's `enum vcm_type`. */
  readonly type: VcmType;
  /** `vcm_get_start_addr`. */
  readonly startAddr: number;
  /** `vcm_get_len`. */
  readonly len: number;
  /** What drivers are told of this VCM. */
  readonly descriptor: VcmDescriptor;
  /** @internal Device VCMs: free device addresses, page-aligned inside [startAddr, startAddr+len). */
  readonly _ranges: RangeAllocator | undefined;
  /** @internal Prebuilt VCMs: the external table and its placer. */
  readonly _prebuilt: PrebuiltVcm | undefined;
  /** @internal Live reservations. */
  readonly _res = new ReservationList<Reservation>();
  /** @internal Address-ordered view of `_res`, rebuilt lazily after a change. */
  private _ordered: Reservation[] | undefined = undefined;
  /** @internal Associations in creation order. */
  readonly _assocs: Association[] = [];
  /** @internal Address spaces in association order (a prebuilt VCM's table first). */
  readonly _spaces: SpaceEntry[] = [];
  /** @internal */
  readonly _bounds = new Set<Bound>();

  /** Not a constructor to call: use `vcmm.create`, `vcmm.createFromPrebuilt` or `vcmm.clone`. */
  constructor(g: Graph, id: number, type: VcmType, startAddr: number, len: number, prebuilt: PrebuiltVcm | undefined) {
    super(g, id);
    this.type = type;
    this.startAddr = startAddr;
    this.len = len;
    this.descriptor = Object.freeze({ id, type, startAddr, len });
    this._prebuilt = prebuilt;
    if (type === 'device') {
      // Reservations are page-aligned even when the VCM is not (seed: vcm_create(SZ_1K, SZ_16M)).
      const lo = alignUp(startAddr, SZ_4K);
      const hi = alignDown(startAddr + len, SZ_4K);
      this._ranges = new RangeAllocator(lo, Math.max(0, hi - lo));
    } else {
      this._ranges = undefined;
    }
    if (prebuilt) {
      this._spaces.push({ driver: prebuilt.driver, key: undefined, space: prebuilt.space, users: 0, external: true });
    }
  }

  // ---- reservations ------------------------------------------------------

  /**
   * `vcm_reserve`: a contiguous range of `len` bytes, placed at the lowest
   * free address aligned to the attribute's `VCM_ALIGN_*` (natural by
   * default: 1 MiB for ≥ 1 MiB, 64 KiB for ≥ 64 KiB, else 4 KiB).
   */
  reserve(len: number, attr = 0): Reservation {
    return this._reserve('vcm.reserve', len, attr, undefined);
  }

  /**
   * `vcm_reserve_at`: a reservation at a logical location. The header knows
   * one, `VCM_START`: the lowest page-aligned address of the VCM (`EBUSY`
   * when something is already there). Only device VCMs place by address.
   */
  reserveAt(memtarget: number, len: number, attr = 0): Reservation {
    const where = 'vcm.reserveAt';
    const g = this._g;
    this._live(where);
    if (memtarget !== VCM_START) {
      throw new VcmError('EINVAL', `${where}: memtarget must be VCM_START (${VCM_START}), got ${String(memtarget)}`, {
        param: 'memtarget',
        value: typeof memtarget === 'number' ? memtarget : String(memtarget),
      });
    }
    checkLength(where, 'len', len);
    const a = normaliseResAttr(where, attr);
    const ranges = this._ranges;
    if (!ranges) {
      throw new VcmError('EINVAL', `${where}: ${this.label} is a ${this.type} VCM; only device VCMs place reservations at a memtarget`, {
        vcm: this.id,
        type: this.type,
      });
    }
    if (len > ranges.len) this._tooLong(where, len, ranges.len);
    const addr = ranges.start;
    // An explicit VCM_ALIGN_* is a demand on the device address (setAttr
    // refuses it on a misaligned reservation too); natural alignment is only
    // a placement preference, so VCM_START stays usable without one.
    const { align, explicit } = reservationAlignment(len, a);
    if (explicit && addr % align !== 0) {
      throw new VcmError('EINVAL', `${where}: VCM_START of ${this.label} is ${hex(addr)}, which is not aligned to the requested ${formatSize(align)}`, {
        param: 'attr',
        value: a,
        devAddr: addr,
        align,
      });
    }
    if (!ranges.allocateAt(addr, len)) {
      throw new VcmError('EBUSY', `${where}: [${hex(addr)}, ${hex(addr + len)}) at VCM_START of ${this.label} is not free`, {
        vcm: this.id,
        devAddr: addr,
        len,
      });
    }
    const res = new Reservation(g, g.takeId('reservation'), this, len, a, addr, undefined);
    this._add(res);
    return res;
  }

  /** @internal The common path of `reserve` and `bound.reserve`. */
  _reserve(where: string, len: number, attr: number, bound: Bound | undefined): Reservation {
    const g = this._g;
    this._live(where);
    checkLength(where, 'len', len);
    const a = normaliseResAttr(where, attr);
    const { align, explicit } = reservationAlignment(len, a);
    let addr: number;
    if (bound || this._ranges || this._prebuilt) {
      addr = this._place(where, len, align, bound);
    } else {
      // One-to-one: a pass-through; the address is the physical one, known at backing.
      if (len > this.len) this._tooLong(where, len, this.len);
      addr = UNPLACED;
    }
    const res = new Reservation(g, g.takeId('reservation'), this, len, a, addr, bound);
    if (bound) bound._count++;
    this._add(res);
    if (explicit) {
      const warning = perfWarning(where, len, align);
      if (warning) g.logger.warn(warning, { vcm: this.id, reservation: res.id, len, align });
    }
    return res;
  }

  /**
   * @internal Device addresses for `len` bytes aligned to `align`: from the bound's
   * ranges, the VCM's own, or the external allocator of a prebuilt VCM
   * (seed: `alloc_vm_area()`). Throws `EINVAL` when `len` can never fit,
   * `ENOMEM` when it does not fit now; changes nothing then.
   */
  private _place(where: string, len: number, align: number, bound: Bound | undefined): number {
    const ranges = bound ? bound._ranges : this._ranges;
    if (ranges) {
      if (len > ranges.len) this._tooLong(where, len, ranges.len, bound);
      const at = ranges.allocate(len, align);
      if (at === undefined) this._noRoom(where, len, align, ranges, bound);
      return at;
    }
    if (len > this.len) this._tooLong(where, len, this.len);
    return (this._prebuilt as PrebuiltVcm).place(len, align);
  }

  /** @internal */
  private _tooLong(where: string, len: number, room: number, bound?: Bound): never {
    const what = bound ? bound.label : this.label;
    throw new VcmError('EINVAL', `${where}: len ${formatSize(len)} (${hex(len)}) is longer than ${what} (${formatSize(room)} of whole pages)`, {
      param: 'len',
      value: len,
      max: room,
    });
  }

  /** @internal */
  private _noRoom(where: string, len: number, align: number, ranges: RangeAllocator, bound: Bound | undefined): never {
    const what = bound ? bound.label : this.label;
    throw new VcmError(
      'ENOMEM',
      `${where}: no free ${formatSize(align)}-aligned range of ${formatSize(len)} in ${what}; the largest free extent is ${formatSize(ranges.largestFreeExtent)} (${ranges.freeBytes} bytes free in all)`,
      { vcm: this.id, len, align, largestFreeExtent: ranges.largestFreeExtent, freeBytes: ranges.freeBytes },
    );
  }

  /** @internal */
  private _add(res: Reservation): void {
    this._res.add(res);
    this._ordered = undefined;
  }

  /** @internal Give an unbacked reservation's range back (unreserve). */
  _release(res: Reservation): void {
    const bound = res._bound;
    if (bound) {
      bound._ranges.free(res._addr, res.len);
      bound._count--;
    } else if (this._ranges) {
      this._ranges.free(res._addr, res.len);
    } else if (this._prebuilt) {
      this._prebuilt.release(res._addr, res.len);
    }
    this._res.delete(res);
    this._ordered = undefined;
  }

  /** @internal */
  _invalidateOrder(): void {
    this._ordered = undefined;
  }

  /**
   * @internal One-to-one backing (seed: "pass through"): the physmem must be
   * one contiguous range inside the VCM's range and must not overlap another
   * backed reservation of this VCM. Returns the device (= physical) address.
   */
  _checkOneToOneBacking(where: string, res: Reservation, pm: Physmem): number {
    const run = pm._runs[0] as Run;
    if (!pm.isContiguous) {
      throw new VcmError('EINVAL', `${where}: ${pm.label} is not physically contiguous (${pm._runs.length} runs); one-to-one ${this.label} needs a contiguous physmem`, {
        param: 'physmem',
        physmem: pm.id,
        runs: pm._runs.length,
      });
    }
    if (run.pa < this.startAddr || run.pa + run.len > this.startAddr + this.len) {
      throw new VcmError(
        'EINVAL',
        `${where}: ${pm.label} at [${hex(run.pa)}, ${hex(run.pa + run.len)}) lies outside one-to-one ${this.label} [${hex(this.startAddr)}, ${hex(this.startAddr + this.len)})`,
        { param: 'physmem', physmem: pm.id, pa: run.pa, vcmStart: this.startAddr, vcmLen: this.len },
      );
    }
    // The physical address becomes the device address, so an explicit
    // VCM_ALIGN_* of the reservation is a demand on it (as in reserve).
    const { align, explicit } = reservationAlignment(res.len, res._attr);
    if (explicit && run.pa % align !== 0) {
      throw new VcmError(
        'EINVAL',
        `${where}: ${pm.label} starts at ${hex(run.pa)}, but ${res.label} of one-to-one ${this.label} asks for ${formatSize(align)} alignment (its device address is the physical one); allocate with vcmPhysAlignAttr(${align})`,
        { param: 'physmem', physmem: pm.id, pa: run.pa, align },
      );
    }
    for (const other of this._res) {
      if (other === res || other._addr === UNPLACED) continue;
      if (other._addr < run.pa + run.len && run.pa < other._addr + other.len) {
        throw new VcmError(
          'EINVAL',
          `${where}: ${pm.label} at ${hex(run.pa)} overlaps ${other.label} of one-to-one ${this.label}, backed at [${hex(other._addr)}, ${hex(other._addr + other.len)})`,
          { param: 'physmem', physmem: pm.id, reservation: other.id },
        );
      }
    }
    return run.pa;
  }

  /** @internal */
  private _order(): Reservation[] {
    let o = this._ordered;
    if (!o) {
      o = [...this._res].sort((a, b) => {
        const x = a._addr === UNPLACED ? Infinity : a._addr;
        const y = b._addr === UNPLACED ? Infinity : b._addr;
        return x === y ? a.id - b.id : x - y;
      });
      this._ordered = o;
    }
    return o;
  }

  /** `vcm_get_next_res`: the reservations in address order (unbacked one-to-one reservations last). */
  get reservations(): readonly Reservation[] {
    this._live('vcm.reservations');
    return this._order().slice();
  }

  /** `vcm_get_num_res`. */
  get numRes(): number {
    this._live('vcm.numRes');
    return this._res.size;
  }

  /** @internal The reservation after `res` in address order (the compat iterator). */
  _nextRes(res: Reservation | undefined): Reservation | undefined {
    const o = this._order();
    if (!res) return o[0];
    const i = o.indexOf(res);
    return i < 0 ? undefined : o[i + 1];
  }

  /** `vcm_get_res`: the reservation containing `devAddr`, or `undefined`. */
  findRes(devAddr: number): Reservation | undefined {
    const where = 'vcm.findRes';
    this._live(where);
    checkUint(where, 'devAddr', devAddr, 2 ** 40 - 1);
    const o = this._order();
    let lo = 0;
    let hi = o.length - 1;
    let found: Reservation | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = o[mid] as Reservation;
      if (r._addr !== UNPLACED && r._addr <= devAddr) {
        found = r;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found && devAddr < found._addr + found.len ? found : undefined;
  }

  // ---- bounds --------------------------------------------------------------

  /** `vcm_create_bound`: the allocator picks the bound's addresses (naturally aligned). */
  createBound(len: number): Bound {
    const where = 'vcm.createBound';
    const g = this._g;
    this._live(where);
    checkLength(where, 'len', len);
    const align = naturalAlignment(len);
    let addr: number;
    if (this._ranges || this._prebuilt) {
      addr = this._place(where, len, align, undefined);
    } else {
      throw new VcmError('EINVAL', `${where}: ${this.label} is one-to-one: its reservations are placed by their backing, not by a bound`, {
        vcm: this.id,
        type: this.type,
      });
    }
    const bound = new Bound(g, g.takeId('bound'), this, addr, len, new RangeAllocator(addr, len));
    this._bounds.add(bound);
    return bound;
  }

  /** @internal `vcmm.clone`: a bound at a known-free address of this (new) VCM. */
  _boundAt(startAddr: number, len: number): Bound {
    this._ranges?.allocateAt(startAddr, len);
    const bound = new Bound(this._g, this._g.takeId('bound'), this, startAddr, len, new RangeAllocator(startAddr, len));
    this._bounds.add(bound);
    return bound;
  }

  /** @internal `vcmm.clone`: an unbacked reservation like `r`, at the same device address. */
  _adopt(r: Reservation, bound: Bound | undefined): Reservation {
    const addr = this.type === 'one-to-one' ? UNPLACED : r._addr;
    if (bound) {
      bound._ranges.allocateAt(addr, r.len);
      bound._count++;
    } else if (this._ranges) {
      this._ranges.allocateAt(addr, r.len);
    }
    const res = new Reservation(this._g, this._g.takeId('reservation'), this, r.len, r._attr, addr, bound);
    this._add(res);
    return res;
  }

  /** @internal */
  _releaseBound(bound: Bound): void {
    if (this._ranges) this._ranges.free(bound.startAddr, bound.len);
    else this._prebuilt?.release(bound.startAddr, bound.len);
    this._bounds.delete(bound);
  }

  /** The live bounds, by id. */
  get bounds(): readonly Bound[] {
    this._live('vcm.bounds');
    return [...this._bounds];
  }

  // ---- associations ----------------------------------------------------------

  /**
   * `vcm_assoc`: link the VCM with a device. The first association of a
   * driver's space key creates the address space, and every reservation that
   * is already backed is mapped into it (docs/rules.md#order-independence:
   * backing and
   * association work in any order).
   */
  assoc(dev: Device, attr = 0): Association {
    const where = 'vcm.assoc';
    const g = this._g;
    this._live(where);
    checkDevice(g, where, dev);
    const a = checkAssocAttr(where, attr);
    const driver = dev.driver;
    if (!driver.vcmTypes.includes(this.type)) {
      throw new VcmError(
        'EINVAL',
        `${where}: device ${dev.name} (driver ${driver.name}) cannot be associated with ${this.type} ${this.label}; it takes ${driver.vcmTypes.join(', ')} VCMs`,
        { param: 'dev', device: dev.name, driver: driver.name, vcmType: this.type, accepts: [...driver.vcmTypes] },
      );
    }
    driver.checkAssocAttr(dev, a);
    const key = driver.spaceKey(dev);
    let entry = this._spaces.find((s) => s.driver === driver && (s.external || s.key === key));
    if (!entry) {
      const space = driver.createAddressSpace(this.descriptor, dev);
      // Order independence (docs/rules.md#order-independence): map what is
      // already backed, in one bracket; all or nothing.
      const mapped: Reservation[] = [];
      space.updateStart();
      try {
        for (const r of this._res) {
          const pm = r._physmem;
          if (!pm) continue;
          mapRuns(space, r._addr, pm._runs, r._attr);
          mapped.push(r);
        }
      } catch (e) {
        for (const r of mapped) unmapRuns(space, r._addr, (r._physmem as Physmem)._runs);
        space.updateDone();
        space.destroy();
        throw e;
      }
      space.updateDone();
      entry = { driver, key, space, users: 0, external: false };
      this._spaces.push(entry);
    }
    entry.users++;
    const assoc = new Association(g, g.takeId('association'), this, dev, a, entry);
    this._assocs.push(assoc);
    let set = g.deviceAssociations.get(dev);
    if (!set) {
      set = new Set();
      g.deviceAssociations.set(dev, set);
    }
    set.add(assoc);
    return assoc;
  }

  /** @internal Deassociation: the last user of a space unmaps everything from it and destroys it. */
  _removeAssociation(assoc: Association): void {
    const i = this._assocs.indexOf(assoc);
    if (i >= 0) this._assocs.splice(i, 1);
    const entry = assoc._space;
    entry.users--;
    if (entry.users === 0 && !entry.external) {
      const space = entry.space;
      space.updateStart();
      try {
        for (const r of this._res) {
          const pm = r._physmem;
          if (pm) unmapRuns(space, r._addr, pm._runs);
        }
      } finally {
        space.updateDone();
      }
      space.destroy();
      const j = this._spaces.indexOf(entry);
      if (j >= 0) this._spaces.splice(j, 1);
    }
  }

  /** The associations, in creation order. */
  get associations(): readonly Association[] {
    this._live('vcm.associations');
    return this._assocs.slice();
  }

  /**
   * `vcm_get_pgtbl_pa`: the physical address of the first-level table of the
   * VCM's first address space (association order). `ENODEV` when there is
   * none, as for a one-to-one VCM.
   */
  get pgtblPa(): number {
    const where = 'vcm.pgtblPa';
    this._live(where);
    const first = this._spaces[0];
    if (!first || first.space.pgtblPa === undefined) {
      throw new VcmError('ENODEV', `${where}: ${this.label} (${this.type}) has no page table${first ? '' : ' yet: associate a device first'}`, {
        vcm: this.id,
      });
    }
    return first.space.pgtblPa;
  }

  /** The table a given associated device uses; `ENODEV` when it is not associated or has no table. */
  pgtblPaFor(dev: Device): number {
    const where = 'vcm.pgtblPaFor';
    this._live(where);
    const assoc = this._assocs.find((a) => a.dev === dev);
    const pa = assoc?._space.space.pgtblPa;
    if (pa === undefined) {
      const name = isDevice(dev) ? dev.name : String(dev);
      throw new VcmError('ENODEV', `${where}: ${assoc ? `device ${name} has no page table in ${this.label}` : `device ${name} is not associated with ${this.label}`}`, {
        vcm: this.id,
        device: name,
      });
    }
    return pa;
  }

  // ---- freeing ------------------------------------------------------------

  /** `vcm_free`: `EBUSY` while it has reservations or associations (active or not). Its empty bounds go with it. */
  free(): void {
    const where = 'vcm.free';
    this._live(where);
    if (this._res.size > 0 || this._assocs.length > 0) {
      throw new VcmError(
        'EBUSY',
        `${where}: ${this.label} still has ${this._res.size} reservation(s) and ${this._assocs.length} association(s); unreserve and deassociate first`,
        { vcm: this.id, reservations: this._res.size, associations: this._assocs.length },
      );
    }
    // A device VCM's bounds live in its own allocator, which goes with it; a
    // prebuilt VCM's bounds were placed by the VMM's allocator (vmalloc, a
    // process's mmap area), which outlives the VCM: give their ranges back.
    for (const b of [...this._bounds]) {
      this._releaseBound(b);
      b._dead = 'was freed with its VCM';
    }
    this._prebuilt?.dispose();
    this._g.vcms.delete(this);
    this._dead = 'was freed';
  }

  /**
   * @internal Tear the VCM down in reverse dependency order: deactivate,
   * unback, unreserve, deassociate, free bounds, free the VCM. Used by
   * `vcmm.destroy()` and by a prebuilt provider revoking its VCM.
   */
  _teardown(): void {
    for (const a of this._assocs) if (a._activation) a.deactivate();
    for (const r of this._res) if (r._physmem) r._unbackNow(r._physmem);
    for (const r of [...this._res]) r.unreserve();
    for (const a of [...this._assocs]) a.deassoc();
    for (const b of [...this._bounds]) b.free();
    this.free();
  }

  toJSON(): VcmSnapshot {
    return {
      id: this.id,
      type: this.type,
      startAddr: this.startAddr,
      len: this.len,
      reservations: [...this._res].sort((a, b) => a.id - b.id).map((r) => r.toJSON()),
      bounds: [...this._bounds].map((b) => b.toJSON()),
      associations: this._assocs.map((a) => a.toJSON()),
      spaces: this._spaces.map((s) => ({
        driver: s.driver.name,
        key: s.key ?? null,
        pgtblPa: s.space.pgtblPa ?? null,
        users: s.users,
        external: s.external,
        // The driver's own view (table memory held, banks it is live on, mappings), so a state
        // digest also sees page-table memory a failed call might have left
        // behind (docs/rules.md#atomicity).
        state: s.space.toJSON?.() ?? null,
      })),
    };
  }
}

/**
 * A VCM as plain JSON (docs/rules.md#observability): its range, reservations,
 * bounds, associations and the address spaces (page tables) its drivers built.
 */
export interface VcmSnapshot {
  id: number;
  type: VcmType;
  startAddr: number;
  len: number;
  reservations: ReservationSnapshot[];
  bounds: BoundSnapshot[];
  associations: AssociationSnapshot[];
  spaces: Array<{ driver: string; key: string | null; pgtblPa: number | null; users: number; external: boolean; state: unknown }>;
}
