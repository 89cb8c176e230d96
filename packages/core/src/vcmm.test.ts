/**
 * The object API: placement, attributes, backing, aliasing, associations,
 * clone, copy, queries, teardown and snapshots.
 */
import { describe, expect, it } from 'vitest';
import {
  SZ_16M,
  SZ_1K,
  SZ_1M,
  SZ_2M,
  SZ_4K,
  SZ_64K,
  VCM_ALIGN_1M,
  VCM_ALIGN_4K,
  VCM_ALIGN_64K,
  VCM_EXECUTE,
  VCM_MEMTYPE_0,
  VCM_MEMTYPE_1,
  VCM_NOTCACHED,
  VCM_PHYS_CONT,
  VCM_PREBUILT_KERNEL,
  VCM_READ,
  VCM_START,
  VCM_USE_HIGH_BASE,
  VCM_USE_LOW_BASE,
  VCM_WB_WA,
  VCM_WRITE,
  VCM_WT,
  createDirectDevice,
  vcmPhysAlignAttr,
} from './index.js';
import type { MappingAlias } from './driver.js';
import { FakeIommuDriver, type FakeSpace } from './test-iommu-driver.js';
import { makeTestSystem } from './test-platform.js';
import { codeOf, vcmErrorOf } from '@vcm/test-kit';

