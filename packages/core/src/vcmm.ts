/**
 * `Vcmm`: the Virtual Contiguous Memory Manager, one instance per simulated
 * system (`vcm_sys_init`). It owns the mapping graph — VCMs, reservations,
 * associations, physical allocations, bounds — and the queries that cross
 * objects: translation between VCMs, the reverse map from a physical
 * address, and the device calls it muxes to drivers (seed 000: "This muxing
 * is seen throughout the implementation"). No global state (architecture).
 */
import type { Bound } from './bound.js';
import { SZ_4K, VCM_ALL, VCM_INVALID, VCM_MIN_PAGE_SIZE, VCM_PAGE_SEL_MASK } from './constants.js';
import type { Device, FaultHandler, Logger, MappingDriver, PrebuiltProvider, WalkTraceStep } from './driver.js';
import { VcmError, hex } from './errors.js';
import { checkAliasing } from './aliasing.js';
import { PHYS_ATTR_BITS } from './attributes.js';
import { Graph, checkDevice, checkHandle } from './graph.js';
import type { PhysicalAllocator, PhysicalMemory } from './memory.js';
import { Physmem, type PhysmemSnapshot } from './physmem.js';
import type { Reservation } from './reservation.js';
import { type CompactOptions, type CompactionReport, type EvacuateOptions, type EvacuationReport, compact, evacuate } from './compact.js';
import { type MigrateOptions, type MigrationReport, migrate } from './migrate.js';
import { checkAligned, checkAttr, checkLength, checkUint } from './validate.js';
import { Vcm, type VcmSnapshot } from './vcm.js';

/** Device and physical addresses stay below 2^40 (the LPAE output size, docs/hardware.md#page-table-formats). */
export const VCM_ADDR_LIMIT = 2 ** 40;

/**
 * What a `Vcmm` is built over: the simulated RAM and the memtype allocator it
 * allocates from (normally both from `@vcm/physalloc`), plus the drivers that
 * know mappings outside the graph and the provider of prebuilt VCMs.
 */
export interface VcmmOptions {
  /** The simulated RAM (from `@vcm/physalloc`). */
  readonly memory: PhysicalMemory;
  /** The memtype allocator (from `@vcm/physalloc`). */
  readonly allocator: PhysicalAllocator;
  /** Drivers to consult for mappings outside the graph (those with `findAliases`; docs/rules.md#aliasing). */
  readonly drivers?: readonly MappingDriver[];
  /** Turns `VCM_PREBUILT_KERNEL`/`VCM_PREBUILT_USER` into VCMs (e.g. `vmm.prebuilt` from `@vcm/vmm-overlay`). */
  readonly prebuilt?: PrebuiltProvider;
  /** Where `VCM_PERF_WARN` and other warnings go; default `console.warn`. */
  readonly logger?: Logger;
}

/** The whole graph as plain JSON (docs/rules.md#observability), deterministic: ordered by id. */
export interface VcmmSnapshot {
  vcms: VcmSnapshot[];
  physmems: PhysmemSnapshot[];
}

const consoleLogger: Logger = {
  warn(message: string, details?: Readonly<Record<string, unknown>>): void {
    if (details) console.warn(message, details);
    else console.warn(message);
  },
};

/**
 * The Virtual Contiguous Memory Manager of one simulated system
 * (`vcm_sys_init`). It owns the mapping graph — VCMs, reservations,
 * associations, physical allocations, bounds — creates every object of it,
 * and answers the queries that cross objects: translation between VCMs, the
 * reverse map from a physical address, the device calls it passes to drivers.
 * There is no global state: two `Vcmm`s are two machines, and a handle of one
 * is `EINVAL` in the other (docs/rules.md#handles-and-platforms). Each `vcm.h`
 * function and its method are listed in docs/api.md#vcmh-mapping.
 */
export class Vcmm {
  /** @internal */
  readonly _g: Graph;

  /** `vcm_sys_init`. */
  constructor(options: VcmmOptions) {
    const where = 'new Vcmm';
    if (typeof options !== 'object' || options === null) {
      throw new VcmError('EINVAL', `${where}: options must be an object with memory and allocator`, { param: 'options' });
    }
    const { memory, allocator } = options;
    if (typeof memory !== 'object' || memory === null || typeof memory.read !== 'function' || typeof memory.contains !== 'function') {
      throw new VcmError('EINVAL', `${where}: options.memory must be a PhysicalMemory (e.g. from @vcm/physalloc)`, { param: 'memory' });
    }
    if (typeof allocator !== 'object' || allocator === null || typeof allocator.allocate !== 'function' || typeof allocator.free !== 'function') {
      throw new VcmError('EINVAL', `${where}: options.allocator must be a PhysicalAllocator (e.g. from @vcm/physalloc)`, { param: 'allocator' });
    }
    this._g = new Graph(memory, allocator, options.logger ?? consoleLogger, options.prebuilt, options.drivers ?? []);
  }

