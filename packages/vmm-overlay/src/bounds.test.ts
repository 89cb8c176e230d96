/**
 * Bounds of prebuilt VCMs take their range from the VMM's allocator (vmalloc
 * for a kernel VCM, the mmap area for a user one); freeing the VCM with its
 * empty bounds must give those ranges back.
 */
import { describe, expect, it } from 'vitest';
import { SZ_128M, SZ_1M, SZ_256M, SZ_4K, VCM_PREBUILT_KERNEL, VCM_PREBUILT_USER, Vcmm } from '@vcm/core';
import { testSystem } from './test-system.js';

function system() {
  const sys = testSystem();
  const vcmm = new Vcmm({ memory: sys.memory, allocator: sys.allocator, prebuilt: sys.vmm.prebuilt, logger: { warn: () => undefined } });
  return { ...sys, vcmm };
}

describe('freeing a prebuilt VCM with bounds', () => {
  it('returns the bounds to vmalloc: the next kernel VCM reserves at the bottom again', () => {
    const { vcmm, vmm } = system();
    const kv = vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
    kv.createBound(SZ_1M);
    kv.free();
    expect(vmm.toJSON().kernel.vmalloc.usedBytes).toBe(0);
    const next = vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
    expect(next.reserve(SZ_4K).devAddr).toBe(0xe080_0000);
  });

  it('three rounds of createBound(128M) + free() leave room for reserve(256M)', () => {
    const { vcmm } = system();
    for (let i = 0; i < 3; i++) {
      const kv = vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
      kv.createBound(SZ_128M);
      kv.free();
    }
    const kv = vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
    expect(kv.reserve(SZ_256M).devAddr).toBe(0xe080_0000);
  });

  it('returns a user VCM bound to its process mmap area', () => {
    const { vcmm, vmm } = system();
    const p = vmm.createProcess('app');
    vmm.switchTo(p);
    const uv = vcmm.createFromPrebuilt(VCM_PREBUILT_USER);
    uv.createBound(SZ_1M);
    uv.free();
    expect(p.toJSON().mmap.usedBytes).toBe(0);
  });
});
