/**
 * `vcm.h` attributes as descriptor bits in both formats
 * (docs/attributes.md): XN/PXN, the cache policies (VCM_WT the same memory
 * type in both), and the LPAE contiguous hint with its break-before-make
 * on a partial unmap and the invalidation range the format reports.
 */
import { describe, expect, it } from 'vitest';
import type { PhysicalMemory } from '@vcm/core';
import {
  SZ_1M,
  SZ_2M,
  SZ_32M,
  SZ_4K,
  SZ_64K,
  VCM_EXECUTE,
  VCM_NOTCACHED,
  VCM_READ,
  VCM_SUPERVISOR,
  VCM_USER,
  VCM_WB_NWA,
  VCM_WB_WA,
  VCM_WRITE,
  VCM_WT,
} from '@vcm/core';
import { isWalkFault } from '../format.js';
import type { WalkResult } from '../format.js';
import { LPAE_ATTR_INDEX, LPAE_MAIR0, LPAE_MAIR1, armLpae4k, armV7Short } from './index.js';
import { TestRam } from './test-ram.js';

const RW = VCM_READ | VCM_WRITE;
const CONT = 1 << 20; // descriptor bit 52, in the high word

function walked(pt: { walk(va: number): WalkResult | undefined }, va: number): WalkResult {
  const w = pt.walk(va);
  if (w === undefined) throw new Error(`nothing mapped at ${va.toString(16)}`);
  return w;
}

describe('XN and PXN from VCM_EXECUTE, VCM_USER and VCM_SUPERVISOR', () => {
  const cases = [
    { name: 'no VCM_EXECUTE: XN and PXN', prot: RW, xn: 1, pxn: 1 },
    { name: 'VCM_EXECUTE: neither', prot: RW | VCM_EXECUTE, xn: 0, pxn: 0 },
    { name: 'VCM_EXECUTE | VCM_USER (user only): PXN', prot: RW | VCM_EXECUTE | VCM_USER, xn: 0, pxn: 1 },
    { name: 'VCM_EXECUTE | VCM_USER | VCM_SUPERVISOR: neither', prot: RW | VCM_EXECUTE | VCM_USER | VCM_SUPERVISOR, xn: 0, pxn: 0 },
  ];
  for (const c of cases) {
    it(`armLpae4k ${c.name} (bits 54, 53)`, () => {
      const ram = new TestRam();
      const pt = armLpae4k.create(ram, ram);
      pt.map(SZ_2M, SZ_2M, SZ_2M, c.prot);
      const w = walked(pt, SZ_2M + 0x10);
      expect([(w.descriptorHigh >>> 22) & 1, (w.descriptorHigh >>> 21) & 1]).toEqual([c.xn, c.pxn]);
      expect([w.executable, w.privilegedExecutable]).toEqual([c.xn === 0, c.xn === 0 && c.pxn === 0]);
    });
    it(`armV7Short ${c.name} (section XN 4, PXN 0; small page XN 0 only)`, () => {
      const ram = new TestRam();
      const pt = armV7Short.create(ram, ram);
      pt.map(SZ_1M, SZ_1M, SZ_1M, c.prot);
      const s = walked(pt, SZ_1M);
      expect([(s.descriptor >>> 4) & 1, s.descriptor & 1]).toEqual([c.xn, c.pxn]);
      expect([s.executable, s.privilegedExecutable]).toEqual([c.xn === 0, c.xn === 0 && c.pxn === 0]);
      pt.map(0x5000, 0x5000, SZ_4K, c.prot);
      const p = walked(pt, 0x5000);
      // A level-2 page has no PXN of its own; the pointer's PXN (bit 2) stays 0 because it would bind all 256 pages.
      expect([p.descriptor & 1, ram.readU32(pt.rootPa) & (1 << 2)]).toEqual([c.xn, 0]);
      expect(p.privilegedExecutable).toBe(c.xn === 0);
    });
  }
});

