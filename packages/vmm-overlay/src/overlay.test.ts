/**
 * The overlay in the VCM graph: `@vcm/core` with the VMM's prebuilt VCMs
 * and a real SMMU context doing DMA.
 */
import { describe, expect, it } from 'vitest';
import {
  SZ_16M,
  SZ_1M,
  SZ_4K,
  SZ_64K,
  VCM_4KB,
  VCM_ALIGN_64K,
  VCM_MEMTYPE_0,
  VCM_MEMTYPE_2,
  VCM_NOTCACHED,
  VCM_PREBUILT_KERNEL,
  VCM_PREBUILT_USER,
  VCM_READ,
  VCM_WB_WA,
  VCM_WRITE,
  Vcmm,
} from '@vcm/core';
import { Smmu, armV7Short } from '@vcm/smmu';
import { pattern, sameBytes, testSystem } from './test-system.js';
import { vcmErrorOf } from '@vcm/test-kit';

const RW = VCM_READ | VCM_WRITE;

function platform() {
  const sys = testSystem();
  const { memory, allocator, vmm } = sys;
  const quiet = { warn: (): void => undefined };
  const smmu = new Smmu({ name: 'smmu0', base: 0x0440_0000, irq: 1, format: armV7Short, memory, tableAllocator: allocator, logger: quiet });
  const ctx = smmu.createContext(0);
  const vcmm = new Vcmm({ memory, allocator, drivers: [smmu.driver], prebuilt: vmm.prebuilt, logger: quiet });
  return { ...sys, vmm, smmu, ctx, vcmm };
}

/** Stage 1 of the seed's walk-through: a device VCM with a backed reservation. */
function stage1(p: ReturnType<typeof platform>, len: number, memtype = VCM_MEMTYPE_0, attr = RW) {
  const vcm = p.vcmm.create(SZ_1M, SZ_16M);
  const avcm = vcm.assoc(p.ctx, 0);
  avcm.activate();
  const res = vcm.reserve(len, attr);
  const physmem = p.vcmm.physAlloc(memtype, len, 0);
  res.back(physmem);
  return { vcm, avcm, res, physmem };
}

describe('the seed’s Stage 1 + Stage 2 walk-through', () => {
  it('a device writes by DMA at its device address and the CPU reads the bytes at the kernel reservation, and the reverse', () => {
    const p = platform();
    const { res, physmem } = stage1(p, SZ_64K + 3 * SZ_4K);
    // Stage 2: map the device's memory into the VMM's VCM region.
    const vcmVmm = p.vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
    expect(vcmVmm.type).toBe('ext-kernel');
    const avcmVmm = vcmVmm.assoc(p.vmm.cpu, 0);
    avcmVmm.activate();
    const resVmm = vcmVmm.reserve(physmem.len, RW);
    resVmm.back(physmem);
    expect(resVmm.devAddr).toBeGreaterThanOrEqual(p.vmm.layout.vmallocStart);

    const bytes = pattern(physmem.len, 11);
    p.ctx.dma.write(res.devAddr, bytes);
    expect(sameBytes(p.vmm.cpu.read(resVmm.devAddr, physmem.len), bytes)).toBe('equal');

    const back = pattern(physmem.len, 12);
    p.vmm.cpu.write(resVmm.devAddr, back);
    expect(sameBytes(p.ctx.dma.read(res.devAddr, physmem.len), back)).toBe('equal');
    expect(p.vcmm.devAddrToPhysAddr(p.vmm.cpu, resVmm.devAddr + 0x10)).toBe(p.vcmm.devAddrToPhysAddr(p.ctx, res.devAddr + 0x10));
    expect(p.vcmm.translate(res.devAddr + 0x20, res.vcm, vcmVmm)).toBe(resVmm.devAddr + 0x20);

    // Activation is bookkeeping only: the mapping was live before it and stays after it.
    avcmVmm.deactivate();
    expect(p.vmm.cpu.readU32(resVmm.devAddr)).toBe(new DataView(back.buffer).getUint32(0, true));
    resVmm.unback();
    expect(vcmErrorOf(() => p.vmm.cpu.readU32(resVmm.devAddr)).code).toBe('EFAULT');
  });
});

