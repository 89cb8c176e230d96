import { describe, expect, it } from 'vitest';
import { VcmError } from '@vcm/core';
import { msm8x60Board, seedExampleBoard } from './presets.js';
import { parseBoard, validateBoard } from './validate-board.js';

/** A deep, mutable copy of the MSM8x60 board that a test may break. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
function board(): Loose {
  return structuredClone(msm8x60Board()) as Loose;
}

function rejection(description: unknown): VcmError {
  try {
    validateBoard(description);
  } catch (e) {
    expect(e).toBeInstanceOf(VcmError);
    return e as VcmError;
  }
  throw new Error('validateBoard accepted a bad board');
}

describe('validateBoard: accepted boards', () => {
  it('normalises hex strings and numbers to the same addresses', () => {
    const b = validateBoard(msm8x60Board());
    expect(b.memory.banks).toEqual([
      { name: 'smi', base: 0x3800_0000, size: 0x0400_0000 },
      { name: 'ebi', base: 0x4000_0000, size: 0x4000_0000 },
    ]);
    const numeric = board();
    numeric.memory.banks[0].base = 0x38000000;
    numeric.memory.banks[0].size = '0x04000000';
    expect(validateBoard(numeric).memory.banks[0]).toEqual({ name: 'smi', base: 0x3800_0000, size: 0x0400_0000 });
  });

  it('fills in defaults: context banks by position, no virtual contexts, no direct devices', () => {
    const b = validateBoard(seedExampleBoard());
    expect(b.smmus[0]!.contexts).toEqual([
      { name: 'ctx0', bank: 0 },
      { name: 'ctx1', bank: 1 },
      { name: 'ctx2', bank: 2 },
    ]);
    expect(b.smmus[0]!.allowVirtualContexts).toBe(false);
    expect(b.directDevices).toEqual([]);
  });

  it('computes block pool sizes and keeps memtype pool order', () => {
    const b = validateBoard(msm8x60Board());
    expect(b.memory.pools.find((p) => p.name === 'smi-64k')).toEqual({
      kind: 'block', name: 'smi-64k', bank: 'smi', base: 0x3980_0000, blockSize: 0x10000, count: 64, size: 0x40_0000,
    });
    expect(b.memory.memtypes[3]).toEqual({
      id: 4, name: 'VCM_MEMTYPE_3', pools: ['smi-16m', 'smi-1m', 'ebi-1m', 'smi-64k', 'ebi-64k', 'ebi-4k'], contiguous: undefined,
    });
  });

  it('allows more contexts than banks when allowVirtualContexts is true', () => {
    const b = board();
    b.smmus[0].allowVirtualContexts = true;
    b.smmus[0].contexts.push({ name: 'vcodec_a_extra', bank: 0 });
    expect(validateBoard(b).smmus[0]!.contexts).toHaveLength(3);
  });

  it('parses a board file text', () => {
    expect(parseBoard(JSON.stringify(seedExampleBoard())).smmus.map((s) => s.name)).toEqual(['smmu0', 'smmu1']);
  });
});

describe('validateBoard: every error class gives the JSON path, the value and what is allowed', () => {
  it('unknown page-table format', () => {
    const b = board();
    b.smmus[3].format = 'armV8';
    const e = rejection(b);
    expect(e.code).toBe('EINVAL');
    expect(e.message).toBe('EINVAL: board.smmus[3].format: "armV8" is not a known page-table format (allowed: "armV7Short", "armLpae4k")');
    expect(e.details).toEqual({ path: 'board.smmus[3].format', value: 'armV8', allowed: '"armV7Short", "armLpae4k"' });
  });

  it('overlapping banks', () => {
    const b = board();
    b.memory.banks[1].base = '0x3bf0_0000';
    const e = rejection(b);
    expect(e.details['path']).toBe('board.memory.banks[1]');
    expect(e.message).toBe(
      'EINVAL: board.memory.banks[1]: "ebi" [0x3bf0_0000, 0x7bf0_0000) overlaps bank "smi" [0x3800_0000, 0x3c00_0000) at board.memory.banks[0] (allowed: banks that do not overlap)',
    );
    expect(e.details).toEqual({ path: 'board.memory.banks[1]', value: 'ebi', allowed: 'banks that do not overlap' });
  });

  it('a pool outside its bank', () => {
    const b = board();
    b.memory.pools[3].bank = 'ebi'; // smi-4k at 0x39c0_0000 is in SMI, not EBI
    const e = rejection(b);
    expect(e.details['path']).toBe('board.memory.pools[3]');
    expect(e.message).toBe(
      'EINVAL: board.memory.pools[3]: "smi-4k" places pool "smi-4k" at [0x39c0_0000, 0x3a00_0000), outside bank "ebi" (allowed: a range inside [0x4000_0000, 0x8000_0000))',
    );
  });

  it('a pool that runs past the end of its bank', () => {
    const b = board();
    b.memory.pools[1].count = 100; // 100 × 1 MiB from 0x3900_0000 passes 0x3c00_0000
    expect(rejection(b).details['path']).toBe('board.memory.pools[1]');
  });

  it('a pool base not aligned to its block size', () => {
    const b = board();
    b.memory.pools[1].base = '0x3908_0000';
    const e = rejection(b);
    expect(e.message).toBe(
      'EINVAL: board.memory.pools[1].base: "0x3908_0000" is not aligned to 1 MiB (allowed: an address (pool "smi-1m" has 1 MiB blocks) that is a multiple of 0x0010_0000)',
    );
    expect(e.details).toEqual({ path: 'board.memory.pools[1].base', value: '0x3908_0000', allowed: 'an address (pool "smi-1m" has 1 MiB blocks) that is a multiple of 0x0010_0000' });
  });

  it('a block size that is not a power of two', () => {
    const b = board();
    b.memory.pools[2].blockSize = 0x3000;
    const e = rejection(b);
    expect(e.details['path']).toBe('board.memory.pools[2].blockSize');
    expect(e.message).toContain('is not a block size (allowed: a power of two from 0x1000');
  });

  it('a power-of-two block size the allocator has no blocks of (a board that validates must build)', () => {
    for (const size of ['0x0020_0000', 0x2000, '0x4000_0000']) {
      const b = board();
      b.memory.pools[1].blockSize = size; // smi-1m at 0x3900_0000, aligned to each of them
      b.memory.pools[1].count = 1;
      const e = rejection(b);
      expect(e.details['path']).toBe('board.memory.pools[1].blockSize');
      expect(e.message).toContain('0x1000 (4 KiB), 0x1_0000 (64 KiB), 0x10_0000 (1 MiB) or 0x100_0000 (16 MiB)');
    }
  });

  it('overlapping pools', () => {
    const b = board();
    b.memory.pools[2].base = '0x3970_0000'; // smi-64k moved into smi-1m
    const e = rejection(b);
    expect(e.details['path']).toBe('board.memory.pools[2]');
    expect(e.message).toContain('overlaps pool "smi-1m" [0x3900_0000, 0x3980_0000) at board.memory.pools[1]');
    expect(e.message).toContain('(allowed: pools that do not overlap)');
  });

  it('the page-table region on top of a pool', () => {
    const b = board();
    b.memory.tableRegion.base = '0x6200_0000';
    const e = rejection(b);
    expect(e.details['path']).toBe('board.memory.tableRegion');
    expect(e.message).toContain('overlaps pool "ebi-cont"');
  });

  it('kernel RAM on top of a pool', () => {
    const b = board();
    b.memory.kernelRam[0].size = '0x2080_0000';
    const e = rejection(b);
    expect(e.details['path']).toBe('board.memory.kernelRam[0]');
    expect(e.message).toContain('overlaps pool "ebi-16m"');
  });

  it('kernel RAM the linear map cannot hold: not 1 MiB aligned, past 4 GiB, or too large to leave a vmalloc area', () => {
    // The VMM writes the linear map as 1 MiB sections below 4 GiB and needs
    // 16 MiB of vmalloc above it (vmm-overlay layout): a board that passes
    // here must build, so these are board errors with their JSON path.
    const base = board();
    base.memory.kernelRam[0].base = '0x4000_1000';
    base.memory.kernelRam[0].size = '0x1000_0000';
    const e1 = rejection(base);
    expect(e1.details['path']).toBe('board.memory.kernelRam[0].base');
    expect(e1.message).toContain('is not aligned to 1 MiB');
    const size = board();
    size.memory.kernelRam[0].size = '0x1008_0000';
    expect(rejection(size).details['path']).toBe('board.memory.kernelRam[0].size');
    const high = board();
    high.memory.banks.push({ name: 'hi', base: '0x1_0000_0000', size: '0x1000_0000' });
    high.memory.kernelRam[0].base = '0x1_0000_0000';
    high.memory.kernelRam[0].size = '0x0100_0000';
    const e3 = rejection(high);
    expect(e3.details['path']).toBe('board.memory.kernelRam[0]');
    expect(e3.message).toContain('4 GiB');
    const big = board();
    big.memory.kernelRam[0].size = '0x3f00_0000';
    big.memory.pools = big.memory.pools.filter((p: { bank: string }) => p.bank !== 'ebi');
    big.memory.memtypes = big.memory.memtypes.slice(0, 1);
    big.memory.tableRegion.base = '0x7f00_0000';
    const e4 = rejection(big);
    expect(e4.details['path']).toBe('board.memory.kernelRam');
    expect(e4.message).toContain('vmalloc');
  });

  it('a page-table region past 4 GiB (short-descriptor tables and TTBRs hold 32-bit addresses)', () => {
    const b = board();
    b.memory.banks.push({ name: 'hi', base: '0x1_0000_0000', size: '0x0100_0000' });
    b.memory.tableRegion = { base: '0x1_0000_0000', size: '0x0080_0000' };
    const e = rejection(b);
    expect(e.details['path']).toBe('board.memory.tableRegion');
    expect(e.message).toContain('4 GiB');
  });

  it('SMMU register spaces that overlap (context banks sit 4 KiB apart from the base)', () => {
    const b = board();
    // vcodec_a has 2 banks at 0x0400_0000 and 0x0400_1000.
    b.smmus[1].base = '0x0400_1000';
    const e = rejection(b);
    expect(e.details['path']).toBe('board.smmus[1].base');
    expect(e.message).toContain('overlaps the register space of board.smmus[0] "vcodec_a"');
  });

  it('an unknown pool name in a memtype', () => {
    const b = board();
    b.memory.memtypes[2].pools[1] = 'ebi-2m';
    const e = rejection(b);
    expect(e.message).toBe(
      'EINVAL: board.memory.memtypes[2].pools[1]: "ebi-2m" is not a pool of this board (allowed: "smi-16m", "smi-1m", "smi-64k", "smi-4k", "ebi-16m", "ebi-1m", "ebi-64k", "ebi-4k")',
    );
    expect(e.details['value']).toBe('ebi-2m');
  });

  it('a contiguous pool in a memtype pool list, and an unknown contiguous pool', () => {
    const b = board();
    b.memory.memtypes[0].pools.push('smi-cont');
    expect(rejection(b).message).toContain('board.memory.memtypes[0].pools[4]: "smi-cont" is a contiguous pool');
    const c = board();
    c.memory.memtypes[0].contiguous = 'smi-4k';
    expect(rejection(c).message).toBe(
      'EINVAL: board.memory.memtypes[0].contiguous: "smi-4k" is not a contiguous pool of this board (allowed: "smi-cont", "ebi-cont")',
    );
  });

  it('memtype pools out of max-munch order (largest blocks first), which the allocator refuses', () => {
    const b = board();
    b.memory.memtypes[0].pools = ['smi-16m', 'smi-64k', 'smi-1m', 'smi-4k'];
    const e = rejection(b);
    expect(e.message).toBe(
      'EINVAL: board.memory.memtypes[0].pools[2]: "smi-1m" has 1 MiB blocks, larger than the 64 KiB blocks of "smi-64k" before it (allowed: pools in max-munch order, largest blocks first)',
    );
    const same = board();
    same.memory.memtypes[3].pools = ['smi-16m', 'ebi-1m', 'smi-1m', 'ebi-64k', 'smi-64k', 'ebi-4k'];
    expect(() => validateBoard(same)).not.toThrow(); // equal block sizes may come in any order
  });

  it('duplicate memtype ids', () => {
    const b = board();
    b.memory.memtypes[1].id = 1;
    expect(rejection(b).details['path']).toBe('board.memory.memtypes[1].id');
  });

  it('two contexts with one name, across SMMUs', () => {
    const b = board();
    b.smmus[5].contexts[1].name = 'vcodec_a_mm1';
    const e = rejection(b);
    expect(e.message).toBe(
      'EINVAL: board.smmus[5].contexts[1].name: "vcodec_a_mm1" also names board.smmus[0].contexts[0] (allowed: a device name used once on the whole board (contexts are looked up by name))',
    );
  });

  it('a direct device named like a context', () => {
    const b = board();
    b.directDevices[0].name = 'rot_src';
    expect(rejection(b).details['path']).toBe('board.directDevices[0].name');
  });

  it('more contexts than banks without allowVirtualContexts', () => {
    const b = board();
    b.smmus[0].contexts.push({ name: 'vcodec_a_mm3' });
    const e = rejection(b);
    expect(e.message).toBe(
      'EINVAL: board.smmus[0].contexts: an array lists 3 contexts for 2 context banks (allowed: at most 2 contexts, or "allowVirtualContexts": true)',
    );
    expect(e.details).toEqual({ path: 'board.smmus[0].contexts', value: 'array', allowed: 'at most 2 contexts, or "allowVirtualContexts": true' });
  });

  it('two contexts on one bank without allowVirtualContexts, and a bank past the SMMU', () => {
    const b = board();
    b.smmus[0].contexts[1].bank = 0;
    expect(rejection(b).message).toContain('board.smmus[0].contexts[1].bank: 0 is also the bank of context "vcodec_a_mm1"');
    const c = board();
    c.smmus[0].contexts[1].bank = 2;
    expect(rejection(c).message).toBe('EINVAL: board.smmus[0].contexts[1].bank: 2 is not a context bank of this SMMU (allowed: an index from 0 to 1)');
  });

  it('bad number types', () => {
    const b = board();
    b.smmus[2].irq = '98';
    const e = rejection(b);
    expect(e.message).toBe('EINVAL: board.smmus[2].irq: "98" is not an integer (allowed: an integer from 0 to 0xffff_ffff)');
    const c = board();
    c.memory.banks[0].size = 'lots';
    expect(rejection(c).message).toBe(
      'EINVAL: board.memory.banks[0].size: "lots" is not an address (allowed: a non-negative integer below 2^40, or a hex string like "0x3800_0000")',
    );
    const d = board();
    d.smmus[0].tlb.entries = 1.5;
    expect(rejection(d).details['path']).toBe('board.smmus[0].tlb.entries');
    const f = board();
    f.memory.banks[0].base = -4096;
    expect(rejection(f).details['path']).toBe('board.memory.banks[0].base');
    const g = board();
    g.smmus[0].base = '0x0400_0800';
    expect(rejection(g).message).toContain('board.smmus[0].base: "0x0400_0800" is not aligned to 4 KiB');
  });

  it('missing required fields', () => {
    const b = board();
    delete b.smmus[4].irq;
    const e = rejection(b);
    expect(e.message).toBe(
      'EINVAL: board.smmus[4].irq: missing (required: an SMMU needs "name", "base", "irq", "contextBanks", "format", "hwVersion", "contexts")',
    );
    expect(e.details['path']).toBe('board.smmus[4].irq');
    const c = board();
    delete c.memory;
    expect(rejection(c).details['path']).toBe('board.memory');
  });

  it('unknown keys, with the allowed keys', () => {
    const b = board();
    b.smmus[1].colour = 'blue';
    const e = rejection(b);
    expect(e.message).toBe(
      'EINVAL: board.smmus[1].colour: "colour" is not a key of an SMMU (allowed: "name", "base", "irq", "contextBanks", "format", "tlb", "model", "caches", "hwVersion", "contexts", "allowVirtualContexts")',
    );
    expect(e.details['value']).toBe('colour');
  });

  it('names used twice: banks, pools, SMMUs, memtype names; SMMU register bases used twice', () => {
    const bank = board();
    bank.memory.banks[1].name = 'smi';
    expect(rejection(bank).message).toBe('EINVAL: board.memory.banks[1].name: "smi" names a second bank (allowed: a bank name used once)');
    const pool = board();
    pool.memory.pools[2].name = 'smi-1m';
    expect(rejection(pool).details['path']).toBe('board.memory.pools[2].name');
    const smmu = board();
    smmu.smmus[4].name = 'vcodec_a';
    expect(rejection(smmu).message).toBe('EINVAL: board.smmus[4].name: "vcodec_a" also names board.smmus[0] (allowed: an SMMU name used once)');
    const base = board();
    base.smmus[1].base = base.smmus[0].base;
    expect(rejection(base).message).toContain('board.smmus[1].base: "0x0400_0000" is also the register base of board.smmus[0] "vcodec_a"');
    const mt = board();
    mt.memory.memtypes[1].name = 'VCM_MEMTYPE_0';
    expect(rejection(mt).details['path']).toBe('board.memory.memtypes[1].name');
  });

  it('regions: the table region outside every bank, no kernel RAM, an unknown bank', () => {
    const t = board();
    t.memory.tableRegion.base = '0x9000_0000';
    expect(rejection(t).message).toContain('board.memory.tableRegion: "tableRegion" places the page-table region at [0x9000_0000, 0x9080_0000), outside every bank');
    const k = board();
    k.memory.kernelRam = [];
    expect(rejection(k).message).toBe('EINVAL: board.memory.kernelRam: an array has 0 entries (allowed: at least 1 regions ({ base, size }))');
    const b = board();
    b.memory.pools[0].bank = 'ddr';
    expect(rejection(b).message).toBe('EINVAL: board.memory.pools[0].bank: "ddr" is not a bank of this board (allowed: "smi", "ebi")');
  });

  it('a non-boolean allowVirtualContexts and a bad context name', () => {
    const v = board();
    v.smmus[0].allowVirtualContexts = 'yes';
    expect(rejection(v).message).toBe('EINVAL: board.smmus[0].allowVirtualContexts: "yes" is not a boolean (allowed: true or false)');
    const n = board();
    n.smmus[0].contexts[0].name = 'vcodec a';
    expect(rejection(n).message).toBe(
      'EINVAL: board.smmus[0].contexts[0].name: "vcodec a" is not a valid name (allowed: a non-empty string of letters, digits, "_", "." and "-")',
    );
  });

  it('an unknown TLB policy', () => {
    const b = board();
    b.smmus[0].tlb.policy = 'mru';
    expect(rejection(b).message).toBe('EINVAL: board.smmus[0].tlb.policy: "mru" is not a known TLB replacement policy (allowed: "lru", "fifo", "random")');
  });

  it('a non-object board and bad JSON text', () => {
    expect(rejection(null).details['path']).toBe('board');
    expect(rejection([]).message).toContain('board: an array is not a board description');
    expect(() => parseBoard('{ nope')).toThrow(/board: the text is not JSON/);
  });

  it('more than one CPU', () => {
    const b = board();
    b.cpus.push({ name: 'cpu1' });
    expect(rejection(b).details['path']).toBe('board.cpus');
  });

  it('does not change its input', () => {
    const b = board();
    const before = JSON.stringify(b);
    validateBoard(b);
    b.smmus[0].format = 'nope';
    const copy = JSON.stringify(b);
    rejection(b);
    expect(JSON.stringify(b)).toBe(copy);
    expect(before).not.toBe(copy);
  });
});