  get memory(): PhysicalMemory {
    return this._g.memory;
  }

  get allocator(): PhysicalAllocator {
    return this._g.allocator;
  }

  /** True after `destroy()`. */
  get isDestroyed(): boolean {
    return this._g.destroyed;
  }

  // ---- VCMs ------------------------------------------------------------

  /**
   * `vcm_create`: a VCM of `len` bytes from `startAddr` (any address; its
   * reservations are page-aligned inside it). A range equal to a memtype's
   * contiguous region makes a one-to-one VCM (seed 000: "The VCMM matches
   * this and records that the VCM instance is a one-to-one VCM").
   */
  create(startAddr: number, len: number): Vcm {
    const where = 'vcmm.create';
    const g = this._g;
    g.checkAlive(where);
    checkUint(where, 'startAddr', startAddr, VCM_ADDR_LIMIT - SZ_4K);
    checkLength(where, 'len', len, SZ_4K, VCM_ADDR_LIMIT);
    if (startAddr + len > VCM_ADDR_LIMIT) {
      throw new VcmError('EINVAL', `${where}: startAddr ${hex(startAddr)} + len ${hex(len)} passes the 40-bit address limit ${hex(VCM_ADDR_LIMIT)}`, {
        param: 'len',
        value: len,
        startAddr,
      });
    }
    let oneToOne = false;
    for (const m of g.allocator.memtypes) {
      const region = g.allocator.contiguousRegion(m);
      if (region && region.pa === startAddr && region.len === len) oneToOne = true;
    }
    if (!oneToOne && startAddr % SZ_4K !== 0 && len <= SZ_4K) {
      throw new VcmError('EINVAL', `${where}: [${hex(startAddr)}, ${hex(startAddr + len)}) holds no whole page; a VCM needs at least one`, {
        param: 'len',
        value: len,
        startAddr,
      });
    }
    const vcm = new Vcm(g, g.takeId('VCM'), oneToOne ? 'one-to-one' : 'device', startAddr, len, undefined);
    g.vcms.add(vcm);
    return vcm;
  }

  /**
   * `vcm_create_from_prebuilt` (the walk-throughs' `vcm_from_prebuilt`): a
   * VCM over a table that already exists outside the VCMM — the CPU's.
   * Needs a prebuilt provider (`ENODEV` without one).
   */
  createFromPrebuilt(extVcmId: number): Vcm {
    const where = 'vcmm.createFromPrebuilt';
    const g = this._g;
    g.checkAlive(where);
    checkUint(where, 'extVcmId', extVcmId);
    const provider = g.prebuilt;
    if (!provider) {
      throw new VcmError(
        'ENODEV',
        `${where}: no prebuilt provider is installed; pass \`prebuilt\` to new Vcmm (e.g. vmm.prebuilt from @vcm/vmm-overlay) to use VCM_PREBUILT_KERNEL/VCM_PREBUILT_USER`,
        { param: 'extVcmId', value: extVcmId },
      );
    }
    const pre = provider.create(extVcmId);
    const vcm = new Vcm(g, g.takeId('VCM'), pre.type, pre.startAddr, pre.len, pre);
    g.vcms.add(vcm);
    pre.onRevoke?.(() => {
      if (vcm.isAlive) vcm._teardown();
    });
    return vcm;
  }