describe('processes share physmem through VCM_PREBUILT_USER', () => {
  it('writes by one process are seen by the other and by a device; exit removes the process’s reservations', () => {
    const p = platform();
    const { res: devRes, physmem } = stage1(p, 2 * SZ_64K, VCM_MEMTYPE_2);
    const a = p.vmm.createProcess('decoder');
    const b = p.vmm.createProcess('player');
    const user = (proc: typeof a) => {
      p.vmm.switchTo(proc);
      const vcm = p.vcmm.createFromPrebuilt(VCM_PREBUILT_USER);
      expect(vcm.type).toBe('ext-user');
      // Associated but not activated: core allows one active VCM per device
      // base, and CPU mappings are live without activation anyway (seed 000).
      vcm.assoc(p.vmm.cpu, 0);
      const res = vcm.reserve(physmem.len, RW);
      res.back(physmem);
      return { vcm, res };
    };
    const ua = user(a);
    const ub = user(b);
    expect(a.mappings()).toHaveLength(1);

    p.vmm.switchTo(a);
    const bytes = pattern(physmem.len, 21);
    p.vmm.cpu.write(ua.res.devAddr, bytes, { mode: 'user' });
    p.vmm.switchTo(b);
    expect(sameBytes(p.vmm.cpu.read(ub.res.devAddr, physmem.len, { mode: 'user' }), bytes)).toBe('equal');
    expect(sameBytes(p.ctx.dma.read(devRes.devAddr, physmem.len), bytes)).toBe('equal');
    p.ctx.dma.write(devRes.devAddr + 100, new Uint8Array([1, 2, 3]));
    p.vmm.switchTo(a);
    expect(p.vmm.cpu.read(ua.res.devAddr + 100, 3, { mode: 'user' })).toEqual(new Uint8Array([1, 2, 3]));

    expect(physmem.reservations.length).toBe(3);
    a.exit();
    expect(ua.vcm.isAlive).toBe(false);
    expect(ua.res.isAlive).toBe(false);
    expect(physmem.reservations.length).toBe(2);
    expect(a.mappings()).toEqual([]);
    // b still sees the memory; the device too.
    p.vmm.switchTo(b);
    expect(p.vmm.cpu.read(ub.res.devAddr + 100, 3, { mode: 'user' })).toEqual(new Uint8Array([1, 2, 3]));
    b.exit();
    expect(physmem.reservations.length).toBe(1);
    expect(vcmErrorOf(() => physmem.free()).code).toBe('EBUSY');
    devRes.unback();
    physmem.free();
    expect(physmem.isAlive).toBe(false);
  });
});

describe('CPU page-table entries are bit-exact armV7Short descriptors', () => {
  it('each page of a kernel VCM reservation has the small-page descriptor ARM defines, at vcm.pgtblPa', () => {
    const p = platform();
    const vcmVmm = p.vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
    expect(vcmVmm.pgtblPa).toBe(p.vmm.kernelPgtblPa);
    vcmVmm.assoc(p.vmm.cpu, 0).activate();
    const len = 5 * SZ_4K;
    const physmem = p.vcmm.physAlloc(VCM_MEMTYPE_2, len, VCM_4KB);
    const rw = vcmVmm.reserve(len, RW | VCM_WB_WA);
    rw.back(physmem);
    // The alignment field of the attribute is placement only: it must not reach the descriptors.
    const ro = vcmVmm.reserve(len, VCM_READ | VCM_WB_WA | VCM_ALIGN_64K);
    expect(ro.devAddr % SZ_64K).toBe(0);
    ro.back(physmem);
    const pas = physmem.chunks().flatMap((c) => Array.from({ length: c.len / SZ_4K }, (_, i) => c.pa + i * SZ_4K));
    // Small page (bit 1), XN (bit 0: no VCM_EXECUTE), B and C with TEX=001 (write-back
    // write-allocate), AP[0] (access flag), AP[1] clear (privileged only), S, nG clear (global).
    const RW_BITS = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x400;
    expect(RW_BITS).toBe(0x45f);
    const AP2 = 0x200;
    for (const [res, bits] of [
      [rw, RW_BITS],
      [ro, RW_BITS | AP2],
    ] as const) {
      for (let i = 0; i < 5; i++) {
        const va = res.devAddr + i * SZ_4K;
        const l1 = p.memory.readU32(vcmVmm.pgtblPa + (va >>> 20) * 4) >>> 0;
        expect(l1 & 3).toBe(1); // a pointer to a level-2 table
        const l2 = p.memory.readU32((l1 & 0xffff_fc00) + ((va >>> 12) & 0xff) * 4) >>> 0;
        expect(l2).toBe((pas[i] as number) + bits);
      }
    }
  });
});

describe('attribute aliasing against the linear map', () => {
  it('refuses a non-cached kernel mapping of linear-map memory, naming the alias; carve-out memory is fine', () => {
    const p = platform();
    const vcmVmm = p.vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
    vcmVmm.assoc(p.vmm.cpu, 0).activate();
    const lowmem = p.vcmm.mapPhysAddr(0x4010_0000, SZ_1M);
    const res = vcmVmm.reserve(SZ_1M, RW | VCM_NOTCACHED);
    const before = JSON.stringify(p.vmm.toJSON().kernel);
    const e = vcmErrorOf(() => res.back(lowmem));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain('kernel linear map 0xc010_0000-0xc01f_ffff → 0x4010_0000');
    expect(res.isBacked).toBe(false);
    expect(JSON.stringify(p.vmm.toJSON().kernel)).toBe(before);
    // The device side is refused the same way.
    const { vcm: devVcm } = stage1(p, SZ_64K);
    const devRes = devVcm.reserve(SZ_1M, RW);
    expect(vcmErrorOf(() => devRes.back(lowmem)).message).toContain('kernel linear map');
    // Matching the linear map's policy is allowed.
    const cached = vcmVmm.reserve(SZ_1M, RW | VCM_WB_WA);
    cached.back(lowmem);
    p.memory.writeU32(0x4010_0040, 77);
    expect(p.vmm.cpu.readU32(cached.devAddr + 0x40)).toBe(77);
    // Carve-out memory has no alias: non-cached is fine.
    const carve = p.vcmm.physAlloc(VCM_MEMTYPE_0, SZ_1M, 0);
    res.back(carve);
    expect(res.isBacked).toBe(true);
  });
});
