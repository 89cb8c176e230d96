/**
 * The performance half of `tlb-study` (docs/performance-study.md): seed 000
 * says large pages let "the multimedia block … meet its performance goals";
 * here that is measured in cycles. NV12 frames at 1080p and 4K, laid out as
 * a video decoder lays them out, are scanned out by the display engine
 * (raster and rotated) and written by the decoder, through SMMUs built with
 * the msm8x60, MMU-500 and MMU-600 translation caches, walk cache on and
 * off, on every mapping the seed and LPAE offer. Each row gives what each
 * cache missed, the descriptors the walks read, the cycles of the slowest
 * frame, the bandwidth achieved against the bandwidth the frame rate needs,
 * and whether the frame deadline is met.
 */
import { SZ_16M, SZ_1M, SZ_4K, SZ_64K, VCM_1MB, VCM_4KB, VCM_64KB, VCM_READ, VCM_START, VCM_WRITE, Vcmm } from '@vcm/core';
import type { PhysChunk, PhysicalAllocator } from '@vcm/core';
import { forEachRun, imageGeometry, pageRounded } from '@vcm/scenario';
import type { PatternSpec } from '@vcm/scenario';
import { SMMU_MODELS, Smmu, armLpae4k, armV7Short, createSmmuDriver } from '@vcm/smmu';
import type { CacheOverrides, SmmuContext, SmmuModelName, StreamCacheCounts, StreamResult } from '@vcm/smmu';
import type { BarChart, Cell, Check, Table } from '../report.js';
import { holds } from '../checks.js';
import { formatSize } from '../format.js';
import type { Progress } from '../progress.js';
import type { BoardPlatform } from '../platform.js';

/** Frames per row when `--frames` is not given: the cold first frame, the slowest (docs/performance-study.md#frames). */
export const DEFAULT_FRAMES = 1;
/** The most `--frames` accepts: a 4K rotated frame is ~13,000 DMA requests per row. */
export const MAX_FRAMES = 100;
/** Frame rates every row is judged at. */
export const FRAME_RATES = [30, 60] as const;
/** Bytes per DMA access: a 16-beat burst of 16 bytes, as the TLB study's scan-out. */
export const BURST = 256;
/** The column strip a rotated scan-out reads down the rows: the scenario engine's default rotated strip. */
export const ROTATION_STRIP = 1024;
/** Stride and scanline alignment of a Venus/iris NV12 decoder output (docs/performance-study.md#frame-sizes). */
export const STRIDE_ALIGN = 128;
export const SCANLINE_ALIGN = 32;
const FRAME_VA = 0x1000_0000;

