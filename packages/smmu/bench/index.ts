/**
 * Benchmarks of @vcm/smmu. Run with `pnpm bench`
 * in this package (`--record` writes bench/results.json). Goals are reported, never
 * asserted (CONTRIBUTING.md#benchmarks). The format figures come from
 * `formats.ts`, the data path's from `data-path.ts`.
 *
 * The RAM of the streams and single operations is the formats' test RAM
 * (sparse 4 KiB pages), so the figures are the SMMU model's own cost; the
 * data path moves bytes through the product's RAM (`@vcm/physalloc`).
 */
import { fileURLToPath } from 'node:url';
import { againstFloor, bestTimeMs, measureOps, report, timesFloor } from '@vcm/bench-kit';
import type { BenchFigure } from '@vcm/bench-kit';
import { SZ_16M, SZ_4K, VCM_READ, VCM_WRITE } from '@vcm/core';
import { TestRam } from '../src/formats/test-ram.js';
import { armV7Short } from '../src/formats/index.js';
import { Smmu } from '../src/smmu.js';
import type { SmmuContext } from '../src/context.js';
import type { CacheOverrides, SmmuModelName } from '../src/caches/config.js';
import { formatFigures } from './formats.js';
import { scalingFigures } from './scaling.js';
import { hotPathFigures } from './hot-paths.js';
import { dataPathFigures } from './data-path.js';
import { checkedModelWorkFloor } from './stream-model-floor.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const RW = VCM_READ | VCM_WRITE;

// The SMMU figures run first: the format figures map 256 MiB tables in both
// formats, and the garbage and polymorphic call sites they leave behind
// would otherwise be charged to the map/unmap pair measured here.
const figures: BenchFigure[] = await hotPathFigures();

/** 16 MiB mapped as 4 KiB pages (or one supersection) on a fresh SMMU of `model` (with `caches` over it), bank 0 active. */
function streamContext(model: SmmuModelName, page: number, caches: CacheOverrides = {}): SmmuContext {
  const ram = new TestRam();
  const smmu = new Smmu({ name: 'bench', base: 0x0440_0000, irq: 1, contextBanks: 2, format: armV7Short, memory: ram, tableAllocator: ram, model, caches });
  const ctx = smmu.createContext(0);
  ctx.bind(smmu);
  ctx.activate();
  ctx.updateStart();
  for (let off = 0; off < SZ_16M; off += page) ctx.map(0x4000_0000 + off, STREAM_VA + off, page, RW);
  ctx.updateDone();
  return ctx;
}

const STREAM_VA = 0x1000_0000;
const STREAM_ACCESSES = SZ_16M / 64;

/**
 * Accesses per second of one 16 MiB stream in 64-byte bursts on each
 * context, the best of a few runs. The contexts are warmed and timed in
 * turn, so that each is measured with the code the JIT made for all of them
 * — as a study that uses several models sees it — rather than the first with
 * code specialised for it alone and the next after a deoptimisation.
 */
function streamRates(ctxs: readonly SmmuContext[]): number[] {
  // Warm the JIT on every context's path: the steady state is what a study of thousands of streams sees.
  for (let i = 0; i < 30; i++) for (const ctx of ctxs) ctx.dma.stream(STREAM_VA, SZ_16M, { burst: 64 });
  const best = ctxs.map(() => Infinity);
  for (let round = 0; round < 15; round++) {
    ctxs.forEach((ctx, i) => {
      best[i] = Math.min(best[i]!, bestTimeMs(() => ctx.dma.stream(STREAM_VA, SZ_16M, { burst: 64 }), 1));
    });
  }
  return best.map((ms) => Math.round((STREAM_ACCESSES / ms) * 1000));
}

/**
 * The floor: the stream's own work per access in plain typed-array code. At
 * each page crossing one translation as the benchmark's stream makes it — a
 * lookup (the slot from the page number, one tag compare) that misses, as
 * every crossing of this stream does in a 32-entry TLB, the two dependent
 * descriptor loads of the short format's walk from a typed array standing
 * for RAM, and the entry's fill into the slot it missed (its tag and physical base stored) — then
 * the accesses left inside the page counted at once, as the stream counts
 * them. (It did only one typed-array read per page before: a floor without
 * the walk the stream cannot avoid, docs/performance.md#the-dma-stream.)
 */
function streamFloor(): number {
  const L2 = 16 * 1024;
  const ram = new Uint32Array((L2 + (SZ_16M / SZ_4K) * 4) / 4);
  // Level 1: 16 entries (16 MiB from STREAM_VA), each a 1 KiB level-2 table of 256 small pages.
  for (let i = 0; i < 16; i++) ram[(STREAM_VA >>> 20) + i] = ((L2 + i * 1024) | 0b01) >>> 0;
  for (let p = 0; p < SZ_16M / SZ_4K; p++) ram[L2 / 4 + p] = ((0x4000_0000 + p * SZ_4K) | 0b10) >>> 0;
  const tags = new Int32Array(32).fill(-1);
  const pas = new Int32Array(32);
  let sink = 0;
  const ms = bestTimeMs(() => {
    let accesses = 0;
    let hits = 0;
    for (let a = STREAM_VA; a < STREAM_VA + SZ_16M; a += 64) {
      const vpn = a >>> 12;
      const s = vpn & 31;
      if (tags[s] !== vpn) {
        const l1 = ram[a >>> 20]!;
        const l2 = ram[((l1 & ~0x3ff) >>> 2) + (vpn & 0xff)]!;
        tags[s] = vpn;
        pas[s] = l2 & ~0xfff;
      }
      sink += pas[s]!;
      const lo = vpn * SZ_4K;
      const n = Math.ceil((lo + SZ_4K - a) / 64);
      accesses += n;
      hits += n - 1;
      a += (n - 1) * 64;
    }
    sink += accesses + hits;
  }, 15);
  if (sink === -1) console.log(sink);
  return Math.round((STREAM_ACCESSES / ms) * 1000);
}

