import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntervalIndex } from './interval-index.js';

const SZ_4K = 0x1000;
const SZ_1M = 0x100000;

function atWithForEach<T>(ix: IntervalIndex<T>, p: number): Array<{ start: number; len: number; value: T }> {
  const out: Array<{ start: number; len: number; value: T }> = [];
  ix.forEachAt(p, (start, len, value) => out.push({ start, len, value }));
  return out;
}

describe('IntervalIndex: reverse map of physical ranges', () => {
  it('finds every range containing an address, including overlapping physmems over the same RAM', () => {
    const ix = new IntervalIndex<string>();
    ix.insert(0x4000_0000, SZ_1M, 'A'); // a 1 MiB physmem
    ix.insert(0x4000_0000, SZ_1M, 'B'); // vcm_map_phys_addr over the same RAM
    ix.insert(0x4008_0000, 0x10000, 'C'); // a smaller one inside it
    ix.insert(0x4010_0000, SZ_4K, 'D'); // right after A
    expect(ix.size).toBe(4);
    expect(ix.stab(0x4008_0000).map((e) => e.value)).toEqual(['A', 'B', 'C']);
    expect(ix.stab(0x400f_ffff).map((e) => e.value)).toEqual(['A', 'B']);
    expect(ix.stab(0x4010_0000)).toEqual([{ start: 0x4010_0000, len: SZ_4K, value: 'D' }]);
    expect(ix.stab(0x4010_1000)).toEqual([]);
    expect(ix.stab(0x3fff_ffff)).toEqual([]);
    expect(ix.countAt(0x4008_ffff)).toBe(3);
    expect(ix.countAt(0x4009_0000)).toBe(2);
    expect(atWithForEach(ix, 0x4008_0000).map((e) => e.value)).toEqual(['A', 'B', 'C']);
  });

  it('orders entries with the same start by insertion and removes exactly the matching one', () => {
    const ix = new IntervalIndex<object>();
    const r1 = {};
    const r2 = {};
    ix.insert(0x1000, SZ_4K, r1);
    ix.insert(0x1000, 2 * SZ_4K, r2);
    ix.insert(0x1000, SZ_4K, r2);
    ix.insert(0x1000, SZ_4K, r1); // the same value twice for the same range
    expect(ix.stab(0x1800).map((e) => e.value)).toEqual([r1, r2, r2, r1]);
    expect(ix.remove(0x1000, SZ_4K, {})).toBe(false); // === on the value
    expect(ix.remove(0x1000, 3 * SZ_4K, r2)).toBe(false); // length must match
    expect(ix.remove(0x2000, SZ_4K, r2)).toBe(false); // start must match
    expect(ix.remove(0x1000, SZ_4K, r2)).toBe(true);
    expect(ix.stab(0x1800).map((e) => [e.len, e.value])).toEqual([
      [SZ_4K, r1],
      [2 * SZ_4K, r2],
      [SZ_4K, r1],
    ]);
    expect(ix.remove(0x1000, SZ_4K, r1)).toBe(true);
    expect(ix.remove(0x1000, SZ_4K, r1)).toBe(true);
    expect(ix.remove(0x1000, SZ_4K, r1)).toBe(false);
    expect(ix.size).toBe(1);
    expect(ix.countAt(0x2000)).toBe(1);
    expect([...ix.entries()]).toEqual([{ start: 0x1000, len: 2 * SZ_4K, value: r2 }]);
  });

  it('handles addresses above 2^32 (40-bit physical space)', () => {
    const ix = new IntervalIndex<number>();
    ix.insert(2 ** 39, SZ_1M, 1);
    ix.insert(2 ** 32 - SZ_4K, 2 * SZ_4K, 2); // straddles the 4 GiB line
    expect(ix.countAt(2 ** 39 + SZ_1M - 1)).toBe(1);
    expect(ix.countAt(2 ** 39 + SZ_1M)).toBe(0);
    expect(ix.stab(2 ** 32).map((e) => e.value)).toEqual([2]);
    expect(ix.countAt(2 ** 32 + SZ_4K)).toBe(0);
  });

  it('lets a forEachAt callback query the index (nested walks do not share state)', () => {
    const ix = new IntervalIndex<number>();
    for (let i = 0; i < 50; i++) ix.insert(i * SZ_4K, 3 * SZ_4K, i);
    const seen: Array<[number, number]> = [];
    ix.forEachAt(10 * SZ_4K, (_s, _l, v) => {
      seen.push([v, ix.countAt(v * SZ_4K)]);
      ix.forEachAt(v * SZ_4K, () => undefined);
    });
    expect(seen).toEqual([
      [8, 3],
      [9, 3],
      [10, 3],
    ]);
  });

  it('rejects malformed ranges with RangeError and keeps its entries', () => {
    const ix = new IntervalIndex<number>();
    ix.insert(0, SZ_4K, 1);
    expect(() => ix.insert(0x1000, 0, 2)).toThrow(RangeError);
    expect(() => ix.insert(-1, SZ_4K, 2)).toThrow(RangeError);
    expect(() => ix.insert(Number.NaN, SZ_4K, 2)).toThrow(RangeError);
    expect(() => ix.insert(0x1000, 0.5, 2)).toThrow(RangeError);
    expect(() => ix.insert(Number.MAX_SAFE_INTEGER, 2, 2)).toThrow(RangeError);
    expect([...ix.entries()]).toEqual([{ start: 0, len: SZ_4K, value: 1 }]);
  });
});

