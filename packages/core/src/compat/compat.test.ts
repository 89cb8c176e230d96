/**
 * The C face: every function of vcm.h exists in both faces, and every
 * return code the header documents comes back as the header says.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ERRNO,
  SZ_16M,
  SZ_1K,
  SZ_1M,
  SZ_2M,
  SZ_4K,
  SZ_64K,
  VCM_INVALID,
  VCM_MEMTYPE_0,
  VCM_MEMTYPE_1,
  VCM_PHYS_CONT,
  VCM_PREBUILT_KERNEL,
  VCM_READ,
  VCM_START,
  VCM_USE_HIGH_BASE,
  VCM_WB_WA,
  VCM_WRITE,
  Association,
  Bound,
  Physmem,
  Reservation,
  Vcm,
  Vcmm,
  createDirectDevice,
} from '../index.js';
import { makeTestSystem } from '../test-platform.js';
import { type Box, VCM_H_FUNCTIONS, createVcmCompat } from './index.js';

const { EINVAL, EBUSY, ENOENT } = ERRNO;

/**
 * The header's function list, transcribed from include/linux/vcm.h (seed 001)
 * in order. When the seed is at hand, the transcription is checked against it.
 */
const HEADER_FUNCTIONS = [
  'vcm_create', 'vcm_create_from_prebuilt', 'vcm_clone', 'vcm_get_start_addr', 'vcm_get_len', 'vcm_free',
  'vcm_reserve', 'vcm_reserve_at', 'vcm_get_vcm_from_res', 'vcm_unreserve', 'vcm_get_res_len', 'vcm_set_res_attr',
  'vcm_get_res_attr', 'vcm_get_num_res', 'vcm_get_next_res', 'vcm_res_copy', 'vcm_get_min_page_size', 'vcm_back',
  'vcm_unback', 'vcm_phys_alloc', 'vcm_phys_free', 'vcm_get_physmem_from_res', 'vcm_get_memtype_of_physalloc',
  'vcm_assoc', 'vcm_deassoc', 'vcm_set_assoc_attr', 'vcm_get_assoc_attr', 'vcm_activate', 'vcm_deactivate',
  'vcm_is_active', 'vcm_create_bound', 'vcm_free_bound', 'vcm_reserve_from_bound', 'vcm_get_bound_start_addr',
  'vcm_get_bound_len', 'vcm_map_phys_addr', 'vcm_get_next_phys_addr', 'vcm_get_dev_addr', 'vcm_get_res',
  'vcm_translate', 'vcm_get_phys_num_res', 'vcm_get_next_phys_res', 'vcm_get_pgtbl_pa', 'vcm_get_cont_memtype_pa',
  'vcm_get_cont_memtype_len', 'vcm_dev_addr_to_phys_addr', 'vcm_hook', 'vcm_hw_ver', 'vcm_sys_init', 'vcm_sys_destroy',
];

