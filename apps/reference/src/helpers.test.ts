/** Unit tests of the app's own helpers: sizes, checksums, the chart and the page-table corruption aid. */
import { SZ_1M, SZ_2M, SZ_4K, SZ_64K, VCM_READ, VCM_WRITE } from '@vcm/core';
import { buildPlatform, msm8x60Board } from '@vcm/devtree';
import { describe, expect, it } from 'vitest';
import { renderChart } from './chart.js';
import { bytesEqual, fnv1a } from './checks.js';
import { errnoResult, formatSize, range } from './format.js';
import { corruptPte } from './inject.js';

describe('numbers', () => {
  it('writes sizes as core\'s messages do: the largest exact unit', () => {
    expect(formatSize(SZ_2M + SZ_4K)).toBe('2052 KiB');
    expect(formatSize(2 * SZ_64K)).toBe('128 KiB');
    expect(formatSize(1024 * SZ_1M)).toBe('1 GiB');
    expect(formatSize(100)).toBe('100 B');
    expect(range(0x1000_0000, 16 * SZ_1M)).toBe('0x1000_0000..0x10ff_ffff (16 MiB)');
  });
  it('names errno returns', () => {
    expect(errnoResult(-22)).toBe('-22 (-EINVAL)');
    expect(errnoResult(0)).toBe('0');
  });
});

describe('checks', () => {
  it('FNV-1a matches the published test vector', () => {
    expect(fnv1a(new TextEncoder().encode('a'))).toBe(0xe40c292c);
    expect(fnv1a(new Uint8Array(0))).toBe(0x811c9dc5);
  });
  it('bytesEqual fails on one changed byte and on a length difference', () => {
    const a = new Uint8Array(4096).fill(7);
    const b = a.slice();
    expect(bytesEqual('x', a, b).pass).toBe(true);
    b[4095] = 8;
    expect(bytesEqual('x', a, b).pass).toBe(false);
    expect(bytesEqual('x', a, a.subarray(1)).pass).toBe(false);
  });
});

describe('renderChart', () => {
  it('draws the largest value full width and keeps a value of 1 visible on a log scale', () => {
    const lines = renderChart({ title: 't', unit: 'misses', logScale: true, bars: [{ label: 'a', value: 4096 }, { label: 'b', value: 1 }, { label: 'c', value: 0 }] }, { width: 20, ascii: true });
    expect(lines[0]).toBe('t (misses, log scale)');
    expect(lines[1]).toBe(`  a 4096 ${'#'.repeat(20)}`);
    expect(lines[2]).toMatch(/^ {2}b {4}1 #+$/);
    expect(lines[3]).toBe('  c    0 ');
  });
});

describe('corruptPte', () => {
  for (const [name, format] of [
    ['vcodec_a_mm1', 'armV7Short'],
    ['mdp0_port0', 'armLpae4k'],
  ] as const) {
    it(`finds the leaf a ${format} walk uses and makes the address unmapped`, () => {
      const p = buildPlatform(msm8x60Board(), { logger: { warn: () => undefined } });
      const dev = p.tree.getCtxInstance(name);
      const vcm = p.vcmm.create(SZ_1M, 64 * SZ_1M);
      vcm.assoc(dev).activate();
      const res = vcm.reserve(SZ_2M + SZ_64K, VCM_READ | VCM_WRITE);
      const mem = p.vcmm.physAlloc(1, SZ_2M + SZ_64K, 0);
      res.back(mem);
      const va = res.devAddr + SZ_2M; // the 64 KiB block: a 4 KiB-level leaf in both formats
      expect(p.vcmm.devAddrToPhysAddr(dev, va)).toBe(mem.chunks()[2]!.pa);
      const c = corruptPte(p.memory, dev, va);
      expect(c.level).toBe(format === 'armV7Short' ? 2 : 3);
      expect(c.after).toBe(0);
      expect(() => p.vcmm.devAddrToPhysAddr(dev, va)).toThrow(/EFAULT/);
      // The neighbouring page of the same 64 KiB block is another descriptor copy (short) or entry (LPAE): still mapped.
      expect(p.vcmm.devAddrToPhysAddr(dev, va + SZ_4K)).toBe(mem.chunks()[2]!.pa + SZ_4K);
    });
  }
});
