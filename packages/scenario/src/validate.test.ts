import { VcmError } from '@vcm/core';
import { describe, expect, it } from 'vitest';
import { parseScenario, validateScenario } from './validate.js';

/** A small valid scenario; each test breaks one thing. */
function base(): Record<string, unknown> {
  return {
    name: 'base',
    board: 'msm8x60',
    buffers: [{ name: 'frame', memtype: 1, image: { format: 'NV12', width: 1920, height: 1080 } }],
    spaces: [{ name: 'dev', start: '0x1000_0000', len: '64M', devices: ['mdp0_port0'] }],
    mappings: [{ buffer: 'frame', space: 'dev' }],
    traffic: [{ device: 'mdp0_port0', buffers: ['frame'], access: 'read' }],
    expect: [{ name: 'few misses', kind: 'misses', device: 'mdp0_port0', atMost: 100 }],
  };
}

function refusal(input: unknown): VcmError {
  try {
    if (typeof input === 'string') parseScenario(input);
    else validateScenario(input);
  } catch (e) {
    if (e instanceof VcmError) return e;
    throw e;
  }
  throw new Error('the scenario was accepted');
}

describe('validateScenario', () => {
  it('accepts a valid scenario and sizes its buffers from the image format', () => {
    const checked = validateScenario(base());
    expect(checked.board.name).toBe('msm8x60');
    expect(checked.buffers[0]).toMatchObject({ bytes: 3_110_400, allocBytes: 3_112_960, stride: 1920, memtype: 1 });
    expect(checked.scenario.spaces[0]).toMatchObject({ start: 0x1000_0000, len: 64 * 2 ** 20, kind: 'device' });
  });

  it('never changes its input', () => {
    const input = base();
    const copy = structuredClone(input);
    validateScenario(input);
    expect(input).toEqual(copy);
  });

  it('an unknown device: EINVAL with the path and the closest name', () => {
    const s = base();
    (s['traffic'] as Record<string, unknown>[])[0]!['device'] = 'mdp0_prot0';
    const e = refusal(s);
    expect(e.code).toBe('EINVAL');
    expect(e.details['path']).toBe('traffic[0].device');
    expect(e.message).toMatch(/^EINVAL: traffic\[0\]\.device: "mdp0_prot0" is not a device of board "msm8x60"; did you mean "mdp0_port0"/);
  });

  it('an unknown device in a space', () => {
    const s = base();
    (s['spaces'] as Record<string, unknown>[])[0]!['devices'] = ['vcodec_a_mm9'];
    const e = refusal(s);
    expect(e.details['path']).toBe('spaces[0].devices[0]');
    expect(e.message).toContain('did you mean "vcodec_a_mm1"');
  });

  it('a buffer larger than its memtype can hold', () => {
    const s = base();
    (s['buffers'] as Record<string, unknown>[])[0] = { name: 'frame', memtype: 1, bytes: '64M' };
    const e = refusal(s);
    expect(e.details['path']).toBe('buffers[0].bytes');
    expect(e.message).toMatch(/is larger than memtype VCM_MEMTYPE_0 can hold.*allowed: at most 33554432 bytes/);
  });

  it('overlapping fixed reservations', () => {
    const s = base();
    (s['buffers'] as unknown[]).push({ name: 'other', bytes: '1M' });
    s['mappings'] = [
      { buffer: 'frame', space: 'dev', at: 'start' },
      { buffer: 'other', space: 'dev', at: 'start' },
    ];
    const e = refusal(s);
    expect(e.details['path']).toBe('mappings[1].at');
    expect(e.message).toContain('overlaps the fixed reservation of mappings[0] at the start of space "dev"');
    expect(e.message).toContain('omit "at"');
  });

  it('an unknown pattern, as a name and as a kind', () => {
    const s = base();
    (s['traffic'] as Record<string, unknown>[])[0]!['pattern'] = 'rotatd';
    const e = refusal(s);
    expect(e.details['path']).toBe('traffic[0].pattern');
    expect(e.message).toContain('did you mean "rotated"');
    (s['traffic'] as Record<string, unknown>[])[0]!['pattern'] = { kind: 'tile', width: 64, height: 8 };
    const k = refusal(s);
    expect(k.details['path']).toBe('traffic[0].pattern.kind');
    expect(k.message).toContain('did you mean "tiles"');
  });

  it('a sweep over an unknown field', () => {
    const s = base();
    s['sweep'] = { axes: [{ field: 'board.smmus[mdp0].tlb.entires', values: [8, 16] }] };
    const e = refusal(s);
    expect(e.details['path']).toBe('sweep.axes[0].field');
    expect(e.message).toContain('"entires" is not a key there; did you mean "entries"');
    s['sweep'] = { axes: [{ field: 'board.smmus[mdp9].tlb.entries', values: [8] }] };
    expect(refusal(s).message).toContain('no entry is named "mdp9"; did you mean "mdp0" or "mdp1"');
  });

  it('a sweep expands to validated points and refuses more than its max', () => {
    const s = base();
    s['sweep'] = { axes: [{ field: 'board.smmus[mdp0].tlb.entries', values: [8, 16, 32] }, { field: 'buffers[frame].count', values: [1, 2] }] };
    const checked = validateScenario(s);
    expect(checked.points.map((p) => p.values)).toEqual([
      { 'board.smmus[mdp0].tlb.entries': 8, 'buffers[frame].count': 1 },
      { 'board.smmus[mdp0].tlb.entries': 8, 'buffers[frame].count': 2 },
      { 'board.smmus[mdp0].tlb.entries': 16, 'buffers[frame].count': 1 },
      { 'board.smmus[mdp0].tlb.entries': 16, 'buffers[frame].count': 2 },
      { 'board.smmus[mdp0].tlb.entries': 32, 'buffers[frame].count': 1 },
      { 'board.smmus[mdp0].tlb.entries': 32, 'buffers[frame].count': 2 },
    ]);
    expect(checked.points[2]!.scenario.board.smmus.find((x) => x.name === 'mdp0')!.tlb.entries).toBe(16);
    s['sweep'] = { axes: [{ field: 'buffers[frame].count', values: [1, 2, 3] }], max: 2 };
    expect(refusal(s).details['path']).toBe('sweep.axes');
  });

  it('a YAML syntax error names its line and column', () => {
    const e = refusal('name: x\nboard: msm8x60\nbuffers: [\n  { name: a, bytes: 4K\n');
    expect(e.code).toBe('EINVAL');
    expect(e.message).toMatch(/^EINVAL: \(scenario\): line \d+, column \d+: not valid YAML or JSON/);
    expect(e.details['line']).toBeTypeOf('number');
  });

  it('an unknown key suggests the closest key', () => {
    const s = base();
    (s['buffers'] as Record<string, unknown>[])[0]!['cont'] = true;
    const e = refusal(s);
    expect(e.details['path']).toBe('buffers[0].cont');
    expect(e.message).toContain('is not a key here; did you mean "count"');
  });

  it('a bad inline board is reported at its path under board', () => {
    const s = base();
    s['board'] = { name: 'x' };
    const e = refusal(s);
    expect(String(e.details['path'])).toMatch(/^board/);
  });

  it('an unknown preset suggests the closest', () => {
    const s = base();
    s['board'] = 'msm8x61';
    const e = refusal(s);
    expect(e.details['path']).toBe('board');
    expect(e.message).toContain('did you mean "msm8x60"');
  });

  it('refuses a missing required field, an out-of-range number and a wrong type', () => {
    const s = base();
    delete s['name'];
    expect(refusal(s).message).toMatch(/^EINVAL: name: missing \(required: a string/);
    const t = base();
    (t['buffers'] as Record<string, unknown>[])[0]!['count'] = 0;
    expect(refusal(t).message).toMatch(/^EINVAL: buffers\[0\]\.count: 0 is out of range \(allowed: at least 1\)/);
    const u = base();
    (u['traffic'] as Record<string, unknown>[])[0]!['burst'] = 'big';
    expect(refusal(u).details['path']).toBe('traffic[0].burst');
  });

  it('refuses traffic on a buffer the device does not map', () => {
    const s = base();
    (s['traffic'] as Record<string, unknown>[])[0]!['device'] = 'vcodec_a_mm1';
    const e = refusal(s);
    expect(e.details['path']).toBe('traffic[0].buffers[0]');
    expect(e.message).toContain('is not mapped in any space associated with device "vcodec_a_mm1"');
  });
  it('a write derived from a buffer the device did not read before: the path, and what would be right', () => {
    const s = base();
    s['buffers'] = [...(s['buffers'] as unknown[]), { name: 'out', bytes: '1M' }];
    s['mappings'] = [...(s['mappings'] as unknown[]), { buffer: 'out', space: 'dev' }];
    s['traffic'] = [{ device: 'mdp0_port0', buffers: ['out'], access: 'write', data: { from: 'frame' } }];
    expect(refusal(s).message).toMatch(/traffic\[0\]\.data\.from: "frame" is not read with data by device "mdp0_port0" in an earlier traffic entry/);
    s['traffic'] = [{ device: 'mdp0_port0', buffers: ['out'], access: 'write', data: { from: 'fram' } }];
    expect(refusal(s).message).toMatch(/traffic\[0\]\.data\.from: "fram" is not a buffer of the scenario; did you mean "frame"/);
    s['traffic'] = [{ device: 'mdp0_port0', buffers: ['out'], access: 'read', data: { seed: 3 } }];
    expect(refusal(s).details['path']).toBe('traffic[0].data.seed');
    s['traffic'] = [
      { device: 'mdp0_port0', buffers: ['frame'], access: 'read', data: true },
      { device: 'mdp0_port0', buffers: ['out'], access: 'write', data: { from: 'frame', seed: 3 } },
    ];
    expect(refusal(s).message).toMatch(/traffic\[1\]\.data\.seed: 3 fills bytes that "from" derives/);
    s['traffic'] = [
      { device: 'mdp0_port0', buffers: ['frame'], access: 'read', data: true },
      { device: 'mdp0_port0', buffers: ['out'], access: 'write', data: { from: 'frame' } },
    ];
    expect(validateScenario(s).scenario.traffic[1]!.data).toEqual({ from: 'frame' });
  });
});
