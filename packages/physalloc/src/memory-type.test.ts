import { describe, expect, it } from 'vitest';
import { SZ_16M, SZ_1K, SZ_1M, SZ_4K, SZ_64K, VCM_1MB, VCM_4KB, VCM_64KB, VCM_ALL, vcmPhysAlignAttr } from '@vcm/core';
import { BlockPool } from './block-pool.js';
import { ContiguousPool } from './contiguous-pool.js';
import { createMemoryType } from './memory-type.js';
import { CLASS_16M, CLASS_1M, CLASS_4K, CLASS_64K, allowedSizeClasses, planMaxMunch, sizeClassOf } from './max-munch.js';
import { codeOf } from '@vcm/test-kit';

describe('createMemoryType', () => {
  const big = new BlockPool({ name: 'm', base: 0, blockSize: SZ_1M, count: 2 });
  const small = new BlockPool({ name: 's', base: 2 * SZ_1M, blockSize: SZ_4K, count: 2 });
  it('keeps the ordered pool list and the contiguous pool', () => {
    const cont = new ContiguousPool({ name: 'c', base: 4 * SZ_1M, size: SZ_1M });
    const t = createMemoryType({ id: 1, name: 'VCM_MEMTYPE_0', pools: [big, small], contiguous: cont });
    expect(t.pools).toEqual([big, small]);
    expect(t.contiguous).toBe(cont);
    expect(Object.isFrozen(t)).toBe(true);
  });
  it('rejects a list that is not largest-first, a pool listed twice, id 0 and a 1 KiB-granule contiguous pool', () => {
    expect(codeOf(() => createMemoryType({ id: 1, name: 't', pools: [small, big] }))).toBe('EINVAL');
    expect(codeOf(() => createMemoryType({ id: 1, name: 't', pools: [big, big] }))).toBe('EINVAL');
    expect(codeOf(() => createMemoryType({ id: 0, name: 't', pools: [big] }))).toBe('EINVAL');
    expect(codeOf(() => createMemoryType({ id: 1, name: '', pools: [big] }))).toBe('EINVAL');
    const tables = new ContiguousPool({ name: 't', base: 0, size: SZ_64K, granule: SZ_1K });
    expect(codeOf(() => createMemoryType({ id: 1, name: 't', pools: [], contiguous: tables }))).toBe('EINVAL');
  });
});

describe('max munch planning', () => {
  it('maps page-selection bits and the alignment field to block sizes', () => {
    const all = CLASS_4K | CLASS_64K | CLASS_1M | CLASS_16M;
    expect(allowedSizeClasses(0)).toBe(all);
    expect(allowedSizeClasses(VCM_ALL)).toBe(all);
    expect(allowedSizeClasses(VCM_ALL | VCM_4KB)).toBe(all);
    expect(allowedSizeClasses(VCM_4KB)).toBe(CLASS_4K);
    expect(allowedSizeClasses(VCM_64KB | VCM_1MB)).toBe(CLASS_64K | CLASS_1M);
    expect(allowedSizeClasses(vcmPhysAlignAttr(SZ_64K))).toBe(CLASS_64K | CLASS_1M | CLASS_16M);
    expect(allowedSizeClasses(vcmPhysAlignAttr(2 * SZ_1M))).toBe(CLASS_16M);
    expect(allowedSizeClasses(VCM_1MB | vcmPhysAlignAttr(2 * SZ_1M))).toBe(0);
    expect([SZ_4K, SZ_64K, SZ_1M, SZ_16M, 8192].map(sizeClassOf)).toEqual([CLASS_4K, CLASS_64K, CLASS_1M, CLASS_16M, 0]);
  });

  it('counts without taking: a failed plan touches no pool', () => {
    const pools = [new BlockPool({ name: 'm', base: 0, blockSize: SZ_1M, count: 2 }), new BlockPool({ name: 's', base: 2 * SZ_1M, blockSize: SZ_4K, count: 4 })];
    const classes = Uint8Array.of(CLASS_1M, CLASS_4K);
    const counts = new Float64Array(2);
    expect(planMaxMunch(pools, classes, CLASS_1M | CLASS_4K, 2 * SZ_1M + 3 * SZ_4K, counts)).toBe(0);
    expect([...counts]).toEqual([2, 3]);
    expect(planMaxMunch(pools, classes, CLASS_1M | CLASS_4K, 3 * SZ_1M, counts)).toBe(SZ_1M - 4 * SZ_4K);
    expect(pools.map((p) => p.freeBlocks)).toEqual([2, 4]);
  });
});
