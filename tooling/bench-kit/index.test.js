import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { againstFloor, bestMiBPerS, pageCopyFloorMiBPerS, resultsFile, timesFloor } from './index.js';

describe('resultsFile', () => {
  it('is the ignored bench/last-run.json unless the run was asked to --record', () => {
    expect(resultsFile('/p', ['node', 'bench/index.ts'])).toBe(join('/p', 'bench', 'last-run.json'));
    expect(resultsFile('/p', ['node', 'bench/index.ts', '--record'])).toBe(join('/p', 'bench', 'results.json'));
  });
});

describe('timesFloor', () => {
  it('says how many times the floor a figure costs, for times and for rates alike', () => {
    expect(timesFloor(6.75, 0.5, 'lower')).toBe(13.5); // ns per PTE against ns per word
    expect(timesFloor(2000, 8000, 'higher')).toBe(4); // MiB/s against the floor's MiB/s
  });
});

describe('againstFloor', () => {
  it('measures the floor before and after the figures, keeps its better run and reports each figure beside its ratio', async () => {
    const calls = [];
    const floors = [2, 1.6];
    const figures = await againstFloor({
      unit: 'ns/PTE',
      better: 'lower',
      floor: { name: 'floor-ns', note: 'a typed-array loop', measure: () => (calls.push('floor'), floors.shift()) },
      figures: [
        { name: 'a-ns', measure: () => (calls.push('a'), 8), goal: { op: '<=', value: 10 }, note: 'a' },
        { name: 'b-ns', measure: async () => (calls.push('b'), 4) },
      ],
    });
    expect(calls).toEqual(['floor', 'a', 'b', 'floor']);
    expect(figures.map((f) => [f.name, f.value, f.unit])).toEqual([
      ['floor-ns', 1.6, 'ns/PTE'],
      ['a-ns', 8, 'ns/PTE'],
      ['a-ns-x-floor', 5, 'x floor'],
      ['b-ns', 4, 'ns/PTE'],
      ['b-ns-x-floor', 2.5, 'x floor'],
    ]);
    expect(figures[1].goal).toEqual({ op: '<=', value: 10 });
  });

  it('keeps the higher floor run for rates', async () => {
    const floors = [900, 1000];
    const [floor, , ratio] = await againstFloor({
      unit: 'MiB/s',
      better: 'higher',
      floor: { name: 'floor-mb-per-s', note: 'flat copies', measure: () => floors.shift() },
      figures: [{ name: 'copy-mb-per-s', measure: () => 250 }],
    });
    expect(floor.value).toBe(1000);
    expect(ratio).toMatchObject({ name: 'copy-mb-per-s-x-floor', value: 4 });
  });
});

describe('pageCopyFloorMiBPerS', () => {
  it('measures a positive rate for reads and writes and refuses sizes it cannot lay out', () => {
    expect(pageCopyFloorMiBPerS(1024 * 1024, 'read', 1)).toBeGreaterThan(0);
    expect(pageCopyFloorMiBPerS(1024 * 1024, 'write', 1)).toBeGreaterThan(0);
    expect(() => pageCopyFloorMiBPerS(4096, 'read')).toThrow(RangeError);
    expect(() => pageCopyFloorMiBPerS(1024 * 1024, 'copy')).toThrow(RangeError);
  });
});

describe('bestMiBPerS', () => {
  it('warms up five calls, times the runs asked for, and gives a positive rate', () => {
    let calls = 0;
    const rate = bestMiBPerS(1024 * 1024, () => {
      calls++;
      new Uint8Array(1024 * 1024).fill(calls);
    }, 3);
    expect(rate).toBeGreaterThan(0);
    // Five warm-up calls, bestTimeMs's own warm-up, then three timed runs.
    expect(calls).toBe(9);
  });
});
