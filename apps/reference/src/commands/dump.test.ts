/**
 * `vcm-ref dump` as users meet it: the built CLI (`dist/`, which the
 * package's `test` script builds first) on a shipped scenario and on a
 * board file, in each format, and on bad usage.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const playback = fileURLToPath(new URL('../../../../examples/scenarios/video-playback.yaml', import.meta.url));
const imx = fileURLToPath(new URL('../../../../examples/boards/imx8qm-like.json', import.meta.url));

function run(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['FORCE_COLOR'];
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vcm-ref dump', () => {
  it('text: registers, tables, and per base and level one line per range of equal attributes, labelled with the buffer', () => {
    const r = run(['dump', playback, '--ctx', 'mdp0_port0']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Page tables of context mdp0_port0 \(SMMU mdp0, bank 0\), armLpae4k, scenario video-playback on board msm8x60/);
    expect(r.stdout).toMatch(/^ {2}MAIR0 {7}0xee04_ff44$/m);
    expect(r.stdout).toMatch(/^ {2}TTBR0 level 1 {2}0x[0-9a-f_]+ +32 B/m);
    // The 16 MiB frame: eight 2 MiB blocks in one line; the stream: 32 pages in hinted runs.
    expect(r.stdout).toMatch(/^ {4}0x[0-9a-f_]+-0x[0-9a-f_]+ +16 MiB {2}-> 0x3800_0000-0x38ff_ffff {2}2 MiB × 8 {2}RW- user NS uncached\(AttrIndx 0 = 0x44\) outer-sh nG {2}frame#0 \(vcm_out\)$/m);
    expect(r.stdout).toMatch(/4 KiB × 32 {2}RW- user NS uncached\(AttrIndx 0 = 0x44\) outer-sh nG cont {2}stream#0 \(vcm_out\)$/m);
    expect(r.stdout).toMatch(/^10 leaves in 2 ranges\.$/m);
  });

  it('json: every table with its bytes in hex, the registers raw and decoded', () => {
    const r = run(['dump', playback, '--cpu', '--format', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as { device: string; registers: { raw: Record<string, string>; decoded: { ttbcr: { pd0: boolean } } }; tables: { pa: string; level: number; length: number; bytes: string }[]; ranges: { label: string }[] };
    expect(d.device).toBe('cpu0');
    expect(d.registers.raw['TTBR1']).toBe(d.tables[0]!.pa);
    expect(d.registers.decoded.ttbcr.pd0).toBe(true);
    expect(d.tables.map((t) => [t.level, t.length, t.bytes.length])).toEqual([
      [1, 16384, 32768],
      [2, 1024, 2048],
    ]);
    expect(d.ranges.map((x) => x.label)).toEqual(['linear map', 'frame#0 (kernel)', 'stream#0 (kernel)']);
  });

  it('bin: one image per run of tables and manifest.json with their addresses, the registers and the leaves', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vcm-dump-')), 'out');
    const r = run(['dump', playback, '--ctx', 'vcodec_a_mm1', '--format', 'bin', '--out', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`2 table image(s) (17 KiB) and manifest.json with 3 leaves written to ${dir}\n`);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { format: string; registers: Record<string, string>; images: { file: string; pa: string; bytes: number }[] };
    expect(m.format).toBe('short');
    expect(readdirSync(dir).sort()).toEqual(['manifest.json', ...m.images.map((im) => im.file)].sort());
    for (const im of m.images) expect(readFileSync(join(dir, im.file)).length).toBe(im.bytes);
    // TTBR0 holds the level-1 table's address (and walk attributes below it).
    expect(Number(m.registers['TTBR0']) & ~0x3fff).toBe(Number(m.images[0]!.pa));
  });

  it('--board alone: the fresh platform, an idle context activated on its empty table', () => {
    const r = run(['dump', '--board', imx, '--ctx', 'dpu_0']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/board imx8qm-like as built/);
    expect(r.stdout).toMatch(/^Tables \(1, 32 B\)$/m);
    expect(r.stdout).toMatch(/\(no valid leaf\)/);
  });

  const bad: readonly (readonly [string, readonly string[], RegExp])[] = [
    ['no device', ['dump', playback], /give --ctx <context name>.* or --cpu/],
    ['both devices', ['dump', playback, '--cpu', '--ctx', 'mdp0_port0'], /--ctx <name> or --cpu, not both/],
    ['no source', ['dump', '--cpu'], /give a scenario file .* or --board/],
    ['a scenario and --board', ['dump', playback, '--board', imx, '--cpu'], /not both/],
    ['a mistyped context', ['dump', playback, '--ctx', 'mdp0_prot0'], /"mdp0_prot0" is not an SMMU context of board "msm8x60"; did you mean "mdp0_port0"/],
    ['a context the scenario does not use', ['dump', playback, '--ctx', 'rot_src'], /context "rot_src" is not active: no space of the scenario associates it \(allowed: vcodec_a_mm1, mdp0_port0\)/],
    ['an unknown format', ['dump', playback, '--cpu', '--format', 'hex'], /Allowed choices are text, json, bin/],
    ['a missing scenario file', ['dump', 'nope.yaml', '--cpu'], /cannot read scenario file nope\.yaml: ENOENT/],
  ];
  for (const [what, args, message] of bad) {
    it(`${what}: exit 2, the reason on stderr, nothing on stdout`, () => {
      const r = run(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    });
  }
});
