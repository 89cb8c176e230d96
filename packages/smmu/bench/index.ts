/**
 * Benchmarks of @vcm/smmu. Run with `pnpm bench`
 * in this package (`--record` writes bench/results.json). Goals are reported, never
 * asserted (CONTRIBUTING.md#benchmarks). The format figures come from
 * `formats.ts`.
 *
 * The RAM is the formats' test RAM (sparse 4 KiB pages), so the figures are
 * the SMMU model's own cost.
 */
import { fileURLToPath } from 'node:url';
import { measureOps, report } from '@vcm/bench-kit';
import type { BenchFigure } from '@vcm/bench-kit';
import { SZ_16M, SZ_4K, VCM_READ, VCM_WRITE } from '@vcm/core';
import { TestRam } from '../src/formats/test-ram.js';
import { armV7Short } from '../src/formats/index.js';
import { Smmu } from '../src/smmu.js';
import type { SmmuContext } from '../src/context.js';
import { formatFigures } from './formats.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const RW = VCM_READ | VCM_WRITE;

/** An active context on a fresh 32-entry LRU SMMU. */
function activeContext(): { smmu: Smmu; ctx: SmmuContext } {
  const ram = new TestRam();
  const smmu = new Smmu({ name: 'bench', base: 0x0440_0000, irq: 1, contextBanks: 2, format: armV7Short, memory: ram, tableAllocator: ram, tlb: { entries: 32 } });
  const ctx = smmu.createContext(0);
  ctx.bind(smmu);
  ctx.activate();
  return { smmu, ctx };
}

// The SMMU figures run first: the format figures map 256 MiB tables in both
// formats, and the garbage and polymorphic call sites they leave behind
// would otherwise be charged to the map/unmap pair measured here.
const figures: BenchFigure[] = [];

{
  const { ctx } = activeContext();
  // A neighbour keeps the level-2 table alive, so the pair measures map + unmap
  // + invalidation rather than allocating and freeing a level-2 table each time.
  ctx.map(0x4000_0000, 0x0010_0000, SZ_4K, RW);
  const REPS = 100;
  figures.push(
    await measureOps({
      name: 'map-unmap-4k-ops-per-s',
      fn: () => {
        for (let i = 0; i < REPS; i++) {
          ctx.updateStart();
          ctx.map(0x4000_1000, 0x0010_1000, SZ_4K, RW);
          ctx.unmap(0x0010_1000, SZ_4K);
          ctx.updateDone();
        }
      },
      scale: REPS,
      goal: { op: '>=', value: 2_000_000 },
      note: 'one 4 KiB smmu_map + smmu_unmap pair in an update bracket, TLB invalidation by address at updateDone',
    }),
  );
}

{
  const { ctx } = activeContext();
  const PAGES = 16;
  for (let i = 0; i < PAGES; i++) ctx.map(0x4000_0000 + i * SZ_4K, i * SZ_4K, SZ_4K, RW);
  for (let i = 0; i < PAGES; i++) ctx.translate(i * SZ_4K); // warm: all 16 cached in 32 entries
  let sink = 0;
  figures.push(
    await measureOps({
      name: 'translate-tlb-hit-ops-per-s',
      fn: () => {
        for (let i = 0; i < PAGES; i++) sink += ctx.translate(i * SZ_4K + 0x10);
      },
      scale: PAGES,
      goal: { op: '>=', value: 30_000_000 },
      note: 'smmu_translate over 16 cached 4 KiB pages in turn (a different entry each time, LRU bookkeeping included)',
    }),
  );
  if (sink === -1) console.log(sink);
}

{
  const { ctx, smmu } = activeContext();
  const PAGES = 64; // twice the TLB: cycling through them in order misses every time under LRU
  for (let i = 0; i < PAGES; i++) ctx.map(0x4000_0000 + i * SZ_4K, i * SZ_4K, SZ_4K, RW);
  let sink = 0;
  figures.push(
    await measureOps({
      name: 'translate-walk-ops-per-s',
      fn: () => {
        for (let i = 0; i < PAGES; i++) sink += ctx.translate(i * SZ_4K + 0x10);
      },
      scale: PAGES,
      goal: { op: '>=', value: 5_000_000 },
      note: 'smmu_translate cycling 64 pages through a 32-entry LRU TLB: every lookup misses, walks two levels in RAM and fills',
    }),
  );
  const s = smmu.tlb.stats();
  if (s.hits !== 0) console.warn(`translate-walk: expected no hits, got ${s.hits}`);
  if (sink === -1) console.log(sink);
}

for (const [page, label] of [
  [SZ_4K, '4k'],
  [SZ_16M, '16m'],
] as const) {
  const { ctx } = activeContext();
  const va = 0x1000_0000;
  ctx.updateStart();
  for (let off = 0; off < SZ_16M; off += page) ctx.map(0x4000_0000 + off, va + off, page, RW);
  ctx.updateDone();
  const accesses = SZ_16M / 64;
  figures.push(
    await measureOps({
      name: label === '4k' ? 'dma-stream-accesses-per-s' : 'dma-stream-16m-pages-accesses-per-s',
      fn: () => ctx.dma.stream(va, SZ_16M, { burst: 64 }),
      scale: accesses,
      unit: 'accesses/s',
      ...(label === '4k' ? { goal: { op: '>=' as const, value: 50_000_000 } } : {}),
      note: `16 MiB in 64-byte bursts through a 32-entry TLB, ${label === '4k' ? '4 KiB pages (4096 misses and walks per stream)' : 'one 16 MiB supersection (1 miss per stream)'}`,
    }),
  );
}

report(packageDir, [...(await formatFigures()), ...figures]);
