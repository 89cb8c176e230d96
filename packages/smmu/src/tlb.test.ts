import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isVcmError } from '@vcm/core';
import { codeOf } from '@vcm/test-kit';
import { PERM_EXECUTE, PERM_READ, PERM_USER, PERM_WRITE, TLB_GLOBAL, Tlb, checkTlbOptions, type TlbPolicy } from './tlb.js';

const SIZES = [12, 16, 20, 24];
const PERM_MASK_ALL = PERM_READ | PERM_WRITE | PERM_EXECUTE | PERM_USER;

interface ModelEntry {
  bank: number;
  ctx: number;
  va: number;
  size: number;
  pa: number;
}

/**
 * A plain-array reference TLB: index 0 is the most recent. `ctx` -1 is a
 * global entry: it answers every context id of its bank (ARM nG clear).
 */
class ModelTlb {
  list: ModelEntry[] = [];
  hits = 0;
  misses = 0;
  evictions = 0;
  invalidations = 0;
  invalidationOps = 0;
  constructor(
    readonly capacity: number,
    readonly policy: TlbPolicy,
  ) {}
  lookup(bank: number, ctx: number, va: number): ModelEntry | undefined {
    const i = this.list.findIndex((e) => e.bank === bank && (e.ctx === ctx || e.ctx === -1) && va >= e.va && va < e.va + e.size);
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
  /** TLBIMVA: the context's entries and the bank's global ones. */
  invalidateRange(bank: number, ctx: number, va: number, len: number): void {
    this.invalidationOps++;
    const before = this.list.length;
    this.list = this.list.filter((e) => !(e.bank === bank && (e.ctx === ctx || e.ctx === -1) && e.va < va + len && e.va + e.size > va));
    this.invalidations += before - this.list.length;
  }
  /** TLBIMVAA: every context id of the bank, global entries too. */
  invalidateRangeAllContexts(bank: number, va: number, len: number): void {
    this.invalidationOps++;
    const before = this.list.length;
    this.list = this.list.filter((e) => !(e.bank === bank && e.va < va + len && e.va + e.size > va));
    this.invalidations += before - this.list.length;
  }
  /** TLBIASID: only entries tagged with ctx (globals stay unless ctx is -1). */
  invalidateContext(bank: number, ctx: number): void {
    this.invalidationOps++;
    const before = this.list.length;
    this.list = this.list.filter((e) => !(e.bank === bank && e.ctx === ctx));
    this.invalidations += before - this.list.length;
  }
}

// Addresses from a wide space (mostly misses) or a narrow one (hits, overlaps
// and small invalidations that take the probing path); lengths likewise.
const addr = fc.oneof(fc.integer({ min: 0, max: 0x3fffffff }), fc.integer({ min: 0, max: 0x3fffff }));
const len = fc.oneof(fc.integer({ min: 1, max: 0x4000000 }), fc.integer({ min: 1, max: 0x20000 }));
const op = fc.oneof(
  fc.record({
    kind: fc.constant('fill' as const),
    bank: fc.integer({ min: 0, max: 2 }),
    ctx: fc.integer({ min: -1, max: 2 }),
    va: addr,
    lg: fc.constantFrom(...SIZES),
  }),
  fc.record({
    kind: fc.constant('lookup' as const),
    bank: fc.integer({ min: 0, max: 2 }),
    ctx: fc.integer({ min: -1, max: 2 }),
    va: addr,
  }),
  fc.record({
    kind: fc.constant('inval' as const),
    bank: fc.integer({ min: 0, max: 2 }),
    ctx: fc.integer({ min: -1, max: 2 }),
    va: addr,
    len,
  }),
  fc.record({
    kind: fc.constant('invalAll' as const),
    bank: fc.integer({ min: 0, max: 2 }),
    va: addr,
    len,
  }),
  fc.record({ kind: fc.constant('ctx' as const), bank: fc.integer({ min: 0, max: 2 }), ctx: fc.integer({ min: -1, max: 2 }) }),
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

  it('checkTlbOptions fills the defaults and refuses what new Tlb refuses, with the same message', () => {
    expect(checkTlbOptions({})).toEqual({ entries: 32, policy: 'lru', ways: 0, seed: 0 });
    expect(checkTlbOptions({ entries: 2048, ways: 4, policy: 'fifo', seed: 7 })).toEqual({ entries: 2048, policy: 'fifo', ways: 4, seed: 7 });
    for (const bad of [{ entries: 0 }, { entries: 12, ways: 4 }, { policy: 'mru' }, { size: 4 }, [], null]) {
      let direct: unknown;
      let built: unknown;
      try {
        checkTlbOptions(bad, 'here');
      } catch (e) {
        direct = e;
      }
      try {
        new Tlb(bad as never, 'here');
      } catch (e) {
        built = e;
      }
      expect(codeOf(() => checkTlbOptions(bad, 'here'))).toBe('EINVAL');
      expect((direct as Error).message).toBe((built as Error).message);
    }
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

  it('refuses options that are not a plain { entries?, policy? }, and a where that is not a string, with EINVAL', () => {
    // An object of some class (a handle passed by mistake) is not an option bag, nor is a typo'd key ignored.
    for (const junk of [null, 5, 'lru', [32], new Tlb(), new Map(), { entires: 64 }]) {
      expect(() => new Tlb(junk as never)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    }
    expect(() => new Tlb({}, 42 as never)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  describe('bad input (docs/rules.md#validation): every method refuses it with EINVAL and changes nothing', () => {
    const JUNK: unknown[] = [Number.NaN, -1, 0.5, 2 ** 40 + 4096, Infinity, 'junk', null, undefined, {}, [0], Symbol('x'), 1n];
    /** A TLB with one tagged and one global entry, and the slots they are in. */
    const loaded = (): { tlb: Tlb; s: number; g: number; state: () => string } => {
      const tlb = new Tlb({ entries: 4 });
      const s = tlb.fill(1, 3, 0x0012_3000, 12, 0x8_4000_0000, PERM_READ | PERM_USER, 0x4000_0c32, 2);
      const g = tlb.fill(1, TLB_GLOBAL, 0xc000_0000, 20, 0x8000_0000, PERM_READ | PERM_WRITE, 0x8000_0c0e, 1);
      return { tlb, s, g, state: () => JSON.stringify(tlb) };
    };
    /** Each call with one argument replaced by `bad`; the others are valid. */
    const calls = (tlb: Tlb, s: number): Record<string, (bad: unknown) => Array<() => unknown>> => ({
      lookup: (b) => [
        () => tlb.lookup(b as never, 3, 0x0012_3000, SIZES),
        () => tlb.lookup(1, b as never, 0x0012_3000, SIZES),
        () => tlb.lookup(1, 3, b as never, SIZES),
        () => tlb.lookup(1, 3, 0x0012_3000, b as never),
      ],
      covers: (b) => [() => tlb.covers(b as never, 1, 3, 0x0012_3000), () => tlb.covers(s, b as never, 3, 0x0012_3000), () => tlb.covers(s, 1, b as never, 0x0012_3000), () => tlb.covers(s, 1, 3, b as never)],
      pa: (b) => [() => tlb.pa(b as never, 0x0012_3000), () => tlb.pa(s, b as never)],
      slot: (b) => [() => tlb.perm(b as never), () => tlb.descriptor(b as never), () => tlb.level(b as never), () => tlb.base(b as never), () => tlb.end(b as never)],
      fill: (b) => [
        () => tlb.fill(b as never, 3, 0x5000, 12, 0x5000, PERM_READ),
        () => tlb.fill(1, b as never, 0x5000, 12, 0x5000, PERM_READ),
        () => tlb.fill(1, 3, b as never, 12, 0x5000, PERM_READ),
        () => tlb.fill(1, 3, 0x5000, b as never, 0x5000, PERM_READ),
        () => tlb.fill(1, 3, 0x5000, 12, b as never, PERM_READ),
        () => tlb.fill(1, 3, 0x5000, 12, 0x5000, b as never),
        ...(b === undefined ? [] : [() => tlb.fill(1, 3, 0x5000, 12, 0x5000, PERM_READ, b as never), () => tlb.fill(1, 3, 0x5000, 12, 0x5000, PERM_READ, 0, b as never)]),
      ],
      invalidateRange: (b) => [
        () => tlb.invalidateRange(b as never, 3, 0x0012_3000, 0x1000, SIZES),
        () => tlb.invalidateRange(1, b as never, 0x0012_3000, 0x1000, SIZES),
        () => tlb.invalidateRange(1, 3, b as never, 0x1000, SIZES),
        () => tlb.invalidateRange(1, 3, 0x0012_3000, b as never, SIZES),
        () => tlb.invalidateRange(1, 3, 0x0012_3000, 0x1000, b as never),
      ],
      invalidateRangeAllContexts: (b) => [
        () => tlb.invalidateRangeAllContexts(b as never, 0x0012_3000, 0x1000),
        () => tlb.invalidateRangeAllContexts(1, b as never, 0x1000),
        () => tlb.invalidateRangeAllContexts(1, 0x0012_3000, b as never),
      ],
      invalidateContext: (b) => [() => tlb.invalidateContext(b as never, 3), () => tlb.invalidateContext(1, b as never)],
      invalidateBank: (b) => [() => tlb.invalidateBank(b as never)],
    });

    it('refuses junk in every argument position of every method', () => {
      const { tlb, s, state } = loaded();
      const before = state();
      for (const [method, make] of Object.entries(calls(tlb, s))) {
        for (const junk of JUNK) {
          // -1 is TLB_GLOBAL where a context id belongs and "no entry" for covers' slot: skip those two positions for -1.
          make(junk).forEach((call, pos) => {
            if (junk === -1 && ((method !== 'slot' && method !== 'pa' && method !== 'invalidateBank' && pos === (method === 'covers' ? 0 : 1)) || (method === 'covers' && pos === 2))) return;
            let code: string | undefined;
            try {
              call();
            } catch (e) {
              code = isVcmError(e) ? e.code : `not a VcmError: ${String(e)}`;
            }
            expect(code, `${method} #${pos} with ${typeof junk === 'symbol' ? 'a symbol' : String(junk)}`).toBe('EINVAL');
          });
        }
      }
      expect(state()).toBe(before);
    });

    it('refuses values in range but wrong for the TLB: a free slot, an address outside the entry, a bank or context id too large, a misaligned or 2^40 pa, an empty range', () => {
      const { tlb, s, g, state } = loaded();
      const before = state();
      const free = [0, 1, 2, 3].find((i) => i !== s && i !== g)!;
      const refused: Array<[string, () => unknown]> = [
        ['perm of a free slot', () => tlb.perm(free)],
        ['end of a slot past capacity', () => tlb.end(4)],
        ['pa of a free slot', () => tlb.pa(free, 0)],
        ['pa below the entry', () => tlb.pa(s, 0x0012_2fff)],
        ['pa past the entry', () => tlb.pa(s, 0x0012_4000)],
        ['lookup bank 2048', () => tlb.lookup(2048, 3, 0x0012_3000, SIZES)],
        ['lookup context id 256', () => tlb.lookup(1, 256, 0x0012_3000, SIZES)],
        ['lookup context id -2', () => tlb.lookup(1, -2, 0x0012_3000, SIZES)],
        ['lookup va 2^32', () => tlb.lookup(1, 3, 2 ** 32, SIZES)],
        ['lookup an empty size list', () => tlb.lookup(1, 3, 0x0012_3000, [])],
        ['lookup a size list with 11', () => tlb.lookup(1, 3, 0x0012_3000, [11, 12])],
        ['lookup a size list with 32', () => tlb.lookup(1, 3, 0x0012_3000, [12, 32])],
        ['fill log2Size 11', () => tlb.fill(1, 3, 0x5000, 11, 0x5000, PERM_READ)],
        ['fill a pa not aligned to the entry', () => tlb.fill(1, 3, 0x10_0000, 20, 0x8_0000, PERM_READ)],
        ['fill a pa of 2^40', () => tlb.fill(1, 3, 0x5000, 12, 2 ** 40, PERM_READ)],
        ['fill perm 16', () => tlb.fill(1, 3, 0x5000, 12, 0x5000, 16)],
        ['fill level 4', () => tlb.fill(1, 3, 0x5000, 12, 0x5000, PERM_READ, 0, 4)],
        ['fill a descriptor of 2^32', () => tlb.fill(1, 3, 0x5000, 12, 0x5000, PERM_READ, 2 ** 32)],
        ['invalidateRange len 0', () => tlb.invalidateRange(1, 3, 0x0012_3000, 0, SIZES)],
        ['invalidateRange past 2^32', () => tlb.invalidateRange(1, 3, 0xffff_f000, 0x2000, SIZES)],
        ['invalidateRangeAllContexts len 0', () => tlb.invalidateRangeAllContexts(1, 0x0012_3000, 0)],
      ];
      for (const [what, call] of refused) {
        let code: string | undefined;
        try {
          call();
        } catch (e) {
          code = isVcmError(e) ? e.code : String(e);
        }
        expect(code, what).toBe('EINVAL');
      }
      expect(state()).toBe(before);
    });

    it('a size list is checked again when it grows (the SMMU adds a contiguous run\'s size by push)', () => {
      const tlb = new Tlb({ entries: 4 });
      const sizes = [12, 16];
      expect(tlb.lookup(0, 0, 0x1000, sizes)).toBe(-1);
      sizes.push(40);
      expect(() => tlb.lookup(0, 0, 0x1000, sizes)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
      sizes[2] = 20;
      expect(tlb.lookup(0, 0, 0x1000, sizes)).toBe(-1);
      expect(tlb.stats()).toMatchObject({ misses: 2, hits: 0 });
    });

    it('the edges of each range are accepted: bank 2047, context ids 0, 255 and TLB_GLOBAL, the last page, a 2 GiB entry, a 40-bit pa, a range ending at 2^32', () => {
      const tlb = new Tlb({ entries: 8 });
      const a = tlb.fill(2047, 255, 0xffff_f000, 12, 2 ** 40 - 0x1000, PERM_MASK_ALL, 0xffff_ffff, 3);
      expect(tlb.lookup(2047, 255, 0xffff_ffff, SIZES)).toBe(a);
      expect(tlb.pa(a, 0xffff_ffff)).toBe(2 ** 40 - 1);
      const b = tlb.fill(0, 0, 0x8000_0000, 31, 0x80_0000_0000, PERM_READ);
      expect(tlb.lookup(0, 0, 0xffff_fffc, [31])).toBe(b);
      const c = tlb.fill(0, TLB_GLOBAL, 0x1000, 12, 0x1000, PERM_READ);
      expect(tlb.lookup(0, TLB_GLOBAL, 0x1000, SIZES)).toBe(c);
      expect(tlb.covers(-1, 0, 0, 0)).toBe(false);
      expect(tlb.invalidateRange(2047, 255, 0xffff_f000, 0x1000, SIZES)).toBe(1);
      expect(tlb.invalidateRangeAllContexts(0, 0, 2 ** 32)).toBe(2);
    });
  });

  it('reset empties the TLB and zeroes the counters', () => {
    const tlb = new Tlb();
    tlb.fill(0, 0, 0, 12, 0, PERM_READ);
    tlb.lookup(0, 0, 0, SIZES);
    tlb.reset();
    expect(tlb.stats()).toMatchObject({ entries: 0, hits: 0, misses: 0, fills: 0 });
    expect(tlb.lookup(0, 0, 0, SIZES)).toBe(-1);
  });

  describe('global entries (ARM nG clear), as the CPU uses them', () => {
    it('a global entry answers every context id of its bank, and only its bank', () => {
      const tlb = new Tlb({ entries: 8 });
      const g = tlb.fill(0, TLB_GLOBAL, 0xc010_0000, 20, 0x4010_0000, PERM_READ | PERM_WRITE, 0x4010_0c0e, 1);
      const other = tlb.fill(0, 5, 0x1000, 12, 0x1000, PERM_READ); // the last-hit shortcut now holds another entry
      expect(tlb.lookup(0, 5, 0xc01f_fff0, SIZES)).toBe(g); // found by the global probe
      expect(tlb.lookup(0, 200, 0xc010_0000, SIZES)).toBe(g); // by the last-hit shortcut
      expect(tlb.lookup(0, 5, 0x1000, SIZES)).toBe(other);
      expect(tlb.lookup(0, TLB_GLOBAL, 0xc010_0004, SIZES)).toBe(g);
      expect(tlb.lookup(1, 5, 0xc010_0000, SIZES)).toBe(-1);
      expect(tlb.pa(g, 0xc01f_fff0)).toBe(0x401f_fff0);
      expect(tlb.end(g) - 0xc01f_fff0).toBe(0x10);
      expect([tlb.descriptor(g), tlb.level(g)]).toEqual([0x4010_0c0e, 1]);
      expect(tlb.covers(g, 0, 77, 0xc010_0000)).toBe(true);
      expect(tlb.covers(g, 1, 77, 0xc010_0000)).toBe(false);
      tlb.invalidateContext(0, 5);
      expect(tlb.entries()).toEqual([{ bank: 0, contextId: TLB_GLOBAL, va: 0xc010_0000, size: 0x10_0000, pa: 0x4010_0000, perm: PERM_READ | PERM_WRITE }]);
      expect(tlb.stats()).toMatchObject({ hits: 4, misses: 1, entries: 1 });
    });

    it('a tagged entry answers its context id only; a TLB_GLOBAL lookup sees global entries only', () => {
      const tlb = new Tlb({ entries: 8 });
      tlb.fill(0, 3, 0x1000, 12, 0x6000_0000, PERM_READ | PERM_USER, 0, 2);
      expect(tlb.lookup(0, 3, 0x1000, SIZES)).toBeGreaterThanOrEqual(0);
      expect(tlb.lookup(0, 4, 0x1000, SIZES)).toBe(-1);
      expect(tlb.lookup(0, TLB_GLOBAL, 0x1000, SIZES)).toBe(-1);
      // The last-hit shortcut must not hand a tagged entry to a global lookup either.
      const s = tlb.lookup(0, 3, 0x1004, SIZES);
      expect(tlb.lookup(0, TLB_GLOBAL, 0x1008, SIZES)).toBe(-1);
      expect(tlb.lookup(0, 3, 0x1008, SIZES)).toBe(s);
    });

    it('invalidation: by range hits the context and the globals (TLBIMVA), all contexts (TLBIMVAA), by context spares globals (TLBIASID)', () => {
      const tlb = new Tlb({ entries: 8 });
      tlb.fill(0, 1, 0x1000, 12, 0x1000, PERM_READ);
      tlb.fill(0, 2, 0x1000, 12, 0x5000, PERM_READ);
      tlb.fill(0, TLB_GLOBAL, 0x10_0000, 20, 0x4000_0000, PERM_READ);
      expect(tlb.invalidateRange(0, 1, 0, 0x20_0000, SIZES)).toBe(2);
      expect(tlb.lookup(0, 1, 0x1000, SIZES)).toBe(-1);
      expect(tlb.lookup(0, 2, 0x1000, SIZES)).toBeGreaterThanOrEqual(0);
      expect(tlb.lookup(0, 2, 0x10_0000, SIZES)).toBe(-1); // the global entry went too
      tlb.fill(0, 1, 0x1000, 12, 0x1000, PERM_READ);
      tlb.fill(1, 1, 0x1000, 12, 0x1000, PERM_READ);
      expect(tlb.invalidateRangeAllContexts(0, 0x1fff, 2)).toBe(2); // one byte of the page: every context id of bank 0
      expect(tlb.entries().map((e) => e.bank)).toEqual([1]);
      tlb.fill(0, 1, 0x1000, 12, 0x1000, PERM_READ);
      tlb.fill(0, 7, 0x2000, 12, 0x1000, PERM_READ);
      tlb.fill(0, TLB_GLOBAL, 0xc000_0000, 24, 0x4000_0000, PERM_READ | PERM_EXECUTE);
      expect(tlb.invalidateContext(0, 1)).toBe(1);
      expect(tlb.entries().map((e) => [e.bank, e.contextId])).toEqual([
        [0, TLB_GLOBAL],
        [0, 7],
        [1, 1],
      ]);
      expect(tlb.invalidateContext(0, TLB_GLOBAL)).toBe(1);
      expect(tlb.invalidateAll()).toBe(2);
      // Entries removed, and operations asked for (one per call, even one that removes nothing).
      expect(tlb.stats()).toMatchObject({ invalidations: 8, invalidationOps: 5, entries: 0 });
      expect(tlb.invalidateRange(0, 1, 0, 0x1000, SIZES)).toBe(0);
      expect(tlb.stats()).toMatchObject({ invalidations: 8, invalidationOps: 6 });
    });

    it('range invalidation by probing finds global entries of every size, and the scan agrees', () => {
      // A small range (probes) and a huge one (scan of all slots) must remove the same globals.
      for (const len of [0x1000, 0x3e00_0000]) {
        const tlb = new Tlb({ entries: 64 });
        tlb.fill(0, TLB_GLOBAL, 0xc000_0000, 24, 0x4000_0000, PERM_READ);
        tlb.fill(0, TLB_GLOBAL, 0xc100_0000, 20, 0x5000_0000, PERM_READ);
        tlb.fill(0, TLB_GLOBAL, 0xc110_0000, 16, 0x5100_0000, PERM_READ);
        tlb.fill(0, TLB_GLOBAL, 0xc111_0000, 12, 0x5200_0000, PERM_READ);
        tlb.fill(0, 9, 0xc000_0000, 12, 0x6000_0000, PERM_READ); // another context's, same address
        for (const va of [0xc000_0000, 0xc100_0000, 0xc110_0000, 0xc111_0000]) tlb.invalidateRange(0, 4, va, len, SIZES);
        expect(tlb.entries().map((e) => e.contextId)).toEqual([9]);
      }
    });
  });

  for (const policy of ['lru', 'fifo'] as const) {
    it(`agrees with a reference model under random fills, lookups and invalidations (${policy})`, () => {
      fc.assert(
        // Up to 8 ways a set keeps use stamps, above it a recency list (caches/replacement.ts): both kinds.
        fc.property(fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 65, max: 72 })), fc.array(op, { minLength: 20, maxLength: 320, size: 'max' }), (capacity, ops) => {
          const tlb = new Tlb({ entries: capacity, policy });
          const model = new ModelTlb(capacity, policy);
          for (const o of ops) {
            if (o.kind === 'fill') {
              // Keep the leaves one context id can see disjoint, as page tables do: drop overlaps first
              // (a global leaf is seen by every context id of the bank).
              const size = 2 ** o.lg;
              const base = o.va - (o.va % size);
              if (o.ctx === TLB_GLOBAL) {
                tlb.invalidateRangeAllContexts(o.bank, base, size);
                model.invalidateRangeAllContexts(o.bank, base, size);
              } else {
                tlb.invalidateRange(o.bank, o.ctx, base, size, SIZES);
                model.invalidateRange(o.bank, o.ctx, base, size);
              }
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
            } else if (o.kind === 'invalAll') {
              tlb.invalidateRangeAllContexts(o.bank, o.va, o.len);
              model.invalidateRangeAllContexts(o.bank, o.va, o.len);
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
            invalidationOps: model.invalidationOps,
          });
        }),
        { numRuns: 200 },
      );
    });
  }
});

describe('Tlb, set associative (docs/hardware.md#translation-caches)', () => {
  /** One reference list per set: an entry of size 2^k lives in set (va >>> k) mod sets, and each set replaces by its own policy. */
  class ModelSets {
    readonly sets: ModelTlb[];
    constructor(
      readonly ways: number,
      readonly count: number,
      policy: TlbPolicy,
    ) {
      this.sets = Array.from({ length: count }, () => new ModelTlb(ways, policy));
    }
    setOf(va: number, lg: number): ModelTlb {
      return this.sets[(va >>> lg) % this.count]!;
    }
    lookup(bank: number, ctx: number, va: number): ModelEntry | undefined {
      for (const lg of SIZES) {
        const set = this.setOf(va, lg);
        const e = set.list.find((x) => x.bank === bank && (x.ctx === ctx || x.ctx === -1) && x.size === 2 ** lg && va >= x.va && va < x.va + x.size);
        if (e) return set.lookup(bank, ctx, va);
      }
      return undefined;
    }
  }

  for (const policy of ['lru', 'fifo'] as const) {
    it(`agrees with one reference list per set under random fills, lookups and invalidations (${policy})`, () => {
      fc.assert(
        fc.property(fc.constantFrom(1, 2, 4), fc.constantFrom(1, 2, 8), fc.array(op, { minLength: 20, maxLength: 200, size: 'max' }), (ways, sets, ops) => {
          const tlb = new Tlb({ entries: ways * sets, ways, policy });
          const model = new ModelSets(ways, sets, policy);
          let hits = 0;
          let misses = 0;
          for (const o of ops) {
            if (o.kind === 'fill') {
              const size = 2 ** o.lg;
              const base = o.va - (o.va % size);
              tlb.invalidateRangeAllContexts(o.bank, base, size);
              for (const s of model.sets) s.invalidateRangeAllContexts(o.bank, base, size);
              tlb.fill(o.bank, o.ctx, o.va, o.lg, base + 0x1_0000_0000, PERM_READ);
              model.setOf(o.va, o.lg).fill(o.bank, o.ctx, o.va, o.lg, base + 0x1_0000_0000);
            } else if (o.kind === 'lookup') {
              const s = tlb.lookup(o.bank, o.ctx, o.va, SIZES);
              const m = model.lookup(o.bank, o.ctx, o.va);
              if (m) hits++;
              else misses++;
              expect(s === -1).toBe(m === undefined);
              if (m) expect(tlb.pa(s, o.va)).toBe(m.pa + (o.va - m.va));
            } else if (o.kind === 'inval') {
              tlb.invalidateRange(o.bank, o.ctx, o.va, o.len, SIZES);
              for (const s of model.sets) s.invalidateRange(o.bank, o.ctx, o.va, o.len);
            } else if (o.kind === 'invalAll') {
              tlb.invalidateRangeAllContexts(o.bank, o.va, o.len);
              for (const s of model.sets) s.invalidateRangeAllContexts(o.bank, o.va, o.len);
            } else {
              tlb.invalidateContext(o.bank, o.ctx);
              for (const s of model.sets) s.invalidateContext(o.bank, o.ctx);
            }
            expect(tlb.entries().map((e) => [e.bank, e.contextId, e.va, e.size])).toEqual(model.sets.flatMap((s) => s.list.map((e) => [e.bank, e.ctx, e.va, e.size])));
          }
          expect(tlb.stats()).toMatchObject({ hits, misses, lookups: hits + misses, evictions: model.sets.reduce((n, s) => n + s.evictions, 0) });
        }),
        { numRuns: 150 },
      );
    });
  }

  it('a locked entry is never the victim; the last unlocked way of a set cannot be locked (EBUSY)', () => {
    const tlb = new Tlb({ entries: 4, ways: 2, policy: 'round-robin' });
    // Set 0 holds pages whose 4 KiB page number is even.
    const a = tlb.fill(0, 1, 0x0000, 12, 0x1_0000_0000, PERM_READ);
    tlb.lock(a);
    const b = tlb.fill(0, 1, 0x2000, 12, 0x1_0000_2000, PERM_READ);
    expect(codeOf(() => tlb.lock(b))).toBe('EBUSY');
    for (let i = 2; i < 20; i++) tlb.fill(0, 1, i * 0x2000, 12, 0x1_0000_0000 + i * 0x2000, PERM_READ);
    expect(tlb.lookup(0, 1, 0x0010, SIZES)).toBe(a);
    expect(tlb.stats()).toMatchObject({ locked: 1, ways: 2, sets: 2 });
    expect(tlb.invalidateContext(0, 1)).toBe(2);
    expect(tlb.stats().locked).toBe(0);
  });

  it('refuses ways that do not split the entries into a power-of-two number of sets', () => {
    expect(codeOf(() => new Tlb({ entries: 12, ways: 4 }))).toBe('EINVAL');
    expect(codeOf(() => new Tlb({ entries: 8, ways: 3 }))).toBe('EINVAL');
    expect(codeOf(() => new Tlb({ entries: 8, ways: 16 }))).toBe('EINVAL');
    expect(new Tlb({ entries: 8, ways: 8 }).stats()).toMatchObject({ ways: 8, sets: 1 });
  });
});
