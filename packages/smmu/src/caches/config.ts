/**
 * The translation-cache hierarchy of an SMMU and its timing, as decoded
 * configuration (docs/hardware.md#translation-caches): what an SMMU model
 * has between a master's request and memory. A lookup goes micro-TLB (per
 * context bank, i.e. per master stream) → main TLB (shared by every bank) →
 * walk caches (intermediate table descriptors) → the walk's descriptor reads
 * from RAM. Every cache is page-size correct: an entry for a block hits for
 * every address inside it, whatever the set index.
 *
 * CONTRACT between the caches, the board format, the scenario runner and the
 * reference app's performance study. Field names here are what board files
 * and scenario sweeps name (`smmu.caches.mainTlb.entries`, …).
 */

/** How a full set picks its victim. `random` draws from a seeded generator, so runs repeat. */
export type CachePolicy = 'lru' | 'fifo' | 'random' | 'round-robin';
/** Every `CachePolicy`, for validation and for files that name one. */
export const CACHE_POLICIES: readonly CachePolicy[] = ['lru', 'fifo', 'random', 'round-robin'];

/** One cache's geometry and replacement. */
export interface CacheGeometry {
  /** Off: every lookup misses and nothing is filled (and nothing is counted as a lookup). */
  readonly enabled: boolean;
  /** Capacity in entries (≥ 1 when enabled). */
  readonly entries: number;
  /** Ways per set; `entries` (or 0) = fully associative. `entries` must be a multiple of `ways`, and `entries / ways` a power of two. */
  readonly ways: number;
  readonly policy: CachePolicy;
  /** Seed of the `random` policy's xorshift32 generator (0: its fixed start state, the one the TLB always had). */
  readonly seed: number;
}

/** Latencies in clock cycles, and the clock (docs/hardware.md#translation-caches). All 0 = untimed. */
export interface TimingConfig {
  /** Clock in MHz: converts cycles to seconds and bandwidth. */
  readonly clockMHz: number;
  readonly microTlbHit: number;
  readonly mainTlbHit: number;
  readonly walkCacheHit: number;
  /** Cycles per descriptor read of a walk (the memory latency the walk sees). */
  readonly memoryAccess: number;
  /** Walks in flight at once (translation/walk slots); a miss beyond them waits. */
  readonly maxWalks: number;
  /** Bytes the master's port moves per cycle once translated (the data beat). */
  readonly busBytesPerCycle: number;
}

/** The whole hierarchy of one SMMU. */
export interface CacheConfig {
  /** Per context bank (per master stream). */
  readonly microTlb: CacheGeometry;
  /** Shared by all banks: the TLB of the seeds' SMMU. */
  readonly mainTlb: CacheGeometry;
  /** Intermediate table descriptors (short: level-1 table entries; LPAE: levels 1 and 2). */
  readonly walkCache: CacheGeometry;
  /** After a walk that filled the main TLB, also walk and fill the next 4 KiB page (gem5's `tlb_prefetch`). */
  readonly prefetch: boolean;
  /** Main-TLB entries a context may lock (never evicted while locked); 0 = no lockdown. */
  readonly lockdownEntries: number;
  readonly timing: TimingConfig;
}

/** The named models a board or scenario selects (`smmu.model`). */
export type SmmuModelName = 'msm8x60' | 'mmu-500' | 'mmu-600';
/** Every `SmmuModelName`. */
export const SMMU_MODEL_NAMES: readonly SmmuModelName[] = ['msm8x60', 'mmu-500', 'mmu-600'];

/** A partial override of a model: any field of `CacheConfig`, nested fields merged. */
export type CacheOverrides = {
  readonly [K in keyof CacheConfig]?: CacheConfig[K] extends object ? Partial<CacheConfig[K]> : CacheConfig[K];
};

const OFF: CacheGeometry = { enabled: false, entries: 0, ways: 0, policy: 'lru', seed: 0 };
const UNTIMED: TimingConfig = { clockMHz: 0, microTlbHit: 0, mainTlbHit: 0, walkCacheHit: 0, memoryAccess: 0, maxWalks: 1, busBytesPerCycle: 0 };

/**
 * The models and where their numbers come from (docs/hardware.md#translation-caches):
 * - `msm8x60`: the seeds' SMMU — one TLB shared by all contexts, 32 entries,
 *   fully associative, LRU; nothing else, untimed. Today's behaviour.
 * - `mmu-500`: Arm CoreLink MMU-500 TRM (DDI 0517): a TLB hit in 2 clocks at
 *   best; micro-TLB per master and a main TLB; a walk cache.
 * - `mmu-600`: gem5's SMMUv3 defaults (src/dev/arm/SMMUv3.py: micro-TLB 32
 *   entries fully associative 1 cycle, main TLB 2048 entries 4-way 3 cycles)
 *   and an MMU-600 integration's 256-entry walk caches and 64 translation slots.
 * Fully associative caches say `ways: 0`, so that changing `entries` keeps
 * them fully associative. `new Smmu` checks every field (caches/resolve.ts).
 */
export const SMMU_MODELS: Readonly<Record<SmmuModelName, CacheConfig>> = {
  msm8x60: {
    microTlb: OFF,
    mainTlb: { enabled: true, entries: 32, ways: 0, policy: 'lru', seed: 0 },
    walkCache: OFF,
    prefetch: false,
    lockdownEntries: 0,
    timing: UNTIMED,
  },
  'mmu-500': {
    microTlb: { enabled: true, entries: 32, ways: 0, policy: 'round-robin', seed: 0 },
    mainTlb: { enabled: true, entries: 512, ways: 4, policy: 'lru', seed: 0 },
    walkCache: { enabled: true, entries: 128, ways: 4, policy: 'lru', seed: 0 },
    prefetch: false,
    lockdownEntries: 0,
    timing: { clockMHz: 500, microTlbHit: 1, mainTlbHit: 2, walkCacheHit: 2, memoryAccess: 100, maxWalks: 8, busBytesPerCycle: 16 },
  },
  'mmu-600': {
    microTlb: { enabled: true, entries: 32, ways: 0, policy: 'round-robin', seed: 0 },
    mainTlb: { enabled: true, entries: 2048, ways: 4, policy: 'lru', seed: 0 },
    walkCache: { enabled: true, entries: 256, ways: 4, policy: 'lru', seed: 0 },
    prefetch: true,
    lockdownEntries: 0,
    timing: { clockMHz: 800, microTlbHit: 1, mainTlbHit: 3, walkCacheHit: 3, memoryAccess: 120, maxWalks: 64, busBytesPerCycle: 32 },
  },
};
