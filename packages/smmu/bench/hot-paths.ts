/**
 * The SMMU's per-operation hot paths, each beside a floor measured in the
 * same run that does the same loads and stores per operation in plain
 * typed-array code (docs/performance.md#single-operations):
 *
 * - a TLB hit: one tag compare and one load from a small typed array;
 * - a walk (short format, two levels): two dependent descriptor loads from a
 *   typed array standing for RAM, then the entry's store;
 * - a 4 KiB map + unmap pair in an update bracket: one descriptor store, its
 *   clear, and a loop over the TLB's 32 entries for the invalidation.
 *
 * Floors and figures are timed the same way: the same loop of operations,
 * many times per timed run, the best of several runs.
 */
import { againstFloor, bestTimeMs } from '@vcm/bench-kit';
import type { BenchFigure } from '@vcm/bench-kit';
import { SZ_4K, VCM_READ, VCM_WRITE } from '@vcm/core';
import { TestRam } from '../src/formats/test-ram.js';
import { armV7Short } from '../src/formats/index.js';
import { Smmu } from '../src/smmu.js';
import type { SmmuContext } from '../src/context.js';

const RW = VCM_READ | VCM_WRITE;
const TLB_ENTRIES = 32;

/** An active context on a fresh 32-entry LRU SMMU. */
function activeContext(): { smmu: Smmu; ctx: SmmuContext } {
  const ram = new TestRam();
  const smmu = new Smmu({ name: 'bench', base: 0x0440_0000, irq: 1, contextBanks: 2, format: armV7Short, memory: ram, tableAllocator: ram, tlb: { entries: TLB_ENTRIES } });
  const ctx = smmu.createContext(0);
  ctx.bind(smmu);
  ctx.activate();
  return { smmu, ctx };
}

/**
 * Operations per second of `fn`, which does `reps` operations per call: the
 * best of several timed runs of `rounds` calls after a warm-up, so that
 * neither the timer's nor a harness's per-call cost is charged to a floor
 * of a few nanoseconds an operation.
 */
function rate(reps: number, rounds: number, fn: () => void): number {
  for (let i = 0; i < 200; i++) fn();
  const ms = bestTimeMs(() => {
    for (let k = 0; k < rounds; k++) fn();
  }, 9);
  return Math.round(((reps * rounds) / ms) * 1000);
}

const HIT_PAGES = 16;
const HIT_ROUNDS = 20_000;

/** The hit floor: per lookup, one tag compare and one load of a 16-entry typed-array TLB. */
function hitFloor(): number {
  const tags = new Int32Array(TLB_ENTRIES).fill(-1);
  const pas = new Int32Array(TLB_ENTRIES);
  for (let i = 0; i < HIT_PAGES; i++) {
    tags[i] = i;
    pas[i] = (0x4000_0000 + i * SZ_4K) | 0;
  }
  let sink = 0;
  const r = rate(HIT_PAGES, HIT_ROUNDS, () => {
    let acc = 0;
    for (let i = 0; i < HIT_PAGES; i++) {
      const va = i * SZ_4K + 0x10;
      // The entry's slot from the page number (as a hash or a set index finds it), then its tag compare.
      const s = (va >>> 12) & (TLB_ENTRIES - 1);
      if (tags[s] === va >>> 12) acc += (pas[s]! >>> 0) + (va & 0xfff);
    }
    sink += acc;
  });
  if (sink === -1) console.log(sink);
  return r;
}

const WALK_PAGES = 64;
const WALK_ROUNDS = 2_000;

/**
 * The walk floor: per translation, the level-1 descriptor load, the level-2
 * descriptor load it points to (the short format's 16 KiB and 1 KiB tables
 * in a typed array standing for RAM), and the entry's store into a 32-entry
 * round-robin TLB.
 */
function walkFloor(): number {
  const ram = new Uint32Array((16 * 1024 + 1024) / 4);
  const L2 = 16 * 1024;
  ram[0] = (L2 | 0b01) >>> 0; // level 1, entry 0: a page table at L2
  for (let i = 0; i < WALK_PAGES; i++) ram[L2 / 4 + i] = ((0x4000_0000 + i * SZ_4K) | 0b10) >>> 0; // small pages
  const tlbPa = new Int32Array(TLB_ENTRIES);
  const tlbVa = new Int32Array(TLB_ENTRIES);
  let next = 0;
  let sink = 0;
  const r = rate(WALK_PAGES, WALK_ROUNDS, () => {
    let acc = 0;
    for (let i = 0; i < WALK_PAGES; i++) {
      const va = i * SZ_4K + 0x10;
      const l1 = ram[va >>> 20]!;
      const l2 = ram[((l1 & ~0x3ff) >>> 2) + ((va >>> 12) & 0xff)]!;
      const pa = (l2 & ~0xfff) >>> 0;
      tlbVa[next] = va & ~0xfff;
      tlbPa[next] = pa | 0;
      next = (next + 1) & (TLB_ENTRIES - 1);
      acc += pa + (va & 0xfff);
    }
    sink += acc;
  });
  if (sink === -1) console.log(sink);
  return r;
}

