/**
 * What `PhysAllocator.allocate` hands out: a readonly `PhysAllocation`
 * (memtype, length, attributes, chunks in order) that its allocator can
 * recognise. The public fields are for reading; the record of which pool
 * each chunk came from is private, so that a caller who mutates the public
 * `chunks` cannot make `free` return the wrong blocks, and a double free or
 * a foreign object is an `EINVAL` (docs/rules.md#validation).
 */
import type { PhysAllocation, PhysChunk } from '@vcm/core';
import { BlockPool } from './block-pool.js';
import type { ContiguousPool } from './contiguous-pool.js';

export type ChunkSource = BlockPool | ContiguousPool;

/**
 * The capability to release an allocation. Only the allocator module holds
 * it (the package root does not export it), so user code cannot return an
 * allocation's blocks behind its allocator's back.
 */
export const RELEASE: unique symbol = Symbol('vcm.physalloc.release');

export class Allocation implements PhysAllocation {
  readonly memtype: number;
  readonly len: number;
  readonly attr: number;
  readonly chunks: readonly PhysChunk[];
  readonly contiguous: boolean;
  readonly #owner: object;
  #live = true;
  // Per chunk: the pool it came from and, for a block pool, the block index;
  // for the contiguous pool, the start address.
  readonly #sources: readonly ChunkSource[];
  readonly #keys: readonly number[];

  constructor(
    owner: object,
    memtype: number,
    len: number,
    attr: number,
    chunks: readonly PhysChunk[],
    contiguous: boolean,
    sources: readonly ChunkSource[],
    keys: readonly number[],
  ) {
    this.memtype = memtype;
    this.len = len;
    this.attr = attr;
    this.chunks = chunks;
    this.contiguous = contiguous;
    this.#owner = owner;
    this.#sources = sources;
    this.#keys = keys;
  }

  /** The allocator that made `a`, or undefined when `a` is not one of ours. */
  static ownerOf(a: unknown): object | undefined {
    return typeof a === 'object' && a !== null && #owner in a ? a.#owner : undefined;
  }

  /** True until the allocation is freed. */
  get live(): boolean {
    return this.#live;
  }

  /**
   * Return every chunk to its pool and mark the allocation dead; false (and
   * nothing changed) if some chunk is no longer allocated in its pool, which
   * only direct use of the pools can cause. Checking every chunk before
   * returning any keeps free atomic (docs/rules.md#atomicity).
   * @internal
   */
  release(token: typeof RELEASE): boolean {
    if (token !== RELEASE || !this.#live) return false;
    const sources = this.#sources;
    const keys = this.#keys;
    const chunks = sources.length;
    for (let i = 0; i < chunks; i++) {
      const source = sources[i]!;
      const ok = source instanceof BlockPool ? source.isAllocatedIndex(keys[i]!) : source.allocationAt(keys[i]!) !== undefined;
      if (!ok) return false;
    }
    for (let i = 0; i < chunks; i++) {
      const source = sources[i]!;
      if (source instanceof BlockPool) source.put(keys[i]!);
      else source.free(keys[i]!);
    }
    this.#live = false;
    return true;
  }

  toJSON(): { memtype: number; len: number; attr: number; contiguous: boolean; chunks: PhysChunk[] } {
    return {
      memtype: this.memtype,
      len: this.len,
      attr: this.attr,
      contiguous: this.contiguous,
      chunks: this.chunks.map((c) => ({ pa: c.pa, len: c.len, blockSize: c.blockSize })),
    };
  }
}
