/**
 * Memory types (the seed's memory targets, `enum memtype_t`): an ordered
 * list of block pools, largest blocks first, plus at most one contiguous
 * pool. A shortfall in one pool flows on to the next, which may have the
 * same block size in another memory
 * (docs/hardware.md#the-msm8x60-memory-arrangement: MEMTYPE_1 takes its 4 KiB
 * blocks from EBI; the mixed type lists SMI 1 MiB then EBI 1 MiB).
 */
import { VcmError, checkUint, formatSize } from '@vcm/core';
import { BlockPool } from './block-pool.js';
import { ContiguousPool } from './contiguous-pool.js';
import { isList } from './is-list.js';

/** The parts of a memory type: its `memtype_t` value, name, block pools in max-munch order and optional contiguous pool. */
export interface MemoryTypeOptions {
  /** The `memtype_t` value: `VCM_MEMTYPE_0` (1) …; 0 is `VCM_INVALID`. */
  readonly id: number;
  readonly name: string;
  /** Block pools in max-munch order: non-increasing block size. */
  readonly pools: readonly BlockPool[];
  /** The pool that `VCM_PHYS_CONT` and one-to-one VCMs use, if any. */
  readonly contiguous?: ContiguousPool | undefined;
}

/**
 * A memory type (`enum memtype_t`): the board-specific set of pools that can
 * back a reservation, in the order the allocator tries them. Made by
 * `createMemoryType`, which checks that order.
 */
export interface MemoryType {
  readonly id: number;
  readonly name: string;
  readonly pools: readonly BlockPool[];
  readonly contiguous: ContiguousPool | undefined;
}

/** Build a memory type, checking the pool order (largest blocks first) and that no pool is listed twice. */
export function createMemoryType(options: MemoryTypeOptions): MemoryType {
  const where = 'createMemoryType';
  if (typeof options !== 'object' || options === null) {
    throw new VcmError('EINVAL', `${where}: options must be { id, name, pools, contiguous? }`, { param: 'options' });
  }
  const { id, name, pools, contiguous } = options;
  checkUint(where, 'id', id, 0xffffffff);
  if (id === 0) throw new VcmError('EINVAL', `${where}: id must not be 0 (VCM_INVALID); VCM_MEMTYPE_0 is 1`, { param: 'id', value: 0 });
  if (typeof name !== 'string' || name.length === 0) {
    throw new VcmError('EINVAL', `${where}: name must be a non-empty string, got ${JSON.stringify(name)}`, { param: 'name' });
  }
  if (!isList(pools)) {
    throw new VcmError('EINVAL', `${where} ${name}: pools must be an array of BlockPool`, { param: 'pools' });
  }
  const seen = new Set<BlockPool>();
  pools.forEach((pool: unknown, i) => {
    if (!(pool instanceof BlockPool)) {
      throw new VcmError('EINVAL', `${where} ${name}: pools[${i}] must be a BlockPool`, { param: `pools[${i}]` });
    }
    if (seen.has(pool)) {
      throw new VcmError('EINVAL', `${where} ${name}: pool ${pool.name} is listed twice`, { param: 'pools', pool: pool.name });
    }
    seen.add(pool);
    const prev = pools[i - 1];
    if (prev !== undefined && prev.blockSize < pool.blockSize) {
      throw new VcmError(
        'EINVAL',
        `${where} ${name}: pools must be in max-munch order, largest blocks first, but ${pool.name} (${formatSize(pool.blockSize)}) follows ${prev.name} (${formatSize(prev.blockSize)})`,
        { param: 'pools', pool: pool.name, after: prev.name },
      );
    }
  });
  if (contiguous !== undefined && !(contiguous instanceof ContiguousPool)) {
    throw new VcmError('EINVAL', `${where} ${name}: contiguous must be a ContiguousPool or undefined`, { param: 'contiguous' });
  }
  if (contiguous !== undefined && contiguous.granule !== 4096) {
    throw new VcmError('EINVAL', `${where} ${name}: contiguous pool ${contiguous.name} must have a 4 KiB granule, got ${formatSize(contiguous.granule)}`, {
      param: 'contiguous',
      granule: contiguous.granule,
    });
  }
  return Object.freeze({ id, name, pools: Object.freeze([...pools]), contiguous });
}
