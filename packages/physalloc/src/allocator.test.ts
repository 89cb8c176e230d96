import { describe, expect, it } from 'vitest';
import {
  SZ_16K,
  SZ_16M,
  SZ_1K,
  SZ_1M,
  SZ_32M,
  SZ_4K,
  SZ_64K,
  SZ_8M,
  VCM_1MB,
  VCM_4KB,
  VCM_64KB,
  VCM_ALL,
  VCM_MEMTYPE_0,
  VCM_MEMTYPE_1,
  VCM_MEMTYPE_2,
  VCM_MEMTYPE_3,
  VCM_PHYS_CONT,
  isVcmError,
  vcmPhysAlignAttr,
} from '@vcm/core';
import type { PhysAllocation } from '@vcm/core';
import { msm8x60Memory } from './msm8x60.js';
import type { PhysAllocator } from './allocator.js';
import { vcmErrorOf } from '@vcm/test-kit';

const chunkList = (a: PhysAllocation): Array<[number, number, number]> => a.chunks.map((c) => [c.pa, c.len, c.blockSize]);
const digest = (allocator: PhysAllocator): string => JSON.stringify(allocator.stats());

describe('PhysAllocator: max munch on the MSM8x60 preset', () => {
  it('16 MiB + 1 MiB + 64 KiB + 4 KiB + 100 bytes on MEMTYPE_0 gives exactly the expected chunks', () => {
    const { allocator } = msm8x60Memory();
    const a = allocator.allocate(VCM_MEMTYPE_0, SZ_16M + SZ_1M + SZ_64K + SZ_4K + 100, 0);
    expect(chunkList(a)).toEqual([
      [0x3800_0000, SZ_16M, SZ_16M],
      [0x3900_0000, SZ_1M, SZ_1M],
      [0x3980_0000, SZ_64K, SZ_64K],
      [0x39c0_0000, SZ_4K, SZ_4K],
      [0x39c0_1000, SZ_4K, SZ_4K],
    ]);
    expect(a.len).toBe(SZ_16M + SZ_1M + SZ_64K + 2 * SZ_4K);
    expect(a.memtype).toBe(VCM_MEMTYPE_0);
    expect(a.attr).toBe(0);
    expect(a.contiguous).toBe(false);
  });

  it('rounds lengths up to whole 4 KiB pages', () => {
    const { allocator } = msm8x60Memory();
    expect(allocator.allocate(VCM_MEMTYPE_0, 1, 0).len).toBe(SZ_4K);
    expect(allocator.allocate(VCM_MEMTYPE_0, SZ_4K + 1, 0).len).toBe(2 * SZ_4K);
    // 64 KiB - 1 rounds to 64 KiB first, so max munch takes one 64 KiB block
    expect(chunkList(allocator.allocate(VCM_MEMTYPE_0, SZ_64K - 1, 0))).toEqual([[0x3980_0000, SZ_64K, SZ_64K]]);
  });

  it('carries a shortfall down to smaller blocks when a size runs out', () => {
    const { allocator, pools } = msm8x60Memory();
    allocator.allocate(VCM_MEMTYPE_0, SZ_16M, 0); // takes smi-16m
    const a = allocator.allocate(VCM_MEMTYPE_0, SZ_16M, 0);
    // 8 × 1 MiB (4 + 4 MiB), then 64 × 64 KiB (4 MiB), then 1024 × 4 KiB (4 MiB)
    expect(a.chunks.filter((c) => c.blockSize === SZ_1M).length).toBe(8);
    expect(a.chunks.filter((c) => c.blockSize === SZ_64K).length).toBe(64);
    expect(a.chunks.filter((c) => c.blockSize === SZ_4K).length).toBe(1024);
    expect(a.len).toBe(SZ_16M);
    expect(a.contiguous).toBe(true); // the SMI pools are adjacent and handed out in address order
    expect(pools['smi-4k']!.freeBlocks).toBe(0);
  });

  it('a 1 MiB pool running dry flows to the next pool of the list (MEMTYPE_3: SMI 1 MiB, then EBI 1 MiB)', () => {
    const { allocator } = msm8x60Memory();
    const a = allocator.allocate(VCM_MEMTYPE_3, 10 * SZ_1M, 0);
    expect(chunkList(a)).toEqual([
      ...Array.from({ length: 8 }, (_, i): [number, number, number] => [0x3900_0000 + i * SZ_1M, SZ_1M, SZ_1M]),
      [0x6100_0000, SZ_1M, SZ_1M],
      [0x6110_0000, SZ_1M, SZ_1M],
    ]);
  });

  it('MEMTYPE_1 takes its 4 KiB blocks from EBI, MEMTYPE_2 everything from EBI', () => {
    const { allocator } = msm8x60Memory();
    expect(chunkList(allocator.allocate(VCM_MEMTYPE_1, SZ_64K + 2 * SZ_4K, 0))).toEqual([
      [0x3980_0000, SZ_64K, SZ_64K],
      [0x61c0_0000, SZ_4K, SZ_4K],
      [0x61c0_1000, SZ_4K, SZ_4K],
    ]);
    expect(chunkList(allocator.allocate(VCM_MEMTYPE_2, SZ_16M + SZ_1M, 0))).toEqual([
      [0x6000_0000, SZ_16M, SZ_16M],
      [0x6100_0000, SZ_1M, SZ_1M],
    ]);
  });

  it('marks physically adjacent chunks as contiguous', () => {
    const { allocator } = msm8x60Memory();
    const a = allocator.allocate(VCM_MEMTYPE_0, 3 * SZ_4K, 0);
    expect(a.contiguous).toBe(true);
    allocator.free(a);
    // freed blocks are reused last-in first-out: O(1), not address order
    const b = allocator.allocate(VCM_MEMTYPE_0, SZ_4K, 0);
    const c = allocator.allocate(VCM_MEMTYPE_0, 2 * SZ_4K, 0);
    expect(b.chunks[0]!.pa).toBe(0x39c0_2000);
    expect(chunkList(c)).toEqual([
      [0x39c0_1000, SZ_4K, SZ_4K],
      [0x39c0_0000, SZ_4K, SZ_4K],
    ]);
    expect(c.contiguous).toBe(false);
  });
});

