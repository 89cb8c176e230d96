/**
 * `memory`: the board's memories, block pools and memory types, and one
 * max-munch allocation laid out chunk by chunk (`all` runs this first, so
 * the board is on screen before the walk-throughs use it). The allocation is
 * chosen to take blocks of every size the memtype has: 16 MiB + 2 MiB +
 * 3 × 64 KiB + 5 × 4 KiB on MSM8x60's VCM_MEMTYPE_0.
 */
import { VCM_ALL, VCM_MEMTYPE_0 } from '@vcm/core';
import type { PhysChunk } from '@vcm/core';
import { eqNum, eqSize, holds } from '../checks.js';
import { formatSize, hex } from '../format.js';
import { buildBoardPlatform } from '../platform.js';
import type { Walkthrough } from './types.js';

/** Blocks of each size the request should take: max munch over 16 MiB, 1 MiB, 64 KiB, 4 KiB. */
function planFor(len: number, sizes: readonly number[]): Map<number, number> {
  const plan = new Map<number, number>();
  let rest = len;
  for (const s of sizes) {
    const n = Math.floor(rest / s);
    plan.set(s, n);
    rest -= n * s;
  }
  return plan;
}

export const memory: Walkthrough = {
  id: 'memory',
  title: 'Memories, pools and one max-munch allocation',
  source: 'seed 000 "Physical Memory Allocation and Reservation Backing"; docs/hardware.md#the-msm8x60-memory-arrangement',
  summary:
    'The physical side of the board: its RAM banks, the fixed-size block pools each memory gives the VCMM (blocks are never split or coalesced), the contiguous pools, and the memory types as ordered pool lists. Then one vcm_phys_alloc() shows max munch at work: as many of the largest blocks as fit, the rest carried down to smaller sizes, all or nothing.',
  // Whatever memtype the board has: VCM_MEMTYPE_0, else its first one (the validator insists on one).
  needs: {},
  run(rec, ctx) {
    const platform = rec.step(
      'vcm_sys_init();',
      `buildPlatform(${ctx.board.name})`,
      () => buildBoardPlatform(ctx.board),
      (p) => `${p.memory.banks.length} bank(s), ${p.allocator.blockPools.length} block pool(s), ${p.allocator.memtypes.length} memtype(s)`,
    );
    const { memory: ram, allocator } = platform;
    const bankOf = (pa: number): string => ram.banks.find((b) => pa >= b.base && pa < b.base + b.size)?.name ?? '?';

    rec.table({
      title: 'Memories (RAM banks)',
      columns: ['bank', 'base', 'end', 'size'],
      rows: ram.banks.map((b) => [b.name, hex(b.base), hex(b.base + b.size - 1), formatSize(b.size)]),
    });

    const memtype = allocator.memtypes.includes(VCM_MEMTYPE_0) ? VCM_MEMTYPE_0 : allocator.memtypes[0]!;
    const type = allocator.memtype(memtype);
    const before = allocator.stats();
    // Ask for one block of the largest size and 2, 3, 5 of the next ones, as far as the type has
    // sizes and blocks; the smaller sizes never add up to a larger block, so max munch takes exactly these.
    const wanted = [1, 2, 3, 5];
    const blocksOf = (s: number): number => type.pools.filter((p) => p.blockSize === s).reduce((n, p) => n + p.freeBlocks, 0);
    const request = [...new Set(type.pools.map((p) => p.blockSize))]
      .sort((a, b) => b - a)
      .map((s, i) => ({ size: s, count: Math.min(wanted[i] ?? 1, blocksOf(s)) }))
      .filter((r) => r.count > 0);
    const sizesInType = request.map((r) => r.size);
    const len = request.reduce((sum, r) => sum + r.size * r.count, 0);
    const lenText = request.map((r) => `${r.count} × ${formatSize(r.size)}`).join(' + ');

    const allocation = rec.step(
      `physmem = vcm_phys_alloc(${type.name}, ${hex(len)}, VCM_ALL);`,
      `allocator.allocate(${memtype}, ${hex(len)} /* ${formatSize(len)} */, VCM_ALL)`,
      () => allocator.allocate(memtype, len, VCM_ALL),
      (a) => `${a.chunks.length} chunk(s), ${formatSize(a.len)}, ${a.contiguous ? 'physically contiguous' : 'physically discontiguous'}`,
      `${formatSize(len)} = ${lenText}: max munch takes exactly these blocks from ${type.name}'s pools (${type.pools.map((p) => p.name).join(', ')}).`,
    );
    const after = allocator.stats();

    rec.table({
      title: 'Block pools (free blocks before and after the allocation)',
      columns: ['pool', 'bank', 'block', 'base', 'blocks', 'free before', 'free after'],
      numeric: [4, 5, 6],
      rows: before.pools.map((p, i) => [p.name, bankOf(p.base), formatSize(p.blockSize), hex(p.base), p.total, p.free, after.pools[i]?.free ?? '?']),
    });
    rec.table({
      title: 'Contiguous pools (one-to-one VCMs and VCM_PHYS_CONT)',
      columns: ['pool', 'bank', 'base', 'size', 'free'],
      rows: before.contiguousPools.map((p) => [p.name, bankOf(p.base), hex(p.base), formatSize(p.size), formatSize(p.freeBytes)]),
    });
    rec.table({
      title: 'Memory types (pools in max-munch order)',
      columns: ['id', 'memtype', 'pools', 'contiguous pool'],
      rows: before.memtypes.map((m) => [m.id, m.name, m.pools.join(' → '), m.contiguous ?? '—']),
    });

    const chunks: readonly PhysChunk[] = allocation.chunks;
    // Group runs of equal-size chunks so a 1024-chunk allocation stays readable.
    const rows: (string | number)[][] = [];
    for (let i = 0; i < chunks.length; ) {
      let j = i;
      while (j + 1 < chunks.length && chunks[j + 1]!.blockSize === chunks[i]!.blockSize) j++;
      const first = chunks[i]!;
      const last = chunks[j]!;
      rows.push([j === i ? `${i}` : `${i}..${j}`, formatSize(first.blockSize), j - i + 1, hex(first.pa), hex(last.pa + last.len - 1), bankOf(first.pa)]);
      i = j + 1;
    }
    rec.table({
      title: `The allocation: ${formatSize(allocation.len)} from ${type.name}`,
      columns: ['chunk', 'block', 'count', 'first pa', 'last byte', 'bank'],
      numeric: [2],
      rows,
    });
    rec.set('allocation', { memtype, len: allocation.len, chunks: chunks.map((c) => ({ pa: c.pa, len: c.len, blockSize: c.blockSize })) });
    rec.set('pools', before.pools.map((p, i) => ({ name: p.name, blockSize: p.blockSize, total: p.total, freeBefore: p.free, freeAfter: after.pools[i]?.free })));

    // ---- checks ----
    rec.check(eqSize('allocation is exactly the request (no over-allocation)', len, allocation.len));
    const expectedPlan = planFor(len, sizesInType);
    for (const s of sizesInType) {
      const got = chunks.filter((c) => c.blockSize === s).length;
      rec.check(eqNum(`max munch took ${expectedPlan.get(s)} block(s) of ${formatSize(s)}`, expectedPlan.get(s) ?? 0, got));
    }
    const misaligned = chunks.filter((c) => c.pa % c.blockSize !== 0);
    rec.check(holds('every chunk is aligned to its block size', misaligned.length === 0, '0 misaligned', `${misaligned.length} misaligned`));
    const sorted = [...chunks].sort((a, b) => a.pa - b.pa);
    const overlaps = sorted.filter((c, i) => i > 0 && sorted[i - 1]!.pa + sorted[i - 1]!.len > c.pa).length;
    rec.check(holds('chunks are pairwise disjoint', overlaps === 0, '0 overlaps', `${overlaps} overlaps`));
    const outside = chunks.filter((c) => !ram.contains(c.pa, c.len)).length;
    rec.check(holds('every chunk lies inside one RAM bank', outside === 0, '0 outside', `${outside} outside`));
    const taken = before.pools.reduce((n, p, i) => n + (p.free - (after.pools[i]?.free ?? p.free)) * p.blockSize, 0);
    rec.check(eqSize('pool free counts dropped by exactly the allocation', allocation.len, taken));

    rec.step('vcm_phys_free(physmem);', 'allocator.free(physmem)', () => allocator.free(allocation), () => 'blocks returned to their pools');
    const freed = allocator.stats();
    const restored = before.pools.every((p, i) => freed.pools[i]?.free === p.free);
    rec.check(holds('after vcm_phys_free every pool is as before', restored, 'free counts as before the allocation', restored ? 'as before' : 'differ'));
  },
};
