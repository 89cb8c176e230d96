import { describe, expect, it } from 'vitest';
import { SZ_16M, SZ_1M, SZ_4K, SZ_64K } from '@vcm/core';
import { createPhysicalSystem } from './system.js';
import type { PhysicalSystemDescription } from './system.js';
import { msm8x60Description } from './msm8x60.js';
import { vcmErrorOf } from '@vcm/test-kit';

const small = (): PhysicalSystemDescription => ({
  banks: [{ name: 'ddr', base: 0x8000_0000, size: 64 * SZ_1M }],
  pools: [
    { name: 'ddr-1m', bank: 'ddr', base: 0x8000_0000, blockSize: SZ_1M, count: 4 },
    { name: 'ddr-4k', bank: 'ddr', base: 0x8040_0000, blockSize: SZ_4K, count: 16 },
  ],
  contiguous: [{ name: 'ddr-cont', base: 0x8100_0000, size: SZ_16M }],
  memtypes: [{ id: 1, name: 'VCM_MEMTYPE_0', pools: ['ddr-1m', 'ddr-4k'], contiguous: 'ddr-cont' }],
  tableRegion: { base: 0x8200_0000, size: SZ_1M },
});

describe('createPhysicalSystem', () => {
  it('builds RAM, pools, memtypes and the allocator from plain data (JSON round trip)', () => {
    const system = createPhysicalSystem(JSON.parse(JSON.stringify(small())) as PhysicalSystemDescription);
    expect(system.memory.banks).toEqual([{ name: 'ddr', base: 0x8000_0000, size: 64 * SZ_1M }]);
    expect(Object.keys(system.pools)).toEqual(['ddr-1m', 'ddr-4k']);
    expect(Object.keys(system.contiguousPools)).toEqual(['ddr-cont']);
    expect(system.memtypes.map((m) => m.pools.map((p) => p.name))).toEqual([['ddr-1m', 'ddr-4k']]);
    expect(system.allocator.memtypes).toEqual([1]);
    expect(system.tableRegion).toEqual({ base: 0x8200_0000, size: SZ_1M });
    const a = system.allocator.allocate(1, SZ_1M + SZ_4K, 0);
    expect(a.chunks.map((c) => c.pa)).toEqual([0x8000_0000, 0x8040_0000]);
    expect(system.allocator.allocateTable(SZ_4K, SZ_4K)).toBe(0x8200_0000);
  });

  const cases: Array<[string, (d: PhysicalSystemDescription) => unknown, RegExp]> = [
    ['no banks', (d) => ({ ...d, banks: [] }), /banks must not be empty/],
    ['a pool naming an unknown bank', (d) => ({ ...d, pools: [{ ...d.pools[0]!, bank: 'sram' }] }), /pools\[0\]\.bank "sram" is not a bank \(banks: ddr\)/],
    ['a misaligned pool', (d) => ({ ...d, pools: [{ ...d.pools[0]!, base: 0x8000_1000 }] }), /pools\[0\] \(ddr-1m\).*base must be an address aligned to 1 MiB/],
    ['a pool block size that is not a page size', (d) => ({ ...d, pools: [{ ...d.pools[0]!, blockSize: 2 * SZ_1M }] }), /blockSize must be one of 4 KiB, 64 KiB, 1 MiB, 16 MiB/],
    ['a pool running past its bank', (d) => ({ ...d, pools: [{ ...d.pools[0]!, count: 100 }] }), /must lie inside bank ddr/],
    ['two pools with one name', (d) => ({ ...d, pools: [d.pools[0]!, { ...d.pools[1]!, name: 'ddr-1m' }] }), /"ddr-1m" is already the name of another pool/],
    ['a memtype naming an unknown pool', (d) => ({ ...d, memtypes: [{ ...d.memtypes[0]!, pools: ['ddr-64k'] }] }), /memtypes\[0\]\.pools\[0\] "ddr-64k" is not a block pool \(block pools: ddr-1m, ddr-4k\)/],
    ['a memtype naming an unknown contiguous pool', (d) => ({ ...d, memtypes: [{ ...d.memtypes[0]!, contiguous: 'x' }] }), /contiguous "x" is not a contiguous pool/],
    ['pools out of max-munch order', (d) => ({ ...d, memtypes: [{ ...d.memtypes[0]!, pools: ['ddr-4k', 'ddr-1m'] }] }), /largest blocks first/],
    ['memtype id 0 (VCM_INVALID)', (d) => ({ ...d, memtypes: [{ ...d.memtypes[0]!, id: 0 }] }), /VCM_INVALID/],
    ['duplicate memtype ids', (d) => ({ ...d, memtypes: [d.memtypes[0]!, { ...d.memtypes[0]!, name: 'again' }] }), /two memtypes have id 1/],
    ['overlapping pools', (d) => ({ ...d, contiguous: [{ name: 'ddr-cont', base: 0x8040_0000, size: SZ_1M }] }), /overlaps pool ddr-4k/],
    ['a table region outside RAM', (d) => ({ ...d, tableRegion: { base: 0x9000_0000, size: SZ_1M } }), /page-table region .* is not inside one bank/],
    ['a missing table region', (d) => ({ ...d, tableRegion: undefined }), /tableRegion must be an object/],
    ['a contiguous pool outside RAM', (d) => ({ ...d, contiguous: [{ name: 'c', base: 0x9000_0000, size: SZ_64K }] }), /contiguous\[0\] \(c\) must lie inside one bank/],
    ['a non-number base', (d) => ({ ...d, pools: [{ ...d.pools[0]!, base: '0x8000_0000' }] }), /base must be an address/],
  ];
  for (const [what, mutate, message] of cases) {
    it(`rejects ${what} with a clear EINVAL`, () => {
      const e = vcmErrorOf(() => createPhysicalSystem(mutate(small()) as PhysicalSystemDescription));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toMatch(/^EINVAL: createPhysicalSystem: /);
      expect(e.message).toMatch(message);
    });
  }

  it('accepts "contiguous": null for a memtype without a contiguous pool', () => {
    const d = small();
    const system = createPhysicalSystem({ ...d, memtypes: [{ ...d.memtypes[0]!, contiguous: null }] });
    expect(system.allocator.contiguousRegion(1)).toBeUndefined();
  });

  it('the MSM8x60 description is plain JSON data', () => {
    const d = msm8x60Description();
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(msm8x60Description()).not.toBe(d);
  });
});
