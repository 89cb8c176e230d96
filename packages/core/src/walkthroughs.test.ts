/**
 * The seed's walk-throughs (seed 000, "A Detailed Walk Through" and "Mapping
 * IOMMU, one-to-one and VMM Reservations") run against a fake IOMMU driver,
 * the direct driver and a fake prebuilt provider, checking addresses, bytes
 * and the reverse map.
 */
import { describe, expect, it } from 'vitest';
import {
  SZ_16M,
  SZ_1K,
  SZ_1M,
  SZ_2M,
  SZ_4K,
  SZ_64K,
  VCM_MEMTYPE_0,
  VCM_MEMTYPE_1,
  VCM_PHYS_CONT,
  VCM_PREBUILT_KERNEL,
  VCM_READ,
  VCM_WB_WA,
  VCM_WRITE,
  createDirectDevice,
} from './index.js';
import type { FakeSpace } from './test-iommu-driver.js';
import { makeTestSystem } from './test-platform.js';

describe('Stage 1: map and allocate memory for a device (seed 000)', () => {
  it('creates, associates, activates, reserves, allocates and backs; the device reads what the CPU wrote', () => {
    const { vcmm, memory, iommu } = makeTestSystem();
    const dev = iommu.device('vcodec_a_stream');

    const vcm = vcmm.create(SZ_1K, SZ_16M); // vcm = vcm_create(start_addr, len);
    const avcm = vcm.assoc(dev, 0); // avcm = vcm_assoc(vcm, dev, attr);
    avcm.activate(); // ret = vcm_activate(avcm);
    const res = vcm.reserve(SZ_1M, VCM_READ | VCM_WRITE); // res = vcm_reserve(vcm, res_len, res_attr);
    const physmem = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_1M, 0); // physmem = vcm_phys_alloc(memtype, len, phys_attr);
    res.back(physmem); // vcm_back(res, physmem);

    // Natural 1 MiB alignment inside a VCM that starts at 1 KiB: the first fit is 0x10_0000.
    expect(res.devAddr).toBe(0x0010_0000);
    expect(vcm.pgtblPa).toBe((iommu.liveSpaces.values().next().value as FakeSpace).pgtblPa);
    const pa = (physmem.chunks()[0] as { pa: number }).pa;
    memory.write(pa + 0x40, Uint8Array.of(1, 2, 3, 4));
    expect(iommu.dmaRead(dev, res.devAddr + 0x40, 4)).toEqual(Uint8Array.of(1, 2, 3, 4));
    expect(vcmm.devAddrToPhysAddr(dev, res.devAddr + 0x40)).toBe(pa + 0x40);
  });

  it('backing before association maps into the space created at association (docs/rules.md#order-independence)', () => {
    const { vcmm, iommu } = makeTestSystem();
    const vcm = vcmm.create(0, SZ_16M);
    const res = vcm.reserve(2 * SZ_64K);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, 2 * SZ_64K);
    res.back(pm);
    const dev = iommu.device('mdp');
    vcm.assoc(dev).activate();
    const space = [...iommu.liveSpaces][0] as FakeSpace;
    expect(space.translate(res.devAddr)).toBe(pm.chunks()[0]?.pa);
    expect(space.pages.size).toBe(32);
    // Deassociating the last device of the space unmaps everything and frees the table.
    const a = vcm.associations[0];
    a?.deactivate();
    a?.deassoc();
    expect(iommu.liveSpaces.size).toBe(0);
    expect(space.ranges.size).toBe(0);
  });

  it('devices of one driver share one address space per VCM', () => {
    const { vcmm, iommu } = makeTestSystem();
    const vcm = vcmm.create(0, SZ_16M);
    const a1 = vcm.assoc(iommu.device('ctx0'));
    const a2 = vcm.assoc(iommu.device('ctx1'));
    expect(iommu.liveSpaces.size).toBe(1);
    expect(vcm.pgtblPaFor(a1.dev)).toBe(vcm.pgtblPaFor(a2.dev));
    a1.deassoc();
    expect(iommu.liveSpaces.size).toBe(1);
    a2.deassoc();
    expect(iommu.liveSpaces.size).toBe(0);
  });
});