describe('PhysAllocator: page-selection bits', () => {
  it('VCM_1MB uses only 1 MiB blocks and rounds the remainder up to ONE 1 MiB block', () => {
    const { allocator } = msm8x60Memory();
    const a = allocator.allocate(VCM_MEMTYPE_0, SZ_1M + SZ_4K, VCM_1MB);
    expect(chunkList(a)).toEqual([
      [0x3900_0000, SZ_1M, SZ_1M],
      [0x3910_0000, SZ_1M, SZ_1M],
    ]);
    expect(a.len).toBe(2 * SZ_1M);
  });

  it('16 MiB blocks only with VCM_ALL or no selection bit', () => {
    const { allocator } = msm8x60Memory();
    const sel = VCM_1MB | VCM_64KB | VCM_4KB;
    const a = allocator.allocate(VCM_MEMTYPE_2, SZ_16M, sel);
    expect(a.chunks.some((c) => c.blockSize === SZ_16M)).toBe(false);
    expect(a.len).toBe(SZ_16M);
    allocator.free(a);
    expect(chunkList(allocator.allocate(VCM_MEMTYPE_2, SZ_16M, VCM_ALL))).toEqual([[0x6000_0000, SZ_16M, SZ_16M]]);
    expect(chunkList(allocator.allocate(VCM_MEMTYPE_0, SZ_16M, 0))).toEqual([[0x3800_0000, SZ_16M, SZ_16M]]);
  });

  it('VCM_64KB and VCM_4KB restrict to those sizes; VCM_64KB | VCM_4KB mixes them', () => {
    const { allocator } = msm8x60Memory();
    const a = allocator.allocate(VCM_MEMTYPE_0, SZ_1M, VCM_64KB);
    expect(a.chunks.length).toBe(16);
    expect(a.chunks.every((c) => c.blockSize === SZ_64K)).toBe(true);
    const b = allocator.allocate(VCM_MEMTYPE_0, SZ_64K, VCM_4KB);
    expect(b.chunks.length).toBe(16);
    expect(b.chunks.every((c) => c.blockSize === SZ_4K)).toBe(true);
    const c = allocator.allocate(VCM_MEMTYPE_0, SZ_1M + SZ_4K, VCM_64KB | VCM_4KB);
    expect(c.chunks.map((x) => x.blockSize)).toEqual([...Array<number>(16).fill(SZ_64K), SZ_4K]);
    const d = allocator.allocate(VCM_MEMTYPE_0, SZ_4K, VCM_64KB);
    expect(chunkList(d)).toEqual([[d.chunks[0]!.pa, SZ_64K, SZ_64K]]);
  });
});

