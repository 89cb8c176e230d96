/**
 * The MSM8x60 physical memory arrangement
 * (docs/hardware.md#the-msm8x60-memory-arrangement), the default board of the
 * reference app.
 *
 * - SMI, 64 MiB at 0x3800_0000: one 16 MiB block, 8 × 1 MiB, 64 × 64 KiB,
 *   1024 × 4 KiB, each pool aligned to its block size, and the contiguous
 *   pool in the last 8 MiB.
 * - EBI (DDR), 1 GiB at 0x4000_0000. The first 512 MiB is the kernel's RAM
 *   for the CPU's linear map (not the allocator's); from 0x6000_0000 the
 *   same pool shape as SMI, a 16 MiB contiguous pool and 8 MiB of
 *   page-table memory.
 * - Memtypes: MEMTYPE_0 all SMI; MEMTYPE_1 SMI with 4 KiB blocks from EBI;
 *   MEMTYPE_2 all EBI; MEMTYPE_3 the mixed list (SMI 16 MiB, SMI 1 MiB,
 *   EBI 1 MiB, SMI 64 KiB, EBI 64 KiB, EBI 4 KiB), no contiguous pool.
 */
import { SZ_16M, SZ_1G, SZ_1M, SZ_4K, SZ_64K, SZ_64M, SZ_8M, VCM_MEMTYPE_0, VCM_MEMTYPE_1, VCM_MEMTYPE_2, VCM_MEMTYPE_3 } from '@vcm/core';
import { createPhysicalSystem } from './system.js';
import type { PhysicalSystem, PhysicalSystemDescription } from './system.js';

/** Physical base of the MSM8x60's SMI (stacked memory) bank, 64 MiB (docs/hardware.md#the-msm8x60-memory-arrangement). */
export const SMI_BASE = 0x3800_0000;
/**
 * Physical base of the MSM8x60's EBI (DDR) bank, 1 GiB; its first 512 MiB are the kernel's RAM (docs/hardware.md#the-msm8x60-memory-arrangement).
 */
export const EBI_BASE = 0x4000_0000;
/** The end of the kernel-managed part of EBI (the CPU's linear map). */
export const EBI_KERNEL_END = 0x6000_0000;

/** The MSM8x60 arrangement as plain data (a fresh copy each call, JSON-safe). */
export function msm8x60Description(): PhysicalSystemDescription {
  return {
    banks: [
      { name: 'smi', base: SMI_BASE, size: SZ_64M },
      { name: 'ebi', base: EBI_BASE, size: SZ_1G },
    ],
    pools: [
      { name: 'smi-16m', bank: 'smi', base: 0x3800_0000, blockSize: SZ_16M, count: 1 },
      { name: 'smi-1m', bank: 'smi', base: 0x3900_0000, blockSize: SZ_1M, count: 8 },
      { name: 'smi-64k', bank: 'smi', base: 0x3980_0000, blockSize: SZ_64K, count: 64 },
      { name: 'smi-4k', bank: 'smi', base: 0x39c0_0000, blockSize: SZ_4K, count: 1024 },
      { name: 'ebi-16m', bank: 'ebi', base: 0x6000_0000, blockSize: SZ_16M, count: 1 },
      { name: 'ebi-1m', bank: 'ebi', base: 0x6100_0000, blockSize: SZ_1M, count: 8 },
      { name: 'ebi-64k', bank: 'ebi', base: 0x6180_0000, blockSize: SZ_64K, count: 64 },
      { name: 'ebi-4k', bank: 'ebi', base: 0x61c0_0000, blockSize: SZ_4K, count: 1024 },
    ],
    contiguous: [
      { name: 'smi-cont', base: 0x3b80_0000, size: SZ_8M },
      { name: 'ebi-cont', base: 0x6200_0000, size: SZ_16M },
    ],
    memtypes: [
      { id: VCM_MEMTYPE_0, name: 'VCM_MEMTYPE_0', pools: ['smi-16m', 'smi-1m', 'smi-64k', 'smi-4k'], contiguous: 'smi-cont' },
      { id: VCM_MEMTYPE_1, name: 'VCM_MEMTYPE_1', pools: ['smi-16m', 'smi-1m', 'smi-64k', 'ebi-4k'], contiguous: 'smi-cont' },
      { id: VCM_MEMTYPE_2, name: 'VCM_MEMTYPE_2', pools: ['ebi-16m', 'ebi-1m', 'ebi-64k', 'ebi-4k'], contiguous: 'ebi-cont' },
      { id: VCM_MEMTYPE_3, name: 'VCM_MEMTYPE_3', pools: ['smi-16m', 'smi-1m', 'ebi-1m', 'smi-64k', 'ebi-64k', 'ebi-4k'] },
    ],
    tableRegion: { base: 0x6300_0000, size: SZ_8M },
  };
}

/** A fresh MSM8x60 physical system: `{ memory, allocator, pools, contiguousPools, memtypes, tableRegion }`. */
export function msm8x60Memory(): PhysicalSystem {
  return createPhysicalSystem(msm8x60Description());
}
