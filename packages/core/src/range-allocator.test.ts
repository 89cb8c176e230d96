import { codeOf, vcmErrorOf } from '@vcm/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeAllocator } from './range-allocator.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SZ_1K = KiB;
const SZ_4K = 4 * KiB;
const SZ_64K = 64 * KiB;
const SZ_1M = MiB;
const SZ_16M = 16 * MiB;

function extents(a: RangeAllocator): Array<[number, number]> {
  return [...a.freeExtents()].map((e) => [e.start, e.len]);
}

describe('RangeAllocator: placement in an unaligned VCM (seed: vcm_create(SZ_1K, SZ_16M))', () => {
  it('places 4 KiB, 64 KiB and 1 MiB aligned blocks at the lowest aligned address and leaves the slack free', () => {
    const a = new RangeAllocator(SZ_1K, SZ_16M);
    expect(a.allocate(SZ_4K, SZ_4K)).toBe(0x1000);
    // The 3 KiB before the first page is still free: no alignment waste.
    expect(a.isFree(0x400, 0xc00)).toBe(true);
    expect(a.allocate(SZ_64K, SZ_64K)).toBe(0x10000);
    expect(a.isFree(0x2000, 0x10000 - 0x2000)).toBe(true);
    expect(a.allocate(SZ_1M, SZ_1M)).toBe(0x100000);
    expect(a.isFree(0x20000, 0x100000 - 0x20000)).toBe(true);
    // The next page-aligned page goes into the slack below the 64 KiB block.
    expect(a.allocate(SZ_4K, SZ_4K)).toBe(0x2000);
    expect(a.usedBytes).toBe(2 * SZ_4K + SZ_64K + SZ_1M);
    expect(a.freeBytes).toBe(SZ_16M - a.usedBytes);
    expect(extents(a)).toEqual([
      [0x400, 0xc00],
      [0x3000, 0x10000 - 0x3000],
      [0x20000, 0x100000 - 0x20000],
      [0x200000, 0x1000400 - 0x200000],
    ]);
  });

  it('cannot place a page-aligned block as long as the unaligned VCM, but a byte-aligned one fits at VCM_START', () => {
    const a = new RangeAllocator(0x400, SZ_16M);
    expect(a.allocate(SZ_16M, SZ_4K)).toBeUndefined();
    expect(a.allocate(SZ_16M - SZ_4K, SZ_4K)).toBe(0x1000);
    a.free(0x1000, SZ_16M - SZ_4K);
    expect(a.allocate(SZ_16M, 1)).toBe(0x400);
    expect(a.freeExtentCount).toBe(0);
  });

  it('places the last 1 MiB block just below the unaligned end', () => {
    const a = new RangeAllocator(0x400, SZ_16M);
    expect(a.allocateAt(0x400, 0xf00000 - 0x400)).toBe(true);
    expect(a.allocate(SZ_1M, SZ_1M)).toBe(0xf00000);
    expect(extents(a)).toEqual([[0x1000000, 0x400]]);
    expect(a.allocate(SZ_1M, SZ_1M)).toBeUndefined();
  });

  it('takes the lowest fit for alignments it does not track (8 KiB, 128 KiB)', () => {
    const a = new RangeAllocator(0x400, SZ_16M);
    expect(a.allocate(SZ_4K, 8 * KiB)).toBe(0x2000);
    expect(a.allocate(SZ_4K, 8 * KiB)).toBe(0x4000);
    expect(a.allocate(SZ_4K, SZ_4K)).toBe(0x1000);
    expect(a.allocate(SZ_64K, 128 * KiB)).toBe(0x20000);
    expect(a.allocate(SZ_4K, 128 * KiB)).toBe(0x40000);
    expect(a.isFree(0x5000, 0x20000 - 0x5000)).toBe(true);
  });
});


