import { describe, expect, it } from 'vitest';
import { SZ_1G, SZ_2M, SZ_4K, VCM_EXECUTE, VCM_NOTCACHED, VCM_READ, VCM_WB_NWA, VCM_WB_WA, VCM_WRITE, VCM_WT } from '@vcm/core';
import { PROT_GLOBAL, PROT_PRIV } from '../format.js';
import { LPAE_MAIR, armLpae4k } from './lpae.js';
import { TestRam } from './test-ram.js';
import { vcmErrorOf } from '@vcm/test-kit';

const RW_WBWA = VCM_READ | VCM_WRITE | VCM_WB_WA;

function setup(split?: number): { ram: TestRam; pt: ReturnType<typeof armLpae4k.create> } {
  const ram = new TestRam();
  const pt = armLpae4k.create(ram, ram, split === undefined ? {} : { split });
  return { ram, pt };
}

/** A 64-bit descriptor as [low word, high word], read from RAM. */
function desc(ram: TestRam, at: number): [number, number] {
  return [ram.readU32(at), ram.readU32(at + 4)];
}

/** Follow table descriptors from the root to the entry for `va` at `level`. */
function entryAddress(ram: TestRam, root: number, va: number, level: 1 | 2 | 3): number {
  let at = root + Math.floor(va / SZ_1G) * 8;
  if (level === 1) return at;
  let [lo, hi] = desc(ram, at);
  expect(lo & 3).toBe(3);
  at = ((lo & 0xfffff000) >>> 0) + (hi & 0xff) * 2 ** 32 + ((va >>> 21) & 511) * 8;
  if (level === 2) return at;
  [lo, hi] = desc(ram, at);
  expect(lo & 3).toBe(3);
  return ((lo & 0xfffff000) >>> 0) + (hi & 0xff) * 2 ** 32 + ((va >>> 12) & 511) * 8;
}

