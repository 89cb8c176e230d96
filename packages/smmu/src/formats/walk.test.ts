/**
 * The one walk from registers (`format.decodeConfig` + `format.walk`), for
 * both formats: TTBR selection by the split, the LPAE level-2 start, the
 * per-level trace, faults as data, and the register values a format refuses.
 * Tables are built by the formats themselves or, where a case cannot be
 * built through the API (an access flag of 0, NSTable, T1SZ > 0), written
 * by hand into RAM.
 */
import { describe, expect, it } from 'vitest';
import { SZ_16M, SZ_1G, SZ_1M, SZ_2M, SZ_4K, VCM_READ, VCM_SECURE, VCM_WB_WA, VCM_WRITE } from '@vcm/core';
import { vcmErrorOf } from '@vcm/test-kit';
import { isWalkFault } from '../format.js';
import type { WalkResult, WalkStep } from '../format.js';
import { armLpae4k, armV7Short } from './index.js';
import { TestRam } from './test-ram.js';

const RW = VCM_READ | VCM_WRITE | VCM_WB_WA;
const EAE = 0x8000_0000;

function leaf(r: ReturnType<typeof armLpae4k.walk>): WalkResult {
  if (isWalkFault(r)) throw new Error(`expected a leaf, got a ${r.fault} fault at level ${r.level}`);
  return r;
}