describe('PhysAllocator: alignment and VCM_PHYS_CONT', () => {
  it('an alignment field uses only block sizes at least that large, so every chunk is aligned', () => {
    const { allocator } = msm8x60Memory();
    const attr = vcmPhysAlignAttr(SZ_1M);
    const a = allocator.allocate(VCM_MEMTYPE_0, SZ_1M + SZ_64K, attr);
    expect(a.chunks.map((c) => c.blockSize)).toEqual([SZ_1M, SZ_1M]);
    expect(a.chunks.every((c) => c.pa % SZ_1M === 0)).toBe(true);
    const b = allocator.allocate(VCM_MEMTYPE_0, SZ_4K, vcmPhysAlignAttr(SZ_64K));
    expect(chunkList(b)).toEqual([[0x3980_0000, SZ_64K, SZ_64K]]);
  });

  it('an alignment larger than every block size is ENOMEM naming the sizes', () => {
    const { allocator } = msm8x60Memory();
    const before = digest(allocator);
    const e = vcmErrorOf(() => allocator.allocate(VCM_MEMTYPE_0, SZ_4K, vcmPhysAlignAttr(SZ_32M)));
    expect(e.code).toBe('ENOMEM');
    expect(e.message).toContain('no block pool');
    expect(digest(allocator)).toBe(before);
  });

  it('VCM_PHYS_CONT allocates one aligned extent of the contiguous pool', () => {
    const { allocator } = msm8x60Memory();
    const a = allocator.allocate(VCM_MEMTYPE_0, SZ_4K, VCM_PHYS_CONT);
    expect(chunkList(a)).toEqual([[0x3b80_0000, SZ_4K, SZ_4K]]);
    expect(a.contiguous).toBe(true);
    const b = allocator.allocate(VCM_MEMTYPE_0, SZ_1M + 100, VCM_PHYS_CONT | vcmPhysAlignAttr(SZ_1M));
    // aligned without waste: 0x3b80_1000..0x3b90_0000 stays free
    expect(chunkList(b)).toEqual([[0x3b90_0000, SZ_1M + SZ_4K, SZ_1M + SZ_4K]]);
    const c = allocator.allocate(VCM_MEMTYPE_1, SZ_64K, VCM_PHYS_CONT | VCM_1MB);
    expect(c.chunks[0]!.pa).toBe(0x3b80_1000); // same pool as MEMTYPE_0; page selection ignored
    expect(allocator.stats().contiguousPools[0]!.freeExtents[0]).toEqual({ pa: 0x3b81_1000, len: 0x3b90_0000 - 0x3b81_1000 });
    const d = allocator.allocate(VCM_MEMTYPE_2, SZ_8M, VCM_PHYS_CONT | vcmPhysAlignAttr(SZ_16M));
    expect(chunkList(d)).toEqual([[0x6200_0000, SZ_8M, SZ_8M]]);
  });

  it('VCM_PHYS_CONT on a memtype without a contiguous pool is ENOMEM naming it', () => {
    const { allocator } = msm8x60Memory();
    const e = vcmErrorOf(() => allocator.allocate(VCM_MEMTYPE_3, SZ_4K, VCM_PHYS_CONT));
    expect(e.code).toBe('ENOMEM');
    expect(e.message).toContain('no contiguous pool');
  });

  it('VCM_PHYS_CONT that does not fit is ENOMEM and changes nothing', () => {
    const { allocator } = msm8x60Memory();
    allocator.allocate(VCM_MEMTYPE_0, SZ_4K, VCM_PHYS_CONT);
    const before = digest(allocator);
    const e = vcmErrorOf(() => allocator.allocate(VCM_MEMTYPE_0, SZ_8M, VCM_PHYS_CONT));
    expect(e.code).toBe('ENOMEM');
    expect(e.details).toMatchObject({ dryPools: ['smi-cont'], missing: SZ_8M });
    expect(digest(allocator)).toBe(before);
  });

  it('contiguousRegion reports the memtype contiguous pool', () => {
    const { allocator } = msm8x60Memory();
    expect(allocator.contiguousRegion(VCM_MEMTYPE_0)).toEqual({ pa: 0x3b80_0000, len: SZ_8M });
    expect(allocator.contiguousRegion(VCM_MEMTYPE_1)).toEqual({ pa: 0x3b80_0000, len: SZ_8M });
    expect(allocator.contiguousRegion(VCM_MEMTYPE_2)).toEqual({ pa: 0x6200_0000, len: SZ_16M });
    expect(allocator.contiguousRegion(VCM_MEMTYPE_3)).toBeUndefined();
    expect(vcmErrorOf(() => allocator.contiguousRegion(9)).code).toBe('EINVAL');
  });
});

