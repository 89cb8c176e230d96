/**
 * Board presets as plain data (a user could have written them in a JSON
 * file). Each call returns a fresh object, so a caller may edit its copy
 * without touching anyone else's (no module-level mutable state).
 */
import type { BoardDescription, MemoryDescription, SmmuDescription } from './board.js';

/**
 * The MSM8x60 physical memory arrangement
 * (docs/hardware.md#the-msm8x60-memory-arrangement): SMI (64 MiB at
 * 0x3800_0000) and EBI (1 GiB of DDR at 0x4000_0000, the first 512 MiB the
 * kernel's). Each memory gives one 16 MiB block, 8 × 1 MiB, 64 × 64 KiB and
 * 1024 × 4 KiB, each pool aligned to its block size; the last 8 MiB of SMI
 * is the contiguous pool. Memtypes 1..4 are VCM_MEMTYPE_0..3: all SMI; SMI
 * with 4 KiB blocks from EBI; all EBI; the mixed list.
 */
export function msm8x60MemoryDescription(): MemoryDescription {
  return {
    banks: [
      { name: 'smi', base: '0x3800_0000', size: '0x0400_0000' },
      { name: 'ebi', base: '0x4000_0000', size: '0x4000_0000' },
    ],
    pools: [
      { name: 'smi-16m', bank: 'smi', base: '0x3800_0000', blockSize: '0x0100_0000', count: 1 },
      { name: 'smi-1m', bank: 'smi', base: '0x3900_0000', blockSize: '0x0010_0000', count: 8 },
      { name: 'smi-64k', bank: 'smi', base: '0x3980_0000', blockSize: '0x0001_0000', count: 64 },
      { name: 'smi-4k', bank: 'smi', base: '0x39c0_0000', blockSize: '0x0000_1000', count: 1024 },
      { name: 'smi-cont', bank: 'smi', base: '0x3b80_0000', size: '0x0080_0000', contiguous: true },
      { name: 'ebi-16m', bank: 'ebi', base: '0x6000_0000', blockSize: '0x0100_0000', count: 1 },
      { name: 'ebi-1m', bank: 'ebi', base: '0x6100_0000', blockSize: '0x0010_0000', count: 8 },
      { name: 'ebi-64k', bank: 'ebi', base: '0x6180_0000', blockSize: '0x0001_0000', count: 64 },
      { name: 'ebi-4k', bank: 'ebi', base: '0x61c0_0000', blockSize: '0x0000_1000', count: 1024 },
      { name: 'ebi-cont', bank: 'ebi', base: '0x6200_0000', size: '0x0100_0000', contiguous: true },
    ],
    memtypes: [
      { id: 1, name: 'VCM_MEMTYPE_0', pools: ['smi-16m', 'smi-1m', 'smi-64k', 'smi-4k'], contiguous: 'smi-cont' },
      { id: 2, name: 'VCM_MEMTYPE_1', pools: ['smi-16m', 'smi-1m', 'smi-64k', 'ebi-4k'], contiguous: 'smi-cont' },
      { id: 3, name: 'VCM_MEMTYPE_2', pools: ['ebi-16m', 'ebi-1m', 'ebi-64k', 'ebi-4k'], contiguous: 'ebi-cont' },
      { id: 4, name: 'VCM_MEMTYPE_3', pools: ['smi-16m', 'smi-1m', 'ebi-1m', 'smi-64k', 'ebi-64k', 'ebi-4k'] },
    ],
    tableRegion: { base: '0x6300_0000', size: '0x0080_0000' },
    kernelRam: [{ base: '0x4000_0000', size: '0x2000_0000' }],
  };
}

/** The multimedia blocks of MSM8x60, each behind its own SMMU (docs/hardware.md#the-smmu: about a dozen, 2 or 3 contexts each). */
const MSM8X60_BLOCKS: readonly { name: string; contexts: readonly string[]; format?: 'armLpae4k' }[] = [
  // The seed's /dev nodes: vcodec_a_mm1, vcodec_b_mm2, vcodec_stream; vcodec_a_stream is its userspace example.
  { name: 'vcodec_a', contexts: ['vcodec_a_mm1', 'vcodec_a_stream'] },
  { name: 'vcodec_b', contexts: ['vcodec_b_mm2', 'vcodec_stream'] },
  { name: 'mdp0', contexts: ['mdp0_port0', 'mdp0_port1'], format: 'armLpae4k' },
  { name: 'mdp1', contexts: ['mdp1_port0', 'mdp1_port1'], format: 'armLpae4k' },
  { name: 'rot', contexts: ['rot_src', 'rot_dst'] },
  { name: 'jpegd', contexts: ['jpegd_src', 'jpegd_dst'] },
  { name: 'vfe', contexts: ['vfe_imgwr', 'vfe_misc'] },
  { name: 'ijpeg', contexts: ['ijpeg_src', 'ijpeg_dst'] },
  { name: 'vpe', contexts: ['vpe_src', 'vpe_dst'] },
  { name: 'gfx3d', contexts: ['gfx3d_user', 'gfx3d_priv', 'gfx3d_rb'] },
  { name: 'gfx2d0', contexts: ['gfx2d0_user', 'gfx2d0_priv'] },
  { name: 'gfx2d1', contexts: ['gfx2d1_user', 'gfx2d1_priv'] },
];

function hexString(n: number): string {
  const d = n.toString(16).padStart(8, '0');
  return `0x${d.slice(0, 4)}_${d.slice(4)}`;
}

/**
 * MSM8x60: twelve SMMUs in front of the video codec, display, rotator,
 * JPEG, camera, VPE and graphics blocks; the display engines use the LPAE
 * format, the rest the ARMv7 short format; 32-entry TLBs; register windows
 * 1 MiB apart from 0x0400_0000; one CPU and one direct-mapped DMA engine.
 */
export function msm8x60Board(): BoardDescription {
  const smmus: SmmuDescription[] = MSM8X60_BLOCKS.map((block, i) => ({
    name: block.name,
    base: hexString(0x0400_0000 + i * 0x0010_0000),
    irq: 96 + i,
    contextBanks: block.contexts.length,
    format: block.format ?? 'armV7Short',
    tlb: { entries: 32, policy: 'lru' },
    hwVersion: 0x0001_0000,
    contexts: block.contexts.map((name) => ({ name })),
  }));
  return {
    name: 'msm8x60',
    memory: msm8x60MemoryDescription(),
    smmus,
    cpus: [{ name: 'cpu0' }],
    directDevices: [{ name: 'adm_dma' }],
  };
}

/**
 * Exactly the tree the seed draws (000, "Qualcomm SMMU Device Tree"):
 * smmu0 with ctx0, ctx1, ctx2 and smmu1 with ctx3, over the MSM8x60 memory.
 */
export function seedExampleBoard(): BoardDescription {
  const smmu = (name: string, i: number, contexts: readonly string[]): SmmuDescription => ({
    name,
    base: hexString(0x0400_0000 + i * 0x0010_0000),
    irq: 96 + i,
    contextBanks: contexts.length,
    format: 'armV7Short',
    tlb: { entries: 32, policy: 'lru' },
    hwVersion: 0x0001_0000,
    contexts: contexts.map((name) => ({ name })),
  });
  return {
    name: 'seed-example',
    memory: msm8x60MemoryDescription(),
    smmus: [smmu('smmu0', 0, ['ctx0', 'ctx1', 'ctx2']), smmu('smmu1', 1, ['ctx3'])],
    cpus: [{ name: 'cpu0' }],
  };
}
