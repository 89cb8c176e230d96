/**
 * The whole stack against QEMU's MMU (docs/conformance.md): mappings made
 * only through the VCM API — `buildPlatform`, `vcmm.create`, `vcm.assoc`
 * with a split and a base, `activate`, `reserve`, `physAlloc`, `back`,
 * `setAttr`, `unback`, `unreserve`, `deactivate` — on an SMMU context of
 * each format for every split the driver supports (short TTBCR.N 0..7,
 * LPAE T0SZ 0..7 with T1SZ 0; TTBR0 and, from N = 1, TTBR1). Then each
 * bank's raw TTBCR, TTBR0/1 (with its ASID and walk attributes), MAIR0/1
 * and SCTLR.AFE go to QEMU exactly as the bank holds them, with the table
 * memory as it lies in simulated RAM, and every VA is translated by both
 * under all four ATS operations.
 */
import { VCM_USE_HIGH_BASE, VCM_USE_LOW_BASE, isVcmError, vcmSplitAttr } from '@vcm/core';
import type { Association, Vcm } from '@vcm/core';
import { buildPlatform } from '@vcm/devtree';
import type { Platform } from '@vcm/devtree';
import { SCTLR_AFE, SCTLR_TRE, TTBCR_EAE, TTBCR_T0SZ_MASK, isWalkFault } from '@vcm/smmu';
import type { SmmuContext, WalkStep } from '@vcm/smmu';
import { describe, expect, it } from 'vitest';
import { qemuTranslateBatch } from '../qemu-oracle.js';
import type { OracleJob, OracleResult } from '../qemu-oracle.js';
import { OPS, Tally, describeOutcome, oracleOutcome } from './compare.js';
import type { Outcome, ProjectView } from './compare.js';
import { PROBE_MEMTYPE, PROBE_PA, SPLITS, TABLE_REGION, conformanceBoard, contextName } from './conformance-board.js';
import { NO_QEMU, QEMU } from './qemu.js';
import { makeRng, runSeed } from './rng.js';
import { isSecureMix, populate, randomResAttr } from './scene.js';
import type { Counts } from './scene.js';
import type { Rng } from './rng.js';

const SZ_4K = 0x1000;
const SZ_1M = 0x10_0000;
const SZ_16M = 0x100_0000;
const SZ_4G = 2 ** 32;
/** The ARMv7 CPU's SCTLR.AFE, the bit `decodeConfig` reads; a bank keeps it at SMMU SCTLR bit 2. */
const CPU_SCTLR_AFE = 1 << 29;
/** VAs per context and phase; each is translated under all four operations. */
const VAS_PER_CONTEXT = 1000;

const hex = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;

/** The table memory as it lies in simulated RAM: what QEMU's MMU walks. */
function tableImage(p: Platform): { pa: number; bytes: Uint8Array }[] {
  return [{ pa: TABLE_REGION.base, bytes: p.memory.read(TABLE_REGION.base, TABLE_REGION.size) }];
}

/** The oracle job for a bank's registers, word for word. */
function bankJob(ctx: SmmuContext): Omit<OracleJob, 'vas' | 'op'> {
  const r = ctx.registers;
  // The oracle takes no PRRR/NMRR; the driver never enables TEX remap.
  if (r.sctlr & SCTLR_TRE) throw new Error(`${ctx.name}: SCTLR.TRE is set; the oracle cannot be given PRRR/NMRR`);
  const afe = (r.sctlr & SCTLR_AFE) !== 0;
  if (r.ttbcr & TTBCR_EAE) {
    const wide = (hi: number, lo: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);
    return { format: 'lpae', ttbcr: r.ttbcr, ttbr0: wide(r.ttbr0High, r.ttbr0), ttbr1: wide(r.ttbr1High, r.ttbr1), mair0: r.mair0, mair1: r.mair1 };
  }
  return { format: 'short', ttbcr: r.ttbcr, ttbr0: r.ttbr0, ttbr1: r.ttbr1, afe };
}

/** A context's split as its TTBCR says (short N, LPAE T0SZ). */
const splitOf = (ctx: SmmuContext): number => ctx.registers.ttbcr & TTBCR_T0SZ_MASK;