describe('armLpae4k descriptors in RAM as 32-bit halves', () => {
  it('MAIR: index 0 non-cacheable 0x44, 1 WB-WA 0xFF, 2 device 0x04, 3 WB no-WA 0xEE, 4 WT no-WA 0xAA', () => {
    expect(LPAE_MAIR).toEqual({ mair0: 0xee04ff44, mair1: 0x000000aa });
  });

  const cases: Array<{ name: string; va: number; pa: number; size: number; level: 1 | 2 | 3; prot: number; lo: number; hi: number }> = [
    // AttrIndx [4:2], NS 5, AP [7:6] (6 unprivileged, 7 read-only), SH [9:8], AF 10, nG 11, OA [39:12], PXN 53, XN 54
    { name: '4 KiB page RW WB-WA no-exec', va: 0, pa: 0x4000_0000, size: SZ_4K, level: 3, prot: RW_WBWA, lo: 0x4000_0f67, hi: 0x0060_0000 },
    {
      name: '4 KiB page above 4 GiB RO exec non-cacheable global privileged',
      va: 0x0012_3000,
      pa: 0xab_cdef_1000,
      size: SZ_4K,
      level: 3,
      prot: VCM_READ | VCM_EXECUTE | VCM_NOTCACHED | PROT_GLOBAL | PROT_PRIV,
      lo: 0xcdef_16a3,
      hi: 0x0000_00ab,
    },
    { name: '2 MiB block RW WB-no-WA exec', va: 0x0040_0000, pa: 0x8060_0000, size: SZ_2M, level: 2, prot: VCM_READ | VCM_WRITE | VCM_EXECUTE | VCM_WB_NWA, lo: 0x8060_0f6d, hi: 0 },
    { name: '1 GiB block RW WT no-exec above 4 GiB', va: 0x4000_0000, pa: 0x1_8000_0000, size: SZ_1G, level: 1, prot: VCM_READ | VCM_WRITE | VCM_WT, lo: 0x8000_0f71, hi: 0x0060_0001 },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.hi.toString(16)}_${c.lo.toString(16)}`, () => {
      const { ram, pt } = setup();
      pt.map(c.va, c.pa, c.size, c.prot);
      expect(desc(ram, entryAddress(ram, pt.rootPa, c.va, c.level))).toEqual([c.lo, c.hi]);
      const off = c.size - 8;
      const w = pt.walk(c.va + off);
      expect(w).toMatchObject({ pa: c.pa + off, va: c.va, size: c.size, base: c.pa, level: c.level, descriptor: c.lo, descriptorHigh: c.hi, accessFlag: true });
      expect(w?.prot).toBe(c.prot);
      expect(w?.writable).toBe((c.prot & VCM_WRITE) !== 0);
      expect(w?.executable).toBe((c.prot & VCM_EXECUTE) !== 0);
      expect(w?.user).toBe((c.prot & PROT_PRIV) === 0);
    });
  }

  it('table descriptors: `11` with the next table in [39:12]; level 1 has 4 entries', () => {
    const { ram, pt } = setup();
    pt.map(0xc000_0000 + 0x5000, 0x5000, SZ_4K, RW_WBWA);
    const [lo1, hi1] = desc(ram, pt.rootPa + 3 * 8);
    expect(lo1 & 0xfff).toBe(3);
    expect(hi1).toBe(0);
    const [lo2] = desc(ram, ((lo1 & 0xfffff000) >>> 0) + 0 * 8);
    expect(lo2 & 0xfff).toBe(3);
    expect(pt.tableBytes).toBe(0x400 + 2 * 0x1000);
    expect(desc(ram, pt.rootPa)).toEqual([0, 0]);
  });

  it('a 2 MiB block keeps VA[20:0] in the walk', () => {
    const { pt } = setup();
    pt.map(0x0040_0000, 0x8060_0000, SZ_2M, RW_WBWA);
    expect(pt.walk(0x0040_0000 + 0x1a_bcde)?.pa).toBe(0x8060_0000 + 0x1a_bcde);
  });

  it('a page crossing the 4 GiB physical boundary carries into PA[32] of the high word', () => {
    const { ram, pt } = setup();
    pt.mapRange(0x0010_0000 - SZ_4K, 0xffff_f000, 2 * SZ_4K, RW_WBWA);
    expect(desc(ram, entryAddress(ram, pt.rootPa, 0x000f_f000, 3))).toEqual([0xffff_ff67, 0x0060_0000]);
    expect(desc(ram, entryAddress(ram, pt.rootPa, 0x0010_0000, 3))).toEqual([0x0000_0f67, 0x0060_0001]);
    expect(pt.walk(0x0010_0010)?.pa).toBe(2 ** 32 + 0x10);
  });

  it('a bulk map whose pages cross 4 GiB mid-table: every descriptor has its own output address, hinted runs on both sides', () => {
    const { ram, pt } = setup();
    // 48 pages, va and pa 64 KiB aligned to each other: three hinted 16-page
    // runs, the line at 4 GiB between the first and the second.
    const va = 0x0020_0000;
    const pa = 2 ** 32 - 16 * SZ_4K;
    pt.mapRange(va, pa, 48 * SZ_4K, RW_WBWA);
    for (let k = 0; k < 48; k++) {
      const out = pa + k * SZ_4K;
      const [lo, hi] = desc(ram, entryAddress(ram, pt.rootPa, va + k * SZ_4K, 3));
      expect([lo >>> 0, hi >>> 0]).toEqual([((out % 2 ** 32) | 0xf67) >>> 0, (0x0070_0000 | Math.floor(out / 2 ** 32)) >>> 0]);
      expect(pt.walk(va + k * SZ_4K + 0x123)?.pa).toBe(out + 0x123);
    }
  });
});

describe('armLpae4k: mapRange and table memory', () => {
  it('mixes 4 KiB pages, 2 MiB and 1 GiB blocks', () => {
    const { pt } = setup();
    const va = SZ_1G - SZ_2M - SZ_4K;
    const len = SZ_4K + SZ_2M + SZ_1G + SZ_2M + SZ_4K;
    pt.mapRange(va, va + 2 * SZ_1G, len, RW_WBWA);
    expect([...pt.leaves()].map((l) => l.size)).toEqual([SZ_4K, SZ_2M, SZ_1G, SZ_2M, SZ_4K]);
    pt.unmapRange(va, len);
    expect([...pt.leaves()]).toEqual([]);
    expect(pt.tableBytes).toBe(0x400);
  });

  it('unmapping the last page frees the level-3 and the level-2 table', () => {
    const { ram, pt } = setup();
    pt.map(0x1000, 0x1000, SZ_4K, RW_WBWA);
    expect(ram.liveTableBytes).toBe(0x400 + 0x2000);
    pt.unmap(0x1000, SZ_4K);
    expect(ram.liveTableBytes).toBe(0x400);
    expect(desc(ram, pt.rootPa)).toEqual([0, 0]);
  });

  it('refusals: clash named, block over a table, partial unmap, nothing mapped; RAM unchanged', () => {
    const { ram, pt } = setup();
    pt.map(0x0060_0000, 0x3900_0000, SZ_2M, RW_WBWA);
    pt.map(0x0080_5000, 0x5000, SZ_4K, RW_WBWA);
    const before = ram.digest();
    const e = vcmErrorOf(() => pt.mapRange(0x0050_0000, 0x0050_0000, 0x0020_0000, RW_WBWA));
    expect(e.code).toBe('EBUSY');
    expect(e.message).toContain('0x0060_0000 is already mapped by a 2 MiB block → 0x3900_0000');
    expect(vcmErrorOf(() => pt.map(0x0080_0000, 0, SZ_2M, RW_WBWA)).message).toContain('level-3 table');
    expect(vcmErrorOf(() => pt.map(0, 0, SZ_1G, RW_WBWA)).code).toBe('EBUSY');
    expect(vcmErrorOf(() => pt.unmap(0x0060_1000, SZ_4K)).message).toContain('2 MiB block at 0x0060_0000');
    expect(vcmErrorOf(() => pt.unmap(0x0090_0000, SZ_4K)).code).toBe('ENOENT');
    expect(vcmErrorOf(() => pt.map(0x1000, 0x1000, SZ_2M, RW_WBWA)).code).toBe('EINVAL');
    ram.failTableAllocationsAfter(1);
    expect(vcmErrorOf(() => pt.mapRange(0x4000_1000, 0x1000, SZ_4K * 1024, RW_WBWA)).code).toBe('ENOMEM');
    expect(ram.digest()).toBe(before);
  });

  it('split 1 keeps two level-1 entries; split 2 starts the walk at a 4 KiB level-2 root', () => {
    const one = setup(1);
    expect(one.pt.inputSize).toBe(2 ** 31);
    one.pt.map(SZ_1G, SZ_1G, SZ_1G, RW_WBWA);
    expect(desc(one.ram, one.pt.rootPa + 8)).toEqual([0x4000_0f65, 0x0060_0000]);
    expect(vcmErrorOf(() => one.pt.map(2 * SZ_1G, 0, SZ_4K, RW_WBWA)).code).toBe('EINVAL');

    const two = setup(2);
    expect(two.pt.inputSize).toBe(SZ_1G);
    expect(two.pt.tableBytes).toBe(0x1000);
    two.pt.map(0x3fe0_0000, 0x3fe0_0000, SZ_2M, RW_WBWA);
    expect(desc(two.ram, two.pt.rootPa + 511 * 8)).toEqual([0x3fe0_0f65, 0x0060_0000]);
    expect(vcmErrorOf(() => two.pt.map(0, 0, SZ_1G, RW_WBWA)).code).toBe('EINVAL');
    two.pt.map(0x1000, 0x1000, SZ_4K, RW_WBWA);
    two.pt.unmap(0x1000, SZ_4K);
    two.pt.unmap(0x3fe0_0000, SZ_2M);
    expect(two.pt.tableBytes).toBe(0x1000);
    two.pt.destroy();
    expect(two.ram.liveTableBytes).toBe(0);
  });
});
