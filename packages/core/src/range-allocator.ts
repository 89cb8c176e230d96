/**
 * RangeAllocator: the one free-extent tree of the project. It is the
 * device-address (IOVA) allocator behind `vcm_reserve`, `vcm_reserve_at` and
 * bounds (seed 001, `vcm.h`; docs/api.md#vcmh-mapping), the CPU's vmalloc
 * and mmap areas in `@vcm/vmm-overlay`, and the free space of
 * `@vcm/physalloc`'s contiguous pools (seed 000, "One pool is a contiguous
 * block of memory").
 *
 * The free space of `[start, start + len)` is kept as disjoint, coalesced
 * free extents in an AVL tree keyed by extent start (`ArrayAvlTree`). Every
 * node carries, for each tracked alignment A (by default 1, 4 KiB, 64 KiB,
 * 1 MiB, 2 MiB, 16 MiB, 1 GiB: the `VCM_ALIGN_*` orders, the natural
 * alignments of `vcm_reserve` and the LPAE block sizes; a contiguous pool
 * tracks its granule times every power of two up to its size), the largest
 * aligned block its subtree can hold:
 *   fit_A(subtree) = max over its extents [s, e) of  max(0, e − alignUp(s, A)).
 * An extent holds an aligned block of `len` exactly when fit_A >= len, so for
 * a tracked alignment the descent to the lowest fitting extent never
 * backtracks.
 *
 * The tree's right spine is open (`ArrayAvlTree`): the root and its chain of
 * right children leave their right subtrees out of their fits. The descent
 * reads only left children's fits, so it decides exactly as before, and
 * carving from or freeing into the highest extent (the range's free tail,
 * where large and aligned requests land once the low holes are too small)
 * re-pulls that node alone instead of a whole path to the root. The largest
 * free extent is then the best over the spine.
 *
 * The original placed an aligned reservation by asking a first-fit bitmap
 * for len + alignment, wasting up to the alignment each time
 * (docs/hardware.md#physical-memory-and-pools). Here the block starts at the
 * aligned address and the slack before and after it stays free (the extent
 * is split into up to two free pieces).
 *
 * Cost, n = number of free extents (≈ live reservations + 1), tree height at
 * most 1.44 · log2(n + 2), m = number of tracked alignments:
 *   allocate(len, align)  O(m · log n) when align is at most the unit or a
 *                         tracked alignment. For any other power of two the
 *                         in-order search prunes subtrees with fit_B < len, B
 *                         the nearest tracked alignment below align. That test
 *                         is necessary but not sufficient, so it backtracks out
 *                         of subtrees that pass it without holding a fit; those
 *                         all have fit_B < len + align − B (at or above that
 *                         bound a fit is certain). Worst case O((k + 1) · m ·
 *                         log n), k the number of such false candidates below
 *                         the answer (O(n log n) for an adversarial layout).
 *                         Tracking every order 12..31 by default would remove
 *                         the case but measured about 2× slower for the
 *                         tracked ones, which are what `vcm_reserve` asks for.
 *   lowestFit             as allocate, and changes nothing
 *   allocateAt, free      O(m · log n) (free coalesces with both neighbours)
 *   isFree                O(log n)
 *   largestFreeExtent     O(log n) (a walk down the right spine)
 *   freeBytes, usedBytes, freeExtentCount, treeHeight   O(1)
 *   freeExtents(), toJSON()   O(n)
 *
 * Every public method validates its arguments once (an `EINVAL` VcmError
 * that names the parameter and what would be right, and nothing changes,
 * docs/rules.md#validation); the descents below it do not check again.
 * Addresses are plain numbers below 2^40: no `>>>`/`|` on addresses
 * (docs/rules.md#numbers-and-addresses; 40-bit spaces exceed 32 bits).
 */
import { ArrayAvlTree, NIL, grownF64 } from './array-avl-tree.js';
import { VcmError, hex } from './errors.js';
import { checkAligned, checkLength, checkPowerOfTwo, checkUint } from './validate.js';
import { isPowerOfTwoIn } from './power-of-two.js';

/** Managed ranges end at or below 2^40, the project's address limit (the LPAE output size). */
const ADDR_LIMIT = 2 ** 40;

/** Tracked by default: byte, 4 KiB, 64 KiB, 1 MiB, 2 MiB, 16 MiB, 1 GiB. */
const DEFAULT_ALIGNMENTS: readonly number[] = [0, 12, 16, 20, 21, 24, 30].map((k) => 2 ** k);

