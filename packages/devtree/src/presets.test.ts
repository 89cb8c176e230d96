import { describe, expect, it } from 'vitest';
import { msm8x60Board, seedExampleBoard } from './presets.js';
import { validateBoard } from './validate-board.js';

describe('msm8x60Board', () => {
  const b = validateBoard(msm8x60Board());

  it('has about a dozen SMMUs with 2 or 3 contexts each and the seed context names', () => {
    expect(b.smmus).toHaveLength(12);
    for (const s of b.smmus) expect([2, 3]).toContain(s.contexts.length);
    const names = b.smmus.flatMap((s) => s.contexts.map((c) => c.name));
    for (const seedName of ['vcodec_a_mm1', 'vcodec_b_mm2', 'vcodec_stream', 'vcodec_a_stream']) expect(names).toContain(seedName);
  });

  it('puts the display engines on LPAE and the rest on the short format, with 32-entry TLBs', () => {
    expect(b.smmus.filter((s) => s.format === 'armLpae4k').map((s) => s.name)).toEqual(['mdp0', 'mdp1']);
    expect(new Set(b.smmus.map((s) => s.tlb.entries))).toEqual(new Set([32]));
  });

  it('has distinct 4 KiB-aligned register bases and distinct IRQs', () => {
    expect(new Set(b.smmus.map((s) => s.base)).size).toBe(12);
    expect(new Set(b.smmus.map((s) => s.irq)).size).toBe(12);
    for (const s of b.smmus) expect(s.base % 0x1000).toBe(0);
  });

  it('lays out SMI and EBI as docs/hardware.md#the-msm8x60-memory-arrangement does', () => {
    const pool = (n: string) => b.memory.pools.find((p) => p.name === n)!;
    expect(pool('smi-cont')).toMatchObject({ base: 0x3b80_0000, size: 0x80_0000 }); // last 8 MiB of SMI
    expect(pool('smi-4k')).toMatchObject({ base: 0x39c0_0000, blockSize: 0x1000, count: 1024 });
    expect(pool('ebi-cont')).toMatchObject({ base: 0x6200_0000, size: 0x100_0000 });
    expect(b.memory.tableRegion).toEqual({ base: 0x6300_0000, size: 0x80_0000 });
    expect(b.memory.kernelRam).toEqual([{ base: 0x4000_0000, size: 0x2000_0000 }]);
    expect(b.memory.memtypes.map((m) => m.id)).toEqual([1, 2, 3, 4]);
  });

  it('returns a fresh object each call (no shared mutable state)', () => {
    const one = msm8x60Board();
    (one.smmus[0]!.contexts as { name: string }[]).push({ name: 'x' });
    expect(msm8x60Board().smmus[0]!.contexts).toHaveLength(2);
    expect(JSON.parse(JSON.stringify(msm8x60Board()))).toEqual(msm8x60Board());
  });
});

describe('seedExampleBoard', () => {
  it('is the tree of the seed: smmu0 with ctx0..ctx2, smmu1 with ctx3', () => {
    const b = validateBoard(seedExampleBoard());
    expect(b.smmus.map((s) => [s.name, s.contexts.map((c) => c.name)])).toEqual([
      ['smmu0', ['ctx0', 'ctx1', 'ctx2']],
      ['smmu1', ['ctx3']],
    ]);
    expect(b.smmus.every((s) => s.format === 'armV7Short')).toBe(true);
  });
});
