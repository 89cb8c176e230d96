/**
 * A second floor for the DMA stream: the msm8x60 model's own work at each
 * page crossing, written flat in typed arrays — what the layered model would
 * cost if the walk, the TLB and the counters were one loop. Where the
 * stream's floor (`stream-loop-floor-accesses-per-s`) is the least a page
 * crossing can cost (a direct-mapped tag compare, two loads, two stores),
 * this one makes the model's decisions: a lookup in a 32-entry fully
 * associative TLB (open-addressed hash, backward-shift deletion), the
 * short-descriptor walk's type, access-flag and permission decode, the
 * least recently used victim from a linked list, the entry's fields stored,
 * and the counters the stream reports. `checkedModelWorkFloor` runs it beside
 * the model from the same empty TLB and refuses a floor that does not end
 * with the model's counters and entries (docs/performance.md#the-dma-stream).
 */
import { SZ_16M, SZ_4K } from '@vcm/core';
import type { SmmuContext } from '../src/context.js';
import type { WalkStep } from '../src/format.js';
import { PERM_EXECUTE, PERM_READ, PERM_USER, PERM_WRITE } from '../src/tlb.js';

const ENTRIES = 32;
const HASH = 64;
const NONE = -1;

/** What the floor counted over its streams: the figures `dma.stream` returns. */
export interface FloorCounts {
  accesses: number;
  hits: number;
  misses: number;
  walkMemoryAccesses: number;
  evictions: number;
}

/** An entry the floor holds, most recently used first (as `Tlb.entries` lists a fully associative TLB). */
export interface FloorEntry {
  readonly va: number;
  readonly pa: number;
  readonly perm: number;
}

export interface ModelWorkFloor {
  /** One stream of `len` bytes from `va` in 64-byte bursts (the benchmark's); returns a sum of the physical bases used (kept live). */
  stream(va: number, len: number): number;
  readonly counts: FloorCounts;
  entries(): FloorEntry[];
}

/**
 * The floor over a level-1 table `l1` (4,096 words) and the level-2 tables
 * it points at, `l2` (word addresses: a pointer's base ÷ 4). Small pages
 * of an unprivileged context only: a section, a large page or a fault
 * stops it, as a fault would stop the stream.
 */
export function modelWorkFloor(l1: Uint32Array, l2: Uint32Array): ModelWorkFloor {
  const tag = new Int32Array(ENTRIES).fill(NONE);
  const pa = new Float64Array(ENTRIES);
  const perm = new Uint8Array(ENTRIES);
  const hashAt = new Int32Array(ENTRIES);
  const prev = new Int32Array(ENTRIES);
  const next = new Int32Array(ENTRIES);
  const hash = new Int32Array(HASH).fill(NONE);
  // head, tail and the slots used so far; kept in a typed array between streams and in locals inside one.
  const list = new Int32Array([NONE, NONE, 0]);
  const counts: FloorCounts = { accesses: 0, hits: 0, misses: 0, walkMemoryAccesses: 0, evictions: 0 };
  const stream = (va: number, len: number): number => {
    let head = list[0]!;
    let tail = list[1]!;
    let used = list[2]!;
    let accesses = 0;
    let hits = 0;
    let misses = 0;
    let reads = 0;
    let evictions = 0;
    let sink = 0;
    const end = va + len;
    for (let a = va; a < end; a += 64) {
      const vpn = a >>> 12;
      let i = Math.imul(vpn, 0x9e3779b1) >>> 26;
      let s = hash[i]!;
      while (s !== NONE && tag[s] !== vpn) {
        i = (i + 1) & (HASH - 1);
        s = hash[i]!;
      }
      if (s === NONE) {
        misses++;
        const mb = a >>> 20;
        const d = l1[mb]!;
        reads++;
        if ((d & 3) !== 1) break;
        const p = l2[((d & 0xfffffc00) >>> 2) + ((a >>> 12) & 0xff)]!;
        reads++;
        // A small page (type 1x) with AP[0] set; AP[2] clear = writable, XN (bit 0) clear = executable, AP[1] set = user.
        if ((p & 2) === 0 || ((p >>> 4) & 1) === 0) break;
        if (used < ENTRIES) s = used++;
        else {
          // The least recently used entry: out of the hash (backward-shift deletion), then off the list's tail.
          s = tail;
          let h = hashAt[s]!;
          let j = h;
          for (;;) {
            j = (j + 1) & (HASH - 1);
            const t = hash[j]!;
            if (t === NONE) break;
            const home = Math.imul(tag[t]!, 0x9e3779b1) >>> 26;
            if (h <= j ? home > h && home <= j : home > h || home <= j) continue;
            hash[h] = t;
            hashAt[t] = h;
            h = j;
          }
          hash[h] = NONE;
          tail = prev[s]!;
          if (tail !== NONE) next[tail] = NONE;
          else head = NONE;
          evictions++;
        }
        tag[s] = vpn;
        pa[s] = (p & 0xfffff000) >>> 0;
        perm[s] = PERM_READ | (((p >>> 9) & 1) === 0 ? PERM_WRITE : 0) | ((p & 1) === 0 ? PERM_EXECUTE : 0) | (((p >>> 5) & 1) === 1 ? PERM_USER : 0);
        while (hash[i] !== NONE) i = (i + 1) & (HASH - 1);
        hash[i] = s;
        hashAt[s] = i;
        prev[s] = NONE;
        next[s] = head;
        if (head !== NONE) prev[head] = s;
        head = s;
        if (tail === NONE) tail = s;
      } else {
        hits++;
        if (s !== head) {
          // Most recent: unlink, then in front.
          const p = prev[s]!;
          const n = next[s]!;
          next[p] = n;
          if (n !== NONE) prev[n] = p;
          else tail = p;
          prev[s] = NONE;
          next[s] = head;
          prev[head] = s;
          head = s;
        }
      }
      // The read access of an unprivileged master: the entry must grant read and user.
      if ((perm[s]! & (PERM_READ | PERM_USER)) !== (PERM_READ | PERM_USER)) break;
      sink += pa[s]!;
      // The accesses left inside the page, counted at once (as the stream counts them).
      const pageEnd = (vpn + 1) * SZ_4K;
      const n = Math.ceil(((pageEnd < end ? pageEnd : end) - a) / 64);
      accesses += n;
      hits += n - 1;
      a += (n - 1) * 64;
    }
    list[0] = head;
    list[1] = tail;
    list[2] = used;
    counts.accesses += accesses;
    counts.hits += hits;
    counts.misses += misses;
    counts.walkMemoryAccesses += reads;
    counts.evictions += evictions;
    return sink;
  };
  const entries = (): FloorEntry[] => {
    const out: FloorEntry[] = [];
    for (let s = list[0]!; s !== NONE; s = next[s]!) out.push({ va: tag[s]! * SZ_4K, pa: pa[s]!, perm: perm[s]! });
    return out;
  };
  return { stream, counts, entries };
}

