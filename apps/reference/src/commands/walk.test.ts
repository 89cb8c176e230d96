/** `vcm-ref walk` on the built CLI: the per-level trace as text and JSON, a fault, bad addresses. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const playback = fileURLToPath(new URL('../../../../examples/scenarios/video-playback.yaml', import.meta.url));

function run(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['FORCE_COLOR'];
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vcm-ref walk', () => {
  it('text: each level (entry, its table and index, descriptor, meaning), then the physical address, attributes and buffer', () => {
    // The stream sits at 0x1_0000 in vcm_out, in 64 KiB large pages of the short format.
    const r = run(['walk', playback, '--ctx', 'vcodec_a_mm1', '0x1_2345']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toBe('  through TTBR0');
    expect(lines[2]).toMatch(/^ {2}level 1 {2}entry 0x6300_4000 \(table 0x6300_4000 \[0\]\) {2}descriptor 0x[0-9a-f_]+$/);
    expect(lines[3]).toMatch(/table descriptor: the level-2 table at 0x[0-9a-f_]+$/);
    expect(lines[4]).toMatch(/^ {2}level 2 {2}entry 0x[0-9a-f_]+ \(table 0x[0-9a-f_]+ \[18\]\)/);
    expect(lines[5]).toMatch(/leaf: 64 KiB large page at 0x0001_0000 → 0x3980_0000$/);
    expect(lines[6]).toBe('  → 0x3980_2345  (a 64 KiB leaf at level 2: 0x0001_0000 → 0x3980_0000)');
    expect(lines[7]).toBe('    RW- user NS uncached S nG  stream#0 (vcm_out)');
  });

  it('--json: the same walk as data; an unmapped address is a fault, exit 0', () => {
    const r = run(['walk', playback, '--ctx', 'mdp0_port0', '0x7000_0000', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const w = JSON.parse(r.stdout) as { va: string; pa: null; steps: { level: number; meaning: string }[]; fault: { kind: string; level: number; why: string } };
    expect(w.va).toBe('0x7000_0000');
    expect(w.pa).toBeNull();
    expect(w.steps).toEqual([expect.objectContaining({ level: 1, meaning: 'invalid (a translation fault)' })]);
    expect(w.fault).toMatchObject({ kind: 'translation', level: 1, why: 'no valid descriptor at level 1' });
  });

  it('the CPU through TTBR1 above PAGE_OFFSET: the linear map\'s section', () => {
    const r = run(['walk', playback, '--cpu', '0xc012_3456']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/through TTBR1/);
    expect(r.stdout).toMatch(/leaf: 1 MiB section at 0xc010_0000 → 0x4010_0000/);
    expect(r.stdout).toMatch(/→ 0x4012_3456 .*\n {4}RWX priv NS wb-wa S G {2}linear map/);
  });

  for (const [what, va] of [
    ['negative', '-1'],
    ['past 32 bits', '0x1_0000_0000'],
    ['not a number', 'frame'],
    ['fractional', '4096.5'],
  ] as const) {
    it(`a ${what} address: exit 2 naming the allowed range`, () => {
      const r = run(['walk', playback, '--cpu', '--', va]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/<va>: .* is not a 32-bit input address \(allowed: 0 \.\. 0xffff_ffff/);
      expect(r.stdout).toBe('');
    });
  }
});
