import { describe, expect, it } from 'vitest';
import { SZ_16M, SZ_1M, SZ_4K, SZ_64K, VCM_EXECUTE, VCM_NOTCACHED, VCM_READ, VCM_WB_NWA, VCM_WB_WA, VCM_WRITE, VCM_WT } from '@vcm/core';
import { PROT_GLOBAL, PROT_PRIV } from '../format.js';
import { armV7Short } from './short-descriptor.js';
import { TestRam } from './test-ram.js';
import { vcmErrorOf } from '@vcm/test-kit';

const RW_WBWA = VCM_READ | VCM_WRITE | VCM_WB_WA;

function setup(split?: number): { ram: TestRam; pt: ReturnType<typeof armV7Short.create> } {
  const ram = new TestRam();
  const pt = armV7Short.create(ram, ram, split === undefined ? {} : { split });
  return { ram, pt };
}

/** The level-1 word for `va`, read from RAM. */
function l1(ram: TestRam, root: number, va: number): number {
  return ram.readU32(root + (va >>> 20) * 4);
}

/** The level-2 word for `va`, read from RAM by following the level-1 pointer. */
function l2(ram: TestRam, root: number, va: number): number {
  const p = l1(ram, root, va);
  expect(p & 3).toBe(1);
  return ram.readU32(((p & 0xfffffc00) >>> 0) + ((va >>> 12) & 0xff) * 4);
}

describe('armV7Short descriptors in RAM (the worked values of docs/hardware.md#page-table-formats)', () => {
  it('4 KiB page VA 0 → PA 0, read/write, write-back write-allocate, is 0x00000C7F', () => {
    const { ram, pt } = setup();
    pt.map(0, 0, SZ_4K, RW_WBWA);
    expect(l2(ram, pt.rootPa, 0)).toBe(0x00000c7f);
    // The level-1 entry is a pointer: the level-2 base in [31:10], `01`, PXN 0, NS 1 (not VCM_SECURE), domain 0.
    const p = l1(ram, pt.rootPa, 0);
    expect(p & 0x3ff).toBe(0x009);
    expect(p % 0x400).toBe(9);
  });

  it('64 KiB large page VA 16 MiB → PA 16 MiB is 0x01009C3D written 16 times', () => {
    const { ram, pt } = setup();
    pt.map(SZ_16M, SZ_16M, SZ_64K, RW_WBWA);
    for (let k = 0; k < 16; k++) expect(l2(ram, pt.rootPa, SZ_16M + k * SZ_4K)).toBe(0x01009c3d);
    // The entries around the 16 stay invalid.
    expect(l2(ram, pt.rootPa, SZ_16M + SZ_64K)).toBe(0);
  });

  it('level-1 table is 16 KiB, 16 KiB aligned; level-2 tables 1 KiB, 1 KiB aligned', () => {
    const { ram, pt } = setup();
    expect(pt.rootPa % 0x4000).toBe(0);
    expect(pt.tableBytes).toBe(0x4000);
    pt.map(0x0030_0000, 0x0030_0000, SZ_4K, RW_WBWA);
    expect((l1(ram, pt.rootPa, 0x0030_0000) & 0xfffffc00) % 0x400).toBe(0);
    expect(pt.tableBytes).toBe(0x4000 + 0x400);
    expect(ram.liveTableBytes).toBe(0x4000 + 0x400);
  });
});