/** The floor over the table words `ctx`'s walk reads for the 16 MiB at `va` (read through the bank's own walk). */
function floorFor(ctx: SmmuContext, va: number): ModelWorkFloor {
  const bank = ctx.bank!;
  // A level-1 table of 4,096 words; each megabyte's level-2 table at word 256 × its index in the 16 MiB, its descriptor's attribute bits kept.
  const l1 = new Uint32Array(4096);
  const l2 = new Uint32Array(SZ_16M / SZ_4K);
  for (let page = 0; page < l2.length; page++) {
    const trace: WalkStep[] = [];
    bank.walk(va + page * SZ_4K, trace);
    l1[(va >>> 20) + (page >>> 8)] = ((((page >>> 8) * 256 * 4) | (trace[0]!.descriptor & 0x3ff)) >>> 0);
    l2[page] = trace[1]!.descriptor;
  }
  return modelWorkFloor(l1, l2);
}

/**
 * The floor over `ctx`'s table for the 16 MiB at `va`, checked: one stream
 * in 64-byte bursts on `ctx` (an msm8x60 context whose TLB is empty) and on
 * the floor, which must end with the same counters and the same entries in
 * the same order of recency, else this throws. The floor returned is the
 * one checked, ready to time.
 */
export function checkedModelWorkFloor(ctx: SmmuContext, va: number): ModelWorkFloor {
  const floor = floorFor(ctx, va);
  const tlb = ctx.bank!.smmu.tlb;
  const evictions0 = tlb.evictions;
  const r = ctx.dma.stream(va, SZ_16M, { burst: 64 });
  floor.stream(va, SZ_16M);
  const model = JSON.stringify({
    accesses: r.accesses,
    hits: r.hits,
    misses: r.misses,
    walkMemoryAccesses: r.walkMemoryAccesses,
    evictions: tlb.evictions - evictions0,
  });
  const counts = JSON.stringify(floor.counts);
  const entriesAgree = JSON.stringify(tlb.entries().map((e) => ({ va: e.va, pa: e.pa, perm: e.perm }))) === JSON.stringify(floor.entries());
  if (model !== counts || !entriesAgree) {
    throw new Error(`the model-work floor does not do the model's work: model ${model}, floor ${counts}; entries agree: ${entriesAgree}`);
  }
  return floor;
}