describe('Mapping IOMMU, one-to-one and VMM reservations to the same memory (seed 000)', () => {
  function threeWay() {
    const { vcmm, memory, iommu, pre } = makeTestSystem({ withPrebuilt: true });
    if (!pre) throw new Error('no prebuilt');
    const devIommu = iommu.device('vcodec');
    const devOneToOne = createDirectDevice('dma-engine');
    const len = SZ_2M + SZ_4K;
    // physmem = vcm_phys_alloc(memtype, SZ_2MB + SZ_4K, CONTIGUOUS);
    const physmem = vcmm.physAlloc(VCM_MEMTYPE_1, len, VCM_PHYS_CONT);
    const vcmIommu = vcmm.create(SZ_1K, SZ_16M); // vcm_iommu = vcm_create(SZ_1K, SZ_16M);
    // vcm_onetoone = vcm_create(phys_addr, phys_size);
    const vcmOneToOne = vcmm.create(vcmm.contMemtypePa(VCM_MEMTYPE_1), vcmm.contMemtypeLen(VCM_MEMTYPE_1));
    const vcmVmm = vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL); // vcm_vmm = vcm_from_prebuilt(ext_vcm_id);
    const avcmIommu = vcmIommu.assoc(devIommu, 0);
    const avcmOneToOne = vcmOneToOne.assoc(devOneToOne, 0);
    const avcmVmm = vcmVmm.assoc(pre.cpu, 0);
    avcmIommu.activate();
    avcmOneToOne.activate();
    avcmVmm.activate();
    const attr = VCM_READ | VCM_WRITE | VCM_WB_WA;
    const resIommu = vcmIommu.reserve(len, attr);
    const resOneToOne = vcmOneToOne.reserve(len, attr);
    const resVmm = vcmVmm.reserve(len, attr);
    resIommu.back(physmem);
    resOneToOne.back(physmem);
    resVmm.back(physmem);
    return { vcmm, memory, iommu, pre, devIommu, devOneToOne, physmem, vcmIommu, vcmOneToOne, vcmVmm, resIommu, resOneToOne, resVmm, avcmOneToOne };
  }

  it('types the three VCMs and places the three reservations', () => {
    const w = threeWay();
    expect([w.vcmIommu.type, w.vcmOneToOne.type, w.vcmVmm.type]).toEqual(['device', 'one-to-one', 'ext-kernel']);
    const pa = w.physmem.chunks()[0]?.pa as number;
    expect(w.physmem.isContiguous).toBe(true);
    // One-to-one: the device address is the physical address (seed 000, "Low Level Control").
    expect(w.resOneToOne.devAddr).toBe(pa);
    expect(w.resIommu.devAddr).toBe(0x0010_0000);
    expect(w.resVmm.devAddr).toBe(0xd000_0000);
    expect(w.physmem.reservations).toEqual([w.resIommu, w.resOneToOne, w.resVmm]);
    expect(w.devOneToOne.activeCount).toBe(1);
    // The one-to-one VCM has no table.
    expect(() => w.vcmOneToOne.pgtblPa).toThrow(expect.objectContaining({ code: 'ENODEV' }));
  });

  it('every master sees the same bytes', () => {
    const w = threeWay();
    const pa = w.physmem.chunks()[0]?.pa as number;
    w.memory.write(pa + SZ_2M, Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
    expect(w.iommu.dmaRead(w.devIommu, w.resIommu.devAddr + SZ_2M, 4)).toEqual(Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
    expect(w.pre.cpuDriver.dmaRead(w.pre.cpu, w.resVmm.devAddr + SZ_2M, 4)).toEqual(Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
    expect(w.vcmm.devAddrToPhysAddr(w.devOneToOne, w.resOneToOne.devAddr + SZ_2M)).toBe(pa + SZ_2M);
  });

  it('translate maps a device address between any two of the VCMs', () => {
    const w = threeWay();
    const off = SZ_1M + 0x123;
    expect(w.vcmm.translate(w.resIommu.devAddr + off, w.vcmIommu, w.vcmVmm)).toBe(w.resVmm.devAddr + off);
    expect(w.vcmm.translate(w.resVmm.devAddr + off, w.vcmVmm, w.vcmOneToOne)).toBe(w.resOneToOne.devAddr + off);
    expect(w.vcmm.translate(w.resOneToOne.devAddr + off, w.vcmOneToOne, w.vcmIommu)).toBe(w.resIommu.devAddr + off);
  });

  it('the reverse map finds all three reservations from any physical byte', () => {
    const w = threeWay();
    const pa = w.physmem.chunks()[0]?.pa as number;
    for (const p of [pa, pa + SZ_1M + 5, pa + SZ_2M + SZ_4K - 1]) {
      expect(w.vcmm.physNumRes(p)).toBe(3);
      expect(w.vcmm.physReservations(p)).toEqual([w.resIommu, w.resOneToOne, w.resVmm]);
    }
    expect(w.vcmm.physNumRes(pa + SZ_2M + SZ_4K)).toBe(0);
    w.resVmm.unback();
    expect(w.vcmm.physNumRes(pa)).toBe(2);
    expect(w.pre.cpuDriver.dmaRead(w.pre.cpu, w.resVmm.devAddr, 4)).toBe('terminated');
  });
});
