/**
 * IntervalIndex<T>: the reverse map behind `vcm_get_phys_num_res` and
 * `vcm_get_next_phys_res` (seed 001, `vcm.h`): which entries (reservations,
 * direct-mapped ranges) cover a physical address. Ranges may overlap,
 * because several physmems may wrap the same RAM (`vcm_map_phys_addr`).
 *
 * An AVL tree (`ArrayAvlTree`) keyed by (start, insertion sequence), each
 * node augmented with the largest end in its subtree. In-order is start
 * order, then insertion order, which is the order `stab` and `entries`
 * report.
 *
 * Cost, n = number of entries, k = number of entries containing the point,
 * tree height at most 1.44 · log2(n + 2):
 *   insert                   O(log n)
 *   remove(start,len,value)  O(log n + c), c = entries with that same start
 *   countAt                  O(log n) when the entries containing p do not
 *                            overlap each other much; in general O(log n + k·log n)
 *                            (each counted entry may cost a pruned walk of one
 *                            path). Allocates nothing.
 *   forEachAt, stab          the same bound, in-order; forEachAt allocates
 *                            nothing, stab allocates the k results
 *   size                     O(1)
 *   entries()                O(n)
 *
 * Addresses are plain numbers up to 2^53 (docs/rules.md#numbers-and-addresses):
 * 40-bit physical spaces do not fit in 32-bit integer operations.
 *
 * Internal to core (the reverse map of `Graph` and the direct driver), so
 * its checks below are invariant guards that throw RangeError, not the
 * public boundary.
 */

import { ArrayAvlTree, NIL, grownF64 } from './array-avl-tree.js';

export interface IntervalEntry<T> {
  start: number;
  len: number;
  value: T;
}

function checkInteger(where: string, param: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`IntervalIndex.${where}: ${param} must be a safe integer >= ${min}, got ${String(value)}`);
  }
}

export class IntervalIndex<T> extends ArrayAvlTree {
  private nodeStart: Float64Array;
  private nodeEnd: Float64Array;
  private maxEnd: Float64Array;
  private seq: Float64Array;
  private values: Array<T | undefined>;
  /** Traversal stack for countAt/stab; as long as the node arrays, so a path always fits. */
  private stack: Int32Array;
  private nextSeq = 0;

  constructor() {
    super(16);
    const cap = this.capacity;
    this.nodeStart = new Float64Array(cap);
    this.nodeEnd = new Float64Array(cap);
    this.maxEnd = new Float64Array(cap);
    this.seq = new Float64Array(cap);
    this.stack = new Int32Array(cap);
    this.values = [undefined];
    this.maxEnd[NIL] = -Infinity;
  }

  get size(): number {
    return this.count;
  }

  /** Add [start, start + len) → value. The same value may be added for several ranges. */
  insert(start: number, len: number, value: T): void {
    checkInteger('insert', 'start', start, 0);
    checkInteger('insert', 'len', len, 1);
    if (!Number.isSafeInteger(start + len)) {
      throw new RangeError(`IntervalIndex.insert: start + len must be at most 2^53-1, got ${start} + ${len}`);
    }
    const n = this.newNode(start, start + len, value);
    this.insertNode(n);
  }

  /** Remove one entry with exactly this start, len and value (===). Returns false if absent. */
  remove(start: number, len: number, value: T): boolean {
    const n = this.find(this.root, start, start + len, value);
    if (n === NIL) return false;
    this.removeNode(n);
    return true;
  }

  /** Every entry containing p (start <= p < start + len), ordered by start then insertion order. */
  stab(p: number): Array<IntervalEntry<T>> {
    const out: Array<IntervalEntry<T>> = [];
    const { left, right, maxEnd, nodeStart, nodeEnd, stack } = this;
    let sp = 0;
    let n = this.root;
    for (;;) {
      while (n !== NIL && (maxEnd[n] as number) > p) {
        stack[sp++] = n;
        n = left[n] as number;
      }
      if (sp === 0) break;
      n = stack[--sp] as number;
      const s = nodeStart[n] as number;
      // Everything still to come in order starts at or after s.
      if (s > p) break;
      const e = nodeEnd[n] as number;
      if (e > p) out.push({ start: s, len: e - s, value: this.values[n] as T });
      n = right[n] as number;
    }
    return out;
  }

  /**
   * Call fn for each entry containing p, in stab order, without allocating
   * (hot path). fn must not insert or remove while the walk runs.
   */
  forEachAt(p: number, fn: (start: number, len: number, value: T) => void): void {
    this.visitAt(this.root, p, fn);
  }

