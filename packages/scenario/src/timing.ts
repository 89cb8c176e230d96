/**
 * What a device's traffic cost in time on a clocked SMMU
 * (docs/scenarios.md#timing): the cycles, stall cycles, walk memory
 * accesses and translation-time histogram its streams reported
 * (docs/timing.md), what each translation cache did for it, and — when its
 * traffic has a frame rate — the slowest frame against the frame period:
 * seconds per frame, the bandwidth it achieved against the bandwidth the
 * frame rate needs, and whether every frame met its deadline.
 */
import type { Board } from '@vcm/devtree';
import { resolveCacheConfig } from '@vcm/smmu';
import type { CacheOverrides, HistogramBucket, PmuEvents, Smmu, StreamCacheCounts, StreamResult } from '@vcm/smmu';

/** One cache's lookups, hits and misses (lookups = hits + misses). */
export interface CacheCounts {
  readonly lookups: number;
  readonly hits: number;
  readonly misses: number;
}

/** What a device's streams did in each translation cache of its SMMU (null: the cache is off). */
export interface DeviceCaches {
  readonly microTlb: CacheCounts | null;
  readonly mainTlb: CacheCounts | null;
  readonly walkCache: CacheCounts | null;
}

/** The slowest frame of a device against its frame period. */
export interface FrameTiming {
  /** Frames the device ran (its traffic entries' frames that start together count as one). */
  readonly frames: number;
  /** The frame whose seconds ÷ period is largest: its start in simulated seconds. */
  readonly worstStart: number;
  /** Its duration: its streams' cycles ÷ the clock. */
  readonly worstSeconds: number;
  /** Its period: 1 ÷ the highest frame rate of the entries in it. */
  readonly periodSeconds: number;
  /** Bytes it moved. */
  readonly bytes: number;
  /** bytes ÷ periodSeconds: what the frame rate needs. */
  readonly requiredBytesPerSecond: number;
  /** bytes ÷ worstSeconds: what the device sustained (0 seconds: null). */
  readonly achievedBytesPerSecond: number | null;
  /** Every frame took at most its period. */
  readonly deadlineMet: boolean;
}

/** A clocked device's timing over the whole run. */
export interface DeviceTiming {
  readonly clockMHz: number;
  readonly cycles: number;
  readonly stallCycles: number;
  /** Descriptors its walks read from RAM, prefetch walks included (`trans_table_walk_access`). */
  readonly walkMemoryAccesses: number;
  readonly prefetches: number;
  /** How many of its accesses took 0, 1, 2–3, 4–7 … cycles to translate (streams; non-empty buckets, ascending). */
  readonly translationCycles: readonly HistogramBucket[];
  /** cycles ÷ clock. */
  readonly seconds: number;
  /** bytes ÷ seconds (0 seconds: null). */
  readonly achievedBytesPerSecond: number | null;
  /** With frame rates: the slowest frame against its deadline; null without `fps`. */
  readonly frame: FrameTiming | null;
}

/** A frame slot of one device: every entry's frame that starts at the same time. */
interface Slot {
  cycles: number;
  bytes: number;
  period: number;
}

const mutableCounts = (): [number, number, number] => [0, 0, 0];

/** Sums what a device's streams and transfers cost; one per device with an SMMU context. */
export class DeviceTally {
  walkMemoryAccesses = 0;
  prefetches = 0;
  private readonly micro = mutableCounts();
  private readonly main = mutableCounts();
  private readonly walk = mutableCounts();
  private microOn = false;
  private mainOn = false;
  private walkOn = false;
  /** Histogram bucket min → [max, count]. */
  private readonly histogram = new Map<number, [number, number]>();
  private readonly slots = new Map<number, Slot>();

  /** A stream's result. */
  addStream(r: StreamResult): void {
    this.walkMemoryAccesses += r.walkMemoryAccesses;
    this.prefetches += r.prefetches;
    this.microOn = addCounts(this.micro, r.microTlb) || this.microOn;
    this.mainOn = addCounts(this.main, r.mainTlb) || this.mainOn;
    this.walkOn = addCounts(this.walk, r.walkCache) || this.walkOn;
    for (const b of r.translationCycles) {
      const h = this.histogram.get(b.min);
      if (h === undefined) this.histogram.set(b.min, [b.max, b.count]);
      else {
        h[0] = Math.max(h[0], b.max);
        h[1] += b.count;
      }
    }
  }

  /** A data transfer (`ctx.dma.read`/`write`), from the context's events before and after it. */
  addTransfer(before: PmuEvents, after: PmuEvents): void {
    this.walkMemoryAccesses += after.trans_table_walk_access - before.trans_table_walk_access;
  }