describe('RangeAllocator: exact fit, full, conflicts, errors', () => {
  it('fills an extent exactly and then reports nothing fits', () => {
    const a = new RangeAllocator(0x1000, 0x3000);
    expect(a.allocate(0x3000, SZ_4K)).toBe(0x1000);
    expect(a.freeBytes).toBe(0);
    expect(a.usedBytes).toBe(0x3000);
    expect(a.freeExtentCount).toBe(0);
    expect(a.largestFreeExtent).toBe(0);
    expect(a.allocate(1, 1)).toBeUndefined();
    expect(a.isFree(0x1000, 1)).toBe(false);
  });

  it('returns undefined for a request longer than the range', () => {
    const a = new RangeAllocator(0, SZ_1M);
    expect(a.allocate(SZ_1M + SZ_4K, SZ_4K)).toBeUndefined();
    expect(a.allocate(SZ_1M, SZ_1M)).toBe(0);
  });

  it('handles an empty range', () => {
    const a = new RangeAllocator(0x1000, 0);
    expect(a.freeExtentCount).toBe(0);
    expect(a.allocate(1, 1)).toBeUndefined();
    expect(a.allocateAt(0x1000, 1)).toBe(false);
  });

  it('allocateAt takes VCM_START and refuses overlaps and out-of-range requests without changing anything', () => {
    const a = new RangeAllocator(0x400, SZ_16M);
    expect(a.allocateAt(0x400, SZ_4K)).toBe(true);
    expect(a.allocateAt(0x10000, SZ_64K)).toBe(true);
    const before = a.toJSON();
    expect(a.allocateAt(0x400, SZ_4K)).toBe(false); // same block
    expect(a.allocateAt(0x1000, SZ_4K)).toBe(false); // overlaps the tail of the first
    expect(a.allocateAt(0xf000, 0x2000)).toBe(false); // straddles the start of the second
    expect(a.allocateAt(0x1f000, 0x2000)).toBe(false); // straddles the end of the second
    expect(a.allocateAt(0, SZ_4K)).toBe(false); // below the VCM
    expect(a.allocateAt(0x1000000, SZ_4K)).toBe(false); // crosses the VCM end
    expect(a.allocateAt(0x1000400, 1)).toBe(false); // past the VCM end
    expect(a.toJSON()).toEqual(before);
    expect(a.allocateAt(0x1400, 0xec00)).toBe(true); // exactly the gap between them
    expect(extents(a)).toEqual([[0x20000, 0x1000400 - 0x20000]]);
  });

  it('free of a range that is not entirely allocated is EINVAL and changes nothing', () => {
    const a = new RangeAllocator(0x400, SZ_16M);
    expect(a.allocate(SZ_64K, SZ_64K)).toBe(0x10000);
    const before = a.toJSON();
    expect(vcmErrorOf(() => a.free(0x400, SZ_4K)).message).toContain('[0x0000_0400, 0x0001_0000) is free'); // entirely free
    expect(codeOf(() => a.free(0xf000, 0x2000))).toBe('EINVAL'); // starts in free space
    expect(codeOf(() => a.free(0x1f000, 0x2000))).toBe('EINVAL'); // ends in free space
    expect(vcmErrorOf(() => a.free(0, 0x400)).message).toContain('outside the managed range'); // below the range
    expect(codeOf(() => a.free(0x1000000, 0x800))).toBe('EINVAL'); // past the end
    expect(a.toJSON()).toEqual(before);
    a.free(0x14000, SZ_4K); // a sub-range of an allocation is allocated
    expect(a.isFree(0x14000, SZ_4K)).toBe(true);
    expect(a.usedBytes).toBe(SZ_64K - SZ_4K);
  });

  it('rejects malformed numbers with EINVAL naming the parameter', () => {
    const a = new RangeAllocator(0, SZ_1M);
    const param = (fn: () => unknown): unknown => {
      const e = vcmErrorOf(fn);
      expect(e.code).toBe('EINVAL');
      return e.details['param'];
    };
    expect(param(() => a.allocate(0, 1))).toBe('len');
    expect(param(() => a.allocate(SZ_4K, 3))).toBe('align');
    expect(param(() => a.allocate(SZ_4K, 0))).toBe('align');
    expect(param(() => a.allocate(Number.NaN, 1))).toBe('len');
    expect(param(() => a.allocate(1.5, 1))).toBe('len');
    expect(param(() => a.allocateAt(-4096, SZ_4K))).toBe('addr');
    expect(param(() => a.isFree(0, -1))).toBe('len');
    expect(param(() => new RangeAllocator(-1, 10))).toBe('start');
    expect(param(() => new RangeAllocator(Number.MAX_SAFE_INTEGER, 2))).toBe('start');
    expect(param(() => new RangeAllocator(2 ** 40 - SZ_4K, 2 * SZ_4K))).toBe('len');
    expect(vcmErrorOf(() => a.allocate(SZ_4K, 3)).message).toBe('EINVAL: RangeAllocator.allocate: align must be a power of two from 1 B to 1024 GiB, got 3 (0x0000_0003)');
    expect(a.freeBytes).toBe(SZ_1M);
  });
});

describe('RangeAllocator: coalescing', () => {
  it('merges a freed block with the free extents on either side', () => {
    const a = new RangeAllocator(0, 5 * SZ_4K);
    for (let i = 0; i < 5; i++) expect(a.allocate(SZ_4K, SZ_4K)).toBe(i * SZ_4K);
    a.free(1 * SZ_4K, SZ_4K);
    a.free(3 * SZ_4K, SZ_4K);
    expect(extents(a)).toEqual([
      [SZ_4K, SZ_4K],
      [3 * SZ_4K, SZ_4K],
    ]);
    a.free(2 * SZ_4K, SZ_4K); // both neighbours free: three become one
    expect(extents(a)).toEqual([[SZ_4K, 3 * SZ_4K]]);
    a.free(0, SZ_4K); // right neighbour only
    expect(extents(a)).toEqual([[0, 4 * SZ_4K]]);
    a.free(4 * SZ_4K, SZ_4K); // left neighbour only
    expect(extents(a)).toEqual([[0, 5 * SZ_4K]]);
    expect(a.freeExtentCount).toBe(1);
    expect(a.freeBytes).toBe(5 * SZ_4K);
  });
});

