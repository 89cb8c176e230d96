/**
 * The walk cache (docs/hardware.md#translation-caches): table descriptors a
 * walk followed, so that the next walk under them starts lower and reads
 * fewer descriptors from RAM — gem5's SMMUv3 keeps one per stage and level,
 * an MMU-600 256 entries each; here one cache holds every level (short:
 * level-1 table descriptors, each covering 1 MiB; LPAE: level-1 ones
 * covering 1 GiB and level-2 ones covering 2 MiB), tagged like the TLB by
 * bank and context id. A lookup probes the smallest span first: the deepest
 * table saves the most reads.
 *
 * Only followed table descriptors are cached (no negative entries), and every
 * invalidation that reaches the TLB reaches this cache too — by address an
 * entry goes when its span overlaps the range, so an unmap that freed the
 * table an entry points at removes it.
 *
 * Not reached by users directly: the SMMU's `caches` owns it. Its inputs come
 * from the format's walk, so it checks nothing itself.
 */
import type { CacheGeometry, CachePolicy } from './config.js';
import { NONE, Replacement } from './replacement.js';
import type { WalkPath } from '../walk-path.js';

/** A walk cache's counters: lookups (each probe of one span) = hits + misses. */
export interface WalkCacheStats {
  readonly enabled: boolean;
  readonly capacity: number;
  readonly ways: number;
  readonly sets: number;
  readonly policy: CachePolicy;
  readonly entries: number;
  readonly lookups: number;
  readonly hits: number;
  readonly misses: number;
  readonly fills: number;
  readonly evictions: number;
  /** Entries removed by invalidation. */
  readonly invalidations: number;
}

/** One cached table descriptor, for snapshots. */
export interface WalkCacheEntry {
  readonly bank: number;
  readonly contextId: number;
  /** The input range the descriptor covers. */
  readonly va: number;
  readonly size: number;
  /** The level the walk continues at, and the table it reads there. */
  readonly nextLevel: number;
  readonly tablePa: number;
}

/** Table descriptors cover at least 1 MiB (short level 1), so va >>> span fits 12 bits. */
const MIN_SPAN = 20;

/** A set-associative cache of table descriptors, keyed by (bank, context id, span, va >>> span). */
export class WalkCache {
  readonly capacity: number;
  lookups = 0;
  hits = 0;
  misses = 0;
  fills = 0;
  evictions = 0;
  invalidations = 0;
  /** log2 of every span an entry has had, ascending: what a lookup probes. */
  readonly spans: number[] = [];
  private readonly place: Replacement;
  private readonly setMask: number;
  private readonly keys: Float64Array;
  /** (bank << 9) | context id; NONE when free. */
  private readonly owner: Int32Array;
  private readonly span: Uint8Array;
  private readonly vaBase: Float64Array;
  private readonly nextLevel: Uint8Array;
  private readonly tablePa: Float64Array;
  private readonly attrs: Uint32Array;
  /** Fully associative (or many ways): key → slot. Few ways: unused, a lookup scans the set's `keys`. */
  private readonly index = new Map<number, number>();
  private readonly scanSets: boolean;
  /** The entry the last probe hit or the last fill wrote: a walk of the next page under the same table finds it without a search. */
  private last = NONE;

  /** `g` is checked (`resolveCacheConfig`) and enabled. */
  constructor(g: CacheGeometry) {
    const c = g.entries;
    this.capacity = c;
    this.place = new Replacement(c, g.ways, g.policy, g.seed);
    this.setMask = this.place.sets - 1;
    this.keys = new Float64Array(c).fill(NONE);
    this.scanSets = this.place.ways <= 8 && this.place.sets > 1;
    this.owner = new Int32Array(c).fill(NONE);
    this.span = new Uint8Array(c);
    this.vaBase = new Float64Array(c);
    this.nextLevel = new Uint8Array(c);
    this.tablePa = new Float64Array(c);
    this.attrs = new Uint32Array(c);
  }

  /** The slot holding `key` (an entry of span `span` for `va`), or NONE. */
  private find(key: number, span: number, va: number): number {
    if (this.scanSets) {
      const ways = this.place.ways;
      const first = ((va >>> span) & this.setMask) * ways;
      for (let s = first; s < first + ways; s++) if (this.keys[s] === key) return s;
      return NONE;
    }
    return this.index.get(key) ?? NONE;
  }

  /** Spans are at least 2^20, so va >>> span fits 12 bits and the key is exact (and a small integer for the banks boards have). */
  private static key(owner: number, span: number, va: number): number {
    return (owner * 32 + span) * 4096 + (va >>> span);
  }

