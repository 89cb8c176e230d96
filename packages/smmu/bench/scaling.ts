/**
 * Scaling curves of @vcm/smmu: `scalingFigures()` (called by
 * `bench/index.ts`).
 *
 * - Contexts on one SMMU: with 1, 10, 100 and 1,000 live virtual contexts
 *   (each with its own table and a page mapped in it), the cost of a
 *   context switch and work in one of them, and of the whole life of one
 *   more context.
 * - Host memory per simulated GiB mapped with 4 KiB pages, in a child
 *   process of its own (`bench/host-memory.ts`, `--expose-gc`), against the
 *   RAM the page tables touch.
 *
 * Goals (docs/performance.md#scaling): the largest point costs at most
 * twice the smallest per operation; host memory at most 1.25 × the bytes
 * of simulated RAM touched.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bestTimeMs } from '@vcm/bench-kit';
import type { BenchFigure } from '@vcm/bench-kit';
import { SZ_4K, SZ_64M, VCM_READ, VCM_WRITE } from '@vcm/core';
import { createPhysicalSystem } from '@vcm/physalloc';
import { armV7Short } from '../src/formats/index.js';
import { Smmu } from '../src/smmu.js';
import type { SmmuContext } from '../src/context.js';

const RW = VCM_READ | VCM_WRITE;
const POINTS = [1, 10, 100, 1_000];
/** Contexts the switch figure cycles through (bound to the SMMU's banks); the rest only live. */
const WORKING = 8;
const BANKS = 8;

/** An msm8x60-like SMMU over product RAM whose table region holds 1,000 short-format first-level tables (16 KiB each). */
function board(): Smmu {
  const { memory, allocator } = createPhysicalSystem({
    banks: [{ name: 'ddr', base: 0x8000_0000, size: 2 * SZ_64M }],
    pools: [{ name: 'ddr-4k', bank: 'ddr', base: 0x8000_0000, blockSize: SZ_4K, count: 256 }],
    memtypes: [{ id: 1, name: 'VCM_MEMTYPE_0', pools: ['ddr-4k'] }],
    tableRegion: { base: 0x8000_0000 + SZ_64M, size: SZ_64M },
  });
  return new Smmu({ name: 'bench', base: 0x0440_0000, irq: 1, contextBanks: BANKS, format: armV7Short, memory, tableAllocator: allocator, tlb: { entries: 32 } });
}

const ns = (ms: number, ops: number): number => Math.round(((ms * 1e6) / ops) * 10) / 10;

function ratio(name: string, perOp: number[], note: string): BenchFigure {
  return {
    name,
    value: Math.round(((perOp.at(-1) as number) / (perOp[0] as number)) * 100) / 100,
    unit: 'x',
    goal: { op: '<=', value: 2 },
    note,
  };
}

/** ns per switch (deactivate + activate + translate + map/unmap pair) and per context life, with `n` live contexts. */
function contextPoint(n: number): { switchNs: number; lifeNs: number } {
  const smmu = board();
  const contexts: SmmuContext[] = [];
  for (let i = 0; i < n; i++) {
    const ctx = smmu.createContext(i, { bank: i % BANKS });
    // Each context's own table holds one page: every context has table memory and a leaf.
    ctx.map(0x8000_0000 + (i % 256) * SZ_4K, 0x1000_0000, SZ_4K, RW);
    contexts.push(ctx);
  }
  const working = contexts.slice(0, Math.min(WORKING, n));
  for (const ctx of working) ctx.bind(smmu);
  const SWITCHES = 2_000;
  let sink = 0;
  const switchMs = bestTimeMs(() => {
    for (let s = 0; s < SWITCHES; s++) {
      const ctx = working[s % working.length]!;
      ctx.activate();
      sink += ctx.translate(0x1000_0010);
      ctx.updateStart();
      ctx.map(0x8000_1000, 0x2000_0000, SZ_4K, RW);
      ctx.unmap(0x2000_0000, SZ_4K);
      ctx.updateDone();
      ctx.deactivate();
    }
  }, 15);
  // One more context's whole life: smmu_ctx_init, bind, activate, map, translate, deactivate, deinit.
  const LIVES = 500;
  const lifeMs = bestTimeMs(() => {
    for (let s = 0; s < LIVES; s++) {
      const ctx = smmu.createContext(undefined, { bank: BANKS - 1 });
      ctx.bind(smmu);
      ctx.activate();
      ctx.map(0x8000_2000, 0x3000_0000, SZ_4K, RW);
      sink += ctx.translate(0x3000_0020);
      ctx.deactivate();
      ctx.deinit();
    }
  }, 15);
  if (smmu.contexts.length !== n) throw new Error(`contexts scaling: expected ${n} live contexts, found ${smmu.contexts.length}`);
  if (sink === -1) console.log(sink);
  return { switchNs: ns(switchMs, SWITCHES), lifeNs: ns(lifeMs, LIVES) };
}