describe('armV7Short: one descriptor per page size and attribute combination', () => {
  const cases: Array<{ name: string; va: number; pa: number; size: number; prot: number; word: number }> = [
    // small: nG 11, S 10, AP[2] 9, TEX [8:6], AP[1] 5, AP[0] 4, C 3, B 2, 1, XN 0
    { name: '4 KiB read-only executable WB no-WA global privileged', va: 0x0000_5000, pa: 0x3800_5000, size: SZ_4K, prot: VCM_READ | VCM_EXECUTE | VCM_WB_NWA | PROT_GLOBAL | PROT_PRIV, word: 0x3800_561e },
    { name: '4 KiB read/write/execute write-through', va: 0x0001_2000, pa: 0x1234_5000, size: SZ_4K, prot: VCM_READ | VCM_WRITE | VCM_EXECUTE | VCM_WT, word: 0x1234_5c3a },
    { name: '4 KiB read/write non-cacheable (TEX=001 C=0 B=0)', va: 0x0000_1000, pa: 0x4000_0000, size: SZ_4K, prot: VCM_READ | VCM_WRITE | VCM_NOTCACHED, word: 0x4000_0c73 },
    // large: XN 15, TEX [14:12], nG 11, S 10, AP[2] 9, AP[1] 5, AP[0] 4, C 3, B 2, 01
    { name: '64 KiB read-only executable WB no-WA', va: 0x0001_0000, pa: 0x4001_0000, size: SZ_64K, prot: VCM_READ | VCM_EXECUTE | VCM_WB_NWA, word: 0x4001_0e3d },
    { name: '64 KiB read/write non-cacheable global', va: 0x0002_0000, pa: 0x0005_0000, size: SZ_64K, prot: VCM_READ | VCM_WRITE | VCM_NOTCACHED | PROT_GLOBAL, word: 0x0005_9431 },
  ];
  for (const c of cases) {
    it(`${c.name} is ${c.word.toString(16)}`, () => {
      const { ram, pt } = setup();
      pt.map(c.va, c.pa, c.size, c.prot);
      const n = c.size / SZ_4K;
      for (let k = 0; k < n; k++) expect(l2(ram, pt.rootPa, c.va + k * SZ_4K) >>> 0).toBe(c.word);
      const w = pt.walk(c.va + 0x123);
      expect(w?.pa).toBe(c.pa + 0x123);
      expect(w?.descriptor).toBe(c.word);
      expect(w?.writable).toBe((c.prot & VCM_WRITE) !== 0);
      expect(w?.executable).toBe((c.prot & VCM_EXECUTE) !== 0);
      expect(w?.user).toBe((c.prot & PROT_PRIV) === 0);
      expect(w?.accessFlag).toBe(true);
      expect(w?.prot).toBe(c.prot);
    });
  }

  // section: NS 19, nG 17, S 16, AP[2] 15, TEX [14:12], AP[1] 11, AP[0] 10, domain [8:5], XN 4, C 3, B 2, 1, PXN 0
  it('1 MiB section read/write WB-WA no-exec is 0x390B1C1F at level 1 (NS, XN and PXN set)', () => {
    const { ram, pt } = setup();
    pt.map(0x0010_0000, 0x3900_0000, SZ_1M, RW_WBWA);
    expect(l1(ram, pt.rootPa, 0x0010_0000)).toBe(0x390b_1c1f);
    expect(pt.tableBytes).toBe(0x4000);
  });

  it('1 MiB section read-only executable write-through global privileged is 0x0029840A', () => {
    const { ram, pt } = setup();
    pt.map(0x0020_0000, 0x0020_0000, SZ_1M, VCM_READ | VCM_EXECUTE | VCM_WT | PROT_GLOBAL | PROT_PRIV);
    expect(l1(ram, pt.rootPa, 0x0020_0000)).toBe(0x0029_840a);
    const w = pt.walk(0x002f_fffc);
    expect(w).toMatchObject({ pa: 0x002f_fffc, size: SZ_1M, level: 1, writable: false, executable: true, user: false });
  });

  it('16 MiB supersection is one descriptor (bit 18 set) written to 16 level-1 entries', () => {
    const { ram, pt } = setup();
    pt.map(SZ_16M, 0x4000_0000, SZ_16M, RW_WBWA);
    for (let k = 0; k < 16; k++) expect(l1(ram, pt.rootPa, SZ_16M + k * SZ_1M)).toBe(0x400f_1c1f);
    expect(l1(ram, pt.rootPa, 2 * SZ_16M)).toBe(0);
    expect(l1(ram, pt.rootPa, SZ_16M - SZ_1M)).toBe(0);
  });

  it('supersection above 4 GiB keeps PA[35:32] in [23:20] and PA[39:36] in [8:5]', () => {
    const { ram, pt } = setup();
    const pa = 0x12_3400_0000;
    pt.map(SZ_16M, pa, SZ_16M, RW_WBWA);
    expect(l1(ram, pt.rootPa, SZ_16M + 5 * SZ_1M)).toBe(0x342f_1c3f);
    expect(pt.walk(SZ_16M + 0xab_cde0)?.pa).toBe(0x12_34ab_cde0);
    expect([...pt.leaves()]).toEqual([{ va: SZ_16M, size: SZ_16M, pa, prot: RW_WBWA, level: 1, descriptor: 0x342f_1c3f, descriptorHigh: 0 }]);
  });

  it('a page below the supersection size cannot reach above 4 GiB: EINVAL', () => {
    const { ram, pt } = setup();
    const before = ram.digest();
    expect(vcmErrorOf(() => pt.map(0, 0x1_0000_0000, SZ_1M, RW_WBWA)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => pt.mapRange(0, 0xffff_f000, 2 * SZ_4K, RW_WBWA)).code).toBe('EINVAL');
    expect(ram.digest()).toBe(before);
  });

  it('write-only cannot be expressed: the page stays readable and the walk says so', () => {
    const { pt } = setup();
    pt.map(0, 0x5000, SZ_4K, VCM_WRITE | VCM_WB_WA);
    const w = pt.walk(0x10);
    expect(w).toMatchObject({ readable: true, writable: true, pa: 0x5010 });
    expect(w?.prot).toBe(VCM_READ | VCM_WRITE | VCM_WB_WA);
  });
});

