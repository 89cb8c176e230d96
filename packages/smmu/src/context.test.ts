import { describe, expect, it } from 'vitest';
import { SZ_16M, SZ_1M, SZ_4K, SZ_64K, VCM_READ, VCM_WRITE } from '@vcm/core';
import { armV7Short } from './formats/index.js';
import { FSR_TF, REG_TTBR0, SCTLR_M, TTBCR_PD1, TTBR_IRGN0, TTBR_NOS, TTBR_RGN_SHIFT, TTBR_S } from './registers.js';
import { Smmu } from './smmu.js';
import { TranslationTable } from './translation-table.js';
import { testSmmu } from './test-smmu.js';
import { codeOf } from '@vcm/test-kit';

const RW = VCM_READ | VCM_WRITE;

describe('Smmu (smmu_drvdata_init)', () => {
  it('has its name, base, IRQ, banks 4 KiB apart with cleared registers, format, version and a 32-entry LRU TLB', () => {
    const { smmu } = testSmmu({ contextBanks: 3 });
    expect(smmu.name).toBe('smmu0');
    expect(smmu.irq).toBe(42);
    expect(smmu.hwVersion).toBe(0x20);
    expect(smmu.format).toBe(armV7Short);
    expect(smmu.banks.map((b) => b.address)).toEqual([0x0440_0000, 0x0440_1000, 0x0440_2000]);
    expect(Object.values(smmu.banks[1]!.registers.toJSON()).every((w) => w === 0)).toBe(true);
    expect(smmu.banks[1]!.config).toBeUndefined(); // SCTLR.M clear: the bank does not translate
    expect(smmu.tlb.stats()).toMatchObject({ capacity: 32, policy: 'lru', entries: 0 });
  });

  it('takes the TLB size and policy from options', () => {
    const { smmu } = testSmmu({ tlb: { entries: 8, policy: 'fifo' } });
    expect(smmu.tlb.stats()).toMatchObject({ capacity: 8, policy: 'fifo' });
  });

  it('rejects bad options with EINVAL naming the parameter', () => {
    const { ram } = testSmmu();
    const base = { name: 's', base: 0x1000, irq: 1, format: armV7Short, memory: ram, tableAllocator: ram };
    expect(codeOf(() => new Smmu({ ...base, base: 0x1001 }))).toBe('EINVAL');
    expect(codeOf(() => new Smmu({ ...base, name: '' }))).toBe('EINVAL');
    expect(codeOf(() => new Smmu({ ...base, contextBanks: 0 }))).toBe('EINVAL');
    expect(codeOf(() => new Smmu({ ...base, irq: -1 }))).toBe('EINVAL');
    expect(codeOf(() => new Smmu({ ...base, format: {} as typeof armV7Short }))).toBe('EINVAL');
    expect(() => new Smmu({ ...base, tlb: { entries: 0 } })).toThrow(/tlb.entries/);
  });
});