/**
 * The project's view of `va` on `ctx`: the bank's own walk from its
 * registers, unless that walk refused a secure leaf — a non-secure context
 * takes a translation fault there (docs/attributes.md#secure), while QEMU,
 * running the Non-secure regime, ignores NS — in which case the view is a
 * secure walker's over the same registers and tables.
 */
function projectView(p: Platform, ctx: SmmuContext, va: number): { view: ProjectView; secureLeaf: boolean; bankLeafSecure: boolean } {
  const w = ctx.walk(va);
  const bankLeafSecure = w.leaf !== undefined && !w.leaf.nonSecure;
  if (w.fault?.fault === 'translation' && w.fault.entryPa >= 0) {
    const smmu = ctx.bank!.smmu;
    const r = ctx.registers;
    const config = smmu.format.decodeConfig(
      { ttbcr: r.ttbcr, ttbr0: r.ttbr0, ttbr0High: r.ttbr0High, ttbr1: r.ttbr1, ttbr1High: r.ttbr1High, sctlr: r.sctlr & SCTLR_AFE ? CPU_SCTLR_AFE : 0 },
      false,
    );
    const steps: WalkStep[] = [];
    const s = smmu.format.walk(p.memory, config, va, steps);
    if (!isWalkFault(s) && !s.nonSecure && s.level === w.fault.level && s.entryPa === w.fault.entryPa) {
      return { view: { walk: s, steps, note: 'a secure leaf: the non-secure context faults on it, a secure walker reaches it' }, secureLeaf: true, bankLeafSecure };
    }
  }
  return { view: { walk: w.leaf ?? w.fault!, steps: w.steps }, secureLeaf: false, bankLeafSecure };
}

/** What the project's TLB path (`ctx.translate`) and `vcmm.devAddrToPhysAddr` give for `va`. */
function projectTranslations(p: Platform, ctx: SmmuContext, va: number): { translate: Outcome; devAddrToPhysAddr: Outcome } {
  const attempt = (fn: () => number): Outcome => {
    try {
      return { pa: fn() };
    } catch (e) {
      if (isVcmError(e, 'EFAULT')) return { fault: 'EFAULT' };
      throw e;
    }
  };
  return { translate: attempt(() => ctx.translate(va)), devAddrToPhysAddr: attempt(() => p.vcmm.devAddrToPhysAddr(ctx, va)) };
}

// ---- random VCMs through the API -------------------------------------------------

interface Placement {
  readonly ctx: SmmuContext;
  readonly format: 'short' | 'lpae';
  readonly split: number;
  readonly low: Association;
  readonly high: Association | undefined;
  readonly vcms: Vcm[];
}

/** A random VCM inside [lo, hi): 4 KiB … 256 MiB, 4 KiB or 1 MiB aligned. */
function randomRange(rng: Rng, lo: number, hi: number): { start: number; len: number } {
  const span = hi - lo;
  const len = Math.min(span, rng.pick([SZ_1M, 4 * SZ_1M, SZ_16M, 64 * SZ_1M, 256 * SZ_1M]) + (rng.chance(0.3) ? SZ_4K * rng.int(1, 255) : 0));
  const grain = rng.chance(0.5) ? SZ_1M : SZ_4K;
  const start = lo + Math.floor(rng.int(0, Math.floor((span - len) / grain))) * grain;
  return { start, len };
}

/**
 * One context of each format per split. Each gets a TTBR0 VCM below the
 * split — its own, or a VCM shared with other contexts (whose address
 * space then holds one table per split it is walked with) — and from
 * N = 1 a TTBR1 VCM above it. Half the VCMs are populated before their
 * associations are activated, half after (docs/rules.md#order-independence).
 */
