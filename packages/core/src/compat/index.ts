/**
 * `@vcm/core/compat`: every function of `include/linux/vcm.h` (seed 001)
 * under its C name, with the header's return conventions, built over a
 * `Vcmm` instance. It lets a reader follow the seed documents line by line:
 *  - functions returning a handle return `null` on failure;
 *  - `int` functions return 0 or a negative Linux errno (`-EBUSY` …), and
 *    `-1` for a "hardware failure" (a driver that throws something other
 *    than a `VcmError`);
 *  - `size_t` getters return the value the header names for an error
 *    (`1` for `vcm_get_start_addr`, `vcm_get_dev_addr`,
 *    `vcm_get_bound_start_addr`, `vcm_translate`; `0` elsewhere);
 *  - iterators start from `null` (`vcm_get_next_res(vcm, null)`);
 *  - out-parameters are `{ value }` boxes.
 * The error model (docs/api.md#compat-layer): `lastError` is the error of
 * the last `vcm_*` call, and `undefined` after a call that succeeded. Every
 * call clears it on entry, so a caller can tell a failure from a return
 * value that is also legal (`vcm_get_res` → `null` when no reservation
 * holds the address; `vcm_get_phys_num_res` → 0 when nothing maps it).
 */
import type { Association } from '../association.js';
import type { Bound } from '../bound.js';
import { VCM_INVALID } from '../constants.js';
import type { Device, FaultInfo } from '../driver.js';
import { ERRNO, VcmError, hex } from '../errors.js';
import { GraphObject } from '../graph.js';
import type { Physmem } from '../physmem.js';
import type { Reservation } from '../reservation.js';
import type { Vcm } from '../vcm.js';
import type { Vcmm } from '../vcmm.js';

/** An out-parameter (`size_t *len`). */
export interface Box<T> {
  value: T;
}

/** The C fault handler (`vcm_handler`); per vcm.txt (docs/decisions.md#the-fault-handlers-answer): return 1 to retry, 0 to terminate. */
export type VcmHandler = (devId: Device, data: unknown, faultData: FaultInfo) => number;

/** Every function of vcm.h, by its C name. */
export interface VcmCompat {
  /** The error the last `vcm_*` call turned into its return value; `undefined` when that call succeeded. */
  readonly lastError: VcmError | Error | undefined;

  vcm_create(startAddr: number, len: number): Vcm | null;
  vcm_create_from_prebuilt(extVcmId: number): Vcm | null;
  /** The walk-throughs' spelling of `vcm_create_from_prebuilt`. */
  vcm_from_prebuilt(extVcmId: number): Vcm | null;
  vcm_clone(vcm: Vcm | null): Vcm | null;
  vcm_get_start_addr(vcm: Vcm | null): number;
  vcm_get_len(vcm: Vcm | null): number;
  vcm_free(vcm: Vcm | null): number;

  vcm_reserve(vcm: Vcm | null, len: number, attr: number): Reservation | null;
  vcm_reserve_at(memtarget: number, vcm: Vcm | null, len: number, attr: number): Reservation | null;
  vcm_get_vcm_from_res(res: Reservation | null): Vcm | null;
  vcm_unreserve(res: Reservation | null): number;
  vcm_get_res_len(res: Reservation | null): number;
  vcm_set_res_attr(res: Reservation | null, attr: number): number;
  vcm_get_res_attr(res: Reservation | null): number;
  vcm_get_num_res(vcm: Vcm | null): number;
  vcm_get_next_res(vcm: Vcm | null, res: Reservation | null): Reservation | null;
  vcm_res_copy(to: Reservation | null, toOff: number, from: Reservation | null, fromOff: number, len: number): number;
  vcm_get_min_page_size(): number;

  vcm_back(res: Reservation | null, physmem: Physmem | null): number;
  vcm_unback(res: Reservation | null): number;
  vcm_phys_alloc(memtype: number, len: number, attr: number): Physmem | null;
  vcm_phys_free(physmem: Physmem | null): number;
  vcm_get_physmem_from_res(res: Reservation | null): Physmem | null;
  vcm_get_memtype_of_physalloc(physmem: Physmem | null): number;

