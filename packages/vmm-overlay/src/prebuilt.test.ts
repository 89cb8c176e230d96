import { describe, expect, it } from 'vitest';
import { SZ_16M, SZ_1M, SZ_4K, SZ_64K, VCM_PREBUILT_KERNEL, VCM_PREBUILT_USER, VCM_READ, VCM_WB_WA, VCM_WRITE } from '@vcm/core';
import { VMALLOC_GUARD } from './layout.js';
import { testSystem } from './test-system.js';
import { vcmErrorOf } from '@vcm/test-kit';

const RW = VCM_READ | VCM_WRITE | VCM_WB_WA;

describe('vmm.prebuilt.create', () => {
  it('VCM_PREBUILT_KERNEL: the vmalloc range over the kernel table', () => {
    const { vmm } = testSystem();
    const k = vmm.prebuilt.create(VCM_PREBUILT_KERNEL);
    expect(k.type).toBe('ext-kernel');
    expect([k.startAddr, k.len]).toEqual([0xe080_0000, 0xff00_0000 - 0xe080_0000]);
    expect(k.space.pgtblPa).toBe(vmm.kernelPgtblPa);
    expect(k.driver).toBe(vmm.cpu.driver);
  });

  it('VCM_PREBUILT_USER: the current process’s mmap area over its own table; EINVAL with no current process', () => {
    const { vmm } = testSystem();
    expect(vcmErrorOf(() => vmm.prebuilt.create(VCM_PREBUILT_USER)).message).toContain('no current process');
    const p = vmm.createProcess('p');
    vmm.switchTo(p);
    const u = vmm.prebuilt.create(VCM_PREBUILT_USER);
    expect(u.type).toBe('ext-user');
    expect([u.startAddr, u.len]).toEqual([0x1000, 0xbf00_0000 - 0x1000]);
    expect(u.space.pgtblPa).toBe(p.pgtblPa);
    expect(u.process).toBe(p);
  });

  it('refuses an unknown id with ENODEV', () => {
    const { vmm } = testSystem();
    expect(vcmErrorOf(() => vmm.prebuilt.create(3)).code).toBe('ENODEV');
    expect(vcmErrorOf(() => vmm.prebuilt.create(0)).code).toBe('ENODEV');
  });
});

describe('placement (the seed’s alloc_vm_area)', () => {
  it('places kernel reservations in vmalloc with a guard page after each, lowest first, aligned', () => {
    const { vmm } = testSystem();
    const k = vmm.prebuilt.create(VCM_PREBUILT_KERNEL);
    const a = k.place(SZ_4K, SZ_4K);
    const b = k.place(SZ_4K, SZ_4K);
    expect(a).toBe(0xe080_0000);
    expect(b).toBe(a + SZ_4K + VMALLOC_GUARD);
    const c = k.place(SZ_1M, SZ_1M);
    expect(c % SZ_1M).toBe(0);
    // Two kernel VCMs share the vmalloc area: no overlap.
    const k2 = vmm.prebuilt.create(VCM_PREBUILT_KERNEL);
    const d = k2.place(SZ_4K, SZ_4K);
    expect([a, b, c]).not.toContain(d);
    k.release(b, SZ_4K);
    expect(k.place(SZ_4K, SZ_4K)).toBe(b);
    expect(vcmErrorOf(() => k.release(0xe100_0000 + 0x7000, SZ_4K)).code).toBe('EINVAL');
  });

  it('is ENOMEM when the area is full, naming the largest free extent; EINVAL for a bad length or alignment', () => {
    const { vmm } = testSystem();
    const k = vmm.prebuilt.create(VCM_PREBUILT_KERNEL);
    const e = vcmErrorOf(() => k.place(512 * SZ_1M, SZ_1M));
    expect(e.code).toBe('ENOMEM');
    expect(e.message).toMatch(/largest free extent/);
    expect(vcmErrorOf(() => k.place(100, SZ_4K)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => k.place(SZ_4K, 3000)).code).toBe('EINVAL');
  });
});

