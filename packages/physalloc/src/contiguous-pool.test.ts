import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SZ_16K, SZ_1K, SZ_1M, SZ_4K, SZ_64K, SZ_8M, isVcmError } from '@vcm/core';
import { ContiguousPool } from './contiguous-pool.js';
import { codeOf } from '@vcm/test-kit';

const smiCont = (): ContiguousPool => new ContiguousPool({ name: 'smi-cont', base: 0x3b80_0000, size: SZ_8M });

describe('ContiguousPool', () => {
  it('allocates any multiple of 4 KiB, lowest address first', () => {
    const pool = smiCont();
    expect(pool.allocate(3 * SZ_4K)).toBe(0x3b80_0000);
    expect(pool.allocate(SZ_4K)).toBe(0x3b80_3000);
    expect(pool.stats()).toMatchObject({ freeBytes: SZ_8M - 4 * SZ_4K, inUseBytes: 4 * SZ_4K, allocations: 2 });
  });

  it('places an aligned request without wasting the alignment: the head below it stays free', () => {
    const pool = smiCont();
    pool.allocate(SZ_4K); // 0x3b80_0000
    const pa = pool.allocate(SZ_1M, SZ_1M);
    expect(pa).toBe(0x3b90_0000);
    // The original asked for len + align; here exactly len is in use and the
    // gap 0x3b80_1000..0x3b90_0000 is still free and usable.
    expect(pool.inUseBytes).toBe(SZ_4K + SZ_1M);
    expect(pool.freeExtents()[0]).toEqual({ pa: 0x3b80_1000, len: SZ_1M - SZ_4K });
    expect(pool.allocate(SZ_1M - SZ_4K)).toBe(0x3b80_1000);
  });

  it('finds an aligned fit past extents that are big enough but misaligned', () => {
    const pool = new ContiguousPool({ name: 'c', base: 0, size: SZ_1M });
    // Free extents: [4K, 64K) (60 KiB, not 64K-aligned) then [128K, 1M).
    const a = pool.allocate(SZ_4K);
    const b = pool.allocate(SZ_64K - SZ_4K);
    const c = pool.allocate(SZ_64K);
    pool.free(b);
    expect([a, c]).toEqual([0, SZ_64K]);
    expect(pool.allocate(SZ_16K, SZ_64K)).toBe(2 * SZ_64K);
    expect(pool.allocate(SZ_16K, SZ_16K)).toBe(SZ_16K);
  });

  it('contains and allocationAt answer for addresses and refuse anything else (EINVAL, nothing changes)', () => {
    const pool = smiCont();
    const pa = pool.allocate(3 * SZ_4K);
    expect(pool.contains(0x3b80_0000)).toBe(true);
    expect(pool.contains(0x3b80_0000 + SZ_8M)).toBe(false);
    expect(pool.contains(0)).toBe(false);
    expect(pool.allocationAt(pa)).toBe(3 * SZ_4K);
    expect(pool.allocationAt(pa + SZ_4K)).toBeUndefined();
    const before = JSON.stringify(pool.stats());
    for (const junk of [Number.NaN, -1, 0.5, 2 ** 40 + 4096, Infinity, '0x3b800000', null, undefined, {}, [pa]]) {
      expect(codeOf(() => pool.contains(junk as never)), JSON.stringify(junk) ?? 'undefined').toBe('EINVAL');
      expect(codeOf(() => pool.allocationAt(junk as never)), JSON.stringify(junk) ?? 'undefined').toBe('EINVAL');
    }
    expect(JSON.stringify(pool.stats())).toBe(before);
  });

  it('coalesces on free: freeing everything leaves one extent', () => {
    const pool = smiCont();
    const pas = [pool.allocate(SZ_4K), pool.allocate(SZ_64K), pool.allocate(SZ_1M), pool.allocate(SZ_4K)];
    pool.free(pas[1]!);
    pool.free(pas[3]!);
    expect(pool.freeExtentCount).toBe(2);
    pool.free(pas[0]!);
    pool.free(pas[2]!);
    expect(pool.freeExtents()).toEqual([{ pa: 0x3b80_0000, len: SZ_8M }]);
  });

  it('alignment larger than the pool: only the one aligned address in it can be used', () => {
    const pool = new ContiguousPool({ name: 'c', base: 0x3b80_0000, size: SZ_8M });
    expect(codeOf(() => pool.allocate(SZ_4K, 2 ** 27))).toBe('ENOMEM'); // 128 MiB: no aligned address inside
    const p2 = new ContiguousPool({ name: 'c2', base: 0x3c00_0000 - SZ_8M * 3, size: SZ_8M * 3 });
    // 0x3a80_0000..0x3c00_0000: the only 32 MiB-aligned address, 0x3c00_0000, is its end.
    expect(codeOf(() => p2.allocate(SZ_4K, 2 ** 25))).toBe('ENOMEM');
    const p3 = new ContiguousPool({ name: 'c3', base: 0x3000_0000 - SZ_4K, size: SZ_8M });
    expect(p3.allocate(SZ_4K, 2 ** 28)).toBe(0x3000_0000);
  });

  it('ENOMEM and bad requests change nothing; double free and foreign frees are EINVAL', () => {
    const pool = new ContiguousPool({ name: 'c', base: 0, size: SZ_64K });
    const a = pool.allocate(SZ_16K);
    const before = JSON.stringify(pool.stats());
    expect(codeOf(() => pool.allocate(SZ_64K))).toBe('ENOMEM');
    expect(codeOf(() => pool.allocate(0))).toBe('EINVAL');
    expect(codeOf(() => pool.allocate(SZ_4K + 1))).toBe('EINVAL');
    expect(codeOf(() => pool.allocate(SZ_4K, 3 * SZ_4K))).toBe('EINVAL');
    expect(codeOf(() => pool.free(SZ_4K))).toBe('EINVAL');
    expect(codeOf(() => pool.free(a, SZ_4K))).toBe('EINVAL');
    expect(codeOf(() => pool.free(-1))).toBe('EINVAL');
    expect(JSON.stringify(pool.stats())).toBe(before);
    pool.free(a);
    expect(codeOf(() => pool.free(a))).toBe('EINVAL');
  });

  it('maxTrackedAlign: must be a power of two from the granule; the tree then tracks the granule up to it', () => {
    const pool = new ContiguousPool({ name: 't', base: 0x6300_0000, size: SZ_1M, granule: SZ_1K, maxTrackedAlign: SZ_16K });
    expect(pool.trackedAlignments).toEqual([SZ_1K, 2 * SZ_1K, SZ_4K, 8 * SZ_1K, SZ_16K]);
    expect(new ContiguousPool({ name: 't', base: 0, size: SZ_64K, granule: SZ_1K }).trackedAlignments.at(-1)).toBe(SZ_64K);
    for (const junk of [0, SZ_1K / 2, 3 * SZ_1K, Number.NaN, -SZ_4K, '16384', null]) {
      expect(codeOf(() => new ContiguousPool({ name: 't', base: 0, size: SZ_64K, granule: SZ_1K, maxTrackedAlign: junk as never })), String(junk)).toBe('EINVAL');
    }
    // Above the tracked alignments a request is still placed at its lowest fit.
    pool.allocate(SZ_1K);
    expect(pool.allocate(SZ_1K, SZ_64K)).toBe(0x6301_0000);
    expect(pool.allocate(SZ_1K, SZ_16K)).toBe(0x6300_4000);
  });

  it('a freed start is no allocation any more, whatever was allocated there before: allocationAt, allocations and free say so', () => {
    const pool = new ContiguousPool({ name: 't', base: 0x6300_0000, size: SZ_64K, granule: SZ_1K });
    const keep = pool.allocate(SZ_16K, SZ_16K);
    for (let round = 0; round < 3; round++) {
      const pa = pool.allocate(SZ_1K);
      expect(pool.allocationAt(pa)).toBe(SZ_1K);
      expect(pool.allocations).toBe(2);
      pool.free(pa);
      expect(pool.allocationAt(pa)).toBeUndefined();
      expect(pool.allocations).toBe(1);
      expect(codeOf(() => pool.free(pa))).toBe('EINVAL'); // double free
      // The same start again, longer this time: its length is the new one.
      expect(pool.allocate(4 * SZ_1K)).toBe(pa);
      expect(pool.allocationAt(pa)).toBe(4 * SZ_1K);
      expect(codeOf(() => pool.free(pa, SZ_1K))).toBe('EINVAL');
      pool.free(pa, 4 * SZ_1K);
    }
    expect(pool.stats()).toMatchObject({ allocations: 1, inUseBytes: SZ_16K });
    pool.free(keep);
    expect(pool.stats()).toMatchObject({ allocations: 0, inUseBytes: 0, freeExtents: [{ pa: 0x6300_0000, len: SZ_64K }] });
  });

  it('a 1 KiB granule serves page-table sizes', () => {
    const pool = new ContiguousPool({ name: 't', base: 0x6300_0000, size: SZ_64K, granule: SZ_1K });
    expect(pool.allocate(SZ_1K, SZ_1K)).toBe(0x6300_0000);
    expect(pool.allocate(SZ_16K, SZ_16K)).toBe(0x6300_4000);
    expect(pool.allocate(SZ_1K)).toBe(0x6300_0400);
  });

  it('stays logarithmic: tree height bounded for thousands of free extents', () => {
    const pool = new ContiguousPool({ name: 'c', base: 0, size: 4096 * SZ_4K });
    const pas: number[] = [];
    for (let i = 0; i < 4096; i++) pas.push(pool.allocate(SZ_4K));
    for (let i = 0; i < 4096; i += 2) pool.free(pas[i]!);
    expect(pool.freeExtentCount).toBe(2048);
    // AVL: height ≤ 1.44 log2(n + 2), so each operation visits O(log n) nodes.
    expect(pool.freeTreeHeight).toBeLessThanOrEqual(Math.floor(1.45 * Math.log2(2048 + 2)));
    // 2048 free 4 KiB holes and no two adjacent: 8 KiB cannot be placed.
    expect(codeOf(() => pool.allocate(2 * SZ_4K))).toBe('ENOMEM');
    pool.free(pas[1]!);
    expect(pool.allocate(3 * SZ_4K)).toBe(0);
  });

  // maxTrackedAlign 16 KiB: the alignments above it (up to 512 KiB here) take the search that is not pruned exactly, with the same answers.
  it.each([{ maxTrackedAlign: undefined }, { maxTrackedAlign: SZ_16K }])('property: matches a page-bitmap model (lowest aligned fit, exact free set, coalesced extents), %o', ({ maxTrackedAlign }) => {
    const pages = 64;
    const base = 0x6200_0000;
    const op = fc.oneof(
      fc.record({ kind: fc.constant('alloc' as const), pages: fc.integer({ min: 1, max: 20 }), alignOrder: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
    );
    fc.assert(
      // fast-check draws lengths from `size`, not `maxLength`: 'max' runs up to 80 steps, enough to fill the 64 pages.
      fc.property(fc.array(op, { maxLength: 80, size: 'max' }), (ops) => {
        const pool = new ContiguousPool({ name: 'c', base, size: pages * SZ_4K, ...(maxTrackedAlign === undefined ? {} : { maxTrackedAlign }) });
        const used = new Uint8Array(pages);
        const live: Array<[number, number]> = [];
        for (const o of ops) {
          if (o.kind === 'alloc') {
            const align = SZ_4K << o.alignOrder;
            const n = o.pages;
            // model: lowest aligned start whose n pages are free
            let want = -1;
            for (let s = 0; s + n <= pages && want < 0; s++) {
              const pa = base + s * SZ_4K;
              if (pa % align !== 0) continue;
              let ok = true;
              for (let k = 0; k < n; k++) if (used[s + k]) ok = false;
              if (ok) want = pa;
            }
            const before = JSON.stringify(pool.stats());
            let got = -1;
            try {
              got = pool.allocate(n * SZ_4K, align);
            } catch (e) {
              expect(isVcmError(e, 'ENOMEM')).toBe(true);
              expect(JSON.stringify(pool.stats())).toBe(before);
            }
            expect(got).toBe(want);
            if (got >= 0) {
              for (let k = 0; k < n; k++) used[(got - base) / SZ_4K + k] = 1;
              live.push([got, n]);
            }
          } else if (live.length > 0) {
            const [pa, n] = live.splice(o.pick % live.length, 1)[0]!;
            pool.free(pa, n * SZ_4K);
            for (let k = 0; k < n; k++) used[(pa - base) / SZ_4K + k] = 0;
          }
          // free extents = maximal runs of free pages
          const runs: Array<{ pa: number; len: number }> = [];
          for (let s = 0; s < pages; ) {
            if (used[s]) {
              s++;
              continue;
            }
            let e = s;
            while (e < pages && !used[e]) e++;
            runs.push({ pa: base + s * SZ_4K, len: (e - s) * SZ_4K });
            s = e;
          }
          expect(pool.freeExtents()).toEqual(runs);
          expect(pool.largestFree()).toBe(Math.max(0, ...runs.map((r) => r.len)));
        }
      }),
      // Runs of up to 80 steps, each checked against the whole bitmap: fewer, longer runs.
      { numRuns: 150 },
    );
  });

  it('allocateMany: the addresses of count single allocations, in order; runs of adjacent tables taken at once', () => {
    const pool = new ContiguousPool({ name: 'tables', base: 0x6300_0000, size: SZ_1M, granule: SZ_1K });
    const first = pool.allocate(SZ_1K);
    const hole = pool.allocate(SZ_1K);
    pool.allocate(SZ_4K, SZ_4K);
    pool.free(hole);
    // The free 3 KiB from 0x6300_0400 up to the 4 KiB table first (one run), then past the table.
    expect(pool.allocateMany(SZ_1K, SZ_1K, 5)).toEqual([0x6300_0400, 0x6300_0800, 0x6300_0c00, 0x6300_2000, 0x6300_2400]);
    expect(pool.allocationAt(0x6300_0800)).toBe(SZ_1K);
    expect(pool.stats()).toMatchObject({ allocations: 7, inUseBytes: 10 * SZ_1K });
    expect(first).toBe(0x6300_0000);
    expect(pool.allocateMany(SZ_4K, SZ_4K, 0)).toEqual([]);
  });

  it('allocateMany: ENOMEM when not all fit, and the pool is exactly as before; a bad count is EINVAL', () => {
    const pool = new ContiguousPool({ name: 'tables', base: 0x6300_0000, size: 16 * SZ_1K, granule: SZ_1K });
    pool.allocate(3 * SZ_1K);
    const before = JSON.stringify(pool.stats());
    expect(codeOf(() => pool.allocateMany(SZ_4K, SZ_4K, 4))).toBe('ENOMEM'); // three 4 KiB tables fit, not four
    expect(JSON.stringify(pool.stats())).toBe(before);
    for (const count of [-1, 1.5, Number.NaN, '2' as unknown as number]) {
      expect(codeOf(() => pool.allocateMany(SZ_1K, SZ_1K, count))).toBe('EINVAL');
      expect(JSON.stringify(pool.stats())).toBe(before);
    }
    expect(pool.allocateMany(SZ_4K, SZ_4K, 3)).toEqual([0x6300_1000, 0x6300_2000, 0x6300_3000]);
  });

  it('property: allocateMany gives the addresses, errors and final state of count single allocations, after any history', () => {
    const base = 0x6300_0000;
    const size = 64 * SZ_1K;
    const sizeOrder = fc.integer({ min: 0, max: 4 }); // 1 KiB … 16 KiB
    const op = fc.oneof(
      fc.record({ kind: fc.constant('alloc' as const), len: fc.integer({ min: 1, max: 6 }), alignOrder: sizeOrder }),
      fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
    );
    fc.assert(
      // fast-check draws lengths from `size`, not `maxLength`: 'max' runs a history of up to 40 steps, enough to fill the 64 KiB.
      fc.property(fc.array(op, { maxLength: 40, size: 'max' }), fc.integer({ min: 1, max: 8 }), sizeOrder, fc.integer({ min: 0, max: 40 }), (ops, lenKiB, alignOrder, count) => {
        const many = new ContiguousPool({ name: 'c', base, size, granule: SZ_1K, maxTrackedAlign: SZ_16K });
        const single = new ContiguousPool({ name: 'c', base, size, granule: SZ_1K, maxTrackedAlign: SZ_16K });
        const live: Array<[number, number]> = [];
        for (const o of ops) {
          if (o.kind === 'alloc') {
            const len = o.len * SZ_1K;
            const align = SZ_1K << o.alignOrder;
            try {
              const pa = many.allocate(len, align);
              expect(single.allocate(len, align)).toBe(pa);
              live.push([pa, len]);
            } catch (e) {
              expect(isVcmError(e, 'ENOMEM')).toBe(true);
            }
          } else if (live.length > 0) {
            const [pa, len] = live.splice(o.pick % live.length, 1)[0]!;
            many.free(pa, len);
            single.free(pa, len);
          }
        }
        const len = lenKiB * SZ_1K;
        const align = SZ_1K << alignOrder;
        const before = JSON.stringify(many.stats());
        const want: number[] = [];
        let wantError = false;
        try {
          for (let i = 0; i < count; i++) want.push(single.allocate(len, align));
        } catch (e) {
          expect(isVcmError(e, 'ENOMEM')).toBe(true);
          wantError = true;
        }
        if (wantError) {
          expect(codeOf(() => many.allocateMany(len, align, count))).toBe('ENOMEM');
          expect(JSON.stringify(many.stats())).toBe(before);
        } else {
          expect(many.allocateMany(len, align, count)).toEqual(want);
          expect(JSON.stringify(many.stats())).toBe(JSON.stringify(single.stats()));
          for (const pa of want) expect(many.allocationAt(pa)).toBe(len);
        }
      }),
      { numRuns: 300 },
    );
  });
});
