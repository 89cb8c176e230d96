/**
 * `vcm-ref run <scenario>` as users meet it: the built CLI (`dist/`, which
 * the package's `test` script builds first) on every shipped scenario and on
 * bad ones.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { msm8x60Board } from '@vcm/devtree';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const scenarios = fileURLToPath(new URL('../../../../examples/scenarios/', import.meta.url));

function run(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['FORCE_COLOR'];
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const shipped = readdirSync(scenarios).filter((f) => /\.(ya?ml|json)$/.test(f));

describe('vcm-ref run on the shipped scenarios', () => {
  it('ships the seed-004 flow, the TLB study, the camera and 4K pipelines, the performance study, and scenarios on the other board files', () => {
    expect(shipped).toEqual(expect.arrayContaining(['video-playback.yaml', 'tlb-study.yaml', 'camera-1080p30.yaml', 'decode-4k60.yaml', 'small-dma-split.yaml', 'perf-study.yaml']));
  });

  for (const file of shipped) {
    it(`${file}: exit 0, and --json prints only JSON`, () => {
      const text = run(['run', join(scenarios, file)]);
      expect(text.status, text.stderr).toBe(0);
      expect(text.stdout).toContain('Every expectation held.');
      const json = run(['run', join(scenarios, file), '--json']);
      expect(json.status, json.stderr).toBe(0);
      const report = JSON.parse(json.stdout) as { ok: boolean };
      expect(report.ok).toBe(true);
    });
  }
});

describe('vcm-ref run: sweep points on worker threads', () => {
  it('tlb-study.yaml on 2 threads prints exactly what the serial run prints', () => {
    const file = join(scenarios, 'tlb-study.yaml');
    const serial = run(['run', file, '--json', '--jobs', '1']);
    const threads = run(['run', file, '--json', '--jobs', '2']);
    expect(serial.status, serial.stderr).toBe(0);
    expect(threads.status, threads.stderr).toBe(0);
    expect(threads.stdout).toBe(serial.stdout);
    expect((JSON.parse(threads.stdout) as { points: unknown[] }).points).toHaveLength(20);
  });

  it('a point the platform refuses is exit 2 with the same message on threads as serially, nothing on stdout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vcm-sweep-'));
    const file = join(dir, 'dry.yaml');
    // Each buffer fits memtype 1 alone (32 MiB of blocks); with b twice, the three 16 MiB buffers do not.
    writeFileSync(
      file,
      [
        'name: dry',
        'board: msm8x60',
        'buffers: [{ name: a, bytes: 16M }, { name: b, bytes: 16M }]',
        'sweep: { axes: [{ field: "buffers[b].count", values: [1, 2] }] }',
      ].join('\n'),
    );
    const serial = run(['run', file, '--jobs', '1']);
    const threads = run(['run', file, '--jobs', '2']);
    for (const r of [serial, threads]) {
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/scenario dry: buffers\[1\]: "b" was refused by the platform: ENOMEM/);
    }
    expect(threads.stderr).toBe(serial.stderr);
  });

  it('--jobs that is not a number of threads is exit 2', () => {
    for (const bad of ['0', '-1', 'two', '1.5']) {
      const r = run(['run', join(scenarios, 'tlb-study.yaml'), '--jobs', bad]);
      expect(r.status, bad).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/--jobs .*not a number of threads/);
    }
  });
});

describe('vcm-ref run on bad scenarios: exit 2, the path and a suggestion on stderr, nothing on stdout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vcm-scenario-'));
  const good = [
    'name: bad',
    'board: msm8x60',
    'buffers: [{ name: frame, bytes: 1M }]',
    'spaces: [{ name: dev, start: 0x10000000, len: 16M, devices: [mdp0_port0] }]',
    'mappings: [{ buffer: frame, space: dev }]',
    'traffic: [{ device: mdp0_port0, buffers: [frame], access: read }]',
  ];
  const cases: readonly (readonly [string, string, RegExp])[] = [
    ['unknown device', good.join('\n').replace('device: mdp0_port0', 'device: mdp0_prot0'), /traffic\[0\]\.device: "mdp0_prot0".*did you mean "mdp0_port0"/],
    ['buffer larger than its memtype', good.join('\n').replace('bytes: 1M', 'bytes: 64M').replace('len: 16M', 'len: 128M'), /buffers\[0\]\.bytes: .*larger than memtype VCM_MEMTYPE_0 can hold/],
    ['overlapping fixed reservations', [...good.slice(0, 2), 'buffers: [{ name: frame, bytes: 1M }, { name: b, bytes: 1M }]', good[3], 'mappings: [{ buffer: frame, space: dev, at: start }, { buffer: b, space: dev, at: start }]', good[5]].join('\n'), /mappings\[1\]\.at: "start" overlaps the fixed reservation of mappings\[0\].*omit "at"/],
    ['unknown pattern', good.join('\n').replace('access: read }', 'access: read, pattern: rotatd }'), /traffic\[0\]\.pattern: "rotatd".*did you mean "rotated"/],
    ['sweep over an unknown field', `${good.join('\n')}\nsweep: { axes: [{ field: "board.smmus[mdp0].tlb.entires", values: [8] }] }`, /sweep\.axes\[0\]\.field: .*did you mean "entries"/],
    ['sweep over an unknown cache field', `${good.join('\n')}\nsweep: { axes: [{ field: "board.smmus[mdp0].caches.walkCache.enable", values: [true] }] }`, /sweep\.axes\[0\]\.field: .*"enable" is not a key there; did you mean "enabled"/],
    ['deadline of an untimed SMMU', `${good.join('\n').replace('access: read }', 'access: read, fps: 60 }')}\nexpect: [{ name: d, kind: deadline, device: mdp0_port0 }]`, /expect\[0\]\.device: "mdp0_port0" is a context of SMMU "mdp0", which has no clock/],
    ['YAML syntax error', `${good.join('\n')}\nexpect: [ { name: x`, /\(scenario\): line \d+, column \d+: not valid YAML or JSON/],
  ];
  for (const [what, text, message] of cases) {
    it(what, () => {
      const file = join(dir, `${what.replaceAll(' ', '-')}.yaml`);
      writeFileSync(file, text);
      for (const args of [['run', file], ['run', file, '--json']]) {
        const r = run(args);
        expect(r.status).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(message);
      }
    });
  }

  it('a missed deadline is exit 1, with the timing table and the chart saying by how much', () => {
    const file = join(dir, 'late.yaml');
    // The MMU-600's caches at 1 MHz: a 1 MiB frame of bursts cannot move in 1/60 s; at 800 MHz it can.
    const board = msm8x60Board();
    const timedBoard = { ...board, smmus: board.smmus.map((m) => (m.name === 'mdp0' ? { ...m, model: 'mmu-600' as const } : m)) };
    const timed = good.join('\n').replace('access: read }', 'access: read, burst: 256, fps: 60 }').replace('board: msm8x60', `board: ${JSON.stringify(timedBoard)}`);
    writeFileSync(file, `${timed}\nexpect: [{ name: in time, kind: deadline, device: mdp0_port0 }]\nsweep: { axes: [{ field: "board.smmus[mdp0].caches.timing.clockMHz", values: [1, 800] }] }`);
    const r = run(['run', file]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/Slowest frame in ms \(walk reads, deadline\)/);
    expect(r.stdout).toMatch(/\n {2}1 +[\d.]+ \(\d+, missed\)/);
    expect(r.stdout).toMatch(/\n {2}800 +[\d.]+ \(\d+, met\)/);
    expect(r.stdout).toMatch(/clockMHz=1 +[\d.]+ █+│█/);
    expect(r.stdout).toMatch(/│ the frame deadline: 16\.667 ms/);
    const json = JSON.parse(run(['run', file, '--json']).stdout) as { points: { ok: boolean; devices: { timing: { frame: { deadlineMet: boolean } } }[] }[] };
    expect(json.points.map((p) => [p.ok, p.devices[0]!.timing.frame.deadlineMet])).toEqual([[false, false], [true, true]]);
  });

  it('a timed run prints the timing, the caches per device and per SMMU, and the PMCG events', () => {
    const file = join(dir, 'timed.yaml');
    const board = msm8x60Board();
    const timedBoard = { ...board, smmus: board.smmus.map((m) => (m.name === 'mdp0' ? { ...m, model: 'mmu-500' as const } : m)) };
    writeFileSync(file, good.join('\n').replace('access: read }', 'access: read, burst: 256, fps: 60 }').replace('board: msm8x60', `board: ${JSON.stringify(timedBoard)}`));
    const r = run(['run', file]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Timing on clocked SMMUs/);
    // 1 MiB in 256-byte bursts: 4096 transactions in one frame, well inside 1/60 s.
    expect(r.stdout).toMatch(/mdp0_port0 +500 +\d+ +\d+ +\d+ +\d+ +1 +[\d.]+ +16\.667 +[\d.]+ +[\d.]+ +met/);
    expect(r.stdout).toMatch(/Translation time of mdp0_port0's accesses/);
    expect(r.stdout).toMatch(/Translation caches per SMMU, all traffic/);
    expect(r.stdout).toMatch(/mdp0 +mmu-500 +500 /);
    expect(r.stdout).toMatch(/PMCG events per SMMU and per context/);
    expect(r.stdout).toMatch(/ {2}mdp0_port0 +\d+ +4096 +\d+ +0 +\d+ +0/);
  });

  it('an expectation that fails is exit 1 with the report', () => {
    const file = join(dir, 'failing.yaml');
    writeFileSync(file, `${good.join('\n')}\nexpect: [{ name: none at all, kind: misses, device: mdp0_port0, atMost: 0 }]`);
    const r = run(['run', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/✗ none at all: \d+ \(expected ≤ 0\)/);
  });
});