/** 1 / each alignment (exact: powers of two). */
function inverses(align: Float64Array): Float64Array {
  const out = new Float64Array(align.length);
  for (let i = 0; i < align.length; i++) out[i] = 1 / align[i]!;
  return out;
}

const DEFAULT_LEVEL_ALIGN = new Float64Array(DEFAULT_ALIGNMENTS);
const DEFAULT_LEVEL_INVERSE = inverses(DEFAULT_LEVEL_ALIGN);

/** More tracked alignments than this only cost time: 2^40 is the largest useful one. */
const MAX_LEVELS = 41;

function alignUp(x: number, align: number): number {
  // Exact for safe integers: division by a power of two only shifts the exponent.
  return Math.ceil(x / align) * align;
}

/** How a `RangeAllocator` is tuned: the alignments it can place in O(log n). */
export interface RangeAllocatorOptions {
  /**
   * The alignments placed without backtracking: ascending powers of two, at
   * most 41. The first is the allocation unit: every address and length given
   * to the allocator must be a multiple of it (so every free extent is, and
   * `largestFreeExtent` is the longest one). Default: 1, 4 KiB, 64 KiB, 1 MiB,
   * 2 MiB, 16 MiB, 1 GiB.
   */
  readonly alignments?: readonly number[] | undefined;
}

/** A range allocator as plain JSON (docs/rules.md#observability): its range, the byte counts and every free extent in address order. */
export interface RangeAllocatorSnapshot {
  start: number;
  len: number;
  freeBytes: number;
  usedBytes: number;
  freeExtents: Array<{ start: number; len: number }>;
}

/**
 * The free-extent allocator of a range of addresses: the device-address
 * allocator of VCMs and bounds, the vmalloc and mmap areas of
 * `@vcm/vmm-overlay` and the free space of `@vcm/physalloc`'s contiguous
 * pools. It places an aligned block at the lowest address that holds it, with
 * no alignment waste (docs/decisions.md#placement-without-alignment-waste), in
 * O(log n) for the tracked alignments, and coalesces freed neighbours.
 */
export class RangeAllocator extends ArrayAvlTree {
  readonly start: number;
  readonly len: number;
  /** The allocation unit (the first tracked alignment): addresses and lengths are multiples of it. */
  readonly unit: number;
  /** 1 / unit (exact: a power of two). */
  private readonly unitInverse: number;

  /** Number of tracked alignments. */
  private readonly levels: number;
  /**
   * Per-node stride of `aug`: node n's own fits live at [n · stride, n · stride + levels),
   * its subtree fits right after them, so a pull reads one node's both in one place.
   */
  private readonly stride: number;
  /** The tracked alignments, ascending; levelAlign[0] is the unit. */
  private readonly levelAlign: Float64Array;
  /** 1 / levelAlign[i]: exact (powers of two), and a product is cheaper than a quotient. */
  private readonly levelInverse: Float64Array;
  // Node storage (struct of arrays). Own fits are per extent, subtree fits per node.
  private nodeStart: Float64Array;
  private nodeLen: Float64Array;
  private aug: Float64Array;
  private free_ = 0;

