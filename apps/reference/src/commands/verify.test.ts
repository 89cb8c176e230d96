/**
 * `vcm-ref verify` on the built CLI: a dump's images agree with QEMU's MMU
 * (exit 0), a changed descriptor does not (exit 1), and without QEMU or
 * with a bad directory the command says why (exit 2).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findQemu } from '@vcm/qemu-mmu-oracle';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const playback = fileURLToPath(new URL('../../../../examples/scenarios/video-playback.yaml', import.meta.url));
const NO_QEMU = findQemu() === null;
if (NO_QEMU && process.env['VCM_REQUIRE_QEMU'] === '1') throw new Error('vcm-ref verify tests: VCM_REQUIRE_QEMU=1 but no qemu-system-arm runs here');

function run(args: readonly string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete base['FORCE_COLOR'];
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...base, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function dump(device: readonly string[]): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'vcm-verify-')), 'tables');
  const r = run(['dump', playback, ...device, '--format', 'bin', '--out', dir]);
  expect(r.status, r.stderr).toBe(0);
  return dir;
}

describe.skipIf(NO_QEMU)('vcm-ref verify with QEMU', () => {
  it('the images of a short-format context, an LPAE context and the CPU translate every leaf as the manifest says: exit 0', () => {
    for (const device of [['--ctx', 'vcodec_a_mm1'], ['--ctx', 'mdp0_port0'], ['--cpu']]) {
      const dir = dump(device);
      const r = run(['verify', dir]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/translations through QEMU's MMU/);
      expect(r.stdout).toMatch(/Every translation gives the physical address the manifest lists\./);
    }
  });

  it('a leaf descriptor changed in the image: QEMU translates it elsewhere, exit 1 with the addresses', () => {
    const dir = dump(['--ctx', 'vcodec_a_mm1']);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { images: { file: string }[] };
    // The level-1 table: move the frame's supersection (16 identical entries) 16 MiB up, in every copy.
    const file = join(dir, m.images[0]!.file);
    const bytes = readFileSync(file);
    let moved = 0;
    for (let i = 0; i < bytes.length; i += 4) {
      const d = bytes.readUInt32LE(i);
      if ((d & 0x4_0002) === 0x4_0002) {
        bytes.writeUInt32LE((d + 0x0100_0000) >>> 0, i);
        moved++;
      }
    }
    expect(moved).toBe(16);
    writeFileSync(file, bytes);
    const r = run(['verify', dir, '--json']);
    expect(r.status, r.stderr).toBe(1);
    const v = JSON.parse(r.stdout) as { ok: boolean; mismatches: { va: string; expected: string; qemu: string }[] };
    expect(v.ok).toBe(false);
    expect(v.mismatches.length).toBe(17);
    for (const x of v.mismatches) expect(Number(x.qemu.replace(/_/g, '')) - Number(x.expected.replace(/_/g, ''))).toBe(0x0100_0000);
  });
});

describe('vcm-ref verify: exit 2 with the reason', () => {
  it('no QEMU on the machine: qemu-system-arm is needed', () => {
    const dir = dump(['--ctx', 'mdp0_port0']);
    const env: NodeJS.ProcessEnv = { PATH: '' };
    const r = run(['verify', dir], { ...env, QEMU_SYSTEM_ARM: '' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/verify needs QEMU: .*apt-get install qemu-system-arm/);
    expect(r.stdout).toBe('');
  });

  it('a directory without a manifest, and a manifest with a bad value', () => {
    const empty = mkdtempSync(join(tmpdir(), 'vcm-verify-'));
    const r = run(['verify', empty]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot read .*manifest\.json: ENOENT/);
    const dir = dump(['--ctx', 'mdp0_port0']);
    const path = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8')) as { images: { pa: string }[] };
    m.images[0]!.pa = '-0x1000';
    writeFileSync(path, JSON.stringify(m));
    const bad = run(['verify', dir]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/manifest\.json: images\[0\]\.pa: "-0x1000" \(allowed: an integer/);
    expect(bad.stdout).toBe('');
  });
});
