/**
 * RangeAllocator: the device-address (IOVA) allocator behind `vcm_reserve`,
 * `vcm_reserve_at` and bounds (seed 001, `vcm.h`; docs/api.md#vcmh-mapping).
 *
 * The free space of `[start, start + len)` is kept as disjoint, coalesced
 * free extents in a treap keyed by extent start. Every node carries, for a
 * small set of tracked alignments 2^k (k ∈ {0, 12, 16, 20, 21, 24, 30}: byte,
 * 4 KiB, 64 KiB, 1 MiB, 2 MiB, 16 MiB, 1 GiB, i.e. the `VCM_ALIGN_*` orders,
 * the natural alignments of `vcm_reserve` and the LPAE block sizes), the
 * largest aligned block its subtree can hold:
 *   fit_k(subtree) = max over its extents [s, e) of  e − alignUp(s, 2^k).
 * An extent holds an aligned block of `len` exactly when fit_k >= len, so for
 * a tracked alignment the descent to the lowest fitting extent never
 * backtracks.
 *
 * docs/hardware.md#physical-memory-and-pools: the original placed an
 * aligned reservation by asking a
 * first-fit bitmap for len + alignment, wasting up to the alignment each
 * time. Here the block starts at the aligned address and the slack before
 * and after it stays free (the extent is split into up to two free pieces).
 *
 * Cost, n = number of free extents (≈ live reservations + 1), treap depth is
 * O(log n) expected (priorities from a per-instance PRNG; no global state):
 *   allocate(len, align)  O(log n) when align is 1 or a tracked alignment.
 *                         For any other power of two the in-order search prunes
 *                         subtrees with fit_j < len, 2^j the nearest tracked
 *                         alignment below align. That test is necessary but not
 *                         sufficient, so it backtracks out of subtrees that
 *                         pass it without holding a fit; those all have
 *                         fit_j < len + align − 2^j (at or above that bound a
 *                         fit is certain). Worst case O((m + 1) · log n), m the
 *                         number of such false candidates below the answer
 *                         (O(n log n) for an adversarial layout). Tracking every
 *                         order 12..31 would remove the case but measured about
 *                         2× slower for the tracked ones, which are what
 *                         `vcm_reserve` asks for by default.
 *   allocateAt            O(log n)
 *   free                  O(log n) (coalesces with both neighbours)
 *   isFree                O(log n)
 *   freeBytes, usedBytes, freeExtentCount, largestFreeExtent   O(1)
 *   freeExtents(), toJSON()   O(n)
 *
 * Addresses are plain numbers up to 2^53: no `>>>`/`|` on addresses
 * (docs/rules.md#numbers-and-addresses says numbers; 40-bit spaces exceed 32
 * bits).
 */
import { hex } from './errors.js';

/** log2 of the tracked alignments, ascending; index 0 must be 0 (plain length). */
const SHIFTS = [0, 12, 16, 20, 21, 24, 30] as const;
const LEVELS = SHIFTS.length;
const LEVEL_ALIGN: readonly number[] = SHIFTS.map((k) => 2 ** k);

/** Node 0 is the nil sentinel: its subtree fits are −∞ so pulls need no branch. */
import { ArrayTreap, NIL, grownF64 } from './array-treap.js';

function alignUp(x: number, align: number): number {
  // Exact for safe integers: division by a power of two only shifts the exponent.
  return Math.ceil(x / align) * align;
}

function isPowerOfTwo(x: number): boolean {
  if (!Number.isSafeInteger(x) || x < 1) return false;
  if (x <= 0x40000000) return (x & (x - 1)) === 0;
  while (x > 1) {
    if (x % 2 !== 0) return false;
    x /= 2;
  }
  return true;
}

function checkInteger(where: string, param: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`RangeAllocator.${where}: ${param} must be a safe integer >= ${min}, got ${String(value)}`);
  }
}

export interface RangeAllocatorSnapshot {
  start: number;
  len: number;
  freeBytes: number;
  usedBytes: number;
  freeExtents: Array<{ start: number; len: number }>;
}

export class RangeAllocator extends ArrayTreap {
  readonly start: number;
  readonly len: number;