  /** One frame of one traffic entry: `cycles` and `bytes` in the slot that starts at `time`, at `fps`. */
  addFrame(time: number, fps: number, cycles: number, bytes: number): void {
    const s = this.slots.get(time);
    if (s === undefined) this.slots.set(time, { cycles, bytes, period: 1 / fps });
    else {
      s.cycles += cycles;
      s.bytes += bytes;
      s.period = Math.min(s.period, 1 / fps);
    }
  }

  /** Per-cache counts of its streams. */
  caches(): DeviceCaches {
    return { microTlb: countsOut(this.microOn, this.micro), mainTlb: countsOut(this.mainOn, this.main), walkCache: countsOut(this.walkOn, this.walk) };
  }

  /** The timing at `clockMHz` (> 0) of `cycles`, `stallCycles` and `bytes` the runner counted. */
  timing(clockMHz: number, cycles: number, stallCycles: number, bytes: number): DeviceTiming {
    const hz = clockMHz * 1e6;
    const seconds = cycles / hz;
    return {
      clockMHz,
      cycles,
      stallCycles,
      walkMemoryAccesses: this.walkMemoryAccesses,
      prefetches: this.prefetches,
      translationCycles: [...this.histogram].sort((a, b) => a[0] - b[0]).map(([min, [max, count]]) => ({ min, max, count })),
      seconds,
      achievedBytesPerSecond: seconds > 0 ? bytes / seconds : null,
      frame: this.worstFrame(hz),
    };
  }

  private worstFrame(hz: number): FrameTiming | null {
    let worst: [number, Slot] | undefined;
    let met = true;
    for (const entry of this.slots) {
      const [, s] = entry;
      const secs = s.cycles / hz;
      if (secs > s.period) met = false;
      if (worst === undefined || secs / s.period > worst[1].cycles / hz / worst[1].period) worst = entry;
    }
    if (worst === undefined) return null;
    const [start, s] = worst;
    const secs = s.cycles / hz;
    return {
      frames: this.slots.size,
      worstStart: start,
      worstSeconds: secs,
      periodSeconds: s.period,
      bytes: s.bytes,
      requiredBytesPerSecond: s.bytes / s.period,
      achievedBytesPerSecond: secs > 0 ? s.bytes / secs : null,
      deadlineMet: met,
    };
  }
}

function addCounts(into: [number, number, number], c: StreamCacheCounts | null): boolean {
  if (c === null) return false;
  into[0] += c.lookups;
  into[1] += c.hits;
  into[2] += c.misses;
  return true;
}

function countsOut(on: boolean, c: readonly number[]): CacheCounts | null {
  return on ? { lookups: c[0]!, hits: c[1]!, misses: c[2]! } : null;
}

/** What one SMMU's caches counted over the run, and its PMCG events. */
export interface SmmuTotals {
  readonly name: string;
  readonly model: string;
  /** 0: the SMMU has no clock (untimed). */
  readonly clockMHz: number;
  /** The micro-TLBs of all its banks, summed. */
  readonly microTlb: CacheCounts | null;
  readonly mainTlb: CacheCounts | null;
  readonly walkCache: CacheCounts | null;
  readonly prefetches: number;
  readonly events: PmuEvents;
}

/**
 * The clock of a board's SMMU in MHz (0: untimed): the `timing.clockMHz` of
 * the caches `new Smmu` resolves from its `model`, `tlb` and `caches`
 * (`@vcm/smmu`'s `resolveCacheConfig`), so a rule on a board and the built
 * SMMU's `cacheConfig` always agree. The board is a validated one.
 */
export function smmuClockMHz(smmu: Board['smmus'][number]): number {
  return resolveCacheConfig({ model: smmu.model, tlb: smmu.tlb, caches: smmu.caches as CacheOverrides | undefined }, `SMMU "${smmu.name}"`).timing.clockMHz;
}

/** An SMMU's caches and events over the run (one snapshot, taken after the traffic). */
export function smmuTotals(smmu: Smmu): SmmuTotals {
  const snap = smmu.toJSON();
  const { config, microTlbs, walkCache, prefetches, events } = snap.caches;
  const counts = (s: { readonly lookups: number; readonly hits: number; readonly misses: number }): CacheCounts => ({ lookups: s.lookups, hits: s.hits, misses: s.misses });
  const micro = microTlbs.reduce<[number, number, number]>((acc, t) => [acc[0] + t.stats.lookups, acc[1] + t.stats.hits, acc[2] + t.stats.misses], [0, 0, 0]);
  return {
    name: smmu.name,
    model: smmu.model,
    clockMHz: config.timing.clockMHz,
    microTlb: config.microTlb.enabled ? { lookups: micro[0], hits: micro[1], misses: micro[2] } : null,
    mainTlb: config.mainTlb.enabled ? counts(snap.tlb.stats) : null,
    walkCache: walkCache === null ? null : counts(walkCache.stats),
    prefetches,
    events,
  };
}
