/**
 * The SMMU defects whole-API testing found, each pinned by a test that
 * failed before its fix.
 */
import { describe, expect, it, vi } from 'vitest';
import { SZ_4K, SZ_64M, VCM_MEMTYPE_0, VCM_READ, VCM_WRITE, Vcmm } from '@vcm/core';
import { vcmErrorOf } from '@vcm/test-kit';
import { FSR_SS, FSR_TF, REG_SCTLR, REG_TTBCR, TTBCR_EAE } from './registers.js';
import { TestAllocator, activeTestContext as active, testSmmu } from './test-smmu.js';
import type { SmmuContext } from './context.js';

const RW = VCM_READ | VCM_WRITE;

function withVcmm(): ReturnType<typeof testSmmu> & { vcmm: Vcmm; ctx: SmmuContext } {
  const sys = testSmmu();
  const allocator = new TestAllocator(sys.ram);
  const vcmm = new Vcmm({ memory: sys.ram, allocator, logger: sys.logger, drivers: [sys.smmu.driver] });
  const ctx = sys.smmu.createContext(0);
  return { ...sys, vcmm, ctx };
}

describe('fault handlers that misbehave', () => {
  it("a handler that deactivates the association and answers 'retry' ends the access with EFAULT, not a TypeError", () => {
    const { vcmm, ctx } = withVcmm();
    const vcm = vcmm.create(0x10_0000, SZ_64M);
    const avcm = vcm.assoc(ctx);
    avcm.activate();
    vcmm.hook(ctx, () => {
      avcm.deactivate();
      return 'retry';
    });
    const err = vcmErrorOf(() => ctx.dma.read(0x10_0000, 4));
    expect(err.code).toBe('EFAULT');
    expect(err.message).toContain('deactivated');
    expect(ctx.isActive).toBe(false);
  });

  it('a handler returning a bigint or a circular object terminates the access with EFAULT naming what it returned', () => {
    const { ctx } = active();
    ctx.hookInterrupt(() => 1n as unknown as 'retry');
    const big = vcmErrorOf(() => ctx.dma.read(0x8000, 4));
    expect(big.code).toBe('EFAULT');
    expect(big.message).toContain('bigint 1');
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    ctx.hookInterrupt(() => circular as unknown as 'retry');
    const obj = vcmErrorOf(() => ctx.dma.read(0x8000, 4));
    expect(obj.code).toBe('EFAULT');
    expect(obj.message).toContain('an object');
  });

  it('a handler that throws terminates the access: its error propagates and FSR is no longer stalled', () => {
    const { ctx } = active();
    const thrown = new Error('handler bug');
    ctx.hookInterrupt(() => {
      throw thrown;
    });
    expect(() => ctx.dma.read(0x8000, 4)).toThrow(thrown);
    expect(ctx.registers.fsr & FSR_SS).toBe(0);
    expect(ctx.registers.fsr & FSR_TF).toBe(FSR_TF);
  });

  it('unhookInterrupt removes the handler: the next fault is logged and terminated', () => {
    const { ctx, logger } = active();
    let calls = 0;
    ctx.hookInterrupt(() => {
      calls++;
      return 'terminate';
    });
    expect(ctx.toJSON().hooked).toBe(true);
    ctx.unhookInterrupt();
    expect(ctx.toJSON().hooked).toBe(false);
    expect(vcmErrorOf(() => ctx.dma.read(0x8000, 4)).code).toBe('EFAULT');
    expect(calls).toBe(0);
    expect(logger.warnings).toHaveLength(1);
  });

  it('the SMMU snapshot shows per context whether a fault handler is hooked, and its FSR and FAR', () => {
    const { smmu, ctx } = active();
    ctx.hookInterrupt(() => 'terminate');
    vcmErrorOf(() => ctx.dma.read(0x8004, 4));
    const snap = smmu.toJSON().contexts[0]!;
    expect(snap).toMatchObject({ hooked: true, registers: { fsr: FSR_TF, far: 0x8004 } });
    expect(snap.registers.fsynr0).toBe(1); // FSYNR0.PLVL: the level-1 entry was invalid (no level-2 table there)
  });
});