  // Node storage (struct of arrays). Own fits are per extent, subtree fits per node.
  private nodeStart: Float64Array;
  private nodeLen: Float64Array;
  private own: Float64Array;
  private fit: Float64Array;
  private free_ = 0;
  /** Root-to-node path of the last descent (reused; grows when a treap is unusually deep). */
  private path = new Int32Array(64);

  /** Manages [start, start + len). start/len any non-negative integers (the VCM may start at 0x400). */
  constructor(start: number, len: number) {
    checkInteger('constructor', 'start', start, 0);
    checkInteger('constructor', 'len', len, 0);
    if (!Number.isSafeInteger(start + len)) {
      throw new RangeError(`RangeAllocator.constructor: start + len must be at most 2^53-1, got ${hex(start)} + ${hex(len)}`);
    }
    super(16);
    this.start = start;
    this.len = len;
    this.nodeStart = new Float64Array(this.capacity);
    this.nodeLen = new Float64Array(this.capacity);
    this.own = new Float64Array(this.capacity * LEVELS);
    this.fit = new Float64Array(this.capacity * LEVELS);
    this.own.fill(-Infinity, 0, LEVELS);
    this.fit.fill(-Infinity, 0, LEVELS);
    if (len > 0) {
      this.root = this.newNode(start, len);
      this.free_ = len;
    }
  }

  get freeBytes(): number {
    return this.free_;
  }

  get usedBytes(): number {
    return this.len - this.free_;
  }

  /** Number of free extents. */
  get freeExtentCount(): number {
    return this.count;
  }

  /** Length of the largest free extent (0 when full): what an `ENOMEM` message can quote. */
  get largestFreeExtent(): number {
    return this.root === NIL ? 0 : (this.fit[this.root * LEVELS] as number);
  }

  /**
   * Lowest-address placement: the lowest a >= start with a % align === 0 such
   * that [a, a + len) is entirely free; undefined when nothing fits.
   */
  allocate(len: number, align: number): number | undefined {
    checkInteger('allocate', 'len', len, 1);
    if (!isPowerOfTwo(align)) {
      throw new RangeError(`RangeAllocator.allocate: align must be a power of two >= 1, got ${String(align)}`);
    }
    let lvl = LEVELS - 1;
    while ((LEVEL_ALIGN[lvl] as number) > align) lvl--;
    const fit = this.fit;
    if (this.root === NIL || (fit[this.root * LEVELS + lvl] as number) < len) return undefined;

    let depth: number;
    if (LEVEL_ALIGN[lvl] === align) {
      // Exact pruning: a subtree passes iff it holds a fit, so no backtracking.
      const left = this.left;
      let n = this.root;
      depth = 0;
      for (;;) {
        this.pushPath(depth++, n);
        const l = left[n] as number;
        if ((fit[l * LEVELS + lvl] as number) >= len) {
          n = l;
          continue;
        }
        const s = this.nodeStart[n] as number;
        if (alignUp(s, align) + len <= s + (this.nodeLen[n] as number)) break;
        n = this.right[n] as number;
        // Unreachable while the subtree fits are right; fail loudly rather than spin.
        if (n === NIL) throw new RangeError('RangeAllocator.allocate: internal error, subtree fits are stale');
      }
    } else {
      depth = this.searchInexact(this.root, 0, len, align, lvl);
      if (depth === 0) return undefined;
    }
    const x = this.path[depth - 1] as number;
    const s = this.nodeStart[x] as number;
    const a = alignUp(s, align);
    this.take(x, depth, a, len);
    return a;
  }

  /** Take exactly [addr, addr + len) if entirely free; false (and nothing changed) otherwise. */
  allocateAt(addr: number, len: number): boolean {
    checkInteger('allocateAt', 'addr', addr, 0);
    checkInteger('allocateAt', 'len', len, 1);
    const depth = this.floorPath(addr);
    if (depth === 0) return false;
    const x = this.path[depth - 1] as number;
    if ((this.nodeStart[x] as number) + (this.nodeLen[x] as number) < addr + len) return false;
    this.take(x, depth, addr, len);
    return true;
  }