describe('RangeAllocator: addresses beyond 32 bits', () => {
  it('places and frees above 2^32 and near 2^40 without truncation', () => {
    const top = 2 ** 40 - 8 * 2 ** 30; // 8 GiB below the 40-bit limit
    const base = top + 0x400;
    const a = new RangeAllocator(base, 4 * 2 ** 30);
    const p = a.allocate(SZ_1M, SZ_1M);
    expect(p).toBe(top + SZ_1M);
    const q = a.allocate(2 ** 30, 2 ** 30);
    expect(q).toBe(top + 2 ** 30);
    expect(a.isFree(base, SZ_1M - 0x400)).toBe(true);
    a.free(p!, SZ_1M);
    a.free(q!, 2 ** 30);
    expect(extents(a)).toEqual([[base, 4 * 2 ** 30]]);
  });
});

describe('RangeAllocator: bounds nest as allocators over allocated sub-ranges', () => {
  it('a bound allocates only inside its range and its parent sees the whole bound as used', () => {
    const vcm = new RangeAllocator(0x400, SZ_16M);
    const boundStart = vcm.allocate(4 * SZ_1M, SZ_1M)!;
    expect(boundStart).toBe(SZ_1M);
    const bound = new RangeAllocator(boundStart, 4 * SZ_1M);
    const r1 = bound.allocate(SZ_64K, SZ_64K)!;
    const r2 = bound.allocate(SZ_1M, SZ_1M)!;
    expect(r1).toBe(SZ_1M);
    expect(r2).toBe(2 * SZ_1M);
    // Outside reservations never land inside the bound.
    expect(vcm.allocate(SZ_4K, SZ_4K)).toBe(0x1000);
    expect(vcm.allocate(SZ_1M, SZ_1M)).toBe(5 * SZ_1M);
    expect(vcm.isFree(boundStart, SZ_4K)).toBe(false);
    // A bound of a bound works the same way.
    const inner = new RangeAllocator(bound.allocate(SZ_1M, SZ_1M)!, SZ_1M);
    expect(inner.start).toBe(3 * SZ_1M);
    expect(inner.allocate(SZ_4K, SZ_4K)).toBe(3 * SZ_1M);
    expect(bound.allocate(2 * SZ_1M, SZ_1M)).toBeUndefined();
    expect(bound.allocate(SZ_1M, SZ_1M)).toBe(4 * SZ_1M);
    // Freeing the bound in the parent returns its whole range at once.
    vcm.free(boundStart, 4 * SZ_1M);
    expect(vcm.isFree(0x2000, 5 * SZ_1M - 0x2000)).toBe(true);
  });
});

// ---- property tests against a scanning reference model -------------------

/** The obvious model: a sorted list of used ranges [s, e); placement scans the gaps. */
class Model {
  used: Array<[number, number]> = [];
  constructor(
    readonly start: number,
    readonly len: number,
  ) {}

  gaps(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let cur = this.start;
    for (const [s, e] of this.used) {
      if (s > cur) out.push([cur, s - cur]);
      cur = Math.max(cur, e);
    }
    if (cur < this.start + this.len) out.push([cur, this.start + this.len - cur]);
    return out;
  }

  isFree(addr: number, len: number): boolean {
    if (addr < this.start || addr + len > this.start + this.len) return false;
    return this.used.every(([s, e]) => e <= addr || s >= addr + len);
  }

  allocate(len: number, align: number): number | undefined {
    for (const [s, l] of this.gaps()) {
      const a = Math.ceil(s / align) * align;
      if (a + len <= s + l) {
        this.add(a, len);
        return a;
      }
    }
    return undefined;
  }

  allocateAt(addr: number, len: number): boolean {
    if (!this.isFree(addr, len)) return false;
    this.add(addr, len);
    return true;
  }

  add(addr: number, len: number): void {
    this.used.push([addr, addr + len]);
    this.used.sort((x, y) => x[0] - y[0]);
  }