describe('reservation placement (the device-address allocator)', () => {
  it('places page-aligned inside a VCM that starts unaligned (vcm_create(SZ_1K, SZ_16M))', () => {
    const { vcmm } = makeTestSystem();
    const vcm = vcmm.create(SZ_1K, SZ_16M);
    const a = vcm.reserve(SZ_4K);
    const b = vcm.reserve(SZ_64K);
    const c = vcm.reserve(SZ_1M);
    expect(a.devAddr).toBe(0x1000);
    expect(b.devAddr).toBe(0x1_0000);
    expect(c.devAddr).toBe(0x10_0000);
    // No alignment waste: the gap between a and b is still free for 4 KiB reservations.
    expect(vcm.reserve(SZ_4K).devAddr).toBe(0x2000);
    expect(codeOf(() => vcm.reserveAt(VCM_START, SZ_4K))).toBe('EBUSY');
    // The VCM holds 4095 whole pages: [0x1000, 0x100_0000).
    expect(codeOf(() => vcm.reserve(SZ_16M))).toBe('EINVAL');
  });

  it('honours VCM_ALIGN_* and reserveAt(VCM_START) takes the lowest page', () => {
    const { vcmm, logger } = makeTestSystem();
    const vcm = vcmm.create(SZ_1K, SZ_16M);
    const r = vcm.reserveAt(VCM_START, SZ_64K, VCM_ALIGN_4K);
    expect(r.devAddr).toBe(0x1000);
    expect(codeOf(() => vcm.reserveAt(VCM_START, SZ_4K))).toBe('EBUSY');
    expect(codeOf(() => vcm.reserveAt(1, SZ_4K))).toBe('EINVAL');
    expect(vcm.reserve(SZ_4K, VCM_ALIGN_1M).devAddr).toBe(0x10_0000);
    // Aligning below 1 MiB for 1 MiB or more is allowed, with VCM_PERF_WARN.
    const warned = logger.warnings.length;
    const s = vcm.reserve(SZ_1M, VCM_ALIGN_64K);
    expect(s.devAddr % SZ_64K).toBe(0);
    expect(logger.warnings.length).toBe(warned + 1);
    expect(logger.warnings.at(-1)?.message).toMatch(/VCM_PERF_WARN/);
  });

  it('reserveAt(VCM_START) honours an explicit VCM_ALIGN_* (EINVAL when the start is not aligned); setAttr takes its own attr back', () => {
    const { vcmm } = makeTestSystem();
    const vcm = vcmm.create(SZ_4K, SZ_16M);
    const before = vcmm.snapshot();
    const e = vcmErrorOf(() => vcm.reserveAt(VCM_START, SZ_1M, VCM_ALIGN_1M));
    expect(e.code).toBe('EINVAL');
    expect(e.details).toMatchObject({ param: 'attr', devAddr: SZ_4K, align: SZ_1M });
    expect(vcmm.snapshot()).toEqual(before);
    // Natural alignment is a placement preference, not a demand: VCM_START stays usable.
    const r = vcm.reserveAt(VCM_START, SZ_1M);
    expect(r.devAddr).toBe(SZ_4K);
    r.setAttr(r.attr);
    const aligned = vcmm.create(0, SZ_16M);
    const a = aligned.reserveAt(VCM_START, SZ_1M, VCM_ALIGN_1M);
    expect(a.devAddr).toBe(0);
    a.setAttr(a.attr);
  });

  it('ENOMEM names the largest free extent; nothing changes', () => {
    const { vcmm } = makeTestSystem();
    const vcm = vcmm.create(0, SZ_2M);
    vcm.reserve(SZ_1M);
    const before = vcmm.snapshot();
    const e = vcmErrorOf(() => vcm.reserve(SZ_2M - SZ_4K));
    expect(e.code).toBe('ENOMEM');
    expect(e.message).toMatch(/largest free extent is 1 MiB/);
    expect(vcmm.snapshot()).toEqual(before);
    expect(codeOf(() => vcm.reserve(4 * SZ_1M))).toBe('EINVAL');
  });

  it('bounds are nested ranges', () => {
    const { vcmm } = makeTestSystem();
    const vcm = vcmm.create(0, SZ_16M);
    const bound = vcm.createBound(SZ_2M);
    const inB = bound.reserve(SZ_64K);
    expect(inB.devAddr).toBeGreaterThanOrEqual(bound.startAddr);
    expect(inB.devAddr + inB.len).toBeLessThanOrEqual(bound.startAddr + bound.len);
    expect(inB.bound).toBe(bound);
    const outside = vcm.reserve(SZ_64K);
    expect(outside.devAddr >= bound.startAddr + bound.len || outside.devAddr + outside.len <= bound.startAddr).toBe(true);
    expect(codeOf(() => bound.reserve(4 * SZ_1M))).toBe('EINVAL');
    expect(codeOf(() => bound.free())).toBe('EBUSY');
    inB.unreserve();
    bound.free();
    expect(codeOf(() => bound.reserve(SZ_4K))).toBe('EINVAL');
  });

  it('iterates in address order and findRes finds the containing reservation', () => {
    const { vcmm } = makeTestSystem();
    const vcm = vcmm.create(0, SZ_16M);
    const big = vcm.reserve(SZ_1M);
    const small = vcm.reserve(SZ_4K);
    expect(small.devAddr).toBe(SZ_1M);
    expect(vcm.reservations).toEqual([big, small]);
    expect(vcm.numRes).toBe(2);
    expect(vcm.findRes(big.devAddr + 0x1234)).toBe(big);
    expect(vcm.findRes(small.devAddr)).toBe(small);
    expect(vcm.findRes(small.devAddr + SZ_4K)).toBeUndefined();
  });
});

