/**
 * Where an entry of a set-associative cache may live, and which one a full
 * set gives up (docs/hardware.md#translation-caches): `sets × ways` slots,
 * slot `set * ways + way`; per set its recency (LRU renews it on a hit,
 * FIFO only on a fill) — a use stamp per slot in sets of up to 8 ways, whose
 * victim is found by a scan that short, a linked list in larger ones, whose
 * victim is its tail — a round-robin pointer, a stack of free
 * ways; a seeded xorshift32 for `random`, so runs repeat. Locked slots
 * (TLB lockdown) are never chosen as victims. Fully associative is one set.
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
 * Up to this many ways a set keeps its recency as a use stamp per slot
 * rather than a linked list: a hit is one store, and the victim is the
 * oldest stamp of a scan this short. Larger (fully associative) sets keep
 * the list, whose victim is its tail.
 */
const MAX_STAMPED_WAYS = 8;
const VICTIM_ORDERED = 0;
const VICTIM_RANDOM = 1;
const VICTIM_ROUND_ROBIN = 2;

/** Placement and replacement of one cache: sets, ways, recency, free ways, locks. */
export class Replacement {
  readonly sets: number;
  readonly ways: number;
  readonly capacity: number;
  readonly policy: CachePolicy;
  /** `policy === 'lru'`: a hit moves its slot to the front of its set. */
  readonly lru: boolean;
  /** LRU and FIFO pick their victim from the recency list; round-robin and random need none and keep none. */
  private readonly ordered: boolean;
  /** An ordered policy whose sets are small enough for use stamps (`MAX_STAMPED_WAYS`): no list is kept. */
  private readonly stamped: boolean;
  /** Per slot, when it was last made the most recent of its set (LRU: filled or hit; FIFO: filled). */
  private readonly stamp: Float64Array;
  private clock = 0;
  /** The policy as a small integer for the victim's switch: `VICTIM_ORDERED`, `VICTIM_RANDOM` or `VICTIM_ROUND_ROBIN`. */
  private readonly victimKind: number;
  /** 1 for a slot in use (what `inSet` lists when no recency list is kept). */
  private readonly inUse: Uint8Array;
  /** Slots in use. */
  used = 0;
  /** Slots locked (lockdown). */
  lockedCount = 0;
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
    this.stamped = this.ordered && w <= MAX_STAMPED_WAYS;
    this.victimKind = policy === 'random' ? VICTIM_RANDOM : policy === 'round-robin' ? VICTIM_ROUND_ROBIN : VICTIM_ORDERED;
    this.stamp = new Float64Array(this.stamped ? capacity : 0);
    this.inUse = new Uint8Array(capacity);
    this.prev = new Int32Array(capacity).fill(NONE);
    this.next = new Int32Array(capacity).fill(NONE);
    this.head = new Int32Array(this.sets).fill(NONE);
    this.tail = new Int32Array(this.sets).fill(NONE);
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
      this.head[set] = NONE;
      this.tail[set] = NONE;
      this.rr[set] = 0;
      this.lockedInSet[set] = 0;
    }
    this.prev.fill(NONE);
    this.next.fill(NONE);
    this.locked.fill(0);
    this.inUse.fill(0);
    this.stamp.fill(0);
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
    if (this.stamped) this.stamp[s] = ++this.clock;
    else if (this.ordered) this.linkFront(set, s);
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
        if (this.stamped) {
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
        // LRU and FIFO: the tail of the recency list (least recent / oldest), skipping locked slots.
        let s = this.tail[set]!;
        while (s !== NONE && this.locked[s] === 1) s = this.prev[s]!;
        return s;
      }
    }
  }

  /** A hit: under LRU the slot becomes the most recent of its set. */
  touch(s: number): void {
    if (this.stamped) {
      this.stamp[s] = ++this.clock;
      return;
    }
    // Fully associative (one set): no division for the set.
    const set = this.sets === 1 ? 0 : (s / this.ways) | 0;
    const h = this.head[set]!;
    if (h === s) return;
    // Not the head, so it has a predecessor: unlink and relink in one go (the hit path of every LRU cache).
    const p = this.prev[s]!;
    const n = this.next[s]!;
    this.next[p] = n;
    if (n !== NONE) this.prev[n] = p;
    else this.tail[set] = p;
    this.prev[s] = NONE;
    this.next[s] = h;
    this.prev[h] = s;
    this.head[set] = s;
  }

  /** Give a slot back (evicted or invalidated): unlinked, unlocked, free. */
  release(s: number): void {
    const set = (s / this.ways) | 0;
    if (this.ordered && !this.stamped) this.unlink(set, s);
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
    if (this.stamped) {
      this.stamp[s] = ++this.clock;
      return;
    }
    if (!this.ordered) return;
    const set = (s / this.ways) | 0;
    if (this.head[set] === s) return;
    this.unlink(set, s);
    this.linkFront(set, s);
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

  /** The slots of `set` in use, most recent first. */
  *inSet(set: number): Generator<number> {
    if (!this.ordered) {
      for (let s = set * this.ways; s < (set + 1) * this.ways; s++) if (this.inUse[s] === 1) yield s;
      return;
    }
    if (this.stamped) {
      const used: number[] = [];
      for (let s = set * this.ways; s < (set + 1) * this.ways; s++) if (this.inUse[s] === 1) used.push(s);
      used.sort((a, b) => this.stamp[b]! - this.stamp[a]!);
      yield* used;
      return;
    }
    for (let s = this.head[set]!; s !== NONE; s = this.next[s]!) yield s;
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