  vcm_assoc(vcm: Vcm | null, dev: Device | null, attr: number): Association | null;
  vcm_deassoc(avcm: Association | null): number;
  vcm_set_assoc_attr(avcm: Association | null, attr: number): number;
  vcm_get_assoc_attr(avcm: Association | null): number;
  vcm_activate(avcm: Association | null): number;
  vcm_deactivate(avcm: Association | null): number;
  vcm_is_active(avcm: Association | null): number;

  vcm_create_bound(vcm: Vcm | null, len: number): Bound | null;
  vcm_free_bound(bound: Bound | null): number;
  vcm_reserve_from_bound(bound: Bound | null, len: number, attr: number): Reservation | null;
  vcm_get_bound_start_addr(bound: Bound | null): number;
  vcm_get_bound_len(bound: Bound | null): number;

  vcm_map_phys_addr(phys: number, len: number): Physmem | null;
  vcm_get_next_phys_addr(physmem: Physmem | null, phys: number | null, len: Box<number>): number;
  vcm_get_dev_addr(res: Reservation | null): number;
  vcm_get_res(devAddr: number, vcm: Vcm | null): Reservation | null;
  vcm_translate(srcDevAddr: number, srcVcm: Vcm | null, dstVcm: Vcm | null): number;
  vcm_get_phys_num_res(phys: number): number;
  vcm_get_next_phys_res(phys: number, res: Reservation | null, len: Box<number>): Reservation | null;
  vcm_get_pgtbl_pa(vcm: Vcm | null): number;
  vcm_get_cont_memtype_pa(memtype: number): number;
  vcm_get_cont_memtype_len(memtype: number): number;
  vcm_dev_addr_to_phys_addr(dev: Device | null, devAddr: number): number;
  vcm_hook(dev: Device | null, handler: VcmHandler | null, data: unknown): number;
  vcm_hw_ver(dev: Device | null): number;

  vcm_sys_init(): number;
  vcm_sys_destroy(): number;

  /**
   * An addition to vcm.h (docs/api.md#migration): move `physmem` to blocks
   * of `memtype` allocated with `attr` (0: the physmem's own), every device
   * keeping its address. 0, or `-EBUSY` (pinned, or backing a one-to-one
   * reservation), `-ENOMEM`, `-EINVAL`.
   */
  vcm_phys_migrate(physmem: Physmem | null, memtype: number, attr?: number): number;
}

/** The function names of vcm.h in header order (plus the walk-throughs' `vcm_from_prebuilt`). */
export const VCM_H_FUNCTIONS = [
  'vcm_create',
  'vcm_create_from_prebuilt',
  'vcm_clone',
  'vcm_get_start_addr',
  'vcm_get_len',
  'vcm_free',
  'vcm_reserve',
  'vcm_reserve_at',
  'vcm_get_vcm_from_res',
  'vcm_unreserve',
  'vcm_get_res_len',
  'vcm_set_res_attr',
  'vcm_get_res_attr',
  'vcm_get_num_res',
  'vcm_get_next_res',
  'vcm_res_copy',
  'vcm_get_min_page_size',
  'vcm_back',
  'vcm_unback',
  'vcm_phys_alloc',
  'vcm_phys_free',
  'vcm_get_physmem_from_res',
  'vcm_get_memtype_of_physalloc',
  'vcm_assoc',
  'vcm_deassoc',
  'vcm_set_assoc_attr',
  'vcm_get_assoc_attr',
  'vcm_activate',
  'vcm_deactivate',
  'vcm_is_active',
  'vcm_create_bound',
  'vcm_free_bound',
  'vcm_reserve_from_bound',
  'vcm_get_bound_start_addr',
  'vcm_get_bound_len',
  'vcm_map_phys_addr',
  'vcm_get_next_phys_addr',
  'vcm_get_dev_addr',
  'vcm_get_res',
  'vcm_translate',
  'vcm_get_phys_num_res',
  'vcm_get_next_phys_res',
  'vcm_get_pgtbl_pa',
  'vcm_get_cont_memtype_pa',
  'vcm_get_cont_memtype_len',
  'vcm_dev_addr_to_phys_addr',
  'vcm_hook',
  'vcm_hw_ver',
  'vcm_sys_init',
  'vcm_sys_destroy',
] as const satisfies ReadonlyArray<keyof VcmCompat>;

/** Functions the C face has beyond vcm.h: the migration this project adds (docs/api.md#migration). */
export const VCM_H_ADDITIONS = ['vcm_phys_migrate'] as const satisfies ReadonlyArray<keyof VcmCompat>;