describe('multi-page accesses complete page by page', () => {
  it('a write that faults at its second page stores the first page and nothing after', () => {
    const { ctx, ram } = active();
    ctx.map(0x4000_0000, 0x0000_0000, SZ_4K, RW);
    ctx.map(0x4200_0000, 0x0000_2000, SZ_4K, RW);
    const err = vcmErrorOf(() => ctx.dma.write(0x0ff0, new Uint8Array(0x1020).fill(0xaa)));
    expect(err.code).toBe('EFAULT');
    expect(err.details).toMatchObject({ far: 0x1000 });
    expect([...ram.read(0x4000_0ff0, 16)]).toEqual(new Array(16).fill(0xaa));
    expect([...ram.read(0x4200_0000, 16)]).toEqual(new Array(16).fill(0));
  });

  it('a handler that unmaps an earlier page and hands its memory to a new owner does not receive the write', () => {
    const { ctx, ram } = active();
    ctx.map(0x4000_0000, 0x0000_0000, SZ_4K, RW);
    ctx.hookInterrupt((_d, _x, fault) => {
      // The earlier page goes; its memory is a new owner's buffer (zeroed), and the faulting page gets a page.
      ctx.unmap(0x0000_0000, SZ_4K);
      ram.write(0x4000_0000, new Uint8Array(SZ_4K));
      ctx.map(0x4100_0000, fault.address - (fault.address % SZ_4K), SZ_4K, RW);
      return 'retry';
    });
    ctx.dma.write(0x0800, new Uint8Array(SZ_4K).fill(0x55));
    // The first half landed before the fault (then the new owner cleared it); the second half after the retry.
    expect([...ram.read(0x4000_0800, 8)]).toEqual(new Array(8).fill(0));
    expect([...ram.read(0x4100_0000, 8)]).toEqual(new Array(8).fill(0x55));
    expect([...ram.read(0x4100_0800, 8)]).toEqual(new Array(8).fill(0));
  });
});

describe('context activation by the seed API and by core', () => {
  it('after ctx.activate() and a core activation, ctx.deactivate() is EBUSY while the association is active', () => {
    const { vcmm, smmu, ctx } = withVcmm();
    ctx.bind(smmu);
    ctx.activate();
    const vcm = vcmm.create(0x10_0000, SZ_64M);
    const avcm = vcm.assoc(ctx);
    avcm.activate();
    const before = JSON.stringify(smmu.toJSON());
    expect(vcmErrorOf(() => ctx.deactivate()).code).toBe('EBUSY');
    expect(JSON.stringify(smmu.toJSON())).toBe(before);
    expect(avcm.isActive).toBe(true);
    // Core gives its base back; the context stays active (the seed API activated it) and can be deactivated.
    avcm.deactivate();
    expect(ctx.isActive).toBe(true);
    ctx.deactivate();
    expect(ctx.isActive).toBe(false);
  });
});