  /**
   * Give back [addr, addr + len); it must be entirely allocated, else throws
   * RangeError and changes nothing. Coalesces with free neighbours.
   */
  free(addr: number, len: number): void {
    checkInteger('free', 'addr', addr, 0);
    checkInteger('free', 'len', len, 1);
    const end = addr + len;
    if (addr < this.start || end > this.start + this.len) {
      throw new RangeError(
        `RangeAllocator.free: [${hex(addr)}, ${hex(end)}) is outside the managed range [${hex(this.start)}, ${hex(this.start + this.len)})`,
      );
    }
    // One descent toward `end` passes both neighbours: the free extent with
    // the largest start below `end` (the only one that could overlap
    // [addr, end); if it ends at or before addr, none does) and the one
    // starting exactly at `end`. Both lie on the search path.
    let n = this.root;
    let d = 0;
    let pDepth = 0;
    let sDepth = 0;
    while (n !== NIL) {
      this.pushPath(d++, n);
      const s = this.nodeStart[n] as number;
      if (s < end) {
        pDepth = d;
        n = this.right[n] as number;
      } else {
        if (s === end) sDepth = d;
        n = this.left[n] as number;
      }
    }
    const p = pDepth === 0 ? NIL : (this.path[pDepth - 1] as number);
    const pStart = this.nodeStart[p] as number;
    const pEnd = p === NIL ? -1 : pStart + (this.nodeLen[p] as number);
    if (p !== NIL && pEnd > addr) {
      throw new RangeError(
        `RangeAllocator.free: [${hex(addr)}, ${hex(end)}) is not entirely allocated: [${hex(pStart)}, ${hex(pEnd)}) is free`,
      );
    }
    const mergeLeft = p !== NIL && pEnd === addr;
    const succ = sDepth === 0 ? NIL : (this.path[sDepth - 1] as number);

    if (mergeLeft && succ !== NIL) {
      const total = (this.nodeLen[p] as number) + len + (this.nodeLen[succ] as number);
      if (pDepth < sDepth) {
        // p is an ancestor of succ: grow p, then removing succ re-pulls p and its ancestors.
        this.setExtent(p, pStart, total);
        this.root = this.removeKey(this.root, end);
      } else {
        // succ is an ancestor of p: remove p below it, then grow succ down to pStart.
        this.root = this.removeKey(this.root, pStart);
        this.setExtent(succ, pStart, total);
        this.pullPath(sDepth);
      }
    } else if (mergeLeft) {
      this.setExtent(p, pStart, (this.nodeLen[p] as number) + len);
      this.pullPath(pDepth);
    } else if (succ !== NIL) {
      // Moving succ's start down to addr keeps the key order: nothing lies between.
      this.setExtent(succ, addr, (this.nodeLen[succ] as number) + len);
      this.pullPath(sDepth);
    } else {
      this.root = this.insertNode(this.root, this.newNode(addr, len));
    }
    this.free_ += len;
  }

  /** True when [addr, addr + len) is inside the managed range and entirely free. */
  isFree(addr: number, len: number): boolean {
    checkInteger('isFree', 'addr', addr, 0);
    checkInteger('isFree', 'len', len, 1);
    const depth = this.floorPath(addr);
    if (depth === 0) return false;
    const x = this.path[depth - 1] as number;
    return (this.nodeStart[x] as number) + (this.nodeLen[x] as number) >= addr + len;
  }

  /** Free extents in address order (a snapshot taken when called). */
  freeExtents(): Iterable<{ start: number; len: number }> {
    const out: Array<{ start: number; len: number }> = [];
    this.forEachInOrder((n) => out.push({ start: this.nodeStart[n] as number, len: this.nodeLen[n] as number }));
    return out;
  }

  /** Plain-data snapshot (docs/rules.md#observability). */
  toJSON(): RangeAllocatorSnapshot {
    return {
      start: this.start,
      len: this.len,
      freeBytes: this.free_,
      usedBytes: this.usedBytes,
      freeExtents: [...this.freeExtents()],
    };
  }

  // ---- placement -------------------------------------------------------

  /**
   * Carve [a, a + len) out of free extent x (path[0..depth) leads to x). The
   * head [s, a) and tail [a + len, e) stay free: no alignment waste.
   */
  private take(x: number, depth: number, a: number, len: number): void {
    const s = this.nodeStart[x] as number;
    const e = s + (this.nodeLen[x] as number);
    const b = a + len;
    if (a > s) {
      this.setExtent(x, s, a - s);
      this.pullPath(depth);
      if (b < e) this.root = this.insertNode(this.root, this.newNode(b, e - b));
    } else if (b < e) {
      this.setExtent(x, b, e - b);
      this.pullPath(depth);
    } else {
      this.root = this.removeKey(this.root, s);
    }
    this.free_ -= len;
  }

