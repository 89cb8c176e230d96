/**
 * Property tests of the allocator over random alloc/free sequences on the
 * MSM8x60 preset: no two live allocations overlap,
 * every block is free or in exactly one allocation, a rejected call leaves
 * the stats digest unchanged, freeing everything restores every pool.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SZ_16M,
  SZ_4K,
  VCM_1MB,
  VCM_4KB,
  VCM_64KB,
  VCM_ALL,
  VCM_PHYS_CONT,
  VcmError,
  alignReqBytes,
  vcmPhysAlignAttr,
} from '@vcm/core';
import type { PhysAllocation } from '@vcm/core';
import { msm8x60Memory } from './msm8x60.js';
import type { PhysicalSystem } from './system.js';

const selections = [0, VCM_ALL, VCM_4KB, VCM_64KB, VCM_1MB, VCM_1MB | VCM_64KB, VCM_64KB | VCM_4KB, VCM_1MB | VCM_4KB];

const opArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('alloc' as const),
      memtype: fc.integer({ min: 0, max: 5 }), // 0 and 5 are not memtypes
      len: fc.oneof(fc.integer({ min: 1, max: 64 * SZ_4K }), fc.integer({ min: 1, max: 3 * SZ_16M }), fc.constantFrom(0, -1, 1.5)),
      sel: fc.constantFrom(...selections),
      cont: fc.boolean(),
      alignOrder: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 13 }) }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('double-free' as const), pick: fc.nat() }) },
);

/** Stats without the high-water marks (which, by design, remember the past). */
function shape(system: PhysicalSystem): unknown {
  return JSON.parse(JSON.stringify(system.allocator.stats()).replace(/"highWater(Bytes)?":\d+/g, '"highWater":0')) as unknown;
}

function checkInvariants(system: PhysicalSystem, live: readonly PhysAllocation[]): void {
  // No two live chunks overlap.
  const ranges = live.flatMap((a) => a.chunks.map((c) => [c.pa, c.pa + c.len] as const)).sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThanOrEqual(ranges[i - 1]![1]);
  // Every block is either free or in exactly one live allocation.
  const owners = new Map<number, number>();
  for (const a of live) for (const c of a.chunks) owners.set(c.pa, (owners.get(c.pa) ?? 0) + 1);
  for (const pool of Object.values(system.pools)) {
    let inUse = 0;
    const wrong: string[] = [];
    for (let i = 0; i < pool.count; i++) {
      const pa = pool.base + i * pool.blockSize;
      const n = owners.get(pa) ?? 0;
      const free = pool.isFree(pa);
      if (!free) inUse++;
      if (free ? n !== 0 : n !== 1) wrong.push(`${pool.name} block ${i}: free=${free}, in ${n} allocations`);
    }
    expect(wrong).toEqual([]);
    expect(pool.inUse).toBe(inUse);
  }
  // Contiguous pools: in-use bytes are exactly the live contiguous chunks inside them.
  for (const pool of Object.values(system.contiguousPools)) {
    const used = live.flatMap((a) => a.chunks).filter((c) => pool.contains(c.pa)).reduce((s, c) => s + c.len, 0);
    expect(pool.inUseBytes).toBe(used);
  }
}

describe('PhysAllocator properties (fast-check)', () => {
  it('random alloc/free sequences keep every invariant; rejected calls change nothing; freeing all restores the pools', () => {
    fc.assert(
      // fast-check draws lengths from `size`, not `maxLength`: 'max' runs up to 60 calls, enough to exhaust pools.
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60, size: 'max' }), (ops) => {
        const system = msm8x60Memory();
        const { allocator } = system;
        const initial = shape(system);
        const live: PhysAllocation[] = [];
        const dead: PhysAllocation[] = [];
        for (const op of ops) {
          if (op.kind === 'alloc') {
            const attr = op.sel | (op.cont ? VCM_PHYS_CONT : 0) | vcmPhysAlignAttr(SZ_4K << op.alignOrder);
            const before = JSON.stringify(allocator.stats());
            let a: PhysAllocation | undefined;
            try {
              a = allocator.allocate(op.memtype, op.len, attr);
            } catch (e) {
              expect(e).toBeInstanceOf(VcmError);
              expect(['EINVAL', 'ENOMEM']).toContain((e as VcmError).code);
              expect(JSON.stringify(allocator.stats())).toBe(before);
            }
            if (a !== undefined) {
              const asked = Math.ceil(op.len / SZ_4K) * SZ_4K;
              expect(a.memtype).toBe(op.memtype);
              expect(a.len).toBe(a.chunks.reduce((s, c) => s + c.len, 0));
              expect(a.len).toBeGreaterThanOrEqual(asked);
              const align = alignReqBytes(attr);
              if (op.cont) {
                expect(a.chunks.length).toBe(1);
                expect(a.len).toBe(asked);
                expect(a.chunks[0]!.pa % align).toBe(0);
                expect(a.contiguous).toBe(true);
              } else {
                // never over-allocates by more than the one rounded-up block
                const smallest = Math.min(...a.chunks.map((c) => c.blockSize));
                expect(a.len - asked).toBeLessThan(smallest);
                for (const c of a.chunks) {
                  expect(c.len).toBe(c.blockSize);
                  expect(c.blockSize).toBeGreaterThanOrEqual(align);
                  expect(c.pa % c.blockSize).toBe(0);
                }
                // largest blocks first
                for (let i = 1; i < a.chunks.length; i++) expect(a.chunks[i]!.blockSize).toBeLessThanOrEqual(a.chunks[i - 1]!.blockSize);
              }
              live.push(a);
            }
          } else if (op.kind === 'free') {
            if (live.length === 0) continue;
            const [a] = live.splice(op.pick % live.length, 1);
            allocator.free(a!);
            dead.push(a!);
          } else {
            if (dead.length === 0) continue;
            const before = JSON.stringify(allocator.stats());
            expect(() => allocator.free(dead[op.pick % dead.length]!)).toThrow(/EINVAL/);
            expect(JSON.stringify(allocator.stats())).toBe(before);
          }
          checkInvariants(system, live);
        }
        for (const a of live) allocator.free(a);
        expect(shape(system)).toEqual(initial);
        for (const pool of Object.values(system.pools)) {
          let free = 0;
          for (let i = 0; i < pool.count; i++) if (pool.isFree(pool.base + i * pool.blockSize)) free++;
          expect(free).toBe(pool.count);
        }
      }),
      // Runs of up to 60 calls, each checking every block: fewer, longer runs.
      { numRuns: 60 },
    );
  });
});