describe('bad input to the SMMU API', () => {
  it('addresses above 2^32 (and 2^40) are EINVAL for translate, walk and devAddrToPhysAddr', () => {
    const { vcmm, ctx } = withVcmm();
    const vcm = vcmm.create(0x10_0000, SZ_64M);
    vcm.assoc(ctx).activate();
    const res = vcm.reserve(SZ_4K);
    res.back(vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K));
    for (const va of [2 ** 40 + res.devAddr, 2 ** 32 + res.devAddr, 2 ** 41]) {
      expect(vcmErrorOf(() => ctx.translate(va)).code).toBe('EINVAL');
      expect(vcmErrorOf(() => vcmm.devAddrToPhysAddr(ctx, va)).code).toBe('EINVAL');
    }
  });

  it('dma.stream with options null or not an object is EINVAL', () => {
    const { ctx } = active();
    ctx.map(0x4000_0000, 0, SZ_4K, RW);
    expect(vcmErrorOf(() => ctx.dma.stream(0, SZ_4K, null as never)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => ctx.dma.stream(0, SZ_4K, 5 as never)).code).toBe('EINVAL');
  });

  it("the SMMU's and its banks' internal entry points given junk are EINVAL and change nothing", () => {
    const { smmu, ctx } = active();
    const before = JSON.stringify(smmu.toJSON());
    for (const junk of [Number.NaN, -1, 1.5, 2 ** 40, 'x', null, undefined, {}]) {
      expect(vcmErrorOf(() => smmu.releaseContextId(junk as never)).code).toBe('EINVAL');
      expect(vcmErrorOf(() => smmu.forgetContext(junk as never)).code).toBe('EINVAL');
      expect(vcmErrorOf(() => smmu.banks[1]!.program(junk as never, junk as never)).code).toBe('EINVAL');
      expect(vcmErrorOf(() => smmu.banks[1]!.program(ctx, junk as never)).code).toBe('EINVAL');
      if (typeof junk !== 'string') expect(vcmErrorOf(() => smmu.allocateContextId(junk as never)).code).toBe('EINVAL');
      expect(vcmErrorOf(() => ctx.registers.write(junk as never, 0)).code).toBe('EINVAL');
      expect(vcmErrorOf(() => ctx.registers.load(junk as never)).code).toBe('EINVAL');
    }
    expect(JSON.stringify(smmu.toJSON())).toBe(before);
  });

  it('createContext takes only a plain options object; forgetContext only a deinitialised context of this SMMU; createAddressSpace only a VCM descriptor; refused calls change nothing', () => {
    const { smmu, ram, ctx } = active();
    const other = testSmmu().smmu.createContext(0);
    const tables = vi.spyOn(ram, 'allocateTable');
    const before = JSON.stringify(smmu.toJSON());
    for (const junk of [ctx, new Map(), [], { name: 'x', bnak: 1 }, 5, null]) {
      expect(vcmErrorOf(() => smmu.createContext(undefined, junk as never)).code).toBe('EINVAL');
    }
    // Another SMMU's context (deinitialised or not), and a live context of this one (deinit removes it).
    expect(vcmErrorOf(() => smmu.forgetContext(other)).message).toMatch(/belongs to smmu0 of another/);
    other.deinit();
    expect(vcmErrorOf(() => smmu.forgetContext(other)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => smmu.forgetContext(ctx)).message).toMatch(/still initialised/);
    const descriptor = { id: 1, type: 'device', startAddr: 0x10_0000, len: SZ_64M };
    for (const junk of [Number.NaN, -1, 0.5, 'x', null, undefined, {}, ctx, new Map(), { ...descriptor, id: -1 }, { ...descriptor, type: 'ext-kernel' }, { ...descriptor, startAddr: 0.5 }, { ...descriptor, len: 0 }, { ...descriptor, startAddr: 2 ** 40 - 0x1000, len: SZ_64M }]) {
      expect(vcmErrorOf(() => smmu.driver.createAddressSpace(junk as never, ctx)).code).toBe('EINVAL');
    }
    expect(tables).not.toHaveBeenCalled();
    expect(JSON.stringify(smmu.toJSON())).toBe(before);
    // The descriptor core hands over is accepted.
    expect(smmu.driver.createAddressSpace(Object.freeze({ ...descriptor, type: 'device' as const }), ctx).pgtblPa).toBeGreaterThan(0);
  });

  it('a register write the format cannot express is refused and leaves the bank as it was', () => {
    const { smmu, ctx } = active();
    ctx.map(0x4000_0000, 0x1000, SZ_4K, RW);
    const before = JSON.stringify(smmu.toJSON());
    const regs = smmu.banks[0]!.registers;
    // TTBCR.EAE is the long-descriptor format: a short-descriptor SMMU cannot walk it.
    expect(vcmErrorOf(() => regs.write(REG_TTBCR, TTBCR_EAE)).code).toBe('EINVAL');
    // SCTLR.M is cleared by deactivating the context, not behind its back.
    expect(vcmErrorOf(() => regs.write(REG_SCTLR, 0)).code).toBe('EINVAL');
    expect(JSON.stringify(smmu.toJSON())).toBe(before);
    expect(ctx.translate(0x1000)).toBe(0x4000_0000);
  });

  it("the driver's activate and deactivate given junk activations are EINVAL and change nothing", () => {
    const { vcmm, smmu, ctx } = withVcmm();
    const vcm = vcmm.create(0x10_0000, SZ_64M);
    vcm.assoc(ctx).activate();
    const before = JSON.stringify(smmu.toJSON());
    for (const junk of [null, undefined, 5, 'x', {}, { attr: Number.NaN }, { vcm: null, space: null, attr: 0 }]) {
      expect(vcmErrorOf(() => smmu.driver.activate(ctx, junk as never)).code).toBe('EINVAL');
      expect(vcmErrorOf(() => smmu.driver.deactivate(ctx, junk as never)).code).toBe('EINVAL');
    }
    expect(JSON.stringify(smmu.toJSON())).toBe(before);
  });
});