// Today's SMMU (msm8x60: one 32-entry TLB), the hierarchy (mmu-600's
// micro-TLB, 2048-entry 4-way main TLB, walk cache and timing) and the whole
// mmu-600 model (the same with next-page prefetch) in the same run, each
// beside the floor: the hierarchy must stay within 2× of today.
const msmCtx = streamContext('msm8x60', SZ_4K);
const hierarchyCtx = streamContext('mmu-600', SZ_4K, { prefetch: false });
const mmu600Ctx = streamContext('mmu-600', SZ_4K);
const [msmRate, hierarchyRate, mmu600Rate] = streamRates([msmCtx, hierarchyCtx, mmu600Ctx]) as [number, number, number];
figures.push(
  ...(await againstFloor({
    unit: 'accesses/s',
    better: 'higher',
    floor: {
      name: 'stream-loop-floor-accesses-per-s',
      note: 'the stream\'s work in typed arrays: 16 MiB in 64-byte bursts; per 4 KiB page a missing lookup, a two-level walk and a fill, then its 64 accesses counted at once',
      measure: streamFloor,
    },
    figures: [
      {
        name: 'dma-stream-accesses-per-s',
        measure: () => msmRate,
        goal: { op: '>=', value: 50_000_000 },
        note: 'msm8x60 (today\'s SMMU: one 32-entry TLB, untimed): 16 MiB in 64-byte bursts, 4 KiB pages (4096 misses and walks per stream)',
      },
      {
        name: 'dma-stream-hierarchy-accesses-per-s',
        measure: () => hierarchyRate,
        note: 'the cache hierarchy (mmu-600 without prefetch: micro-TLB, 2048-entry 4-way main TLB, walk cache, timing with histogram): the same stream; goal within 2x of dma-stream-accesses-per-s',
      },
      {
        name: 'dma-stream-mmu-600-accesses-per-s',
        measure: () => mmu600Rate,
        note: 'the whole mmu-600 model (the hierarchy and next-page prefetch): the same stream',
      },
    ],
  })),
);

// The model's own work at each page crossing, flat in typed arrays (checked
// to end with the model's counters and entries): how far the layering is
// from a hand-flattened copy of itself (docs/performance.md#the-dma-stream).
{
  const floor = checkedModelWorkFloor(streamContext('msm8x60', SZ_4K), STREAM_VA);
  for (let i = 0; i < 30; i++) floor.stream(STREAM_VA, SZ_16M);
  const rate = Math.round((STREAM_ACCESSES / bestTimeMs(() => floor.stream(STREAM_VA, SZ_16M), 15)) * 1000);
  figures.push(
    {
      name: 'stream-model-work-floor-accesses-per-s',
      value: rate,
      unit: 'accesses/s',
      note: "the msm8x60 stream's own decisions in typed arrays: per 4 KiB page a hash lookup in a 32-entry fully associative TLB, the short-format walk with its type, access-flag and permission decode, the LRU victim out of hash and list, the entry stored, the counters; checked to end with the model's counters and entries",
    },
    {
      name: 'dma-stream-accesses-per-s-x-model-work-floor',
      value: timesFloor(msmRate, rate, 'higher'),
      unit: 'x floor',
      note: 'dma-stream-accesses-per-s against stream-model-work-floor-accesses-per-s of the same run: what the layered model costs over a flat copy of its own work',
    },
  );
}

figures.push(
  {
    name: 'dma-stream-hierarchy-x-msm8x60',
    value: Math.round((msmRate / hierarchyRate) * 100) / 100,
    unit: 'x',
    goal: { op: '<=', value: 2 },
    note: 'what the hierarchy (micro-TLB, main TLB, walk cache, timing) costs per access over today\'s one TLB: dma-stream-accesses-per-s over dma-stream-hierarchy-accesses-per-s, timed in turn in the same run',
  },
  {
    name: 'dma-stream-mmu-600-x-msm8x60',
    value: Math.round((msmRate / mmu600Rate) * 100) / 100,
    unit: 'x',
    goal: { op: '<=', value: 2 },
    note: 'the same with next-page prefetch on as well (the whole mmu-600 model): dma-stream-accesses-per-s over dma-stream-mmu-600-accesses-per-s',
  },
);

{
  const ctx = streamContext('msm8x60', SZ_16M);
  figures.push(
    await measureOps({
      name: 'dma-stream-16m-pages-accesses-per-s',
      fn: () => ctx.dma.stream(STREAM_VA, SZ_16M, { burst: 64 }),
      scale: STREAM_ACCESSES,
      unit: 'accesses/s',
      note: '16 MiB in 64-byte bursts through a 32-entry TLB, one 16 MiB supersection (1 miss per stream)',
    }),
  );
}

figures.push(...(await dataPathFigures()));

report(packageDir, [...(await formatFigures()), ...figures, ...scalingFigures()]);
