/**
 * One cache precedence (docs/hardware.md#translation-caches): a board's SMMU
 * `model`, `tlb` and `caches` are refused by `validateBoard` exactly when
 * `new Smmu` refuses them, at the field the SMMU names, and the clock the
 * scenario rules read from the board is the built SMMU's
 * `cacheConfig.timing.clockMHz`.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VcmError } from '@vcm/core';
import { TLB_POLICIES, buildPlatform, msm8x60Board, validateBoard } from '@vcm/devtree';
import { CACHE_POLICIES, SMMU_MODEL_NAMES, Smmu, armV7Short, resolveCacheConfig } from '@vcm/smmu';
import type { CacheOverrides } from '@vcm/smmu';
import { smmuClockMHz } from './timing.js';

/** Mostly values a board may hold, with the edges either side of each range. */
const count = fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 8, 12, 16, 32, 48, 64, 256, 2048), fc.constantFrom(65536, 65537, -1, 1.5));
const cycles = fc.oneof(fc.nat(2000), fc.constantFrom(2 ** 20, 2 ** 20 + 1, -1));
const geometry = fc.record(
  { enabled: fc.boolean(), entries: count, ways: count, policy: fc.constantFrom(...CACHE_POLICIES, 'mru'), seed: fc.constantFrom(0, 7, 2 ** 32) },
  { requiredKeys: [] },
);
const smmuFields = fc.record(
  {
    model: fc.constantFrom(...SMMU_MODEL_NAMES, 'mmu-700'),
    // The board's tlb names entries and one of its policies (round-robin, ways and seed are caches.mainTlb's in a board).
    tlb: fc.record({ entries: count, policy: fc.constantFrom(...TLB_POLICIES) }),
    caches: fc.record(
      {
        microTlb: geometry,
        mainTlb: geometry,
        walkCache: geometry,
        prefetch: fc.boolean(),
        lockdownEntries: count,
        timing: fc.record({ clockMHz: cycles, mainTlbHit: cycles, maxWalks: cycles }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

function outcome(run: () => unknown): VcmError | 'accepted' {
  try {
    run();
    return 'accepted';
  } catch (e) {
    if (e instanceof VcmError) return e;
    throw e;
  }
}

describe('a board SMMU, new Smmu and the scenario clock resolve the caches one way', () => {
  // Memory and a table allocator for SMMUs built beside the board.
  const { memory, allocator } = buildPlatform(msm8x60Board());

  it('the board is refused exactly when new Smmu refuses its fields, and the clock is the built SMMU\'s', () => {
    let refused = 0;
    let accepted = 0;
    fc.assert(
      fc.property(smmuFields, (fields) => {
        const raw = msm8x60Board();
        const { tlb: _tlb, model: _model, caches: _caches, ...rest } = raw.smmus[0]!;
        const description = { ...raw, smmus: [{ ...rest, ...fields }, ...raw.smmus.slice(1)] };
        let board: ReturnType<typeof validateBoard> | undefined;
        const boardOutcome = outcome(() => (board = validateBoard(description)));
        let smmu: Smmu | undefined;
        const smmuOutcome = outcome(
          () => (smmu = new Smmu({ name: 'probe', base: 0x1000, irq: 0, format: armV7Short, memory, tableAllocator: allocator, ...(fields as { caches?: CacheOverrides }) })),
        );
        if (smmuOutcome === 'accepted') {
          expect(boardOutcome).toBe('accepted');
          accepted++;
          const spec = board!.smmus[0]!;
          // The board's SMMU (tlb filled in from the model when absent) resolves to what the SMMU was built with …
          expect(resolveCacheConfig({ model: spec.model, tlb: spec.tlb, caches: spec.caches as CacheOverrides | undefined })).toEqual(smmu!.cacheConfig);
          // … and the scenario's clock is its clock.
          expect(smmuClockMHz(spec)).toBe(smmu!.cacheConfig.timing.clockMHz);
          return;
        }
        refused++;
        expect(boardOutcome).toBeInstanceOf(VcmError);
        const b = boardOutcome as VcmError;
        expect(b.code).toBe('EINVAL');
        // The board names the field the SMMU named, or the field the refused number came from.
        const named = [smmuOutcome.details['param'], smmuOutcome.details['entriesFrom']].map((f) => `board.smmus[0].${String(f)}`);
        expect(named, b.message).toContain(b.details['path']);
      }),
      // About 7 % of draws are accepted (24–35 of 400 in five runs, once 16): 800 runs keep the bound below far out of reach of chance.
      { numRuns: 800 },
    );
    // Both sides of the property were exercised.
    expect(Math.min(refused, accepted)).toBeGreaterThan(20);
  });
});
