import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SZ_1M, SZ_4K, SZ_64K, isVcmError } from '@vcm/core';
import { BlockPool } from './block-pool.js';
import { codeOf } from '@vcm/test-kit';

describe('BlockPool', () => {
  it('hands out blocks lowest address first from a fresh pool, each aligned to the block size', () => {
    const pool = new BlockPool({ name: 'smi-64k', base: 0x3980_0000, blockSize: SZ_64K, count: 4 });
    expect([pool.allocate(), pool.allocate(), pool.allocate()]).toEqual([0x3980_0000, 0x3981_0000, 0x3982_0000]);
    expect(pool.stats()).toEqual({ name: 'smi-64k', base: 0x3980_0000, blockSize: SZ_64K, total: 4, free: 1, inUse: 3, highWater: 3 });
  });

  it('never splits: an empty pool is ENOMEM and unchanged', () => {
    const pool = new BlockPool({ name: 'p', base: 0, blockSize: SZ_4K, count: 1 });
    pool.allocate();
    const before = JSON.stringify(pool.stats());
    expect(codeOf(() => pool.allocate())).toBe('ENOMEM');
    expect(JSON.stringify(pool.stats())).toBe(before);
  });

  it('free returns a block for reuse; high-water stays', () => {
    const pool = new BlockPool({ name: 'p', base: SZ_1M, blockSize: SZ_1M, count: 2 });
    const a = pool.allocate();
    const b = pool.allocate();
    pool.free(a);
    expect(pool.isFree(a)).toBe(true);
    expect(pool.isFree(b)).toBe(false);
    expect(pool.allocate()).toBe(a);
    pool.free(b);
    expect(pool.stats()).toMatchObject({ free: 1, inUse: 1, highWater: 2 });
  });

  it('double free, a foreign address and a misaligned address are EINVAL and change nothing', () => {
    const pool = new BlockPool({ name: 'p', base: 0x1_0000, blockSize: SZ_64K, count: 2 });
    const a = pool.allocate();
    pool.free(a);
    const before = JSON.stringify(pool.stats());
    let err: unknown;
    try {
      pool.free(a);
    } catch (e) {
      err = e;
    }
    expect(isVcmError(err, 'EINVAL')).toBe(true);
    expect((err as Error).message).toContain('already free (double free)');
    expect(codeOf(() => pool.free(0x3_0000))).toBe('EINVAL');
    expect(codeOf(() => pool.free(0x1_1000))).toBe('EINVAL');
    expect(codeOf(() => pool.free(Number.NaN))).toBe('EINVAL');
    expect(JSON.stringify(pool.stats())).toBe(before);
  });

  it('validates its shape', () => {
    expect(codeOf(() => new BlockPool({ name: 'p', base: 0x1000, blockSize: SZ_64K, count: 1 }))).toBe('EINVAL');
    expect(codeOf(() => new BlockPool({ name: 'p', base: 0, blockSize: 8192, count: 1 }))).toBe('EINVAL');
    expect(codeOf(() => new BlockPool({ name: 'p', base: 0, blockSize: SZ_4K, count: 0 }))).toBe('EINVAL');
    expect(codeOf(() => new BlockPool({ name: '', base: 0, blockSize: SZ_4K, count: 1 }))).toBe('EINVAL');
    expect(codeOf(() => new BlockPool({ name: 'p', base: 0, blockSize: SZ_4K, count: 1.5 }))).toBe('EINVAL');
  });

  it('property: every block is either free or handed out exactly once; freeing all restores the free set', () => {
    fc.assert(
      // fast-check draws lengths from `size`, not `maxLength`: 'max' runs up to 200 steps, enough to empty a 40-block pool.
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 200, size: 'max' }), (count, ops) => {
        const pool = new BlockPool({ name: 'p', base: 0x4000_0000, blockSize: SZ_4K, count });
        const live: number[] = [];
        for (const [alloc, pick] of ops) {
          if (alloc && pool.freeBlocks > 0) {
            const pa = pool.allocate();
            expect(live).not.toContain(pa);
            expect((pa - pool.base) % SZ_4K).toBe(0);
            live.push(pa);
          } else if (live.length > 0) {
            pool.free(live.splice(pick % live.length, 1)[0]!);
          }
          expect(pool.inUse).toBe(live.length);
          for (let i = 0; i < count; i++) expect(pool.isFree(pool.base + i * SZ_4K)).toBe(!live.includes(pool.base + i * SZ_4K));
        }
        for (const pa of live) pool.free(pa);
        expect(pool.freeBlocks).toBe(count);
      }),
      // Runs of up to 200 steps, each checking every block: fewer, longer runs.
      { numRuns: 50 },
    );
  });
});