describe('the prebuilt address spaces', () => {
  it('maps core’s ranges into the kernel table as global privileged leaves of the largest fitting size', () => {
    const { vmm } = testSystem();
    const k = vmm.prebuilt.create(VCM_PREBUILT_KERNEL);
    const va = k.place(SZ_16M, SZ_16M);
    k.space.updateStart();
    k.space.map(va, 0x3800_0000, SZ_16M, RW);
    k.space.updateDone();
    const w = vmm.cpu.walk(va + 0x12_3456).leaf;
    expect(w).toMatchObject({ pa: 0x3812_3456, size: SZ_16M, level: 1, user: false, writable: true });
    expect(k.space.translate(va + 4)).toBe(0x3800_0004);
    expect(vmm.kernelPageTable.mappings()).toEqual([
      expect.objectContaining({ va, pa: 0x3800_0000, len: SZ_16M, attr: RW }),
    ]);
    k.space.unmap(va, SZ_16M);
    expect(k.space.translate(va)).toBeUndefined();
  });

  it('refuses a map outside the VCM (the linear map is not the VCM’s) and a clash, changing nothing', () => {
    const { vmm, memory } = testSystem();
    const k = vmm.prebuilt.create(VCM_PREBUILT_KERNEL);
    const l1 = memory.read(vmm.kernelPgtblPa, 0x4000);
    expect(vcmErrorOf(() => k.space.map(0xc000_0000, 0x6100_0000, SZ_1M, RW)).message).toContain('outside the VCM');
    const va = k.place(SZ_64K, SZ_64K);
    k.space.map(va + SZ_4K, 0x6100_0000, SZ_4K, RW);
    const snap = JSON.stringify(vmm.toJSON().kernel);
    const l2 = memory.read(vmm.kernelPgtblPa, 0x4000);
    expect(l2).not.toEqual(l1);
    expect(vcmErrorOf(() => k.space.map(va, 0x6180_0000, SZ_64K, RW)).code).toBe('EBUSY');
    expect(JSON.stringify(vmm.toJSON().kernel)).toBe(snap);
    expect(memory.read(vmm.kernelPgtblPa, 0x4000)).toEqual(l2);
    expect(vcmErrorOf(() => k.space.unmap(va, SZ_64K)).code).toBe('EINVAL');
    expect(JSON.stringify(vmm.toJSON().kernel)).toBe(snap);
  });

  it('invalidates the TLB once per update bracket, when it closes', () => {
    const { vmm } = testSystem();
    const k = vmm.prebuilt.create(VCM_PREBUILT_KERNEL);
    const va = k.place(16 * SZ_4K, SZ_64K);
    for (let i = 0; i < 16; i++) k.space.map(va + i * SZ_4K, 0x61c0_0000 + i * 2 * SZ_4K, SZ_4K, RW);
    for (let i = 0; i < 16; i++) vmm.cpu.readU32(va + i * SZ_4K);
    const before = vmm.cpu.tlb.stats().invalidationOps;
    const removedBefore = vmm.cpu.tlb.stats().invalidations;
    k.space.updateStart();
    for (let i = 0; i < 16; i++) k.space.unmap(va + i * SZ_4K, SZ_4K);
    expect(vmm.cpu.tlb.stats().invalidationOps).toBe(before);
    k.space.updateDone();
    // One operation (the bracket's union range), removing the 16 cached pages.
    expect(vmm.cpu.tlb.stats()).toMatchObject({ invalidationOps: before + 1, invalidations: removedBefore + 16 });
    expect(vmm.cpu.tlb.entries().filter((e) => e.va >= va && e.va < va + SZ_64K)).toEqual([]);
    expect(vcmErrorOf(() => k.space.updateDone()).code).toBe('EINVAL');
  });

  it('answers findAliases for kernel RAM only (docs/rules.md#aliasing)', () => {
    const { vmm } = testSystem();
    expect(vmm.prebuilt.findAliases(0x4010_0000, 0x2000)).toEqual([
      { description: 'kernel linear map 0xc010_0000-0xc010_1fff → 0x4010_0000', pa: 0x4010_0000, len: 0x2000, cachePolicy: VCM_WB_WA },
    ]);
    expect(vmm.prebuilt.findAliases(0x6000_0000, SZ_1M)).toEqual([]);
  });
});