describe('PhysAllocator: all or nothing', () => {
  it('rollback on ENOMEM leaves every pool as it was, and says which pools ran dry and what was missing', () => {
    const { allocator } = msm8x60Memory();
    allocator.allocate(VCM_MEMTYPE_0, 3 * SZ_1M, 0);
    const before = digest(allocator);
    // MEMTYPE_0 holds 16 + 8 + 4 + 4 = 32 MiB of blocks; 3 MiB are in use.
    const e = vcmErrorOf(() => allocator.allocate(VCM_MEMTYPE_0, 32 * SZ_1M, 0));
    expect(e.code).toBe('ENOMEM');
    expect(e.details).toMatchObject({ memtype: VCM_MEMTYPE_0, missing: 3 * SZ_1M, dryPools: ['smi-16m', 'smi-1m', 'smi-64k', 'smi-4k'] });
    expect(e.message).toContain('3 MiB');
    expect(digest(allocator)).toBe(before);
  });

  it('names only the pools that ran dry', () => {
    const { allocator } = msm8x60Memory();
    const e = vcmErrorOf(() => allocator.allocate(VCM_MEMTYPE_0, 9 * SZ_1M, VCM_1MB));
    expect(e.details).toMatchObject({ missing: SZ_1M, dryPools: ['smi-1m'] });
  });

  it('a final remainder with no smallest block left is ENOMEM', () => {
    const { allocator } = msm8x60Memory();
    allocator.allocate(VCM_MEMTYPE_0, 8 * SZ_1M, VCM_1MB);
    const before = digest(allocator);
    const e = vcmErrorOf(() => allocator.allocate(VCM_MEMTYPE_0, SZ_4K, VCM_1MB));
    expect(e.code).toBe('ENOMEM');
    expect(e.details).toMatchObject({ missing: SZ_4K, dryPools: ['smi-1m'] });
    expect(digest(allocator)).toBe(before);
  });

  it('bad lengths, memtypes and attributes are EINVAL and change nothing', () => {
    const { allocator } = msm8x60Memory();
    const before = digest(allocator);
    const bad: Array<[unknown, unknown, unknown]> = [
      [VCM_MEMTYPE_0, 0, 0],
      [VCM_MEMTYPE_0, -4096, 0],
      [VCM_MEMTYPE_0, 4096.5, 0],
      [VCM_MEMTYPE_0, Number.NaN, 0],
      [VCM_MEMTYPE_0, Infinity, 0],
      [VCM_MEMTYPE_0, '4096', 0],
      [0, SZ_4K, 0],
      [99, SZ_4K, 0],
      [Number.NaN, SZ_4K, 0],
      [VCM_MEMTYPE_0, SZ_4K, 1 << 20],
      [VCM_MEMTYPE_0, SZ_4K, -1],
      [VCM_MEMTYPE_0, SZ_4K, 0.5],
    ];
    for (const [m, len, attr] of bad) {
      const e = vcmErrorOf(() => allocator.allocate(m as number, len as number, attr as number));
      expect(e.code, `allocate(${String(m)}, ${String(len)}, ${String(attr)})`).toBe('EINVAL');
    }
    expect(vcmErrorOf(() => allocator.allocate(99, SZ_4K, 0)).message).toContain('VCM_MEMTYPE_0 (1)');
    expect(digest(allocator)).toBe(before);
  });

  it('free returns every block; double free and foreign allocations are EINVAL and change nothing', () => {
    const one = msm8x60Memory();
    const two = msm8x60Memory();
    const initial = digest(one.allocator);
    const a = one.allocator.allocate(VCM_MEMTYPE_3, 10 * SZ_1M + SZ_64K, 0);
    const foreign = two.allocator.allocate(VCM_MEMTYPE_3, SZ_4K, 0);
    const mid = digest(one.allocator);
    expect(vcmErrorOf(() => one.allocator.free(foreign)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => one.allocator.free({ ...a })).code).toBe('EINVAL');
    expect(vcmErrorOf(() => one.allocator.free(null as unknown as PhysAllocation)).code).toBe('EINVAL');
    expect(digest(one.allocator)).toBe(mid);
    expect(one.allocator.owns(a)).toBe(true);
    one.allocator.free(a);
    expect(one.allocator.owns(a)).toBe(false);
    const afterFree = digest(one.allocator);
    const e = vcmErrorOf(() => one.allocator.free(a));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain('double free');
    expect(digest(one.allocator)).toBe(afterFree);
    // all blocks back: only the high-water marks remember
    const strip = (s: string): unknown => JSON.parse(s.replace(/"highWater(Bytes)?":\d+/g, '"highWater":0')) as unknown;
    expect(strip(afterFree)).toEqual(strip(initial));
  });

  it('blocks returned to a pool behind the allocator make free EINVAL and atomic', () => {
    const { allocator, pools } = msm8x60Memory();
    const a = allocator.allocate(VCM_MEMTYPE_0, SZ_64K + SZ_4K, 0);
    pools['smi-4k']!.free(a.chunks[1]!.pa);
    const before = digest(allocator);
    const e = vcmErrorOf(() => allocator.free(a));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain("behind the allocator's back");
    expect(digest(allocator)).toBe(before);
    expect(pools['smi-64k']!.isFree(a.chunks[0]!.pa)).toBe(false);
    // and release cannot be called without the allocator's capability
    expect((a as unknown as { release(t: symbol): boolean }).release(Symbol('vcm.physalloc.release'))).toBe(false);
  });

  it('a caller mutating the public chunks cannot make free return the wrong blocks', () => {
    const { allocator, pools } = msm8x60Memory();
    const a = allocator.allocate(VCM_MEMTYPE_0, SZ_4K, 0);
    (a.chunks as unknown as Array<{ pa: number }>)[0]!.pa = 0x39c0_5000;
    allocator.free(a);
    expect(pools['smi-4k']!.isFree(0x39c0_0000)).toBe(true);
  });
});