function buildScene(p: Platform, rng: Rng, counts: Counts): Placement[] {
  const shared = p.vcmm.create(SZ_1M, SZ_16M);
  let sharedUsed = false;
  const placements: Placement[] = [];
  const early = new Set<Vcm>();
  for (const format of ['short', 'lpae'] as const) {
    for (const n of SPLITS) {
      const ctx = p.tree.getCtxInstance(contextName(format, n));
      const boundary = SZ_4G / 2 ** n;
      const vcms: Vcm[] = [];
      let lowVcm: Vcm;
      if (rng.chance(0.35)) {
        lowVcm = shared;
        sharedUsed = true;
      } else {
        const r = randomRange(rng, 0, boundary);
        lowVcm = p.vcmm.create(r.start, r.len);
      }
      vcms.push(lowVcm);
      const low = lowVcm.assoc(ctx, n === 0 && rng.chance(0.5) ? 0 : vcmSplitAttr(n) | VCM_USE_LOW_BASE);
      let high: Association | undefined;
      if (n > 0) {
        const r = randomRange(rng, boundary, SZ_4G);
        const highVcm = p.vcmm.create(r.start, r.len);
        vcms.push(highVcm);
        high = highVcm.assoc(ctx, vcmSplitAttr(n) | VCM_USE_HIGH_BASE);
      }
      for (const v of vcms) {
        if (v !== shared && rng.chance(0.5) && !early.has(v)) {
          populate(p, rng, v, rng.int(4, 14), counts);
          early.add(v);
        }
      }
      low.activate();
      high?.activate();
      placements.push({ ctx, format, split: n, low, high, vcms });
    }
  }
  if (sharedUsed) populate(p, rng, shared, 14, counts);
  for (const pl of placements) for (const v of pl.vcms) if (v !== shared && !early.has(v)) populate(p, rng, v, rng.int(4, 14), counts);
  return placements;
}

/**
 * Change the scene: unback, unreserve, change attributes of backed
 * reservations, add new ones, and turn some TTBR1 associations off (their
 * context then walks with that base disabled).
 */
function churn(p: Platform, rng: Rng, placements: Placement[], counts: Counts): void {
  const seen = new Set<Vcm>();
  for (const pl of placements) {
    for (const vcm of pl.vcms) {
      if (seen.has(vcm)) continue;
      seen.add(vcm);
      for (const res of [...vcm.reservations]) {
        const pm = res.physmem;
        if (pm !== undefined && rng.chance(0.3)) {
          res.unback();
          pm.free();
          if (rng.chance(0.5)) res.unreserve();
        } else if (pm !== undefined && rng.chance(0.2)) {
          try {
            res.setAttr(randomResAttr(rng, false));
            counts.attrChanges++;
          } catch (e) {
            if (!isSecureMix(e)) throw e;
            counts.refusedSecureMix++;
          }
        } else if (pm === undefined && rng.chance(0.5)) {
          res.unreserve();
        }
      }
      populate(p, rng, vcm, rng.int(2, 8), counts);
    }
    if (pl.high !== undefined && rng.chance(0.25)) pl.high.deactivate();
  }
}

/** The VAs asked of a context: every reservation's edges and insides, the VCMs' edges, the split boundary, anywhere. */
function pickVas(rng: Rng, pl: Placement): number[] {
  const vas: number[] = [];
  const ranges: { start: number; len: number }[] = [];
  for (const vcm of pl.vcms) {
    vas.push(vcm.startAddr, vcm.startAddr + vcm.len - 1, vcm.startAddr - 1, vcm.startAddr + vcm.len);
    for (const res of vcm.reservations) {
      const a = res.devAddr;
      ranges.push({ start: a, len: res.len });
      vas.push(a, a + res.len - 1, a + rng.int(0, res.len - 1), a - 1, a + res.len);
    }
  }
  if (pl.split > 0) {
    const b = SZ_4G / 2 ** pl.split;
    vas.push(b - 1, b, b - SZ_4K, b + SZ_4K);
  }
  while (vas.length < VAS_PER_CONTEXT) {
    const r = ranges.length > 0 && rng.chance(0.7) ? rng.pick(ranges) : undefined;
    vas.push(r ? r.start + rng.int(0, r.len - 1) : rng.u32());
  }
  return vas.slice(0, VAS_PER_CONTEXT).map((v) => ((v % SZ_4G) + SZ_4G) % SZ_4G);
}

interface PhaseResult {
  readonly translations: number;
  readonly secureLeaves: number;
  readonly qemuMs: number;
  readonly runs: number;
  readonly configs: number;
}

