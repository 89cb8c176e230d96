/**
 * The needs check: what each walk-through declares it needs, against boards
 * that have it and boards that lack it, and the exact-allocation plan
 * against the real allocator.
 */
import { SZ_16M, SZ_1M, SZ_4K, SZ_64K, VCM_ALL, VCM_MEMTYPE_0, VCM_MEMTYPE_1, isVcmError } from '@vcm/core';
import { buildPlatform, msm8x60Board, seedExampleBoard, validateBoard } from '@vcm/devtree';
import type { Board, BoardDescription } from '@vcm/devtree';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkNeeds, memtypeLabel } from './needs.js';
import type { Needs } from './needs.js';
import { WALKTHROUGHS } from './walkthroughs/index.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

function described(change: (b: Mutable<BoardDescription>) => void): BoardDescription {
  const b = structuredClone(msm8x60Board()) as Mutable<BoardDescription>;
  change(b);
  return b;
}

function variant(change: (b: Mutable<BoardDescription>) => void): Board {
  return validateBoard(described(change));
}

function reasons(board: Board, id: string): readonly string[] {
  const w = WALKTHROUGHS.find((x) => x.id === id)!;
  const c = checkNeeds(board, w.needs);
  return c.ok ? [] : c.reasons;
}

describe('the walk-throughs on the boards the project ships', () => {
  it('msm8x60 meets every need, with the seed\'s own contexts in every role', () => {
    const board = validateBoard(msm8x60Board());
    for (const w of WALKTHROUGHS) expect(reasons(board, w.id)).toEqual([]);
    const video = checkNeeds(board, WALKTHROUGHS.find((w) => w.id === 'video-playback')!.needs);
    expect(video.ok && video.contexts.decoder?.context).toBe('vcodec_a_mm1');
    expect(video.ok && video.contexts.display?.context).toBe('mdp0_port0');
  });

  it('the seed\'s example tree runs all but three-way and migration (no direct-mapped device), ctx0 standing in for the decoder and ctx3 (another SMMU) for the display', () => {
    const board = validateBoard(seedExampleBoard());
    const oneToOne = ['three-way', 'migration'];
    for (const w of WALKTHROUGHS) expect(reasons(board, w.id)).toEqual(oneToOne.includes(w.id) ? ['this board has no direct-mapped device (directDevices) for the one-to-one VCM'] : []);
    const video = checkNeeds(board, WALKTHROUGHS.find((w) => w.id === 'video-playback')!.needs);
    expect(video.ok && [video.contexts.decoder?.context, video.contexts.display?.context]).toEqual(['ctx0', 'ctx3']);
  });
});

describe('a board that lacks something names it', () => {
  it('no 4 KiB pool in VCM_MEMTYPE_0: walkthrough and smmu say so; memory, three-way, video-playback and userspace still run', () => {
    const board = variant((b) => {
      b.memory.memtypes[0]!.pools = b.memory.memtypes[0]!.pools.filter((p) => p !== 'smi-4k');
    });
    expect(reasons(board, 'walkthrough')).toEqual(['this board has no 4 KiB pool in VCM_MEMTYPE_0']);
    expect(reasons(board, 'smmu')).toEqual(['this board has no 4 KiB pool in VCM_MEMTYPE_0']);
    for (const id of ['memory', 'three-way', 'video-playback', 'userspace']) expect(reasons(board, id)).toEqual([]);
  });

  it('no SMMU: every context role and the smmu walk-through say what is missing, once each', () => {
    const board = variant((b) => {
      b.smmus = [];
    });
    expect(reasons(board, 'video-playback')).toEqual(['no context named vcodec_a_mm1, nor any other context to stand in for the video decoder']);
    expect(reasons(board, 'userspace')).toEqual(['no context named vcodec_a_stream, nor any other context to stand in for it']);
    expect(reasons(board, 'smmu')).toEqual(['this board has no SMMU']);
    expect(reasons(board, 'memory')).toEqual([]);
  });

  it('one SMMU: no display engine on another SMMU for video-playback', () => {
    const board = variant((b) => {
      b.smmus = b.smmus.slice(0, 1);
    });
    expect(reasons(board, 'video-playback')).toEqual(["no context named mdp0_port0, nor a context on an SMMU other than the decoder's to stand in for the display engine"]);
    expect(reasons(board, 'walkthrough')).toEqual([]);
  });

  it('no direct-mapped device: three-way has no DMA engine for its one-to-one VCM', () => {
    const board = variant((b) => {
      delete (b as { directDevices?: unknown }).directDevices;
    });
    expect(reasons(board, 'three-way')).toEqual(['this board has no direct-mapped device (directDevices) for the one-to-one VCM']);
  });

  it('a missing memtype, a missing or small contiguous pool', () => {
    const board = variant((b) => {
      b.memory.memtypes = b.memory.memtypes.filter((m) => m.id !== VCM_MEMTYPE_1);
    });
    expect(checkNeeds(board, { memtypes: [{ memtype: VCM_MEMTYPE_1 }] })).toEqual({ ok: false, reasons: ['this board has no memtype VCM_MEMTYPE_1 (id 2)'] });
    const msm = validateBoard(msm8x60Board());
    expect(checkNeeds(msm, { memtypes: [{ memtype: VCM_MEMTYPE_0, contiguousBytes: 9 * SZ_1M }] })).toEqual({
      ok: false,
      reasons: ["VCM_MEMTYPE_0's contiguous pool is 8 MiB, less than the 9 MiB needed"],
    });
    const noCont = variant((b) => {
      delete (b.memory.memtypes[0] as { contiguous?: string }).contiguous;
    });
    expect(checkNeeds(noCont, { memtypes: [{ memtype: VCM_MEMTYPE_0, contiguousBytes: SZ_4K }] })).toEqual({ ok: false, reasons: ['this board has no contiguous pool in VCM_MEMTYPE_0'] });
  });

  it('labels a memtype by its constant, and by the board\'s name when that differs', () => {
    const board = variant((b) => {
      b.memory.memtypes[0]!.name = 'smi';
    });
    expect(memtypeLabel(VCM_MEMTYPE_0, board)).toBe('VCM_MEMTYPE_0 ("smi")');
    expect(memtypeLabel(VCM_MEMTYPE_1, board)).toBe('VCM_MEMTYPE_1');
  });
});