/** vcm.h → where the object API has it (docs/api.md#vcmh-mapping). */
const OBJECT_FACE: Record<string, [object, string]> = {
  vcm_create: [Vcmm.prototype, 'create'],
  vcm_create_from_prebuilt: [Vcmm.prototype, 'createFromPrebuilt'],
  vcm_clone: [Vcmm.prototype, 'clone'],
  vcm_get_start_addr: [Vcm.prototype, 'startAddr'],
  vcm_get_len: [Vcm.prototype, 'len'],
  vcm_free: [Vcm.prototype, 'free'],
  vcm_reserve: [Vcm.prototype, 'reserve'],
  vcm_reserve_at: [Vcm.prototype, 'reserveAt'],
  vcm_get_vcm_from_res: [Reservation.prototype, 'vcm'],
  vcm_unreserve: [Reservation.prototype, 'unreserve'],
  vcm_get_res_len: [Reservation.prototype, 'len'],
  vcm_set_res_attr: [Reservation.prototype, 'setAttr'],
  vcm_get_res_attr: [Reservation.prototype, 'attr'],
  vcm_get_num_res: [Vcm.prototype, 'numRes'],
  vcm_get_next_res: [Vcm.prototype, 'reservations'],
  vcm_res_copy: [Reservation.prototype, 'copyTo'],
  vcm_get_min_page_size: [Vcmm.prototype, 'minPageSize'],
  vcm_back: [Reservation.prototype, 'back'],
  vcm_unback: [Reservation.prototype, 'unback'],
  vcm_phys_alloc: [Vcmm.prototype, 'physAlloc'],
  vcm_phys_free: [Physmem.prototype, 'free'],
  vcm_get_physmem_from_res: [Reservation.prototype, 'physmem'],
  vcm_get_memtype_of_physalloc: [Physmem.prototype, 'memtype'],
  vcm_assoc: [Vcm.prototype, 'assoc'],
  vcm_deassoc: [Association.prototype, 'deassoc'],
  vcm_set_assoc_attr: [Association.prototype, 'setAttr'],
  vcm_get_assoc_attr: [Association.prototype, 'attr'],
  vcm_activate: [Association.prototype, 'activate'],
  vcm_deactivate: [Association.prototype, 'deactivate'],
  vcm_is_active: [Association.prototype, 'isActive'],
  vcm_create_bound: [Vcm.prototype, 'createBound'],
  vcm_free_bound: [Bound.prototype, 'free'],
  vcm_reserve_from_bound: [Bound.prototype, 'reserve'],
  vcm_get_bound_start_addr: [Bound.prototype, 'startAddr'],
  vcm_get_bound_len: [Bound.prototype, 'len'],
  vcm_map_phys_addr: [Vcmm.prototype, 'mapPhysAddr'],
  vcm_get_next_phys_addr: [Physmem.prototype, 'chunks'],
  vcm_get_dev_addr: [Reservation.prototype, 'devAddr'],
  vcm_get_res: [Vcm.prototype, 'findRes'],
  vcm_translate: [Vcmm.prototype, 'translate'],
  vcm_get_phys_num_res: [Vcmm.prototype, 'physNumRes'],
  vcm_get_next_phys_res: [Vcmm.prototype, 'physReservations'],
  vcm_get_pgtbl_pa: [Vcm.prototype, 'pgtblPa'],
  vcm_get_cont_memtype_pa: [Vcmm.prototype, 'contMemtypePa'],
  vcm_get_cont_memtype_len: [Vcmm.prototype, 'contMemtypeLen'],
  vcm_dev_addr_to_phys_addr: [Vcmm.prototype, 'devAddrToPhysAddr'],
  vcm_hook: [Vcmm.prototype, 'hook'],
  vcm_hw_ver: [Vcmm.prototype, 'hwVersion'],
  vcm_sys_init: [Vcmm.prototype, 'constructor'],
  vcm_sys_destroy: [Vcmm.prototype, 'destroy'],
};

/** Instance fields (readonly data) are checked on a live object rather than the prototype. */
function hasMember(proto: object, name: string, sample: Record<string, object>): boolean {
  if (name in proto) return true;
  const ctor = (proto as { constructor: { name: string } }).constructor.name;
  const obj = sample[ctor];
  return obj !== undefined && name in obj;
}