/** Translate every active context's VAs by the project and by QEMU, all in one QEMU run, and compare. */
async function comparePhase(p: Platform, rng: Rng, placements: readonly Placement[], phase: string, tally: Tally): Promise<PhaseResult> {
  const active = placements.filter((pl) => pl.ctx.isActive);
  const configs = active.map((pl) => {
    const job = bankJob(pl.ctx);
    const name = `${phase} ${pl.ctx.name} (${pl.format === 'lpae' ? 'T0SZ' : 'N'}=${splitOf(pl.ctx)}, TTBCR ${hex(pl.ctx.registers.ttbcr)}, TTBR0 ${hex(pl.ctx.registers.ttbr0)}, TTBR1 ${hex(pl.ctx.registers.ttbr1)})`;
    return { pl, job, name, vas: pickVas(rng, pl) };
  });
  let secureLeaves = 0;
  const seen = configs.map((c) =>
    c.vas.map((va) => {
      const v = projectView(p, c.pl.ctx, va);
      if (v.secureLeaf) secureLeaves++;
      if (v.bankLeafSecure) tally.project({ config: c.name, op: 'pr', va, project: 'the non-secure bank walk returned a secure leaf', qemu: '-', steps: v.view.steps });
      return { ...v, ...projectTranslations(p, c.pl.ctx, va) };
    }),
  );
  const batch = await qemuTranslateBatch({
    qemu: QEMU!,
    images: tableImage(p),
    jobs: configs.flatMap((c) => OPS.map((op) => ({ ...c.job, op, vas: c.vas }))),
  });
  configs.forEach((c, i) => {
    OPS.forEach((op, k) =>
      tally.checkJob(
        c.name,
        c.job.format,
        op,
        seen[i]!.map((s) => s.view),
        batch.results[i * OPS.length + k]!,
      ),
    );
    // The TLB path and vcm_dev_addr_to_phys_addr against QEMU's privileged read:
    // the same address, or EFAULT where QEMU faults (and on a secure leaf, which a
    // non-secure context cannot reach).
    const reads: readonly OracleResult[] = batch.results[i * OPS.length]!;
    seen[i]!.forEach((s, k) => {
      const q = oracleOutcome(reads[k]!);
      const want: Outcome = 'pa' in q && !s.secureLeaf ? q : { fault: 'EFAULT' };
      for (const [what, got] of [
        ['ctx.translate', s.translate],
        ['vcmm.devAddrToPhysAddr', s.devAddrToPhysAddr],
      ] as const) {
        if (describeOutcome(got) !== describeOutcome(want)) {
          tally.project({ config: c.name, op: 'pr', va: reads[k]!.va, project: `${what} gives ${describeOutcome(got)}`, qemu: describeOutcome(q), steps: s.view.steps });
        }
      }
    });
  });
  return { translations: configs.length * OPS.length * VAS_PER_CONTEXT, secureLeaves, qemuMs: batch.qemuMs, runs: batch.runs, configs: configs.length };
}