  /** Returns false (unchanged) unless [addr, addr+len) is covered by used ranges. */
  free(addr: number, len: number): boolean {
    const end = addr + len;
    let covered = addr;
    for (const [s, e] of this.used) {
      if (e <= covered) continue;
      if (s > covered) break;
      covered = e;
      if (covered >= end) break;
    }
    if (covered < end) return false;
    const next: Array<[number, number]> = [];
    for (const [s, e] of this.used) {
      if (e <= addr || s >= end) next.push([s, e]);
      else {
        if (s < addr) next.push([s, addr]);
        if (e > end) next.push([end, e]);
      }
    }
    this.used = next;
    return true;
  }

  get freeBytes(): number {
    return this.gaps().reduce((t, [, l]) => t + l, 0);
  }
}

type Op =
  | { kind: 'alloc'; len: number; alignLog: number }
  | { kind: 'at'; off: number; len: number }
  | { kind: 'freeLive'; pick: number; part: number }
  | { kind: 'freeRandom'; off: number; len: number };

function opArb(unit: number, maxUnits: number, alignLogs: readonly number[]): fc.Arbitrary<Op> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('alloc' as const), len: fc.integer({ min: 1, max: maxUnits }).map((n) => n * unit), alignLog: fc.constantFrom(...alignLogs) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('at' as const), off: fc.nat(), len: fc.integer({ min: 1, max: maxUnits }).map((n) => n * unit) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('freeLive' as const), pick: fc.nat(), part: fc.integer({ min: 0, max: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('freeRandom' as const), off: fc.nat(), len: fc.integer({ min: 1, max: maxUnits }).map((n) => n * unit) }) },
  );
}

/** One allocator beside its model: `apply` runs an operation on both and compares them, `finish` frees everything. */
function underModel(start: number, len: number, unit: number): { apply(op: Op, checkExtents: boolean): void; finish(): void } {
  const a = new RangeAllocator(start, len);
  const m = new Model(start, len);
  const live: Array<[number, number]> = [];
  const apply = (op: Op, checkExtents: boolean): void => {
    switch (op.kind) {
      case 'alloc': {
        const align = 2 ** op.alignLog;
        const got = a.allocate(op.len, align);
        const want = m.allocate(op.len, align);
        expect(got).toBe(want);
        if (got !== undefined) {
          expect(got % align).toBe(0);
          expect(got).toBeGreaterThanOrEqual(start);
          expect(got + op.len).toBeLessThanOrEqual(start + len);
          live.push([got, op.len]);
        }
        break;
      }
      case 'at': {
        const addr = start - unit + ((op.off % Math.ceil(len / unit + 2)) * unit);
        if (addr < 0) break;
        const want = m.allocateAt(addr, op.len);
        expect(a.allocateAt(addr, op.len)).toBe(want);
        if (want) live.push([addr, op.len]);
        break;
      }
      case 'freeLive': {
        if (live.length === 0) break;
        const i = op.pick % live.length;
        const [s, l] = live[i]!;
        // part 0: whole block; 1: first half; 2: second half; 3: whole block again (may fail once freed)
        let fs = s;
        let fl = l;
        const half = Math.floor(l / unit / 2) * unit;
        if (op.part === 1 && half > 0) fl = half;
        if (op.part === 2 && half > 0) {
          fs = s + half;
          fl = l - half;
        }
        const ok = m.free(fs, fl);
        if (ok) a.free(fs, fl);
        else expect(codeOf(() => a.free(fs, fl))).toBe('EINVAL');
        if (op.part !== 3) live.splice(i, 1);
        if (ok && op.part === 1 && fl < l) live.push([s + fl, l - fl]);
        if (ok && op.part === 2 && fs > s) live.push([s, fs - s]);
        break;
      }
      case 'freeRandom': {
        const addr = start + (op.off % Math.ceil(len / unit)) * unit;
        const before = a.toJSON();
        const ok = m.free(addr, op.len);
        if (ok) a.free(addr, op.len);
        else {
          expect(codeOf(() => a.free(addr, op.len))).toBe('EINVAL');
          expect(a.toJSON()).toEqual(before);
        }
        break;
      }
    }
    if (checkExtents) {
      expect(extents(a)).toEqual(m.gaps());
      expect(a.largestFreeExtent).toBe(Math.max(0, ...m.gaps().map(([, l]) => l)));
    }
    expect(a.freeBytes).toBe(m.freeBytes);
    expect(a.usedBytes).toBe(len - m.freeBytes);
    expect(a.freeExtentCount).toBe(m.gaps().length);
    // AVL: the height bound holds after every operation, not just on average.
    expect(a.treeHeight).toBeLessThanOrEqual(Math.floor(1.45 * Math.log2(a.freeExtentCount + 2)));
  };
  const finish = (): void => {
    // Free everything still allocated: one extent again.
    for (const [s, e] of [...m.used]) {
      a.free(s, e - s);
      m.free(s, e - s);
    }
    expect(extents(a)).toEqual(len > 0 ? [[start, len]] : []);
    expect(a.freeBytes).toBe(len);
  };
  return { apply, finish };
}

