/**
 * The page-table formats alone against QEMU's MMU: `armV7Short` and
 * `armLpae4k` tables made with `format.create` for every split and base
 * the driver uses (TTBR0 with N / T0SZ = 0..7, and TTBR1 with the same
 * split), filled with random `mapRange` and `map` calls, then walked by
 * `format.walk` from registers written here by hand from the ARM ARM and
 * by QEMU from the same registers over the same table bytes
 * (docs/conformance.md#what-the-suite-covers).
 *
 * The format objects reach what the VCM API does not: PROT_PRIV (no PL0
 * access), PROT_GLOBAL, output addresses above 4 GiB (short supersections,
 * LPAE up to 40 bits), and SCTLR.AFE both ways.
 */
import { isVcmError, VCM_EXECUTE, VCM_READ, VCM_SECURE, VCM_SUPERVISOR, VCM_USER, VCM_WRITE } from '@vcm/core';
import { createPhysicalSystem } from '@vcm/physalloc';
import { LPAE_MAIR0, LPAE_MAIR1, PROT_GLOBAL, PROT_PRIV, TTBCR_EAE, TTBCR_EPD1, TTBCR_PD1, armLpae4k, armV7Short } from '@vcm/smmu';
import type { PageTable, PageTableFormat, TranslationRegisters, WalkStep } from '@vcm/smmu';
import { describe, expect, it } from 'vitest';
import { qemuTranslateBatch } from '../qemu-oracle.js';
import type { OracleJob } from '../qemu-oracle.js';
import { OPS, Tally } from './compare.js';
import type { ProjectView } from './compare.js';
import { NO_QEMU, QEMU } from './qemu.js';
import { makeRng, runSeed } from './rng.js';
import type { Rng } from './rng.js';

const TABLE_REGION = { base: 0x4800_0000, size: 0x0080_0000 };
const SZ_4K = 0x1000;
const SZ_64K = 0x1_0000;
const SZ_1M = 0x10_0000;
const SZ_2M = 0x20_0000;
const SZ_16M = 0x100_0000;
/** The ARMv7 CPU's SCTLR.AFE, the bit `decodeConfig` reads (ARM ARM B4.1.130). */
const CPU_SCTLR_AFE = 1 << 29;
/** How many VAs each register configuration translates (each under all four operations). */
const VAS_PER_CONFIG = 1500;

function system(): ReturnType<typeof createPhysicalSystem> {
  return createPhysicalSystem({
    banks: [{ name: 'ram', base: 0x4000_0000, size: 0x4000_0000 }],
    pools: [{ name: 'ram-4k', bank: 'ram', base: 0x5000_0000, blockSize: SZ_4K, count: 16 }],
    memtypes: [{ id: 1, name: 'VCM_MEMTYPE_0', pools: ['ram-4k'] }],
    tableRegion: TABLE_REGION,
  });
}

/** A random `prot`: access bits (or none: read+write), user/supervisor, secure, a cache policy, the two format extras. */
function randomProt(rng: Rng): number {
  let prot = rng.int(0, 3);
  for (const bit of [VCM_READ, VCM_WRITE, VCM_EXECUTE, VCM_USER, VCM_SUPERVISOR]) if (rng.chance(0.5)) prot |= bit;
  if (rng.chance(0.15)) prot |= VCM_SECURE;
  if (rng.chance(0.3)) prot |= PROT_PRIV;
  if (rng.chance(0.3)) prot |= PROT_GLOBAL;
  return prot;
}

interface Mapped {
  readonly va: number;
  readonly len: number;
}

/**
 * Fill `table` (covering [lo, hi)) with random mappings; returns what was
 * asked to be mapped. Clashes (EBUSY) and what the format refuses by
 * design (EINVAL: a secure page in a level-2 table of non-secure pages,
 * an output address a page size cannot hold) are skipped.
 */
function fill(rng: Rng, format: PageTableFormat, table: PageTable, lo: number, hi: number): Mapped[] {
  const mapped: Mapped[] = [];
  const span = hi - lo;
  for (let i = 0; i < 60; i++) {
    const size = rng.pick(format.name === 'armV7Short' ? [SZ_4K, SZ_64K, SZ_1M, SZ_16M] : [SZ_4K, SZ_64K, SZ_2M]);
    const count = rng.pick([1, 1, 2, 3, 16, 17]);
    const len = Math.min(size * count, span);
    const va = lo + Math.floor(rng.int(0, Math.floor((span - len) / size))) * size;
    // Output above 4 GiB only where the format can say it: short supersections, any LPAE leaf.
    const wide = format.name === 'armLpae4k' || size === SZ_16M;
    const paTop = wide && rng.chance(0.3) ? 2 ** 40 : 2 ** 32;
    const pa = Math.floor(rng.int(0, Math.floor((paTop - len) / size / 16))) * size * 16 + (rng.chance(0.5) ? 0 : size * rng.int(0, 15));
    const prot = randomProt(rng);
    try {
      if (len === size && rng.chance(0.5)) table.map(va, pa, size, prot);
      else table.mapRange(va, pa, len, prot);
      mapped.push({ va, len });
    } catch (e) {
      if (!isVcmError(e) || (e.code !== 'EBUSY' && e.code !== 'EINVAL')) throw e;
    }
  }
  return mapped;
}

