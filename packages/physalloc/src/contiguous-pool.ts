/**
 * The contiguous pool: physically contiguous, aligned allocations of any
 * multiple of the granule (4 KiB for memtype pools, 1 KiB for page-table
 * memory), coalescing on free. It is the pool that `VCM_PHYS_CONT` and
 * one-to-one VCMs use (seed 000 "One pool is a contiguous block of memory";
 * docs/hardware.md#the-msm8x60-memory-arrangement: the last 8 MiB of SMI).
 *
 * Placement is the lowest-addressed free extent that holds the request at
 * its alignment; the part of that extent below the aligned start stays free,
 * so an aligned request wastes nothing (the original asked for length +
 * alignment). The free extents are core's `RangeAllocator`, the one
 * free-extent tree of the project, tracking the granule times every power of
 * two up to the pool size, so each operation is O(log n) in the number of
 * free extents for every alignment.
 */
import { RangeAllocator, VcmError, checkAligned, checkUint, formatSize, hex } from '@vcm/core';
import { MAX_PHYS_ADDR } from './ram.js';

/** Where a `ContiguousPool` lies, its size and its allocation unit. */
export interface ContiguousPoolOptions {
  readonly name: string;
  /** Physical base; a multiple of `granule`. */
  readonly base: number;
  /** Bytes; a positive multiple of `granule`. */
  readonly size: number;
  /** Allocation unit, a power of two from 1 KiB; default 4 KiB. */
  readonly granule?: number;
  /**
   * The largest alignment the free-extent tree tracks, a power of two of at
   * least the granule; default the pool's size. Each tracked alignment is a
   * fit kept up to date at every node an allocation or free passes, so a
   * pool whose requests never ask for more (page-table memory: 16 KiB) keeps
   * only those. A request aligned beyond it is still placed at its lowest
   * fit, by a search that may backtrack.
   */
  readonly maxTrackedAlign?: number;
}

/** A free physical range of a contiguous pool: its start address and length in bytes. */
export interface FreeExtent {
  readonly pa: number;
  readonly len: number;
}

/** Plain-data state of a contiguous pool; all figures in bytes. */
export interface ContiguousPoolStats {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly granule: number;
  readonly freeBytes: number;
  readonly inUseBytes: number;
  readonly highWaterBytes: number;
  readonly allocations: number;
  readonly largestFree: number;
  readonly freeExtents: readonly FreeExtent[];
}