describe('armV7Short: mapRange picks the largest page at each step', () => {
  it('mixes 4 KiB, 64 KiB, 1 MiB and 16 MiB as alignment and length allow', () => {
    const { pt } = setup();
    // va and pa share 16 MiB alignment; start 4 KiB below a 64 KiB boundary under a 16 MiB boundary.
    const va = 2 * SZ_16M - SZ_1M - SZ_64K - SZ_4K;
    const len = SZ_4K + SZ_64K + SZ_1M + SZ_16M + SZ_1M + SZ_64K + SZ_4K;
    pt.mapRange(va, va + 0x4000_0000, len, RW_WBWA);
    expect([...pt.leaves()].map((l) => l.size)).toEqual([SZ_4K, SZ_64K, SZ_1M, SZ_16M, SZ_1M, SZ_64K, SZ_4K]);
    for (const l of pt.leaves()) expect(l.pa).toBe(l.va + 0x4000_0000);
  });

  it('a va/pa pair misaligned for 64 KiB maps everything with 4 KiB pages', () => {
    const { pt } = setup();
    pt.mapRange(0, 0x8000_1000, 2 * SZ_1M, RW_WBWA);
    const leaves = [...pt.leaves()];
    expect(leaves.length).toBe(512);
    expect(leaves.every((l) => l.size === SZ_4K)).toBe(true);
    expect(pt.walk(0x1f_f123)?.pa).toBe(0x8020_0123);
  });
});