  /**
   * Number of entries containing p; allocates nothing. One descent toward p:
   * a node starting after p sends us left; a node starting at or before p
   * counts itself if it reaches past p, and so does every entry of its left
   * subtree that reaches past p (all of them start before p), found by a walk
   * pruned by max end. With few overlaps those walks end at once, so this is
   * one root-to-leaf path (vcm_get_phys_num_res is a hot path).
   */
  countAt(p: number): number {
    const { left, right, maxEnd, nodeStart, nodeEnd } = this;
    let k = 0;
    let n = this.root;
    while ((maxEnd[n] as number) > p) {
      if ((nodeStart[n] as number) > p) {
        n = left[n] as number;
        continue;
      }
      if ((nodeEnd[n] as number) > p) k++;
      const l = left[n] as number;
      if ((maxEnd[l] as number) > p) k += this.countEndsAfter(l, p);
      n = right[n] as number;
    }
    return k;
  }

  /** All entries in start order, then insertion order (a snapshot taken when called). */
  entries(): Iterable<IntervalEntry<T>> {
    const out: Array<IntervalEntry<T>> = [];
    this.forEachInOrder((n) => {
      const s = this.nodeStart[n] as number;
      out.push({ start: s, len: (this.nodeEnd[n] as number) - s, value: this.values[n] as T });
    });
    return out;
  }

  // ---- walks ---------------------------------------------------------------

  /** Recursive so that fn may itself query this index (no shared stack). */
  private visitAt(n: number, p: number, fn: (start: number, len: number, value: T) => void): void {
    while (n !== NIL && (this.maxEnd[n] as number) > p) {
      this.visitAt(this.left[n] as number, p, fn);
      const s = this.nodeStart[n] as number;
      if (s > p) return;
      const e = this.nodeEnd[n] as number;
      if (e > p) fn(s, e - s, this.values[n] as T);
      n = this.right[n] as number;
    }
  }

  /** Entries of subtree n (all starting at or before p) that end after p. */
  private countEndsAfter(n: number, p: number): number {
    const { left, right, maxEnd, nodeEnd, stack } = this;
    let k = 0;
    let sp = 0;
    stack[sp++] = n;
    while (sp > 0) {
      const x = stack[--sp] as number;
      if ((nodeEnd[x] as number) > p) k++;
      const l = left[x] as number;
      const r = right[x] as number;
      if ((maxEnd[l] as number) > p) stack[sp++] = l;
      if ((maxEnd[r] as number) > p) stack[sp++] = r;
    }
    return k;
  }

  /** The earliest-inserted node with this start, end and value, or NIL. */
  private find(n: number, start: number, end: number, value: T): number {
    while (n !== NIL) {
      const s = this.nodeStart[n] as number;
      if (start < s) n = this.left[n] as number;
      else if (start > s) n = this.right[n] as number;
      else {
        // Equal starts may sit on both sides; look left first (earlier insertions).
        const l = this.find(this.left[n] as number, start, end, value);
        if (l !== NIL) return l;
        if (this.nodeEnd[n] === end && this.values[n] === value) return n;
        n = this.right[n] as number;
      }
    }
    return NIL;
  }

  // ---- treap -----------------------------------------------------------------

  /** True when node a sorts before node b: by start, then insertion sequence. */
  protected before(a: number, b: number): boolean {
    const sa = this.nodeStart[a] as number;
    const sb = this.nodeStart[b] as number;
    return sa < sb || (sa === sb && (this.seq[a] as number) < (this.seq[b] as number));
  }

  /** One component (the largest end): 1 when it changed, else 0. */
  protected pull(n: number): number {
    const a = this.nodeEnd[n] as number;
    const b = this.maxEnd[this.left[n] as number] as number;
    const c = this.maxEnd[this.right[n] as number] as number;
    const m = a >= b ? (a >= c ? a : c) : b >= c ? b : c;
    if (this.maxEnd[n] === m) return 0;
    this.maxEnd[n] = m;
    return 1;
  }

  protected growNodes(cap: number): void {
    this.nodeStart = grownF64(this.nodeStart, cap);
    this.nodeEnd = grownF64(this.nodeEnd, cap);
    this.maxEnd = grownF64(this.maxEnd, cap);
    this.seq = grownF64(this.seq, cap);
    this.stack = new Int32Array(cap);
  }

  private newNode(start: number, end: number, value: T): number {
    const n = this.allocNode();
    this.nodeStart[n] = start;
    this.nodeEnd[n] = end;
    this.maxEnd[n] = end;
    this.seq[n] = this.nextSeq++;
    this.values[n] = value;
    return n;
  }

  protected override releaseNode(n: number): void {
    this.values[n] = undefined; // drop the reference so the value can be collected
    super.releaseNode(n);
  }
}
