/**
 * The skeleton shared by core's two balanced trees, `RangeAllocator` (free
 * extents by start, augmented with the largest aligned fit) and
 * `IntervalIndex` (ranges by start, augmented with the largest end): an AVL
 * tree whose nodes live in typed arrays (struct of arrays, node 0 is the NIL
 * sentinel), with recycled node slots and the rotations that keep it
 * balanced.
 *
 * AVL rather than a treap: the height bound is a worst case, not an
 * expectation, height <= 1.44 · log2(n + 2) (Adelson-Velsky and Landis;
 * Knuth, TAOCP vol. 3, 6.2.3), so every descent of a pool's free-extent tree
 * visits O(log n) nodes whatever the order of requests, and no random state
 * is needed to make snapshots reproducible.
 *
 * A subclass says how two nodes are ordered (`before`), how a node's
 * augmented data is rebuilt from its children (`pull`), and grows its own
 * per-node arrays with the skeleton's (`growNodes`). Insert and remove are
 * O(log n) and re-pull every node on their path.
 */

export const NIL = 0;

export abstract class ArrayAvlTree {
  protected left: Int32Array;
  protected right: Int32Array;
  /** Subtree height; NIL has height 0, a leaf 1. */
  private heights: Int32Array;
  protected capacity: number;
  protected root = NIL;
  /** Live nodes. */
  protected count = 0;
  /** Head of the list of recycled nodes, linked through `left`. */
  private recycled = NIL;
  /** Next never-used node index. */
  private fresh = 1;
  /** The node `removeMin` unlinked (a second return value without allocating). */
  private detached = NIL;
  /**
   * Set while an insert or remove unwinds once a subtree came out with the
   * same height and augmented data as before: every ancestor would too, so
   * they are left alone (most inserts and removes settle a few levels up).
   */
  private settled = false;
  /**
   * A node on the path of the next insert or remove whose own data the
   * subclass changed in place: it is re-pulled as the operation passes it
   * even when the levels below settled, saving a separate walk to the root.
   */
  protected pending = NIL;

  protected constructor(capacity: number) {
    this.capacity = capacity;
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.heights = new Int32Array(capacity);
  }

  /** True when node `a` sorts before node `b`. */
  protected abstract before(a: number, b: number): boolean;
  /** Rebuild node `n`'s augmented data from its own and its children's; true when it changed. */
  protected abstract pull(n: number): boolean;
  /** Grow the subclass's per-node arrays to `capacity` nodes, keeping their contents. */
  protected abstract growNodes(capacity: number): void;

  /** Height of the tree (0 when empty); at most 1.44 · log2(n + 2). */
  get treeHeight(): number {
    return this.heights[this.root] as number;
  }

  /** A fresh leaf node slot; the subclass fills its fields. */
  protected allocNode(): number {
    let n: number;
    if (this.recycled !== NIL) {
      n = this.recycled;
      this.recycled = this.left[n] as number;
    } else {
      if (this.fresh === this.capacity) this.grow();
      n = this.fresh++;
    }
    this.left[n] = NIL;
    this.right[n] = NIL;
    this.heights[n] = 1;
    this.count++;
    return n;
  }

  /** Give a node slot back (after it has been unlinked). */
  protected releaseNode(n: number): void {
    this.left[n] = this.recycled;
    this.right[n] = NIL;
    this.recycled = n;
    this.count--;
  }

  /**
   * Insert leaf `x` (pulled) into the subtree rooted at `n`; returns the new
   * subtree root. Every other node's augmented data must be up to date.
   */
  protected insertNode(n: number, x: number): number {
    if (n === NIL) {
      this.settled = false;
      return x;
    }
    if (this.before(x, n)) this.left[n] = this.insertNode(this.left[n] as number, x);
    else this.right[n] = this.insertNode(this.right[n] as number, x);
    return this.balance(n);
  }