describe('every function of vcm.h exists in both faces', () => {
  it('the transcription matches the header in seed 001, when the seed is present', () => {
    const seeds = fileURLToPath(new URL('../../../../../shared/seeds/', import.meta.url));
    if (!existsSync(seeds)) return; // the seeds live beside the repository in the workspace, not in it
    const file = readdirSync(seeds).find((f) => f.startsWith('001_'));
    if (!file) return;
    const text = readFileSync(seeds + file, 'utf8');
    const header = text.slice(text.indexOf('+++ b/include/linux/vcm.h'));
    const names = [...header.matchAll(/^\+[a-z][a-z_0-9 ]*[ *]+\*?(vcm_[a-z_]+)\(/gm)].map((m) => m[1]);
    expect(names).toEqual(HEADER_FUNCTIONS);
  });

  it('the compat face has every one under its C name, plus vcm_from_prebuilt', () => {
    const { vcmm } = makeTestSystem();
    const c = createVcmCompat(vcmm);
    expect([...VCM_H_FUNCTIONS]).toEqual(HEADER_FUNCTIONS);
    for (const name of [...HEADER_FUNCTIONS, 'vcm_from_prebuilt']) {
      expect(typeof (c as unknown as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('the object API has every one where docs/api.md#vcmh-mapping says', () => {
    const { vcmm } = makeTestSystem();
    const vcm = vcmm.create(0, SZ_16M);
    const bound = vcm.createBound(SZ_1M);
    const res = vcm.reserve(SZ_4K);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K);
    const assoc = vcmm.create(vcmm.contMemtypePa(VCM_MEMTYPE_1), vcmm.contMemtypeLen(VCM_MEMTYPE_1)).assoc(createDirectDevice('d'));
    const sample: Record<string, object> = { Vcmm: vcmm, Vcm: vcm, Bound: bound, Reservation: res, Physmem: pm, Association: assoc };
    expect(Object.keys(OBJECT_FACE).sort()).toEqual([...HEADER_FUNCTIONS].sort());
    for (const [cName, [proto, member]] of Object.entries(OBJECT_FACE)) {
      expect(hasMember(proto, member, sample), `${cName} → ${member}`).toBe(true);
    }
  });
});

function system() {
  const sys = makeTestSystem({ withPrebuilt: true });
  const c = createVcmCompat(sys.vcmm);
  return { ...sys, c };
}

describe('documented return codes through the compat face', () => {
  it('vcm_create / vcm_get_start_addr / vcm_get_len / vcm_free', () => {
    const { c } = system();
    expect(c.vcm_create(0, 0)).toBeNull(); // "zero if ... len is invalid"
    const vcm = c.vcm_create(SZ_1K, SZ_16M);
    expect(vcm).not.toBeNull();
    expect(c.vcm_get_start_addr(vcm)).toBe(SZ_1K);
    expect(c.vcm_get_len(vcm)).toBe(SZ_16M);
    const res = c.vcm_reserve(vcm, SZ_4K, 0);
    expect(c.vcm_free(vcm)).toBe(-EBUSY); // contains reservations
    expect(c.vcm_unreserve(res)).toBe(0);
    const avcm = c.vcm_assoc(vcm, null, 0);
    expect(avcm).toBeNull();
    expect(c.vcm_free(vcm)).toBe(0);
    expect(c.vcm_free(vcm)).toBe(-EINVAL);
    expect(c.vcm_get_start_addr(vcm)).toBe(1); // "1 if an error has occurred"
    expect(c.vcm_get_len(vcm)).toBe(0);
    expect(c.lastError?.message).toMatch(/not a live VCM/);
  });

  it('vcm_free is EBUSY while associated, active or not', () => {
    const { c, iommu } = system();
    const vcm = c.vcm_create(0, SZ_16M);
    const avcm = c.vcm_assoc(vcm, iommu.device('d'), 0);
    expect(c.vcm_free(vcm)).toBe(-EBUSY);
    expect(c.vcm_deassoc(avcm)).toBe(0);
    expect(c.vcm_free(vcm)).toBe(0);
  });

  it('vcm_create_from_prebuilt / vcm_from_prebuilt / vcm_clone', () => {
    const { c } = system();
    expect(c.vcm_from_prebuilt(VCM_PREBUILT_KERNEL)).not.toBeNull();
    expect(c.vcm_create_from_prebuilt(99)).toBeNull();
    expect(c.lastError).toMatchObject({ code: 'ENODEV' });
    const none = createVcmCompat(makeTestSystem().vcmm);
    expect(none.vcm_create_from_prebuilt(VCM_PREBUILT_KERNEL)).toBeNull();
    const vcm = c.vcm_create(0, SZ_16M);
    expect(c.vcm_clone(vcm)).not.toBeNull();
    expect(c.vcm_clone(null)).toBeNull();
  });

  it('reservations: reserve, reserve_at, get_vcm_from_res, unreserve, len, attrs, iteration', () => {
    const { c, vcmm } = system();
    const vcm = c.vcm_create(0, SZ_16M);
    expect(c.vcm_reserve(vcm, 0, 0)).toBeNull(); // "0 if any of the parameters are invalid"
    expect(c.vcm_reserve(null, SZ_4K, 0)).toBeNull();
    const a = c.vcm_reserve_at(VCM_START, vcm, SZ_64K, 0);
    expect(c.vcm_get_dev_addr(a)).toBe(0);
    expect(c.vcm_reserve_at(VCM_START, vcm, SZ_4K, 0)).toBeNull();
    const b = c.vcm_reserve(vcm, SZ_1M, VCM_WB_WA);
    expect(c.vcm_get_vcm_from_res(b)).toBe(vcm);
    expect(c.vcm_get_res_len(b)).toBe(SZ_1M);
    expect(c.vcm_get_res_attr(b)).toBe(VCM_READ | VCM_WRITE | VCM_WB_WA);
    expect(c.vcm_set_res_attr(b, VCM_READ)).toBe(0);
    expect(c.vcm_set_res_attr(b, 0xffff_ffff)).toBe(-EINVAL);
    expect(c.vcm_get_num_res(vcm)).toBe(2);
    const order: Array<Reservation | null> = [];
    for (let r = c.vcm_get_next_res(vcm, null); r; r = c.vcm_get_next_res(vcm, r)) order.push(r);
    expect(order).toEqual([a, b]);
    expect(c.vcm_get_res(0x10_0123, vcm)).toBe(b);
    expect(c.vcm_get_res(0x20_0000, vcm)).toBeNull();
    const pm = c.vcm_phys_alloc(VCM_MEMTYPE_0, SZ_1M, 0);
    expect(c.vcm_back(b, pm)).toBe(0);
    expect(c.vcm_unreserve(b)).toBe(-EBUSY); // "The reservation is still backed"
    expect(c.vcm_unback(b)).toBe(0);
    expect(c.vcm_unreserve(b)).toBe(0);
    expect(c.vcm_unreserve(b)).toBe(-EINVAL);
    expect(c.vcm_get_res_len(b)).toBe(0); // "0 if res is invalid"
    expect(c.vcm_get_res_attr(b)).toBe(0);
    expect(c.vcm_get_vcm_from_res(b)).toBeNull();
    expect(c.vcm_get_dev_addr(b)).toBe(1); // "1 res_id is invalid"
    expect(c.vcm_get_min_page_size()).toBe(SZ_4K);
    void vcmm;
  });

  it('vcm_res_copy returns the bytes copied (0 on error)', () => {
    const { c, memory } = system();
    const vcm = c.vcm_create(0, SZ_16M);
    const from = c.vcm_reserve(vcm, SZ_64K, 0);
    const to = c.vcm_reserve(vcm, SZ_64K, 0);
    expect(c.vcm_res_copy(to, 0, from, 0, 16)).toBe(0); // unbacked
    const pf = c.vcm_phys_alloc(VCM_MEMTYPE_0, SZ_64K, 0) as Physmem;
    const pt = c.vcm_phys_alloc(VCM_MEMTYPE_0, SZ_64K, 0) as Physmem;
    c.vcm_back(from, pf);
    c.vcm_back(to, pt);
    memory.write((pf.chunks()[0] as { pa: number }).pa + 100, Uint8Array.of(5, 6, 7));
    expect(c.vcm_res_copy(to, 8, from, 100, 3)).toBe(3);
    expect(memory.read((pt.chunks()[0] as { pa: number }).pa + 8, 3)).toEqual(Uint8Array.of(5, 6, 7));
  });

  it('backing: EINVAL for invalid handles and unequal lengths, never EAGAIN for inactive associations', () => {
    const { c, iommu } = system();
    const vcm = c.vcm_create(0, SZ_16M);
    c.vcm_assoc(vcm, iommu.device('inactive'), 0);
    const res = c.vcm_reserve(vcm, 8 * SZ_64K, 0);
    const small = c.vcm_phys_alloc(VCM_MEMTYPE_0, 2 * SZ_64K, 0);
    expect(c.vcm_back(res, small)).toBe(-EINVAL);
    expect(c.vcm_back(res, null)).toBe(-EINVAL);
    expect(c.vcm_back(null, small)).toBe(-EINVAL);
    const pm = c.vcm_phys_alloc(VCM_MEMTYPE_0, 8 * SZ_64K, 0);
    expect(c.vcm_back(res, pm)).toBe(0);
    expect(c.vcm_unback(null)).toBe(-EINVAL);
    expect(c.vcm_phys_free(pm)).toBe(-EBUSY); // "reservation mapping the physical memory"
    expect(c.vcm_unback(res)).toBe(0);
    expect(c.vcm_unback(res)).toBe(-EINVAL);
    expect(c.vcm_phys_free(pm)).toBe(0);
    expect(c.vcm_phys_free(pm)).toBe(-EINVAL);
  });

  it('physical allocations: phys_alloc, physmem_from_res, memtype, next_phys_addr, map_phys_addr', () => {
    const { c } = system();
    expect(c.vcm_phys_alloc(VCM_INVALID, SZ_4K, 0)).toBeNull();
    expect(c.vcm_phys_alloc(VCM_MEMTYPE_0, 1000, 0)).toBeNull();
    const pm = c.vcm_phys_alloc(VCM_MEMTYPE_0, SZ_1M + SZ_64K + SZ_4K, 0);
    expect(c.vcm_get_memtype_of_physalloc(pm)).toBe(VCM_MEMTYPE_0);
    expect(c.vcm_get_memtype_of_physalloc(null)).toBe(VCM_INVALID);
    const len: Box<number> = { value: 0 };
    const seen: Array<[number, number]> = [];
    for (let pa = c.vcm_get_next_phys_addr(pm, null, len); pa !== 0; pa = c.vcm_get_next_phys_addr(pm, pa, len)) seen.push([pa, len.value]);
    expect(seen).toEqual([
      [0x4000_0000, SZ_1M],
      [0x4010_0000, SZ_64K],
      [0x4011_0000, SZ_4K],
    ]);
    const vcm = c.vcm_create(0, SZ_16M);
    const res = c.vcm_reserve(vcm, SZ_4K, 0);
    // The header: -ENOMEM for an unbacked reservation; a handle cannot carry it: null.
    expect(c.vcm_get_physmem_from_res(res)).toBeNull();
    expect(c.lastError).toMatchObject({ code: 'ENOMEM' });
    const wrapped = c.vcm_map_phys_addr(0x4080_0000, SZ_4K);
    expect(c.vcm_get_memtype_of_physalloc(wrapped)).toBe(VCM_INVALID);
    expect(c.vcm_back(res, wrapped)).toBe(0);
    expect(c.vcm_get_physmem_from_res(res)).toBe(wrapped);
    expect(c.vcm_map_phys_addr(0x1000_0000, SZ_4K)).toBeNull(); // not RAM
    expect(c.vcm_map_phys_addr(0x4080_0001, SZ_4K)).toBeNull();
  });

  it('associations: assoc, deassoc, attrs, activate, deactivate, is_active', () => {
    const { c, iommu } = system();
    const vcm = c.vcm_create(0, SZ_16M);
    const dev = iommu.device('ctx');
    expect(c.vcm_assoc(vcm, dev, 0xffff_ffff)).toBeNull();
    const avcm = c.vcm_assoc(vcm, dev, 0);
    expect(c.vcm_get_assoc_attr(avcm)).toBe(0);
    expect(c.vcm_is_active(avcm)).toBe(0);
    expect(c.vcm_deactivate(avcm)).toBe(-ENOENT); // "avcm is not activate"
    expect(c.vcm_activate(avcm)).toBe(0);
    expect(c.vcm_is_active(avcm)).toBe(1);
    expect(c.vcm_activate(avcm)).toBe(-EBUSY); // "device is already active"
    const other = c.vcm_assoc(c.vcm_create(0, SZ_16M), dev, 0);
    expect(c.vcm_activate(other)).toBe(-EBUSY);
    expect(c.vcm_set_assoc_attr(avcm, VCM_USE_HIGH_BASE)).toBe(-EBUSY); // active
    expect(c.vcm_deassoc(avcm)).toBe(-EBUSY); // "currently activated"
    expect(c.vcm_deactivate(avcm)).toBe(0);
    expect(c.vcm_set_assoc_attr(avcm, VCM_USE_HIGH_BASE)).toBe(0);
    expect(c.vcm_get_assoc_attr(avcm)).toBe(VCM_USE_HIGH_BASE);
    expect(c.vcm_deassoc(avcm)).toBe(0);
    expect(c.vcm_deassoc(avcm)).toBe(-EINVAL);
    expect(c.vcm_activate(avcm)).toBe(-EINVAL);
    expect(c.vcm_deactivate(avcm)).toBe(-EINVAL);
    expect(c.vcm_is_active(avcm)).toBe(-EINVAL);
    expect(c.vcm_get_assoc_attr(avcm)).toBe(0);
    expect(c.vcm_set_assoc_attr(avcm, 0)).toBe(-EINVAL);
    // -1: hardware failure (a driver error that is not a VcmError).
    iommu.failActivate = new Error('context bank did not respond');
    expect(c.vcm_activate(other)).toBe(-1);
  });

  it('bounds: create, reserve_from, start, len, free', () => {
    const { c } = system();
    const vcm = c.vcm_create(0, SZ_16M);
    expect(c.vcm_create_bound(vcm, 0)).toBeNull();
    const bound = c.vcm_create_bound(vcm, SZ_2M);
    expect(c.vcm_get_bound_start_addr(bound)).toBe(0);
    expect(c.vcm_get_bound_len(bound)).toBe(SZ_2M);
    expect(c.vcm_reserve_from_bound(bound, 4 * SZ_1M, 0)).toBeNull();
    const res = c.vcm_reserve_from_bound(bound, SZ_64K, 0);
    expect(c.vcm_free_bound(bound)).toBe(-EBUSY); // "contains reservations"
    c.vcm_unreserve(res);
    expect(c.vcm_free_bound(bound)).toBe(0);
    expect(c.vcm_free_bound(bound)).toBe(-EINVAL);
    expect(c.vcm_get_bound_start_addr(bound)).toBe(1); // "1 bound_id is invalid"
    expect(c.vcm_get_bound_len(bound)).toBe(0);
  });

  it('translate, reverse lookup, pgtbl_pa, cont_memtype, dev_addr_to_phys_addr, hook, hw_ver', () => {
    const { c, iommu, vcmm } = system();
    const v1 = c.vcm_create(0, SZ_16M);
    const v2 = c.vcm_create(SZ_16M, SZ_16M);
    expect(c.vcm_get_pgtbl_pa(v1)).toBe(0);
    const dev = iommu.device('ctx');
    const avcm = c.vcm_assoc(v1, dev, 0);
    expect(c.vcm_get_pgtbl_pa(v1)).toBe([...iommu.liveSpaces][0]?.pgtblPa);
    const pm = c.vcm_phys_alloc(VCM_MEMTYPE_0, SZ_64K, 0) as Physmem;
    const r1 = c.vcm_reserve(v1, SZ_64K, 0);
    const r2 = c.vcm_reserve(v2, SZ_64K, 0);
    c.vcm_back(r1, pm);
    expect(c.vcm_translate(0x123, v1, v2)).toBe(1); // not mapped in v2 yet
    c.vcm_back(r2, pm);
    expect(c.vcm_translate(0x123, v1, v2)).toBe(SZ_16M + 0x123);
    expect(c.vcm_translate(0x123, v1, null)).toBe(1);
    const pa = (pm.chunks()[0] as { pa: number }).pa;
    expect(c.vcm_get_phys_num_res(pa + 7)).toBe(2);
    expect(c.vcm_get_phys_num_res(0x10)).toBe(0);
    const len: Box<number> = { value: 0 };
    const found: Reservation[] = [];
    for (let r = c.vcm_get_next_phys_res(pa, null, len); r; r = c.vcm_get_next_phys_res(pa, r, len)) found.push(r);
    expect(found).toEqual([r1, r2]);
    expect(len.value).toBe(SZ_64K);
    expect(c.vcm_get_cont_memtype_pa(VCM_MEMTYPE_1)).toBe(0x8000_0000);
    expect(c.vcm_get_cont_memtype_len(VCM_MEMTYPE_1)).toBe(vcmm.contMemtypeLen(VCM_MEMTYPE_1));
    expect(c.vcm_get_cont_memtype_pa(VCM_MEMTYPE_0)).toBe(0); // no contiguous region
    expect(c.vcm_get_cont_memtype_len(VCM_INVALID)).toBe(0);
    c.vcm_activate(avcm);
    expect(c.vcm_dev_addr_to_phys_addr(dev, 0x10)).toBe(pa + 0x10);
    // Fault handler: vcm.txt's convention, 1 retries, 0 terminates.
    let calls = 0;
    expect(
      c.vcm_hook(dev, (_d, data, fault) => {
        calls++;
        expect(data).toBe('ctx-data');
        expect(fault.address).toBe(0x20_0000);
        return calls < 3 ? 1 : 0;
      }, 'ctx-data'),
    ).toBe(0);
    expect(iommu.dmaRead(dev, 0x20_0000, 4)).toBe('terminated');
    expect(calls).toBe(3);
    expect(c.vcm_hook(null, () => 0, null)).toBe(-EINVAL); // "The arguments are invalid"
    expect(c.vcm_hook(dev, null, null)).toBe(-EINVAL);
    expect(c.vcm_hw_ver(dev)).toBe(0x21);
    expect(c.vcm_hw_ver(createDirectDevice('dma'))).toBe(0); // no hardware to ask
    expect(c.vcm_hw_ver(null)).toBe(0);
    expect(c.lastError).toMatchObject({ code: 'EINVAL' }); // not a device: a bad argument, as for vcm_assoc
  });

  it('vcm_sys_init and vcm_sys_destroy', () => {
    const { c, allocator } = system();
    expect(c.vcm_sys_init()).toBe(0);
    const vcm = c.vcm_create(0, SZ_16M);
    c.vcm_back(c.vcm_reserve(vcm, SZ_1M, 0), c.vcm_phys_alloc(VCM_MEMTYPE_0, SZ_1M, VCM_PHYS_CONT));
    expect(c.vcm_sys_destroy()).toBe(0);
    expect(allocator.liveAllocations).toBe(0);
    expect(c.vcm_sys_destroy()).toBe(-EINVAL);
    expect(c.vcm_sys_init()).toBe(-EINVAL);
    expect(c.vcm_get_len(vcm)).toBe(0);
  });

  it('vcm_get_start_addr / vcm_get_len refuse a live handle that is not a VCM (1 and 0, EINVAL)', () => {
    const { c } = system();
    const vcm = c.vcm_create(SZ_4K, SZ_16M) as Vcm;
    const res = c.vcm_reserve(vcm, SZ_64K, 0) as Reservation;
    const bound = c.vcm_create_bound(vcm, SZ_1M) as Bound;
    const pm = c.vcm_phys_alloc(VCM_MEMTYPE_0, SZ_64K, 0) as Physmem;
    for (const h of [res, bound, pm]) {
      // In C the types keep these apart; here a reservation has a len and a
      // bound a startAddr, so the face must check the kind, not only liveness.
      expect(c.vcm_get_start_addr(h as unknown as Vcm)).toBe(1);
      expect(c.lastError?.message).toMatch(/vcm_get_start_addr: vcm is not a live VCM/);
      expect(c.vcm_get_len(h as unknown as Vcm)).toBe(0);
      expect(c.lastError?.message).toMatch(/vcm_get_len: vcm is not a live VCM/);
    }
    expect(c.vcm_get_start_addr(vcm)).toBe(SZ_4K);
    expect(c.vcm_get_len(vcm)).toBe(SZ_16M);
  });

  it('the iterators refuse a reservation that is not in what they iterate (EINVAL, not a silent end)', () => {
    const { c } = system();
    const v1 = c.vcm_create(0, SZ_16M) as Vcm;
    const v2 = c.vcm_create(SZ_16M, SZ_16M) as Vcm;
    const r1 = c.vcm_reserve(v1, SZ_64K, 0) as Reservation;
    const r2 = c.vcm_reserve(v2, SZ_64K, 0) as Reservation;
    const pm = c.vcm_phys_alloc(VCM_MEMTYPE_0, SZ_64K, 0) as Physmem;
    c.vcm_back(r1, pm);
    const pa = (pm.chunks()[0] as { pa: number }).pa;
    // A reservation of another VCM is no cursor of v1's list: the C code
    // would walk a foreign list; we answer null and say why.
    expect(c.vcm_get_next_res(v1, r2)).toBeNull();
    expect(c.lastError).toMatchObject({ code: 'EINVAL', details: { param: 'res' } });
    expect(c.lastError?.message).toMatch(/vcm_get_next_res: res \(reservation #2\) is not a reservation of VCM #1/);
    const len: Box<number> = { value: 0 };
    expect(c.vcm_get_next_phys_res(pa, r2, len)).toBeNull();
    expect(c.lastError).toMatchObject({ code: 'EINVAL', details: { param: 'res' } });
    expect(c.lastError?.message).toMatch(/vcm_get_next_phys_res: res \(reservation #2\) does not map physical/);
    // The ordinary end of an iteration is still a plain null.
    expect(c.vcm_get_next_res(v1, r1)).toBeNull();
    expect(c.vcm_get_next_phys_res(pa, r1, len)).toBeNull();
  });

  it('handles of another Vcmm are invalid', () => {
    const a = system();
    const b = system();
    const vcm = a.c.vcm_create(0, SZ_16M);
    expect(b.c.vcm_reserve(vcm, SZ_4K, 0)).toBeNull();
    expect(b.c.lastError?.message).toMatch(/belongs to another Vcmm/);
    expect(b.c.vcm_free(vcm)).toBe(-EINVAL);
    expect(a.c.vcm_free(vcm)).toBe(0);
  });
});

describe('the error model: lastError is the error of the last call, undefined after a call that succeeded', () => {
  it('tells a failed vcm_get_res (null, lastError set) from "no reservation there" (null, lastError undefined)', () => {
    const { c } = system();
    const vcm = c.vcm_create(0, SZ_16M) as Vcm;
    expect(c.vcm_get_res(0x1000, null)).toBeNull();
    expect(c.lastError).toMatchObject({ code: 'EINVAL' });
    expect(c.vcm_get_res(0x1000, vcm)).toBeNull();
    expect(c.lastError).toBeUndefined();
    const res = c.vcm_reserve(vcm, SZ_64K, 0) as Reservation;
    expect(c.vcm_get_res(res.devAddr, vcm)).toBe(res);
    expect(c.lastError).toBeUndefined();
  });

  it('every vcm_* function clears it on success, including those that cannot fail', () => {
    const { c } = system();
    expect(c.vcm_free(null)).toBe(-EINVAL);
    expect(c.lastError).toBeDefined();
    expect(c.vcm_get_min_page_size()).toBe(SZ_4K);
    expect(c.lastError).toBeUndefined();
    expect(c.vcm_get_phys_num_res(NaN)).toBe(0);
    expect(c.lastError).toMatchObject({ code: 'EINVAL' });
    expect(c.vcm_get_phys_num_res(0)).toBe(0);
    expect(c.lastError).toBeUndefined();
  });

  it('vcm_get_next_phys_addr / vcm_get_next_phys_res refuse a len that is not a box (EINVAL, no TypeError)', () => {
    const { c, vcmm } = system();
    const pm = c.vcm_phys_alloc(VCM_MEMTYPE_0, SZ_64K, 0) as Physmem;
    const vcm = c.vcm_create(0, SZ_16M) as Vcm;
    c.vcm_back(c.vcm_reserve(vcm, SZ_64K, 0), pm);
    const pa = (pm.chunks()[0] as { pa: number }).pa;
    const before = JSON.stringify(vcmm.snapshot());
    for (const bad of [null, undefined, 7, 'len', Object.freeze({ value: 0 })]) {
      expect(c.vcm_get_next_phys_addr(pm, null, bad as never)).toBe(0);
      expect(c.lastError).toMatchObject({ code: 'EINVAL', details: { param: 'len' } });
      expect(c.vcm_get_next_phys_res(pa, null, bad as never)).toBeNull();
      expect(c.lastError).toMatchObject({ code: 'EINVAL', details: { param: 'len' } });
    }
    expect(JSON.stringify(vcmm.snapshot())).toBe(before);
  });
});
