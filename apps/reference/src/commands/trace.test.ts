/** `vcm-ref trace` on the built CLI: DRAMSys .stl and CSV, one line per access `vcm-ref run` counts, transfers of real bytes. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

function run(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['FORCE_COLOR'];
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'vcm-trace-'));
const scenario = join(dir, 'small.yaml');
writeFileSync(
  scenario,
  [
    'name: small',
    'board: msm8x60',
    'buffers: [{ name: frame, memtype: 3, bytes: 512K }]',
    'spaces: [{ name: dev, start: 0x1000_0000, len: 16M, devices: [rot_src, mdp0_port0] }]',
    'mappings: [{ buffer: frame, space: dev }]',
    'traffic:',
    '  - { device: rot_src, buffers: [frame], access: read, burst: 256 }',
    '  - { device: mdp0_port0, buffers: [frame], access: write, pattern: { kind: rotated, strip: 1K }, row: 8K, burst: 128 }',
  ].join('\n'),
);

describe('vcm-ref trace', () => {
  it('stl: DRAMSys syntax, one line per data access `vcm-ref run` counts plus one per walk read', () => {
    const r = run(['trace', scenario]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    for (const l of lines) expect(l).toMatch(/^\d+:\t(read|write)\t0x[0-9a-f]+$/);
    const report = JSON.parse(run(['run', scenario, '--json']).stdout) as { devices: { accesses: number; walks: number }[] };
    const accesses = report.devices.reduce((n, d) => n + d.accesses, 0);
    const m = /(\d+) accesses \((\d+) data, (\d+) table-walk reads\)/.exec(r.stderr)!;
    expect(Number(m[2])).toBe(accesses);
    expect(lines).toHaveLength(Number(m[1]));
    expect(Number(m[3])).toBeGreaterThan(0);
    // 512 KiB in 256-byte reads, then in 128-byte writes.
    expect(lines.filter((l) => l.includes('\twrite\t'))).toHaveLength(4096);
  });

  it('csv to a file: a header, the device, data or walk, and the bytes of each access', () => {
    const out = join(dir, 'trace.csv');
    const r = run(['trace', scenario, '--format', 'csv', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/accesses \(\d+ data, \d+ table-walk reads\) of scenario small, untimed written to /);
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(rows[0]).toBe('index,cycle,device,kind,access,pa,bytes');
    expect(rows[1]).toMatch(/^0,,rot_src,walk,read,0x[0-9a-f]+,4$/);
    expect(rows.filter((x) => /,rot_src,data,read,0x[0-9a-f]+,256$/.test(x))).toHaveLength(2048);
  });

  it('transfers of real bytes trace (through an SMMU, the CPU and a direct-mapped device): one data line per access `vcm-ref run` counts', () => {
    const shipped = fileURLToPath(new URL('../../../../examples/scenarios/', import.meta.url));
    // The shipped scenarios with data traffic and a trace small enough for a test (decode-4k60's is 6.5 million lines).
    expect(readdirSync(shipped)).toEqual(expect.arrayContaining(['video-playback.yaml', 'small-dma-split.yaml']));
    for (const file of ['video-playback.yaml', 'small-dma-split.yaml']) {
      const r = run(['trace', join(shipped, file), '--format', 'csv']);
      expect(r.status, `${file}: ${r.stderr}`).toBe(0);
      const rows = r.stdout.split('\n').filter((l) => l !== '' && l !== 'index,cycle,device,kind,access,pa,bytes');
      const report = JSON.parse(run(['run', join(shipped, file), '--json']).stdout) as { devices: { accesses: number }[] };
      const accesses = report.devices.reduce((n, d) => n + d.accesses, 0);
      expect(rows.filter((x) => x.split(',')[3] === 'data'), file).toHaveLength(accesses);
    }
  });

});
