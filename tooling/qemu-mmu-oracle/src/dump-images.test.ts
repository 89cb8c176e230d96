/**
 * Page-table images of a scenario against QEMU's MMU
 * (docs/conformance.md#what-the-suite-covers, docs/scenarios.md#page-table-images):
 * a scenario is set up by `@vcm/scenario`'s runner, `dump --format bin`'s
 * images and manifest are made for each device (as the CLI writes them,
 * the manifest through its JSON), and QEMU's MMU, loaded with only those
 * images and the dumped registers, translates every 4 KiB page of every
 * reservation the device sees. Each must give the physical address the
 * runner used — the buffer's chunk at that offset, from the runner's
 * report — and, in LPAE, the memory attribute and shareability the dump
 * states; every leaf of the manifest is translated as `vcm-ref verify`
 * does too. Both formats, the CPU, a TTBR split, and a board other than
 * MSM8x60.
 */
import { readFileSync } from 'node:fs';
import { hex } from '@vcm/core';
import { binImages, dumpPageTables, manifestJson, oracleJob, parseManifest, runScenario, tableRuns, validateScenario, verificationPlan, parseScenarioText } from '@vcm/scenario';
import type { DumpTarget, PageTableDump, PageTableManifest, ScenarioReport, ScenarioSetUp } from '@vcm/scenario';
import { describe, expect, it } from 'vitest';
import { qemuTranslateBatch } from '../qemu-oracle.js';
import type { OracleJob } from '../qemu-oracle.js';
import { NO_QEMU } from './qemu.js';

const SZ_4K = 0x1000;
const examples = new URL('../../../examples/', import.meta.url);

/** A shipped scenario as the CLI reads it: a board named by file is read relative to the scenario. */
function shipped(name: string): unknown {
  const value = parseScenarioText(readFileSync(new URL(`scenarios/${name}`, examples), 'utf8')) as Record<string, unknown>;
  const board = value['board'];
  if (typeof board === 'string' && board.endsWith('.json')) value['board'] = JSON.parse(readFileSync(new URL(board, new URL('scenarios/', examples)), 'utf8'));
  return value;
}

/** A TTBR split in both formats: one space below the split (TTBR0), one above (TTBR1), on a short and an LPAE context. */
const SPLIT_SCENARIO = {
  name: 'split',
  board: 'msm8x60',
  buffers: [
    { name: 'low', memtype: 1, bytes: '2M' },
    { name: 'pages', memtype: 2, bytes: '300K' },
    { name: 'frame', memtype: 1, bytes: '16M' },
  ],
  spaces: [
    { name: 'lo', start: '0x1000_0000', len: '64M', devices: ['rot_src', 'mdp1_port0'], split: 1, base: 'low' },
    { name: 'hi', start: '0x9000_0000', len: '64M', devices: ['rot_src', 'mdp1_port0'], split: 1, base: 'high' },
  ],
  mappings: [
    { buffer: 'low', space: 'lo' },
    { buffer: 'pages', space: 'hi', cache: 'wb-wa' },
    { buffer: 'frame', space: 'hi', align: '16M', access: ['read'] },
  ],
  traffic: [],
};

/** The physical address of byte `offset` of a buffer instance: its chunks, in order, as the runner reports them. */
function runnerPa(report: ScenarioReport, buffer: string, instance: number, offset: number): number {
  const b = report.buffers.find((x) => x.name === buffer && x.instance === instance)!;
  let at = offset;
  for (const c of b.chunks) {
    if (at < c.len) return c.pa + at;
    at -= c.len;
  }
  throw new Error(`${buffer}#${instance}: offset ${offset} is past its chunks`);
}

interface Check {
  readonly va: number;
  readonly pa: number;
  readonly what: string;
  /** LPAE: the MAIR byte and SH the dump states for the leaf. */
  readonly attr?: number;
  readonly sh?: number;
}

/** Every 4 KiB page of every reservation the device sees (at an offset that moves inside the page), with the runner's address. */
function reservationChecks(report: ScenarioReport, setUp: ScenarioSetUp, d: PageTableDump): Check[] {
  const out: Check[] = [];
  const sorted = [...d.ranges].sort((a, b) => a.va - b.va);
  for (const s of setUp.spaces) {
    if (!s.devices.includes(d.device)) continue;
    for (const r of s.reservations) {
      for (let off = 0; off < r.len; off += SZ_4K) {
        const inPage = ((off / SZ_4K) * 0x124) & 0xffc;
        const va = r.devAddr + off + inPage;
        const range = sorted.find((x) => va >= x.va && va < x.va + x.size);
        const a = range?.attributes;
        const lpae = d.format === 'armLpae4k' && a !== undefined && a.mair !== null;
        out.push({
          va,
          pa: runnerPa(report, r.buffer, r.instance, off + inPage),
          what: `${r.buffer}#${r.instance} (${s.name}) +${hex(off + inPage)}`,
          ...(lpae ? { attr: a.mair, sh: a.shareability === 'inner' ? 0b11 : 0b10 } : {}),
        });
      }
    }
  }
  return out;
}

interface DeviceRun {
  readonly manifest: PageTableManifest;
  readonly images: { pa: number; bytes: Uint8Array }[];
  /** Per regime of the manifest: the checks in its range. */
  readonly jobs: { regime: PageTableManifest['regimes'][number]; checks: Check[] }[];
}

