/**
 * A fixed-size block pool: `count` blocks of one size carved from a bank at
 * a base aligned to that size
 * (docs/hardware.md#the-msm8x60-memory-arrangement). Blocks are
 * never split and never coalesced (seed 000: "The physical allocator does
 * not try to split blocks"). Allocation and free are O(1): a stack of free
 * block indices plus one state byte per block for the double-free check,
 * where the original searched a bitmap linearly.
 */
import { SZ_16M, SZ_1M, SZ_4K, SZ_64K, VcmError, checkAligned, checkUint, formatSize, hex } from '@vcm/core';

/** The block sizes a pool may have: the seed's SMMU page sizes. */
export const BLOCK_SIZES: readonly number[] = Object.freeze([SZ_4K, SZ_64K, SZ_1M, SZ_16M]);

/** Where a `BlockPool` lies and the size and number of its blocks. */
export interface BlockPoolOptions {
  readonly name: string;
  /** Physical address of the first block; a multiple of `blockSize`. */
  readonly base: number;
  /** 4 KiB, 64 KiB, 1 MiB or 16 MiB. */
  readonly blockSize: number;
  /** Number of blocks, at least 1. */
  readonly count: number;
}

/** Plain-data state of one block pool; counts are in blocks. */
export interface BlockPoolStats {
  readonly name: string;
  readonly base: number;
  readonly blockSize: number;
  readonly total: number;
  readonly free: number;
  readonly inUse: number;
  readonly highWater: number;
}

/** Physical addresses are 40-bit (docs/rules.md#numbers-and-addresses). */
const MAX_PA = 2 ** 40 - 1;

/**
 * A fixed-size block pool: `count` blocks of one SMMU page size (4 KiB,
 * 64 KiB, 1 MiB or 16 MiB) at a base aligned to that size. Blocks are never
 * split or coalesced, so a block of the pool can always be mapped with one
 * descriptor of its size; allocation and free are O(1).
 */
export class BlockPool {
  readonly name: string;
  readonly base: number;
  readonly blockSize: number;
  /** Number of blocks. */
  readonly count: number;
  /** One past the last byte: `base + blockSize * count`. */
  readonly end: number;
  // Free block indices; the top of the stack is `#freeStack[#top - 1]`.
  // Filled in reverse so that a fresh pool hands out the lowest address first.
  readonly #freeStack: Uint32Array;
  #top: number;
  // 1 = allocated, 0 = free: the double-free and foreign-block check.
  readonly #allocated: Uint8Array;
  #highWater = 0;

  constructor(options: BlockPoolOptions) {
    const where = 'BlockPool';
    if (typeof options !== 'object' || options === null) {
      throw new VcmError('EINVAL', `${where}: options must be { name, base, blockSize, count }`, { param: 'options' });
    }
    const { name, base, blockSize, count } = options;
    if (typeof name !== 'string' || name.length === 0) {
      throw new VcmError('EINVAL', `${where}: name must be a non-empty string, got ${JSON.stringify(name)}`, { param: 'name' });
    }
    if (!BLOCK_SIZES.includes(blockSize)) {
      throw new VcmError('EINVAL', `${where} ${name}: blockSize must be one of 4 KiB, 64 KiB, 1 MiB, 16 MiB, got ${String(blockSize)}`, {
        param: 'blockSize',
        value: typeof blockSize === 'number' ? blockSize : typeof blockSize,
        expected: BLOCK_SIZES,
      });
    }
    checkAligned(`${where} ${name}`, 'base', base, blockSize);
    checkUint(`${where} ${name}`, 'count', count, 2 ** 32 - 1);
    if (count === 0) throw new VcmError('EINVAL', `${where} ${name}: count must be at least 1, got 0`, { param: 'count', value: 0 });
    this.name = name;
    this.base = base;
    this.blockSize = blockSize;
    this.count = count;
    this.end = base + blockSize * count;
    this.#freeStack = new Uint32Array(count);
    for (let i = 0; i < count; i++) this.#freeStack[i] = count - 1 - i;
    this.#top = count;
    this.#allocated = new Uint8Array(count);
  }