describe('cache policies: the same memory type in both formats', () => {
  // Short: TEX[0]/C/B (small page TEX [8:6], C 3, B 2). LPAE: AttrIndx [4:2] → the MAIR byte.
  const policies = [
    { name: 'VCM_NOTCACHED', policy: VCM_NOTCACHED, texcb: [1, 0, 0], mair: 0x44 },
    { name: 'VCM_WB_WA', policy: VCM_WB_WA, texcb: [1, 1, 1], mair: 0xff },
    { name: 'VCM_WB_NWA', policy: VCM_WB_NWA, texcb: [0, 1, 1], mair: 0xee },
    { name: 'VCM_WT (write-through, no write-allocate)', policy: VCM_WT, texcb: [0, 1, 0], mair: 0xaa },
  ];
  for (const p of policies) {
    it(`${p.name}: short TEX/C/B ${p.texcb.join('/')}, LPAE MAIR attribute ${p.mair.toString(16)}`, () => {
      const ram = new TestRam();
      const s = armV7Short.create(ram, ram);
      s.map(0x1000, 0x1000, SZ_4K, RW | p.policy);
      const d = walked(s, 0x1000).descriptor;
      expect([(d >>> 6) & 1, (d >>> 3) & 1, (d >>> 2) & 1]).toEqual(p.texcb);
      expect(walked(s, 0x1000).prot & 3).toBe(p.policy);
      const l = armLpae4k.create(ram, ram);
      l.map(0x1000, 0x1000, SZ_4K, RW | p.policy);
      const w = walked(l, 0x1000);
      const index = (w.descriptor >>> 2) & 7;
      expect(index).toBe(LPAE_ATTR_INDEX[p.policy]);
      const mair = index < 4 ? (LPAE_MAIR0 >>> (8 * index)) & 0xff : (LPAE_MAIR1 >>> (8 * (index - 4))) & 0xff;
      expect(mair).toBe(p.mair);
      expect(w.prot & 3).toBe(p.policy);
    });
  }
});

/** RAM that records every 32-bit write, to see the order of a rewrite. */
class RecordingRam extends TestRam {
  writes: Array<[number, number]> = [];
  override writeU32(pa: number, value: number): void {
    this.writes.push([pa, value >>> 0]);
    super.writeU32(pa, value);
  }
}

function hints(ram: PhysicalMemory, firstEntry: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (ram.readU32(firstEntry + i * 8 + 4) & CONT ? 1 : 0));
}

