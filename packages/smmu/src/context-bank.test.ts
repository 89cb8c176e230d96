import { describe, expect, it } from 'vitest';
import { SZ_4K, VCM_READ, VCM_WRITE } from '@vcm/core';
import { vcmErrorOf } from '@vcm/test-kit';
import { armLpae4k } from './formats/index.js';
import { REG_TTBR0, SCTLR_AFE, SCTLR_CFCFG, SCTLR_CFIE, SCTLR_CFRE, SCTLR_M, SCTLR_TRE, TTBCR_EAE, TTBCR_EPD1 } from './registers.js';
import { testSmmu } from './test-smmu.js';

const RW = VCM_READ | VCM_WRITE;

describe('a context bank translates from its registers', () => {
  it('repointing TTBR0 by a register write changes what the bank walks (after the TLB is invalidated, as on hardware)', () => {
    const { smmu, ram } = testSmmu();
    const a = smmu.createContext(0);
    const b = smmu.createContext(1);
    for (const c of [a, b]) {
      c.bind(smmu);
      c.activate();
    }
    a.map(0x4000_0000, 0x1000, SZ_4K, RW);
    b.map(0x4100_0000, 0x1000, SZ_4K, RW);
    ram.write(0x4100_0000, Uint8Array.of(0xb0));
    expect(a.translate(0x1000)).toBe(0x4000_0000);
    const bank0 = smmu.banks[0]!;
    bank0.registers.write(REG_TTBR0, smmu.banks[1]!.registers.ttbr0);
    // The TLB still holds the old translation until software invalidates it.
    expect(a.translate(0x1000)).toBe(0x4000_0000);
    smmu.tlb.invalidateContext(0, bank0.contextId);
    expect(a.translate(0x1000)).toBe(0x4100_0000);
    expect(a.walk(0x1000).pa).toBe(0x4100_0000);
    expect([...a.dma.read(0x1000, 1)]).toEqual([0xb0]);
  });

  it('activation writes SCTLR, TTBCR and CONTEXTIDR as the fields say', () => {
    const { smmu } = testSmmu();
    const ctx = smmu.createContext(0);
    ctx.bind(smmu);
    ctx.activate();
    const f = smmu.banks[0]!.registers.fields();
    expect(smmu.banks[0]!.registers.sctlr).toBe(SCTLR_M | SCTLR_AFE | SCTLR_CFRE | SCTLR_CFIE | SCTLR_CFCFG);
    expect(smmu.banks[0]!.registers.sctlr & SCTLR_TRE).toBe(0); // the short format's TEX/C/B are the memory type itself
    expect(f.ttbcr).toMatchObject({ eae: false, t0sz: 0, epd0: false, epd1: true });
    expect(f.asid).toBe(ctx.contextId);
    expect(f.memoryAttributes).toEqual({ prrr: 0, nmrr: 0 });
  });

  it('an LPAE bank: EAE, the ASID in TTBR0[55:48], the walk attributes in TTBCR, MAIR0/MAIR1 from the format', () => {
    const { smmu } = testSmmu({ format: armLpae4k });
    const first = smmu.createContext(0);
    first.bind(smmu);
    const ctx = smmu.createContext(1, { bank: 0 });
    ctx.bind(smmu); // a second context id on the same SMMU
    ctx.activate();
    const regs = smmu.banks[0]!.registers;
    const f = regs.fields();
    expect((regs.ttbcr & TTBCR_EAE) >>> 0).toBe(TTBCR_EAE);
    expect(regs.ttbcr & TTBCR_EPD1).toBe(TTBCR_EPD1);
    expect(f.ttbcr).toMatchObject({ eae: true, t0sz: 0, t1sz: 0, irgn0: 1, orgn0: 1, sh0: 3 });
    expect(f.asid).toBe(ctx.contextId);
    expect(ctx.contextId).not.toBe(first.contextId);
    expect(smmu.banks[0]!.contextId).toBe(ctx.contextId);
    expect(f.memoryAttributes).toEqual({ mair0: 0xee04ff44, mair1: 0x000000aa });
    expect(smmu.banks[0]!.config!.ttbr0).toBe(ctx.ttbr0Table!.rootPa);
  });

  it('ctx.walk is EINVAL on an inactive context and for an address beyond 32 bits', () => {
    const { smmu } = testSmmu();
    const ctx = smmu.createContext(0);
    expect(vcmErrorOf(() => ctx.walk(0)).code).toBe('EINVAL');
    ctx.bind(smmu);
    ctx.activate();
    expect(vcmErrorOf(() => ctx.walk(2 ** 32)).code).toBe('EINVAL');
    expect(ctx.walk(0x1000)).toMatchObject({ leaf: undefined, pa: undefined, fault: { fault: 'translation', level: 1 } });
  });
});