  /**
   * Manages [start, start + len), which ends at or below 2^40; both are
   * multiples of the unit. A VCM may start at 0x400 (seed: `vcm_create(SZ_1K, SZ_16M)`).
   */
  constructor(start: number, len: number, options: RangeAllocatorOptions = {}) {
    const where = 'RangeAllocator';
    if (typeof options !== 'object' || options === null) {
      throw new VcmError('EINVAL', `${where}: options must be { alignments? }, got ${options === null ? 'null' : typeof options}`, { param: 'options' });
    }
    const alignments = RangeAllocator.checkAlignments(where, options.alignments === undefined ? DEFAULT_ALIGNMENTS : options.alignments);
    const unit = alignments[0] as number;
    checkAligned(where, 'start', start, unit, ADDR_LIMIT);
    checkAligned(where, 'len', len, unit, ADDR_LIMIT);
    if (start + len > ADDR_LIMIT) {
      throw new VcmError('EINVAL', `${where}: start ${hex(start)} + len ${hex(len)} passes the 40-bit address limit ${hex(ADDR_LIMIT)}`, {
        param: 'len',
        start,
        len,
        limit: ADDR_LIMIT,
      });
    }
    super(4, true);
    const levels = alignments.length;
    this.start = start;
    this.len = len;
    this.unit = unit;
    this.unitInverse = 1 / unit;
    this.levels = levels;
    this.stride = 2 * levels;
    if (alignments === DEFAULT_ALIGNMENTS) {
      // Most allocators track the default levels: one pair of read-only tables for all of them (a typed array is costly to make).
      this.levelAlign = DEFAULT_LEVEL_ALIGN;
      this.levelInverse = DEFAULT_LEVEL_INVERSE;
    } else {
      this.levelAlign = new Float64Array(alignments);
      this.levelInverse = inverses(this.levelAlign);
    }
    this.nodeStart = new Float64Array(this.capacity);
    this.nodeLen = new Float64Array(this.capacity);
    this.aug = new Float64Array(this.capacity * this.stride);
    // NIL's fits are −∞ so that pulls need no branch.
    this.aug.fill(-Infinity, 0, this.stride);
    if (len > 0) {
      this.linkAt(0, this.newNode(start, len));
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
    // Level 0 of the fits is the extent length; the spine's fits together cover the tree.
    let best = 0;
    for (let n = this.root; n !== NIL; n = this.right[n] as number) {
      const f = this.aug[n * this.stride + this.levels] as number;
      if (f > best) best = f;
    }
    return best;
  }

  /** The tracked alignments, ascending (a copy). */
  get alignments(): number[] {
    return Array.from(this.levelAlign);
  }

  /**
   * Lowest-address placement: take the lowest a >= start with a % align === 0
   * such that [a, a + len) is entirely free and return a; undefined (and
   * nothing changed) when nothing fits. `len` is a positive multiple of the
   * unit, `align` a power of two (below the unit it means the unit).
   */
  allocate(len: number, align: number): number | undefined {
    this.checkRequest('RangeAllocator.allocate', len, align);
    const depth = this.search(len, align);
    if (depth === 0) return undefined;
    const x = this.path[depth - 1] as number;
    const a = alignUp(this.nodeStart[x] as number, align);
    this.take(x, depth, a, len);
    return a;
  }

  /** Where `allocate(len, align)` would place the block, or undefined; changes nothing. */
  lowestFit(len: number, align: number): number | undefined {
    this.checkRequest('RangeAllocator.lowestFit', len, align);
    const depth = this.search(len, align);
    return depth === 0 ? undefined : alignUp(this.nodeStart[this.path[depth - 1] as number] as number, align);
  }

  /** Take exactly [addr, addr + len) if it is inside the range and entirely free; false (and nothing changed) otherwise. */
  allocateAt(addr: number, len: number): boolean {
    this.checkRange('RangeAllocator.allocateAt', addr, len);
    const depth = this.floorPath(addr);
    if (depth === 0) return false;
    const x = this.path[depth - 1] as number;
    if ((this.nodeStart[x] as number) + (this.nodeLen[x] as number) < addr + len) return false;
    this.take(x, depth, addr, len);
    return true;
  }

  /**
   * Give back [addr, addr + len); it must lie inside the range and be
   * entirely allocated, else `EINVAL` and nothing changes. Coalesces with
   * free neighbours.
   */
  free(addr: number, len: number): void {
    const where = 'RangeAllocator.free';
    this.checkRange(where, addr, len);
    const end = addr + len;
    if (addr < this.start || end > this.start + this.len) {
      throw new VcmError('EINVAL', `${where}: [${hex(addr)}, ${hex(end)}) is outside the managed range [${hex(this.start)}, ${hex(this.start + this.len)})`, {
        param: 'addr',
        addr,
        len,
        start: this.start,
        end: this.start + this.len,
      });
    }
    // One descent toward `end` passes both neighbours: the free extent with
    // the largest start below `end` (the only one that could overlap
    // [addr, end); if it ends at or before addr, none does) and the one
    // starting exactly at `end`. Both lie on the search path.
    const path = this.path;
    let n = this.root;
    let d = 0;
    let pDepth = 0;
    let sDepth = 0;
    while (n !== NIL) {
      path[d++] = n;
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
      throw new VcmError('EINVAL', `${where}: [${hex(addr)}, ${hex(end)}) is not entirely allocated: [${hex(pStart)}, ${hex(pEnd)}) is free (double free, or a range never allocated)`, {
        param: 'addr',
        addr,
        len,
        freeStart: pStart,
        freeEnd: pEnd,
      });
    }
    const mergeLeft = p !== NIL && pEnd === addr;
    const succ = sDepth === 0 ? NIL : (this.path[sDepth - 1] as number);

    if (mergeLeft && succ !== NIL) {
      // The two neighbours become one extent: the upper of the two on the
      // path keeps it and the lower one (a descendant) is removed along the
      // same path; the retrace re-pulls the grown one as it passes it.
      const total = (this.nodeLen[p] as number) + len + (this.nodeLen[succ] as number);
      if (pDepth < sDepth) {
        this.setExtent(p, pStart, total);
        this.removeAt(sDepth, pDepth);
      } else {
        // succ now starts where p does; p goes without a key comparison.
        this.setExtent(succ, pStart, total);
        this.removeAt(pDepth, sDepth);
      }
    } else if (mergeLeft) {
      this.setExtent(p, pStart, (this.nodeLen[p] as number) + len);
      this.repull(pDepth);
    } else if (succ !== NIL) {
      // Moving succ's start down to addr keeps the key order: nothing lies between.
      this.setExtent(succ, addr, (this.nodeLen[succ] as number) + len);
      this.repull(sDepth);
    } else {
      // The descent toward `end` ended where [addr, end) belongs: every
      // start on it below `end` is below addr too (p ends at or before addr).
      this.linkAt(d, this.newNode(addr, len));
    }
    this.free_ += len;
  }

  /** True when [addr, addr + len) is inside the managed range and entirely free. */
  isFree(addr: number, len: number): boolean {
    this.checkRange('RangeAllocator.isFree', addr, len);
    const depth = this.floorPath(addr);
    if (depth === 0) return false;
    const x = this.path[depth - 1] as number;
    return (this.nodeStart[x] as number) + (this.nodeLen[x] as number) >= addr + len;
  }

  /** Free extents in address order (a snapshot taken when called). */
  freeExtents(): Array<{ start: number; len: number }> {
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
      freeExtents: this.freeExtents(),
    };
  }