type Op = { kind: 'insert'; start: number; len: number; value: number } | { kind: 'remove'; pick: number; exact: boolean } | { kind: 'probe'; p: number; near: boolean; pick: number };

function opArb(span: number, maxLen: number): fc.Arbitrary<Op> {
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('insert' as const),
        start: fc.integer({ min: 0, max: span }),
        len: fc.integer({ min: 1, max: maxLen }),
        value: fc.integer({ min: 0, max: 5 }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat(), exact: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('probe' as const), p: fc.integer({ min: 0, max: span + maxLen + 10 }), near: fc.boolean(), pick: fc.nat() }) },
  );
}

/** Replays ops on an index and on a list in insertion order; a stable sort by start gives the expected order. */
function runAgainstList(ops: Op[]): void {
  const ix = new IntervalIndex<number>();
  let model: Array<{ start: number; len: number; value: number }> = [];
  const sorted = (): Array<{ start: number; len: number; value: number }> => [...model].sort((a, b) => a.start - b.start);
  for (const op of ops) {
    if (op.kind === 'insert') {
      ix.insert(op.start, op.len, op.value);
      model.push({ start: op.start, len: op.len, value: op.value });
    } else if (op.kind === 'remove') {
      if (model.length === 0) {
        expect(ix.remove(1, 1, 0)).toBe(false);
        continue;
      }
      const e = model[op.pick % model.length]!;
      // Inexact: a value that may or may not be present for that range.
      const value = op.exact ? e.value : (e.value + 1) % 6;
      const i = model.findIndex((m) => m.start === e.start && m.len === e.len && m.value === value);
      expect(ix.remove(e.start, e.len, value)).toBe(i >= 0);
      if (i >= 0) model = [...model.slice(0, i), ...model.slice(i + 1)];
    } else {
      // Half the probes land in or just past a live entry, so sparse layouts are hit too.
      let p = op.p;
      if (op.near && model.length > 0) {
        const e = model[op.pick % model.length]!;
        p = e.start + (op.p % (e.len + 1));
      }
      const want = sorted().filter((m) => m.start <= p && p < m.start + m.len);
      expect(ix.stab(p)).toEqual(want);
      expect(atWithForEach(ix, p)).toEqual(want);
      expect(ix.countAt(p)).toBe(want.length);
    }
    expect(ix.size).toBe(model.length);
    // AVL: the height bound holds after every operation.
    expect(ix.treeHeight).toBeLessThanOrEqual(Math.floor(1.45 * Math.log2(ix.size + 2)));
  }
  expect([...ix.entries()]).toEqual(sorted());
  // Every boundary of every entry, and either side of it.
  const points = new Set<number>();
  for (const m of model) for (const p of [m.start - 1, m.start, m.start + m.len - 1, m.start + m.len]) points.add(p);
  for (const p of points) {
    expect(ix.countAt(p)).toBe(model.filter((m) => m.start <= p && p < m.start + m.len).length);
  }
}

describe('IntervalIndex matches a brute-force list (fast-check)', () => {
  it('stab, forEachAt, countAt and entries agree after random inserts and removes (heavy overlap)', () => {
    fc.assert(
      fc.property(fc.array(opArb(400, 60), { minLength: 1, maxLength: 300, size: 'max' }), (ops) => runAgainstList(ops)),
      { numRuns: 200 },
    );
  });

  it('long runs: thousands of operations, mostly disjoint ranges, as the reverse map sees them', () => {
    fc.assert(
      fc.property(fc.array(opArb(2 ** 34, 2 ** 22), { minLength: 3000, maxLength: 4000, size: 'max' }), (ops) =>
        runAgainstList(ops),
      ),
      // A failing run of thousands of steps would take long to shrink; the smaller properties shrink well.
      { numRuns: 3, endOnFailure: true },
    );
  });
});