  /**
   * Probe for a table descriptor above `va`, smallest span first; on a hit
   * set `from`'s start point. Returns the probes made (each a lookup).
   */
  probe(bank: number, contextId: number, va: number, from: WalkPath): number {
    const owner = (bank << 9) | contextId;
    const spans = this.spans;
    if (spans.length === 0) {
      // Nothing held yet: one lookup, a miss.
      this.lookups++;
      this.misses++;
      return 1;
    }
    // The smallest span is probed first, and keys are unique: when the last
    // entry has that span and covers va, the search would find it.
    const l = this.last;
    if (l !== NONE && this.owner[l] === owner && this.span[l] === spans[0] && va >>> spans[0]! === this.vaBase[l]! >>> spans[0]!) {
      this.lookups++;
      this.hit(l, from);
      return 1;
    }
    let probes = 0;
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i]!;
      probes++;
      this.lookups++;
      const s = this.find(WalkCache.key(owner, span, va), span, va);
      if (s !== NONE) {
        this.hit(s, from);
        return probes;
      }
      this.misses++;
    }
    return probes;
  }

  /** A probe found entry `s`: counted, made recent (LRU), the last entry, and `from` starts at the table it holds. */
  private hit(s: number, from: WalkPath): void {
    this.hits++;
    if (this.place.lru) this.place.touch(s);
    this.last = s;
    from.startLevel = this.nextLevel[s]!;
    from.startTable = this.tablePa[s]!;
    from.startAttrs = this.attrs[s]!;
  }

  /** Remember the table descriptors a walk followed (`from.tables` of them). */
  fillFrom(bank: number, contextId: number, va: number, from: WalkPath): void {
    const owner = (bank << 9) | contextId;
    for (let i = 0; i < from.tables; i++) {
      const span = from.tableSpanLog2[i]!;
      if (span < MIN_SPAN) throw new Error(`walk cache: a table descriptor covering 2^${span} bytes; every format's cover at least 1 MiB`);
      const key = WalkCache.key(owner, span, va);
      const existing = this.find(key, span, va);
      if (existing !== NONE) this.remove(existing);
      const set = (va >>> span) & this.setMask;
      let s = this.place.take(set);
      if (s === NONE) {
        this.remove(this.place.victim(set));
        this.evictions++;
        s = this.place.take(set);
      }
      this.keys[s] = key;
      this.owner[s] = owner;
      this.span[s] = span;
      this.vaBase[s] = va - (va % 2 ** span);
      this.nextLevel[s] = from.tableLevel[i]! + 1;
      this.tablePa[s] = from.tablePa[i]!;
      this.attrs[s] = from.tableAttrs[i]!;
      if (!this.scanSets) this.index.set(key, s);
      this.last = s;
      this.fills++;
      if (!this.spans.includes(span)) {
        this.spans.push(span);
        this.spans.sort((a, b) => a - b);
      }
    }
  }

  private remove(s: number): void {
    if (this.last === s) this.last = NONE;
    if (!this.scanSets) this.index.delete(this.keys[s]!);
    this.keys[s] = NONE;
    this.owner[s] = NONE;
    this.place.release(s);
  }

  /** Entries of (bank, context id) whose span overlaps [va, va + len). */
  invalidateRange(bank: number, contextId: number, va: number, len: number): number {
    if (this.place.used === 0) return 0;
    const owner = (bank << 9) | contextId;
    const end = va + len;
    let removed = 0;
    for (const span of this.spans) {
      const size = 2 ** span;
      const first = va - (va % size);
      // Few spans to probe (the usual unmap): by key; a huge range: one scan.
      if ((end - first) / size > this.capacity) {
        removed += this.scan(owner, va, end);
        break;
      }
      for (let a = first; a < end; a += size) {
        const s = this.find(WalkCache.key(owner, span, a), span, a);
        if (s !== NONE) {
          this.remove(s);
          removed++;
        }
      }
    }
    this.invalidations += removed;
    return removed;
  }

  private scan(owner: number, va: number, end: number): number {
    let removed = 0;
    for (let s = 0; s < this.capacity; s++) {
      if (this.owner[s] === owner && this.vaBase[s]! < end && this.vaBase[s]! + 2 ** this.span[s]! > va) {
        this.remove(s);
        removed++;
      }
    }
    return removed;
  }

  /** Every entry of (bank, context id). */
  invalidateContext(bank: number, contextId: number): number {
    return this.removeWhere((o) => o === ((bank << 9) | contextId));
  }

  /** Every entry of a bank. */
  invalidateBank(bank: number): number {
    return this.removeWhere((o) => o >>> 9 === bank);
  }

  invalidateAll(): number {
    return this.removeWhere(() => true);
  }

  private removeWhere(match: (owner: number) => boolean): number {
    if (this.place.used === 0) return 0;
    let removed = 0;
    for (let s = 0; s < this.capacity; s++) {
      const o = this.owner[s]!;
      if (o !== NONE && match(o)) {
        this.remove(s);
        removed++;
      }
    }
    this.invalidations += removed;
    return removed;
  }

  resetStats(): void {
    this.lookups = 0;
    this.hits = 0;
    this.misses = 0;
    this.fills = 0;
    this.evictions = 0;
    this.invalidations = 0;
  }

  /** Start cold: no entry, zero counters, the generator at its seed. */
  reset(): void {
    this.invalidateAll();
    this.resetStats();
    this.place.reseed();
  }

  stats(): WalkCacheStats {
    return {
      enabled: true,
      capacity: this.capacity,
      ways: this.place.ways,
      sets: this.place.sets,
      policy: this.place.policy,
      entries: this.place.used,
      lookups: this.lookups,
      hits: this.hits,
      misses: this.misses,
      fills: this.fills,
      evictions: this.evictions,
      invalidations: this.invalidations,
    };
  }

  entries(): WalkCacheEntry[] {
    const out: WalkCacheEntry[] = [];
    for (let set = 0; set < this.place.sets; set++) {
      for (const s of this.place.inSet(set)) {
        const o = this.owner[s]!;
        out.push({ bank: o >>> 9, contextId: o & 0x1ff, va: this.vaBase[s]!, size: 2 ** this.span[s]!, nextLevel: this.nextLevel[s]!, tablePa: this.tablePa[s]! });
      }
    }
    return out;
  }
}
