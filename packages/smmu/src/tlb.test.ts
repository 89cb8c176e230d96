import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isVcmError } from '@vcm/core';
import { PERM_READ, PERM_WRITE, Tlb, type TlbPolicy } from './tlb.js';

const SIZES = [12, 16, 20, 24];

interface ModelEntry {
  bank: number;
  ctx: number;
  va: number;
  size: number;
  pa: number;
}

/** A plain-array reference TLB: index 0 is the most recent. */
class ModelTlb {
  list: ModelEntry[] = [];
  hits = 0;
  misses = 0;
  evictions = 0;
  invalidations = 0;
  constructor(
    readonly capacity: number,
    readonly policy: TlbPolicy,
  ) {}
  lookup(bank: number, ctx: number, va: number): ModelEntry | undefined {
    const i = this.list.findIndex((e) => e.bank === bank && e.ctx === ctx && va >= e.va && va < e.va + e.size);
    if (i < 0) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    const e = this.list[i]!;
    if (this.policy === 'lru') {
      this.list.splice(i, 1);
      this.list.unshift(e);
    }
    return e;
  }
  fill(bank: number, ctx: number, va: number, lg: number, pa: number): void {
    const size = 2 ** lg;
    const base = va - (va % size);
    this.list = this.list.filter((e) => !(e.bank === bank && e.ctx === ctx && e.va === base && e.size === size));
    if (this.list.length === this.capacity) {
      this.list.pop();
      this.evictions++;
    }
    this.list.unshift({ bank, ctx, va: base, size, pa });
  }
  invalidateRange(bank: number, ctx: number, va: number, len: number): void {
    const before = this.list.length;
    this.list = this.list.filter((e) => !(e.bank === bank && e.ctx === ctx && e.va < va + len && e.va + e.size > va));
    this.invalidations += before - this.list.length;
  }
  invalidateContext(bank: number, ctx: number): void {
    const before = this.list.length;
    this.list = this.list.filter((e) => !(e.bank === bank && e.ctx === ctx));
    this.invalidations += before - this.list.length;
  }
}

const op = fc.oneof(
  fc.record({
    kind: fc.constant('fill' as const),
    bank: fc.integer({ min: 0, max: 2 }),
    ctx: fc.integer({ min: 0, max: 2 }),
    va: fc.integer({ min: 0, max: 0x3fffffff }),
    lg: fc.constantFrom(...SIZES),
  }),
  fc.record({
    kind: fc.constant('lookup' as const),
    bank: fc.integer({ min: 0, max: 2 }),
    ctx: fc.integer({ min: 0, max: 2 }),
    va: fc.integer({ min: 0, max: 0x3fffffff }),
  }),
  fc.record({
    kind: fc.constant('inval' as const),
    bank: fc.integer({ min: 0, max: 2 }),
    ctx: fc.integer({ min: 0, max: 2 }),
    va: fc.integer({ min: 0, max: 0x3fffffff }),
    len: fc.integer({ min: 1, max: 0x4000000 }),
  }),
  fc.record({ kind: fc.constant('ctx' as const), bank: fc.integer({ min: 0, max: 2 }), ctx: fc.integer({ min: 0, max: 2 }) }),
);