describe('armLpae4k: the TTBR0/TTBR1 split as the MMU walks it', () => {
  it('T0SZ = 2: TTBR0 0x8000_0000, VA 0x06cc_dfff reads L2[54] at 0x8000_01b0, then level 3, and gives 0x61e7_dfff', () => {
    const ram = new TestRam({ tableBase: 0x8000_0000 });
    const t0 = armLpae4k.create(ram, ram, { split: 2 });
    const t1 = armLpae4k.create(ram, ram, { split: 2, ttbr: 1 });
    expect(t0.rootPa).toBe(0x8000_0000);
    // T0SZ = 2: 2^30 bytes of input, level-2 root of 512 entries (4 KiB), so TTBR1's table cannot sit inside it.
    expect(t0.tableBytes).toBe(0x1000);
    expect(t1.rootPa).toBeGreaterThanOrEqual(0x8000_1000);
    t0.map(0x06cc_d000, 0x61e7_d000, SZ_4K, RW);
    t1.map(0xc000_0000, 0x5000_0000, SZ_4K, RW);
    const cfg = armLpae4k.decodeConfig({ ttbcr: (EAE | 2) >>> 0, ttbr0: t0.rootPa, ttbr1: t1.rootPa });
    expect(cfg).toMatchObject({ ttbr0: 0x8000_0000, ttbr1: t1.rootPa, t0sz: 2, t1sz: 0, epd0: false, epd1: false, nonSecure: false });
    const trace: WalkStep[] = [];
    const w = leaf(armLpae4k.walk(ram, cfg, 0x06cc_dfff, trace));
    expect(w).toMatchObject({ pa: 0x61e7_dfff, va: 0x06cc_d000, size: SZ_4K, level: 3 });
    expect(trace.map((s) => [s.level, s.entryPa])).toEqual([
      [2, 0x8000_01b0],
      [3, ram.readU32(0x8000_01b0) - 3 + 0xcd * 8],
    ]);
    expect(trace[1]?.descriptor).toBe(w.descriptor);
    // TTBR1 covers everything above 1 GiB from a level-1 root.
    const up: WalkStep[] = [];
    expect(leaf(armLpae4k.walk(ram, cfg, 0xc000_0123, up)).pa).toBe(0x5000_0123);
    expect(up.map((s) => s.level)).toEqual([1, 2, 3]);
    expect(up[0]?.entryPa).toBe(t1.rootPa + 3 * 8);
  });

  it('the same registers over a full-size table (level-1 root of 4 entries) fault at level 2, reading 0x8000_01b0, as the MMU does', () => {
    const ram = new TestRam({ tableBase: 0x8000_0000 });
    const wrong = armLpae4k.create(ram, ram); // split 0: the layout a driver that ignores T0SZ builds
    wrong.map(0x06cc_d000, 0x61e7_d000, SZ_4K, RW);
    expect(wrong.walk(0x06cc_dfff)?.pa).toBe(0x61e7_dfff); // its own (split 0) view
    const cfg = armLpae4k.decodeConfig({ ttbcr: (EAE | 2) >>> 0, ttbr0: 0x8000_0000, ttbr1: 0x8000_0400 });
    const trace: WalkStep[] = [];
    expect(armLpae4k.walk(ram, cfg, 0x06cc_dfff, trace)).toEqual({ fault: 'translation', level: 2, entryPa: 0x8000_01b0, descriptor: 0, descriptorHigh: 0 });
    expect(trace).toEqual([{ level: 2, entryPa: 0x8000_01b0, descriptor: 0, descriptorHigh: 0 }]);
  });

  it('both T0SZ and T1SZ set: the gap between the regions is a level-1 translation fault with nothing read', () => {
    const ram = new TestRam();
    const cfg = armLpae4k.decodeConfig({ ttbcr: (EAE | 2 | (2 << 16)) >>> 0, ttbr0: 0x0800_0000, ttbr1: 0x0800_1000 });
    const trace: WalkStep[] = [];
    for (const va of [SZ_1G, 2 * SZ_1G, 3 * SZ_1G - 1]) {
      expect(armLpae4k.walk(ram, cfg, va, trace)).toEqual({ fault: 'translation', level: 1, entryPa: -1, descriptor: 0, descriptorHigh: 0 });
    }
    expect(trace).toEqual([]);
  });

  it('T1SZ = 2: TTBR1 covers [3 GiB, 4 GiB) and its walk starts at level 2, indexed by VA[29:21]', () => {
    const ram = new TestRam();
    const ttbr1 = 0x0900_0000;
    // A hand-written 2 MiB block at L2[5] of the TTBR1 table: VA 0xc0a0_0000.
    ram.writeU32(ttbr1 + 5 * 8, (0x7740_0000 | 0x400 | 0x20 | 1) >>> 0);
    ram.writeU32(ttbr1 + 5 * 8 + 4, 0);
    const cfg = armLpae4k.decodeConfig({ ttbcr: (EAE | (2 << 16)) >>> 0, ttbr0: 0x0800_0000, ttbr1 });
    const trace: WalkStep[] = [];
    expect(leaf(armLpae4k.walk(ram, cfg, 0xc0a1_2345, trace))).toMatchObject({ pa: 0x7741_2345, size: SZ_2M, level: 2 });
    expect(trace.map((s) => s.entryPa)).toEqual([ttbr1 + 5 * 8]);
  });

  it('EPD0/EPD1: a disabled walk is a level-1 translation fault with nothing read', () => {
    const ram = new TestRam();
    const t0 = armLpae4k.create(ram, ram, { split: 1 });
    t0.map(0, 0, SZ_4K, RW);
    const cfg = armLpae4k.decodeConfig({ ttbcr: (EAE | 1 | (1 << 7) | (1 << 23)) >>> 0, ttbr0: t0.rootPa, ttbr1: 0 });
    expect(armLpae4k.walk(ram, cfg, 0)).toMatchObject({ fault: 'translation', level: 1, entryPa: -1 });
    expect(armLpae4k.walk(ram, cfg, 0x8000_0000)).toMatchObject({ fault: 'translation', level: 1, entryPa: -1 });
  });

  it('faults as data: access flag 0, output address bits [47:40], an invalid entry at each level', () => {
    const ram = new TestRam();
    const pt = armLpae4k.create(ram, ram);
    pt.map(0x1000, 0x1000, SZ_4K, RW);
    pt.map(0x2000, 0x2000, SZ_4K, RW);
    const cfg = armLpae4k.decodeConfig({ ttbcr: EAE, ttbr0: pt.rootPa, ttbr1: 0 });
    const e1 = leaf(armLpae4k.walk(ram, cfg, 0x1000)).entryPa;
    ram.writeU32(e1, ram.readU32(e1) & ~0x400); // AF
    expect(armLpae4k.walk(ram, cfg, 0x1000)).toMatchObject({ fault: 'access-flag', level: 3, entryPa: e1 });
    const e2 = leaf(armLpae4k.walk(ram, cfg, 0x2000)).entryPa;
    ram.writeU32(e2 + 4, ram.readU32(e2 + 4) | 0x100); // PA[40]
    expect(armLpae4k.walk(ram, cfg, 0x2000)).toMatchObject({ fault: 'address-size', level: 3, entryPa: e2 });
    expect(armLpae4k.walk(ram, cfg, 0x3000)).toMatchObject({ fault: 'translation', level: 3, entryPa: e2 + 8 });
    expect(armLpae4k.walk(ram, cfg, SZ_2M)).toMatchObject({ fault: 'translation', level: 2 });
    expect(armLpae4k.walk(ram, cfg, SZ_1G)).toMatchObject({ fault: 'translation', level: 1, entryPa: pt.rootPa + 8 });
    // PageTable.walk is the same walk, undefined on any fault.
    expect(pt.walk(0x1000)).toBeUndefined();
  });

  it('decodeConfig refuses what the format cannot walk from, naming the field', () => {
    const where = (f: () => unknown): string => {
      const e = vcmErrorOf(f);
      expect(e.code).toBe('EINVAL');
      return e.message;
    };
    expect(where(() => armLpae4k.decodeConfig({ ttbcr: 2, ttbr0: 0, ttbr1: 0 }))).toContain('EAE (bit 31) is 0');
    expect(where(() => armLpae4k.decodeConfig({ ttbcr: (EAE | 2) >>> 0, ttbr0: 0x8000_0400, ttbr1: 0 }))).toContain('aligned to 4096 bytes');
    expect(where(() => armLpae4k.decodeConfig({ ttbcr: EAE, ttbr0: 0x8000_0010, ttbr1: 0 }))).toContain('aligned to 32 bytes');
    expect(where(() => armLpae4k.decodeConfig({ ttbcr: EAE, ttbr0: 0, ttbr0High: 0x100, ttbr1: 0 }))).toContain('ttbr0High');
    expect(where(() => armLpae4k.decodeConfig({ ttbcr: (EAE | 0x8) >>> 0, ttbr0: 0, ttbr1: 0 }))).toContain('should-be-zero');
    // ASID in TTBR0[55:48] and PA[39:32] are fine.
    expect(armLpae4k.decodeConfig({ ttbcr: EAE, ttbr0: 0x1000, ttbr0High: 0x0042_0003, ttbr1: 0 }).ttbr0).toBe(0x3_0000_1000);
    for (const bad of [null, 7, 'x', { ttbcr: Number.NaN, ttbr0: 0, ttbr1: 0 }, { ttbcr: -1, ttbr0: 0, ttbr1: 0 }, { ttbcr: 0.5, ttbr0: 0, ttbr1: 0 }, { ttbcr: 2 ** 32, ttbr0: 0, ttbr1: 0 }, { ttbcr: EAE, ttbr0: '0', ttbr1: 0 }]) {
      where(() => armLpae4k.decodeConfig(bad as never));
      where(() => armV7Short.decodeConfig(bad as never));
    }
    expect(where(() => armLpae4k.decodeConfig({ ttbcr: EAE, ttbr0: 0, ttbr1: 0 }, 'yes' as never))).toContain('nonSecure');
  });
});