function runAgainstModel(start: number, len: number, unit: number, ops: Op[], checkExtentsEvery = 1): void {
  const run = underModel(start, len, unit);
  ops.forEach((op, i) => run.apply(op, (i + 1) % checkExtentsEvery === 0));
  run.finish();
}

describe('RangeAllocator matches a scanning model (fast-check)', () => {
  it('byte-scale: untracked alignments 2..64 and byte alignment, lowest fit every time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 600 }),
        fc.array(opArb(1, 40, [0, 1, 2, 3, 4, 5, 6]), { minLength: 1, maxLength: 200, size: 'max' }),
        (start, len, ops) => runAgainstModel(start, len, 1, ops),
      ),
      { numRuns: 150 },
    );
  });

  it('page-scale in an unaligned 16 MiB VCM: tracked (4K/64K/1M/2M) and untracked (8K/128K) alignments', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0x400, 0, 0x1000, 0x3c00, 0x7ff000),
        fc.array(opArb(SZ_4K, 300, [12, 12, 13, 16, 16, 17, 20, 21]), { minLength: 1, maxLength: 250, size: 'max' }),
        (start, ops) => runAgainstModel(start, SZ_16M, SZ_4K, ops),
      ),
      { numRuns: 100 },
    );
  });

  it('two allocators interleaved: every tree shares one descent path, so operations alternating between them must not disturb each other', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), opArb(SZ_4K, 300, [12, 12, 13, 16, 16, 17, 20, 21])), { minLength: 1, maxLength: 250, size: 'max' }),
        (ops) => {
          const runs = [underModel(0x400, SZ_16M, SZ_4K), underModel(0x1000_0000, SZ_16M, SZ_4K)] as const;
          for (const [second, op] of ops) runs[second ? 1 : 0].apply(op, true);
          for (const run of runs) run.finish();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('long runs: thousands of operations on one allocator with hundreds of free extents', () => {
    // Mostly 4 KiB-page requests so that the free space fragments into a deep tree.
    fc.assert(
      fc.property(
        fc.array(opArb(SZ_4K, 24, [12, 12, 12, 13, 16, 16, 20]), { minLength: 3000, maxLength: 4000, size: 'max' }),
        (ops) => runAgainstModel(0x400, 64 * SZ_1M, SZ_4K, ops, 97),
      ),
      // A failing run of thousands of steps would take long to shrink; the smaller properties shrink well.
      { numRuns: 3, endOnFailure: true },
    );
  });

  it('above 2^32: a 40-bit VCM with 1 MiB and 16 MiB alignments', () => {
    fc.assert(
      fc.property(
        fc.array(opArb(SZ_64K, 400, [16, 20, 24, 30]), { minLength: 1, maxLength: 150, size: 'max' }),
        (ops) => runAgainstModel(2 ** 39 + 0x400, 2 ** 31, SZ_64K, ops),
      ),
      { numRuns: 50 },
    );
  });
});

// ---- a pool's tree: a unit (granule) and alignments granule · 2^k ------------

/** The granule of these tests: 4 KiB, as a memtype contiguous pool has. */
const G = SZ_4K;

/** Alignments granule · 2^k for k < levels, as `ContiguousPool` tracks them. */
function granuleAlignments(levels: number): number[] {
  return Array.from({ length: levels }, (_, k) => G * 2 ** k);
}

/** Bytes usable at alignment `align` in [start, end). */
function usable(start: number, end: number, align: number): number {
  const a = Math.ceil(start / align) * align;
  return end > a ? end - a : 0;
}

