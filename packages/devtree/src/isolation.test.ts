/**
 * Two platforms in one process: a device of one is a bad argument to the
 * other's `Vcmm` (docs/rules.md#handles-and-platforms). Every call that
 * takes a device refuses it with `EINVAL` before anything happens, and
 * neither platform's state changes.
 */
import { describe, expect, it } from 'vitest';
import { SZ_16M, SZ_64K, VCM_MEMTYPE_0, VCM_MEMTYPE_1, VCM_PREBUILT_KERNEL } from '@vcm/core';
import type { Device } from '@vcm/core';
import { createVcmCompat } from '@vcm/core/compat';
import { vcmErrorOf } from '@vcm/test-kit';
import { buildPlatform } from './platform.js';
import { msm8x60Board } from './presets.js';

function twoPlatforms() {
  const p1 = buildPlatform(msm8x60Board());
  const p2 = buildPlatform(msm8x60Board());
  const victim = p2.vcmm.physAlloc(VCM_MEMTYPE_0, SZ_64K, 0);
  const foreign: Array<[string, Device]> = [
    ['an SMMU context', p2.tree.getCtxInstance('vcodec_a_mm1')],
    ['the CPU', p2.cpu],
    ['a direct-mapped device', p2.device('adm_dma')],
  ];
  const state = () => JSON.stringify([p1.snapshot(), p2.snapshot()]);
  return { p1, p2, victim, foreign, state };
}

describe('a device of another platform', () => {
  it('cannot be associated: the issue repro is EINVAL and both platforms stay as they were', () => {
    const { p1, p2, victim, foreign, state } = twoPlatforms();
    const v = p1.vcmm.create(0x1000_0000, SZ_16M);
    const kv = p1.vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
    const one = p1.vcmm.create(p1.vcmm.contMemtypePa(VCM_MEMTYPE_1), p1.vcmm.contMemtypeLen(VCM_MEMTYPE_1));
    const before = state();
    for (const [what, dev] of foreign) {
      for (const vcm of [v, kv, one]) {
        const e = vcmErrorOf(() => vcm.assoc(dev));
        expect(e.code, `${what} → ${vcm.label}`).toBe('EINVAL');
        expect(e.message, what).toMatch(/not a device of this Vcmm|another/);
      }
    }
    expect(state()).toBe(before);
    // The victim's bytes were never reachable.
    expect(p2.memory.read(victim.chunks()[0]!.pa, 2)).toEqual(Uint8Array.of(0, 0));
  });

  it('is refused by hook, hwVersion and devAddrToPhysAddr, and by their vcm_* forms, with EINVAL', () => {
    const { p1, foreign, state } = twoPlatforms();
    const c = createVcmCompat(p1.vcmm);
    const before = state();
    for (const [what, dev] of foreign) {
      expect(vcmErrorOf(() => p1.vcmm.hook(dev, () => 'terminate')).code, what).toBe('EINVAL');
      expect(vcmErrorOf(() => p1.vcmm.hwVersion(dev)).code, what).toBe('EINVAL');
      expect(vcmErrorOf(() => p1.vcmm.devAddrToPhysAddr(dev, 0x1000)).code, what).toBe('EINVAL');
      expect(c.vcm_hook(dev, () => 0, undefined), what).toBe(-22);
      expect(c.vcm_hw_ver(dev), what).toBe(0);
      expect(c.lastError?.message, what).toMatch(/not a device of this Vcmm|another/);
      expect(c.vcm_dev_addr_to_phys_addr(dev, 0x1000), what).toBe(0);
      expect(c.vcm_assoc(p1.vcmm.create(0, SZ_16M), dev, 0), what).toBeNull();
    }
    // vcm_assoc above made VCMs; compare the other platform only and the first one's devices.
    expect(JSON.parse(state())[1]).toEqual(JSON.parse(before)[1]);
  });

  it('a non-device is EINVAL everywhere, as assoc(null) always was', () => {
    const { p1 } = twoPlatforms();
    for (const junk of [null, undefined, {}, 'cpu0', 7, { name: 'x', driver: {} }]) {
      expect(vcmErrorOf(() => p1.vcmm.hook(junk as never, () => 'retry')).code).toBe('EINVAL');
      expect(vcmErrorOf(() => p1.vcmm.hwVersion(junk as never)).code).toBe('EINVAL');
      expect(vcmErrorOf(() => p1.vcmm.devAddrToPhysAddr(junk as never, 0)).code).toBe('EINVAL');
      expect(vcmErrorOf(() => p1.vcmm.create(0, SZ_16M).assoc(junk as never)).code).toBe('EINVAL');
    }
  });

  it('the platform own devices still work', () => {
    const { p1 } = twoPlatforms();
    const ctx = p1.tree.getCtxInstance('vcodec_a_mm1');
    expect(p1.vcmm.hwVersion(ctx)).toBe(0x0001_0000);
    expect(p1.vcmm.hwVersion(p1.device('adm_dma'))).toBe(0);
    const a = p1.vcmm.create(0x1000_0000, SZ_16M).assoc(ctx);
    a.activate();
    expect(a.isActive).toBe(true);
  });
});

describe('a deinitialised context', () => {
  it('cannot be associated: EINVAL naming it, and nothing changes', () => {
    const p = buildPlatform(msm8x60Board());
    const ctx = p.tree.getCtxInstance('vcodec_a_mm1');
    ctx.deinit();
    const v = p.vcmm.create(0x1000_0000, SZ_16M);
    const before = JSON.stringify(p.snapshot());
    const e = vcmErrorOf(() => v.assoc(ctx));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toMatch(/deinit/);
    expect(vcmErrorOf(() => p.vcmm.hwVersion(ctx)).code).toBe('EINVAL');
    expect(JSON.stringify(p.snapshot())).toBe(before);
  });
});