describe.skipIf(NO_QEMU)('through the VCM API, both formats and every split agree with QEMU’s MMU', () => {
  it('the LPAE minimal case: T0SZ = 2, TTBR0 = 0x8000_0000 holding a level-2 root, VA 0x06cc_d000 → PA 0x61e7_d000, with a TTBR1 mapping present', async () => {
    const p = buildPlatform(conformanceBoard());
    const ctx = p.tree.getCtxInstance(contextName('lpae', 2));
    const low = p.vcmm.create(0x06cc_d000, SZ_4K);
    low.assoc(ctx, vcmSplitAttr(2) | VCM_USE_LOW_BASE).activate();
    const page = low.reserve(SZ_4K);
    page.back(p.vcmm.physAlloc(PROBE_MEMTYPE, SZ_4K, 0));
    const high = p.vcmm.create(0x4000_0000, SZ_1M);
    high.assoc(ctx, vcmSplitAttr(2) | VCM_USE_HIGH_BASE).activate();
    const other = high.reserve(SZ_4K);
    other.back(p.vcmm.physAlloc(4, SZ_4K, 0));

    expect(page.devAddr).toBe(0x06cc_d000);
    expect(page.physmem!.chunks()[0]!.pa).toBe(PROBE_PA);
    const regs = ctx.registers;
    expect(regs.ttbr0).toBe(0x8000_0000);
    expect((regs.ttbcr & (TTBCR_EAE | TTBCR_T0SZ_MASK)) >>> 0).toBe((TTBCR_EAE + 2) >>> 0);

    // The walk from the registers starts at level 2: VA[29:21] = 54 indexes the root at 0x8000_0000.
    const walk = ctx.walk(0x06cc_dfff);
    expect(walk.pa).toBe(0x61e7_dfff);
    expect(walk.steps.map((s) => [s.level, s.entryPa])).toEqual([
      [2, 0x8000_0000 + 54 * 8],
      [3, expect.any(Number)],
    ]);

    const vas = [0x06cc_d000, 0x06cc_dfff, 0x06cc_e000, 0x06cc_c000, other.devAddr, other.devAddr + 0xabc, 0x0000_0000, 0x3fff_ffff];
    const [qemu] = (await qemuTranslateBatch({ qemu: QEMU!, images: tableImage(p), jobs: [{ ...bankJob(ctx), vas }] })).results;
    const project = vas.map((va) => {
      const w = ctx.walk(va);
      return w.pa ?? `${w.fault!.fault}-l${w.fault!.level}`;
    });
    expect(qemu!.map((r) => r.pa ?? r.fault)).toEqual(project);
    expect(project.slice(0, 4)).toEqual([0x61e7_d000, 0x61e7_dfff, 'translation-l3', 'translation-l3']);
    expect(project[4]).toBe(other.physmem!.chunks()[0]!.pa);
  });

  it(`random VCMs on every split, compared, churned and compared again: ${2 * 2 * SPLITS.length * VAS_PER_CONTEXT * OPS.length} translations, 0 disagreements`, async () => {
    const seed = runSeed();
    const rng = makeRng(seed);
    const started = performance.now();
    // The generator asks for misaligned large reservations on purpose; count the warnings instead of printing them.
    let perfWarnings = 0;
    const p = buildPlatform(conformanceBoard(), { logger: { warn: () => void perfWarnings++ } });
    const counts: Counts = { backed: 0, unbacked: 0, refusedSecureMix: 0, noMemory: 0, noSpace: 0, attrChanges: 0 };
    const tally = new Tally();
    const placements = buildScene(p, rng, counts);
    const first = await comparePhase(p, rng, placements, 'built', tally);
    churn(p, rng, placements, counts);
    const second = await comparePhase(p, rng, placements, 'churned', tally);
    const seconds = (performance.now() - started) / 1000;

    console.log(
      `VCM API: ${tally.summary()}; ${first.secureLeaves + second.secureLeaves} VAs on secure leaves; ` +
        `${counts.backed} reservations backed, ${counts.unbacked} left unbacked, ${counts.attrChanges} attribute changes, ` +
        `${counts.refusedSecureMix} secure/non-secure mixes refused, ${counts.noMemory} allocations and ${counts.noSpace} reservations refused for want of room, ${perfWarnings} warnings; ` +
        `${first.configs} + ${second.configs} register configurations, QEMU ${(first.qemuMs + second.qemuMs).toFixed(0)} ms in ${first.runs + second.runs} run(s); ` +
        `${seconds.toFixed(1)} s in all; seed ${seed}`,
    );
    expect(tally.disagreements, tally.report(seed)).toEqual([]);
    expect(tally.translations).toBe(first.translations + second.translations);
    expect([first.configs, second.configs]).toEqual([2 * SPLITS.length, 2 * SPLITS.length]);
    // Every configuration both translated and faulted, and the scene used what it is meant to test.
    for (const [config, n] of tally.perConfig) expect(n, config).toBe(OPS.length * VAS_PER_CONTEXT);
    expect(tally.translated, `seed ${seed}`).toBeGreaterThan(tally.translations / 4);
    expect(first.secureLeaves + second.secureLeaves, `seed ${seed}`).toBeGreaterThan(0);
    expect(counts.backed, `seed ${seed}`).toBeGreaterThan(100);
    expect(seconds, 'the whole comparison, both phases, QEMU included').toBeLessThan(90);
  });
});