const PAIR_REPS = 100;
const PAIR_ROUNDS = 200;

/** The pair floor: per pair, a descriptor store, its clear, and a tag compare over each of the TLB's 32 entries for the invalidation. */
function pairFloor(): number {
  const table = new Uint32Array(256);
  const tags = new Int32Array(TLB_ENTRIES).fill(-1);
  const r = rate(PAIR_REPS, PAIR_ROUNDS, () => {
    for (let i = 0; i < PAIR_REPS; i++) {
      const va = 0x0010_1000;
      table[(va >>> 12) & 0xff] = (0x4000_1000 | 0b10) >>> 0;
      table[(va >>> 12) & 0xff] = 0;
      for (let s = 0; s < TLB_ENTRIES; s++) if (tags[s] === va >>> 12) tags[s] = -1;
    }
  });
  return r;
}

/** `translate-tlb-hit`, `translate-walk` and the `map-unmap-4k` pair, each followed by its floor and `…-x-floor`. */
export async function hotPathFigures(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];

  {
    const { ctx } = activeContext();
    // A neighbour keeps the level-2 table alive, so the pair measures map + unmap
    // + invalidation rather than allocating and freeing a level-2 table each time.
    ctx.map(0x4000_0000, 0x0010_0000, SZ_4K, RW);
    figures.push(
      ...(await againstFloor({
        unit: 'ops/s',
        better: 'higher',
        floor: {
          name: 'map-unmap-4k-floor-ops-per-s',
          note: 'a typed-array descriptor store, its clear and a tag compare over 32 TLB entries per pair',
          measure: pairFloor,
        },
        figures: [
          {
            name: 'map-unmap-4k-ops-per-s',
            measure: () =>
              rate(PAIR_REPS, PAIR_ROUNDS, () => {
                for (let i = 0; i < PAIR_REPS; i++) {
                  ctx.updateStart();
                  ctx.map(0x4000_1000, 0x0010_1000, SZ_4K, RW);
                  ctx.unmap(0x0010_1000, SZ_4K);
                  ctx.updateDone();
                }
              }),
            goal: { op: '>=', value: 2_000_000 },
            note: 'one 4 KiB smmu_map + smmu_unmap pair in an update bracket, TLB invalidation by address at updateDone; goal within 100x the floor',
          },
        ],
      })),
    );
  }

  {
    const { ctx } = activeContext();
    for (let i = 0; i < HIT_PAGES; i++) ctx.map(0x4000_0000 + i * SZ_4K, i * SZ_4K, SZ_4K, RW);
    for (let i = 0; i < HIT_PAGES; i++) ctx.translate(i * SZ_4K); // warm: all 16 cached in 32 entries
    let sink = 0;
    figures.push(
      ...(await againstFloor({
        unit: 'ops/s',
        better: 'higher',
        floor: {
          name: 'translate-tlb-hit-floor-ops-per-s',
          note: 'a tag compare and a load from a 32-entry typed-array TLB per lookup, 16 pages in turn',
          measure: hitFloor,
        },
        figures: [
          {
            name: 'translate-tlb-hit-ops-per-s',
            measure: () =>
              rate(HIT_PAGES, HIT_ROUNDS, () => {
                let acc = 0;
                for (let i = 0; i < HIT_PAGES; i++) acc += ctx.translate(i * SZ_4K + 0x10);
                sink += acc;
              }),
            goal: { op: '>=', value: 30_000_000 },
            note: 'smmu_translate over 16 cached 4 KiB pages in turn (a different entry each time, LRU bookkeeping included); goal within 8x the floor',
          },
        ],
      })),
    );
    if (sink === -1) console.log(sink);
  }

  {
    const { ctx, smmu } = activeContext();
    // Twice the TLB: cycling through them in order misses every time under LRU.
    for (let i = 0; i < WALK_PAGES; i++) ctx.map(0x4000_0000 + i * SZ_4K, i * SZ_4K, SZ_4K, RW);
    let sink = 0;
    figures.push(
      ...(await againstFloor({
        unit: 'ops/s',
        better: 'higher',
        floor: {
          name: 'translate-walk-floor-ops-per-s',
          note: 'two dependent descriptor loads from a typed array and a store of the entry per translation',
          measure: walkFloor,
        },
        figures: [
          {
            name: 'translate-walk-ops-per-s',
            measure: () =>
              rate(WALK_PAGES, WALK_ROUNDS, () => {
                let acc = 0;
                for (let i = 0; i < WALK_PAGES; i++) acc += ctx.translate(i * SZ_4K + 0x10);
                sink += acc;
              }),
            goal: { op: '>=', value: 5_000_000 },
            note: 'smmu_translate cycling 64 pages through a 32-entry LRU TLB: every lookup misses, walks two levels in RAM and fills; goal within 60x the floor',
          },
        ],
      })),
    );
    const s = smmu.tlb.stats();
    if (s.hits !== 0) console.warn(`translate-walk: expected no hits, got ${s.hits}`);
    if (sink === -1) console.log(sink);
  }

  return figures;
}