/** One NV12 frame as a decoder allocates it. */
export interface FrameGeometry {
  readonly name: '1080p' | '4K';
  readonly width: number;
  readonly height: number;
  /** Bytes per row of both planes: the width aligned to 128. */
  readonly stride: number;
  /** Rows of the Y plane: the height aligned to 32; the CbCr plane has half as many. */
  readonly scanlines: number;
  /** stride × (scanlines + scanlines / 2): every byte the decoder writes and the display reads. */
  readonly bytes: number;
  /** `bytes` rounded up to whole 4 KiB pages: what is allocated and mapped at least. */
  readonly allocated: number;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** The frame a Venus/iris decoder writes for `width` × `height` NV12 (docs/performance-study.md#frame-sizes). */
export function nv12Frame(name: FrameGeometry['name'], width: number, height: number): FrameGeometry {
  const stride = alignUp(width, STRIDE_ALIGN);
  const g = imageGeometry({ format: 'NV12', width, height, stride, heightAlign: SCANLINE_ALIGN });
  return { name, width, height, stride, scanlines: g.alignedHeight, bytes: g.bytes, allocated: pageRounded(g.bytes) };
}

export const FRAMES: readonly FrameGeometry[] = [nv12Frame('1080p', 1920, 1080), nv12Frame('4K', 3840, 2160)];

/** A master's traffic on one frame: who, which direction, in which order. */
export interface Traffic {
  readonly name: 'scan-out' | 'rotated scan-out' | 'decoder write';
  readonly access: 'read' | 'write';
  readonly pattern: PatternSpec;
}

export const TRAFFIC: readonly Traffic[] = [
  { name: 'scan-out', access: 'read', pattern: { kind: 'sequential' } },
  { name: 'rotated scan-out', access: 'read', pattern: { kind: 'rotated', strip: ROTATION_STRIP } },
  { name: 'decoder write', access: 'write', pattern: { kind: 'sequential' } },
];

/** A translation-cache configuration of the study: a model, and whether its walk cache is on. */
export interface CacheSetup {
  readonly name: string;
  readonly model: SmmuModelName;
  readonly walkCache: boolean;
  readonly caches: CacheOverrides;
}

/**
 * The seeds give the msm8x60 SMMU no latencies, so its rows use the MMU-500's
 * timing: the msm8x60 rows then differ from the MMU-500 rows only in the
 * caches. Its "walk cache on" row borrows the MMU-500's walk cache.
 */
const MSM_TIMING = SMMU_MODELS['mmu-500'].timing;
export const CACHE_SETUPS: readonly CacheSetup[] = [
  { name: 'msm8x60', model: 'msm8x60', walkCache: false, caches: { timing: MSM_TIMING } },
  { name: 'msm8x60 + walk cache', model: 'msm8x60', walkCache: true, caches: { timing: MSM_TIMING, walkCache: SMMU_MODELS['mmu-500'].walkCache } },
  { name: 'mmu-500', model: 'mmu-500', walkCache: true, caches: {} },
  { name: 'mmu-500 − walk cache', model: 'mmu-500', walkCache: false, caches: { walkCache: { enabled: false } } },
  { name: 'mmu-600', model: 'mmu-600', walkCache: true, caches: {} },
  { name: 'mmu-600 − walk cache', model: 'mmu-600', walkCache: false, caches: { walkCache: { enabled: false } } },
];

/** How the frame is mapped: the format, and the leaves it gets. */
export interface MappingPlan {
  readonly name: string;
  readonly format: 'armV7Short' | 'armLpae4k';
  /** Short format: one page of this size per piece over the 16 MiB block; 0: the max-munch mix's blocks. */
  readonly page: number;
  /** LPAE: the device address's offset from a 16 MiB boundary, which sets the leaves `mapRange` writes. */
  readonly offset: number;
}

export const MAPPINGS: readonly MappingPlan[] = [
  { name: '4 KiB pages', format: 'armV7Short', page: SZ_4K, offset: 0 },
  { name: '64 KiB pages', format: 'armV7Short', page: SZ_64K, offset: 0 },
  { name: '1 MiB sections', format: 'armV7Short', page: SZ_1M, offset: 0 },
  { name: '16 MiB supersection', format: 'armV7Short', page: SZ_16M, offset: 0 },
  { name: 'max-munch mix', format: 'armV7Short', page: 0, offset: 0 },
  { name: 'LPAE 4 KiB pages, no hint', format: 'armLpae4k', page: 0, offset: SZ_4K },
  { name: 'LPAE 64 KiB hinted runs', format: 'armLpae4k', page: 0, offset: SZ_64K },
  { name: 'LPAE 2 MiB blocks', format: 'armLpae4k', page: 0, offset: 0 },
];

/** Mappings of one format from smaller to larger leaves: "a larger page never costs more" compares along these. */
export const PAGE_LADDERS: readonly (readonly string[])[] = [
  ['4 KiB pages', '64 KiB pages', '1 MiB sections', '16 MiB supersection'],
  ['LPAE 4 KiB pages, no hint', 'LPAE 64 KiB hinted runs', 'LPAE 2 MiB blocks'],
];

/** A cache's counts over a row's frames (null: the cache is off). */
export type CacheCounts = StreamCacheCounts | null;

/** Whether a row meets one frame rate. */
export interface Verdict {
  readonly fps: number;
  readonly deadlineSeconds: number;
  /** Frame bytes × fps. */
  readonly requiredBytesPerSecond: number;
  readonly meets: boolean;
}

/** One row of the study: a frame, a traffic, a mapping, a cache setup, over `frames` frames. */
export interface PerfRow {
  readonly frame: FrameGeometry['name'];
  readonly traffic: Traffic['name'];
  readonly mapping: string;
  readonly caches: string;
  readonly model: SmmuModelName;
  readonly walkCacheOn: boolean;
  readonly frames: number;
  readonly bytesPerFrame: number;
  /** DMA requests per frame (one per sequential plane run or per rotated strip row). */
  readonly requestsPerFrame: number;
  readonly accesses: number;
  readonly microTlb: CacheCounts;
  readonly mainTlb: CacheCounts;
  readonly walkCache: CacheCounts;
  /** Accesses that missed every TLB (`tlb_miss`). */
  readonly tlbMisses: number;
  readonly walks: number;
  readonly prefetches: number;
  /** Descriptors read from RAM by walks and prefetch walks (`trans_table_walk_access`). */
  readonly walkMemoryAccesses: number;
  readonly cycles: number;
  readonly stallCycles: number;
  /** Cycles of each frame, in order. */
  readonly frameCycles: readonly number[];
  readonly clockMHz: number;
  /** The slowest frame's duration. */
  readonly worstFrameSeconds: number;
  /** bytesPerFrame ÷ worstFrameSeconds: what the master sustains. */
  readonly achievedBytesPerSecond: number;
  readonly verdicts: readonly Verdict[];
}

/** Counts of one frame's (or a row's) streams, summed. */
class Sum {
  accesses = 0;
  requests = 0;
  tlbMisses = 0;
  walks = 0;
  prefetches = 0;
  walkMemoryAccesses = 0;
  cycles = 0;
  stallCycles = 0;
  readonly micro = [0, 0, 0];
  readonly main = [0, 0, 0];
  readonly walk = [0, 0, 0];
  microOn = false;
  mainOn = false;
  walkOn = false;

  add(r: StreamResult): void {
    this.requests++;
    this.accesses += r.accesses;
    this.tlbMisses += r.misses;
    this.walks += r.walks;
    this.prefetches += r.prefetches;
    this.walkMemoryAccesses += r.walkMemoryAccesses;
    this.cycles += r.cycles;
    this.stallCycles += r.stallCycles;
    this.microOn = Sum.addCounts(this.micro, r.microTlb);
    this.mainOn = Sum.addCounts(this.main, r.mainTlb);
    this.walkOn = Sum.addCounts(this.walk, r.walkCache);
  }

  private static addCounts(into: number[], c: StreamCacheCounts | null): boolean {
    if (c === null) return false;
    into[0]! += c.lookups;
    into[1]! += c.hits;
    into[2]! += c.misses;
    return true;
  }

  static counts(on: boolean, c: readonly number[]): CacheCounts {
    return on ? { lookups: c[0]!, hits: c[1]!, misses: c[2]! } : null;
  }
}

/** The verdicts of a frame that takes `seconds` at its slowest. */
export function verdictsFor(bytesPerFrame: number, seconds: number): Verdict[] {
  return FRAME_RATES.map((fps) => ({ fps, deadlineSeconds: 1 / fps, requiredBytesPerSecond: bytesPerFrame * fps, meets: seconds <= 1 / fps }));
}

/** Where a mapping's frame lives, mapped, and how to undo it. */
interface Mapped {
  readonly va: number;
  readonly undo: () => void;
}

/** The study's own SMMU of one format and cache setup, with one context bound and active on bank 0. */
function studySmmu(platform: BoardPlatform, driver: ReturnType<typeof createSmmuDriver>, setup: CacheSetup, format: MappingPlan['format']): { smmu: Smmu; ctx: SmmuContext; clockMHz: number } {
  const smmu = new Smmu({
    name: 'study',
    base: 0x0400_0000,
    irq: 0,
    contextBanks: 1,
    model: setup.model,
    caches: setup.caches,
    format: format === 'armLpae4k' ? armLpae4k : armV7Short,
    memory: platform.memory,
    tableAllocator: platform.allocator,
    driver,
  });
  const ctx = smmu.createContext(0, { name: 'study_port0' });
  ctx.bind(smmu);
  // The clock the model and the overrides resolved to (the caches are empty: the snapshot is small).
  return { smmu, ctx, clockMHz: smmu.cacheConfig.timing.clockMHz };
}

/** Short format: one page of `len` per piece, through the context's own table (smmu_map). */
function mapPieces(ctx: SmmuContext, pieces: readonly { pa: number; len: number }[]): Mapped {
  ctx.activate();
  ctx.updateStart();
  let va = FRAME_VA;
  for (const p of pieces) {
    ctx.map(p.pa, va, p.len, VCM_READ | VCM_WRITE);
    va += p.len;
  }
  ctx.updateDone();
  return {
    va: FRAME_VA,
    undo: () => {
      ctx.updateStart();
      let at = FRAME_VA;
      for (const p of pieces) {
        ctx.unmap(at, p.len);
        at += p.len;
      }
      ctx.updateDone();
      ctx.deactivate();
    },
  };
}

/** LPAE: the 16 MiB block backs a reservation at `FRAME_VA + offset` through the VCM API, so the driver's `mapRange` picks the leaves and hints. */
function mapThroughVcm(vcmm: Vcmm, ctx: SmmuContext, block: ReturnType<Vcmm['physAlloc']>, offset: number): Mapped {
  const vcm = vcmm.create(FRAME_VA + offset, 2 * SZ_16M);
  const res = vcm.reserveAt(VCM_START, SZ_16M);
  const avcm = vcm.assoc(ctx, 0);
  avcm.activate();
  res.back(block);
  return {
    va: res.devAddr,
    undo: () => {
      res.unback();
      avcm.deactivate();
      avcm.deassoc();
      res.unreserve();
      vcm.free();
    },
  };
}

/** One frame of `traffic` over the mapped frame: its streams, in the pattern's order. */
function runFrame(ctx: SmmuContext, va: number, frame: FrameGeometry, traffic: Traffic, into: Sum): void {
  const options = { burst: BURST, access: traffic.access };
  forEachRun(traffic.pattern, frame.bytes, frame.stride, BURST, 0, (off, len) => into.add(ctx.dma.stream(va + off, len, options)));
}

function measure(smmu: Smmu, clockMHz: number, ctx: SmmuContext, va: number, frame: FrameGeometry, traffic: Traffic, mapping: string, setup: CacheSetup, frames: number): PerfRow {
  smmu.resetCaches();
  const total = new Sum();
  const frameCycles: number[] = [];
  for (let f = 0; f < frames; f++) {
    const before = total.cycles;
    runFrame(ctx, va, frame, traffic, total);
    frameCycles.push(total.cycles - before);
  }
  const worst = Math.max(...frameCycles);
  const worstFrameSeconds = worst / (clockMHz * 1e6);
  return {
    frame: frame.name,
    traffic: traffic.name,
    mapping,
    caches: setup.name,
    model: setup.model,
    walkCacheOn: setup.walkCache,
    frames,
    bytesPerFrame: frame.bytes,
    requestsPerFrame: total.requests / frames,
    accesses: total.accesses,
    microTlb: Sum.counts(total.microOn, total.micro),
    mainTlb: Sum.counts(total.mainOn, total.main),
    walkCache: Sum.counts(total.walkOn, total.walk),
    tlbMisses: total.tlbMisses,
    walks: total.walks,
    prefetches: total.prefetches,
    walkMemoryAccesses: total.walkMemoryAccesses,
    cycles: total.cycles,
    stallCycles: total.stallCycles,
    frameCycles,
    clockMHz,
    worstFrameSeconds,
    achievedBytesPerSecond: frame.bytes / worstFrameSeconds,
    verdicts: verdictsFor(frame.bytes, worstFrameSeconds),
  };
}

/** What the study ran on and what it left out (a board without a 16 MiB block, or without room for a frame's mix). */
export interface PerfStudy {
  readonly frames: number;
  readonly geometry: readonly FrameGeometry[];
  readonly setups: readonly CacheSetup[];
  readonly rows: readonly PerfRow[];
  readonly skipped: readonly string[];
  /** What the study's VCMM warned about (VCM_PERF_WARN …); none expected. */
  readonly warnings: readonly string[];
}

/** The max-munch blocks of a frame (1 MiB, 64 KiB, 4 KiB), or the reason there are none. */
function mixOf(allocator: PhysicalAllocator, memtype: number, frame: FrameGeometry): { chunks: readonly PhysChunk[]; free: () => void } | string {
  try {
    const a = allocator.allocate(memtype, frame.allocated, VCM_1MB | VCM_64KB | VCM_4KB);
    return { chunks: a.chunks, free: () => allocator.free(a) };
  } catch (e) {
    return `${frame.name} max-munch mix: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/**
 * Run the study: every frame × cache setup × mapping × traffic, `frames`
 * frames each with the caches left warm between frames. Every row starts
 * with empty caches (`resetCaches`).
 */
export function runPerfStudy(platform: BoardPlatform, memtype: number, frames: number, progress: Progress): PerfStudy {
  const driver = createSmmuDriver();
  const warnings: string[] = [];
  const vcmm = new Vcmm({ memory: platform.memory, allocator: platform.allocator, drivers: [driver], logger: { warn: (message) => void warnings.push(message) } });
  const block = vcmm.physAlloc(memtype, SZ_16M, 0);
  const blockChunks = block.chunks();
  const skipped: string[] = [];
  const contiguous = blockChunks.length === 1 && blockChunks[0]!.pa % SZ_16M === 0;
  if (!contiguous) skipped.push(`uniform and LPAE mappings: the memtype gave ${blockChunks.length} chunk(s), not one 16 MiB-aligned block`);
  const rows: PerfRow[] = [];
  const total = FRAMES.length * CACHE_SETUPS.length * MAPPINGS.length;
  let done = 0;
  try {
    for (const frame of FRAMES) {
      const mix = mixOf(platform.allocator, memtype, frame);
      if (typeof mix === 'string') skipped.push(mix);
      try {
        for (const setup of CACHE_SETUPS) {
          for (const format of ['armV7Short', 'armLpae4k'] as const) {
            const { smmu, ctx, clockMHz } = studySmmu(platform, driver, setup, format);
            for (const m of MAPPINGS.filter((x) => x.format === format)) {
              progress.update(`tlb-study: ${frame.name}, ${setup.name}, ${m.name}`, done++, total);
              let mapped: Mapped | undefined;
              if (m.format === 'armLpae4k') {
                if (contiguous) mapped = mapThroughVcm(vcmm, ctx, block, m.offset);
              } else if (m.page === 0) {
                if (typeof mix !== 'string') mapped = mapPieces(ctx, mix.chunks.map((c) => ({ pa: c.pa, len: c.blockSize })));
              } else if (contiguous) {
                const pieces = [];
                for (let off = 0; off < frame.allocated; off += m.page) pieces.push({ pa: blockChunks[0]!.pa + off, len: m.page });
                mapped = mapPieces(ctx, pieces);
              }
              if (mapped === undefined) continue;
              try {
                for (const traffic of TRAFFIC) rows.push(measure(smmu, clockMHz, ctx, mapped.va, frame, traffic, m.name, setup, frames));
              } finally {
                mapped.undo();
              }
            }
            ctx.deinit();
          }
        }
      } finally {
        if (typeof mix !== 'string') mix.free();
      }
    }
  } finally {
    block.free();
    progress.done();
  }
  return { frames, geometry: FRAMES, setups: CACHE_SETUPS, rows, skipped, warnings };
}

// ---- what the study shows ----

const ms = (seconds: number): string => (seconds * 1e3).toFixed(2);
const gbps = (bytesPerSecond: number): string => (bytesPerSecond / 1e9).toFixed(2);
const countOf = (c: CacheCounts): Cell => (c === null ? '—' : c.misses);

/** The row of `rows` with these keys. */
export function findRow(rows: readonly PerfRow[], frame: string, traffic: string, mapping: string, caches: string): PerfRow | undefined {
  return rows.find((r) => r.frame === frame && r.traffic === traffic && r.mapping === mapping && r.caches === caches);
}

/** The verdict of `row` at `fps`. */
export function verdictAt(row: PerfRow, fps: number): Verdict {
  return row.verdicts.find((v) => v.fps === fps)!;
}

/** The table of one frame and traffic at `fps`: a row per mapping and cache setup. */
export function perfTable(study: PerfStudy, frame: FrameGeometry, traffic: Traffic, fps: number): Table {
  const rows: Cell[][] = [];
  for (const m of MAPPINGS) {
    let first = true;
    for (const s of CACHE_SETUPS) {
      const r = findRow(study.rows, frame.name, traffic.name, m.name, s.name);
      if (r === undefined) continue;
      const v = verdictAt(r, fps);
      rows.push([
        first ? m.name : '',
        s.name,
        countOf(r.microTlb),
        countOf(r.mainTlb),
        countOf(r.walkCache),
        r.walkMemoryAccesses,
        Math.max(...r.frameCycles),
        ms(r.worstFrameSeconds),
        gbps(r.achievedBytesPerSecond),
        gbps(v.requiredBytesPerSecond),
        v.meets ? 'meets' : 'MISSES',
      ]);
      first = false;
    }
  }
  const how = traffic.pattern.kind === 'rotated' ? `${formatSize(ROTATION_STRIP)}-wide column strips down ${frame.bytes / frame.stride} rows ${frame.stride} bytes apart` : `raster order, ${BURST}-byte bursts`;
  return {
    title: `${frame.name}${fps} ${traffic.name} (${how}; ${formatSize(frame.bytes)} per frame, ${study.frames} frame${study.frames === 1 ? '' : 's'} per row): misses per cache, walk reads, the slowest frame against ${ms(1 / fps)} ms`,
    columns: ['mapping', 'caches', 'µTLB misses', 'TLB misses', 'walk-cache misses', 'walk reads', 'cycles/frame', 'ms/frame', 'GB/s achieved', 'GB/s needed', `${fps} fps`],
    numeric: [2, 3, 4, 5, 6, 7, 8, 9],
    rows,
    note:
      traffic.pattern.kind === 'rotated'
        ? 'A strip reads down every row, so it needs the translation of every leaf the frame spans, one after another, and the next strip needs them all again: caches that hold every leaf of the frame miss only in the first strip, smaller ones miss every leaf in every strip. Each strip row is its own DMA request, so its walk is not hidden behind the previous row\'s data.'
        : 'Raster order uses each leaf once per frame, so in a cold TLB each leaf misses once; a next-page prefetch (mmu-600) fills the following 4 KiB page with each walk, and a walk cache leaves a walk only its last descriptor read.',
  };
}

/** ms per frame of the rotated scan-out by mapping, for `setups`, with the frame deadline as the marker. */
export function perfChart(study: PerfStudy, frame: FrameGeometry, fps: number, setups: readonly string[]): BarChart {
  const bars: { label: string; value: number }[] = [];
  for (const m of MAPPINGS) {
    for (const s of setups) {
      const r = findRow(study.rows, frame.name, 'rotated scan-out', m.name, s);
      if (r !== undefined) bars.push({ label: `${m.name} · ${s}`, value: Number(ms(r.worstFrameSeconds)) });
    }
  }
  return { title: `${frame.name}${fps} rotated scan-out, slowest frame`, unit: 'ms', logScale: false, bars, marker: { label: `the ${fps} fps deadline`, value: Number(ms(1 / fps)) } };
}

/** The named checks the study's data must pass (docs/performance-study.md#checks). */
export function perfChecks(study: PerfStudy): Check[] {
  const checks: Check[] = [];
  const { rows } = study;

  // Walk caches: same model, same everything else, walk cache on vs off.
  const pairs: [PerfRow, PerfRow][] = [];
  for (const on of rows.filter((r) => r.walkCacheOn)) {
    const off = rows.find((r) => !r.walkCacheOn && r.model === on.model && r.frame === on.frame && r.traffic === on.traffic && r.mapping === on.mapping);
    if (off !== undefined) pairs.push([on, off]);
  }
  const more = pairs.filter(([on, off]) => on.walkMemoryAccesses > off.walkMemoryAccesses);
  checks.push(
    holds(
      'turning walk caches on never increases walk memory accesses',
      pairs.length > 0 && more.length === 0,
      `walk reads with the walk cache ≤ without, in all ${pairs.length} pairs`,
      more.length === 0 ? `≤ in all ${pairs.length}` : `more in ${more.length}: ${more.slice(0, 3).map(([on, off]) => `${on.frame} ${on.traffic} ${on.mapping} ${on.model} ${on.walkMemoryAccesses} > ${off.walkMemoryAccesses}`).join('; ')}`,
    ),
  );
  const sameMisses = pairs.filter(([on, off]) => on.tlbMisses !== off.tlbMisses);
  checks.push(
    holds(
      'a walk cache shortens walks but never changes which accesses walk (TLB misses equal on and off)',
      pairs.length > 0 && sameMisses.length === 0,
      `equal TLB misses in all ${pairs.length} pairs`,
      sameMisses.length === 0 ? `equal in all ${pairs.length}` : `differ in ${sameMisses.length}`,
    ),
  );

  // Larger pages: along each ladder, cycles never rise.
  let compared = 0;
  const rises: string[] = [];
  for (const frame of FRAMES) {
    for (const traffic of TRAFFIC) {
      for (const s of CACHE_SETUPS) {
        for (const ladder of PAGE_LADDERS) {
          const found = ladder.map((m) => findRow(rows, frame.name, traffic.name, m, s.name));
          for (let i = 1; i < found.length; i++) {
            const a = found[i - 1];
            const b = found[i];
            if (a === undefined || b === undefined) continue;
            compared++;
            if (b.cycles > a.cycles) rises.push(`${frame.name} ${traffic.name} ${s.name}: ${b.mapping} ${b.cycles} > ${a.mapping} ${a.cycles}`);
          }
        }
      }
    }
  }
  checks.push(
    holds(
      'a larger page never costs more cycles',
      compared > 0 && rises.length === 0,
      `cycles non-increasing 4 KiB → 16 MiB (short) and 4 KiB → 2 MiB (LPAE), ${compared} steps`,
      rises.length === 0 ? `non-increasing in all ${compared}` : `rise in ${rises.length}: ${rises.slice(0, 3).join('; ')}`,
    ),
  );

  // Every cache's own bookkeeping.
  const all = rows.flatMap((r) => [r.microTlb, r.mainTlb, r.walkCache]).filter((c): c is StreamCacheCounts => c !== null);
  const unbalanced = all.filter((c) => c.hits + c.misses !== c.lookups).length;
  checks.push(holds('at every cache in every row, hits + misses = lookups', unbalanced === 0, `${all.length} caches balanced`, unbalanced === 0 ? `${all.length} balanced` : `${unbalanced} not`));

  // Reads and writes of the same order cache alike: the decoder's write misses as the raster scan-out's read.
  const writes = rows.filter((r) => r.traffic === 'decoder write');
  const differ = writes.filter((w) => findRow(rows, w.frame, 'scan-out', w.mapping, w.caches)?.tlbMisses !== w.tlbMisses);
  checks.push(holds('the decoder\'s raster write misses exactly as often as the raster scan-out reads', writes.length > 0 && differ.length === 0, `equal in all ${writes.length} rows`, differ.length === 0 ? `equal in all ${writes.length}` : `differ in ${differ.length}`));

  // Each row's verdict is its numbers: the slowest frame against 1/fps.
  const wrong = rows.filter((r) => r.verdicts.some((v) => v.meets !== Math.max(...r.frameCycles) / (r.clockMHz * 1e6) <= 1 / v.fps));
  checks.push(holds('every verdict is the slowest frame\'s cycles ÷ clock against 1/fps', wrong.length === 0, `${rows.length} rows`, wrong.length === 0 ? `${rows.length} rows` : `${wrong.length} rows disagree`));
  return checks;
}

/** The `n` rows closest to (or past) their deadline: the slowest frames, slowest first. */
export function tightestRows(study: PerfStudy, n: number): PerfRow[] {
  return [...study.rows].sort((a, b) => b.worstFrameSeconds - a.worstFrameSeconds).slice(0, n);
}

/** The headroom table: the slowest rows, their share of the 60 fps and 30 fps frame time, and both verdicts. */
export function headroomTable(study: PerfStudy, n: number): Table {
  const rows = tightestRows(study, n);
  const share = (r: PerfRow, fps: number): string => `${((r.worstFrameSeconds * fps) * 100).toFixed(1)} %`;
  const late60 = study.rows.filter((r) => !verdictAt(r, 60).meets).length;
  const late30 = study.rows.filter((r) => !verdictAt(r, 30).meets).length;
  return {
    title: `The ${rows.length} slowest rows: their frame time as a share of the frame period at 60 and 30 fps`,
    columns: ['frame', 'traffic', 'mapping', 'caches', 'ms/frame', 'of 16.67 ms', '60 fps', 'of 33.33 ms', '30 fps'],
    numeric: [4, 5, 7],
    rows: rows.map((r) => [r.frame, r.traffic, r.mapping, r.caches, ms(r.worstFrameSeconds), share(r, 60), verdictAt(r, 60).meets ? 'meets' : 'MISSES', share(r, 30), verdictAt(r, 30).meets ? 'meets' : 'MISSES']),
    note: `${late60} of ${study.rows.length} rows miss 60 fps and ${late30} miss 30 fps. Each master has the port to itself here (docs/performance-study.md#what-the-model-leaves-out); every row's 30 fps and 60 fps figures are in --json (performance.rows[].verdicts).`,
  };
}
