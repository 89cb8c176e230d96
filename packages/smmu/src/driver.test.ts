import { describe, expect, it } from 'vitest';
import {
  SZ_128M,
  SZ_16M,
  SZ_1M,
  SZ_4K,
  SZ_64K,
  SZ_64M,
  VCM_64KB,
  VCM_ALIGN_16M,
  VCM_ALIGN_64K,
  VCM_MEMTYPE_0,
  VCM_READ,
  VCM_START,
  VCM_USE_HIGH_BASE,
  VCM_USE_LOW_BASE,
  VCM_WRITE,
  Vcmm,
  vcmSplitAttr,
} from '@vcm/core';
import type { FaultInfo, WalkTraceStep } from '@vcm/core';
import { armLpae4k, armV7Short } from './formats/index.js';
import { TestRam } from './formats/test-ram.js';
import { Smmu } from './smmu.js';
import { createSmmuDriver } from './driver.js';
import { RecordingLogger, TestAllocator } from './test-smmu.js';
import { vcmErrorOf } from '@vcm/test-kit';

/** Seed 004's platform: a video decoder SMMU (short descriptors) and a display SMMU (LPAE), one RAM, one driver. */
function platform(): {
  ram: TestRam;
  vcmm: Vcmm;
  decoderSmmu: Smmu;
  displaySmmu: Smmu;
  logger: RecordingLogger;
  driver: ReturnType<typeof createSmmuDriver>;
} {
  const ram = new TestRam();
  const allocator = new TestAllocator(ram);
  const logger = new RecordingLogger();
  const driver = createSmmuDriver();
  const common = { memory: ram, tableAllocator: allocator, logger, driver };
  const decoderSmmu = new Smmu({ ...common, name: 'vcodec', base: 0x0440_0000, irq: 41, contextBanks: 2, format: armV7Short, hwVersion: 0x11 });
  const displaySmmu = new Smmu({ ...common, name: 'mdp', base: 0x0450_0000, irq: 43, contextBanks: 2, format: armLpae4k, hwVersion: 0x21 });
  const vcmm = new Vcmm({ memory: ram, allocator, logger, drivers: [driver] });
  return { ram, vcmm, decoderSmmu, displaySmmu, logger, driver };
}

const pattern = (len: number, seed: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (i * 7 + seed) & 0xff);

