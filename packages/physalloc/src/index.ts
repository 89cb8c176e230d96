export { PhysicalRam, RAM_PAGE_SIZE, MAX_PHYS_ADDR } from './ram.js';
export type { PhysicalRamOptions, RamStats } from './ram.js';
export { BlockPool, BLOCK_SIZES } from './block-pool.js';
export type { BlockPoolOptions, BlockPoolStats } from './block-pool.js';
export { ContiguousPool } from './contiguous-pool.js';
export type { ContiguousPoolOptions, ContiguousPoolStats, FreeExtent } from './contiguous-pool.js';
export { createMemoryType } from './memory-type.js';
export type { MemoryType, MemoryTypeOptions } from './memory-type.js';
export { PhysAllocator, PHYS_ATTR_BITS } from './allocator.js';
export type { MemtypeStats, PhysAllocatorOptions, PhysAllocatorStats, PhysRange } from './allocator.js';
export { createPhysicalSystem } from './system.js';
export type {
  BankDescription,
  BlockPoolDescription,
  ContiguousPoolDescription,
  MemtypeDescription,
  PhysicalSystem,
  PhysicalSystemDescription,
} from './system.js';
export { msm8x60Description, msm8x60Memory, SMI_BASE, EBI_BASE, EBI_KERNEL_END } from './msm8x60.js';