  /**
   * `vcm_clone`: a deep copy at the point of cloning — same range and type,
   * reservations at the same device addresses with the same attributes and
   * the same backing, the same bounds; no associations. Later changes to
   * either VCM are seen by that VCM only.
   */
  clone(vcm: Vcm): Vcm {
    const where = 'vcmm.clone';
    const g = this._g;
    g.checkAlive(where);
    const src = checkHandle(g, where, 'vcm', vcm, Vcm, 'VCM');
    if (src._prebuilt) {
      throw new VcmError('EINVAL', `${where}: ${src.label} is a prebuilt (${src.type}) VCM; its table belongs to the VMM and cannot be cloned`, {
        param: 'vcm',
        vcm: src.id,
      });
    }
    // The only check a copy's backing can fail is the aliasing check
    // (docs/rules.md#aliasing) against mappings
    // outside the graph (an alias source may have mapped the bytes with
    // another policy since the source was backed). Run it first, so that a
    // refused clone has created, backed and numbered nothing
    // (docs/rules.md#atomicity).
    for (const r of src._res) {
      const pm = r._physmem;
      if (pm) checkAliasing(g, where, pm, r._attr, undefined);
    }
    const copy = new Vcm(g, g.takeId('VCM'), src.type, src.startAddr, src.len, undefined);
    // Nothing below can fail: every range is free in the new VCM, there is
    // no address space to map into yet, and aliasing was checked above.
    const bounds = new Map<Bound, Bound>();
    for (const b of src._bounds) {
      bounds.set(b, copy._boundAt(b.startAddr, b.len));
    }
    for (const r of [...src._res].sort((a, b) => a.id - b.id)) {
      const nb = r._bound ? bounds.get(r._bound) : undefined;
      const nr = copy._adopt(r, nb);
      const pm = r._physmem;
      if (pm) nr.back(pm);
    }
    g.vcms.add(copy);
    return copy;
  }

  /** Live VCMs, by id. */
  get vcms(): readonly Vcm[] {
    this._g.checkAlive('vcmm.vcms');
    return [...(this._g.vcms as Set<Vcm>)];
  }

  // ---- physical memory ---------------------------------------------------

  /**
   * `vcm_phys_alloc`: physical memory from a memory target through the
   * `PhysicalAllocator` (max munch over its pools). `attr` without
   * page-selection bits means `VCM_ALL`.
   */
  physAlloc(memtype: number, len: number, attr = 0): Physmem {
    const where = 'vcmm.physAlloc';
    const g = this._g;
    g.checkAlive(where);
    this._checkMemtype(where, memtype);
    checkLength(where, 'len', len, SZ_4K, VCM_ADDR_LIMIT);
    let a = checkAttr(where, 'attr', attr, PHYS_ATTR_BITS);
    if ((a & VCM_PAGE_SEL_MASK) === 0) a |= VCM_ALL;
    const allocation = g.allocator.allocate(memtype, len, a);
    const pm = new Physmem(g, g.takeId('physmem'), allocation.memtype, allocation.attr, allocation.chunks, allocation);
    g.physmems.add(pm);
    return pm;
  }

  /**
   * `vcm_map_phys_addr`: a physmem for an existing contiguous physical range
   * (inside RAM). Its memtype is `VCM_INVALID`; freeing it releases only the
   * handle, never the memory.
   */
  mapPhysAddr(phys: number, len: number): Physmem {
    const where = 'vcmm.mapPhysAddr';
    const g = this._g;
    g.checkAlive(where);
    checkAligned(where, 'phys', phys, SZ_4K, VCM_ADDR_LIMIT - SZ_4K);
    checkLength(where, 'len', len, SZ_4K, VCM_ADDR_LIMIT);
    if (!g.memory.contains(phys, len)) {
      throw new VcmError('EINVAL', `${where}: [${hex(phys)}, ${hex(phys + len)}) is not inside one RAM bank (${g.memory.banks.map((b) => `${b.name} ${hex(b.base)}+${hex(b.size)}`).join(', ')})`, {
        param: 'phys',
        value: phys,
        len,
      });
    }
    const pm = new Physmem(g, g.takeId('physmem'), VCM_INVALID, 0, [{ pa: phys, len, blockSize: SZ_4K }], undefined);
    g.physmems.add(pm);
    return pm;
  }

  /** Live physmems, by id. */
  get physmems(): readonly Physmem[] {
    this._g.checkAlive('vcmm.physmems');
    return [...(this._g.physmems as Set<Physmem>)];
  }

  // ---- migration (docs/migration.md) ------------------------------------------

  /**
   * Move `physmem` to new blocks of `options.memtype` (an addition to
   * `vcm.h`: `vcm_phys_migrate`). Every reservation it backs keeps its
   * device address in every address space — SMMU tables of both formats, the
   * CPU's kernel table, user mappings — and `physmem` stays the same handle.
   * The mappings are broken, the bytes copied, the mappings made again
   * (break-before-make, each change invalidated before the next); an access
   * in between stalls until the move is done or faults, as
   * `options.onAccess` says. All or nothing. `EBUSY` for a pinned allocation
   * and one that backs a one-to-one reservation, naming the reason.
   */
  migrate(physmem: Physmem, options: MigrateOptions): MigrationReport {
    return migrate(this._g, physmem, options, (where, memtype) => this._checkMemtype(where, memtype));
  }

