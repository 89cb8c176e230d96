/**
 * Where an entry of a set-associative cache may live, and which one a full
 * set gives up (docs/hardware.md#translation-caches): `sets × ways` slots,
 * slot `set * ways + way`; per set its recency (LRU renews it on a hit,
 * FIFO only on a fill) as a use stamp per slot, so that a hit is one store
 * — the victim of a set of up to 8 ways found by a scan that short, of a
 * larger one at the tail of a list kept in stamp order lazily — a
 * round-robin pointer, a stack of free ways; a seeded xorshift32 for
 * `random`, so runs repeat. Locked slots (TLB lockdown) are never chosen as
 * victims. Fully associative is one set.
 *
 * Typed arrays only, nothing allocated per operation
 * (docs/rules.md#numbers-and-addresses). The owner (the TLB, the walk cache)
 * keeps the tags and the lookup structure; this keeps placement.
 */
import type { CachePolicy } from './config.js';

/** No slot / end of a list. */
export const NONE = -1;
/** The xorshift32 state when the seed is 0 (xorshift32 never leaves 0). */
const DEFAULT_RNG = 0x2545f491;
/**
 * Up to this many ways a full set's victim is the oldest stamp of a scan of
 * the set. A larger set (the fully associative TLBs) keeps a list: a scan
 * of 32 ways on every fill made each fill of a 32-entry TLB 35 ns dearer
 * (docs/performance.md#what-changed-it-2).
 */
const MAX_SCANNED_WAYS = 8;
const VICTIM_ORDERED = 0;
const VICTIM_RANDOM = 1;
const VICTIM_ROUND_ROBIN = 2;

/** Placement and replacement of one cache: sets, ways, recency, free ways, locks. */
export class Replacement {
  readonly sets: number;
  readonly ways: number;
  readonly capacity: number;
  readonly policy: CachePolicy;
  /** `policy === 'lru'`: a hit makes its slot the most recent of its set. */
  readonly lru: boolean;
  /** LRU and FIFO pick their victim by recency (the oldest stamp); round-robin and random keep none. */
  private readonly ordered: boolean;
  /**
   * An ordered policy with sets of more than `MAX_SCANNED_WAYS` ways: each
   * set keeps a list of its slots in use, sorted by `placed` (the stamp a
   * slot had when it was put in its place), newest at the head. A fill puts
   * its slot at the head; a hit only renews the stamp, so the slot's place
   * goes stale. The victim is the list's tail once the tail's place is not
   * stale: a stale tail is moved to the place its stamp gives it, walking
   * from the head (docs/performance.md#what-changed-it-2). Exact: a slot whose
   * place is stale has a stamp newer than its place, so newer than the
   * tail's.
   */
  private readonly listed: boolean;
  /** Per slot, when it was last made the most recent of its set (LRU: filled or hit; FIFO: filled). Stamps only grow (a double counts 2^53 of them). */
  private readonly stamp: Float64Array;
  /** Per slot of a listed set, its stamp when it was put in its place in the list. */
  private readonly placed: Float64Array;
  private clock = 0;
  /** The policy as a small integer for the victim's switch: `VICTIM_ORDERED`, `VICTIM_RANDOM` or `VICTIM_ROUND_ROBIN`. */
  private readonly victimKind: number;
  /** 1 for a slot in use (what `inSet` lists). */
  private readonly inUse: Uint8Array;
  /** Slots in use. */
  used = 0;
  /** Slots locked (lockdown). */
  lockedCount = 0;
  /** A listed set's list: per slot its neighbours towards the head and the tail, per set its ends (empty arrays unless `listed`). */
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  /** Per set, its free ways as a stack in `free[set * ways …]`; `freeCount[set]` of them. */
  private readonly free: Int32Array;
  private readonly freeCount: Int32Array;
  /** 1 for a locked slot. */
  readonly locked: Uint8Array;
  /** Locked slots per set: a set keeps at least one unlocked way. */
  private readonly lockedInSet: Int32Array;
  private readonly rr: Int32Array;
  private readonly seed: number;
  private rng: number;

