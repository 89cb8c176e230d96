/**
 * The comparison itself (no QEMU needed): what each ATS operation must
 * give for a leaf's decoded permissions, and that a difference in address,
 * fault or PAR attribute is reported with the walk trace and the seed.
 */
import type { WalkFault, WalkResult } from '@vcm/smmu';
import { describe, expect, it } from 'vitest';
import type { OracleResult } from '../qemu-oracle.js';
import { Tally, expectedOutcome } from './compare.js';

function leaf(over: Partial<WalkResult> = {}): WalkResult {
  return {
    pa: 0x4a0b_1123,
    va: 0x1000,
    size: 0x1000,
    base: 0x4a0b_1000,
    prot: 0x301, // read, write, VCM_WB_WA
    readable: true,
    writable: true,
    executable: false,
    privilegedExecutable: false,
    user: true,
    accessFlag: true,
    nonSecure: true,
    domain: 0,
    descriptor: 0x4a0b_1c7f,
    descriptorHigh: 0,
    level: 2,
    entryPa: 0x4800_4004,
    ...over,
  };
}

describe('expectedOutcome: the ARM ARM simplified access permissions over the decoded leaf', () => {
  it('read-only: PL1 and PL0 reads translate, writes take a permission fault at the leaf level', () => {
    const ro = leaf({ writable: false });
    expect(['pr', 'pw', 'ur', 'uw'].map((op) => expectedOutcome(ro, op as 'pr'))).toEqual([
      { pa: 0x4a0b_1123 },
      { fault: 'permission-l2' },
      { pa: 0x4a0b_1123 },
      { fault: 'permission-l2' },
    ]);
  });

  it('privileged only: PL0 accesses fault; access flag clear faults before permissions; a walk fault is itself', () => {
    const priv = leaf({ user: false, level: 3 });
    expect(expectedOutcome(priv, 'ur')).toEqual({ fault: 'permission-l3' });
    expect(expectedOutcome(priv, 'pw')).toEqual({ pa: 0x4a0b_1123 });
    expect(expectedOutcome(leaf({ accessFlag: false, writable: false }), 'pw')).toEqual({ fault: 'access-flag-l2' });
    const fault: WalkFault = { fault: 'translation', level: 1, entryPa: 0x4800_0000, descriptor: 0, descriptorHigh: 0 };
    expect(expectedOutcome(fault, 'uw')).toEqual({ fault: 'translation-l1' });
  });
});

describe('Tally', () => {
  const steps = [{ level: 2, entryPa: 0x4800_4004, descriptor: 0x4a0b_1c7f, descriptorHigh: 0 }];

  it('reports a different address with the configuration, operation, trace and seed', () => {
    const t = new Tally();
    const qemu: OracleResult = { va: 0x1123, pa: 0x4a0b_2123, par: '000000004a0b2a00', supersection: false };
    t.checkJob('short N=0', 'short', 'pr', [{ walk: leaf(), steps }], [qemu]);
    expect(t.disagreements).toHaveLength(1);
    const report = t.report(42);
    expect(report).toContain('short N=0, pr, va 0x00001123: outcome: vcm says 0x004a0b1123, QEMU says 0x004a0b2123');
    expect(report).toContain('L2 entry 0x0048004004 descriptor 0x4a0b1c7f');
    expect(report).toContain('VCM_QEMU_SEED=42');
  });

  it('compares LPAE PAR.ATTR and PAR.SH with the memory type of the cache policy, and short PAR.SS with the leaf size', () => {
    const t = new Tally();
    const ok: OracleResult = { va: 0x1123, pa: 0x4a0b_1123, attr: 0xff, sh: 0b11 };
    const badAttr: OracleResult = { va: 0x1123, pa: 0x4a0b_1123, attr: 0xee, sh: 0b11 };
    t.checkJob('lpae', 'lpae', 'pr', [{ walk: leaf(), steps }, { walk: leaf(), steps }], [ok, badAttr]);
    expect(t.disagreements.map((d) => [d.field, d.project, d.qemu])).toEqual([['attr', 'MAIR attribute 0xff', 'PAR.ATTR 0xee']]);
    const s = new Tally();
    s.checkJob('short', 'short', 'pr', [{ walk: leaf({ size: 0x100_0000 }), steps }], [{ va: 0x1123, pa: 0x4a0b_1123, supersection: false }]);
    expect(s.disagreements.map((d) => d.field)).toEqual(['supersection']);
    expect([t.translations, t.translated, t.attributeChecks]).toEqual([2, 2, 2]);
  });

  it('a fault of another kind or level is a disagreement; the same fault is not', () => {
    const t = new Tally();
    const fault: WalkFault = { fault: 'translation', level: 2, entryPa: 0x4800_4008, descriptor: 0, descriptorHigh: 0 };
    t.checkJob('x', 'short', 'pr', [{ walk: fault, steps }, { walk: fault, steps }], [
      { va: 0x2000, pa: null, fault: 'translation-l2' },
      { va: 0x2000, pa: null, fault: 'translation-l1' },
    ]);
    expect(t.disagreements.map((d) => [d.project, d.qemu])).toEqual([['translation-l2', 'translation-l1']]);
    expect(t.faulted).toBe(2);
  });
});
