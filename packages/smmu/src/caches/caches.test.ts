import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SZ_16M, SZ_1M, SZ_2M, SZ_4K, SZ_64K, VCM_READ, VCM_WRITE } from '@vcm/core';
import { codeOf } from '@vcm/test-kit';
import { armLpae4k } from '../formats/index.js';
import { protOfAttr } from '../prot.js';
import { testSmmu } from '../test-smmu.js';
import type { SmmuContext } from '../context.js';
import type { Smmu, SmmuOptions } from '../smmu.js';
import type { CacheOverrides } from './config.js';

const RW = VCM_READ | VCM_WRITE;

function active(options: Partial<SmmuOptions> = {}): { smmu: Smmu; ctx: SmmuContext } {
  const { smmu } = testSmmu(options);
  const ctx = smmu.createContext(0);
  ctx.bind(smmu);
  ctx.activate();
  return { smmu, ctx };
}

/** A 2048-entry 4-way main TLB and nothing in front of it: what the page-size tests measure. */
const MAIN_ONLY: CacheOverrides = { microTlb: { enabled: false }, walkCache: { enabled: false }, prefetch: false };

/** Translate every 4 KiB page of [va, va + len): the main TLB's misses and hits. */
function everyPage(smmu: Smmu, ctx: SmmuContext, va: number, len: number): { misses: number; hits: number } {
  smmu.resetCaches();
  for (let a = va; a < va + len; a += SZ_4K) ctx.translate(a + 0x10);
  const s = smmu.tlb.stats();
  return { misses: s.misses, hits: s.hits };
}

describe('a block entry hits for every 4 KiB page inside it in a 4-way set-associative TLB (docs/hardware.md#translation-caches)', () => {
  for (const [size, label] of [
    [SZ_64K, '64 KiB large page'],
    [SZ_1M, '1 MiB section'],
    [SZ_16M, '16 MiB supersection'],
  ] as const) {
    it(`short format, ${label}: 1 miss, then ${size / SZ_4K - 1} hits`, () => {
      const { smmu, ctx } = active({ model: 'mmu-600', caches: MAIN_ONLY });
      expect(smmu.tlb.stats()).toMatchObject({ capacity: 2048, ways: 4, sets: 512 });
      ctx.map(0x4000_0000, 0x1000_0000, size, RW);
      expect(everyPage(smmu, ctx, 0x1000_0000, size)).toEqual({ misses: 1, hits: size / SZ_4K - 1 });
    });
  }

  it('LPAE, 2 MiB block: 1 miss, then 511 hits', () => {
    const { smmu, ctx } = active({ model: 'mmu-600', caches: MAIN_ONLY, format: armLpae4k });
    ctx.map(0x4000_0000, 0x1000_0000, SZ_2M, RW);
    expect(everyPage(smmu, ctx, 0x1000_0000, SZ_2M)).toEqual({ misses: 1, hits: 511 });
  });

  it('LPAE contiguous hint: a 64 KiB run of pages and a 32 MiB run of blocks are one entry each', () => {
    const { smmu, ctx } = active({ model: 'mmu-600', caches: MAIN_ONLY, format: armLpae4k });
    ctx.map(0x4000_0000, 0x0100_0000, SZ_4K, RW); // makes the context's own table
    const table = ctx.ttbr0Table!;
    table.mapRange(0x1000_0000, 0x4010_0000, SZ_64K, protOfAttr(RW));
    table.mapRange(0x2000_0000, 0x4200_0000, 32 * SZ_1M, protOfAttr(RW));
    expect(ctx.walk(0x1000_0000).leaf?.size).toBe(SZ_64K);
    expect(ctx.walk(0x2000_0000).leaf?.size).toBe(32 * SZ_1M);
    expect(everyPage(smmu, ctx, 0x1000_0000, SZ_64K)).toEqual({ misses: 1, hits: 15 });
    expect(everyPage(smmu, ctx, 0x2000_0000, 32 * SZ_1M)).toEqual({ misses: 1, hits: 32 * 256 - 1 });
  });

  it('the same holds through the micro-TLB in front and with round-robin replacement', () => {
    const { smmu, ctx } = active({ model: 'mmu-600', caches: { mainTlb: { policy: 'round-robin' } } });
    ctx.map(0x4000_0000, 0x1000_0000, SZ_1M, RW);
    smmu.resetCaches();
    const r = ctx.dma.stream(0x1000_0000, SZ_1M, { burst: SZ_4K });
    expect(r).toMatchObject({ accesses: 256, misses: 1, hits: 255, walks: 1 });
    expect(r.microTlb).toEqual({ lookups: 256, hits: 255, misses: 1 });
    expect(r.mainTlb).toEqual({ lookups: 1, hits: 0, misses: 1 });
  });
});