describe('reservation attributes', () => {
  it('no access bit means read+write; cache policy 4..15 and alignment orders below 12 are EINVAL', () => {
    const { vcmm } = makeTestSystem();
    const vcm = vcmm.create(0, SZ_16M);
    expect(vcm.reserve(SZ_4K, VCM_WB_WA).attr).toBe(VCM_READ | VCM_WRITE | VCM_WB_WA);
    expect(vcm.reserve(SZ_4K, VCM_EXECUTE).attr).toBe(VCM_EXECUTE);
    expect(codeOf(() => vcm.reserve(SZ_4K, 4))).toBe('EINVAL');
    expect(codeOf(() => vcm.reserve(SZ_4K, 11 << 10))).toBe('EINVAL');
    expect(codeOf(() => vcm.reserve(SZ_4K, 1 << 20))).toBe('EINVAL');
  });

  it('setAttr on a backed reservation rewrites every mapping', () => {
    const { vcmm, iommu } = makeTestSystem();
    const vcm = vcmm.create(0, SZ_16M);
    vcm.assoc(iommu.device('a'));
    const res = vcm.reserve(SZ_64K, VCM_READ);
    res.back(vcmm.physAlloc(VCM_MEMTYPE_0, SZ_64K));
    const space = [...iommu.liveSpaces][0] as FakeSpace;
    expect(space.pages.get(res.devAddr)?.attr).toBe(VCM_READ);
    res.setAttr(VCM_READ | VCM_WRITE);
    expect(res.attr).toBe(VCM_READ | VCM_WRITE);
    expect([...space.pages.values()].every((p) => p.attr === (VCM_READ | VCM_WRITE))).toBe(true);
  });
});