/**
 * Set the scenario up, dump each device as `dump --format bin` does, and
 * translate in one QEMU run: per device and regime, the reservation pages
 * and the manifest's own verification plan. Returns the disagreements.
 */
async function checkScenario(value: unknown, targets: readonly DumpTarget[]): Promise<{ translations: number; pages: number; leaves: number; attributes: number; problems: string[] }> {
  let setUp: ScenarioSetUp | undefined;
  const report = runScenario(validateScenario(value), { traffic: false, onSetUp: (s) => (setUp = s) });
  const runs: DeviceRun[] = targets.map((target) => {
    const d = dumpPageTables(setUp!, target);
    const bin = binImages(d, { board: report.board, scenario: report.scenario });
    // The manifest as the file holds it.
    const manifest = parseManifest(JSON.parse(manifestJson(bin.manifest)));
    const images = manifest.images.map((im, i) => ({ pa: im.pa, bytes: bin.images[i]!.bytes }));
    const pages = reservationChecks(report, setUp!, d);
    const plan = verificationPlan(manifest);
    const jobs = manifest.regimes.map((regime) => ({
      regime,
      checks: [
        ...pages.filter((c) => c.va >= regime.start && c.va < regime.end),
        ...(plan.find((p) => p.regime === regime)?.translations ?? []).map((t) => ({ va: t.va, pa: t.pa, what: `leaf ${t.leaf} of the manifest` })),
      ],
    }));
    expect(jobs.reduce((n, j) => n + j.checks.length, 0)).toBeGreaterThan(0);
    return { manifest, images, jobs };
  });
  // One QEMU run: the images of every device (a table two contexts share is one image), every device's regimes as jobs.
  const images = tableRuns(runs.flatMap((r) => r.images.map((im) => ({ base: 'TTBR0' as const, level: 0, va: 0, pa: im.pa, bytes: im.bytes })))).map(({ pa, bytes }) => ({ pa, bytes }));
  const flat = runs.flatMap((r) => r.jobs.filter((j) => j.checks.length > 0).map((j) => ({ device: r.manifest.device, ...j })));
  const batch = await qemuTranslateBatch({ images, jobs: flat.map((j) => ({ ...(oracleJob(j.regime) as unknown as OracleJob), vas: j.checks.map((c) => c.va) })) });
  const problems: string[] = [];
  let translations = 0;
  let attributes = 0;
  flat.forEach((j, k) => {
    j.checks.forEach((c, i) => {
      translations++;
      const r = batch.results[k]![i]!;
      if (r.pa !== c.pa) problems.push(`${j.device} ${hex(c.va)} (${c.what}): runner ${hex(c.pa)}, QEMU ${r.pa === null ? r.fault : hex(r.pa)}`);
      else if (c.attr !== undefined) {
        attributes++;
        if (r.attr !== c.attr || r.sh !== c.sh) problems.push(`${j.device} ${hex(c.va)} (${c.what}): dump says MAIR byte ${hex(c.attr)} SH ${c.sh}, QEMU PAR.ATTR ${r.attr} PAR.SH ${r.sh}`);
      }
    });
  });
  const pages = runs.reduce((n, r) => n + r.jobs.reduce((m, j) => m + j.checks.filter((c) => !c.what.startsWith('leaf ')).length, 0), 0);
  return { translations, pages, leaves: runs.reduce((n, r) => n + r.manifest.leaves.length, 0), attributes, problems };
}

describe.skipIf(NO_QEMU)("dump --format bin images against QEMU's MMU", () => {
  it('seed 004 on MSM8x60: the short-descriptor decoder context, the LPAE display context and the CPU translate every reserved page to the runner\'s address', async () => {
    const r = await checkScenario(shipped('video-playback.yaml'), [{ kind: 'context', name: 'vcodec_a_mm1' }, { kind: 'context', name: 'mdp0_port0' }, { kind: 'cpu' }]);
    expect(r.problems.slice(0, 10)).toEqual([]);
    // The 16 MiB frame and the 128 KiB stream, seen by three devices.
    expect(r.pages).toBe(3 * (4096 + 32));
    expect(r.attributes).toBe(4096 + 32);
    expect(r.translations).toBeGreaterThan(r.pages);
  });

  it('a TTBR split in both formats (short TTBCR.N = 1, LPAE T0SZ = 1): spaces below and above it, through TTBR0 and TTBR1', async () => {
    const r = await checkScenario(SPLIT_SCENARIO, [{ kind: 'context', name: 'rot_src' }, { kind: 'context', name: 'mdp1_port0' }]);
    expect(r.problems.slice(0, 10)).toEqual([]);
    expect(r.pages).toBe(2 * (512 + 75 + 4096));
  });

  it('4K60 decode on the i.MX 8QM-like board (LPAE, 32 banks): the decoder and the display', async () => {
    const r = await checkScenario(shipped('decode-4k60.yaml'), [{ kind: 'context', name: 'vpu_dec' }, { kind: 'context', name: 'dpu_0' }]);
    expect(r.problems.slice(0, 10)).toEqual([]);
    expect(r.pages).toBeGreaterThan(2 * 4 * 3000);
    expect(r.attributes).toBe(r.pages);
  });
});