/**
 * Build the C face over `vcmm`. Handles are the object API's objects, so a
 * reader can mix both faces.
 */
export function createVcmCompat(vcmm: Vcmm): VcmCompat {
  let lastError: VcmError | Error | undefined;

  /** Run `fn`; on a throw remember the error and return `fallback`. Every call starts with lastError cleared (the error model). */
  function guard<T, F>(fallback: F, fn: () => T): T | F {
    lastError = undefined;
    try {
      return fn();
    } catch (e) {
      lastError = e instanceof Error ? e : new Error(String(e));
      return fallback;
    }
  }

  /** An `int` function: 0, or the negative errno; -1 for a failure that is not a VcmError ("hardware failure"). */
  function status(fn: () => void): number {
    lastError = undefined;
    try {
      fn();
      return 0;
    } catch (e) {
      lastError = e instanceof Error ? e : new Error(String(e));
      return e instanceof VcmError ? -e.errno : -1;
    }
  }

  /** A live handle of this Vcmm (the C face never throws on a stale one). */
  function alive<T extends GraphObject>(h: T | null | undefined): h is T {
    return h instanceof GraphObject && h._g === vcmm._g && h.isAlive;
  }

  function aliveVcm(h: Vcm | null | undefined): h is Vcm {
    return alive(h) && h.kind === 'VCM';
  }

  function invalid(where: string, param: string): VcmError {
    const kind = (PARAM_KIND as Record<string, string>)[param] ?? 'handle';
    return new VcmError('EINVAL', `${where}: ${param} is not a live ${kind} of this Vcmm`, { param });
  }

  const api: VcmCompat = {
    get lastError() {
      return lastError;
    },

    vcm_create: (startAddr, len) => guard(null, () => vcmm.create(startAddr, len)),
    vcm_create_from_prebuilt: (id) => guard(null, () => vcmm.createFromPrebuilt(id)),
    vcm_from_prebuilt: (id) => guard(null, () => vcmm.createFromPrebuilt(id)),
    vcm_clone: (vcm) => guard(null, () => vcmm.clone(vcm as Vcm)),
    // The header: "The return value will be 1 if an error has occurred."
    // The kind matters too: a live reservation has a len and a bound a startAddr.
    vcm_get_start_addr: (vcm) => guard(1, () => (aliveVcm(vcm) ? vcm.startAddr : fail(invalid('vcm_get_start_addr', 'vcm')))),
    vcm_get_len: (vcm) => guard(0, () => (aliveVcm(vcm) ? vcm.len : fail(invalid('vcm_get_len', 'vcm')))),
    vcm_free: (vcm) => status(() => need(vcm, 'vcm_free', 'vcm').free()),

    vcm_reserve: (vcm, len, attr) => guard(null, () => need(vcm, 'vcm_reserve', 'vcm').reserve(len, attr)),
    vcm_reserve_at: (memtarget, vcm, len, attr) => guard(null, () => need(vcm, 'vcm_reserve_at', 'vcm').reserveAt(memtarget, len, attr)),
    vcm_get_vcm_from_res: (res) => guard(null, () => need(res, 'vcm_get_vcm_from_res', 'res').vcm),
    vcm_unreserve: (res) => status(() => need(res, 'vcm_unreserve', 'res').unreserve()),
    vcm_get_res_len: (res) => guard(0, () => need(res, 'vcm_get_res_len', 'res').len),
    vcm_set_res_attr: (res, attr) => status(() => need(res, 'vcm_set_res_attr', 'res').setAttr(attr)),
    vcm_get_res_attr: (res) => guard(0, () => need(res, 'vcm_get_res_attr', 'res').attr),
    vcm_get_num_res: (vcm) => guard(0, () => need(vcm, 'vcm_get_num_res', 'vcm').numRes),
    vcm_get_next_res: (vcm, res) =>
      guard(null, () => {
        const v = need(vcm, 'vcm_get_next_res', 'vcm');
        if (res !== null && res !== undefined) {
          if (!alive(res)) throw invalid('vcm_get_next_res', 'res');
          // A cursor from another list is a bad argument, not the end of this one.
          if (res.kind !== 'reservation' || res.vcm !== v) {
            throw new VcmError('EINVAL', `vcm_get_next_res: res (${res.label}) is not a reservation of ${v.label}`, { param: 'res' });
          }
        }
        return v._nextRes(res ?? undefined) ?? null;
      }),
    vcm_res_copy: (to, toOff, from, fromOff, len) =>
      guard(0, () => need(from, 'vcm_res_copy', 'from').copyTo(to as Reservation, toOff, fromOff, len)),
    vcm_get_min_page_size: () => guard(0, () => vcmm.minPageSize),

    // Never -EAGAIN for inactive associations
    // (docs/decisions.md#vcm_back-never-returns-eagain).
    vcm_back: (res, physmem) => status(() => need(res, 'vcm_back', 'res').back(physmem as Physmem)),
    vcm_unback: (res) => status(() => need(res, 'vcm_unback', 'res').unback()),
    vcm_phys_alloc: (memtype, len, attr) => guard(null, () => vcmm.physAlloc(memtype, len, attr)),
    vcm_phys_free: (physmem) => status(() => need(physmem, 'vcm_phys_free', 'physmem').free()),
    // The header: -EINVAL for an invalid res, -ENOMEM for an unbacked one; a
    // pointer cannot carry either, so both are null (lastError says which).
    vcm_get_physmem_from_res: (res) =>
      guard(null, () => {
        const pm = need(res, 'vcm_get_physmem_from_res', 'res').physmem;
        if (!pm) throw new VcmError('ENOMEM', `vcm_get_physmem_from_res: ${(res as Reservation).label} is not backed`, {});
        return pm;
      }),
    vcm_get_memtype_of_physalloc: (physmem) => guard(VCM_INVALID, () => need(physmem, 'vcm_get_memtype_of_physalloc', 'physmem').memtype),

    vcm_assoc: (vcm, dev, attr) => guard(null, () => need(vcm, 'vcm_assoc', 'vcm').assoc(dev as Device, attr)),
    vcm_deassoc: (avcm) => status(() => need(avcm, 'vcm_deassoc', 'avcm').deassoc()),
    vcm_set_assoc_attr: (avcm, attr) => status(() => need(avcm, 'vcm_set_assoc_attr', 'avcm').setAttr(attr)),
    vcm_get_assoc_attr: (avcm) => guard(0, () => need(avcm, 'vcm_get_assoc_attr', 'avcm').attr),
    vcm_activate: (avcm) => status(() => need(avcm, 'vcm_activate', 'avcm').activate()),
    vcm_deactivate: (avcm) => status(() => need(avcm, 'vcm_deactivate', 'avcm').deactivate()),
    // The header: 0 for not active, 1 for active or -EINVAL for error.
    vcm_is_active: (avcm) => guard(-ERRNO.EINVAL, () => (need(avcm, 'vcm_is_active', 'avcm').isActive ? 1 : 0)),

    vcm_create_bound: (vcm, len) => guard(null, () => need(vcm, 'vcm_create_bound', 'vcm').createBound(len)),
    vcm_free_bound: (bound) => status(() => need(bound, 'vcm_free_bound', 'bound').free()),
    vcm_reserve_from_bound: (bound, len, attr) => guard(null, () => need(bound, 'vcm_reserve_from_bound', 'bound').reserve(len, attr)),
    vcm_get_bound_start_addr: (bound) => guard(1, () => need(bound, 'vcm_get_bound_start_addr', 'bound').startAddr),
    vcm_get_bound_len: (bound) => guard(0, () => need(bound, 'vcm_get_bound_len', 'bound').len),

    vcm_map_phys_addr: (phys, len) => guard(null, () => vcmm.mapPhysAddr(phys, len)),
    // phys 0 or null starts the iteration; returns 0 after the last chunk.
    vcm_get_next_phys_addr: (physmem, phys, lenBox) =>
      guard(0, () => {
        const chunks = need(physmem, 'vcm_get_next_phys_addr', 'physmem').chunks();
        checkBox('vcm_get_next_phys_addr', lenBox);
        let i = 0;
        if (phys !== null && phys !== 0) {
          i = chunks.findIndex((c) => c.pa === phys) + 1;
          if (i === 0) throw new VcmError('EINVAL', `vcm_get_next_phys_addr: phys ${phys} is not a chunk of ${(physmem as Physmem).label}`, { phys });
        }
        const next = chunks[i];
        if (!next) {
          lenBox.value = 0;
          return 0;
        }
        lenBox.value = next.len;
        return next.pa;
      }),
    vcm_get_dev_addr: (res) => guard(1, () => need(res, 'vcm_get_dev_addr', 'res').devAddr),
    vcm_get_res: (devAddr, vcm) => guard(null, () => need(vcm, 'vcm_get_res', 'vcm').findRes(devAddr) ?? null),
    vcm_translate: (src, srcVcm, dstVcm) => guard(1, () => vcmm.translate(src, srcVcm as Vcm, dstVcm as Vcm)),
    vcm_get_phys_num_res: (phys) => guard(0, () => vcmm.physNumRes(phys)),
    vcm_get_next_phys_res: (phys, res, lenBox) =>
      guard(null, () => {
        const all = vcmm.physReservations(phys);
        checkBox('vcm_get_next_phys_res', lenBox);
        let i = 0;
        if (res !== null && res !== undefined) {
          if (!alive(res)) throw invalid('vcm_get_next_phys_res', 'res');
          i = all.indexOf(res) + 1;
          if (i === 0) throw new VcmError('EINVAL', `vcm_get_next_phys_res: res (${res.label}) does not map physical ${hex(phys)}`, { param: 'res', phys });
        }
        const next = all[i];
        if (!next) return null;
        lenBox.value = next.len;
        return next;
      }),
    vcm_get_pgtbl_pa: (vcm) => guard(0, () => need(vcm, 'vcm_get_pgtbl_pa', 'vcm').pgtblPa),
    vcm_get_cont_memtype_pa: (memtype) => guard(0, () => vcmm.contMemtypePa(memtype)),
    vcm_get_cont_memtype_len: (memtype) => guard(0, () => vcmm.contMemtypeLen(memtype)),
    // The header only says the lookup faults when unmapped; the C face answers 0.
    vcm_dev_addr_to_phys_addr: (dev, devAddr) => guard(0, () => vcmm.devAddrToPhysAddr(dev as Device, devAddr)),
    // The header documents only -EINVAL ("The arguments are invalid"), which is what core answers for a bad device.
    vcm_hook: (dev, handler, data) =>
      status(() => {
        if (typeof handler !== 'function') fail(new VcmError('EINVAL', `vcm_hook: handler must be a function (dev_id, data, fault_data) => 1 (retry) or 0 (terminate), got ${handler === null ? 'null' : typeof handler}`, { param: 'handler' }));
        vcmm.hook(dev as Device, (d, dt, fault) => (handler(d, dt, fault) === 1 ? 'retry' : 'terminate'), data);
      }),
    vcm_hw_ver: (dev) => guard(0, () => vcmm.hwVersion(dev as Device)),

    vcm_sys_init: () => status(() => vcmm._g.checkAlive('vcm_sys_init')),
    vcm_sys_destroy: () => status(() => vcmm.destroy()),

    vcm_phys_migrate: (physmem, memtype, attr = 0) =>
      status(() => {
        const pm = need(physmem, 'vcm_phys_migrate', 'physmem');
        vcmm.migrate(pm, attr === 0 ? { memtype } : { memtype, attr });
      }),
  };
  return api;

  function need<T extends GraphObject>(h: T | null | undefined, where: string, param: keyof typeof PARAM_KIND): T {
    if (!(h instanceof GraphObject) || h.kind !== PARAM_KIND[param]) throw invalid(where, param);
    if (h._g !== vcmm._g) throw new VcmError('EINVAL', `${where}: ${param} (${h.label}) belongs to another Vcmm`, { param });
    h._live(where);
    return h;
  }
}

/** The kind of handle each C parameter name takes. */
const PARAM_KIND = { vcm: 'VCM', res: 'reservation', from: 'reservation', avcm: 'association', physmem: 'physmem', bound: 'bound' } as const;

function fail(e: Error): never {
  throw e;
}

/** An out-parameter must be a writable `{ value }` box; the C code would dereference a bad pointer. */
function checkBox(where: string, box: unknown): void {
  if (typeof box !== 'object' || box === null || !('value' in box) || !Object.isExtensible(box) || Object.isFrozen(box)) {
    throw new VcmError('EINVAL', `${where}: len must be a writable { value } box (the C size_t *len), got ${box === null ? 'null' : typeof box === 'object' ? 'a frozen or foreign object' : typeof box}`, {
      param: 'len',
    });
  }
}