describe('the core driver', () => {
  it('seed 004: one VCM on a decoder (short format) and a display (LPAE), backed once, is readable by both at their device addresses', () => {
    const { vcmm, decoderSmmu, displaySmmu, ram } = platform();
    const dec = decoderSmmu.createContext(0, { name: 'vcodec_a_mm1' });
    const disp = displaySmmu.createContext(0, { name: 'mdp_port0' });
    // 1–3: the region, associated with both devices and programmed.
    const vcmOut = vcmm.create(0x1000, SZ_128M);
    const avcmDec = vcmOut.assoc(dec, 0);
    const avcmDisp = vcmOut.assoc(disp, 0);
    avcmDec.activate();
    avcmDisp.activate();
    expect(dec.isActive && disp.isActive).toBe(true);
    // Two formats, two tables; each TTBR0 holds its VCM's table.
    expect(vcmOut.pgtblPaFor(dec)).not.toBe(vcmOut.pgtblPaFor(disp));
    expect(decoderSmmu.banks[0]!.config!.ttbr0).toBe(vcmOut.pgtblPaFor(dec));
    expect(displaySmmu.banks[0]!.config!.ttbr0).toBe(vcmOut.pgtblPaFor(disp));
    expect(vcmOut.pgtblPa).toBe(vcmOut.pgtblPaFor(dec));
    // 4–8: buffers and reservations, backed.
    const buf64k = vcmm.physAlloc(VCM_MEMTYPE_0, 2 * SZ_64K, VCM_64KB);
    const bufFrame = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_16M + SZ_1M + SZ_64K + SZ_4K);
    const res64k = vcmOut.reserve(2 * SZ_64K, VCM_ALIGN_64K | VCM_READ | VCM_WRITE);
    const resFrame = vcmOut.reserve(SZ_16M + SZ_1M + SZ_64K + SZ_4K, VCM_ALIGN_16M | VCM_READ | VCM_WRITE);
    res64k.back(buf64k);
    resFrame.back(bufFrame);
    // 9: device addresses; the decoder writes a frame, the display reads it.
    const base = resFrame.devAddr;
    const frame = pattern(resFrame.len, 3);
    dec.dma.write(base, frame);
    // (Buffer.equals: vitest's deep equality is far too slow on 17 MiB.)
    expect(Buffer.from(disp.dma.read(base, resFrame.len)).equals(frame)).toBe(true);
    // The bytes are in the physical chunks, in order.
    let off = 0;
    for (const c of bufFrame.chunks()) {
      expect(ram.read(c.pa, 16)).toEqual(frame.subarray(off, off + 16));
      off += c.len;
    }
    // The 64 KiB buffers through both devices, and the hardware walk agrees.
    disp.dma.write(res64k.devAddr + SZ_64K - 2, Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
    expect([...dec.dma.read(res64k.devAddr + SZ_64K - 2, 4)]).toEqual([0xde, 0xad, 0xbe, 0xef]);
    const chunks = [...buf64k.chunks()];
    expect(vcmm.devAddrToPhysAddr(dec, res64k.devAddr + SZ_64K + 8)).toBe(chunks[1]!.pa + 8);
    expect(vcmm.devAddrToPhysAddr(disp, res64k.devAddr + 8)).toBe(chunks[0]!.pa + 8);
    expect(vcmm.hwVersion(dec)).toBe(0x11);
    expect(vcmm.hwVersion(disp)).toBe(0x21);
    // The decoder's table uses large pages where the alignment allows: a 1 MiB section appears.
    const levels = dec.dumpTables()[0]!.levels;
    expect(levels.find((l) => l.level === 1)!.entries.some((e) => e.size === SZ_1M)).toBe(true);
  });

  it('order does not matter: backing before association and activation gives the same result (docs/rules.md#order-independence)', () => {
    const { vcmm, decoderSmmu } = platform();
    const dec = decoderSmmu.createContext(0);
    const vcm = vcmm.create(0x10_0000, SZ_64M);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_1M + SZ_4K);
    const res = vcm.reserve(SZ_1M + SZ_4K);
    res.back(pm);
    const a = vcm.assoc(dec);
    a.activate();
    dec.dma.write(res.devAddr + SZ_1M, Uint8Array.of(5, 6));
    expect([...dec.dma.read(res.devAddr + SZ_1M, 2)]).toEqual([5, 6]);
  });

  it('unback invalidates the shared TLBs of every SMMU that has the table live: no stale translation', () => {
    const { vcmm, decoderSmmu, driver, ram } = platform();
    const second = new Smmu({ name: 'jpeg', base: 0x0460_0000, irq: 44, format: armV7Short, memory: ram, tableAllocator: ram, driver, logger: new RecordingLogger() });
    const a = decoderSmmu.createContext(0);
    const b = second.createContext(1);
    const vcm = vcmm.create(0x10_0000, SZ_64M);
    const assocA = vcm.assoc(a);
    const assocB = vcm.assoc(b);
    // Same format, same driver: one table shared by both SMMUs.
    expect(vcm.pgtblPaFor(a)).toBe(vcm.pgtblPaFor(b));
    assocA.activate();
    assocB.activate();
    expect(b.bank!.index).toBe(1);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_64K);
    const res = vcm.reserve(SZ_64K);
    res.back(pm);
    a.dma.read(res.devAddr, 4);
    b.dma.read(res.devAddr, 4);
    expect(decoderSmmu.tlb.stats().entries).toBe(1);
    expect(second.tlb.stats().entries).toBe(1);
    res.unback();
    expect(decoderSmmu.tlb.stats().entries).toBe(0);
    expect(second.tlb.stats().entries).toBe(0);
    a.hookInterrupt(() => 'terminate');
    b.hookInterrupt(() => 'terminate');
    expect(vcmErrorOf(() => a.dma.read(res.devAddr, 4)).code).toBe('EFAULT');
    expect(vcmErrorOf(() => b.dma.read(res.devAddr, 4)).code).toBe('EFAULT');
    expect(vcmErrorOf(() => vcmm.devAddrToPhysAddr(a, res.devAddr)).code).toBe('EFAULT');
  });

  it('res.setAttr on a backed reservation leaves no stale writable TLB entry', () => {
    const { vcmm, decoderSmmu } = platform();
    const ctx = decoderSmmu.createContext(0);
    const vcm = vcmm.create(0x10_0000, SZ_64M);
    vcm.assoc(ctx).activate();
    const res = vcm.reserve(SZ_64K, VCM_READ | VCM_WRITE);
    res.back(vcmm.physAlloc(VCM_MEMTYPE_0, SZ_64K));
    ctx.dma.write(res.devAddr, Uint8Array.of(7)); // the writable translation is now cached
    expect(decoderSmmu.tlb.stats().entries).toBe(1);
    res.setAttr(VCM_READ);
    const seen: FaultInfo[] = [];
    ctx.hookInterrupt((_d, _x, f) => {
      seen.push(f);
      return 'terminate';
    });
    expect(vcmErrorOf(() => ctx.dma.write(res.devAddr, Uint8Array.of(8))).code).toBe('EFAULT');
    expect(seen[0]).toMatchObject({ kind: 'permission', access: 'write' });
    expect([...ctx.dma.read(res.devAddr, 1)]).toEqual([7]);
  });

  it('the split puts two VCMs on one context: TTBR0 for the low half, TTBR1 for the high half, TTBCR.N', () => {
    const { vcmm, decoderSmmu } = platform();
    const ctx = decoderSmmu.createContext(0);
    const low = vcmm.create(0x1000, SZ_64M);
    const high = vcmm.create(0x8000_0000, SZ_64M);
    const aLow = low.assoc(ctx, vcmSplitAttr(1) | VCM_USE_LOW_BASE);
    const aHigh = high.assoc(ctx, vcmSplitAttr(1) | VCM_USE_HIGH_BASE);
    aLow.activate();
    aHigh.activate();
    const regs = decoderSmmu.banks[0]!.registers;
    expect(decoderSmmu.banks[0]!.config).toMatchObject({ ttbr0: low.pgtblPa, ttbr1: high.pgtblPa, t0sz: 1, epd0: false, epd1: false });
    expect(regs.fields().ttbcr.t0sz).toBe(1);
    const rl = low.reserve(SZ_4K);
    const rh = high.reserve(SZ_4K);
    rl.back(vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K));
    rh.back(vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K));
    ctx.dma.write(rl.devAddr, Uint8Array.of(1));
    ctx.dma.write(rh.devAddr, Uint8Array.of(2));
    expect([...ctx.dma.read(rl.devAddr, 1)]).toEqual([1]);
    expect([...ctx.dma.read(rh.devAddr, 1)]).toEqual([2]);
    expect(vcmm.devAddrToPhysAddr(ctx, rh.devAddr)).toBe([...rh.physmem!.chunks()][0]!.pa);
    // A third VCM on the busy low base is EBUSY.
    const third = vcmm.create(0x100_0000, SZ_16M);
    const a3 = third.assoc(ctx, vcmSplitAttr(1) | VCM_USE_LOW_BASE);
    expect(vcmErrorOf(() => a3.activate()).code).toBe('EBUSY');
    // Deactivating one base leaves the other running; the last gives the bank up.
    aHigh.deactivate();
    expect(regs.ttbr1).toBe(0);
    expect(ctx.isActive).toBe(true);
    expect([...ctx.dma.read(rl.devAddr, 1)]).toEqual([1]);
    aLow.deactivate();
    expect(ctx.isActive).toBe(false);
    expect(regs.toJSON()).toMatchObject({ ttbr0: 0, ttbr1: 0, sctlr: 0 });
    expect(decoderSmmu.tlb.stats().entries).toBe(0);
  });

  it('refuses association attributes the context cannot honour, and VCMs outside their half', () => {
    const { vcmm, decoderSmmu } = platform();
    const ctx = decoderSmmu.createContext(0);
    const vcm = vcmm.create(0x1000, SZ_64M);
    expect(vcmErrorOf(() => vcm.assoc(ctx, VCM_USE_HIGH_BASE)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => vcm.assoc(ctx, vcmSplitAttr(8))).code).toBe('EINVAL');
    expect(vcmErrorOf(() => vcm.assoc(ctx, vcmSplitAttr(1) | VCM_USE_LOW_BASE | VCM_USE_HIGH_BASE)).code).toBe('EINVAL');
    // A VCM in the low half cannot sit on TTBR1.
    const wrongHalf = vcm.assoc(ctx, vcmSplitAttr(2) | VCM_USE_HIGH_BASE);
    const before = JSON.stringify(decoderSmmu.toJSON());
    expect(vcmErrorOf(() => wrongHalf.activate()).code).toBe('EINVAL');
    expect(JSON.stringify(decoderSmmu.toJSON())).toBe(before);
  });

  it('activation is EBUSY while another virtual context holds the bank, and changes nothing', () => {
    const { vcmm, decoderSmmu } = platform();
    const owner = decoderSmmu.createContext(0);
    owner.bind(decoderSmmu);
    owner.activate();
    const other = decoderSmmu.createContext(2, { bank: 0 });
    const vcm = vcmm.create(0x1000, SZ_64M);
    const a = vcm.assoc(other);
    const before = JSON.stringify(decoderSmmu.toJSON());
    expect(vcmErrorOf(() => a.activate()).code).toBe('EBUSY');
    expect(JSON.stringify(decoderSmmu.toJSON())).toBe(before);
    owner.deactivate();
    a.activate();
    expect(decoderSmmu.banks[0]!.owner).toBe(other);
  });

  it('vcmm.hook reaches the context: a fault calls the handler, which can map and retry through core', () => {
    const { vcmm, decoderSmmu } = platform();
    const ctx = decoderSmmu.createContext(0);
    const vcm = vcmm.create(0x10_0000, SZ_64M);
    vcm.assoc(ctx).activate();
    const res = vcm.reserve(SZ_4K);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K);
    const seen: FaultInfo[] = [];
    vcmm.hook(
      ctx,
      (dev, data, fault) => {
        expect(dev).toBe(ctx);
        expect(data).toBe('demand-paging');
        seen.push(fault);
        res.back(pm);
        return 'retry';
      },
      'demand-paging',
    );
    ctx.dma.write(res.devAddr + 4, Uint8Array.of(42));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ kind: 'translation', access: 'write', address: res.devAddr + 4 });
    expect([...ctx.dma.read(res.devAddr + 4, 1)]).toEqual([42]);
  });

  it('a VCM freed after use leaves no table memory behind', () => {
    const { vcmm, decoderSmmu, ram } = platform();
    const ctx = decoderSmmu.createContext(0);
    const tablesBefore = ram.liveTables;
    const vcm = vcmm.create(0x10_0000, SZ_64M);
    const a = vcm.assoc(ctx);
    a.activate();
    const res = vcm.reserve(SZ_64K + SZ_4K);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_64K + SZ_4K);
    res.back(pm);
    ctx.dma.read(res.devAddr, 4);
    res.unback();
    res.unreserve();
    a.deactivate();
    a.deassoc();
    vcm.free();
    expect(ram.liveTables).toBe(tablesBefore);
  });
});