function contextFigures(): BenchFigure[] {
  const figures: BenchFigure[] = [];
  const switches: number[] = [];
  const lives: number[] = [];
  for (const n of POINTS) {
    const { switchNs, lifeNs } = contextPoint(n);
    switches.push(switchNs);
    lives.push(lifeNs);
    const among = `${n.toLocaleString('en-US')} live contexts on one SMMU (8 banks, each context's own table holding a page)`;
    figures.push({ name: `scaling-context-switch-${n}-contexts-ns-per-op`, value: switchNs, unit: 'ns/op', note: `activate + translate + map/unmap pair in a bracket + deactivate, cycling 8 bound contexts among ${among}` });
    figures.push({ name: `scaling-context-life-${n}-contexts-ns-per-op`, value: lifeNs, unit: 'ns/op', note: `one more context: create + bind + activate + map + translate + deactivate + deinit, among ${among}` });
  }
  figures.push(ratio('scaling-context-switch-largest-x-smallest', switches, 'context switch and work at 1,000 live contexts over 1, measured in the same run'));
  figures.push(ratio('scaling-context-life-largest-x-smallest', lives, 'one more context\'s life at 1,000 live contexts over 1, measured in the same run'));
  return figures;
}

/** What `bench/host-memory.ts` prints: one JSON line per format. */
interface HostMemoryPoint {
  format: string;
  gib: number;
  hostBytes: number;
  tableBytes: number;
  touchedBytes: number;
}

/** Child processes measured for the host memory figures: one process's after-gc heap varies by ± 5 % (1.11–1.29 × in ten runs of the same code), so the median is the figure. */
const HOST_MEMORY_RUNS = 3;

function hostMemoryFigures(): BenchFigure[] {
  const script = fileURLToPath(new URL('host-memory.ts', import.meta.url));
  const byFormat = new Map<string, HostMemoryPoint[]>();
  for (let r = 0; r < HOST_MEMORY_RUNS; r++) {
    const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], { encoding: 'utf8' });
    if (run.status !== 0) {
      console.warn(`scaling: bench/host-memory.ts failed, the host memory figures are left out\n${run.stderr}`);
      return [];
    }
    for (const line of run.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      const p = JSON.parse(line) as HostMemoryPoint;
      const points = byFormat.get(p.format);
      if (points === undefined) byFormat.set(p.format, [p]);
      else points.push(p);
    }
  }
  const figures: BenchFigure[] = [];
  for (const points of byFormat.values()) {
    const sorted = points.sort((a, b) => a.hostBytes - b.hostBytes);
    const p = sorted[(sorted.length - 1) >> 1]!;
    const spread = sorted.map((q) => (q.hostBytes / q.touchedBytes).toFixed(2)).join(' / ');
    const prefix = p.format === 'arm-lpae-4k' ? 'lpae-' : '';
    const perGiB = (x: number): number => Math.round((x / p.gib / 1024) * 10) / 10;
    figures.push({ name: `${prefix}host-memory-per-gib-4k-kib`, value: perGiB(p.hostBytes), unit: 'KiB', note: `${p.format}: host memory (heap + array buffers, after gc) per GiB mapped as 4 KiB pages, ${p.gib} GiB mapped; the median of ${sorted.length} processes` });
    figures.push({ name: `${prefix}page-table-bytes-per-gib-4k-kib`, value: perGiB(p.tableBytes), unit: 'KiB', note: `${p.format}: the page tables' own bytes per GiB` });
    figures.push({ name: `${prefix}touched-ram-per-gib-4k-kib`, value: perGiB(p.touchedBytes), unit: 'KiB', note: `${p.format}: simulated RAM touched per GiB (the 4 KiB pages holding the tables)` });
    figures.push({
      name: `${prefix}host-memory-per-gib-4k-x-touched`,
      value: Math.round((p.hostBytes / p.touchedBytes) * 100) / 100,
      unit: 'x',
      goal: { op: '<=', value: 1.25 },
      note: `${p.format}: host memory over the simulated RAM touched (page tables included), the median of ${sorted.length} processes (${spread})`,
    });
  }
  return figures;
}

export function scalingFigures(): BenchFigure[] {
  return [...contextFigures(), ...hostMemoryFigures()];
}