  /** Free blocks. */
  get freeBlocks(): number {
    return this.#top;
  }

  /** Blocks in use. */
  get inUse(): number {
    return this.count - this.#top;
  }

  /** The most blocks ever in use at once. */
  get highWater(): number {
    return this.#highWater;
  }

  /** True when `pa` lies inside this pool's blocks. */
  contains(pa: number): boolean {
    checkUint(`${this.name}.contains`, 'pa', pa, MAX_PA);
    return pa >= this.base && pa < this.end;
  }

  /** True when `pa` is the start of one of this pool's blocks and that block is free. */
  isFree(pa: number): boolean {
    checkUint(`${this.name}.isFree`, 'pa', pa, MAX_PA);
    const index = this.#indexOf(pa);
    return index >= 0 && this.#allocated[index] === 0;
  }

  #indexOf(pa: number): number {
    if (typeof pa !== 'number' || !(pa >= this.base && pa < this.end)) return -1;
    const offset = pa - this.base;
    if (offset % this.blockSize !== 0) return -1;
    return offset / this.blockSize;
  }

  /**
   * Allocate one block and return its physical address: O(1), a pop from
   * the free stack. `ENOMEM` when the pool is empty (and nothing changes).
   */
  allocate(): number {
    if (this.#top === 0) {
      throw new VcmError('ENOMEM', `BlockPool ${this.name}: all ${this.count} blocks of ${formatSize(this.blockSize)} are in use`, {
        pool: this.name,
        blockSize: this.blockSize,
        total: this.count,
      });
    }
    const index = this.#freeStack[--this.#top]!;
    this.#allocated[index] = 1;
    const inUse = this.count - this.#top;
    if (inUse > this.#highWater) this.#highWater = inUse;
    return this.base + index * this.blockSize;
  }

  /**
   * Return the block at `pa`. A block that is not this pool's, or one that is
   * already free, is `EINVAL` and changes nothing.
   */
  free(pa: number): void {
    const index = this.#indexOf(pa);
    if (index < 0) {
      throw new VcmError(
        'EINVAL',
        `BlockPool ${this.name}: ${typeof pa === 'number' ? hex(pa) : String(pa)} is not the start of one of its blocks (${formatSize(this.blockSize)} blocks at ${hex(this.base)}-${hex(this.end - 1)})`,
        { pool: this.name, pa: typeof pa === 'number' ? pa : typeof pa },
      );
    }
    if (this.#allocated[index] === 0) {
      throw new VcmError('EINVAL', `BlockPool ${this.name}: block ${hex(pa)} is already free (double free)`, { pool: this.name, pa });
    }
    this.put(index);
  }

  /**
   * The allocator's free path: return block `index` (it records indices, so
   * no address arithmetic is repeated). `EINVAL` if that block is not
   * allocated, so the free stack can never hold a block twice.
   * @internal
   */
  put(index: number): void {
    if (this.#allocated[index] !== 1) {
      throw new VcmError('EINVAL', `BlockPool ${this.name}: block index ${String(index)} is not allocated`, { pool: this.name, index });
    }
    this.#allocated[index] = 0;
    this.#freeStack[this.#top++] = index;
  }

  /**
   * True when block `index` is allocated.
   * @internal
   */
  isAllocatedIndex(index: number): boolean {
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index >= this.#allocated.length) {
      checkUint(`${this.name}.isAllocatedIndex`, 'index', index, this.#allocated.length - 1);
    }
    return this.#allocated[index] === 1;
  }

  /**
   * Index of the allocated block at `pa` (the allocator records indices so
   * that its free path needs no search).
   * @internal
   */
  indexOf(pa: number): number {
    checkUint(`${this.name}.indexOf`, 'pa', pa, MAX_PA);
    return this.#indexOf(pa);
  }

  stats(): BlockPoolStats {
    return {
      name: this.name,
      base: this.base,
      blockSize: this.blockSize,
      total: this.count,
      free: this.#top,
      inUse: this.count - this.#top,
      highWater: this.#highWater,
    };
  }

  toJSON(): BlockPoolStats {
    return this.stats();
  }
}
