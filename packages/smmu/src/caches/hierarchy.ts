/**
 * The translation caches of one SMMU, built from its `CacheConfig`
 * (docs/hardware.md#translation-caches): a micro-TLB per context bank, the
 * main TLB every bank shares (`smmu.tlb`), the walk cache, the prefetch
 * switch, the timing, and the counters. Every invalidation goes through
 * here, so it reaches every cache: after `updateDone` no cache holds a
 * translation the tables no longer have.
 *
 * What one translation cost is left in public fields (`cost`, `walked`, the
 * prefetch's range and cost) for the caller that times it; numbers only.
 */
import type { CacheConfig, TimingConfig } from './config.js';
import { PmuCounters } from './events.js';
import type { PmuEvents } from './events.js';
import { WalkCache } from './walk-cache.js';
import type { WalkCacheEntry, WalkCacheStats } from './walk-cache.js';
import { Tlb } from '../tlb.js';
import type { TlbEntry, TlbStats } from '../tlb.js';

/** What the caches of an SMMU hold and counted, as plain data. */
export interface CachesSnapshot {
  readonly config: CacheConfig;
  /** Per context bank, its micro-TLB (none while off). */
  readonly microTlbs: ReadonlyArray<{ readonly stats: TlbStats; readonly entries: readonly TlbEntry[] }>;
  readonly walkCache: { readonly stats: WalkCacheStats; readonly entries: readonly WalkCacheEntry[] } | null;
  /** Next-page walks made after a demand walk (not misses, not transactions). */
  readonly prefetches: number;
  readonly events: PmuEvents;
}

/** The caches of one SMMU and what the last translation through them cost. */
export class TranslationCaches {
  readonly config: CacheConfig;
  readonly timing: TimingConfig;
  /** Any latency or a bus width set: streams are timed. */
  readonly timed: boolean;
  readonly main: Tlb;
  readonly mainOn: boolean;
  /** Per bank: its micro-TLB (undefined while off). */
  readonly micro: readonly (Tlb | undefined)[];
  /** Per bank: where a translation is held when no TLB is on (one entry, not a cache: never looked up). */
  readonly held: readonly (Tlb | undefined)[];
  readonly walkCache: WalkCache | undefined;
  readonly prefetch: boolean;
  /** Per-SMMU event counters (each context keeps its own too). */
  readonly pmu = new PmuCounters();
  prefetches = 0;

  // ---- what the last translation cost (set by the bank, read by the timing) ----
  /** Cycles of the last demand translation (lookups, walk-cache probes, descriptor reads). */
  cost = 0;
  /** The last translation missed every TLB and walked. */
  walked = false;
  /** Cycles of the prefetch walk the last translation started (0: none). */
  prefetchCost = 0;
  prefetchBase = 0;
  prefetchEnd = 0;

  constructor(config: CacheConfig, banks: number, where: string) {
    this.config = config;
    this.timing = config.timing;
    const t = config.timing;
    this.timed = t.microTlbHit + t.mainTlbHit + t.walkCacheHit + t.memoryAccess + t.busBytesPerCycle > 0;
    const m = config.mainTlb;
    this.mainOn = m.enabled;
    // The main TLB is `smmu.tlb` even while off (then an unused one-entry TLB), so that code reading it keeps working.
    this.main = new Tlb(m.enabled ? { entries: m.entries, policy: m.policy, ways: m.ways, seed: m.seed } : { entries: 1 }, where);
    const u = config.microTlb;
    const micro: (Tlb | undefined)[] = [];
    const held: (Tlb | undefined)[] = [];
    for (let b = 0; b < banks; b++) {
      micro.push(u.enabled ? new Tlb({ entries: u.entries, policy: u.policy, ways: u.ways, seed: u.seed }, where) : undefined);
      held.push(!u.enabled && !m.enabled ? new Tlb({ entries: 1 }, where) : undefined);
    }
    this.micro = micro;
    this.held = held;
    this.walkCache = config.walkCache.enabled ? new WalkCache(config.walkCache) : undefined;
    this.prefetch = config.prefetch && m.enabled;
  }

  /** The cache a bank's translations are returned in: its micro-TLB, else the main TLB, else its holder. */
  front(bank: number): Tlb {
    return this.micro[bank] ?? (this.mainOn ? this.main : this.held[bank]!);
  }

  /** By address and context: every TLB entry and walk-cache entry of (bank, context id) overlapping [va, va + len). */
  invalidateRange(bank: number, contextId: number, va: number, len: number, sizesLog2: readonly number[]): void {
    this.main.invalidateRange(bank, contextId, va, len, sizesLog2);
    this.micro[bank]?.invalidateRange(bank, contextId, va, len, sizesLog2);
    this.held[bank]?.invalidateRange(bank, contextId, va, len, sizesLog2);
    this.walkCache?.invalidateRange(bank, contextId, va, len);
  }

  /** By context: everything of (bank, context id). */
  invalidateContext(bank: number, contextId: number): void {
    this.main.invalidateContext(bank, contextId);
    this.micro[bank]?.invalidateContext(bank, contextId);
    this.held[bank]?.invalidateContext(bank, contextId);
    this.walkCache?.invalidateContext(bank, contextId);
  }

  /** Everything, in every cache. */
  invalidateAll(): void {
    this.main.invalidateAll();
    for (const t of this.micro) t?.invalidateAll();
    for (const t of this.held) t?.invalidateAll();
    this.walkCache?.invalidateAll();
  }

  /** Start a study cold: every cache empty, every counter of every cache and event zero. */
  reset(): void {
    this.main.reset();
    for (const t of this.micro) t?.reset();
    for (const t of this.held) t?.reset();
    this.walkCache?.reset();
    this.prefetches = 0;
    this.pmu.reset();
  }

  toJSON(): CachesSnapshot {
    return {
      config: this.config,
      microTlbs: this.micro.filter((t): t is Tlb => t !== undefined).map((t) => t.toJSON()),
      walkCache: this.walkCache === undefined ? null : { stats: this.walkCache.stats(), entries: this.walkCache.entries() },
      prefetches: this.prefetches,
      events: this.pmu.events(),
    };
  }
}