describe('the split through the driver: tables match the registers', () => {
  // The minimal case: an LPAE context, T0SZ = 2, one 4 KiB page at 0x06cc_d000.
  // With T0SZ 2..7 the walk from TTBR0 starts at level 2 (ARM ARM DDI 0406C,
  // B3.6, the long-descriptor walk; AArch32.TranslationTableWalkLD), so TTBR0 must
  // point at a level-2 table: the entry for 0x06cc_d000 is L2[54] at TTBR0 + 0x1b0.
  const VA = 0x06cc_d000;

  it('LPAE, T0SZ = 2: TTBR0 holds a level-2 root, and the hardware walk from the registers finds the page', () => {
    const { vcmm, displaySmmu, ram } = platform();
    const ctx = displaySmmu.createContext(0);
    const vcm = vcmm.create(VA, SZ_4K);
    vcm.assoc(ctx, vcmSplitAttr(2) | VCM_USE_LOW_BASE).activate();
    const res = vcm.reserveAt(VCM_START, SZ_4K);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K);
    res.back(pm);
    const pa = pm.chunks()[0]!.pa;
    const config = displaySmmu.banks[0]!.config!;
    expect(config).toMatchObject({ t0sz: 2, t1sz: 0, epd0: false, epd1: true });
    expect(config.ttbr0).toBe(vcm.pgtblPaFor(ctx));
    const walk = ctx.walk(VA + 0xfff);
    expect(walk.fault).toBeUndefined();
    expect(walk.pa).toBe(pa + 0xfff);
    expect(walk.steps.map((s) => s.level)).toEqual([2, 3]);
    expect(walk.steps[0]!.entryPa).toBe(config.ttbr0 + 54 * 8);
    // The same walk through the format with the registers decoded from scratch: what an MMU given these words does.
    const regs = displaySmmu.banks[0]!.registers;
    const fromWords = armLpae4k.walk(ram, armLpae4k.decodeConfig({ ttbcr: regs.ttbcr, ttbr0: regs.ttbr0, ttbr0High: regs.ttbr0High, ttbr1: regs.ttbr1, ttbr1High: regs.ttbr1High }, true), VA + 0xfff);
    expect(fromWords).toMatchObject({ pa: pa + 0xfff });
    ctx.dma.write(VA + 0xffc, Uint8Array.of(1, 2, 3, 4));
    expect([...ram.read(pa + 0xffc, 4)]).toEqual([1, 2, 3, 4]);
    const trace: WalkTraceStep[] = [];
    expect(vcmm.devAddrToPhysAddr(ctx, VA + 0x10, trace)).toBe(pa + 0x10);
    expect(trace).toEqual(walk.steps);
  });

  it('with a TTBR1 VCM beside it, each base walks its own table', () => {
    const { vcmm, displaySmmu, decoderSmmu } = platform();
    for (const smmu of [displaySmmu, decoderSmmu]) {
      const ctx = smmu.createContext(0);
      const low = vcmm.create(VA, SZ_4K);
      const high = vcmm.create(0x8000_0000, SZ_4K);
      low.assoc(ctx, vcmSplitAttr(2) | VCM_USE_LOW_BASE).activate();
      high.assoc(ctx, vcmSplitAttr(2) | VCM_USE_HIGH_BASE).activate();
      const rl = low.reserveAt(VCM_START, SZ_4K);
      const rh = high.reserveAt(VCM_START, SZ_4K);
      const pl = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K);
      const ph = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K);
      rl.back(pl);
      rh.back(ph);
      expect(smmu.banks[0]!.config).toMatchObject({ t0sz: 2, ttbr0: low.pgtblPaFor(ctx), ttbr1: high.pgtblPaFor(ctx), epd0: false, epd1: false });
      expect(ctx.walk(VA).pa).toBe(pl.chunks()[0]!.pa);
      expect(ctx.walk(0x8000_0000).pa).toBe(ph.chunks()[0]!.pa);
      // Nothing maps 0x4000_0000 (TTBR1's first GiB) nor 0x0800_0000 (TTBR0's, outside the VCM): translation faults.
      expect(ctx.walk(0x4000_0000).fault?.fault).toBe('translation');
      expect(ctx.walk(0x0800_0000).fault?.fault).toBe('translation');
    }
  });

  it('one VCM walked with two splits on two contexts keeps one table per split, equal in content', () => {
    const { vcmm, displaySmmu } = platform();
    const a = displaySmmu.createContext(0);
    const b = displaySmmu.createContext(1);
    const vcm = vcmm.create(VA, SZ_1M);
    const res = vcm.reserveAt(VCM_START, SZ_64K);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_64K);
    res.back(pm);
    const aa = vcm.assoc(a, 0);
    const ab = vcm.assoc(b, vcmSplitAttr(3) | VCM_USE_LOW_BASE);
    aa.activate();
    ab.activate();
    const ta = displaySmmu.banks[0]!.config!.ttbr0;
    const tb = displaySmmu.banks[1]!.config!.ttbr0;
    expect(ta).not.toBe(tb);
    for (const off of [0, 0x1000, 0xfff8]) expect(a.walk(VA + off).pa).toBe(b.walk(VA + off).pa);
    expect(b.walk(VA).steps[0]!.level).toBe(2);
    // Unbacking reaches both tables; deactivating one frees its table.
    res.unback();
    expect(a.walk(VA).fault?.fault).toBe('translation');
    expect(b.walk(VA).fault?.fault).toBe('translation');
    const tables = (): Array<{ ttbr: number; split: number }> =>
      (vcm.toJSON().spaces[0]!.state as { tables: Array<{ ttbr: number; split: number }> }).tables.map(({ ttbr, split }) => ({ ttbr, split }));
    expect(tables()).toEqual([
      { ttbr: 0, split: 0 },
      { ttbr: 0, split: 3 },
    ]);
    ab.deactivate();
    expect(tables()).toEqual([{ ttbr: 0, split: 0 }]);
    aa.deactivate();
    ab.activate();
    // The only table no context walked made way for the one this activation needs.
    expect(tables()).toEqual([{ ttbr: 0, split: 3 }]);
    expect(vcm.pgtblPaFor(b)).toBe(displaySmmu.banks[1]!.config!.ttbr0);
  });

  it('refuses a split the VCM does not fit, saying why, and changes nothing', () => {
    const { vcmm, displaySmmu } = platform();
    const ctx = displaySmmu.createContext(0);
    const vcm = vcmm.create(0x3000_0000, SZ_64M); // above 2^(32-3) = 512 MiB
    const a = vcm.assoc(ctx, vcmSplitAttr(3) | VCM_USE_LOW_BASE);
    const before = JSON.stringify(displaySmmu.toJSON());
    const err = vcmErrorOf(() => a.activate());
    expect(err.code).toBe('EINVAL');
    expect(err.message).toContain('TTBR0 translates [0, 0x2000_0000)');
    expect(JSON.stringify(displaySmmu.toJSON())).toBe(before);
  });
});
