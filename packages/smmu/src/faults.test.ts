import { describe, expect, it } from 'vitest';
import { SZ_4K, VCM_READ, VCM_WRITE } from '@vcm/core';
import type { FaultInfo } from '@vcm/core';
import { FSR_AFF, FSR_APF, FSR_MULTI, FSR_SS, FSR_TF } from './registers.js';
import { activeTestContext as active, testSmmu } from './test-smmu.js';
import { vcmErrorOf } from '@vcm/test-kit';

const RW = VCM_READ | VCM_WRITE;

describe('faults', () => {
  it('an unmapped access is a translation fault: FSR.TF and FAR set, the handler gets the context, its data and the fault', () => {
    const { ctx } = active();
    const calls: Array<{ dev: unknown; data: unknown; fault: FaultInfo; fsrInHandler: number; farInHandler: number }> = [];
    const data = { tag: 'decoder' };
    ctx.hookInterrupt((dev, d, fault) => {
      calls.push({ dev, data: d, fault, fsrInHandler: ctx.registers.fsr, farInHandler: ctx.registers.far });
      return 'terminate';
    }, data);
    const err = vcmErrorOf(() => ctx.dma.read(0x0012_3454, 4));
    expect(err.code).toBe('EFAULT');
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.dev).toBe(ctx);
    expect(call.data).toBe(data);
    expect(call.fault).toMatchObject({ kind: 'translation', address: 0x0012_3454, access: 'read', far: 0x0012_3454, context: 'smmu0-ctx0' });
    expect(call.fsrInHandler & FSR_TF).toBe(FSR_TF);
    expect(call.fsrInHandler & FSR_SS).toBe(FSR_SS); // stalled while the handler decides
    expect(call.farInHandler).toBe(0x0012_3454);
    // After termination the bank keeps the record, no longer stalled.
    expect(ctx.registers.fsr).toBe(FSR_TF);
    expect(ctx.registers.far).toBe(0x0012_3454);
    expect(err.details).toMatchObject({ kind: 'translation', fsr: FSR_TF, far: 0x0012_3454, context: 'smmu0-ctx0' });
    expect(err.message).toContain('0x0012_3454');
  });

  it("a handler that maps the page and answers 'retry' completes the access", () => {
    const { ctx, ram } = active();
    ram.write(0x4000_0454, Uint8Array.of(1, 2, 3, 4));
    let calls = 0;
    ctx.hookInterrupt((_dev, _data, fault) => {
      calls++;
      const page = fault.address - (fault.address % SZ_4K);
      ctx.map(0x4000_0000, page, SZ_4K, RW);
      return 'retry';
    });
    expect([...ctx.dma.read(0x0012_3454, 4)]).toEqual([1, 2, 3, 4]);
    expect(calls).toBe(1);
    expect(ctx.registers.fsr).toBe(0); // cleared on resume
  });

  it('a write to a read-only mapping is a permission fault and changes no memory', () => {
    const { ctx, ram } = active();
    ctx.map(0x4000_0000, 0x1000, SZ_4K, VCM_READ);
    expect([...ctx.dma.read(0x1000, 2)]).toEqual([0, 0]); // reading is fine
    let seen: FaultInfo | undefined;
    ctx.hookInterrupt((_d, _x, f) => {
      seen = f;
      return 'terminate';
    });
    const before = ram.digest();
    const err = vcmErrorOf(() => ctx.dma.write(0x1010, Uint8Array.of(9)));
    expect(err.code).toBe('EFAULT');
    expect(seen).toMatchObject({ kind: 'permission', access: 'write', address: 0x1010 });
    expect(seen!.descriptor).toBeTypeOf('number');
    expect(ctx.registers.fsr & FSR_APF).toBe(FSR_APF);
    expect(ram.digest()).toBe(before);
  });

  it('with no handler the fault is logged as a warning and the access fails with EFAULT', () => {
    const { ctx, logger } = active();
    const err = vcmErrorOf(() => ctx.dma.write(0x8000, Uint8Array.of(1)));
    expect(err.code).toBe('EFAULT');
    expect(err.details).toMatchObject({ kind: 'translation', access: 'write', far: 0x8000 });
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]!.message).toContain('no fault handler');
    expect(logger.warnings[0]!.message).toContain('0x0000_8000');
  });

  it('a handler that keeps answering retry without fixing anything is stopped by the retry budget', () => {
    const sys = testSmmu();
    const ctx = sys.smmu.createContext(0, { retryBudget: 3 });
    ctx.bind(sys.smmu);
    ctx.activate();
    let calls = 0;
    ctx.hookInterrupt(() => {
      calls++;
      return 'retry';
    });
    const err = vcmErrorOf(() => ctx.dma.read(0x5000, 4));
    expect(err.code).toBe('EFAULT');
    expect(err.message).toContain('retry budget 3');
    expect(calls).toBe(3);
    expect(sys.smmu.tlb.stats().walks).toBe(4);
  });

  it('an entry with the access flag clear is an access-flag fault', () => {
    const { ctx, ram } = active();
    ctx.map(0x4000_0000, 0x0000_3000, SZ_4K, RW);
    // Clear AP[0] (the access flag, bit 4 of a small-page descriptor) in RAM, as software managing AF would;
    // the walk's trace says where the leaf descriptor is.
    const descPa = ctx.walk(0x3000).steps.at(-1)!.entryPa;
    ram.writeU32(descPa, ram.readU32(descPa) & ~(1 << 4));
    let seen: FaultInfo | undefined;
    ctx.hookInterrupt((_d, _x, f) => {
      seen = f;
      // Set the flag back, then retry.
      ram.writeU32(descPa, ram.readU32(descPa) | (1 << 4));
      return 'retry';
    });
    ctx.dma.read(0x3000, 4);
    expect(seen).toMatchObject({ kind: 'access-flag', address: 0x3000 });
    expect(seen!.fsr & FSR_AFF).toBe(FSR_AFF);
  });

  it('a fault raised while a handler is running sets FSR.MULTI', () => {
    const { ctx } = active();
    let inner: FaultInfo | undefined;
    let depth = 0;
    ctx.hookInterrupt((_d, _x, f) => {
      depth++;
      if (depth === 1) {
        try {
          ctx.dma.read(0x9000, 4);
        } catch {
          // the nested access terminates
        }
      } else {
        inner = f;
      }
      return 'terminate';
    });
    vcmErrorOf(() => ctx.dma.read(0x8000, 4));
    expect(inner!.fsr & FSR_MULTI).toBeTruthy();
    expect(inner!.far).toBe(0x9000);
  });

  it("a handler answering something other than 'retry' or 'terminate' terminates, saying so", () => {
    const { ctx } = active();
    ctx.hookInterrupt(() => 1 as unknown as 'retry');
    expect(vcmErrorOf(() => ctx.dma.read(0x8000, 4)).message).toContain("not 'retry' or 'terminate'");
  });

  it('hookInterrupt needs a function', () => {
    const { ctx } = active();
    expect(vcmErrorOf(() => ctx.hookInterrupt(42 as never)).code).toBe('EINVAL');
  });
});