describe('RangeAllocator as a free-extent tree with a granule (the contiguous pool)', () => {
  it('stays balanced under sorted inserts (AVL height bound)', () => {
    const a = new RangeAllocator(0, 20_000 * G, { alignments: granuleAlignments(4) });
    expect(a.allocateAt(0, 20_000 * G)).toBe(true);
    // Each free lands after every existing extent and touches none: 10,000 sorted inserts.
    for (let i = 0; i < 10_000; i++) a.free(i * 2 * G, G);
    expect(a.freeExtentCount).toBe(10_000);
    expect(a.treeHeight).toBeLessThanOrEqual(Math.floor(1.45 * Math.log2(10_002)));
    for (let i = 0; i < 10_000; i += 2) expect(a.allocateAt(i * 2 * G, G)).toBe(true);
    expect(a.freeExtentCount).toBe(5_000);
    expect(a.treeHeight).toBeLessThanOrEqual(Math.floor(1.45 * Math.log2(5_002)));
  });

  it('property: lowestFit, the largest fit at every tracked alignment and isFree agree with a brute-force scan', () => {
    const levels = 5;
    fc.assert(
      fc.property(
        // fast-check draws lengths from `size`, not `maxLength`: 'max' builds trees of up to 60 extents, not 10.
        fc.uniqueArray(fc.nat(200), { maxLength: 60, size: 'max' }),
        fc.array(fc.nat(200), { maxLength: 30, size: 'max' }),
        fc.integer({ min: 1, max: 12 }),
        // One past the tracked alignments too: the backtracking search.
        fc.integer({ min: 0, max: levels }),
        (starts, removals, lenUnits, k) => {
          // Free extents [s·5G, s·5G + (1 + s % 2)G (+ 2G when 5 | s)): 1 to 4 granules, never touching.
          const total = 201 * 5 * G;
          const a = new RangeAllocator(0, total, { alignments: granuleAlignments(levels) });
          expect(a.allocateAt(0, total)).toBe(true);
          const live = new Map<number, number>();
          for (const s of starts) {
            const start = s * 5 * G;
            const end = start + (1 + (s % 2)) * G + (s % 5 === 0 ? 2 * G : 0);
            a.free(start, end - start);
            live.set(start, end);
          }
          for (const r of removals) {
            const start = r * 5 * G;
            const end = live.get(start);
            if (end !== undefined) {
              expect(a.allocateAt(start, end - start)).toBe(true);
              live.delete(start);
            }
          }
          const sorted = [...live].sort((x, y) => x[0] - y[0]);
          expect(a.freeExtents().map((e) => [e.start, e.start + e.len])).toEqual(sorted);
          expect(a.treeHeight).toBeLessThanOrEqual(Math.floor(1.45 * Math.log2(sorted.length + 2)));
          const align = G * 2 ** k;
          const len = lenUnits * G;
          const before = JSON.stringify(a.toJSON());
          const fit = sorted.find(([s, e]) => usable(s, e, align) >= len);
          expect(a.lowestFit(len, align)).toBe(fit === undefined ? undefined : Math.ceil(fit[0] / align) * align);
          // The largest block placeable at each tracked alignment: it fits, one granule more does not.
          for (let j = 0; j < levels; j++) {
            const aj = G * 2 ** j;
            const best = Math.max(0, ...sorted.map(([s, e]) => usable(s, e, aj)));
            if (best > 0) expect(a.lowestFit(best, aj)).not.toBeUndefined();
            expect(a.lowestFit(best + G, aj)).toBeUndefined();
            if (j === 0) expect(a.largestFreeExtent).toBe(best);
          }
          // Around a probe address and every extent edge, isFree matches the set.
          const freeAt = (p: number, l: number): boolean => sorted.some(([s, e]) => s <= p && p + l <= e);
          const probes = [100 * 5 * G + G, ...sorted.flatMap(([s, e]) => [s - G, s, e - G, e])].filter((p) => p >= 0 && p < total);
          for (const p of probes) for (const l of [G, 2 * G]) if (p + l <= total) expect(a.isFree(p, l)).toBe(freeAt(p, l));
          expect(JSON.stringify(a.toJSON())).toBe(before);
          if (fit !== undefined) {
            expect(a.allocate(len, align)).toBe(Math.ceil(fit[0] / align) * align);
            expect(a.freeBytes).toBe(sorted.reduce((t, [s, e]) => t + e - s, 0) - len);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an alignment below the granule means the granule; addresses and lengths must be whole granules', () => {
    const a = new RangeAllocator(0x3b80_0000, 64 * G, { alignments: granuleAlignments(7) });
    expect(a.unit).toBe(G);
    expect(a.alignments).toEqual(granuleAlignments(7));
    expect(a.allocate(G, 1)).toBe(0x3b80_0000);
    expect(a.allocate(G, 1024)).toBe(0x3b80_1000);
    expect(a.allocate(4 * G, 16 * G)).toBe(0x3b81_0000);
    const before = JSON.stringify(a.toJSON());
    expect(vcmErrorOf(() => a.allocate(G + 1, 1)).details['param']).toBe('len');
    expect(vcmErrorOf(() => a.allocateAt(0x3b80_2800, G)).details['param']).toBe('addr');
    expect(vcmErrorOf(() => a.free(0x3b80_0000, 1024)).details['param']).toBe('len');
    expect(vcmErrorOf(() => a.isFree(0x3b80_2001, G)).details['param']).toBe('addr');
    expect(JSON.stringify(a.toJSON())).toBe(before);
    expect(vcmErrorOf(() => new RangeAllocator(0x800, 4 * G, { alignments: [G] })).details['param']).toBe('start');
    expect(vcmErrorOf(() => new RangeAllocator(0, 4 * G + 0x800, { alignments: [G] })).details['param']).toBe('len');
  });
});

// ---- the public boundary: bad input is EINVAL and changes nothing ---------------

/** Values no address, length or alignment may take. */
const ALWAYS_BAD: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(Number.NaN, Infinity, -Infinity, -1, -SZ_4K, 0.5, SZ_4K + 0.5, 2 ** 40 + SZ_4K, 2 ** 53, Number.MAX_VALUE, '4096', '', null, undefined, true, {}, [SZ_4K], 4096n, Symbol('x'), () => SZ_4K),
  fc.integer({ min: -(2 ** 40), max: -1 }),
  fc.double({ noInteger: true, noDefaultInfinity: false }),
  fc.integer({ min: 2 ** 40 + 1, max: Number.MAX_SAFE_INTEGER }),
  fc.string(),
  fc.object(),
);

type Call = { method: 'allocate' | 'lowestFit'; slot: 0 | 1 } | { method: 'allocateAt' | 'free' | 'isFree'; slot: 0 | 1 };
const CALLS: Call[] = (['allocate', 'lowestFit', 'allocateAt', 'free', 'isFree'] as const).flatMap((method) => [
  { method, slot: 0 as const },
  { method, slot: 1 as const },
]);

/** Call a method by name with arguments of any type, as JavaScript callers can. */
function invoke(a: RangeAllocator, method: Call['method'], args: unknown[]): unknown {
  return (a as unknown as Record<Call['method'], (...xs: unknown[]) => unknown>)[method](...args);
}

/** A fragmented allocator: live blocks and holes. */
function fragmented(): RangeAllocator {
  const a = new RangeAllocator(0x400, SZ_16M);
  const got = [a.allocate(SZ_4K, SZ_4K), a.allocate(SZ_64K, SZ_64K), a.allocate(SZ_1M, SZ_1M), a.allocate(3 * SZ_4K, SZ_4K)];
  a.free(got[1]!, SZ_64K);
  return a;
}

describe('RangeAllocator: carving from and freeing into the free tail (the open right spine)', () => {
  /** The free gaps of [start, start + len) around the live blocks, in address order. */
  function gapsAround(start: number, len: number, live: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let at = start;
    for (const [s, l] of [...live].sort((x, y) => x[0] - y[0])) {
      if (s > at) out.push([at, s - at]);
      at = s + l;
    }
    if (start + len > at) out.push([at, start + len - at]);
    return out;
  }

  it('property: after every allocate and free, placement, the largest block at each tracked alignment and the largest free extent match a scan', () => {
    // The tree keeps its highest extent's fits out of its ancestors'; large
    // aligned requests land there, small ones in the low holes, and frees in
    // any order rotate nodes on and off the right spine.
    const levels = 6;
    const start = 3 * G;
    const len = 2048 * G;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ free: fc.boolean(), pick: fc.nat(), units: fc.integer({ min: 1, max: 48 }), k: fc.integer({ min: 0, max: levels - 1 }) }),
          // fast-check draws lengths from `size`, not `maxLength`: 'max' keeps ~40 blocks live, not 10.
          { minLength: 1, maxLength: 400, size: 'max' },
        ),
        (ops) => {
          const a = new RangeAllocator(start, len, { alignments: granuleAlignments(levels) });
          const live: Array<[number, number]> = [];
          for (const op of ops) {
            if (op.free && live.length > 0) {
              const [s, l] = live.splice(op.pick % live.length, 1)[0]!;
              a.free(s, l);
            } else {
              const want = op.units * G;
              const align = G * 2 ** op.k;
              const fit = gapsAround(start, len, live).find(([s, l]) => usable(s, s + l, align) >= want);
              const at = a.allocate(want, align);
              expect(at).toBe(fit === undefined ? undefined : Math.ceil(fit[0] / align) * align);
              if (at !== undefined) live.push([at, want]);
            }
            const gaps = gapsAround(start, len, live);
            expect(extents(a)).toEqual(gaps);
            expect(a.largestFreeExtent).toBe(Math.max(0, ...gaps.map(([, l]) => l)));
            expect(a.treeHeight).toBeLessThanOrEqual(Math.floor(1.45 * Math.log2(gaps.length + 2)));
            // Every gap's room at every level, asked for exactly: the answer is
            // the lowest gap with that much room, wherever it sits in the tree
            // (a stale subtree fit hides such a gap), and a granule more than
            // the best is refused.
            for (let j = 0; j < levels; j++) {
              const aj = G * 2 ** j;
              const rooms = gaps.map(([s, l]) => usable(s, s + l, aj));
              for (const room of new Set(rooms)) {
                if (room === 0) continue;
                const lowest = gaps[rooms.findIndex((r) => r >= room)]!;
                expect(a.lowestFit(room, aj)).toBe(Math.ceil(lowest[0] / aj) * aj);
              }
              expect(a.lowestFit(Math.max(0, ...rooms) + G, aj)).toBeUndefined();
            }
          }
        },
      ),
      // Up to 400 steps, each checked against a scan at every level: fewer, longer runs. The time limit bounds the
      // shrinking of a failure (fast-check's assert is synchronous: a test timeout cannot stop it); passing runs take seconds.
      { numRuns: 25, interruptAfterTimeLimit: 120_000, markInterruptAsFailure: true },
    );
  });
});