  /**
   * Move movable allocations of `memtype`'s contiguous region to lower
   * addresses until a `VCM_PHYS_CONT` request of `options.contiguous` bytes
   * fits; reports what moved, whether it fits now, and what could not move.
   */
  compact(memtype: number, options: CompactOptions): CompactionReport {
    return compact(this._g, memtype, options, (where, m) => this._checkMemtype(where, m));
  }

  /**
   * Move everything movable out of the RAM bank `bankName` (SMI → EBI before
   * powering SMI down); reports what moved and what could not, and why.
   */
  evacuate(bankName: string, options?: EvacuateOptions): EvacuationReport {
    return evacuate(this._g, bankName, options, (where, m) => this._checkMemtype(where, m));
  }

  /** @internal */
  private _checkMemtype(where: string, memtype: number): void {
    checkUint(where, 'memtype', memtype);
    if (!this._g.allocator.memtypes.includes(memtype)) {
      throw new VcmError('EINVAL', `${where}: memtype ${memtype} is not a memory type of this board (it has ${this._g.allocator.memtypes.join(', ')})`, {
        param: 'memtype',
        value: memtype,
        memtypes: [...this._g.allocator.memtypes],
      });
    }
  }

  /** `vcm_get_cont_memtype_pa`: the base of the memtype's first contiguous region (`ENOENT` when it has none). */
  contMemtypePa(memtype: number): number {
    return this._contRegion('vcmm.contMemtypePa', memtype).pa;
  }

  /** `vcm_get_cont_memtype_len`. */
  contMemtypeLen(memtype: number): number {
    return this._contRegion('vcmm.contMemtypeLen', memtype).len;
  }

  /** @internal */
  private _contRegion(where: string, memtype: number): { pa: number; len: number } {
    this._g.checkAlive(where);
    this._checkMemtype(where, memtype);
    const region = this._g.allocator.contiguousRegion(memtype);
    if (!region) throw new VcmError('ENOENT', `${where}: memtype ${memtype} has no contiguous region`, { memtype });
    return region;
  }

  /** `vcm_get_min_page_size`: 4096. */
  get minPageSize(): number {
    return VCM_MIN_PAGE_SIZE;
  }

  // ---- cross-object queries ---------------------------------------------------

  /**
   * `vcm_translate`: the address in `dstVcm` that maps the same physical
   * byte as `srcDevAddr` in `srcVcm`. `EFAULT` when the source address is not
   * backed; `ENOENT` when the destination does not map that byte.
   */
  translate(srcDevAddr: number, srcVcm: Vcm, dstVcm: Vcm): number {
    const where = 'vcmm.translate';
    const g = this._g;
    g.checkAlive(where);
    checkUint(where, 'srcDevAddr', srcDevAddr, VCM_ADDR_LIMIT - 1);
    const src = checkHandle(g, where, 'srcVcm', srcVcm, Vcm, 'VCM');
    const dst = checkHandle(g, where, 'dstVcm', dstVcm, Vcm, 'VCM');
    const res = src.findRes(srcDevAddr);
    const pm = res?._physmem;
    if (!res || !pm) {
      throw new VcmError('EFAULT', `${where}: ${hex(srcDevAddr)} is not in a backed reservation of ${src.label}`, {
        param: 'srcDevAddr',
        value: srcDevAddr,
        reservation: res ? res.id : null,
      });
    }
    const off = srcDevAddr - res._addr;
    let pa = -1;
    for (const run of pm._runs) {
      if (off >= run.offset && off < run.offset + run.len) {
        pa = run.pa + (off - run.offset);
        break;
      }
    }
    let best: number | undefined;
    let bestId = Infinity;
    g.reverse.forEachAt(pa, (_start, _len, e) => {
      const r = e.res as Reservation;
      if (r.vcm === dst && r.id < bestId) {
        bestId = r.id;
        best = r._addr + e.offset + (pa - e.pa);
      }
    });
    if (best === undefined) {
      throw new VcmError('ENOENT', `${where}: ${dst.label} maps no reservation onto physical ${hex(pa)} (${src.label} ${hex(srcDevAddr)})`, {
        param: 'dstVcm',
        pa,
        srcDevAddr,
      });
    }
    return best;
  }