  /**
   * Unlink and release node `x` from the subtree rooted at `n`; returns the
   * new subtree root. Every other node's augmented data must be up to date.
   */
  protected removeNode(n: number, x: number): number {
    if (n === x) {
      const l = this.left[n] as number;
      const r = this.right[n] as number;
      this.releaseNode(n);
      this.settled = false;
      if (l === NIL) return r;
      if (r === NIL) return l;
      // Two children: the least node of the right subtree takes n's place.
      const rest = this.removeMin(r);
      const m = this.detached;
      this.left[m] = l;
      this.right[m] = rest;
      this.settled = false;
      const top = this.balance(m);
      // m's stored data was its own old subtree's, not n's: the ancestors
      // must compare against theirs, so this level never settles.
      this.settled = false;
      return top;
    }
    if (this.before(x, n)) this.left[n] = this.removeNode(this.left[n] as number, x);
    else this.right[n] = this.removeNode(this.right[n] as number, x);
    return this.balance(n);
  }

  /** Call `visit` for every live node in order (iterative: no recursion depth to worry about). */
  protected forEachInOrder(visit: (n: number) => void): void {
    const stack: number[] = [];
    let n = this.root;
    while (n !== NIL || stack.length > 0) {
      while (n !== NIL) {
        stack.push(n);
        n = this.left[n] as number;
      }
      n = stack.pop() as number;
      visit(n);
      n = this.right[n] as number;
    }
  }

  /** Unlink the least node of subtree `n` into `detached`; returns the new subtree root. */
  private removeMin(n: number): number {
    const l = this.left[n] as number;
    if (l === NIL) {
      this.detached = n;
      this.settled = false;
      return this.right[n] as number;
    }
    this.left[n] = this.removeMin(l);
    return this.balance(n);
  }

  /** Node `n`'s children are balanced and up to date: restore n's balance and data. */
  private balance(n: number): number {
    if (this.settled) {
      if (n !== this.pending) return n;
      this.settled = false;
    }
    if (n === this.pending) this.pending = NIL;
    const h = this.heights;
    const l = this.left[n] as number;
    const r = this.right[n] as number;
    const hl = h[l] as number;
    const hr = h[r] as number;
    if (hl > hr + 1) {
      if ((h[this.left[l] as number] as number) < (h[this.right[l] as number] as number)) this.left[n] = this.rotateLeft(l);
      return this.rotateRight(n);
    }
    if (hr > hl + 1) {
      if ((h[this.right[r] as number] as number) < (h[this.left[r] as number] as number)) this.right[n] = this.rotateRight(r);
      return this.rotateLeft(n);
    }
    const height = (hl > hr ? hl : hr) + 1;
    const grew = h[n] !== height;
    h[n] = height;
    if (!this.pull(n) && !grew) this.settled = true;
    return n;
  }

  private rotateRight(n: number): number {
    const l = this.left[n] as number;
    this.left[n] = this.right[l] as number;
    this.right[l] = n;
    this.fix(n);
    this.fix(l);
    return l;
  }

  private rotateLeft(n: number): number {
    const r = this.right[n] as number;
    this.right[n] = this.left[r] as number;
    this.left[r] = n;
    this.fix(n);
    this.fix(r);
    return r;
  }

  /** Recompute n's height and augmented data from its children. */
  private fix(n: number): void {
    const h = this.heights;
    const hl = h[this.left[n] as number] as number;
    const hr = h[this.right[n] as number] as number;
    h[n] = (hl > hr ? hl : hr) + 1;
    this.pull(n);
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.left = i32(this.left);
    this.right = i32(this.right);
    this.heights = i32(this.heights);
    this.growNodes(cap);
    this.capacity = cap;
  }
}

/** A copy of `a` in a new array of `size` elements. */
export function grownF64(a: Float64Array, size: number): Float64Array {
  const b = new Float64Array(size);
  b.set(a);
  return b;
}
