import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deriveBytes, fillBytes, fnv1a } from './data.js';
import { runScenario, runSweep, runSweepPoint, sweepReport } from './runner.js';
import { parseScenario, validateScenario } from './validate.js';

const SZ_1M = 2 ** 20;

function frameScenario(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'frame',
    board: 'msm8x60',
    buffers: [{ name: 'frame', bytes: '16M' }],
    spaces: [{ name: 'dev', start: '0x1000_0000', len: '32M', devices: ['mdp0_port0', 'vcodec_a_mm1'] }],
    mappings: [{ buffer: 'frame', space: 'dev', align: '16M' }],
    traffic: [
      { device: 'vcodec_a_mm1', buffers: ['frame'], access: 'write', burst: 256 },
      { device: 'mdp0_port0', buffers: ['frame'], access: 'read', burst: 256 },
    ],
    ...extra,
  };
}

describe('runScenario', () => {
  it('streams a 16 MiB block: one supersection miss (short format), eight 2 MiB-block misses (LPAE)', () => {
    const r = runScenario(validateScenario(frameScenario()));
    const dec = r.devices.find((d) => d.name === 'vcodec_a_mm1')!;
    const mdp = r.devices.find((d) => d.name === 'mdp0_port0')!;
    expect(dec).toMatchObject({ kind: 'context', smmu: 'vcodec_a', accesses: 65536, misses: 1, walks: 1, faults: 0 });
    expect(mdp).toMatchObject({ kind: 'context', smmu: 'mdp0', accesses: 65536, misses: 8, walks: 8 });
    expect(r.buffers[0]!.chunks).toEqual([{ pa: 0x3800_0000, len: 16 * SZ_1M }]);
    expect(r.spaces[0]!.reservations[0]!.devAddr % (16 * SZ_1M)).toBe(0);
    expect(r.spaces[0]!.pageTableBytes).toBeGreaterThan(0);
    expect(r.pools.block.find((p) => p.name === 'smi-16m')).toMatchObject({ inUse: 1, free: 0 });
    expect(r.ok).toBe(true);
  });

  it('is deterministic: the same scenario gives the same report', () => {
    const s = frameScenario({ traffic: [{ device: 'mdp0_port0', buffers: ['frame'], access: 'read', pattern: { kind: 'random', accesses: 2000 } }] });
    expect(runScenario(validateScenario(s))).toEqual(runScenario(validateScenario(s)));
  });

  it('an expectation that does not hold makes the run fail and says by how much', () => {
    const r = runScenario(validateScenario(frameScenario({ expect: [{ name: 'tight', kind: 'misses', device: 'mdp0_port0', atMost: 7 }] })));
    expect(r.ok).toBe(false);
    expect(r.expectations).toEqual([{ name: 'tight', kind: 'misses', ok: false, expected: '≤ 7', actual: '8' }]);
  });

  it('a write through a read-only mapping is a fault the report records', () => {
    const s = frameScenario({
      mappings: [{ buffer: 'frame', space: 'dev', access: ['read'] }],
      expect: [{ name: 'clean', kind: 'no-fault' }],
    });
    const r = runScenario(validateScenario(s));
    expect(r.faults.length).toBe(1);
    expect(r.faults[0]).toMatchObject({ device: 'vcodec_a_mm1', buffer: 'frame', frame: 0 });
    expect(r.faults[0]!.message).toMatch(/^EFAULT/);
    expect(r.expectations[0]!.ok).toBe(false);
  });

  it('buffers in flight: frame f uses instance f mod count, at its own device address', () => {
    const s = {
      name: 'flight',
      board: 'msm8x60',
      buffers: [{ name: 'b', bytes: '1M', count: 3, pages: ['1M'] }],
      spaces: [{ name: 'dev', start: '0x1000_0000', len: '16M', devices: ['vcodec_a_mm1'] }],
      mappings: [{ buffer: 'b', space: 'dev' }],
      traffic: [{ device: 'vcodec_a_mm1', buffers: ['b'], access: 'write', frames: 6, fps: 60, data: true }],
    };
    const r = runScenario(validateScenario(s));
    expect(r.checksums.map((c) => c.instance)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(new Set(r.spaces[0]!.reservations.map((x) => x.devAddr)).size).toBe(3);
    expect(r.simulatedSeconds).toBeCloseTo(6 / 60, 10);
    // Three 1 MiB sections, each missed once per frame that uses it (3 sections fit the 32-entry TLB: later frames hit).
    expect(r.devices[0]).toMatchObject({ misses: 3, walks: 3 });
  });

  it('data sources: a write of a given seed, a read of it, and a write derived from the bytes read', () => {
    const s = {
      name: 'data',
      board: 'msm8x60',
      interleave: 'in-turn',
      buffers: [{ name: 'in', bytes: '64K', pages: ['64K'] }, { name: 'out', bytes: '1M' }],
      spaces: [{ name: 'dev', start: '0x1000_0000', len: '16M', devices: ['vcodec_a_mm1', 'mdp0_port0'] }],
      mappings: [{ buffer: 'in', space: 'dev' }, { buffer: 'out', space: 'dev' }],
      traffic: [
        { device: 'mdp0_port0', buffers: ['in'], access: 'write', data: { seed: 7 } },
        { device: 'vcodec_a_mm1', buffers: ['in'], access: 'read', data: true },
        { device: 'vcodec_a_mm1', buffers: ['out'], access: 'write', data: { from: 'in' } },
        { device: 'mdp0_port0', buffers: ['out'], access: 'read', data: true },
      ],
    };
    const r = runScenario(validateScenario(s));
    const written = fillBytes(64 * 1024, 7);
    const derived = deriveBytes(written, 2 ** 20);
    expect(r.checksums.map((c) => [c.device, c.buffer, c.access, c.fnv1a])).toEqual([
      ['mdp0_port0', 'in', 'write', fnv1a(written)],
      ['vcodec_a_mm1', 'in', 'read', fnv1a(written)],
      ['vcodec_a_mm1', 'out', 'write', fnv1a(derived)],
      ['mdp0_port0', 'out', 'read', fnv1a(derived)],
    ]);
  });

  it('runs the shipped seed-004 scenario: walk-through addresses, equal bytes at every hop', () => {
    const text = readFileSync(new URL('../../../examples/scenarios/video-playback.yaml', import.meta.url), 'utf8');
    const r = runScenario(parseScenario(text));
    expect(r.ok).toBe(true);
    const out = r.spaces.find((s) => s.name === 'vcm_out')!;
    expect(out.reservations.map((x) => [x.buffer, x.devAddr])).toEqual([
      ['stream', 0x1_0000],
      ['frame', 0x100_0000],
    ]);
    expect(r.buffers.find((b) => b.name === 'stream')!.chunks.every((c) => c.pa % 0x1_0000 === 0 && c.len === 0x1_0000)).toBe(true);
    const sums = r.checksums.filter((c) => c.buffer === 'frame').map((c) => c.fnv1a);
    expect(new Set(sums).size).toBe(1);
  });
});

describe('runSweep', () => {
  it('rotated scan-out of 1 MiB sections: a bigger LRU TLB never misses more, and 16 entries hold all 16 sections', () => {
    const s = {
      name: 'sweep',
      board: 'msm8x60',
      buffers: [{ name: 'frame', bytes: '16M', pages: ['1M'], memtype: 3 }],
      spaces: [{ name: 'dev', start: '0x1000_0000', len: '32M', devices: ['vcodec_a_mm1'] }],
      mappings: [{ buffer: 'frame', space: 'dev' }],
      traffic: [{ device: 'vcodec_a_mm1', buffers: ['frame'], access: 'read', pattern: { kind: 'rotated', strip: 1024 }, row: 8192, burst: 256 }],
      sweep: { axes: [{ field: 'board.smmus[vcodec_a].tlb.entries', values: [8, 16, 32] }] },
    };
    // 16 MiB in 1 MiB blocks needs 16 of them: memtype 3 (EBI) has 8, so this board cannot hold it.
    expect(() => validateScenario(s)).toThrow(/larger than memtype/);
    s.buffers[0]!.bytes = '8M';
    const r = runSweep(validateScenario(s));
    const misses = r.points.map((p) => p.devices[0]!.misses);
    expect(r.points.map((p) => p.values['board.smmus[vcodec_a].tlb.entries'])).toEqual([8, 16, 32]);
    // 8 sections, 8 strips: with 8+ entries every section stays, so only the first strip misses.
    expect(misses).toEqual([8, 8, 8]);
  });

  it('points are independent: run one by one in reverse order, they make the same report as runSweep', () => {
    const checked = validateScenario({
      name: 'points',
      board: 'msm8x60',
      // Off a 64 KiB boundary, so the driver maps 4 KiB pages: 1024 leaves for the random reads to miss.
      buffers: [{ name: 'frame', bytes: '4M', pages: ['64K', '4K'] }],
      spaces: [{ name: 'dev', start: '0x1000_1000', len: '16M', devices: ['vcodec_a_mm1'] }],
      mappings: [{ buffer: 'frame', space: 'dev', at: 'start' }],
      traffic: [{ device: 'vcodec_a_mm1', buffers: ['frame'], access: 'read', pattern: { kind: 'random', accesses: 3000 }, burst: 256 }],
      sweep: { axes: [{ field: 'board.smmus[vcodec_a].tlb.entries', values: [64, 256, 1024] }, { field: 'board.smmus[vcodec_a].tlb.policy', values: ['lru', 'fifo'] }] },
    });
    const serial = runSweep(checked);
    const rows = [5, 4, 3, 2, 1, 0].map((i) => ({ i, row: runSweepPoint(checked, i) })).sort((a, b) => a.i - b.i).map((x) => x.row);
    expect(sweepReport(checked, rows)).toEqual(serial);
    expect(new Set(serial.points.map((p) => p.devices[0]!.misses)).size).toBeGreaterThan(1);
  });

  it('runSweepPoint and sweepReport refuse what is not a point or not one row per point (EINVAL)', () => {
    const plain = validateScenario(frameScenario());
    expect(() => runSweepPoint(plain, 0)).toThrow(/runSweepPoint: scenario "frame" has no sweep/);
    const checked = validateScenario(frameScenario({ sweep: { axes: [{ field: 'board.smmus[mdp0].tlb.entries', values: [8, 16] }] } }));
    for (const bad of [-1, 2, 0.5, Number.NaN]) expect(() => runSweepPoint(checked, bad)).toThrow(/index must be an integer from 0 to 1/);
    expect(() => sweepReport(checked, [runSweepPoint(checked, 0)])).toThrow(/one row per point \(2\), got 1/);
  });
});
