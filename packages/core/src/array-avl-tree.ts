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
 * Insert and remove are iterative and work on a root-to-node path
 * (`path`): a subclass that has just descended to the place (a placement
 * search, a free's neighbour search) hands its path over instead of the tree
 * searching again. The retrace from the changed place toward the root stops
 * at the first node whose height and augmented data come out unchanged
 * (every ancestor would too), so most updates touch a few nodes, and never
 * more than one path.
 *
 * An open right spine (optional, `RangeAllocator` uses it): a node on the
 * right spine (the root and its chain of right children) leaves its right
 * subtree out of its augmented data; every other node covers its whole
 * subtree. A query that descends from the root only ever reads the data of
 * left children, which are never on the spine, so it loses nothing, and a
 * change to the rightmost node (a range's free tail, which every large or
 * aligned request carves from) stops at that node instead of re-pulling a
 * whole path to the root. Whole-tree figures walk the spine instead.
 *
 * A subclass says how two nodes are ordered (`before`), how a node's
 * augmented data is rebuilt from its children (`pull`), and grows its own
 * per-node arrays with the skeleton's (`growNodes`).
 */

export const NIL = 0;

/** A change mask with every component set: nothing is known about what changed. */
const ALL = -1;

const SHARED_PATH = new Int32Array(64);

export abstract class ArrayAvlTree {
  protected left: Int32Array;
  protected right: Int32Array;
  /** Subtree height; NIL has height 0, a leaf 1. */
  private heights: Int32Array;
  protected capacity: number;
  protected root = NIL;
  /** Live nodes. */
  protected count = 0;
  /**
   * Root-to-node path of the last descent: path[0] is the root, path[d − 1]
   * the node at depth d. Reused by every operation, and never grown: node
   * indices are 31-bit, and an AVL tree of fewer than 2^31 nodes is at most
   * 1.44 · 31 < 45 high. One array for every tree: an operation fills it
   * and uses it before it returns, and none works on two trees at once; a
   * typed array of its size costs microseconds to make, more than a small
   * tree's whole life (docs/performance.md#the-free-extent-tree).
   */
  protected readonly path = SHARED_PATH;
  /** Head of the list of recycled nodes, linked through `left`. */
  private recycled = NIL;
  /** Next never-used node index. */
  private fresh = 1;
  /** Whether the right spine leaves right subtrees out of its data (see the module comment). */
  private readonly openSpine: boolean;
  /**
   * 1 for a node on the open right spine, else 0 (always 0 when the spine is
   * closed). Kept as nodes move, so a retrace knows a node's place without
   * walking down from the root.
   */
  private spine: Uint8Array;

  protected constructor(capacity: number, openRightSpine = false) {
    this.capacity = capacity;
    this.openSpine = openRightSpine;
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.heights = new Int32Array(capacity);
    this.spine = new Uint8Array(capacity);
  }

  /** True when node `a` sorts before node `b`. */
  protected abstract before(a: number, b: number): boolean;
  /**
   * Rebuild node `n`'s augmented data from its own and its children's and
   * return a mask of the components that changed (0: none). `hint` is a
   * mask of the components that may have changed since n was last pulled
   * (its child's answer, or every bit when n's own data or children
   * changed), so the others can be skipped; a subclass with one component
   * may ignore it and answer 0 or 1. `withRight` is false for a node on an
   * open right spine: its right child's data is left out.
   */
  protected abstract pull(n: number, withRight: boolean, hint: number): number;
  /** Grow the subclass's per-node arrays to `capacity` nodes, keeping their contents. */
  protected abstract growNodes(capacity: number): void;

  /** Height of the tree (0 when empty); at most 1.44 · log2(n + 2). */
  get treeHeight(): number {
    return this.heights[this.root] as number;
  }

  /** A fresh leaf node slot; the subclass fills its fields and pulls it before linking it. */
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
    this.spine[n] = 0;
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

  /** Link leaf `x` (pulled) where `before` places it; every other node's data must be up to date. */
  protected insertNode(x: number): void {
    let n = this.root;
    let d = 0;
    while (n !== NIL) {
      this.path[d++] = n;
      n = (this.before(x, n) ? this.left[n] : this.right[n]) as number;
    }
    this.linkAt(d, x);
  }

  /**
   * Link leaf `x` (pulled) below the node at the end of path[0..depth), a
   * descent that ended at the empty child where `x` belongs (depth 0: the
   * tree is empty).
   */
  protected linkAt(depth: number, x: number): void {
    if (depth === 0) {
      this.root = x;
      this.spine[x] = this.openSpine ? 1 : 0;
      return;
    }
    const p = this.path[depth - 1] as number;
    if (this.before(x, p)) {
      this.left[p] = x;
    } else {
      this.right[p] = x;
      this.spine[x] = this.spine[p] as number;
    }
    this.retrace(depth, 0, -1);
  }

  /**
   * Link leaf `x` (pulled) as the in-order successor of the node at the end
   * of path[0..depth). When that node's own data was changed in place before
   * the call, `dirty` is `depth` and the retrace re-pulls it on its way up
   * (no second walk); 0 otherwise.
   */
  protected insertAfter(depth: number, x: number, dirty: number): void {
    const left = this.left;
    const p = this.path[depth - 1] as number;
    let n = this.right[p] as number;
    let d = depth;
    if (n === NIL) {
      this.right[p] = x;
      this.spine[x] = this.spine[p] as number;
    } else {
      // x goes leftmost in p's right subtree.
      for (;;) {
        this.path[d++] = n;
        const l = left[n] as number;
        if (l === NIL) break;
        n = l;
      }
      left[n] = x;
    }
    this.retrace(d, dirty, -1);
  }

  /** Unlink and release node `x`, found by `before`; every other node's data must be up to date. */
  protected removeNode(x: number): void {
    let n = this.root;
    let d = 0;
    while (n !== x) {
      // x is linked, so the descent meets it before NIL.
      this.path[d++] = n;
      n = (this.before(x, n) ? this.left[n] : this.right[n]) as number;
    }
    this.path[d++] = x;
    this.removeAt(d, 0);
  }

  /**
   * Unlink and release the node at the end of path[0..depth). `dirty` as for
   * `insertAfter`: the depth of a node on the path (above the removed one)
   * whose own data was changed in place, or 0.
   */
  protected removeAt(depth: number, dirty: number): void {
    const left = this.left;
    const right = this.right;
    const k = depth - 1;
    const x = this.path[k] as number;
    const l = left[x] as number;
    const r = right[x] as number;
    if (l === NIL || r === NIL) {
      // The child moving up takes x's place on or off the spine; it is a
      // leaf (AVL: a node's only child is), so its data is its own either way.
      const c = l === NIL ? r : l;
      this.replaceChild(k, x, c);
      if (c !== NIL) this.spine[c] = this.spine[x] as number;
      this.releaseNode(x);
      this.retrace(k, dirty, -1);
      return;
    }
    // Two children: the least node m of x's right subtree takes x's place.
    let d = depth;
    let m = r;
    for (;;) {
      this.path[d++] = m;
      const ml = left[m] as number;
      if (ml === NIL) break;
      m = ml;
    }
    // Unlink m (it has no left child), then put it where x was.
    if (d - 1 === depth) right[x] = right[m] as number;
    else left[this.path[d - 2] as number] = right[m] as number;
    left[m] = l;
    right[m] = right[x] as number;
    this.heights[m] = this.heights[x] as number;
    // m's right child stays on (or off) the spine: it stays m's right child
    // when m was x's, else it becomes a left child as m was.
    this.spine[m] = this.spine[x] as number;
    this.path[k] = m;
    this.replaceChild(k, x, m);
    this.releaseNode(x);
    // Retrace from m's old parent, now at path[d − 2] (x's slot holds m).
    this.retrace(d - 1, dirty, k);
  }

  /**
   * Re-pull path[0..depth) bottom-up after the node at its end changed its
   * own data in place (no structural change, so heights stand). Once a node
   * comes out unchanged its ancestors cannot change either: stop there.
   */
  protected repull(depth: number): void {
    const path = this.path;
    const spine = this.spine;
    let changed = ALL;
    for (let i = depth - 1; i >= 0 && changed !== 0; i--) {
      const n = path[i] as number;
      changed = this.pull(n, spine[n] === 0, changed);
    }
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

  /** Make the parent of path[k] (or the root) point at `to` instead of `from`. */
  private replaceChild(k: number, from: number, to: number): void {
    if (k === 0) {
      this.root = to;
      return;
    }
    const p = this.path[k - 1] as number;
    if (this.left[p] === from) this.left[p] = to;
    else this.right[p] = to;
  }

  /**
   * Restore heights, balance and augmented data on path[0..depth), whose
   * deepest node just had a child linked or unlinked, bottom-up. A level is
   * re-pulled when the one below changed its data (or rotated), or when it
   * is the `dirty` node (path[dirty − 1], changed in place; 0: none); the
   * walk stops at the first level above the dirty node where neither height
   * nor data changed. `moved` is the index where a removal put the successor
   * in the removed node's place: its stored data described its old subtree,
   * so the level above must be re-pulled whatever it compares equal to.
   */
  private retrace(depth: number, dirty: number, moved: number): void {
    const path = this.path;
    const h = this.heights;
    const left = this.left;
    const right = this.right;
    const mustPull = dirty - 1;
    const spine = this.spine;
    let grew = true;
    // What changed in the level below: a mask of augmented components.
    let changed = ALL;
    for (let i = depth - 1; i >= 0; i--) {
      if (!grew && changed === 0) {
        // Nothing changed below: only the moved node and the dirty node, if
        // they are still ahead, need a pull; go straight to the next of them.
        const next = moved <= i && moved > mustPull ? moved : mustPull;
        if (next < 0 || next > i) return;
        i = next;
      }
      const n = path[i] as number;
      const l = left[n] as number;
      const r = right[n] as number;
      const hl = h[l] as number;
      const hr = h[r] as number;
      if (hl > hr + 1 || hr > hl + 1) {
        const before = h[n] as number;
        let top: number;
        if (hl > hr) {
          if ((h[left[l] as number] as number) < (h[right[l] as number] as number)) left[n] = this.rotateLeft(l);
          top = this.rotateRight(n);
        } else {
          if ((h[right[r] as number] as number) < (h[left[r] as number] as number)) right[n] = this.rotateRight(r);
          top = this.rotateLeft(n);
        }
        this.replaceChild(i, n, top);
        path[i] = top;
        grew = h[top] !== before;
        changed = ALL;
        continue;
      }
      const height = (hl > hr ? hl : hr) + 1;
      grew = h[n] !== height;
      h[n] = height;
      if (i === mustPull || i === moved) changed = this.pull(n, spine[n] === 0, ALL);
      else if (changed !== 0) changed = this.pull(n, spine[n] === 0, changed);
      if (i === moved) changed = ALL;
    }
  }

  /**
   * Rotate n's left child l up. l takes n's place and n becomes l's right
   * child, so both are on the spine exactly when n was (l's old right
   * subtree moves from one left child's right to another's left: off it).
   */
  private rotateRight(n: number): number {
    const l = this.left[n] as number;
    this.left[n] = this.right[l] as number;
    this.right[l] = n;
    this.spine[l] = this.spine[n] as number;
    this.fix(n);
    this.fix(l);
    return l;
  }

  /** Rotate n's right child r up: r takes n's place (on the spine when n was); n becomes a left child, off it. */
  private rotateLeft(n: number): number {
    const r = this.right[n] as number;
    this.right[n] = this.left[r] as number;
    this.left[r] = n;
    this.spine[n] = 0;
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
    this.pull(n, this.spine[n] === 0, ALL);
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
    const spine = new Uint8Array(cap);
    spine.set(this.spine);
    this.spine = spine;
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