describe('virtual contexts (smmu_ctx_init, bind, activate)', () => {
  it('names contexts after the SMMU and index unless told, and refuses a taken index', () => {
    const { smmu } = testSmmu();
    const a = smmu.createContext();
    const b = smmu.createContext(5, { name: 'vcodec_a_mm1' });
    const c = smmu.createContext();
    expect([a.name, b.name, c.name]).toEqual(['smmu0-ctx0', 'vcodec_a_mm1', 'smmu0-ctx1']);
    expect(smmu.contexts).toEqual([a, b, c]);
    expect(codeOf(() => smmu.createContext(5))).toBe('EBUSY');
    expect(a.driver).toBe(smmu.driver);
  });

  it('binding to a bank the SMMU does not have is EINVAL and changes nothing', () => {
    const { smmu } = testSmmu({ contextBanks: 2 });
    const ctx = smmu.createContext(2);
    expect(codeOf(() => ctx.bind(smmu))).toBe('EINVAL');
    expect(ctx.bank).toBeUndefined();
    ctx.bind(smmu, 1);
    expect(ctx.bank).toBe(smmu.banks[1]);
  });

  it('activation programs the bank: TTBR0 = the context table, SCTLR.M, CONTEXTIDR', () => {
    const { smmu } = testSmmu();
    const ctx = smmu.createContext(0);
    expect(codeOf(() => ctx.activate())).toBe('EINVAL'); // not bound
    ctx.bind(smmu);
    ctx.activate();
    expect(ctx.isActive).toBe(true);
    const regs = smmu.banks[0]!.registers;
    // TTBR0 holds the table's base and, below it, the walk attributes (IRGN, S, RGN, NOS); the bank decodes the base.
    expect(smmu.banks[0]!.config!.ttbr0).toBe(ctx.dumpTables()[0]!.rootPa);
    expect((regs.ttbr0 & ~0x3fff) >>> 0).toBe(ctx.dumpTables()[0]!.rootPa);
    expect(regs.ttbr0 & 0x7f).toBe(TTBR_IRGN0 | TTBR_S | (1 << TTBR_RGN_SHIFT) | TTBR_NOS);
    expect(regs.ttbcr & TTBCR_PD1).toBe(TTBCR_PD1); // no TTBR1 table: its walks are disabled
    expect(regs.sctlr & SCTLR_M).toBe(SCTLR_M);
    expect(regs.contextidr).toBe(ctx.contextId);
    expect(smmu.banks[0]!.owner).toBe(ctx);
    expect(ctx.registers).toBe(regs);
  });

  it('more virtual contexts than banks take turns; a held bank is EBUSY', () => {
    const { smmu } = testSmmu({ contextBanks: 1 });
    const ctxs = [0, 1, 2].map((i) => smmu.createContext(i, { bank: 0 }));
    for (const c of ctxs) c.bind(smmu);
    ctxs[0]!.map(0x4000_0000, 0x1000, SZ_4K, RW);
    ctxs[1]!.map(0x5000_0000, 0x1000, SZ_4K, RW);
    ctxs[0]!.activate();
    expect(codeOf(() => ctxs[1]!.activate())).toBe('EBUSY');
    expect(ctxs[1]!.isActive).toBe(false);
    expect(ctxs[0]!.translate(0x1234)).toBe(0x4000_0234);
    ctxs[0]!.deactivate();
    expect(smmu.banks[0]!.registers.sctlr).toBe(0);
    ctxs[1]!.activate(); // the context switch
    expect(ctxs[1]!.translate(0x1234)).toBe(0x5000_0234);
    expect(smmu.banks[0]!.registers.contextidr).toBe(ctxs[1]!.contextId);
    expect(ctxs[0]!.contextId).not.toBe(ctxs[1]!.contextId);
    // The TLB holds only the active context's entries.
    expect(smmu.tlb.entries().every((e) => e.contextId === ctxs[1]!.contextId)).toBe(true);
  });

  it('deactivating an inactive context is ENOENT; deinit is EBUSY while active and frees the table after', () => {
    const { smmu, ram } = testSmmu();
    const ctx = smmu.createContext(0);
    ctx.bind(smmu);
    expect(codeOf(() => ctx.deactivate())).toBe('ENOENT');
    ctx.activate();
    ctx.map(0x4000_0000, 0, SZ_4K, RW);
    expect(codeOf(() => ctx.deinit())).toBe('EBUSY');
    ctx.deactivate();
    const tables = ram.liveTables;
    expect(tables).toBe(2); // level 1 + one level 2
    ctx.deinit();
    expect(ram.liveTables).toBe(0);
    expect(smmu.contexts).toEqual([]);
    expect(codeOf(() => ctx.activate())).toBe('EINVAL');
    expect(codeOf(() => ctx.map(0x4000_0000, 0, SZ_4K, RW))).toBe('EINVAL');
    // The index is free again.
    expect(smmu.createContext(0).name).toBe('smmu0-ctx0');
  });
});