describe('armV7Short: walking from TTBCR.N, TTBR0 and TTBR1', () => {
  it('N = 2: TTBR0 for [0, 1 GiB) through a 4 KiB level-1 table, TTBR1 above through a full 16 KiB one', () => {
    const ram = new TestRam();
    const t0 = armV7Short.create(ram, ram, { split: 2 });
    const t1 = armV7Short.create(ram, ram, { split: 2, ttbr: 1 });
    expect([t0.tableBytes, t1.tableBytes, t1.inputBase, t1.inputSize]).toEqual([0x1000, 0x4000, SZ_1G, 3 * SZ_1G]);
    t0.map(0x3ff0_0000, 0x1000_0000, SZ_1M, RW);
    t1.map(0xffff_f000, 0x2000_0000, SZ_4K, RW);
    expect(vcmErrorOf(() => t1.map(0x3ff0_0000, 0, SZ_1M, RW)).message).toContain('TTBR1 table');
    // The walk attributes in TTBR[6:0] (IRGN, NOS, RGN, S) do not move the base.
    const cfg = armV7Short.decodeConfig({ ttbcr: 2, ttbr0: t0.rootPa | 0x59, ttbr1: t1.rootPa | 0x4b });
    expect([cfg.ttbr0, cfg.ttbr1, cfg.t0sz]).toEqual([t0.rootPa, t1.rootPa, 2]);
    const trace: WalkStep[] = [];
    expect(leaf(armV7Short.walk(ram, cfg, 0x3ff1_2345, trace)).pa).toBe(0x1001_2345);
    expect(trace).toEqual([{ level: 1, entryPa: t0.rootPa + 0x3ff * 4, descriptor: ram.readU32(t0.rootPa + 0x3ff * 4), descriptorHigh: 0 }]);
    trace.length = 0;
    expect(leaf(armV7Short.walk(ram, cfg, 0xffff_fabc, trace)).pa).toBe(0x2000_0abc);
    expect(trace.map((s) => [s.level, s.entryPa])).toEqual([
      [1, t1.rootPa + 0xfff * 4],
      [2, (ram.readU32(t1.rootPa + 0xfff * 4) & 0xffff_fc00) + 0xff * 4],
    ]);
    expect(armV7Short.walk(ram, cfg, 0x4000_0000)).toEqual({ fault: 'translation', level: 1, entryPa: t1.rootPa + 0x400 * 4, descriptor: 0, descriptorHigh: 0 });
  });

  it('PD0 disables the TTBR0 walk; SCTLR.AFE makes AP[0] = 0 an access-flag fault', () => {
    const ram = new TestRam();
    const pt = armV7Short.create(ram, ram);
    pt.map(SZ_1M, SZ_1M, SZ_1M, RW);
    pt.map(0x5000, 0x5000, SZ_4K, RW);
    expect(armV7Short.walk(ram, armV7Short.decodeConfig({ ttbcr: 1 << 4, ttbr0: pt.rootPa, ttbr1: 0 }), SZ_1M)).toMatchObject({ fault: 'translation', level: 1, entryPa: -1 });
    const s = pt.rootPa + 4;
    ram.writeU32(s, ram.readU32(s) & ~(1 << 10)); // section AP[0]
    const e = leaf(armV7Short.walk(ram, pt.walkConfig, 0x5000)).entryPa;
    ram.writeU32(e, ram.readU32(e) & ~(1 << 4)); // small page AP[0]
    const afe = armV7Short.decodeConfig({ ttbcr: 0, ttbr0: pt.rootPa, ttbr1: 0, sctlr: 1 << 29 });
    expect(afe.afe).toBe(true);
    expect(armV7Short.walk(ram, afe, SZ_1M)).toMatchObject({ fault: 'access-flag', level: 1, entryPa: s });
    expect(armV7Short.walk(ram, afe, 0x5000)).toMatchObject({ fault: 'access-flag', level: 2, entryPa: e });
    // Without AFE, AP[0] is a permission bit the walk reports, not a fault.
    expect(leaf(armV7Short.walk(ram, pt.walkConfig, 0x5000)).accessFlag).toBe(false);
  });

  it('decodeConfig refuses the LPAE TTBCR, 64-bit TTBRs, should-be-zero bits and a misaligned base', () => {
    expect(vcmErrorOf(() => armV7Short.decodeConfig({ ttbcr: EAE, ttbr0: 0, ttbr1: 0 })).message).toContain('EAE (bit 31) is 1');
    expect(vcmErrorOf(() => armV7Short.decodeConfig({ ttbcr: 0, ttbr0: 0, ttbr0High: 1, ttbr1: 0 })).message).toContain('32-bit');
    expect(vcmErrorOf(() => armV7Short.decodeConfig({ ttbcr: 1 << 6, ttbr0: 0, ttbr1: 0 })).message).toContain('should-be-zero');
    expect(vcmErrorOf(() => armV7Short.decodeConfig({ ttbcr: 0, ttbr0: 0x0800_2000, ttbr1: 0 })).message).toContain('aligned to 16384 bytes');
    // N = 2: a 4 KiB TTBR0 table; TTBR1 stays 16 KiB aligned.
    expect(armV7Short.decodeConfig({ ttbcr: 2, ttbr0: 0x0800_3000, ttbr1: 0x0800_4000 }).ttbr0).toBe(0x0800_3000);
    expect(vcmErrorOf(() => armV7Short.decodeConfig({ ttbcr: 2, ttbr0: 0x0800_3000, ttbr1: 0x0800_5000 })).message).toContain('ttbr1');
  });
});