  /** `ways` 0 or `capacity`: fully associative. The caller has checked that `capacity / ways` is a power of two. */
  constructor(capacity: number, ways: number, policy: CachePolicy, seed: number) {
    const w = ways === 0 || ways >= capacity ? capacity : ways;
    this.capacity = capacity;
    this.ways = w;
    this.sets = capacity / w;
    this.policy = policy;
    this.lru = policy === 'lru';
    this.ordered = policy === 'lru' || policy === 'fifo';
    this.listed = this.ordered && w > MAX_SCANNED_WAYS;
    this.victimKind = policy === 'random' ? VICTIM_RANDOM : policy === 'round-robin' ? VICTIM_ROUND_ROBIN : VICTIM_ORDERED;
    this.stamp = new Float64Array(this.ordered ? capacity : 0);
    this.placed = new Float64Array(this.listed ? capacity : 0);
    this.inUse = new Uint8Array(capacity);
    this.prev = new Int32Array(this.listed ? capacity : 0).fill(NONE);
    this.next = new Int32Array(this.listed ? capacity : 0).fill(NONE);
    this.head = new Int32Array(this.listed ? this.sets : 0).fill(NONE);
    this.tail = new Int32Array(this.listed ? this.sets : 0).fill(NONE);
    this.free = new Int32Array(capacity);
    this.freeCount = new Int32Array(this.sets);
    this.locked = new Uint8Array(capacity);
    this.lockedInSet = new Int32Array(this.sets);
    this.rr = new Int32Array(this.sets);
    this.seed = seed >>> 0 === 0 ? DEFAULT_RNG : seed >>> 0;
    this.rng = this.seed;
    this.clear();
  }

  /** Every slot free, every counter of placement (round-robin pointers, generator) back to the start. */
  clear(): void {
    const w = this.ways;
    for (let set = 0; set < this.sets; set++) {
      // Popped lowest first: slot set * ways is used first.
      for (let i = 0; i < w; i++) this.free[set * w + i] = set * w + w - 1 - i;
      this.freeCount[set] = w;
      this.rr[set] = 0;
      this.lockedInSet[set] = 0;
    }
    this.prev.fill(NONE);
    this.next.fill(NONE);
    this.head.fill(NONE);
    this.tail.fill(NONE);
    this.locked.fill(0);
    this.inUse.fill(0);
    this.stamp.fill(0);
    this.placed.fill(0);
    this.clock = 0;
    this.used = 0;
    this.lockedCount = 0;
    this.rng = this.seed;
  }

  /** The generator back to its seed (a study that starts cold repeats its random choices). */
  reseed(): void {
    this.rng = this.seed;
    this.rr.fill(0);
  }

  /** A free way of `set`, taken and put at the front of the set's recency list, or NONE when the set is full. */
  take(set: number): number {
    const n = this.freeCount[set]!;
    if (n === 0) return NONE;
    this.freeCount[set] = n - 1;
    const s = this.free[set * this.ways + n - 1]!;
    if (this.listed) this.placeFront(set, s);
    else if (this.ordered) this.stamp[s] = ++this.clock;
    this.inUse[s] = 1;
    this.used++;
    return s;
  }

  /** Whether the last `claim` gave up a victim (whose entry the owner must drop) rather than a free way. */
  claimedVictim = false;

  /**
   * A way of `set` for a new entry, made the most recent of its set: a free
   * one, else the policy's victim (`claimedVictim` then says so; its old
   * entry is still in the owner's tags for the owner to drop). `take`, then
   * on a full set `victim` and `reuse`, in one call on the fill path.
   */
  claim(set: number): number {
    const free = this.take(set);
    if (free !== NONE) {
      this.claimedVictim = false;
      return free;
    }
    const s = this.victim(set);
    this.reuse(s);
    this.claimedVictim = true;
    return s;
  }

  /** The slot a full `set` gives up by policy, never a locked one (the set always keeps one unlocked way). */
  victim(set: number): number {
    const w = this.ways;
    const first = set * w;
    switch (this.victimKind) {
      case VICTIM_RANDOM: {
        // xorshift32: a repeatable "random" policy.
        let x = this.rng;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        this.rng = x;
        let way = (x >>> 0) % w;
        while (this.locked[first + way] === 1) way = way + 1 === w ? 0 : way + 1;
        return first + way;
      }
      case VICTIM_ROUND_ROBIN: {
        let way = this.rr[set]!;
        while (this.locked[first + way] === 1) way = way + 1 === w ? 0 : way + 1;
        this.rr[set] = way + 1 === w ? 0 : way + 1;
        return first + way;
      }
      default: {
        if (this.listed) return this.listedVictim(set);
        // LRU and FIFO: the oldest stamp of the set (a full set: every way in use), skipping locked slots.
        let v = NONE;
        let oldest = Infinity;
        for (let s = first; s < first + w; s++) {
          const t = this.stamp[s]!;
          if (t < oldest && this.locked[s] === 0) {
            oldest = t;
            v = s;
          }
        }
        return v;
      }
    }
  }