describe('smmu_map / smmu_unmap / smmu_translate', () => {
  it('runs the seed sequence: init, ctx init, bind, activate, bracket, map, translate, unmap', () => {
    const { smmu } = testSmmu();
    const ctx = smmu.createContext(0);
    ctx.bind(smmu);
    ctx.activate();
    ctx.updateStart();
    ctx.map(0x4000_0000, 0x0010_0000, SZ_1M, RW);
    ctx.map(0x4110_0000, 0x0100_0000, SZ_64K, RW);
    ctx.map(0x4200_0000, 0x0200_0000, SZ_16M, RW);
    ctx.map(0x4300_1000, 0x0000_1000, SZ_4K, RW);
    ctx.updateDone();
    expect(ctx.translate(0x0018_0004)).toBe(0x4008_0004);
    expect(ctx.translate(0x0100_fffc)).toBe(0x4110_fffc);
    expect(ctx.translate(0x02ab_cdef)).toBe(0x42ab_cdef);
    expect(ctx.translate(0x0000_1abc)).toBe(0x4300_1abc);
    ctx.unmap(0x0010_0000, SZ_1M);
    expect(codeOf(() => ctx.translate(0x0018_0004))).toBe('EFAULT');
    for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) expect(codeOf(() => ctx.translate(bad))).toBe('EINVAL');
    // translate reports, it does not interrupt: no FSR.
    expect(ctx.registers.fsr & FSR_TF).toBe(0);
  });

  it('refuses sizes the format lacks, unaligned addresses and overlaps, changing nothing', () => {
    const { smmu, ram } = testSmmu();
    const ctx = smmu.createContext(0);
    ctx.bind(smmu);
    ctx.activate();
    ctx.map(0x4000_0000, 0x0010_0000, SZ_1M, RW);
    const before = ram.digest();
    const tlbBefore = JSON.stringify(smmu.tlb.stats());
    expect(codeOf(() => ctx.map(0x4000_0000, 0, 0x2000, RW))).toBe('EINVAL');
    expect(codeOf(() => ctx.map(0x4000_1000, 0x0100_0000, SZ_64K, RW))).toBe('EINVAL');
    expect(codeOf(() => ctx.map(0x4000_0000, 0x0100_8000, SZ_64K, RW))).toBe('EINVAL');
    expect(codeOf(() => ctx.map(0x4000_0000, 0x0010_0000, SZ_4K, RW))).toBe('EBUSY');
    expect(codeOf(() => ctx.map(0x4000_0000, 0, SZ_4K, 1 << 20))).toBe('EINVAL');
    expect(codeOf(() => ctx.unmap(0x0010_0000, SZ_4K))).toBe('EINVAL');
    expect(codeOf(() => ctx.unmap(0x0030_0000, SZ_1M))).not.toBeUndefined();
    expect(ram.digest()).toBe(before);
    expect(JSON.stringify(smmu.tlb.stats())).toBe(tlbBefore);
  });

  it('a refused map, unmap or updateDone on a context with no table yet leaves no table memory behind (docs/rules.md#atomicity)', () => {
    const { smmu, ram } = testSmmu();
    const ctx = smmu.createContext(0);
    ctx.bind(smmu);
    const before = ram.digest();
    // pa above 4 GiB: only a supersection reaches it, so the format refuses a 4 KiB page.
    expect(codeOf(() => ctx.map(2 ** 32, 0, SZ_4K, RW))).toBe('EINVAL');
    expect(codeOf(() => ctx.unmap(0, SZ_4K))).toBe('ENOENT');
    expect(codeOf(() => ctx.updateDone())).toBe('EINVAL');
    expect(ram.liveTables).toBe(0);
    expect(ctx.toJSON().ownTable).toBeNull();
    expect(ram.digest()).toBe(before);
    // The context still works afterwards.
    ctx.activate();
    ctx.map(0x4000_0000, 0, SZ_4K, RW);
    expect(ctx.translate(0x123)).toBe(0x4000_0123);
  });

  it('a map refused because TTBR0 holds a VCM table makes no own table', () => {
    const { smmu, ram } = testSmmu();
    const ctx = smmu.createContext(0);
    const vcmTable = new TranslationTable(armV7Short, ram, ram);
    ctx.attachBase('test', 0, vcmTable, 0);
    const tables = ram.liveTables;
    expect(codeOf(() => ctx.map(0x4000_0000, 0, SZ_4K, RW))).toBe('EBUSY');
    expect(codeOf(() => ctx.unmap(0, SZ_4K))).toBe('EBUSY');
    expect(ram.liveTables).toBe(tables);
    expect(ctx.toJSON().ownTable).toBeNull();
  });

  it('a bracket defers invalidation to updateDone: the stale entry lives until then, never after', () => {
    const { smmu } = testSmmu();
    const ctx = smmu.createContext(0);
    ctx.bind(smmu);
    ctx.activate();
    ctx.map(0x4000_0000, 0x1000, SZ_4K, RW);
    expect(ctx.translate(0x1000)).toBe(0x4000_0000); // now cached
    ctx.updateStart();
    ctx.unmap(0x1000, SZ_4K);
    // Inside the bracket the TLB may still translate: the window the seed's brackets batch over.
    expect(ctx.translate(0x1000)).toBe(0x4000_0000);
    ctx.updateDone();
    expect(codeOf(() => ctx.translate(0x1000))).toBe('EFAULT');
    expect(smmu.tlb.stats().invalidations).toBe(1);
  });

  it('a map or unmap outside a bracket is its own bracket (invalidation completed on return)', () => {
    const { smmu } = testSmmu();
    const ctx = smmu.createContext(0);
    ctx.bind(smmu);
    ctx.activate();
    ctx.map(0x4000_0000, 0x1000, SZ_4K, RW);
    ctx.translate(0x1000);
    ctx.unmap(0x1000, SZ_4K);
    ctx.map(0x4400_0000, 0x1000, SZ_4K, RW);
    expect(ctx.translate(0x1000)).toBe(0x4400_0000);
  });

  it('updateDone without updateStart is EINVAL; brackets nest', () => {
    const { smmu } = testSmmu();
    const ctx = smmu.createContext(0);
    ctx.bind(smmu);
    ctx.activate();
    expect(codeOf(() => ctx.updateDone())).toBe('EINVAL');
    ctx.map(0x4000_0000, 0x1000, SZ_4K, RW);
    ctx.translate(0x1000);
    ctx.updateStart();
    ctx.updateStart();
    ctx.unmap(0x1000, SZ_4K);
    ctx.updateDone();
    expect(ctx.translate(0x1000)).toBe(0x4000_0000); // inner done: still deferred
    ctx.updateDone();
    expect(codeOf(() => ctx.translate(0x1000))).toBe('EFAULT');
  });
});

