/**
 * The max-munch plan (docs/hardware.md#physical-memory-and-pools): walk the
 * memtype's pools in order, largest blocks first, taking from each as many
 * blocks as fit in what is still missing without over-allocating, and carry
 * the rest down the list. A remainder smaller than the smallest allowed
 * block is rounded up to ONE such block; anything else left over is a
 * shortfall. The plan only counts (it reads each pool's free count and
 * takes nothing), so a failed plan leaves every pool as it was: the
 * all-or-nothing rule without undo work.
 */
import { SZ_16M, SZ_1M, SZ_4K, SZ_64K, VCM_1MB, VCM_4KB, VCM_64KB, VCM_ALL, VCM_ALIGNMENT_MASK, VCM_ALIGNMENT_SHIFT, VCM_PAGE_SEL_MASK } from '@vcm/core';
import type { BlockPool } from './block-pool.js';

/** Size-class bits: one per block size a pool may have. */
export const CLASS_4K = 1;
export const CLASS_64K = 2;
export const CLASS_1M = 4;
export const CLASS_16M = 8;
const CLASS_ALL = CLASS_4K | CLASS_64K | CLASS_1M | CLASS_16M;

/** The size-class bit of a block size (0 for a size that is not a pool size). */
export function sizeClassOf(blockSize: number): number {
  switch (blockSize) {
    case SZ_4K:
      return CLASS_4K;
    case SZ_64K:
      return CLASS_64K;
    case SZ_1M:
      return CLASS_1M;
    case SZ_16M:
      return CLASS_16M;
    default:
      return 0;
  }
}

// `ALIGN_REQ_BYTES` for each value of the 5-bit field: 2^(f+12) bytes.
// A table because this sits on the allocation fast path.
const ALIGN_BYTES = Float64Array.from({ length: 32 }, (_, f) => 2 ** (f + 12));

/** `ALIGN_REQ_BYTES(attr)` (vcm.h; docs/decisions.md#the-physical-alignment-field: field f means 2^(f+12) bytes). */
export function physAlignBytes(attr: number): number {
  return ALIGN_BYTES[(attr & VCM_ALIGNMENT_MASK) >>> VCM_ALIGNMENT_SHIFT]!;
}

/**
 * The block sizes an allocation attribute allows, as size-class bits.
 * Page selection: `VCM_ALL` or no selection bit means every size; 16 MiB
 * blocks only then, since the header has no 16 MB selection bit. The
 * alignment field keeps only block sizes at least as large as the alignment,
 * so every block (aligned to its size in its pool) is aligned as asked.
 */
export function allowedSizeClasses(attr: number): number {
  // The common case, attr 0 (or only VCM_COHERENT / VCM_ALL): every size.
  if ((attr & (VCM_ALIGNMENT_MASK | (VCM_PAGE_SEL_MASK & ~VCM_ALL))) === 0) return CLASS_ALL;
  const sel = attr & VCM_PAGE_SEL_MASK;
  let mask: number;
  if (sel === 0 || (sel & VCM_ALL) !== 0) {
    mask = CLASS_ALL;
  } else {
    mask = 0;
    if (sel & VCM_4KB) mask |= CLASS_4K;
    if (sel & VCM_64KB) mask |= CLASS_64K;
    if (sel & VCM_1MB) mask |= CLASS_1M;
  }
  const align = physAlignBytes(attr);
  if (align > SZ_4K) {
    if (align > SZ_64K) mask &= ~CLASS_64K;
    if (align > SZ_4K) mask &= ~CLASS_4K;
    if (align > SZ_1M) mask &= ~CLASS_1M;
    if (align > SZ_16M) mask &= ~CLASS_16M;
  }
  return mask;
}

/** Names of the sizes in a size-class mask, for messages. */
export function describeSizeClasses(mask: number): string {
  const names: string[] = [];
  if (mask & CLASS_16M) names.push('16 MiB');
  if (mask & CLASS_1M) names.push('1 MiB');
  if (mask & CLASS_64K) names.push('64 KiB');
  if (mask & CLASS_4K) names.push('4 KiB');
  return names.length === 0 ? 'none' : names.join(', ');
}

/**
 * Plan `len` bytes (a multiple of 4 KiB) over `pools`, writing the number of
 * blocks to take from pool i into `counts[i]`. Pools whose class bit
 * (`classes[i]`) is not in `mask` are skipped. Returns the bytes still
 * missing: 0 when the plan is complete.
 */
export function planMaxMunch(
  pools: readonly BlockPool[],
  classes: Uint8Array,
  mask: number,
  len: number,
  counts: Float64Array,
): number {
  let rem = len;
  let smallest = Infinity;
  const n = pools.length;
  for (let i = 0; i < n; i++) {
    counts[i] = 0;
    if ((classes[i]! & mask) === 0) continue;
    const pool = pools[i]!;
    const size = pool.blockSize;
    if (size < smallest) smallest = size;
    if (rem >= size) {
      const fit = Math.floor(rem / size);
      const free = pool.freeBlocks;
      const take = fit < free ? fit : free;
      counts[i] = take;
      rem -= take * size;
    }
  }
  if (rem === 0 || rem >= smallest) return rem;
  // The final remainder: one block of the smallest allowed size, from the
  // first pool of that size (in list order) that still has one.
  for (let i = 0; i < n; i++) {
    if ((classes[i]! & mask) === 0) continue;
    const pool = pools[i]!;
    if (pool.blockSize === smallest && pool.freeBlocks > counts[i]!) {
      counts[i]! += 1;
      return 0;
    }
  }
  return rem;
}
