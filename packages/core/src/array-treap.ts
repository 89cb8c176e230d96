/**
 * The skeleton shared by core's two balanced trees, `RangeAllocator` (free
 * extents by start, augmented with the largest aligned fit) and
 * `IntervalIndex` (ranges by start, augmented with the largest end): a
 * treap whose nodes live in typed arrays (struct of arrays, node 0 is the
 * NIL sentinel), with recycled node slots, deterministic priorities and the
 * rotations, removal and merge that keep it balanced.
 *
 * A subclass says how two nodes are ordered (`before`), how a node's
 * augmented data is rebuilt from its children (`pull`), and grows its own
 * per-node arrays with the skeleton's (`growNodes`). Expected depth is
 * O(log n); insert, remove and merge are O(log n).
 */

export const NIL = 0;

export abstract class ArrayTreap {
  protected left: Int32Array;
  protected right: Int32Array;
  protected prio: Int32Array;
  protected capacity: number;
  protected root = NIL;
  /** Live nodes. */
  protected count = 0;
  /** Head of the list of recycled nodes, linked through `left`. */
  private recycled = NIL;
  /** Next never-used node index. */
  private fresh = 1;
  /** xorshift32 state: per instance and deterministic, so snapshots are reproducible. */
  private rng = 0x2545f491;

  protected constructor(capacity: number) {
    this.capacity = capacity;
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.prio = new Int32Array(capacity);
  }

  /** True when node `a` sorts before node `b`. */
  protected abstract before(a: number, b: number): boolean;
  /** Rebuild node `n`'s augmented data from its own and its children's. */
  protected abstract pull(n: number): unknown;
  /** Grow the subclass's per-node arrays to `capacity` nodes, keeping their contents. */
  protected abstract growNodes(capacity: number): void;

  /** A fresh node slot with a new priority and no children; the subclass fills its fields. */
  protected allocNode(): number {
    let n: number;
    if (this.recycled !== NIL) {
      n = this.recycled;
      this.recycled = this.left[n] as number;
    } else {
      if (this.fresh === this.capacity) this.grow();
      n = this.fresh++;
    }
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x | 0;
    this.prio[n] = this.rng;
    this.left[n] = NIL;
    this.right[n] = NIL;
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

  /** Insert node `x` into the subtree rooted at `n`; returns the new subtree root. */
  protected insertNode(n: number, x: number): number {
    if (n === NIL) return x;
    if (this.before(x, n)) {
      const l = this.insertNode(this.left[n] as number, x);
      this.left[n] = l;
      if ((this.prio[l] as number) > (this.prio[n] as number)) {
        this.left[n] = this.right[l] as number;
        this.right[l] = n;
        this.pull(n);
        this.pull(l);
        return l;
      }
    } else {
      const r = this.insertNode(this.right[n] as number, x);
      this.right[n] = r;
      if ((this.prio[r] as number) > (this.prio[n] as number)) {
        this.right[n] = this.left[r] as number;
        this.left[r] = n;
        this.pull(n);
        this.pull(r);
        return r;
      }
    }
    this.pull(n);
    return n;
  }

  /** Unlink and release node `x` from the subtree rooted at `n`; returns the new subtree root. */
  protected removeNode(n: number, x: number): number {
    if (n === x) {
      const merged = this.merge(this.left[n] as number, this.right[n] as number);
      this.releaseNode(n);
      return merged;
    }
    if (this.before(x, n)) this.left[n] = this.removeNode(this.left[n] as number, x);
    else this.right[n] = this.removeNode(this.right[n] as number, x);
    this.pull(n);
    return n;
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

  /** Join two treaps whose keys are ordered (every key of `a` before every key of `b`). */
  protected merge(a: number, b: number): number {
    if (a === NIL) return b;
    if (b === NIL) return a;
    if ((this.prio[a] as number) > (this.prio[b] as number)) {
      this.right[a] = this.merge(this.right[a] as number, b);
      this.pull(a);
      return a;
    }
    this.left[b] = this.merge(a, this.left[b] as number);
    this.pull(b);
    return b;
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
    this.prio = i32(this.prio);
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