describe('backing', () => {
  it('requires equal lengths and names both', () => {
    const { vcmm } = makeTestSystem();
    const res = vcmm.create(0, SZ_16M).reserve(8 * SZ_64K);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, 2 * SZ_64K);
    const e = vcmErrorOf(() => res.back(pm));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toMatch(/reservation #1 is 512 KiB.*physmem #1 is 128 KiB/);
  });

  it('refuses attribute aliasing between reservations, naming the existing mapping (docs/rules.md#aliasing)', () => {
    const { vcmm } = makeTestSystem();
    const v1 = vcmm.create(0, SZ_16M);
    const v2 = vcmm.create(0, SZ_16M);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_1M);
    const r1 = v1.reserve(SZ_1M, VCM_WB_WA);
    r1.back(pm);
    const r2 = v2.reserve(SZ_1M, VCM_READ | VCM_NOTCACHED);
    const before = vcmm.snapshot();
    const e = vcmErrorOf(() => r2.back(pm));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toMatch(/would alias reservation #1 in VCM #1 \(0x0000_0000, write-back write-allocate\) with not-cached/);
    expect(vcmm.snapshot()).toEqual(before);
    // Access permissions may differ.
    const r3 = v2.reserve(SZ_1M, VCM_READ | VCM_WB_WA);
    r3.back(pm);
    expect(pm.reservations).toEqual([r1, r3]);
    // setAttr may not create aliasing either.
    expect(codeOf(() => r3.setAttr(VCM_WT))).toBe('EINVAL');
  });

  it('refuses aliasing with a mapping outside the graph (the CPU linear map) and through overlapping mapPhysAddr', () => {
    const { vcmm } = makeTestSystem({ withPrebuilt: true });
    const vcm = vcmm.create(0, SZ_16M);
    const wrapped = vcmm.mapPhysAddr(0x43f0_0000, SZ_1M);
    const e = vcmErrorOf(() => vcm.reserve(SZ_1M, VCM_NOTCACHED).back(wrapped));
    expect(e.message).toMatch(/kernel linear map/);
    vcm.reserve(SZ_1M, VCM_WB_WA).back(wrapped);
    const inner = vcmm.mapPhysAddr(0x43f0_0000 + SZ_64K, SZ_64K);
    expect(codeOf(() => vcm.reserve(SZ_64K, VCM_WT).back(inner))).toBe('EINVAL');
  });

  it('is atomic when a driver map fails: nothing mapped, nothing recorded', () => {
    let other = undefined as unknown as FakeIommuDriver;
    const { vcmm, iommu } = makeTestSystem({ extraDrivers: (allocator, memory) => [(other = new FakeIommuDriver(allocator, memory, { name: 'other' }))] });
    const vcm = vcmm.create(0, SZ_16M);
    vcm.assoc(iommu.device('a'));
    vcm.assoc(other.device('b'));
    const res = vcm.reserve(SZ_2M);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_2M, 0);
    const before = vcmm.snapshot();
    other.failMapIn = 1;
    expect(codeOf(() => res.back(pm))).toBe('ENOMEM');
    expect(vcmm.snapshot()).toEqual(before);
    for (const d of [iommu, other]) for (const s of d.liveSpaces) expect(s.pages.size).toBe(0);
    res.back(pm);
    expect(vcmm.physNumRes((pm.chunks()[0] as { pa: number }).pa)).toBe(1);
  });

  it('one-to-one VCMs: devAddr once backed, overlapping backings refused', () => {
    const { vcmm, iommu } = makeTestSystem();
    const vcm = vcmm.create(vcmm.contMemtypePa(VCM_MEMTYPE_1), vcmm.contMemtypeLen(VCM_MEMTYPE_1));
    expect(vcm.type).toBe('one-to-one');
    const r1 = vcm.reserve(SZ_1M);
    expect(codeOf(() => r1.devAddr)).toBe('EINVAL');
    const pm = vcmm.physAlloc(VCM_MEMTYPE_1, SZ_1M, VCM_PHYS_CONT);
    r1.back(pm);
    expect(r1.devAddr).toBe(pm.chunks()[0]?.pa);
    const r2 = vcm.reserve(SZ_1M);
    const e = vcmErrorOf(() => r2.back(pm));
    expect(e.message).toMatch(/overlaps reservation #1/);
    // A physmem outside the VCM's range is refused.
    expect(codeOf(() => r2.back(vcmm.physAlloc(VCM_MEMTYPE_0, SZ_1M, VCM_PHYS_CONT)))).toBe('EINVAL');
    // Only one-to-one drivers may associate.
    expect(vcmErrorOf(() => vcm.assoc(iommu.device('x'))).message).toMatch(/takes device VCMs/);
    expect(codeOf(() => vcmm.create(0, SZ_16M).assoc(createDirectDevice('d')))).toBe('EINVAL');
  });

  it('one-to-one VCMs: an explicit VCM_ALIGN_* is honoured by the backing (the physical address is the device address)', () => {
    const { vcmm } = makeTestSystem();
    const vcm = vcmm.create(vcmm.contMemtypePa(VCM_MEMTYPE_1), vcmm.contMemtypeLen(VCM_MEMTYPE_1));
    vcm.reserve(SZ_4K).back(vcmm.physAlloc(VCM_MEMTYPE_1, SZ_4K)); // takes 0x8000_0000
    const misaligned = vcmm.physAlloc(VCM_MEMTYPE_1, SZ_64K);
    expect(misaligned.chunks()[0]?.pa).toBe(0x8001_0000);
    const r = vcm.reserve(SZ_64K, VCM_ALIGN_1M);
    const before = vcmm.snapshot();
    const e = vcmErrorOf(() => r.back(misaligned));
    expect(e.code).toBe('EINVAL');
    expect(e.details).toMatchObject({ param: 'physmem', pa: 0x8001_0000, align: SZ_1M });
    expect(vcmm.snapshot()).toEqual(before);
    const aligned = vcmm.physAlloc(VCM_MEMTYPE_1, SZ_64K, vcmPhysAlignAttr(SZ_1M));
    r.back(aligned);
    expect(r.devAddr % SZ_1M).toBe(0);
    // The reservation's own attribute stays acceptable to setAttr.
    r.setAttr(r.attr);
  });

  it('copyTo copies bytes through the backing RAM', () => {
    const { vcmm, memory } = makeTestSystem();
    const vcm = vcmm.create(0, SZ_16M);
    const a = vcm.reserve(SZ_2M);
    const b = vcm.reserve(SZ_2M);
    const pa = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_2M, 0);
    const pb = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_2M, 0);
    a.back(pa);
    b.back(pb);
    const src = (pa.chunks()[0] as { pa: number }).pa;
    memory.write(src + SZ_1M - 2, Uint8Array.of(9, 8, 7, 6));
    expect(a.copyTo(b, 0x10, SZ_1M - 2, 4)).toBe(4);
    const dst = (pb.chunks()[0] as { pa: number }).pa;
    expect(memory.read(dst + 0x10, 4)).toEqual(Uint8Array.of(9, 8, 7, 6));
    expect(codeOf(() => a.copyTo(b, SZ_2M - 1, 0, 2))).toBe('EINVAL');
    expect(codeOf(() => a.copyTo(vcm.reserve(SZ_4K), 0, 0, 2))).toBe('EINVAL');
  });
});