describe('PhysAllocator: page-table memory', () => {
  it('hands out 16 KiB aligned to 16 KiB, 1 KiB aligned to 1 KiB and 4 KiB tables from the table region, zero-filled', () => {
    const { allocator, memory } = msm8x60Memory();
    const l1 = allocator.allocateTable(SZ_16K, SZ_16K);
    const l2 = allocator.allocateTable(SZ_1K, SZ_1K);
    const lpae = allocator.allocateTable(SZ_4K, SZ_4K);
    expect(l1).toBe(0x6300_0000);
    expect(l2).toBe(0x6300_4000);
    expect(lpae).toBe(0x6300_5000);
    memory.fill(l2, SZ_1K, 0xff);
    allocator.freeTable(l2, SZ_1K);
    const again = allocator.allocateTable(SZ_1K, SZ_1K);
    expect(again).toBe(l2);
    expect(memory.read(again, SZ_1K).every((b) => b === 0)).toBe(true);
    expect(allocator.stats().tables).toMatchObject({ inUseBytes: SZ_16K + SZ_1K + SZ_4K, allocations: 3 });
  });

  it('allocateTables: the addresses of count allocateTable calls, in order, zero-filled; all or nothing', () => {
    const single = msm8x60Memory();
    const many = msm8x60Memory();
    for (const { allocator, memory } of [single, many]) {
      allocator.allocateTable(SZ_16K, SZ_16K);
      const t = allocator.allocateTable(SZ_1K, SZ_1K);
      allocator.allocateTable(SZ_1K, SZ_1K);
      allocator.freeTable(t, SZ_1K);
      memory.fill(0x6300_4000, SZ_4K, 0xff); // stale bytes where the tables will be
    }
    const want = Array.from({ length: 300 }, () => single.allocator.allocateTable(SZ_1K, SZ_1K));
    const got = many.allocator.allocateTables(SZ_1K, SZ_1K, 300);
    expect(got).toEqual(want);
    expect(got.slice(0, 3)).toEqual([0x6300_4000, 0x6300_4800, 0x6300_4c00]);
    expect(many.memory.read(0x6300_4000, SZ_4K).every((b, i) => (i >= SZ_1K && i < 2 * SZ_1K) || b === 0)).toBe(true);
    expect(digest(many.allocator)).toBe(digest(single.allocator));
    const before = digest(many.allocator);
    const left = Math.floor(many.allocator.tablePool.freeBytes / SZ_4K);
    expect(vcmErrorOf(() => many.allocator.allocateTables(SZ_4K, SZ_4K, left + 1)).code).toBe('ENOMEM');
    for (const [size, align, count] of [
      [SZ_1K, SZ_1K, -1],
      [SZ_1K, SZ_1K, 2.5],
      [SZ_1K, SZ_1K, Number.NaN],
      [512, 512, 1],
      [SZ_4K, 3 * SZ_1K, 1],
    ] as const) {
      expect(vcmErrorOf(() => many.allocator.allocateTables(size, align, count)).code).toBe('EINVAL');
    }
    expect(digest(many.allocator)).toBe(before);
  });

  it('the table pool tracks only the table alignments (1 KiB to 16 KiB): every allocation and free updates five fits per node, not fourteen', () => {
    const { allocator } = msm8x60Memory();
    expect(allocator.tablePool.trackedAlignments).toEqual([SZ_1K, 2 * SZ_1K, SZ_4K, 8 * SZ_1K, SZ_16K]);
  });

  it('freeTable of anything not allocated, or with the wrong size, is EINVAL; bad sizes are EINVAL', () => {
    const { allocator } = msm8x60Memory();
    const t = allocator.allocateTable(SZ_4K, SZ_4K);
    const before = digest(allocator);
    expect(vcmErrorOf(() => allocator.freeTable(t + SZ_1K, SZ_1K)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => allocator.freeTable(t, SZ_1K)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => allocator.freeTable(0x3800_0000, SZ_4K)).code).toBe('EINVAL');
    for (const [size, align] of [
      [512, 512],
      [SZ_32M, SZ_4K],
      [3 * SZ_1K, SZ_1K],
      [SZ_4K, 3 * SZ_1K],
      [Number.NaN, SZ_4K],
    ] as const) {
      expect(vcmErrorOf(() => allocator.allocateTable(size, align)).code).toBe('EINVAL');
    }
    expect(digest(allocator)).toBe(before);
    allocator.freeTable(t, SZ_4K);
    expect(vcmErrorOf(() => allocator.freeTable(t, SZ_4K)).code).toBe('EINVAL');
  });

  it('an exhausted table region is ENOMEM', () => {
    const { allocator } = msm8x60Memory();
    for (let i = 0; i < SZ_8M / SZ_16K; i++) allocator.allocateTable(SZ_16K, SZ_16K);
    const e = vcmErrorOf(() => allocator.allocateTable(SZ_1K, SZ_1K));
    expect(e.code).toBe('ENOMEM');
    expect(isVcmError(e, 'ENOMEM')).toBe(true);
  });
});

