import { describe, expect, it } from 'vitest';
import { SZ_16M, SZ_1G, SZ_1M, SZ_4K, SZ_64K, SZ_64M, SZ_8M, VCM_MEMTYPE_0, VCM_MEMTYPE_1, VCM_MEMTYPE_2, VCM_MEMTYPE_3 } from '@vcm/core';
import { msm8x60Memory } from './msm8x60.js';

describe('msm8x60Memory (docs/hardware.md#the-msm8x60-memory-arrangement)', () => {
  it('has SMI at 0x3800_0000 (64 MiB) and EBI at 0x4000_0000 (1 GiB)', () => {
    const { memory } = msm8x60Memory();
    expect(memory.banks).toEqual([
      { name: 'smi', base: 0x3800_0000, size: SZ_64M },
      { name: 'ebi', base: 0x4000_0000, size: SZ_1G },
    ]);
  });

  it('carves the same pool shape from both memories, each aligned to its block size', () => {
    const { pools } = msm8x60Memory();
    const layout = Object.values(pools).map((p) => [p.name, p.base, p.blockSize, p.count]);
    expect(layout).toEqual([
      ['smi-16m', 0x3800_0000, SZ_16M, 1],
      ['smi-1m', 0x3900_0000, SZ_1M, 8],
      ['smi-64k', 0x3980_0000, SZ_64K, 64],
      ['smi-4k', 0x39c0_0000, SZ_4K, 1024],
      ['ebi-16m', 0x6000_0000, SZ_16M, 1],
      ['ebi-1m', 0x6100_0000, SZ_1M, 8],
      ['ebi-64k', 0x6180_0000, SZ_64K, 64],
      ['ebi-4k', 0x61c0_0000, SZ_4K, 1024],
    ]);
    for (const p of Object.values(pools)) expect(p.base % p.blockSize).toBe(0);
  });

  it('puts the SMI contiguous pool in the last 8 MiB of SMI, EBI contiguous and table memory above the kernel RAM', () => {
    const { contiguousPools, tableRegion } = msm8x60Memory();
    expect(Object.values(contiguousPools).map((p) => [p.name, p.base, p.size])).toEqual([
      ['smi-cont', 0x3b80_0000, SZ_8M],
      ['ebi-cont', 0x6200_0000, SZ_16M],
    ]);
    expect(0x3b80_0000 + SZ_8M).toBe(0x3800_0000 + SZ_64M);
    expect(tableRegion).toEqual({ base: 0x6300_0000, size: SZ_8M });
  });

  it('defines the four memtypes as ordered pool lists', () => {
    const { memtypes, allocator } = msm8x60Memory();
    expect(allocator.memtypes).toEqual([VCM_MEMTYPE_0, VCM_MEMTYPE_1, VCM_MEMTYPE_2, VCM_MEMTYPE_3]);
    expect(memtypes.map((m) => [m.id, m.name, m.pools.map((p) => p.name), m.contiguous?.name])).toEqual([
      [1, 'VCM_MEMTYPE_0', ['smi-16m', 'smi-1m', 'smi-64k', 'smi-4k'], 'smi-cont'],
      [2, 'VCM_MEMTYPE_1', ['smi-16m', 'smi-1m', 'smi-64k', 'ebi-4k'], 'smi-cont'],
      [3, 'VCM_MEMTYPE_2', ['ebi-16m', 'ebi-1m', 'ebi-64k', 'ebi-4k'], 'ebi-cont'],
      [4, 'VCM_MEMTYPE_3', ['smi-16m', 'smi-1m', 'ebi-1m', 'smi-64k', 'ebi-64k', 'ebi-4k'], undefined],
    ]);
    // shared pools are the same objects: SMI 16 MiB serves MEMTYPE_0, _1 and _3
    expect(memtypes[0]!.pools[0]).toBe(memtypes[1]!.pools[0]);
    expect(memtypes[0]!.pools[0]).toBe(memtypes[3]!.pools[0]);
    expect(allocator.memtype(VCM_MEMTYPE_1).pools[3]!.name).toBe('ebi-4k');
  });

  it('two presets are independent systems (no global state)', () => {
    const a = msm8x60Memory();
    const b = msm8x60Memory();
    a.allocator.allocate(VCM_MEMTYPE_0, SZ_16M, 0);
    a.memory.writeU32(0x3800_0000, 5);
    expect(b.pools['smi-16m']!.freeBlocks).toBe(1);
    expect(b.memory.readU32(0x3800_0000)).toBe(0);
  });
});