describe('associations', () => {
  it('activate/deactivate/deassoc codes and the one-active-VCM-per-base rule', () => {
    const { vcmm, iommu } = makeTestSystem();
    const dev = iommu.device('ctx');
    const v1 = vcmm.create(0, SZ_16M);
    const v2 = vcmm.create(0, SZ_16M);
    const a1 = v1.assoc(dev, VCM_USE_LOW_BASE);
    const a2 = v2.assoc(dev, VCM_USE_LOW_BASE);
    a1.activate();
    expect(codeOf(() => a1.activate())).toBe('EBUSY');
    const e = vcmErrorOf(() => a2.activate());
    expect(e.code).toBe('EBUSY');
    expect(e.message).toMatch(/already has association #1 \(VCM #1\) active on its low base/);
    expect(codeOf(() => a1.setAttr(VCM_USE_HIGH_BASE))).toBe('EBUSY');
    a2.setAttr(VCM_USE_HIGH_BASE);
    a2.activate();
    expect(a2.isActive).toBe(true);
    expect(codeOf(() => a1.deassoc())).toBe('EBUSY');
    expect(codeOf(() => v1.free())).toBe('EBUSY');
    a1.deactivate();
    expect(codeOf(() => a1.deactivate())).toBe('ENOENT');
    a1.deassoc();
    expect(codeOf(() => a1.activate())).toBe('EINVAL');
    v1.free();
    expect(codeOf(() => v2.assoc(dev, VCM_USE_HIGH_BASE | VCM_USE_LOW_BASE))).toBe('EINVAL');
  });

  it('a direct device counts its activations', () => {
    const { vcmm } = makeTestSystem();
    const dev = createDirectDevice('dma');
    const v1 = vcmm.create(vcmm.contMemtypePa(VCM_MEMTYPE_1), vcmm.contMemtypeLen(VCM_MEMTYPE_1));
    const a = v1.assoc(dev);
    a.activate();
    expect(dev.activeCount).toBe(1);
    a.deactivate();
    expect(dev.activeCount).toBe(0);
    expect(vcmm.hwVersion(dev)).toBe(0);
    expect(codeOf(() => vcmm.devAddrToPhysAddr(dev, 0x8000_0000))).toBe('EFAULT');
  });
});

describe('prebuilt, clone, queries, teardown', () => {
  it('createFromPrebuilt is ENODEV without a provider and maps into the external table at once', () => {
    expect(codeOf(() => makeTestSystem().vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL))).toBe('ENODEV');
    const { vcmm, pre } = makeTestSystem({ withPrebuilt: true });
    const vcm = vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
    const res = vcm.reserve(SZ_64K, VCM_WB_WA);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_64K);
    res.back(pm);
    const space = [...(pre?.cpuDriver.liveSpaces ?? [])][0] as FakeSpace;
    expect(space.translate(res.devAddr)).toBe(pm.chunks()[0]?.pa);
    expect(vcm.pgtblPa).toBe(space.pgtblPa);
    // Associating and deassociating the CPU never destroys the external table.
    vcm.assoc(pre?.cpu as never).deassoc();
    expect(space.destroyed).toBe(false);
    // The provider may revoke the VCM (a process exits): everything is torn down.
    pre?.revoke?.();
    expect(vcm.isAlive).toBe(false);
    expect(pre?.disposed).toBe(1);
    expect(pm.reservations).toEqual([]);
  });

  it('only device VCMs hold a base register: prebuilt and one-to-one VCMs activate side by side', () => {
    const { vcmm, pre } = makeTestSystem({ withPrebuilt: true });
    const cpu = pre?.cpu as never;
    const k1 = vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL).assoc(cpu);
    const k2 = vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL).assoc(cpu);
    k1.activate();
    k2.activate();
    expect([k1.isActive, k2.isActive]).toEqual([true, true]);
    const dma = createDirectDevice('dma');
    const o0 = vcmm.create(vcmm.contMemtypePa(VCM_MEMTYPE_1), vcmm.contMemtypeLen(VCM_MEMTYPE_1)).assoc(dma);
    const o1 = vcmm.create(vcmm.contMemtypePa(VCM_MEMTYPE_1), vcmm.contMemtypeLen(VCM_MEMTYPE_1)).assoc(dma);
    o0.activate();
    o1.activate();
    expect(dma.activeCount).toBe(2);
  });

  it('clone copies reservations, bounds and backing, not associations', () => {
    const { vcmm, iommu } = makeTestSystem();
    const vcm = vcmm.create(SZ_1K, SZ_16M);
    vcm.assoc(iommu.device('x'));
    const bound = vcm.createBound(SZ_2M);
    const r1 = bound.reserve(SZ_64K, VCM_READ);
    const r2 = vcm.reserve(SZ_1M, VCM_WB_WA);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_1M);
    r2.back(pm);
    const copy = vcmm.clone(vcm);
    expect(copy.associations).toEqual([]);
    expect(copy.reservations.map((r) => [r.devAddr, r.len, r.attr])).toEqual([
      [r1.devAddr, r1.len, r1.attr],
      [r2.devAddr, r2.len, r2.attr],
    ]);
    expect(copy.findRes(r2.devAddr)?.physmem).toBe(pm);
    expect(copy.bounds.map((b) => [b.startAddr, b.len])).toEqual([[bound.startAddr, bound.len]]);
    expect(vcmm.translate(r2.devAddr + 5, vcm, copy)).toBe(r2.devAddr + 5);
    // Later changes are seen by one VCM only.
    copy.reserve(SZ_4K);
    expect(vcm.numRes).toBe(2);
    expect(copy.numRes).toBe(3);
  });

  it('a clone refused for attribute aliasing changes nothing: no ghost reservation keeps a physmem busy', () => {
    // A mapping outside the graph (the CPU maps a page cached) appears after
    // the source VCM was backed not-cached: the clone's backing is refused.
    const aliases: MappingAlias[] = [];
    const { vcmm } = makeTestSystem({
      extraDrivers: (allocator, memory) => [
        Object.assign(new FakeIommuDriver(allocator, memory, { name: 'fake-cpu' }), {
          findAliases: (pa: number, len: number): MappingAlias[] => aliases.filter((a) => pa < a.pa + a.len && a.pa < pa + len),
        }),
      ],
    });
    const vcm = vcmm.create(0, SZ_16M);
    const small = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K);
    const big = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_1M);
    const rs = vcm.reserve(SZ_4K);
    rs.back(small);
    vcm.reserve(SZ_1M).back(big);
    aliases.push({ description: 'cpu linear map', pa: big.chunks()[0]?.pa ?? 0, len: SZ_1M, cachePolicy: VCM_WB_WA });
    const before = vcmm.snapshot();
    const smallPa = small.chunks()[0]?.pa ?? 0;
    expect(codeOf(() => vcmm.clone(vcm))).toBe('EINVAL');
    expect(vcmm.snapshot()).toEqual(before);
    expect(small.reservations).toEqual([rs]);
    expect(vcmm.physNumRes(smallPa)).toBe(1);
    rs.unback();
    small.free(); // not EBUSY: nothing else backs it
    // The next object gets the id it would have had: the failed clone took none.
    expect(vcmm.create(0, SZ_16M).id).toBe(vcm.id + 1);
  });

  it('translate errors, contMemtype queries, hook and hwVersion', () => {
    const { vcmm, iommu } = makeTestSystem();
    const v1 = vcmm.create(0, SZ_16M);
    const v2 = vcmm.create(0, SZ_16M);
    const r = v1.reserve(SZ_64K);
    expect(codeOf(() => vcmm.translate(r.devAddr, v1, v2))).toBe('EFAULT');
    r.back(vcmm.physAlloc(VCM_MEMTYPE_0, SZ_64K));
    expect(codeOf(() => vcmm.translate(r.devAddr, v1, v2))).toBe('ENOENT');
    expect(vcmm.contMemtypePa(VCM_MEMTYPE_1)).toBe(0x8000_0000);
    expect(codeOf(() => vcmm.contMemtypePa(VCM_MEMTYPE_0))).toBe('ENOENT');
    expect(codeOf(() => vcmm.contMemtypeLen(77))).toBe('EINVAL');
    const dev = iommu.device('d');
    const seen: string[] = [];
    vcmm.hook(dev, (d, data) => {
      seen.push(`${d.name}:${String(data)}`);
      return 'terminate';
    }, 'cookie');
    const a = v1.assoc(dev);
    a.activate();
    expect(iommu.dmaRead(dev, 0xf0_0000, 4)).toBe('terminated');
    expect(seen).toEqual(['d:cookie']);
    expect(vcmm.hwVersion(dev)).toBe(0x21);
    expect(codeOf(() => vcmm.hwVersion({} as never))).toBe('EINVAL');
    expect(vcmm.minPageSize).toBe(SZ_4K);
  });

  it('destroy tears everything down and makes every handle stale', () => {
    const { vcmm, allocator, iommu } = makeTestSystem();
    const free0 = allocator.freeBytes(VCM_MEMTYPE_0);
    const vcm = vcmm.create(0, SZ_16M);
    const a = vcm.assoc(iommu.device('d'));
    a.activate();
    const res = vcm.reserve(SZ_1M);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_1M);
    res.back(pm);
    vcm.createBound(SZ_1M);
    vcmm.destroy();
    expect(iommu.liveSpaces.size).toBe(0);
    expect(allocator.freeBytes(VCM_MEMTYPE_0)).toBe(free0);
    for (const f of [() => vcm.reserve(SZ_4K), () => res.unback(), () => a.activate(), () => pm.free(), () => vcmm.create(0, SZ_1M)]) {
      expect(codeOf(f)).toBe('EINVAL');
    }
    expect(vcmErrorOf(() => res.unreserve()).message).toMatch(/reservation #1 is stale: its Vcmm was destroyed/);
  });

  it('snapshot is plain JSON, deterministic, and names every relation', () => {
    const build = () => {
      const { vcmm, iommu } = makeTestSystem();
      const vcm = vcmm.create(SZ_1K, SZ_16M);
      vcm.assoc(iommu.device('d')).activate();
      const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_1M + SZ_64K);
      vcm.reserve(SZ_1M + SZ_64K, VCM_WB_WA).back(pm);
      return vcmm.snapshot();
    };
    const s = build();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(build()).toEqual(s);
    expect(s.vcms[0]?.reservations[0]).toEqual({ id: 1, devAddr: 0x10_0000, len: SZ_1M + SZ_64K, attr: VCM_READ | VCM_WRITE | VCM_WB_WA, physmem: 1, bound: null });
    expect(s.vcms[0]?.associations[0]).toEqual({ id: 1, dev: 'd', attr: 0, active: true });
    expect(s.physmems[0]?.backs).toEqual([1]);
    expect(s.physmems[0]?.chunks).toEqual([
      { pa: 0x4000_0000, len: SZ_1M },
      { pa: 0x4010_0000, len: SZ_64K },
    ]);
  });
});