  /** A hit: under LRU the slot becomes the most recent of its set (the caller tests `lru`); in a listed set its place goes stale. */
  touch(s: number): void {
    this.stamp[s] = ++this.clock;
  }

  /**
   * A full listed set's victim: its least recent unlocked slot. From the
   * tail: a slot whose place is stale (hit since it was placed) moves to the
   * place its stamp gives it, and the search starts again from the tail; a
   * locked slot is passed over; the first other is the victim.
   */
  private listedVictim(set: number): number {
    let s = this.tail[set]!;
    while (s !== NONE) {
      if (this.stamp[s] !== this.placed[s]) {
        this.unlink(set, s);
        this.placeByStamp(set, s);
        s = this.tail[set]!;
      } else if (this.locked[s] === 1) s = this.prev[s]!;
      else return s;
    }
    return NONE;
  }

  /** Put `s` (not linked) where its stamp sorts it, walking from the head: the newest places are there, as a stamp renewed by a hit is. */
  private placeByStamp(set: number, s: number): void {
    const t = this.stamp[s]!;
    let after = NONE;
    let n = this.head[set]!;
    while (n !== NONE && this.placed[n]! > t) {
      after = n;
      n = this.next[n]!;
    }
    this.placed[s] = t;
    this.prev[s] = after;
    this.next[s] = n;
    if (after === NONE) this.head[set] = s;
    else this.next[after] = s;
    if (n === NONE) this.tail[set] = s;
    else this.prev[n] = s;
  }

  /** A fill: `s` (not linked) the most recent of its set, at the head of its list. */
  private placeFront(set: number, s: number): void {
    const t = ++this.clock;
    this.stamp[s] = t;
    this.placed[s] = t;
    this.linkFront(set, s);
  }

  /** Give a slot back (evicted or invalidated): unlinked, unlocked, free. */
  release(s: number): void {
    const set = (s / this.ways) | 0;
    if (this.listed) this.unlink(set, s);
    this.inUse[s] = 0;
    if (this.locked[s] === 1) {
      this.locked[s] = 0;
      this.lockedInSet[set]!--;
      this.lockedCount--;
    }
    const n = this.freeCount[set]!;
    this.free[set * this.ways + n] = s;
    this.freeCount[set] = n + 1;
    this.used--;
  }

  /** A victim's slot taken over by the entry replacing it: the most recent of its set now (its lock, if any, was checked away by `victim`). */
  reuse(s: number): void {
    if (!this.listed) {
      if (this.ordered) this.stamp[s] = ++this.clock;
      return;
    }
    // Fully associative (one set): no division for the set.
    const set = this.sets === 1 ? 0 : (s / this.ways) | 0;
    this.unlink(set, s);
    this.placeFront(set, s);
  }

  /** Can `s` be locked without leaving its set with no way to replace? */
  canLock(s: number): boolean {
    const set = (s / this.ways) | 0;
    return this.locked[s] === 1 || this.lockedInSet[set]! + 1 < this.ways;
  }

  lock(s: number): void {
    if (this.locked[s] === 1) return;
    this.locked[s] = 1;
    this.lockedInSet[((s / this.ways) | 0)]!++;
    this.lockedCount++;
  }

  unlock(s: number): void {
    if (this.locked[s] === 0) return;
    this.locked[s] = 0;
    this.lockedInSet[((s / this.ways) | 0)]!--;
    this.lockedCount--;
  }

  /** The slots of `set` in use: most recent first under LRU and FIFO, in slot order otherwise. */
  *inSet(set: number): Generator<number> {
    const used: number[] = [];
    for (let s = set * this.ways; s < (set + 1) * this.ways; s++) if (this.inUse[s] === 1) used.push(s);
    // By stamp: a listed set's list order is stale for slots hit since they were placed.
    if (this.ordered) used.sort((a, b) => this.stamp[b]! - this.stamp[a]!);
    yield* used;
  }

  private linkFront(set: number, s: number): void {
    const h = this.head[set]!;
    this.prev[s] = NONE;
    this.next[s] = h;
    if (h !== NONE) this.prev[h] = s;
    this.head[set] = s;
    if (this.tail[set] === NONE) this.tail[set] = s;
  }

  private unlink(set: number, s: number): void {
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p !== NONE) this.next[p] = n;
    else this.head[set] = n;
    if (n !== NONE) this.prev[n] = p;
    else this.tail[set] = p;
    this.prev[s] = NONE;
    this.next[s] = NONE;
  }
}