describe('observability', () => {
  it('dumpTables lists valid entries per level with VA range, PA, size and descriptor', () => {
    const { smmu } = testSmmu();
    const ctx = smmu.createContext(0);
    ctx.bind(smmu);
    ctx.map(0x4000_0000, 0x0010_0000, SZ_1M, RW);
    ctx.map(0x4300_0000, 0x0000_0000, SZ_4K, RW | (1 << 7) | 1);
    const [dump] = ctx.dumpTables();
    expect(dump!.base).toBe('own');
    expect(dump!.format).toBe('armV7Short');
    expect(dump!.levels.map((l) => l.level)).toEqual([1, 2]);
    const section = dump!.levels[0]!.entries[0]!;
    expect(section).toMatchObject({ va: 0x0010_0000, end: 0x001f_ffff, pa: 0x4000_0000, size: SZ_1M });
    expect(section.text).toContain('0x0010_0000-0x001f_ffff -> 0x4000_0000 1 MiB L1 rw-');
    expect(dump!.levels[1]!.entries[0]).toMatchObject({ va: 0, pa: 0x4300_0000, size: SZ_4K, level: 2 });
    ctx.activate();
    expect(ctx.dumpTables()[0]!.base).toBe('TTBR0');
  });

  it('snapshots are plain JSON', () => {
    const { smmu } = testSmmu();
    const ctx = smmu.createContext(0);
    ctx.bind(smmu);
    ctx.activate();
    ctx.map(0x4000_0000, 0x1000, SZ_4K, RW);
    ctx.translate(0x1000);
    const snap = smmu.toJSON();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap.banks[0]!.registers.ttbr0).toBe(smmu.banks[0]!.registers.read(REG_TTBR0));
    expect(snap.contexts[0]).toMatchObject({ name: 'smmu0-ctx0', active: true, bank: 0 });
    expect(snap.tlb.entries).toEqual([{ bank: 0, contextId: ctx.contextId, va: 0x1000, size: SZ_4K, pa: 0x4000_0000, perm: expect.any(Number) }]);
  });
});
