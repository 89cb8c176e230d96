/**
 * The free extents of a contiguous pool, in an AVL tree ordered by address
 * and augmented, per alignment class, with the largest request that the
 * subtree can place at that alignment.
 *
 * Why (docs/hardware.md#physical-memory-and-pools): the original placed an
 * aligned request by asking a
 * first-fit bitmap for length + alignment (wasting up to the alignment) and
 * searched linearly. Here, for alignment class k (granule × 2^k) each node
 * knows `best[k]` = max over its subtree of `end - alignUp(start, 2^k
 * granules)`, so the lowest-addressed extent that holds an aligned request
 * is found by one descent: O(log n) in the number of free extents, and the
 * head of the extent below the aligned start stays free (no waste).
 */

export interface ExtentNode {
  start: number;
  end: number;
  left: ExtentNode | null;
  right: ExtentNode | null;
  height: number;
  /** best[k]: the largest length placeable in this subtree at alignment `alignments[k]`. */
  readonly best: Float64Array;
}

export class ExtentTree {
  /** Alignment of each class, in bytes: granule, 2 × granule, … */
  readonly alignments: Float64Array;
  #root: ExtentNode | null = null;
  #size = 0;

  constructor(granule: number, levels: number) {
    this.alignments = new Float64Array(levels);
    for (let k = 0; k < levels; k++) this.alignments[k] = granule * 2 ** k;
  }

  /** Number of extents. */
  get size(): number {
    return this.#size;
  }

  /** The largest length placeable at alignment class `k` anywhere in the tree. */
  best(k: number): number {
    return this.#root === null ? 0 : this.#root.best[k]!;
  }

  /** Bytes usable at alignment `align` in [start, end). */
  static usable(start: number, end: number, align: number): number {
    const a = Math.ceil(start / align) * align;
    return end > a ? end - a : 0;
  }

  #pull(node: ExtentNode): void {
    const l = node.left;
    const r = node.right;
    const hl = l === null ? 0 : l.height;
    const hr = r === null ? 0 : r.height;
    node.height = (hl > hr ? hl : hr) + 1;
    const best = node.best;
    const alignments = this.alignments;
    for (let k = 0; k < best.length; k++) {
      let m = ExtentTree.usable(node.start, node.end, alignments[k]!);
      if (l !== null && l.best[k]! > m) m = l.best[k]!;
      if (r !== null && r.best[k]! > m) m = r.best[k]!;
      best[k] = m;
    }
  }

  static #height(n: ExtentNode | null): number {
    return n === null ? 0 : n.height;
  }

  #rotateRight(n: ExtentNode): ExtentNode {
    const l = n.left!;
    n.left = l.right;
    l.right = n;
    this.#pull(n);
    this.#pull(l);
    return l;
  }

  #rotateLeft(n: ExtentNode): ExtentNode {
    const r = n.right!;
    n.right = r.left;
    r.left = n;
    this.#pull(n);
    this.#pull(r);
    return r;
  }

  #balance(n: ExtentNode): ExtentNode {
    this.#pull(n);
    const bf = ExtentTree.#height(n.left) - ExtentTree.#height(n.right);
    if (bf > 1) {
      if (ExtentTree.#height(n.left!.left) < ExtentTree.#height(n.left!.right)) n.left = this.#rotateLeft(n.left!);
      return this.#rotateRight(n);
    }
    if (bf < -1) {
      if (ExtentTree.#height(n.right!.right) < ExtentTree.#height(n.right!.left)) n.right = this.#rotateRight(n.right!);
      return this.#rotateLeft(n);
    }
    return n;
  }

  #insert(n: ExtentNode | null, node: ExtentNode): ExtentNode {
    if (n === null) return node;
    if (node.start < n.start) n.left = this.#insert(n.left, node);
    else n.right = this.#insert(n.right, node);
    return this.#balance(n);
  }

  /** Add the free extent [start, end). The caller keeps extents disjoint. */
  insert(start: number, end: number): void {
    const node: ExtentNode = { start, end, left: null, right: null, height: 1, best: new Float64Array(this.alignments.length) };
    this.#pull(node);
    this.#root = this.#insert(this.#root, node);
    this.#size++;
  }

  #removeMin(n: ExtentNode): { root: ExtentNode | null; min: ExtentNode } {
    if (n.left === null) return { root: n.right, min: n };
    const r = this.#removeMin(n.left);
    n.left = r.root;
    return { root: this.#balance(n), min: r.min };
  }

  #remove(n: ExtentNode | null, start: number): ExtentNode | null {
    if (n === null) return null;
    if (start < n.start) {
      n.left = this.#remove(n.left, start);
    } else if (start > n.start) {
      n.right = this.#remove(n.right, start);
    } else {
      if (n.left === null) return n.right;
      if (n.right === null) return n.left;
      const r = this.#removeMin(n.right);
      const m = r.min;
      m.right = r.root;
      m.left = n.left;
      return this.#balance(m);
    }
    return this.#balance(n);
  }

  /** Remove the extent that starts at `start` (it must exist). */
  remove(start: number): void {
    this.#root = this.#remove(this.#root, start);
    this.#size--;
  }

  /** The extent with the greatest start ≤ `pa`, or null. */
  floor(pa: number): ExtentNode | null {
    let n = this.#root;
    let found: ExtentNode | null = null;
    while (n !== null) {
      if (n.start <= pa) {
        found = n;
        n = n.right;
      } else {
        n = n.left;
      }
    }
    return found;
  }

  /** The extent with the least start > `pa`, or null. */
  above(pa: number): ExtentNode | null {
    let n = this.#root;
    let found: ExtentNode | null = null;
    while (n !== null) {
      if (n.start > pa) {
        found = n;
        n = n.left;
      } else {
        n = n.right;
      }
    }
    return found;
  }

  /** The lowest-addressed extent that can place `len` bytes at alignment class `k`, or null. */
  lowestFit(len: number, k: number): ExtentNode | null {
    let n = this.#root;
    if (n === null || n.best[k]! < len) return null;
    const align = this.alignments[k]!;
    while (n !== null) {
      if (n.left !== null && n.left.best[k]! >= len) n = n.left;
      else if (ExtentTree.usable(n.start, n.end, align) >= len) return n;
      else n = n.right;
    }
    return null;
  }

  /** Every extent in address order. */
  *[Symbol.iterator](): IterableIterator<ExtentNode> {
    const stack: ExtentNode[] = [];
    let n = this.#root;
    while (n !== null || stack.length > 0) {
      while (n !== null) {
        stack.push(n);
        n = n.left;
      }
      const top = stack.pop()!;
      yield top;
      n = top.right;
    }
  }

  /** The tree's height (for tests of the logarithmic bound). */
  get height(): number {
    return ExtentTree.#height(this.#root);
  }
}