/** VAs to ask about: the edges and insides of what was mapped, the split boundary, and anywhere at all. */
function pickVas(rng: Rng, mapped: readonly Mapped[], boundary: number, count: number): number[] {
  const vas: number[] = [];
  for (const m of mapped) vas.push(m.va, m.va + m.len - 1, m.va + rng.int(0, m.len - 1), m.va - 1 >>> 0, m.va + m.len >>> 0);
  if (boundary < 2 ** 32) vas.push(boundary - 1, boundary, boundary + SZ_4K, boundary - SZ_4K);
  while (vas.length < count) {
    const m = mapped.length > 0 && rng.chance(0.6) ? rng.pick(mapped) : undefined;
    vas.push(m ? m.va + rng.int(0, m.len - 1) : rng.u32());
  }
  return vas.slice(0, count).map((v) => v >>> 0);
}

interface Config {
  readonly name: string;
  readonly format: PageTableFormat;
  readonly regs: TranslationRegisters;
  readonly job: Omit<OracleJob, 'vas' | 'op'>;
  readonly vas: number[];
}

describe.skipIf(NO_QEMU)('the formats alone agree with QEMU’s MMU', () => {
  it('armV7Short and armLpae4k, TTBR0 and TTBR1 tables for every split, random mappings and registers', async () => {
    const seed = runSeed();
    const rng = makeRng(seed);
    const { memory, allocator } = system();
    const configs: Config[] = [];
    for (const format of [armV7Short, armLpae4k]) {
      const lpae = format === armLpae4k;
      for (let n = 0; n <= 7; n++) {
        const boundary = 2 ** (32 - n);
        const t0 = format.create(memory, allocator, { split: n });
        const mapped = fill(rng, format, t0, 0, boundary);
        let t1: PageTable | undefined;
        if (n > 0) {
          t1 = format.create(memory, allocator, { split: n, ttbr: 1 });
          mapped.push(...fill(rng, format, t1, boundary, 2 ** 32));
        }
        const afe = lpae || rng.chance(0.5);
        // Registers as the ARM ARM lays them out (B4.1.153-155): the split, a disabled TTBR1
        // walk when there is no TTBR1 table; an LPAE TTBR0 with a random ASID in [55:48].
        const asid = rng.int(0, 255);
        const ttbcr = lpae ? (TTBCR_EAE + (n | (t1 ? 0 : TTBCR_EPD1))) >>> 0 : n | (t1 ? 0 : TTBCR_PD1);
        const regs: TranslationRegisters = {
          ttbcr,
          ttbr0: t0.rootPa,
          ttbr0High: lpae ? asid << 16 : 0,
          ttbr1: t1?.rootPa ?? 0,
          ttbr1High: 0,
          sctlr: afe ? CPU_SCTLR_AFE : 0,
        };
        configs.push({
          name: `${format.name} ${lpae ? 'T0SZ' : 'N'}=${n}${t1 ? ' + TTBR1' : ''}${lpae ? '' : ` AFE=${afe ? 1 : 0}`}`,
          format,
          regs,
          job: lpae
            ? { format: 'lpae', ttbcr, ttbr0: (BigInt(asid) << 48n) | BigInt(t0.rootPa), ttbr1: t1?.rootPa ?? 0, mair0: LPAE_MAIR0, mair1: LPAE_MAIR1 }
            : { format: 'short', ttbcr, ttbr0: t0.rootPa, ttbr1: t1?.rootPa ?? 0, afe },
          vas: pickVas(rng, mapped, boundary, VAS_PER_CONFIG),
        });
      }
    }

    // The project's walks: a secure walker, which reaches secure and non-secure
    // leaves alike, as QEMU's Non-secure regime does (it ignores NS).
    const views = configs.map((c) => {
      const config = c.format.decodeConfig(c.regs, false);
      return c.vas.map((va): ProjectView => {
        const steps: WalkStep[] = [];
        return { walk: c.format.walk(memory, config, va, steps), steps };
      });
    });

    const images = [{ pa: TABLE_REGION.base, bytes: memory.read(TABLE_REGION.base, TABLE_REGION.size) }];
    const jobs = configs.flatMap((c) => OPS.map((op) => ({ ...c.job, op, vas: c.vas })));
    const t0 = performance.now();
    const batch = await qemuTranslateBatch({ qemu: QEMU!, images, jobs });
    const ms = performance.now() - t0;

    const tally = new Tally();
    configs.forEach((c, i) => OPS.forEach((op, k) => tally.checkJob(c.name, c.job.format, op, views[i]!, batch.results[i * OPS.length + k]!)));
    console.log(`formats: ${tally.summary()}; QEMU ${ms.toFixed(0)} ms in ${batch.runs} run(s); seed ${seed}`);
    expect(tally.disagreements, tally.report(seed)).toEqual([]);
    expect(tally.translations).toBe(configs.length * OPS.length * VAS_PER_CONFIG);
    // The random tables must exercise both outcomes under every configuration.
    expect(tally.translated, `seed ${seed}`).toBeGreaterThan(tally.translations / 4);
    expect(tally.faulted, `seed ${seed}`).toBeGreaterThan(tally.translations / 10);
  });
});