  /** `vcm_get_next_phys_res`: the reservations whose backing covers `phys`, by id. */
  physReservations(phys: number): Reservation[] {
    const where = 'vcmm.physReservations';
    this._g.checkAlive(where);
    checkUint(where, 'phys', phys, VCM_ADDR_LIMIT - 1);
    const out: Reservation[] = [];
    this._g.reverse.forEachAt(phys, (_s, _l, e) => {
      out.push(e.res as Reservation);
    });
    return out.sort((a, b) => a.id - b.id);
  }

  /** `vcm_get_phys_num_res`: how many reservations map `phys` (logarithmic in the number of backings). */
  physNumRes(phys: number): number {
    if (this._g.destroyed) this._g.checkAlive('vcmm.physNumRes');
    if (!Number.isSafeInteger(phys) || phys < 0 || phys >= VCM_ADDR_LIMIT) checkUint('vcmm.physNumRes', 'phys', phys, VCM_ADDR_LIMIT - 1);
    return this._g.reverse.countAt(phys);
  }

  /**
   * `vcm_dev_addr_to_phys_addr`: a hardware walk of the device's active
   * table (`EFAULT` when unmapped). Pass an array as `trace` to receive the
   * walk level by level: each entry's physical address and descriptor
   * words, also when the walk faults.
   */
  devAddrToPhysAddr(dev: Device, devAddr: number, trace?: WalkTraceStep[]): number {
    const where = 'vcmm.devAddrToPhysAddr';
    this._g.checkAlive(where);
    const d = checkDevice(this._g, where, dev);
    checkUint(where, 'devAddr', devAddr, VCM_ADDR_LIMIT - 1);
    if (trace !== undefined && !Array.isArray(trace)) {
      throw new VcmError('EINVAL', `${where}: trace must be an array to receive the walk's steps, got ${trace === null ? 'null' : typeof trace}`, { param: 'trace', expected: 'an array' });
    }
    return trace === undefined ? d.driver.devAddrToPhysAddr(d, devAddr) : d.driver.devAddrToPhysAddr(d, devAddr, trace);
  }

  /** `vcm_hook`: register the device's fault handler; it answers `'retry'` or `'terminate'`. */
  hook(dev: Device, handler: FaultHandler, data?: unknown): void {
    const where = 'vcmm.hook';
    this._g.checkAlive(where);
    const d = checkDevice(this._g, where, dev);
    if (typeof handler !== 'function') {
      throw new VcmError('EINVAL', `${where}: handler must be a function (dev, data, fault) => 'retry' | 'terminate', got ${typeof handler}`, {
        param: 'handler',
      });
    }
    const g = this._g;
    // A retry of an access that stalled on a migration's broken mapping
    // completes after the move (docs/migration.md#during-the-move).
    const stallAware: FaultHandler = (device, cookie, fault) => {
      const answer = handler(device, cookie, fault);
      if (answer === 'retry') for (const m of [...g.moving]) if (m.serveStall(device, fault.address)) break;
      return answer;
    };
    d.driver.hook(d, stallAware, data);
  }

  /** `vcm_hw_ver`: the device's hardware version (0 for devices without hardware to ask). */
  hwVersion(dev: Device): number {
    const where = 'vcmm.hwVersion';
    this._g.checkAlive(where);
    const d = checkDevice(this._g, where, dev);
    return d.driver.hwVersion(d);
  }

  // ---- teardown and observation ---------------------------------------------

  /**
   * `vcm_sys_destroy`: tear everything down in reverse dependency order
   * (deactivate, unback, unreserve, deassociate, free bounds, VCMs, then
   * physmems) and make every handle stale.
   */
  destroy(): void {
    const g = this._g;
    g.checkAlive('vcmm.destroy');
    const vcms = [...(g.vcms as Set<Vcm>)].reverse();
    for (const v of vcms) for (const a of v._assocs) if (a._activation) a.deactivate();
    for (const v of vcms) for (const r of v._res) if (r._physmem) r._unbackNow(r._physmem);
    for (const v of vcms) v._teardown();
    for (const pm of [...(g.physmems as Set<Physmem>)].reverse()) pm.free();
    g.destroyed = true;
  }

  /** The whole graph as plain JSON, ordered by id: stable across runs, usable as a state digest. */
  snapshot(): VcmmSnapshot {
    const g = this._g;
    return {
      vcms: [...(g.vcms as Set<Vcm>)].map((v) => v.toJSON()),
      physmems: [...(g.physmems as Set<Physmem>)].map((p) => p.toJSON()),
    };
  }

  toJSON(): VcmmSnapshot {
    return this.snapshot();
  }
}