describe('armV7Short: refusals name the clash and change nothing', () => {
  it('mapping over a section is EBUSY naming it', () => {
    const { ram, pt } = setup();
    pt.map(0x0010_0000, 0x3900_0000, SZ_1M, RW_WBWA);
    const before = ram.digest();
    const e = vcmErrorOf(() => pt.map(0x0010_0000, 0x3900_0000, SZ_1M, RW_WBWA));
    expect(e.code).toBe('EBUSY');
    expect(e.message).toContain('0x0010_0000 is already mapped by a 1 MiB section → 0x3900_0000');
    const e2 = vcmErrorOf(() => pt.map(0x0010_5000, 0, SZ_4K, RW_WBWA));
    expect(e2.message).toContain('0x0010_5000 is already mapped by a 1 MiB section at 0x0010_0000 → 0x3900_0000');
    expect(ram.digest()).toBe(before);
  });

  it('a section where a level-2 table hangs is EBUSY and the table stays', () => {
    const { ram, pt } = setup();
    pt.map(0x0040_3000, 0x0040_3000, SZ_4K, RW_WBWA);
    const before = ram.digest();
    const e = vcmErrorOf(() => pt.map(0x0040_0000, 0x0040_0000, SZ_1M, RW_WBWA));
    expect(e.code).toBe('EBUSY');
    expect(e.message).toContain('level-2 table');
    expect(ram.digest()).toBe(before);
    expect(pt.walk(0x0040_3004)?.pa).toBe(0x0040_3004);
  });

  it('a mapRange that clashes at its end writes nothing and allocates no table', () => {
    const { ram, pt } = setup();
    pt.map(0x0080_0000 + 0x7000, 0x9000, SZ_4K, RW_WBWA);
    const before = ram.digest();
    const e = vcmErrorOf(() => pt.mapRange(0x0010_0000, 0x1000, 0x0070_8000, RW_WBWA));
    expect(e.code).toBe('EBUSY');
    expect(e.message).toContain('0x0080_7000 is already mapped by a 4 KiB page → 0x0000_9000');
    expect(ram.digest()).toBe(before);
    expect(pt.tableBytes).toBe(0x4400);
  });

  it('a table allocation failing part-way returns the tables already taken', () => {
    const { ram, pt } = setup();
    const before = ram.digest();
    ram.failTableAllocationsAfter(2);
    expect(vcmErrorOf(() => pt.mapRange(0x1000, 0x2000, 4 * SZ_1M, RW_WBWA)).code).toBe('ENOMEM');
    expect(ram.digest()).toBe(before);
    expect(pt.tableBytes).toBe(0x4000);
  });

  it('unaligned addresses, unsupported sizes and bad prot are EINVAL', () => {
    const { ram, pt } = setup();
    const before = ram.digest();
    expect(vcmErrorOf(() => pt.map(0x1000, 0, SZ_64K, RW_WBWA)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => pt.map(0, 0x1000, SZ_64K, RW_WBWA)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => pt.map(0, 0, 0x2000, RW_WBWA)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => pt.map(0, 0, SZ_4K, RW_WBWA | 0xc)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => pt.map(0, 0, SZ_4K, 1 << 20)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => pt.map(-4096, 0, SZ_4K, RW_WBWA)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => pt.mapRange(0, 0, 0, RW_WBWA)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => pt.mapRange(0xffff_f000, 0, 2 * SZ_4K, RW_WBWA)).code).toBe('EINVAL');
    expect(ram.digest()).toBe(before);
  });

  it('a partial unmap of a large page or section is EINVAL naming the leaf; unmapping nothing is ENOENT', () => {
    const { ram, pt } = setup();
    pt.map(SZ_64K, SZ_64K, SZ_64K, RW_WBWA);
    pt.map(SZ_1M, 0x3900_0000, SZ_1M, RW_WBWA);
    const before = ram.digest();
    const e = vcmErrorOf(() => pt.unmap(SZ_64K + SZ_4K, SZ_4K));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain('64 KiB large page at 0x0001_0000');
    expect(vcmErrorOf(() => pt.unmapRange(SZ_1M, SZ_64K)).message).toContain('1 MiB section at 0x0010_0000 → 0x3900_0000');
    expect(vcmErrorOf(() => pt.unmap(SZ_1M, SZ_64K)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => pt.unmap(SZ_64K, SZ_1M)).code).toBe('EINVAL');
    const n = vcmErrorOf(() => pt.unmap(0x0300_0000, SZ_4K));
    expect(n.code).toBe('ENOENT');
    expect(n.message).toContain('0x0300_0000 is not mapped');
    // A range with a hole is refused as a whole.
    expect(vcmErrorOf(() => pt.unmapRange(0, 2 * SZ_1M)).code).toBe('ENOENT');
    expect(ram.digest()).toBe(before);
  });
});