  // ---- the public boundary -----------------------------------------------

  private static checkAlignments(where: string, value: unknown): readonly number[] {
    if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LEVELS) {
      throw new VcmError('EINVAL', `${where}: alignments must be an array of 1 to ${MAX_LEVELS} ascending powers of two, got ${Array.isArray(value) ? `${value.length} entries` : value === null ? 'null' : typeof value}`, {
        param: 'alignments',
      });
    }
    // The default list is valid; another is checked element by element, each element named only in its error.
    if (value === DEFAULT_ALIGNMENTS) return DEFAULT_ALIGNMENTS;
    for (let i = 0; i < value.length; i++) if (!isPowerOfTwoIn(value[i], 1, ADDR_LIMIT)) checkPowerOfTwo(where, `alignments[${i}]`, value[i], 1, ADDR_LIMIT);
    for (let i = 1; i < value.length; i++) {
      if ((value[i] as number) <= (value[i - 1] as number)) {
        throw new VcmError('EINVAL', `${where}: alignments must ascend, but alignments[${i}] = ${hex(value[i] as number)} follows ${hex(value[i - 1] as number)}`, {
          param: 'alignments',
        });
      }
    }
    return value as readonly number[];
  }

  /**
   * True when x is a multiple of the unit from 0 to 2^40. The checks below
   * ask this first and leave the messages to the shared validators: their
   * `x % unit` on addresses past 2^30 (not small integers to V8) is a
   * floating-point remainder, a library call that cost more than the tree
   * walk itself. x · (1 / unit) is exact, the unit being a power of two.
   */
  private whole(x: number): boolean {
    if (typeof x !== 'number' || !(x >= 0 && x <= ADDR_LIMIT)) return false;
    const q = x * this.unitInverse;
    return Math.floor(q) === q;
  }

  /** len: a positive multiple of the unit; align: a power of two. Both at most 2^40. */
  private checkRequest(where: string, len: number, align: number): void {
    // A power of two up to 2^30 is an integer with one bit set; larger ones take the validator.
    if (this.whole(len) && len > 0 && typeof align === 'number' && align >= 1 && align <= 0x4000_0000 && Math.floor(align) === align && (align & (align - 1)) === 0) return;
    checkLength(where, 'len', len, this.unit, ADDR_LIMIT);
    checkPowerOfTwo(where, 'align', align, 1, ADDR_LIMIT);
  }

  /** addr: a multiple of the unit below 2^40; len: a positive multiple of the unit, addr + len at most 2^40. */
  private checkRange(where: string, addr: number, len: number): void {
    if (this.whole(addr) && addr < ADDR_LIMIT && this.whole(len) && len > 0 && len <= ADDR_LIMIT - addr) return;
    if (this.unit === 1) checkUint(where, 'addr', addr, ADDR_LIMIT - 1);
    else checkAligned(where, 'addr', addr, this.unit, ADDR_LIMIT - 1);
    checkLength(where, 'len', len, this.unit, ADDR_LIMIT - addr);
  }

  // ---- placement -------------------------------------------------------

  /**
   * Find the lowest extent holding `len` at `align`: returns the depth of its
   * path (path filled), or 0 when none does.
   */
  private search(len: number, align: number): number {
    const levels = this.levels;
    const stride = this.stride;
    const levelAlign = this.levelAlign;
    const aug = this.aug;
    // Below the unit every extent start is already aligned.
    let lvl = 0;
    if (align > (levelAlign[0] as number)) {
      lvl = levels - 1;
      while ((levelAlign[lvl] as number) > align) lvl--;
    } else {
      align = levelAlign[0] as number;
    }
    if (levelAlign[lvl] !== align) return this.#searchInexact(this.root, 0, len, align, lvl, true);

    // Exact pruning: a subtree passes iff it holds a fit, so no backtracking.
    // Down the spine (whose fits leave their right subtrees out) a miss goes
    // right and may end at NIL: nothing fits. Off the spine it cannot.
    const at = levels + lvl;
    const left = this.left;
    const right = this.right;
    const path = this.path;
    let n = this.root;
    let depth = 0;
    // On the spine a node's subtree fit is exactly max(its own, its left
    // subtree's): its right subtree is left out. One read in the node's own
    // row (its own fits sit beside it) then says whether the answer can be
    // here or to the left; below the spine a miss needs the left child's row
    // too. The tail carve of an aligned request walks the whole spine (the
    // AVL's right spine is about its height), so this halves its cache misses.
    while (n !== NIL && (aug[n * stride + at] as number) < len) {
      path[depth++] = n;
      n = right[n] as number;
    }
    if (n === NIL) return 0;
    let onSpine = true;
    while (n !== NIL) {
      path[depth++] = n;
      const l = left[n] as number;
      if ((aug[l * stride + at] as number) >= len) {
        n = l;
        onSpine = false;
        continue;
      }
      // n's own fit at this level (stored, no division) says whether n holds it.
      if ((aug[n * stride + lvl] as number) >= len) return depth;
      n = right[n] as number;
    }
    // Unreachable while the subtree fits are right; fail loudly rather than answer wrong.
    if (!onSpine) throw new Error('RangeAllocator: internal error, subtree fits are stale');
    return 0;
  }

  /**
   * Carve [a, a + len) out of free extent x (path[0..depth) leads to x). The
   * head [s, a) and tail [a + len, e) stay free: no alignment waste.
   */
  private take(x: number, depth: number, a: number, len: number): void {
    const s = this.nodeStart[x] as number;
    const e = s + (this.nodeLen[x] as number);
    const b = a + len;
    if (a > s && b < e) {
      // The tail is x's successor: linked below x, so the retrace re-pulls x.
      this.setExtent(x, s, a - s);
      this.insertAfter(depth, this.newNode(b, e - b), depth);
    } else if (a > s) {
      this.setExtent(x, s, a - s);
      this.repull(depth);
    } else if (b < e) {
      this.setExtent(x, b, e - b);
      this.repull(depth);
    } else {
      this.removeAt(depth, 0);
    }
    this.free_ -= len;
  }

  /**
   * In-order search for the lowest extent fitting an untracked alignment.
   * Prunes subtrees with fit_lvl < len (they cannot fit); a node on the
   * spine (`onSpine`) answers that only for itself and its left subtree.
   * Returns the path depth of the found node (path filled), or 0.
   * Truly private (`#`): its arguments are a node index and a path depth
   * that only the search itself computes; a caller's number there would
   * recurse through non-nodes and grow the path without end.
   */
  #searchInexact(n: number, depth: number, len: number, align: number, lvl: number, onSpine: boolean): number {
    if (n === NIL) return 0;
    const short = (this.aug[n * this.stride + this.levels + lvl] as number) < len;
    if (short && !onSpine) return 0;
    this.path[depth] = n;
    if (short) return this.#searchInexact(this.right[n] as number, depth + 1, len, align, lvl, true);
    const found = this.#searchInexact(this.left[n] as number, depth + 1, len, align, lvl, false);
    if (found !== 0) return found;
    const s = this.nodeStart[n] as number;
    if (alignUp(s, align) + len <= s + (this.nodeLen[n] as number)) {
      // The left search may have overwritten deeper path slots; ours is intact.
      return depth + 1;
    }
    this.path[depth] = n;
    return this.#searchInexact(this.right[n] as number, depth + 1, len, align, lvl, onSpine);
  }

  // ---- descents ----------------------------------------------------------

  /** Path to the extent with the largest start <= key; returns its depth (0: none). */
  private floorPath(key: number): number {
    const path = this.path;
    let n = this.root;
    let d = 0;
    let best = 0;
    while (n !== NIL) {
      path[d++] = n;
      if ((this.nodeStart[n] as number) <= key) {
        best = d;
        n = this.right[n] as number;
      } else {
        n = this.left[n] as number;
      }
    }
    return best;
  }

  // ---- tree ----------------------------------------------------------------

  /**
   * Recompute n's subtree fits from its own extent and its children (its
   * right child's left out on the spine: NIL's fits are −∞), at the levels
   * `hint` names; returns the levels that changed. Bit i stands for level i,
   * bit 31 for every level from 31 up. Skipping the levels that cannot have
   * changed matters: a freed or carved extent usually moves one or two
   * levels' fits, not all of them.
   */
  protected pull(n: number, withRight: boolean, hint: number): number {
    const levels = this.levels;
    const stride = this.stride;
    const o = n * stride;
    const f = o + levels;
    const l = (this.left[n] as number) * stride + levels;
    const r = (withRight ? (this.right[n] as number) : NIL) * stride + levels;
    const aug = this.aug;
    let changed = 0;
    if (hint === -1) {
      // Every level (a new, moved or rotated node): no mask to test.
      for (let i = 0; i < levels; i++) {
        const a = aug[o + i] as number;
        const b = aug[l + i] as number;
        const c = aug[r + i] as number;
        const m = a >= b ? (a >= c ? a : c) : b >= c ? b : c;
        if (aug[f + i] !== m) {
          aug[f + i] = m;
          changed |= 1 << (i < 31 ? i : 31);
        }
      }
      return changed;
    }
    for (let i = 0; i < levels; i++) {
      const bit = 1 << (i < 31 ? i : 31);
      if ((hint & bit) === 0) continue;
      const a = aug[o + i] as number;
      const b = aug[l + i] as number;
      const c = aug[r + i] as number;
      const m = a >= b ? (a >= c ? a : c) : b >= c ? b : c;
      if (aug[f + i] !== m) {
        aug[f + i] = m;
        changed |= bit;
      }
    }
    return changed;
  }

  private setExtent(n: number, s: number, len: number): void {
    this.nodeStart[n] = s;
    this.nodeLen[n] = len;
    const e = s + len;
    const levels = this.levels;
    const o = n * this.stride;
    // Level 0 is the unit, which every extent start is a multiple of. An
    // extent with no room at an alignment counts 0, not how far short it
    // falls: every request is at least 1 byte, so no decision changes, and
    // changes to such extents stop at their node instead of reaching the root.
    const aug = this.aug;
    const levelAlign = this.levelAlign;
    const levelInverse = this.levelInverse;
    aug[o] = len;
    for (let i = 1; i < levels; i++) {
      // alignUp(s, A) as ceil(s · (1/A)) · A: exact, both factors are powers of two.
      const room = e - Math.ceil(s * (levelInverse[i] as number)) * (levelAlign[i] as number);
      aug[o + i] = room > 0 ? room : 0;
    }
  }

  protected before(a: number, b: number): boolean {
    return (this.nodeStart[a] as number) < (this.nodeStart[b] as number);
  }

  protected growNodes(cap: number): void {
    this.nodeStart = grownF64(this.nodeStart, cap);
    this.nodeLen = grownF64(this.nodeLen, cap);
    this.aug = grownF64(this.aug, cap * this.stride);
  }

  private newNode(s: number, len: number): number {
    const n = this.allocNode();
    this.setExtent(n, s, len);
    this.pull(n, true, -1);
    return n;
  }
}