describe('PhysAllocator: stats', () => {
  it('reports per pool, per memtype, contiguous pools, tables and host bytes in a stable order', () => {
    const { allocator, memory } = msm8x60Memory();
    const a = allocator.allocate(VCM_MEMTYPE_1, SZ_1M + SZ_4K, 0);
    memory.writeU32(a.chunks[0]!.pa, 1);
    const s = allocator.stats();
    expect(Object.keys(s)).toEqual(['pools', 'contiguousPools', 'memtypes', 'tables', 'hostBytes']);
    expect(s.pools.map((p) => p.name)).toEqual(['smi-16m', 'smi-1m', 'smi-64k', 'smi-4k', 'ebi-16m', 'ebi-1m', 'ebi-64k', 'ebi-4k']);
    expect(s.pools[1]).toEqual({ name: 'smi-1m', base: 0x3900_0000, blockSize: SZ_1M, total: 8, free: 7, inUse: 1, highWater: 1 });
    expect(s.pools[7]).toMatchObject({ name: 'ebi-4k', inUse: 1 });
    expect(s.contiguousPools.map((p) => p.name)).toEqual(['smi-cont', 'ebi-cont']);
    expect(s.memtypes[1]).toEqual({
      id: VCM_MEMTYPE_1,
      name: 'VCM_MEMTYPE_1',
      pools: ['smi-16m', 'smi-1m', 'smi-64k', 'ebi-4k'],
      contiguous: 'smi-cont',
      freeBytes: SZ_16M + 7 * SZ_1M + 4 * SZ_1M + 4 * SZ_1M - SZ_4K,
      totalBytes: SZ_16M + 8 * SZ_1M + 4 * SZ_1M + 4 * SZ_1M,
      allocations: 1,
      allocatedBytes: SZ_1M + SZ_4K,
    });
    expect(s.hostBytes).toBe(SZ_4K);
    expect(JSON.parse(JSON.stringify(allocator))).toEqual(s);
  });
});

describe('PhysAllocator: lengths past the 40-bit physical address space', () => {
  it('are EINVAL naming len, and change nothing', () => {
    const { allocator } = msm8x60Memory();
    const before = JSON.stringify(allocator.stats());
    for (const len of [2 ** 40 + 4096, 2 ** 41, 2 ** 53 - 1]) {
      const e = vcmErrorOf(() => allocator.allocate(VCM_MEMTYPE_0, len, 0));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toMatch(/len/);
    }
    expect(JSON.stringify(allocator.stats())).toBe(before);
  });
});
