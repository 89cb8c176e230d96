import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ExtentTree } from './extent-tree.js';

const G = 4096;

describe('ExtentTree', () => {
  it('stays balanced under sorted inserts (AVL height bound)', () => {
    const tree = new ExtentTree(G, 4);
    for (let i = 0; i < 10_000; i++) tree.insert(i * 2 * G, i * 2 * G + G);
    expect(tree.size).toBe(10_000);
    expect(tree.height).toBeLessThanOrEqual(Math.floor(1.45 * Math.log2(10_002)));
    for (let i = 0; i < 10_000; i += 2) tree.remove(i * 2 * G);
    expect(tree.size).toBe(5_000);
    expect(tree.height).toBeLessThanOrEqual(Math.floor(1.45 * Math.log2(5_002)));
  });

  it('property: lowestFit, floor, above and best agree with a brute-force scan', () => {
    const levels = 5;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat(200), { maxLength: 60 }),
        fc.array(fc.nat(200), { maxLength: 30 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: levels - 1 }),
        (starts, removals, lenPages, k) => {
          // extents [s*3G, s*3G + (1 + s % 2) G): disjoint, varied sizes
          const tree = new ExtentTree(G, levels);
          const live = new Map<number, number>();
          for (const s of starts) {
            const start = s * 3 * G;
            const end = start + (1 + (s % 2)) * G + (s % 5 === 0 ? 2 * G : 0);
            tree.insert(start, end);
            live.set(start, end);
          }
          for (const r of removals) {
            const start = r * 3 * G;
            if (live.has(start)) {
              tree.remove(start);
              live.delete(start);
            }
          }
          const sorted = [...live].sort((a, b) => a[0] - b[0]);
          expect([...tree].map((n) => [n.start, n.end])).toEqual(sorted);
          const align = G * 2 ** k;
          const len = lenPages * G;
          const fit = sorted.find(([s, e]) => ExtentTree.usable(s, e, align) >= len);
          expect(tree.lowestFit(len, k)?.start).toBe(fit?.[0]);
          const best = Math.max(0, ...sorted.map(([s, e]) => ExtentTree.usable(s, e, align)));
          expect(tree.best(k)).toBe(best);
          const probe = 100 * 3 * G + G;
          expect(tree.floor(probe)?.start).toBe([...sorted].reverse().find(([s]) => s <= probe)?.[0]);
          expect(tree.above(probe)?.start).toBe(sorted.find(([s]) => s > probe)?.[0]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