describe('allocations are planned exactly, pool by pool', () => {
  const msm = validateBoard(msm8x60Board());

  it('a remainder only a smaller block could fill is a shortfall, not a rounding-up', () => {
    const noSmall = variant((b) => {
      b.memory.memtypes[0]!.pools = ['smi-16m', 'smi-1m', 'smi-64k'];
    });
    const needs: Needs = { memtypes: [{ memtype: VCM_MEMTYPE_0, allocations: [{ bytes: 2 * SZ_1M + 2 * SZ_64K + 4 * SZ_4K }] }] };
    expect(checkNeeds(noSmall, needs)).toEqual({
      ok: false,
      reasons: ['VCM_MEMTYPE_0 cannot make exactly 2192 KiB: 16 KiB are left that only a smaller block could fill (its block sizes: 16 MiB, 1 MiB, 64 KiB)'],
    });
    expect(checkNeeds(msm, needs).ok).toBe(true);
  });

  it('allocations add up: two 16 MiB frames need two 16 MiB blocks, or smaller blocks to carry down to', () => {
    const one16M = { memtypes: [{ memtype: VCM_MEMTYPE_0, allocations: [{ bytes: SZ_16M, blockSizes: [SZ_16M] }] }] };
    const two16M = { memtypes: [{ memtype: VCM_MEMTYPE_0, allocations: [{ bytes: SZ_16M, blockSizes: [SZ_16M] }, { bytes: SZ_16M, blockSizes: [SZ_16M] }] }] };
    expect(checkNeeds(msm, one16M).ok).toBe(true);
    expect(checkNeeds(msm, two16M)).toEqual({ ok: false, reasons: ['VCM_MEMTYPE_0 runs out of blocks: 16 MiB of a 16 MiB allocation (16 MiB blocks) are missing'] });
    // 16 MiB block, then 8 × 1 MiB + 64 × 64 KiB + 1024 × 4 KiB: SMI's pools exactly.
    const frames = { memtypes: [{ memtype: VCM_MEMTYPE_0, allocations: [{ bytes: SZ_16M }, { bytes: SZ_16M }] }] };
    expect(checkNeeds(msm, frames).ok).toBe(true);
    const oneMore = { memtypes: [{ memtype: VCM_MEMTYPE_0, allocations: [{ bytes: SZ_16M }, { bytes: SZ_16M }, { bytes: SZ_4K }] }] };
    expect(checkNeeds(msm, oneMore).ok).toBe(false);
  });

  it('agrees with the real allocator: a plan is exact exactly when vcm_phys_alloc returns that length', () => {
    const pools = ['smi-16m', 'smi-1m', 'smi-64k', 'smi-4k'] as const;
    fc.assert(
      fc.property(
        fc.tuple(fc.constant(1), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 40 })),
        fc.subarray([0, 1, 2, 3], { minLength: 1 }),
        fc.array(fc.tuple(fc.nat(1), fc.nat(3), fc.nat(6), fc.nat(12)), { minLength: 1, maxLength: 4 }),
        (counts, kept, requests) => {
          const description = described((b) => {
            for (const pool of b.memory.pools) {
              const i = (pools as readonly string[]).indexOf(pool.name);
              if (i >= 0 && 'count' in pool) (pool as { count: number }).count = counts[i]!; // fewer blocks than SMI has, so no pool outgrows its place
            }
            b.memory.memtypes[0]!.pools = kept.map((i) => pools[i]!);
            b.smmus = [];
          });
          const board = validateBoard(description);
          const lens = requests.map(([a, c, d, e]) => a * SZ_16M + c * SZ_1M + d * SZ_64K + e * SZ_4K).map((n) => n || SZ_4K);
          const plan = checkNeeds(board, { memtypes: [{ memtype: VCM_MEMTYPE_0, allocations: lens.map((bytes) => ({ bytes })) }] });
          const { allocator } = buildPlatform(description, { logger: { warn: () => undefined } });
          let exact = true;
          for (const len of lens) {
            try {
              if (allocator.allocate(VCM_MEMTYPE_0, len, VCM_ALL).len !== len) exact = false;
            } catch (e) {
              if (!isVcmError(e, 'ENOMEM')) throw e;
              exact = false;
            }
            if (!exact) break;
          }
          expect(plan.ok).toBe(exact);
        },
      ),
      { numRuns: 100 },
    );
  });
});