describe('VCM_SECURE: NS in both formats; a Non-secure walker cannot reach a secure mapping', () => {
  it('armLpae4k: NS (bit 5) clear only for VCM_SECURE; the Non-secure walker takes a translation fault at the leaf', () => {
    const ram = new TestRam();
    const pt = armLpae4k.create(ram, ram);
    pt.map(0x1000, 0x9000, SZ_4K, RW | VCM_SECURE);
    pt.map(0x2000, 0xa000, SZ_4K, RW);
    const secureWalker = armLpae4k.decodeConfig({ ttbcr: EAE, ttbr0: pt.rootPa, ttbr1: 0 });
    const nsWalker = armLpae4k.decodeConfig({ ttbcr: EAE, ttbr0: pt.rootPa, ttbr1: 0 }, true);
    const s = leaf(armLpae4k.walk(ram, secureWalker, 0x1000));
    expect([s.descriptor & 0x20, s.nonSecure, s.prot & VCM_SECURE]).toEqual([0, false, VCM_SECURE]);
    const n = leaf(armLpae4k.walk(ram, nsWalker, 0x2000));
    expect([n.descriptor & 0x20, n.nonSecure, n.prot & VCM_SECURE]).toEqual([0x20, true, 0]);
    expect(armLpae4k.walk(ram, nsWalker, 0x1000)).toMatchObject({ fault: 'translation', level: 3, entryPa: s.entryPa });
    // NSTable (bit 63) in the level-2 table descriptor makes everything below Non-secure for a secure walker.
    const l2 = ram.readU32(pt.rootPa) & ~0xfff;
    ram.writeU32(l2 + 4, (ram.readU32(l2 + 4) | 0x8000_0000) >>> 0);
    expect(leaf(armLpae4k.walk(ram, secureWalker, 0x1000)).nonSecure).toBe(true);
  });

  it('armV7Short: NS in the section (bit 19) and in the level-1 pointer (bit 3); one security state per level-2 table', () => {
    const ram = new TestRam();
    const pt = armV7Short.create(ram, ram);
    pt.map(SZ_1M, SZ_1M, SZ_1M, RW | VCM_SECURE);
    pt.map(2 * SZ_1M, 2 * SZ_1M, SZ_1M, RW);
    pt.map(SZ_16M, SZ_16M, SZ_4K, RW | VCM_SECURE);
    expect((ram.readU32(pt.rootPa + 4) >>> 19) & 1).toBe(0);
    expect((ram.readU32(pt.rootPa + 8) >>> 19) & 1).toBe(1);
    expect((ram.readU32(pt.rootPa + 16 * 4) >>> 3) & 1).toBe(0);
    const before = ram.digest();
    const e = vcmErrorOf(() => pt.map(SZ_16M + SZ_4K, 0x5000, SZ_4K, RW));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain('one security state per MiB');
    expect(ram.digest()).toBe(before);
    const ns = armV7Short.decodeConfig({ ttbcr: 0, ttbr0: pt.rootPa, ttbr1: 0 }, true);
    expect(armV7Short.walk(ram, ns, SZ_1M)).toMatchObject({ fault: 'translation', level: 1 });
    expect(armV7Short.walk(ram, ns, SZ_16M)).toMatchObject({ fault: 'translation', level: 2 });
    expect(leaf(armV7Short.walk(ram, ns, 2 * SZ_1M)).nonSecure).toBe(true);
    expect(pt.walk(SZ_16M)?.prot).toBe(RW | VCM_SECURE);
    // Once the secure page goes, the emptied level-2 table goes with it and the MiB may take non-secure pages.
    pt.unmap(SZ_16M, SZ_4K);
    pt.map(SZ_16M + SZ_4K, 0x5000, SZ_4K, RW);
    expect(leaf(armV7Short.walk(ram, ns, SZ_16M + SZ_4K)).pa).toBe(0x5000);
  });
});

describe('the trace', () => {
  it('a 16 MiB supersection is found at level 1: one step per walk', () => {
    const ram = new TestRam();
    const pt = armV7Short.create(ram, ram);
    pt.mapRange(0, 0x4000_0000, SZ_16M, RW);
    const trace: WalkStep[] = [];
    for (let va = 0; va < SZ_16M; va += SZ_1M) armV7Short.walk(ram, pt.walkConfig, va, trace);
    expect(trace.length).toBe(16); // supersection: one level-1 read each
  });
});