function isPowerOfTwo(n: number): boolean {
  // One bit set, by integer operations while n fits them (every table and
  // page alignment does); the logarithm only above 2^30.
  if (n > 0 && n <= 0x4000_0000 && Math.floor(n) === n) return (n & (n - 1)) === 0;
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/**
 * A pool of physically contiguous memory: aligned allocations of any multiple
 * of the granule, coalescing on free. `VCM_PHYS_CONT` allocations, one-to-one
 * VCMs and page-table memory come from such pools, because a device without
 * an IOMMU, or a table walker, needs one unbroken physical range. An aligned
 * request wastes nothing below its aligned start.
 */
export class ContiguousPool {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly granule: number;
  /** One past the last byte. */
  readonly end: number;
  readonly #free: RangeAllocator;
  // Allocation starts: start → length, 0 once freed. Free must name a live
  // one exactly. A freed start stays as 0 rather than being deleted: V8's
  // Map slows down with the number of entries when entries are deleted and
  // added in turn (measured: 0.4 µs a pair at 2 entries, 10 µs at 3,000),
  // and a page table maps and unmaps its tables in exactly that pattern.
  // Starts are multiples of the granule inside the pool, so the map holds
  // at most size / granule entries (docs/performance.md#contexts-on-one-smmu).
  readonly #live = new Map<number, number>();
  #allocations = 0;
  #inUse = 0;
  #highWater = 0;

  constructor(options: ContiguousPoolOptions) {
    const where = 'ContiguousPool';
    if (typeof options !== 'object' || options === null) {
      throw new VcmError('EINVAL', `${where}: options must be { name, base, size, granule? }`, { param: 'options' });
    }
    const { name, base, size } = options;
    const granule = options.granule ?? 4096;
    if (typeof name !== 'string' || name.length === 0) {
      throw new VcmError('EINVAL', `${where}: name must be a non-empty string, got ${JSON.stringify(name)}`, { param: 'name' });
    }
    if (typeof granule !== 'number' || !isPowerOfTwo(granule) || granule < 1024) {
      throw new VcmError('EINVAL', `${where} ${name}: granule must be a power of two of at least 1 KiB, got ${String(granule)}`, { param: 'granule' });
    }
    checkAligned(`${where} ${name}`, 'base', base, granule);
    checkAligned(`${where} ${name}`, 'size', size, granule);
    if (size === 0) throw new VcmError('EINVAL', `${where} ${name}: size must be positive, got 0`, { param: 'size', value: 0 });
    const maxTracked = options.maxTrackedAlign === undefined ? size : options.maxTrackedAlign;
    if (options.maxTrackedAlign !== undefined && (typeof maxTracked !== 'number' || !isPowerOfTwo(maxTracked) || maxTracked < granule)) {
      throw new VcmError('EINVAL', `${where} ${name}: maxTrackedAlign must be a power of two of at least the granule (${formatSize(granule)}), got ${String(maxTracked)}`, {
        param: 'maxTrackedAlign',
        value: typeof maxTracked === 'number' ? maxTracked : typeof maxTracked,
      });
    }
    this.name = name;
    this.base = base;
    this.size = size;
    this.granule = granule;
    this.end = base + size;
    // Alignments granule … the largest power of two ≤ size (or ≤ maxTrackedAlign);
    // anything larger than the pool has at most one aligned address inside it (see #soleAligned).
    const alignments = [granule];
    const limit = Math.min(size, maxTracked);
    while (granule * 2 ** alignments.length <= limit) alignments.push(granule * 2 ** alignments.length);
    this.#free = new RangeAllocator(base, size, { alignments });
  }

  /** The alignments the free-extent tree tracks, ascending. */
  get trackedAlignments(): number[] {
    return this.#free.alignments;
  }

  get freeBytes(): number {
    return this.size - this.#inUse;
  }

  get inUseBytes(): number {
    return this.#inUse;
  }

  get highWaterBytes(): number {
    return this.#highWater;
  }

  /** Number of live allocations. */
  get allocations(): number {
    return this.#allocations;
  }

  /** Number of free extents. */
  get freeExtentCount(): number {
    return this.#free.freeExtentCount;
  }

  /** Height of the free-extent tree (at most 1.44 · log2(n + 2) for n free extents; for diagnostics and tests). */
  get freeTreeHeight(): number {
    return this.#free.treeHeight;
  }

  /** True when `pa` lies inside the pool; `pa` is a physical address (an integer below 2^40). */
  contains(pa: number): boolean {
    checkUint(`${this.name}.contains`, 'pa', pa, MAX_PHYS_ADDR - 1);
    return pa >= this.base && pa < this.end;
  }

  /** Length of the live allocation starting at `pa`, or undefined; `pa` is a physical address (an integer below 2^40). */
  allocationAt(pa: number): number | undefined {
    checkUint(`${this.name}.allocationAt`, 'pa', pa, MAX_PHYS_ADDR - 1);
    const len = this.#live.get(pa);
    return len === 0 ? undefined : len;
  }

  /**
   * For an alignment larger than the pool (which the tree does not track): at
   * most one address in the pool is aligned, so look at it alone. Returns it
   * when `len` bytes there are free, else -1; changes nothing.
   */
  #soleAligned(len: number, align: number): number {
    const pa = Math.ceil(this.base / align) * align;
    return pa + len <= this.end && this.#free.isFree(pa, len) ? pa : -1;
  }

  #validate(where: string, len: number, align: number): void {
    // The common case in a few compares, without building the messages'
    // strings (`where (name)`) on every call: page-table memory is taken a
    // table at a time, hundreds of times per bulk map.
    if (typeof len === 'number' && len > 0 && len <= this.size && typeof align === 'number' && isPowerOfTwo(align)) {
      const q = len / this.granule;
      if (Math.floor(q) === q) return;
    }
    checkAligned(`${where} (${this.name})`, 'len', len, this.granule);
    if (len === 0) throw new VcmError('EINVAL', `${where} (${this.name}): len must be a positive multiple of ${formatSize(this.granule)}, got 0`, { param: 'len', value: 0 });
    if (typeof align !== 'number' || !isPowerOfTwo(align)) {
      throw new VcmError('EINVAL', `${where} (${this.name}): align must be a power of two, got ${String(align)}`, { param: 'align', value: typeof align === 'number' ? align : typeof align });
    }
  }

  /** True when `len` bytes at `align` would fit now. */
  canAllocate(len: number, align = this.granule): boolean {
    this.#validate('canAllocate', len, align);
    const a = Math.max(align, this.granule);
    return a <= this.size ? this.#free.lowestFit(len, a) !== undefined : this.#soleAligned(len, a) >= 0;
  }

  /**
   * Allocate `len` bytes (a multiple of the granule) at a multiple of `align`
   * (a power of two; below the granule means the granule). `ENOMEM` when no
   * free extent holds it; nothing changes then.
   */
  allocate(len: number, align: number = this.granule): number {
    this.#validate('allocate', len, align);
    const a = Math.max(align, this.granule);
    let pa: number;
    if (a <= this.size) {
      pa = this.#free.allocate(len, a) ?? -1;
    } else {
      pa = this.#soleAligned(len, a);
      if (pa >= 0) this.#free.allocateAt(pa, len);
    }
    if (pa < 0) {
      throw new VcmError(
        'ENOMEM',
        `ContiguousPool ${this.name}: no free extent holds ${formatSize(len)} aligned to ${formatSize(a)} (${formatSize(this.freeBytes)} free in ${this.#free.freeExtentCount} extents, largest ${formatSize(this.largestFree())})`,
        { pool: this.name, len, align: a, freeBytes: this.freeBytes, largestFree: this.largestFree() },
      );
    }
    this.#live.set(pa, len);
    this.#allocations++;
    this.#inUse += len;
    if (this.#inUse > this.#highWater) this.#highWater = this.#inUse;
    return pa;
  }

  /**
   * `count` allocations of `len` bytes at `align`, at exactly the addresses
   * `count` calls of `allocate(len, align)` would give, in that order — all
   * or nothing: `ENOMEM` when they do not all fit, and the pool is then as
   * before. A bulk page-table map takes hundreds of tables at once.
   *
   * When `len` is a multiple of the alignment, one descent finds the first
   * address and a run of k pieces is taken in one step: after a piece at
   * `pa`, nothing below `pa` fits that did not fit before, and `pa + len` is
   * aligned, so the next single allocation is `pa + len` exactly when it is
   * free. Other lengths take the pieces one at a time.
   */
  allocateMany(len: number, align: number, count: number): number[] {
    this.#validate('allocateMany', len, align);
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) checkUint(`allocateMany (${this.name})`, 'count', count);
    const a = Math.max(align, this.granule);
    const out: number[] = [];
    if (count === 0) return out;
    const highWater = this.#highWater;
    const runs = len % a === 0 && a <= this.size;
    try {
      while (out.length < count) {
        if (!runs) {
          out.push(this.allocate(len, align));
          continue;
        }
        const pa = this.#free.lowestFit(len, a);
        if (pa === undefined) this.allocate(len, align); // throws ENOMEM with the pool's message
        const at = pa as number;
        // The longest run of free pieces at `at`, up to what is still wanted.
        let k = 1;
        let hi = Math.min(count - out.length, Math.floor((this.end - at) / len));
        while (k < hi) {
          const mid = Math.ceil((k + hi) / 2);
          if (this.#free.isFree(at, mid * len)) k = mid;
          else hi = mid - 1;
        }
        this.#free.allocateAt(at, k * len);
        for (let i = 0; i < k; i++) {
          this.#live.set(at + i * len, len);
          out.push(at + i * len);
        }
        this.#allocations += k;
        this.#inUse += k * len;
        if (this.#inUse > this.#highWater) this.#highWater = this.#inUse;
      }
    } catch (e) {
      for (const pa of out) this.free(pa, len);
      this.#highWater = highWater;
      throw e;
    }
    return out;
  }

  /**
   * Return the allocation that starts at `pa`, coalescing with its free
   * neighbours. `len`, when given, must equal the allocated length. Anything
   * that is not a live allocation of this pool is `EINVAL` and changes nothing.
   */
  free(pa: number, len?: number): void {
    const live = typeof pa === 'number' ? this.#live.get(pa) : undefined;
    if (live === undefined || live === 0) {
      checkUint(`ContiguousPool ${this.name}: free`, 'pa', pa);
      throw new VcmError('EINVAL', `ContiguousPool ${this.name}: ${hex(pa)} is not the start of a live allocation (double free, or not this pool's)`, { pool: this.name, pa });
    }
    if (len !== undefined && len !== live) {
      throw new VcmError('EINVAL', `ContiguousPool ${this.name}: free of ${hex(pa)} names ${String(len)} bytes but ${live} (${formatSize(live)}) were allocated`, {
        pool: this.name,
        pa,
        len: typeof len === 'number' ? len : typeof len,
        expected: live,
      });
    }
    this.#live.set(pa, 0);
    this.#allocations--;
    this.#inUse -= live;
    this.#free.free(pa, live);
  }

  /** The largest free extent, in bytes. */
  largestFree(): number {
    return this.#free.largestFreeExtent;
  }

  /** Free extents in address order. */
  freeExtents(): FreeExtent[] {
    const out: FreeExtent[] = [];
    for (const e of this.#free.freeExtents()) out.push({ pa: e.start, len: e.len });
    return out;
  }

  stats(): ContiguousPoolStats {
    return {
      name: this.name,
      base: this.base,
      size: this.size,
      granule: this.granule,
      freeBytes: this.freeBytes,
      inUseBytes: this.#inUse,
      highWaterBytes: this.#highWater,
      allocations: this.#allocations,
      largestFree: this.largestFree(),
      freeExtents: this.freeExtents(),
    };
  }

  toJSON(): ContiguousPoolStats {
    return this.stats();
  }
}
