import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachRun } from './patterns.js';

function coverage(kind: 'sequential' | 'rotated' | 'tiles', bytes: number, row: number, a: number, b: number): Uint8Array {
  const seen = new Uint8Array(bytes);
  const pattern = kind === 'sequential' ? { kind } : kind === 'rotated' ? { kind, strip: a } : { kind, width: a, height: b };
  forEachRun(pattern, bytes, row, 64, 1, (off, len) => {
    for (let i = off; i < off + len; i++) seen[i]!++;
  });
  return seen;
}

describe('traffic patterns', () => {
  it('sequential, rotated and tiles touch every byte of whole rows exactly once', () => {
    fc.assert(
      fc.property(fc.constantFrom('sequential' as const, 'rotated' as const, 'tiles' as const), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 9 }), (kind, row, rows, a, b) => {
        const seen = coverage(kind, row * rows, row, a, b);
        expect(seen.every((n) => n === 1)).toBe(true);
      }),
    );
  });

  it('rotated reads a strip down every row before the next strip', () => {
    const runs: [number, number][] = [];
    forEachRun({ kind: 'rotated', strip: 2 }, 12, 4, 64, 1, (o, l) => runs.push([o, l]));
    expect(runs).toEqual([
      [0, 2],
      [4, 2],
      [8, 2],
      [2, 2],
      [6, 2],
      [10, 2],
    ]);
  });

  it('random is the same sequence for the same seed and stays inside the buffer', () => {
    const take = (seed: number): number[] => {
      const out: number[] = [];
      forEachRun({ kind: 'random', seed, accesses: 100 }, 65536, 4096, 64, 0, (o, l) => {
        expect(o + l).toBeLessThanOrEqual(65536);
        expect(o % 64).toBe(0);
        out.push(o);
      });
      return out;
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
  });

  it('strided issues one burst per stride', () => {
    const runs: [number, number][] = [];
    forEachRun({ kind: 'strided', stride: 4096 }, 16384, 4096, 256, 1, (o, l) => runs.push([o, l]));
    expect(runs).toEqual([
      [0, 256],
      [4096, 256],
      [8192, 256],
      [12288, 256],
    ]);
  });
});