describe('RangeAllocator: the public boundary', () => {
  it('property: every bad argument of every method is EINVAL naming it, and the allocator is unchanged', () => {
    const a = fragmented();
    const digest = JSON.stringify(a.toJSON());
    const good: Record<Call['method'], [number, number]> = {
      allocate: [SZ_4K, SZ_4K],
      lowestFit: [SZ_4K, SZ_4K],
      allocateAt: [0x5000, SZ_4K],
      free: [0x1000, SZ_4K],
      isFree: [0x5000, SZ_4K],
    };
    const names: Record<Call['method'], [string, string]> = {
      allocate: ['len', 'align'],
      lowestFit: ['len', 'align'],
      allocateAt: ['addr', 'len'],
      free: ['addr', 'len'],
      isFree: ['addr', 'len'],
    };
    fc.assert(
      fc.property(fc.constantFrom(...CALLS), ALWAYS_BAD, (call, bad) => {
        const args: unknown[] = [...good[call.method]];
        args[call.slot] = bad;
        const e = vcmErrorOf(() => invoke(a, call.method, args));
        expect(e.code).toBe('EINVAL');
        expect(e.details['param']).toBe(names[call.method][call.slot]);
        expect(e.message).toContain(`RangeAllocator.${call.method}: ${names[call.method][call.slot]} must be`);
        expect(JSON.stringify(a.toJSON())).toBe(digest);
      }),
      { numRuns: 1000 },
    );
    // The same calls with good arguments still work on the untouched allocator.
    expect(a.isFree(0x5000, SZ_4K)).toBe(true);
    expect(a.allocate(SZ_4K, SZ_4K)).toBe(0x5000);
  });

  it('property: slot-specific bad values (zero lengths, non-powers of two, ranges past 2^40) are EINVAL and change nothing', () => {
    const a = fragmented();
    const digest = JSON.stringify(a.toJSON());
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constant(['allocate', 0, 1, 'len'] as const),
          fc.constant(['lowestFit', 0, 1, 'len'] as const),
          fc.integer({ min: 3, max: 2 ** 40 }).filter((x) => 2 ** Math.round(Math.log2(x)) !== x).map((x) => ['allocate', SZ_4K, x, 'align'] as const),
          fc.constant(['allocate', SZ_4K, 0, 'align'] as const),
          fc.constant(['allocate', SZ_4K, 2 ** 41, 'align'] as const),
          fc.constant(['allocateAt', 0x2000, 0, 'len'] as const),
          fc.integer({ min: 2 ** 40 - SZ_16M + 1, max: 2 ** 40 - 1 }).map((x) => ['isFree', x, SZ_16M, 'len'] as const),
          fc.constant(['free', 2 ** 40, SZ_4K, 'addr'] as const),
        ),
        ([method, x, y, param]) => {
          const e = vcmErrorOf(() => invoke(a, method, [x, y]));
          expect(e.code).toBe('EINVAL');
          expect(e.details['param']).toBe(param);
          expect(JSON.stringify(a.toJSON())).toBe(digest);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: a bad start, length, options or alignments list is EINVAL naming it', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          ALWAYS_BAD.map((v) => [[v, SZ_1M], 'start'] as const),
          ALWAYS_BAD.map((v) => [[0, v], 'len'] as const),
          fc.constantFrom<unknown>(null, 7, 'x', true).map((v) => [[0, SZ_1M, v], 'options'] as const),
          fc.constantFrom<unknown>(null, 7, 'x', {}, [], Array.from({ length: 42 }, (_, i) => 2 ** i)).map((v) => [[0, SZ_1M, { alignments: v }], 'alignments'] as const),
          fc.constantFrom<unknown>(3, 0, -4096, 0.5, NaN, '4096', null, 2 ** 41).map((v) => [[0, SZ_1M, { alignments: [1, v] }], 'alignments[1]'] as const),
          fc.constantFrom([SZ_4K, SZ_4K], [SZ_64K, SZ_4K]).map((v) => [[0, SZ_1M, { alignments: v }], 'alignments'] as const),
        ),
        ([args, param]) => {
          const e = vcmErrorOf(() => new (RangeAllocator as unknown as new (...xs: unknown[]) => RangeAllocator)(...args));
          expect(e.code).toBe('EINVAL');
          expect(e.details['param']).toBe(param);
        },
      ),
      { numRuns: 300 },
    );
  });
});