describe('armV7Short: unmap and table memory', () => {
  it('unmapping the last page of a level-2 table frees it and clears the level-1 entry', () => {
    const { ram, pt } = setup();
    pt.map(0x0050_0000, 0x1000, SZ_4K, RW_WBWA);
    pt.map(0x0050_1000, 0x2000, SZ_4K, RW_WBWA);
    pt.unmap(0x0050_0000, SZ_4K);
    expect(pt.tableBytes).toBe(0x4400);
    expect(pt.walk(0x0050_0000)).toBeUndefined();
    pt.unmap(0x0050_1000, SZ_4K);
    expect(pt.tableBytes).toBe(0x4000);
    expect(ram.liveTableBytes).toBe(0x4000);
    expect(l1(ram, pt.rootPa, 0x0050_0000)).toBe(0);
  });

  it('leaves() reports a large page and a supersection once each', () => {
    const { pt } = setup();
    pt.map(0, 0, SZ_64K, RW_WBWA);
    pt.map(SZ_16M, SZ_16M, SZ_16M, RW_WBWA);
    expect([...pt.leaves()].map((l) => [l.va, l.size])).toEqual([
      [0, SZ_64K],
      [SZ_16M, SZ_16M],
    ]);
  });

  it('destroy returns every table', () => {
    const { ram, pt } = setup();
    pt.mapRange(0x1000, 0x1000, 3 * SZ_1M, RW_WBWA);
    // level-2 tables hanging from the last page of the 16 KiB level-1 table too
    pt.map(0xfff0_1000, 0x1000, SZ_4K, RW_WBWA);
    pt.map(0xc010_0000 + SZ_4K, 0x2000, SZ_4K, RW_WBWA);
    expect(ram.liveTableBytes).toBe(0x4000 + 4 * 0x400); // L1 + tables at indices 0x000, 0x003, 0xc01, 0xfff
    pt.destroy();
    expect(ram.liveTableBytes).toBe(0);
    expect(pt.tableBytes).toBe(0);
    expect(vcmErrorOf(() => pt.walk(0)).code).toBe('EINVAL');
  });
});

describe('armV7Short: TTBR0 split (TTBCR.N)', () => {
  it('destroy frees the level-2 tables of a split level-1 table that starts mid-page', () => {
    const ram = new TestRam();
    const spacer = armV7Short.create(ram, ram, { split: 4 }); // 1 KiB level-1 table
    const pt = armV7Short.create(ram, ram, { split: 4 });
    expect(pt.rootPa & 0xfff).not.toBe(0);
    pt.map(0x0010_0000 + SZ_4K, 0x5000, SZ_4K, RW_WBWA);
    pt.map(0x0ff0_0000, 0x6000, SZ_4K, RW_WBWA);
    spacer.map(0, 0x7000, SZ_4K, RW_WBWA);
    const before = ram.liveTableBytes;
    pt.destroy();
    expect(ram.liveTableBytes).toBe(before - 0x400 - 2 * 0x400);
    spacer.destroy();
    expect(ram.liveTableBytes).toBe(0);
  });

  it('with N = 2 the table is 4 KiB and covers [0, 1 GiB)', () => {
    const { ram, pt } = setup(2);
    expect(pt.inputSize).toBe(2 ** 30);
    expect(pt.tableBytes).toBe(0x1000);
    expect(pt.rootPa % 0x1000).toBe(0);
    pt.map(0x3ff0_0000, 0x3ff0_0000, SZ_1M, RW_WBWA);
    expect(ram.readU32(pt.rootPa + 0x3ff * 4)).toBe(0x3ffb_1c1f);
    expect(vcmErrorOf(() => pt.map(0x4000_0000, 0, SZ_4K, RW_WBWA)).code).toBe('EINVAL');
    expect(pt.walk(0x4000_0000)).toBeUndefined();
  });

  it('a split outside 0..7 is EINVAL', () => {
    const ram = new TestRam();
    expect(vcmErrorOf(() => armV7Short.create(ram, ram, { split: 8 })).code).toBe('EINVAL');
    expect(ram.liveTableBytes).toBe(0);
  });
});
