import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Timeline } from './timing.js';

describe('Timeline (docs/timing.md)', () => {
  it('a run of hits timed at once (the stream\'s fast path) equals the same hits one by one', () => {
    fc.assert(
      fc.property(
        fc.record({
          bus: fc.integer({ min: 0, max: 64 }),
          walks: fc.integer({ min: 1, max: 4 }),
          pace: fc.constantFrom(0, 0, 0.25, 3),
          latency: fc.integer({ min: 0, max: 9 }),
          burst: fc.integer({ min: 1, max: 512 }),
          before: fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.boolean(), fc.integer({ min: 1, max: 512 })), { maxLength: 4 }),
          n: fc.integer({ min: 1, max: 50 }),
          last: fc.integer({ min: 1, max: 512 }),
        }),
        ({ bus, walks, pace, latency, burst, before, n, last }) => {
          const lastBytes = Math.min(last, burst);
          const one = new Timeline(bus, walks, pace);
          const many = new Timeline(bus, walks, pace);
          for (const t of [one, many]) {
            for (const [lat, walked, bytes] of before) t.access(0x1000, bytes, lat, walked);
            t.setHit(latency, burst);
          }
          for (let i = 0; i < n; i++) one.hit(0x2000, i === n - 1 ? lastBytes : burst);
          many.hits(n, lastBytes);
          expect({ cycles: many.cycles, stall: many.stallCycles, buckets: many.buckets() }).toEqual({ cycles: one.cycles, stall: one.stallCycles, buckets: one.buckets() });
          // And the state they leave (when the last translation ended) times the next access the same.
          for (const t of [one, many]) t.access(0x3000, burst, latency + 1, false);
          expect({ cycles: many.cycles, stall: many.stallCycles }).toEqual({ cycles: one.cycles, stall: one.stallCycles });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('an untimed stream costs nothing', () => {
    const t = new Timeline(0, 1, 0);
    t.access(0, 64, 0, true);
    t.setHit(0, 64);
    t.hits(10, 64);
    expect({ cycles: t.cycles, stall: t.stallCycles, buckets: t.buckets() }).toEqual({ cycles: 0, stall: 0, buckets: [{ min: 0, max: 0, count: 11 }] });
  });

  it('with one walk slot a miss waits for the prefetch walk still running; with two it does not', () => {
    for (const [walks, expected] of [
      [1, 100 + 100 + 50],
      [2, 100 + 50],
    ] as const) {
      const t = new Timeline(0, walks, 0);
      t.access(0x0000, 64, 100, true);
      t.prefetched(0x1000, 0x2000, 100);
      // A miss elsewhere right after: it walks for 50 cycles.
      t.access(0x8000, 64, 50, true);
      expect(t.cycles, `maxWalks ${walks}`).toBe(expected);
    }
  });

  it('a hit on an entry a prefetch is still walking waits for it', () => {
    const t = new Timeline(0, 2, 0);
    t.access(0x0000, 64, 100, true);
    t.prefetched(0x1000, 0x2000, 100);
    t.access(0x1000, 64, 3, false);
    expect(t.cycles).toBe(200);
  });
});