describe('the hierarchy', () => {
  it('msm8x60 is today\'s SMMU: one 32-entry fully associative LRU TLB, nothing else, untimed', () => {
    const { smmu, ctx } = active();
    expect(smmu.model).toBe('msm8x60');
    expect(smmu.tlb.stats()).toMatchObject({ capacity: 32, ways: 32, sets: 1, policy: 'lru' });
    for (let i = 0; i < 16; i++) ctx.map(0x4000_0000 + i * SZ_4K, i * SZ_4K, SZ_4K, RW);
    const r = ctx.dma.stream(0, SZ_64K, { burst: 256 });
    expect(r).toMatchObject({ accesses: 256, hits: 240, misses: 16, walks: 16, cycles: 0, stallCycles: 0, microTlb: null, walkCache: null, prefetches: 0, walkMemoryAccesses: 32 });
    expect(r.translationCycles).toEqual([{ min: 0, max: 0, count: 256 }]);
    expect(smmu.toJSON().caches.microTlbs).toEqual([]);
  });

  it('the walk cache lets a walk start at level 2: one descriptor read per 4 KiB miss instead of two', () => {
    const { smmu, ctx } = active({ model: 'mmu-600', caches: { prefetch: false } });
    for (let i = 0; i < 64; i++) ctx.map(0x4000_0000 + i * SZ_4K, i * SZ_4K, SZ_4K, RW);
    smmu.resetCaches();
    const r = ctx.dma.stream(0, 64 * SZ_4K, { burst: SZ_4K });
    expect(r.misses).toBe(64);
    // The first walk reads both levels; the 63 after it start from the cached level-1 table descriptor.
    expect(r.walkMemoryAccesses).toBe(2 + 63);
    expect(r.walkCache).toEqual({ lookups: 64, hits: 63, misses: 1 });
    const off = active({ model: 'mmu-600', caches: { prefetch: false, walkCache: { enabled: false } } });
    for (let i = 0; i < 64; i++) off.ctx.map(0x4000_0000 + i * SZ_4K, i * SZ_4K, SZ_4K, RW);
    expect(off.ctx.dma.stream(0, 64 * SZ_4K, { burst: SZ_4K }).walkMemoryAccesses).toBe(128);
  });

  it('LPAE: the walk cache holds level-1 and level-2 table descriptors; the deepest is probed first', () => {
    const { smmu, ctx } = active({ model: 'mmu-600', format: armLpae4k, caches: { prefetch: false } });
    ctx.map(0x4000_0000, 0x1000_0000, SZ_4K, RW);
    ctx.map(0x4000_1000, 0x1000_1000, SZ_4K, RW);
    ctx.map(0x4020_0000, 0x1020_0000, SZ_4K, RW);
    smmu.resetCaches();
    expect(ctx.dma.stream(0x1000_0000, 64, {}).walkMemoryAccesses).toBe(3);
    // Same 2 MiB: from the level-2 table descriptor, level 3 only.
    expect(ctx.dma.stream(0x1000_1000, 64, {}).walkMemoryAccesses).toBe(1);
    // Another 2 MiB of the same 1 GiB: from the level-1 table descriptor, levels 2 and 3.
    expect(ctx.dma.stream(0x1020_0000, 64, {}).walkMemoryAccesses).toBe(2);
    const spans = smmu.toJSON().caches.walkCache!.entries.map((e) => [e.size, e.nextLevel]);
    expect(spans).toEqual(expect.arrayContaining([[2 ** 30, 2], [SZ_2M, 3]]));
  });

  it('LPAE: after a walk that used a level-1 entry and found a block, the next walk under a cached level-2 table still starts at level 3', () => {
    const { smmu, ctx } = active({ model: 'mmu-600', format: armLpae4k, caches: { prefetch: false } });
    ctx.map(0x4000_0000, 0x1000_0000, SZ_4K, RW);
    ctx.map(0x4000_2000, 0x1000_2000, SZ_4K, RW);
    ctx.map(0x4060_0000, 0x1040_0000, SZ_2M, RW);
    smmu.resetCaches();
    expect(ctx.dma.stream(0x1000_0000, 64, {}).walkMemoryAccesses).toBe(3);
    // The 2 MiB block: the level-1 entry's hit, then one read (a block at level 2 adds no walk-cache entry).
    expect(ctx.dma.stream(0x1040_0000, 64, {}).walkMemoryAccesses).toBe(1);
    // Under the first level-2 table again: the deepest entry (2 MiB span) is found first, one read.
    const s = ctx.dma.stream(0x1000_2000, 64, {});
    expect({ reads: s.walkMemoryAccesses, walkCache: s.walkCache }).toEqual({ reads: 1, walkCache: { lookups: 1, hits: 1, misses: 0 } });
  });

  it('prefetch walks the next 4 KiB page into the main TLB: counted as a prefetch, not as a miss', () => {
    const { smmu, ctx } = active({ model: 'mmu-600', caches: { walkCache: { enabled: false } } });
    for (let i = 0; i < 16; i++) ctx.map(0x4000_0000 + i * SZ_4K, i * SZ_4K, SZ_4K, RW);
    smmu.resetCaches();
    const r = ctx.dma.stream(0, 16 * SZ_4K, { burst: SZ_4K });
    // Misses on pages 0, 2, 4 …: each walk prefetched the page after it (the last prefetch finds nothing mapped).
    expect(r).toMatchObject({ misses: 8, walks: 8, prefetches: 8, hits: 8 });
    expect(r.walkMemoryAccesses).toBe(8 * 2 + 8 * 2);
    expect(smmu.events()).toMatchObject({ tlb_miss: 8, transaction: 16, trans_table_walk_access: 32 });
  });

  it('timing: a miss costs its lookups and descriptor reads; a hit is hidden behind the previous data beat', () => {
    const timing = { clockMHz: 1000, microTlbHit: 1, mainTlbHit: 3, walkCacheHit: 0, memoryAccess: 100, maxWalks: 1, busBytesPerCycle: 16 };
    const { smmu, ctx } = active({ model: 'mmu-600', caches: { walkCache: { enabled: false }, prefetch: false, timing } });
    ctx.map(0x4000_0000, 0, SZ_4K, RW);
    smmu.resetCaches();
    const r = ctx.dma.stream(0, 128, { burst: 64 });
    // Access 0: micro miss (1) + main miss (3) + two reads (200) = 204 cycles, then 4 data cycles.
    // Access 1: translated from 204 (when access 0's data starts) in 1 cycle, data at 208 after access 0's: 212.
    expect(r).toMatchObject({ accesses: 2, cycles: 212, stallCycles: 204, seconds: 212e-9 });
    expect(r.translationCycles).toEqual([
      { min: 1, max: 1, count: 1 },
      { min: 128, max: 255, count: 1 },
    ]);
    expect(r.achievedBytesPerSecond).toBeCloseTo(128 / 212e-9);
    expect(ctx.events()).toMatchObject({ cycles: 212, transaction: 2, tlb_miss: 1, trans_table_walk_access: 2, config_cache_miss: 0, config_struct_access: 0 });
  });

  it('a paced stream asks for a bandwidth and reports what it achieved', () => {
    const { ctx } = active({ model: 'mmu-600' });
    ctx.map(0x4000_0000, 0, SZ_1M, RW);
    const r = ctx.dma.stream(0, SZ_1M, { burst: 256, bytesPerSecond: 1e9 });
    expect(r.requestedBytesPerSecond).toBe(1e9);
    expect(r.achievedBytesPerSecond!).toBeLessThanOrEqual(1e9 * 1.001);
    expect(r.achievedBytesPerSecond!).toBeGreaterThan(0.99e9);
  });

  it('the observer sees every descriptor read and every data access, with physical addresses', () => {
    const { ctx } = active({ model: 'mmu-600', caches: { prefetch: false, walkCache: { enabled: false } } });
    ctx.map(0x4000_0000, 0, SZ_4K, RW);
    const seen: Array<[number, number, boolean, boolean]> = [];
    ctx.dma.stream(0x0f80, 128, { burst: 64, access: 'write', onAccess: (pa, bytes, write, walk) => seen.push([pa, bytes, write, walk]) });
    const steps = ctx.walk(0x0f80).steps;
    expect(seen).toEqual([
      [steps[0]!.entryPa, 4, false, true],
      [steps[1]!.entryPa, 4, false, true],
      [0x4000_0f80, 64, true, false],
      [0x4000_0fc0, 64, true, false],
    ]);
  });

  it('read and write go through the same caches and count cycles', () => {
    const { smmu, ctx } = active({ model: 'mmu-500' });
    ctx.map(0x4000_0000, 0, SZ_4K, RW);
    ctx.dma.write(0, new Uint8Array(64).fill(7));
    expect([...ctx.dma.read(0, 4)]).toEqual([7, 7, 7, 7]);
    const micro = smmu.toJSON().caches.microTlbs[0]!.stats;
    expect(micro).toMatchObject({ lookups: 2, hits: 1, misses: 1 });
    expect(smmu.events().cycles).toBeGreaterThan(100);
    expect(smmu.events().transaction).toBe(2);
  });

  it('at each cache, hits + misses = lookups, whatever the traffic', () => {
    fc.assert(
      // fast-check draws lengths from `size`, not `maxLength`: 'max' streams up to 40 times over 64 pages, past every cache's capacity.
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 8 })), { minLength: 1, maxLength: 40, size: 'max' }), (ops) => {
        const { smmu, ctx } = active({ model: 'mmu-600', caches: { microTlb: { entries: 4 }, mainTlb: { entries: 16, ways: 4 }, walkCache: { entries: 4, ways: 2 } } });
        for (let i = 0; i < 64; i++) ctx.map(0x4000_0000 + i * SZ_4K, i * 2 * SZ_4K, SZ_4K, RW);
        for (const [page, n] of ops) ctx.dma.stream(page * 2 * SZ_4K, n * 512, { burst: 512 });
        const c = smmu.toJSON().caches;
        for (const s of [smmu.tlb.stats(), c.microTlbs[0]!.stats, c.walkCache!.stats]) expect(s.hits + s.misses).toBe(s.lookups);
      }),
      { numRuns: 40 },
    );
  });
});