  /**
   * In-order search for the lowest extent fitting an untracked alignment.
   * Prunes subtrees with fit_lvl < len (they cannot fit). Returns the path
   * depth of the found node (path filled), or 0.
   */
  private searchInexact(n: number, depth: number, len: number, align: number, lvl: number): number {
    if (n === NIL || (this.fit[n * LEVELS + lvl] as number) < len) return 0;
    this.pushPath(depth, n);
    const found = this.searchInexact(this.left[n] as number, depth + 1, len, align, lvl);
    if (found !== 0) return found;
    const s = this.nodeStart[n] as number;
    if (alignUp(s, align) + len <= s + (this.nodeLen[n] as number)) {
      // The left search may have overwritten deeper path slots; ours is intact.
      return depth + 1;
    }
    this.pushPath(depth, n);
    return this.searchInexact(this.right[n] as number, depth + 1, len, align, lvl);
  }

  // ---- descents ----------------------------------------------------------

  private pushPath(i: number, n: number): void {
    if (i >= this.path.length) {
      const grown = new Int32Array(this.path.length * 2);
      grown.set(this.path);
      this.path = grown;
    }
    this.path[i] = n;
  }

  /** Path to the extent with the largest start <= key; returns its depth (0: none). */
  private floorPath(key: number): number {
    let n = this.root;
    let d = 0;
    let best = 0;
    while (n !== NIL) {
      this.pushPath(d++, n);
      if ((this.nodeStart[n] as number) <= key) {
        best = d;
        n = this.right[n] as number;
      } else {
        n = this.left[n] as number;
      }
    }
    return best;
  }

  /**
   * Re-pull the path bottom-up after the node at its end changed in place.
   * Once a node's subtree fits come out unchanged, its ancestors' cannot
   * change either, so the walk stops there.
   */
  private pullPath(depth: number): void {
    for (let i = depth - 1; i >= 0; i--) {
      if (!this.pull(this.path[i] as number)) return;
    }
  }

  // ---- treap -------------------------------------------------------------

  /** Recompute n's subtree fits from its own extent and its children; true if any changed. */
  protected pull(n: number): boolean {
    const o = n * LEVELS;
    const l = (this.left[n] as number) * LEVELS;
    const r = (this.right[n] as number) * LEVELS;
    const fit = this.fit;
    const own = this.own;
    let changed = false;
    for (let i = 0; i < LEVELS; i++) {
      const a = own[o + i] as number;
      const b = fit[l + i] as number;
      const c = fit[r + i] as number;
      const m = a >= b ? (a >= c ? a : c) : b >= c ? b : c;
      if (fit[o + i] !== m) {
        fit[o + i] = m;
        changed = true;
      }
    }
    return changed;
  }

  private setExtent(n: number, s: number, len: number): void {
    this.nodeStart[n] = s;
    this.nodeLen[n] = len;
    const e = s + len;
    const o = n * LEVELS;
    this.own[o] = len;
    for (let i = 1; i < LEVELS; i++) this.own[o + i] = e - alignUp(s, LEVEL_ALIGN[i] as number);
  }

  protected before(a: number, b: number): boolean {
    return (this.nodeStart[a] as number) < (this.nodeStart[b] as number);
  }

  protected growNodes(cap: number): void {
    this.nodeStart = grownF64(this.nodeStart, cap);
    this.nodeLen = grownF64(this.nodeLen, cap);
    this.own = grownF64(this.own, cap * LEVELS);
    this.fit = grownF64(this.fit, cap * LEVELS);
  }

  private newNode(s: number, len: number): number {
    const n = this.allocNode();
    this.setExtent(n, s, len);
    this.pull(n);
    return n;
  }

  private removeKey(n: number, key: number): number {
    const s = this.nodeStart[n] as number;
    if (key === s) {
      const merged = this.merge(this.left[n] as number, this.right[n] as number);
      this.releaseNode(n);
      return merged;
    }
    if (key < s) this.left[n] = this.removeKey(this.left[n] as number, key);
    else this.right[n] = this.removeKey(this.right[n] as number, key);
    this.pull(n);
    return n;
  }
}