describe('armLpae4k contiguous hint (bit 52)', () => {
  it('16 aligned 4 KiB pages written together carry the hint; the walk reports the 64 KiB run', () => {
    const ram = new TestRam();
    const pt = armLpae4k.create(ram, ram);
    // 0x1_0000..0x3_4000: one whole run at 0x2_0000 (and at 0x1_0000), a tail of 4 pages.
    pt.mapRange(0x1_0000, 0x4561_0000, 0x2_4000, RW);
    const first = walked(pt, 0x1_0000).entryPa;
    expect(hints(ram, first, 36)).toEqual([...Array(32).fill(1), 0, 0, 0, 0]);
    expect(walked(pt, 0x2_5678)).toMatchObject({ pa: 0x4562_5678, va: 0x2_0000, size: SZ_64K, base: 0x4562_0000, level: 3 });
    expect(walked(pt, 0x3_1000)).toMatchObject({ va: 0x3_1000, size: SZ_4K });
    // Leaves stay one per descriptor; the hint is visible in descriptorHigh.
    expect([...pt.leaves()].length).toBe(36);
  });

  it('no hint without 64 KiB alignment of both addresses, nor for fewer than 16 pages, nor for one page', () => {
    const ram = new TestRam();
    const pt = armLpae4k.create(ram, ram);
    pt.mapRange(0x10_0000, 0x4561_1000, SZ_64K, RW); // pa off by 4 KiB
    pt.mapRange(0x20_0000, 0x4570_0000, 15 * SZ_4K, RW);
    pt.map(0x30_0000, 0x4580_0000, SZ_4K, RW);
    for (const va of [0x10_0000, 0x20_0000, 0x30_0000]) expect(walked(pt, va).size).toBe(SZ_4K);
  });

  it('16 aligned 2 MiB blocks (32 MiB) carry the hint; the walk reports the 32 MiB run', () => {
    const ram = new TestRam();
    const pt = armLpae4k.create(ram, ram);
    pt.mapRange(SZ_32M, 3 * SZ_32M, SZ_32M + SZ_2M, RW);
    const w = walked(pt, SZ_32M + 0x123_4567);
    expect(w).toMatchObject({ pa: 3 * SZ_32M + 0x123_4567, va: SZ_32M, size: SZ_32M, base: 3 * SZ_32M, level: 2 });
    expect(hints(ram, w.entryPa - 9 * 8, 17)).toEqual([...Array(16).fill(1), 0]);
  });

  it('unmapping one page of a run: break-before-make rewrite without the hint, then the page goes; the invalidation covers the run', () => {
    const ram = new RecordingRam();
    const pt = armLpae4k.create(ram, ram);
    pt.mapRange(0x4_0000, 0x8004_0000, SZ_64K, RW);
    const first = walked(pt, 0x4_0000).entryPa;
    const before = Array.from({ length: 32 }, (_, i) => ram.readU32(first + i * 4));
    ram.writes = [];
    expect(pt.unmap(0x4_3000, SZ_4K)).toEqual({ va: 0x4_0000, len: SZ_64K });
    // First every entry of the run invalid, then the same descriptors without bit 52.
    const zeroes = ram.writes.slice(0, 32);
    expect(zeroes.every(([pa, v]) => v === 0 && pa >= first && pa < first + 128)).toBe(true);
    expect(ram.writes.slice(32, 64)).toEqual(before.map((v, i) => [first + i * 4, i % 2 === 1 ? (v & ~CONT) >>> 0 : v]));
    expect(hints(ram, first, 16)).toEqual(Array(16).fill(0));
    expect(pt.walk(0x4_3000)).toBeUndefined();
    expect(walked(pt, 0x4_4000)).toMatchObject({ pa: 0x8004_4000, size: SZ_4K });
    // Unmapping whole runs needs no rewrite and invalidates exactly the range.
    pt.mapRange(0x10_0000, 0x9000_0000, 2 * SZ_64K, RW);
    ram.writes = [];
    expect(pt.unmapRange(0x10_0000, 2 * SZ_64K)).toEqual({ va: 0x10_0000, len: 2 * SZ_64K });
  });

  it('unmapRange cutting two runs at both ends rewrites both and invalidates from the first run to the end of the last', () => {
    const ram = new TestRam();
    const pt = armLpae4k.create(ram, ram);
    pt.mapRange(0, 0x7000_0000, 4 * SZ_64K, RW);
    expect(pt.unmapRange(0x1_8000, 2 * SZ_64K)).toEqual({ va: SZ_64K, len: 3 * SZ_64K });
    expect(walked(pt, 0x1_0000).size).toBe(SZ_4K);
    expect(walked(pt, 0x3_8000).size).toBe(SZ_4K);
    expect(walked(pt, 0).size).toBe(SZ_64K); // the first run is untouched
  });

  it('unmapping one 2 MiB block of a 32 MiB run keeps the other 15 blocks, unhinted', () => {
    const ram = new TestRam();
    const pt = armLpae4k.create(ram, ram);
    pt.mapRange(0, 0x4000_0000, SZ_32M, RW);
    expect(pt.unmap(5 * SZ_2M, SZ_2M)).toEqual({ va: 0, len: SZ_32M });
    expect(walked(pt, 0)).toMatchObject({ size: SZ_2M, pa: 0x4000_0000 });
    expect(pt.walk(5 * SZ_2M)).toBeUndefined();
    expect([...pt.leaves()].filter((l) => l.descriptorHigh & CONT)).toEqual([]);
  });

  it('a refused unmap (part of it unmapped) rewrites nothing', () => {
    const ram = new TestRam();
    const pt = armLpae4k.create(ram, ram);
    pt.mapRange(0, 0x7000_0000, SZ_64K, RW);
    const before = ram.digest();
    expect(() => pt.unmapRange(0x8000, SZ_64K)).toThrow(/not mapped/);
    expect(ram.digest()).toBe(before);
    expect(isWalkFault(armLpae4k.walk(ram, pt.walkConfig, 0))).toBe(false);
  });
});