describe('Tlb', () => {
  it('holds one entry per leaf of any size and finds it for every address inside', () => {
    const tlb = new Tlb({ entries: 4 });
    tlb.fill(0, 1, 0x0120_3456, 20, 0x4010_0000, PERM_READ | PERM_WRITE);
    const s = tlb.lookup(0, 1, 0x012f_fffc, SIZES);
    expect(s).toBeGreaterThanOrEqual(0);
    expect(tlb.pa(s, 0x012f_fffc)).toBe(0x401f_fffc);
    expect(tlb.perm(s)).toBe(PERM_READ | PERM_WRITE);
    // Tagged by bank and context id: another context misses.
    expect(tlb.lookup(0, 2, 0x0120_0000, SIZES)).toBe(-1);
    expect(tlb.lookup(1, 1, 0x0120_0000, SIZES)).toBe(-1);
    expect(tlb.stats()).toMatchObject({ hits: 1, misses: 2, fills: 1, entries: 1 });
  });

  it('evicts the least recently used entry when full', () => {
    const tlb = new Tlb({ entries: 2 });
    tlb.fill(0, 0, 0x0000, 12, 0x1000, PERM_READ);
    tlb.fill(0, 0, 0x1000, 12, 0x2000, PERM_READ);
    expect(tlb.lookup(0, 0, 0x0000, SIZES)).not.toBe(-1); // 0x0000 is now the most recent
    tlb.fill(0, 0, 0x2000, 12, 0x3000, PERM_READ);
    expect(tlb.lookup(0, 0, 0x1000, SIZES)).toBe(-1);
    expect(tlb.lookup(0, 0, 0x0000, SIZES)).not.toBe(-1);
    expect(tlb.stats().evictions).toBe(1);
  });

  it('FIFO ignores hits when choosing the victim', () => {
    const tlb = new Tlb({ entries: 2, policy: 'fifo' });
    tlb.fill(0, 0, 0x0000, 12, 0x1000, PERM_READ);
    tlb.fill(0, 0, 0x1000, 12, 0x2000, PERM_READ);
    tlb.lookup(0, 0, 0x0000, SIZES);
    tlb.fill(0, 0, 0x2000, 12, 0x3000, PERM_READ);
    expect(tlb.lookup(0, 0, 0x0000, SIZES)).toBe(-1);
    expect(tlb.lookup(0, 0, 0x1000, SIZES)).not.toBe(-1);
  });

  it('random replacement stays within capacity and repeats run to run', () => {
    const run = (): number[] => {
      const tlb = new Tlb({ entries: 8, policy: 'random' });
      for (let i = 0; i < 100; i++) tlb.fill(0, 0, i * 0x1000, 12, i * 0x1000, PERM_READ);
      return tlb.entries().map((e) => e.va);
    };
    const a = run();
    expect(a).toHaveLength(8);
    expect(run()).toEqual(a);
  });

  it('rejects a zero or absurd capacity and an unknown policy with EINVAL', () => {
    expect(() => new Tlb({ entries: 0 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => new Tlb({ entries: 1.5 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    try {
      new Tlb({ policy: 'mru' as TlbPolicy });
      expect.unreachable();
    } catch (e) {
      expect(isVcmError(e, 'EINVAL')).toBe(true);
    }
  });

  it('reset empties the TLB and zeroes the counters', () => {
    const tlb = new Tlb();
    tlb.fill(0, 0, 0, 12, 0, PERM_READ);
    tlb.lookup(0, 0, 0, SIZES);
    tlb.reset();
    expect(tlb.stats()).toMatchObject({ entries: 0, hits: 0, misses: 0, fills: 0 });
    expect(tlb.lookup(0, 0, 0, SIZES)).toBe(-1);
  });

  for (const policy of ['lru', 'fifo'] as const) {
    it(`agrees with a reference model under random fills, lookups and invalidations (${policy})`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 9 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
          const tlb = new Tlb({ entries: capacity, policy });
          const model = new ModelTlb(capacity, policy);
          for (const o of ops) {
            if (o.kind === 'fill') {
              // Keep leaves of one context disjoint, as a page table's are: drop overlaps first.
              const size = 2 ** o.lg;
              const base = o.va - (o.va % size);
              tlb.invalidateRange(o.bank, o.ctx, base, size, SIZES);
              model.invalidateRange(o.bank, o.ctx, base, size);
              tlb.fill(o.bank, o.ctx, o.va, o.lg, base + 0x1_0000_0000, PERM_READ);
              model.fill(o.bank, o.ctx, o.va, o.lg, base + 0x1_0000_0000);
            } else if (o.kind === 'lookup') {
              const s = tlb.lookup(o.bank, o.ctx, o.va, SIZES);
              const m = model.lookup(o.bank, o.ctx, o.va);
              expect(s === -1).toBe(m === undefined);
              if (m) expect(tlb.pa(s, o.va)).toBe(m.pa + (o.va - m.va));
            } else if (o.kind === 'inval') {
              tlb.invalidateRange(o.bank, o.ctx, o.va, o.len, SIZES);
              model.invalidateRange(o.bank, o.ctx, o.va, o.len);
            } else {
              tlb.invalidateContext(o.bank, o.ctx);
              model.invalidateContext(o.bank, o.ctx);
            }
            expect(tlb.entries().map((e) => [e.bank, e.contextId, e.va, e.size])).toEqual(
              model.list.map((e) => [e.bank, e.ctx, e.va, e.size]),
            );
          }
          expect(tlb.stats()).toMatchObject({
            hits: model.hits,
            misses: model.misses,
            evictions: model.evictions,
            invalidations: model.invalidations,
          });
        }),
        { numRuns: 200 },
      );
    });
  }
});
