/**
 * Per-SMMU translation caches in a board (docs/boards.md#translation-caches):
 * `model` and `caches` reach `new Smmu`; what cannot be built is refused by
 * `validateBoard` with the JSON path.
 */
import { describe, expect, it } from 'vitest';
import { SZ_1M, VcmError } from '@vcm/core';
import { buildPlatform } from './platform.js';
import { msm8x60Board } from './presets.js';
import { checkBoardRules } from './board-rules.js';
import { validateBoard } from './validate-board.js';

type Loose = { smmus: Array<Record<string, unknown> & { name: string; tlb: { entries: number } }> } & Record<string, unknown>;

function board(): Loose {
  return structuredClone(msm8x60Board()) as unknown as Loose;
}

function rejection(description: unknown): VcmError {
  try {
    validateBoard(description);
  } catch (e) {
    if (e instanceof VcmError) return e;
    throw e;
  }
  throw new Error('the board was accepted');
}

describe('board SMMUs: model and caches', () => {
  it('an SMMU without them is the seed\'s SMMU, as before', () => {
    const p = buildPlatform(msm8x60Board());
    for (const smmu of Object.values(p.smmus)) expect([smmu.model, smmu.tlb.stats().ways]).toEqual(['msm8x60', 32]);
  });

  it('model and caches reach the SMMU: mmu-600 with a 64-entry 4-way main TLB (tlb.entries) and the walk cache off', () => {
    const b = board();
    b.smmus[0]!['model'] = 'mmu-600';
    b.smmus[0]!.tlb.entries = 64;
    b.smmus[0]!['caches'] = { walkCache: { enabled: false }, timing: { memoryAccess: 150 } };
    const p = buildPlatform(b as never);
    const smmu = p.smmus[b.smmus[0]!.name]!;
    const json = smmu.toJSON();
    expect(json.model).toBe('mmu-600');
    expect(smmu.tlb.stats()).toMatchObject({ capacity: 64, ways: 4, sets: 16 });
    expect(json.caches.config.walkCache.enabled).toBe(false);
    expect(json.caches.config.timing).toMatchObject({ memoryAccess: 150, mainTlbHit: 3, clockMHz: 800 });
    expect(json.caches.microTlbs).toHaveLength(smmu.banks.length);
    // The SMMU translates through them: a process's buffer mapped for the device streams with cycles counted.
    const ctx = smmu.contexts[0]!;
    const vcm = p.vcmm.create(0x1000_0000, SZ_1M);
    vcm.assoc(ctx).activate();
    const res = vcm.reserve(SZ_1M);
    res.back(p.vcmm.physAlloc(p.board.memory.memtypes[0]!.id, SZ_1M, 0));
    expect(ctx.dma.stream(res.devAddr, SZ_1M, { burst: 256 }).cycles).toBeGreaterThan(0);
  });

  it('a model without tlb gets the model\'s main TLB (mmu-600: 2048 entries, 4-way); the board without a model keeps 32', () => {
    const b = board();
    b.smmus[0]!['model'] = 'mmu-600';
    delete (b.smmus[0] as Partial<Loose['smmus'][number]>).tlb;
    delete (b.smmus[1] as Partial<Loose['smmus'][number]>).tlb;
    const p = buildPlatform(b as never);
    expect(p.smmus[b.smmus[0]!.name]!.tlb.stats()).toMatchObject({ capacity: 2048, ways: 4, sets: 512, policy: 'lru' });
    expect(p.smmus[b.smmus[1]!.name]!.tlb.stats()).toMatchObject({ capacity: 32, ways: 32, policy: 'lru' });
  });

  it('refuses what an SMMU cannot build, with the JSON path', () => {
    const cases: Array<[(b: Loose) => void, string]> = [
      [(b) => (b.smmus[0]!['model'] = 'mmu-700'), 'board.smmus[0].model'],
      [(b) => (b.smmus[0]!['caches'] = { mainTlb: { ways: 3 } }), 'board.smmus[0].caches.mainTlb.ways'],
      [(b) => ((b.smmus[0]!['model'] = 'mmu-600'), (b.smmus[0]!.tlb.entries = 48)), 'board.smmus[0].tlb.entries'],
      [(b) => (b.smmus[0]!['caches'] = { microTlb: { enabled: true, entries: 0 } }), 'board.smmus[0].caches.microTlb.entries'],
      [(b) => (b.smmus[0]!['caches'] = { walkCache: { policy: 'mru' } }), 'board.smmus[0].caches.walkCache.policy'],
      [(b) => (b.smmus[0]!['caches'] = { timing: { maxWalks: 0 } }), 'board.smmus[0].caches.timing.maxWalks'],
      [(b) => (b.smmus[0]!['caches'] = { lockdownEntries: 32 }), 'board.smmus[0].caches.lockdownEntries'],
      [(b) => (b.smmus[0]!['caches'] = { prefetchs: true }), 'board.smmus[0].caches.prefetchs'],
    ];
    for (const [change, path] of cases) {
      const b = board();
      change(b);
      const e = rejection(b);
      expect(e.code, path).toBe('EINVAL');
      expect(e.details['path'], path).toBe(path);
    }
  });
  it('says which field the refused number came from, as the SMMU\'s resolver reports it', () => {
    const messages: Array<[(b: Loose) => void, string]> = [
      [
        (b) => ((b.smmus[0]!['model'] = 'mmu-600'), (b.smmus[0]!.tlb.entries = 48)),
        'board.smmus[0].tlb.entries: 48 gives 48 entries in 4 ways (the mmu-600 model\'s), not a power-of-two number of sets (allowed: ways 0 (fully associative), or entries a power-of-two multiple of ways)',
      ],
      [
        (b) => (b.smmus[0]!['caches'] = { mainTlb: { entries: 48, ways: 16 } }),
        'board.smmus[0].caches.mainTlb.ways: 16 gives 48 entries in 16 ways, not a power-of-two number of sets (allowed: ways 0 (fully associative), or entries a power-of-two multiple of ways)',
      ],
      [
        (b) => (b.smmus[0]!['caches'] = { microTlb: { enabled: true } }),
        'board.smmus[0].caches.microTlb.entries: 0 is 0 while microTlb is enabled (allowed: at least 1, or "enabled": false in caches.microTlb)',
      ],
      [
        (b) => (b.smmus[0]!['caches'] = { mainTlb: { enabled: false }, lockdownEntries: 2 }),
        'board.smmus[0].caches.lockdownEntries: 2 locks entries of a main TLB that is off (allowed: 0 … 0)',
      ],
    ];
    for (const [change, message] of messages) {
      const b = board();
      change(b);
      expect(rejection(b).message).toBe(`EINVAL: ${message}`);
    }
  });

  it('a refusal the schema did not catch is still reported at the board path', () => {
    const raw = msm8x60Board();
    const parsed = validateBoard(raw);
    const smmus = parsed.smmus.map((s, i) => (i === 1 ? { ...s, caches: { timing: { maxWalks: 0 } } } : s));
    let caught: unknown;
    try {
      checkBoardRules({ ...parsed, smmus }, raw);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(VcmError);
    expect((caught as VcmError).details).toMatchObject({ path: 'board.smmus[1].caches.timing.maxWalks', value: 0 });
  });
});
