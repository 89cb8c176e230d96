/**
 * `platform.snapshot()` is the state digest tests compare (docs/rules.md#observability):
 * whatever a call can change must show in it — vmalloc use, and the
 * activation counts of the CPU and of direct-mapped devices, which live in
 * their drivers rather than in the graph.
 */
import { describe, expect, it } from 'vitest';
import { SZ_1M, VCM_MEMTYPE_1, VCM_PREBUILT_KERNEL } from '@vcm/core';
import { buildPlatform } from './platform.js';
import { msm8x60Board } from './presets.js';

describe('platform.snapshot()', () => {
  it('shows vmalloc use', () => {
    const p = buildPlatform(msm8x60Board());
    const kv = p.vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
    const before = p.snapshot();
    expect(before.vmalloc.usedBytes).toBe(0);
    // Placed by the VMM's allocator, not core's: only the VMM knows the bytes.
    kv.createBound(SZ_1M);
    const after = p.snapshot();
    expect(after.vmalloc.usedBytes).toBe(SZ_1M + 4096);
    expect(after.vmalloc.freeBytes).toBe(before.vmalloc.freeBytes - SZ_1M - 4096);
  });

  it('shows how often the CPU and each direct-mapped device are activated', () => {
    const p = buildPlatform(msm8x60Board());
    const kv = p.vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
    const a1 = kv.assoc(p.cpu);
    const a2 = kv.assoc(p.cpu);
    const one = p.vcmm.create(p.vcmm.contMemtypePa(VCM_MEMTYPE_1), p.vcmm.contMemtypeLen(VCM_MEMTYPE_1));
    const d = one.assoc(p.device('adm_dma'));
    const before = JSON.stringify(p.snapshot());
    expect(p.snapshot().cpu.active).toEqual([]);
    expect(p.snapshot().directDevices).toEqual([{ name: 'adm_dma', active: 0 }]);
    a1.activate();
    a2.activate();
    d.activate();
    const s = p.snapshot();
    expect(s.cpu.active).toEqual([{ vcm: kv.id, count: 2 }]);
    expect(s.directDevices).toEqual([{ name: 'adm_dma', active: 1 }]);
    a1.deactivate();
    a2.deactivate();
    d.deactivate();
    expect(JSON.stringify(p.snapshot())).toBe(before);
  });
});
