import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SZ_16M, SZ_1M, SZ_2M, VCM_MEMTYPE_0, VCM_MEMTYPE_1, VCM_READ, VCM_WRITE } from '@vcm/core';
import { buildPlatform } from './platform.js';
import { msm8x60Board } from './presets.js';
import { parseBoard, validateBoard } from './validate-board.js';

const dir = new URL('../../../examples/boards/', import.meta.url);
const read = (file: string): string => readFileSync(new URL(file, dir), 'utf8');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

function pattern(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (i * 13 + seed) & 0xff;
  return out;
}

describe('examples/boards', () => {
  it('holds the MSM8x60 board, an i.MX8-like board and the README board', () => {
    expect(files).toEqual(expect.arrayContaining(['msm8x60.json', 'imx8qm-like.json', 'small.json']));
  });

  it('msm8x60.json is the preset msm8x60Board() as a file', () => {
    expect(parseBoard(read('msm8x60.json'))).toEqual(validateBoard(msm8x60Board()));
  });

  it.each(files)('%s points editors at board.schema.json and builds; each context maps, and a process and its device share bytes', (file) => {
    const text = read(file);
    const json: unknown = JSON.parse(text);
    const schemaRef = (json as { $schema: string }).$schema;
    expect(new URL(schemaRef, new URL(file, dir)).pathname).toMatch(/\/packages\/devtree\/board\.schema\.json$/);
    const p = buildPlatform(json);
    const proc = p.vmm.createProcess('app');
    const before = p.snapshot();
    for (const smmu of p.board.smmus) {
      const ctx = smmu.contexts[0]!.name;
      const h = p.dev.open(`/dev/${ctx}`, proc);
      const va = h.mmap(SZ_1M + 0x3000);
      const bytes = pattern(0x2000, smmu.irq);
      p.vmm.switchTo(proc);
      p.cpu.write(va + SZ_1M, bytes, { mode: 'user' });
      const dma = h.device.dma;
      expect(dma.read(h.devAddrOf(va + SZ_1M), bytes.length)).toEqual(bytes);
      dma.write(h.devAddrOf(va + 0x10), new Uint8Array([9, 8, 7]));
      expect(p.cpu.read(va + 0x10, 3, { mode: 'user' })).toEqual(new Uint8Array([9, 8, 7]));
      h.close();
    }
    p.vmm.switchTo(undefined);
    expect(p.snapshot()).toEqual(before);
  });
});

describe('imx8qm-like.json', () => {
  const json: unknown = JSON.parse(read('imx8qm-like.json'));
  const board = validateBoard(json);

  it('has one LPAE SMMU with 32 context banks at 0x5140_0000 and DDR on both sides of 4 GiB', () => {
    expect(board.smmus.map((s) => [s.name, s.base, s.contextBanks, s.format])).toEqual([['smmu', 0x5140_0000, 32, 'armLpae4k']]);
    expect(board.memory.banks).toEqual([
      { name: 'ddr-low', base: 0x8000_0000, size: 0x8000_0000 },
      { name: 'ddr-high', base: 0x8_8000_0000, size: 0x1_0000_0000 },
    ]);
    expect(board.memory.memtypes.map((m) => m.pools)).toEqual([
      ['low-16m', 'low-1m', 'low-64k', 'low-4k'],
      ['high-16m', 'high-4k'],
    ]);
  });

  it('a device reaches memory above 4 GiB (VCM_MEMTYPE_1) through its LPAE context', () => {
    const p = buildPlatform(json);
    const before = p.snapshot();
    const dev = p.tree.getCtxInstance('vpu_dec');
    const vcm = p.vcmm.create(0x4000_0000, 0x1000_0000);
    const avcm = vcm.assoc(dev);
    avcm.activate();
    const pm = p.vcmm.physAlloc(VCM_MEMTYPE_1, SZ_16M + 0x1000);
    const res = vcm.reserve(SZ_16M + 0x1000, VCM_READ | VCM_WRITE);
    res.back(pm);
    const chunks = pm.chunks();
    expect(chunks.map((c) => c.len)).toEqual([SZ_16M, 0x1000]);
    for (const c of chunks) expect(c.pa).toBeGreaterThanOrEqual(0x8_8000_0000);
    const bytes = pattern(0x3000, 5);
    const at = res.devAddr + SZ_2M - 0x1000; // across the boundary of two 2 MiB LPAE blocks
    dev.dma.write(at, bytes);
    expect(dev.dma.read(at, bytes.length)).toEqual(bytes);
    expect(p.vcmm.devAddrToPhysAddr(dev, res.devAddr + SZ_2M)).toBe(chunks[0]!.pa + SZ_2M);
    expect(p.memory.read(chunks[0]!.pa + SZ_2M, 0x2000)).toEqual(bytes.subarray(0x1000));
    expect(p.vcmm.devAddrToPhysAddr(dev, res.devAddr + SZ_16M)).toBe(chunks[1]!.pa);
    res.unback();
    res.unreserve();
    pm.free();
    avcm.deactivate();
    avcm.deassoc();
    vcm.free();
    p.tree.freeCtxInstance(dev);
    expect(p.snapshot()).toEqual(before);
  });

  it('VCM_MEMTYPE_0 serves 16 MiB, 1 MiB, 64 KiB and 4 KiB blocks below 4 GiB and has a contiguous pool', () => {
    const p = buildPlatform(json);
    expect(p.vcmm.contMemtypePa(VCM_MEMTYPE_0)).toBe(0xd000_0000);
    const pm = p.vcmm.physAlloc(VCM_MEMTYPE_0, SZ_16M + SZ_1M + 0x1_0000 + 0x2000);
    expect(pm.chunks().map((c) => c.len)).toEqual([SZ_16M, SZ_1M, 0x1_0000, 0x1000, 0x1000]);
    for (const c of pm.chunks()) expect(c.pa + c.len).toBeLessThanOrEqual(2 ** 32);
    pm.free();
  });
});