describe('lockdown', () => {
  it('a locked entry is never evicted, and invalidation still removes it (docs/hardware.md#translation-caches)', () => {
    const { smmu, ctx } = active({ tlb: { entries: 4 }, caches: { lockdownEntries: 2 } });
    for (let i = 0; i < 16; i++) ctx.map(0x4000_0000 + i * SZ_4K, i * SZ_4K, SZ_4K, RW);
    ctx.lockTlb(0);
    ctx.dma.stream(SZ_4K, 15 * SZ_4K, { burst: SZ_4K });
    expect(smmu.tlb.entries().filter((e) => e.locked)).toEqual([expect.objectContaining({ va: 0, size: SZ_4K, locked: true })]);
    smmu.tlb.resetStats();
    ctx.translate(0x10);
    expect(smmu.tlb.stats()).toMatchObject({ hits: 1, misses: 0, locked: 1 });
    ctx.unmap(0, SZ_4K);
    expect(smmu.tlb.stats().locked).toBe(0);
    expect(codeOf(() => ctx.translate(0x10))).toBe('EFAULT');
  });

  it('at most lockdownEntries per context, and none on an SMMU without lockdown', () => {
    const { ctx } = active({ caches: { lockdownEntries: 1 } });
    ctx.map(0x4000_0000, 0, SZ_4K, RW);
    ctx.map(0x4000_1000, SZ_4K, SZ_4K, RW);
    ctx.lockTlb(0);
    ctx.lockTlb(0x20); // the same entry: already locked
    expect(codeOf(() => ctx.lockTlb(SZ_4K))).toBe('EBUSY');
    expect(ctx.unlockTlb()).toBe(1);
    ctx.lockTlb(SZ_4K);
    const plain = active();
    plain.ctx.map(0x4000_0000, 0, SZ_4K, RW);
    expect(codeOf(() => plain.ctx.lockTlb(0))).toBe('EINVAL');
  });
});

