import { SZ_1M, SZ_4K, VCM_READ, VCM_WRITE } from '@vcm/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ptRanges } from './ptdump.js';
import type { Leaf } from './state.js';

const leaf = (va: number, pa: number, size: number, prot = VCM_READ | VCM_WRITE): Leaf => ({ va, pa, size, level: size === SZ_4K ? 2 : 1, descriptor: 0, descriptorHigh: 0, prot });

describe('ptRanges', () => {
  it('folds leaves contiguous in both address spaces with equal size and attributes into one range', () => {
    const r = ptRanges([leaf(SZ_1M, 0x4000_0000, SZ_1M), leaf(2 * SZ_1M, 0x4010_0000, SZ_1M), leaf(3 * SZ_1M, 0x5000_0000, SZ_1M), leaf(4 * SZ_1M, 0x5010_0000, SZ_4K)]);
    expect(r.map((x) => [x.va, x.end, x.pa, x.count, x.pageSize])).toEqual([
      [SZ_1M, 3 * SZ_1M, 0x4000_0000, 2, SZ_1M],
      [3 * SZ_1M, 4 * SZ_1M, 0x5000_0000, 1, SZ_1M],
      [4 * SZ_1M, 4 * SZ_1M + SZ_4K, 0x5010_0000, 1, SZ_4K],
    ]);
  });

  it('keeps every leaf exactly once, in address order, and never joins leaves with a gap', () => {
    const pages = fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 60 });
    fc.assert(
      fc.property(pages, fc.array(fc.boolean(), { maxLength: 60 }), (vpns, ro) => {
        const leaves = vpns.map((v, i) => leaf(v * SZ_4K, 0x8000_0000 + v * SZ_4K, SZ_4K, ro[i] ? VCM_READ : VCM_READ | VCM_WRITE));
        const ranges = ptRanges(leaves);
        const flat = ranges.flatMap((r) => r.leaves);
        expect(flat.map((l) => l.va)).toEqual([...vpns].sort((a, b) => a - b).map((v) => v * SZ_4K));
        for (const r of ranges) {
          expect(r.end - r.va).toBe(r.count * SZ_4K);
          expect(new Set(r.leaves.map((l) => l.prot)).size).toBe(1);
        }
      }),
    );
  });
});
