/**
 * `resolveCacheConfig`, the one place the cache precedence is written
 * (docs/hardware.md#translation-caches): model, then `tlb`, then `caches`,
 * field by field; what `new Smmu` builds.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VcmError } from '@vcm/core';
import { testSmmu } from '../test-smmu.js';
import { CACHE_POLICIES, SMMU_MODELS, SMMU_MODEL_NAMES } from './config.js';
import { resolveCacheConfig } from './resolve.js';
import type { CacheConfigInput } from './resolve.js';

function refusal(run: () => unknown): VcmError {
  try {
    run();
  } catch (e) {
    if (e instanceof VcmError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('resolveCacheConfig', () => {
  it('nothing given: the msm8x60 model, a 32-entry LRU main TLB and nothing else, untimed', () => {
    expect(resolveCacheConfig({})).toEqual(SMMU_MODELS.msm8x60);
    expect(resolveCacheConfig()).toEqual(SMMU_MODELS.msm8x60);
  });

  it('model, then tlb, then caches: the most specific wins, field by field', () => {
    const c = resolveCacheConfig({ model: 'mmu-600', tlb: { entries: 64, policy: 'fifo' }, caches: { mainTlb: { policy: 'random', seed: 7 }, timing: { clockMHz: 1000 } } });
    expect(c.mainTlb).toEqual({ enabled: true, entries: 64, ways: 4, policy: 'random', seed: 7 });
    expect(c.timing).toEqual({ ...SMMU_MODELS['mmu-600'].timing, clockMHz: 1000 });
    expect(c.walkCache).toEqual(SMMU_MODELS['mmu-600'].walkCache);
    // caches.mainTlb.entries beats tlb.entries.
    expect(resolveCacheConfig({ tlb: { entries: 64 }, caches: { mainTlb: { entries: 16 } } }).mainTlb.entries).toBe(16);
  });

  it('is what new Smmu builds and smmu.cacheConfig reports', () => {
    const policy = fc.constantFrom(...CACHE_POLICIES);
    const input = fc.record(
      {
        model: fc.constantFrom(...SMMU_MODEL_NAMES),
        tlb: fc.record({ entries: fc.constantFrom(16, 32, 64, 256), policy }, { requiredKeys: [] }),
        caches: fc.record(
          {
            microTlb: fc.record({ enabled: fc.boolean(), entries: fc.constantFrom(8, 16), policy }, { requiredKeys: [] }),
            walkCache: fc.record({ enabled: fc.boolean(), ways: fc.constantFrom(0, 2, 4) }, { requiredKeys: [] }),
            prefetch: fc.boolean(),
            timing: fc.record({ clockMHz: fc.nat(2000), maxWalks: fc.integer({ min: 1, max: 8 }) }, { requiredKeys: [] }),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(input, (i) => {
        let built: unknown;
        try {
          built = testSmmu(i).smmu.cacheConfig;
        } catch (e) {
          // The same refusal, field for field.
          expect(refusal(() => resolveCacheConfig(i)).details['param']).toBe((e as VcmError).details['param']);
          return;
        }
        expect(resolveCacheConfig(i)).toEqual(built);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses bad input with EINVAL naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [null, 'options'],
      [[], 'options'],
      [{ modle: 'mmu-600' }, 'options.modle'],
      [{ model: 'mmu-700' }, 'model'],
      [{ tlb: { entries: 0 } }, 'tlb.entries'],
      [{ tlb: { entries: 32.5 } }, 'tlb.entries'],
      [{ tlb: 'big' }, 'tlb'],
      [{ caches: { mainTlb: { ways: 3 } } }, 'caches.mainTlb.ways'],
      [{ caches: { timing: { clockMHz: Number.NaN } } }, 'caches.timing.clockMHz'],
      [{ caches: { timing: { maxWalks: 0 } } }, 'caches.timing.maxWalks'],
      [{ caches: { lockdownEntries: -1 } }, 'caches.lockdownEntries'],
    ];
    for (const [input, param] of cases) {
      const e = refusal(() => resolveCacheConfig(input as CacheConfigInput));
      expect([e.code, e.details['param']], param).toEqual(['EINVAL', param]);
    }
    expect(refusal(() => resolveCacheConfig({}, 7 as unknown as string)).details['param']).toBe('where');
    // Options bags are checked as every bag is (checkOptions of @vcm/core): the bag, what was given, the keys it knows.
    expect(refusal(() => resolveCacheConfig({ caches: { walkCache: [] } } as unknown as CacheConfigInput)).message).toBe(
      'EINVAL: resolveCacheConfig: caches.walkCache must be a plain object { enabled?, entries?, ways?, policy?, seed? }, got an array',
    );
    expect(refusal(() => resolveCacheConfig({ caches: { mainTlb: { entires: 4 } } } as unknown as CacheConfigInput)).message).toBe(
      'EINVAL: resolveCacheConfig: caches.mainTlb.entires is not an option (known: enabled, entries, ways, policy, seed)',
    );
  });

  it('a cache it cannot build says what is wrong and which field each number came from', () => {
    // mmu-600's 4-way main TLB with 48 entries from tlb: 12 sets.
    expect(refusal(() => resolveCacheConfig({ model: 'mmu-600', tlb: { entries: 48 } }, 'board')).details).toEqual({
      param: 'caches.mainTlb.ways',
      value: 4,
      expected: '0, or a divisor of 48 giving a power-of-two set count',
      problem: 'sets',
      entries: 48,
      ways: 4,
      entriesFrom: 'tlb.entries',
      waysFrom: 'model',
      model: 'mmu-600',
    });
    expect(refusal(() => resolveCacheConfig({ caches: { microTlb: { enabled: true } } })).details).toMatchObject({
      param: 'caches.microTlb.entries',
      problem: 'no-entries',
      entriesFrom: 'model',
      model: 'msm8x60',
    });
    expect(refusal(() => resolveCacheConfig({ tlb: { entries: 64 }, caches: { mainTlb: { entries: 48, ways: 32 } } })).details).toMatchObject({
      problem: 'sets',
      entriesFrom: 'caches.mainTlb.entries',
      waysFrom: 'caches.mainTlb.ways',
    });
    expect(refusal(() => resolveCacheConfig({ caches: { mainTlb: { enabled: false }, lockdownEntries: 4 } })).details).toMatchObject({
      param: 'caches.lockdownEntries',
      problem: 'lockdown',
      mainTlbEnabled: false,
    });
    expect(refusal(() => resolveCacheConfig({ caches: { lockdownEntries: 32 } })).details).toMatchObject({ problem: 'lockdown', mainTlbEnabled: true, mainTlbEntries: 32 });
  });
});