describe('configuration', () => {
  it('new Smmu refuses a bad model or cache field with EINVAL naming the field', () => {
    const cases: Array<[Partial<SmmuOptions>, string]> = [
      [{ model: 'mmu-700' as never }, 'model'],
      [{ caches: { mainTlb: { ways: 3 } } }, 'caches.mainTlb.ways'],
      [{ model: 'mmu-600', caches: { mainTlb: { entries: 48 } } }, 'caches.mainTlb.ways'],
      [{ caches: { microTlb: { enabled: true, entries: 0 } } }, 'caches.microTlb.entries'],
      [{ caches: { walkCache: { policy: 'mru' as never } } }, 'caches.walkCache.policy'],
      [{ caches: { timing: { memoryAccess: -1 } } }, 'caches.timing.memoryAccess'],
      [{ caches: { timing: { maxWalks: 0 } } }, 'caches.timing.maxWalks'],
      [{ caches: { timing: { clockMHz: 0.5 } } }, 'caches.timing.clockMHz'],
      [{ caches: { prefetch: 'yes' as never } }, 'caches.prefetch'],
      [{ caches: { lockdownEntries: 32 } }, 'caches.lockdownEntries'],
      [{ caches: { tlb: {} } as never }, 'caches.tlb'],
      [{ caches: [] as never }, 'caches'],
      [{ caches: { mainTlb: { enabled: 1 } } as never }, 'caches.mainTlb.enabled'],
    ];
    for (const [options, param] of cases) {
      let err: unknown;
      try {
        testSmmu(options);
      } catch (e) {
        err = e;
      }
      expect(codeOf(() => {
        throw err;
      }), param).toBe('EINVAL');
      expect((err as { details: { param: string } }).details.param, param).toBe(param);
    }
  });

  it('tlb sets the main TLB over the model, caches over both', () => {
    expect(testSmmu({ model: 'mmu-600', tlb: { entries: 64 } }).smmu.tlb.stats()).toMatchObject({ capacity: 64, ways: 4, sets: 16 });
    expect(testSmmu({ model: 'mmu-600', tlb: { entries: 64 }, caches: { mainTlb: { entries: 128, ways: 0 } } }).smmu.tlb.stats()).toMatchObject({ capacity: 128, ways: 128 });
    expect(testSmmu({ tlb: { entries: 8, policy: 'fifo' } }).smmu.tlb.stats()).toMatchObject({ capacity: 8, ways: 8, policy: 'fifo' });
  });

  it('bad stream options are refused and change nothing', () => {
    const { smmu, ctx } = active({ model: 'mmu-600' });
    ctx.map(0x4000_0000, 0, SZ_4K, RW);
    const before = JSON.stringify(smmu.toJSON());
    for (const options of [{ bytesPerSecond: 0 }, { bytesPerSecond: -1 }, { bytesPerSecond: 1.5 }, { onAccess: 5 }, { burst: 0 }, { bursts: 64 }, { access: 'execute' }]) {
      expect(codeOf(() => ctx.dma.stream(0, SZ_4K, options as never)), JSON.stringify(options)).toBe('EINVAL');
    }
    const untimed = active();
    untimed.ctx.map(0x4000_0000, 0, SZ_4K, RW);
    expect(codeOf(() => untimed.ctx.dma.stream(0, SZ_4K, { bytesPerSecond: 1e9 }))).toBe('EINVAL');
    expect(JSON.stringify(smmu.toJSON())).toBe(before);
  });

  it('smmu.invalidateRange/Context refuse a bank or context id the SMMU does not have', () => {
    const { smmu } = active();
    const before = JSON.stringify(smmu.toJSON());
    expect(codeOf(() => smmu.invalidateRange(2, 0, 0, SZ_4K))).toBe('EINVAL');
    expect(codeOf(() => smmu.invalidateRange(0, 256, 0, SZ_4K))).toBe('EINVAL');
    expect(codeOf(() => smmu.invalidateRange(0, 0, 0xffff_f000, 2 * SZ_4K))).toBe('EINVAL');
    expect(codeOf(() => smmu.invalidateRange(0, 0, 0, 0))).toBe('EINVAL');
    expect(codeOf(() => smmu.invalidateContext(0, -1))).toBe('EINVAL');
    expect(JSON.stringify(smmu.toJSON())).toBe(before);
  });
});
