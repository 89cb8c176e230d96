/**
 * Property test for both formats: random mapRange / map / unmap /
 * unmapRange / walk sequences agree at every step with a reference model
 * (a sorted list of mapped leaves, built by a plain greedy split), every
 * refused call leaves the RAM of every table (and the allocator's live set)
 * unchanged (docs/rules.md#atomicity), and all table memory except the root
 * comes back once everything is unmapped. For LPAE the model also knows
 * the contiguous hint: 16 aligned leaves of one size written by one call,
 * with both addresses aligned to the run, walk as one run, and a run that an
 * unmap cuts loses its hint.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SZ_16M, SZ_1G, SZ_1M, SZ_2M, SZ_4K, SZ_64K, VCM_READ, VCM_WB_WA, VCM_WRITE } from '@vcm/core';
import type { PageTable, PageTableFormat } from '../format.js';
import { armLpae4k, armV7Short } from './index.js';
import { decodeLpae, decodeShort } from './test-decoder.js';
import { TestRam } from './test-ram.js';
import { codeOf } from '@vcm/test-kit';

interface Leaf {
  va: number;
  size: number;
  pa: number;
  /** The contiguous-hint run this leaf belongs to (its size), or 0. */
  run: number;
}

/** The reference: leaves sorted by va. */
class Model {
  leaves: Leaf[] = [];
  constructor(
    private readonly sizes: readonly number[],
    /** Leaf sizes that can carry the contiguous hint (LPAE: 4 KiB pages and 2 MiB blocks). */
    private readonly hinted: readonly number[],
  ) {}

  /** The greedy split, written the obvious way: at each step the largest size both addresses are aligned to that fits. */
  split(va: number, pa: number, len: number): Leaf[] {
    const out: Leaf[] = [];
    for (let c = 0; c < len; ) {
      let s = SZ_4K;
      for (const size of this.sizes) if ((va + c) % size === 0 && (pa + c) % size === 0 && c + size <= len) s = size;
      out.push({ va: va + c, size: s, pa: pa + c, run: 0 });
      c += s;
    }
    // 16 consecutive leaves of one hinted size, the first at a run-aligned va and pa: a run.
    for (let i = 0; i + 16 <= out.length; i++) {
      const first = out[i] as Leaf;
      const run = first.size * 16;
      if (!this.hinted.includes(first.size) || first.va % run !== 0 || first.pa % run !== 0) continue;
      if (out.slice(i, i + 16).every((l) => l.size === first.size)) {
        for (let k = i; k < i + 16; k++) (out[k] as Leaf).run = run;
        i += 15;
      }
    }
    return out;
  }

  find(addr: number): Leaf | undefined {
    let lo = 0;
    let hi = this.leaves.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const l = this.leaves[mid] as Leaf;
      if (addr < l.va) hi = mid - 1;
      else if (addr >= l.va + l.size) lo = mid + 1;
      else return l;
    }
    return undefined;
  }

  overlaps(va: number, len: number): boolean {
    return this.leaves.some((l) => l.va < va + len && va < l.va + l.size);
  }

  /** The error code mapRange must give, or undefined to succeed. */
  mapRange(va: number, pa: number, len: number): string | undefined {
    if (this.overlaps(va, len)) return 'EBUSY';
    this.leaves.push(...this.split(va, pa, len));
    this.leaves.sort((a, b) => a.va - b.va);
    return undefined;
  }

  unmapRange(va: number, len: number): string | undefined {
    for (let cur = va; cur < va + len; ) {
      const l = this.find(cur);
      if (l === undefined) return 'ENOENT';
      if (l.va < cur || l.va + l.size > va + len) return 'EINVAL';
      cur = l.va + l.size;
    }
    const end = va + len;
    // A run the range cuts keeps its other leaves, without the hint.
    for (const l of this.leaves) {
      if (l.run === 0) continue;
      const runVa = l.va - (l.va % l.run);
      if (runVa < end && va < runVa + l.run && (runVa < va || runVa + l.run > end)) l.run = 0;
    }
    this.leaves = this.leaves.filter((l) => l.va + l.size <= va || l.va >= end);
    return undefined;
  }

  unmap(va: number, size: number): string | undefined {
    if (va % size !== 0) return 'EINVAL';
    const l = this.find(va);
    if (l === undefined) return 'ENOENT';
    if (l.size !== size) return 'EINVAL';
    return this.unmapRange(va, size);
  }
}

type Op =
  | { kind: 'mapRange'; va: number; pa: number; len: number }
  | { kind: 'map'; va: number; pa: number; size: number }
  | { kind: 'unmapRange'; va: number; len: number }
  | { kind: 'unmap'; pick: number; size: number }
  | { kind: 'walk'; va: number };

/** VA window: 96 MiB (room for supersections and 2 MiB blocks, crowded enough to clash) plus whole GiBs for LPAE blocks. */
const WINDOW = 96 * SZ_1M;

function arbOps(format: PageTableFormat): fc.Arbitrary<Op[]> {
  const units = format.pageSizes.filter((s) => s < SZ_1G);
  const alignedVa = fc.tuple(fc.constantFrom(...units), fc.nat({ max: WINDOW / SZ_4K - 1 })).map(([u, n]) => (n * SZ_4K) - ((n * SZ_4K) % u));
  const alignedPa = fc.tuple(fc.constantFrom(...units), fc.nat({ max: 0x7fff_f000 / SZ_4K })).map(([u, n]) => (n * SZ_4K) - ((n * SZ_4K) % u));
  const len = fc.tuple(fc.constantFrom(...units), fc.integer({ min: 1, max: 3 }), fc.nat({ max: 20 })).map(([u, m, extra]) => u * m + extra * SZ_4K);
  const mapRange = fc.record({ kind: fc.constant('mapRange' as const), va: alignedVa, pa: alignedPa, len }).map((o) => ({ ...o, len: Math.min(o.len, WINDOW - o.va) }));
  const map = fc
    .record({ kind: fc.constant('map' as const), size: fc.constantFrom(...units), va: fc.nat({ max: WINDOW / SZ_4K - 1 }), pa: fc.nat({ max: 0x7fff_f000 / SZ_4K }) })
    .map((o) => ({ ...o, va: o.va * SZ_4K - ((o.va * SZ_4K) % o.size), pa: o.pa * SZ_4K - ((o.pa * SZ_4K) % o.size) }));
  const unmapRange = fc.record({ kind: fc.constant('unmapRange' as const), va: alignedVa, len }).map((o) => ({ ...o, len: Math.min(o.len, WINDOW - o.va) }));
  const unmap = fc.record({ kind: fc.constant('unmap' as const), pick: fc.nat(), size: fc.constantFrom(...format.pageSizes) });
  const walk = fc.record({ kind: fc.constant('walk' as const), va: fc.nat({ max: WINDOW - 1 }) });
  const arbs: Array<fc.Arbitrary<Op>> = [mapRange, mapRange, map, unmapRange, unmap, unmap, walk];
  if (format.pageSizes.includes(SZ_1G)) {
    // Whole GiBs above the window: 1 GiB blocks, or 2 MiB blocks when the PA is only 2 MiB aligned.
    arbs.push(
      fc
        .record({ kind: fc.constant('mapRange' as const), g: fc.integer({ min: 1, max: 3 }), p: fc.integer({ min: 0, max: 3 }), half: fc.boolean() })
        .map(({ g, p, half }) => ({ kind: 'mapRange' as const, va: g * SZ_1G, pa: p * SZ_1G + (half ? SZ_2M : 0), len: SZ_1G })),
    );
  }
  // fast-check draws lengths from `size`, not `maxLength`: 'max' runs up to 24 operations, so mappings crowd and clash.
  return fc.array(fc.oneof(...arbs), { minLength: 1, maxLength: 24, size: 'max' });
}

/** An independent walker over the raw RAM (test-decoder.ts): what hardware would find. */
function rawWalk(ram: TestRam, pt: PageTable, va: number): number | undefined {
  return pt.format === armV7Short ? decodeShort(ram, pt.rootPa, va) : decodeLpae(ram, pt.rootPa, va);
}

function agree(ram: TestRam, pt: PageTable, model: Model, probes: number[]): void {
  // Compared as one string: a deep equality over thousands of leaf objects per step is what would make this test slow.
  // The contiguous hint is bit 52 of the descriptor (bit 20 of the high word).
  const flat = (ls: Iterable<{ va: number; size: number; pa: number; hint: number }>): string =>
    Array.from(ls, (l) => `${l.va.toString(16)}/${l.size.toString(16)}/${l.pa.toString(16)}${l.hint ? '+' : ''}`).join(' ');
  expect(flat(Array.from(pt.leaves(), (l) => ({ ...l, hint: (l.descriptorHigh >>> 20) & 1 })))).toBe(flat(model.leaves.map((l) => ({ ...l, hint: l.run === 0 ? 0 : 1 }))));
  for (const va of probes) {
    if (va < 0 || va >= pt.inputSize) continue;
    const m = model.find(va);
    const w = pt.walk(va);
    const tlb = m === undefined ? undefined : m.run === 0 ? [m.pa + (va - m.va), m.va, m.size] : [m.pa + (va - m.va), va - (va % m.run), m.run];
    expect(w === undefined ? undefined : [w.pa, w.va, w.size]).toEqual(tlb);
    expect(rawWalk(ram, pt, va)).toBe(m === undefined ? undefined : m.pa + (va - m.va));
  }
}

const PROT = VCM_READ | VCM_WRITE | VCM_WB_WA;

describe.each([
  ['armV7Short', armV7Short, 0x4000],
  ['armLpae4k', armLpae4k, 0x400],
] as const)('%s agrees with a sorted-leaves model', (_name, format, rootBytes) => {
  it('at every step of random map/unmap/walk sequences, atomically, and gives back all table memory', () => {
    fc.assert(
      fc.property(arbOps(format), fc.nat(), (ops, seed) => {
        const ram = new TestRam();
        const pt = format.create(ram, ram);
        const model = new Model(format.pageSizes, format === armLpae4k ? [SZ_4K, SZ_2M] : []);
        for (const op of ops) {
          const before = ram.digest();
          let expected: string | undefined;
          let got: string | undefined;
          let probes: number[];
          switch (op.kind) {
            case 'mapRange':
              expected = model.mapRange(op.va, op.pa, op.len);
              got = codeOf(() => pt.mapRange(op.va, op.pa, op.len, PROT));
              probes = [op.va, op.va + op.len - 1, op.va + op.len, op.va + ((seed % (op.len / SZ_4K)) * SZ_4K) + 0x7f8];
              break;
            case 'map':
              expected = model.mapRange(op.va, op.pa, op.size);
              got = codeOf(() => pt.map(op.va, op.pa, op.size, PROT));
              probes = [op.va, op.va + op.size - 1];
              break;
            case 'unmapRange':
              expected = model.unmapRange(op.va, op.len);
              got = codeOf(() => pt.unmapRange(op.va, op.len));
              probes = [op.va, op.va + op.len - 1, op.va - 1];
              break;
            case 'unmap': {
              // Usually a mapped leaf (sometimes with the wrong size), else an unmapped address.
              const leaf = model.leaves.length > 0 ? model.leaves[op.pick % model.leaves.length] : undefined;
              const va = leaf === undefined ? (op.pick % Math.max(1, Math.floor(WINDOW / op.size))) * op.size : leaf.va - (leaf.va % op.size);
              expected = model.unmap(va, op.size);
              got = codeOf(() => pt.unmap(va, op.size));
              probes = [va, va + op.size - 1];
              break;
            }
            case 'walk':
              expected = undefined;
              got = undefined;
              probes = [op.va];
              break;
          }
          expect(got, `${JSON.stringify(op)}`).toBe(expected);
          if (got !== undefined) expect(ram.digest(), `refused ${JSON.stringify(op)} changed RAM`).toBe(before);
          agree(ram, pt, model, probes);
          expect(pt.tableBytes).toBe(ram.liveTableBytes);
        }
        // Unmap everything, leaf by leaf in a shuffled order: the tables all come back.
        const rest = [...model.leaves];
        for (let i = rest.length - 1; i > 0; i--) {
          const j = (seed + i * 7919) % (i + 1);
          [rest[i], rest[j]] = [rest[j] as Leaf, rest[i] as Leaf];
        }
        for (const l of rest) pt.unmap(l.va, l.size);
        expect([...pt.leaves()]).toEqual([]);
        expect(pt.tableBytes).toBe(rootBytes);
        expect(ram.liveTableBytes).toBe(rootBytes);
        pt.destroy();
        expect(ram.liveTableBytes).toBe(0);
      }),
      // Up to 24 steps, each compared leaf by leaf with the model: fewer, longer runs. The time limit bounds the
      // shrinking of a failure (fast-check's assert is synchronous: a test timeout cannot stop it); passing runs take seconds.
      { numRuns: 25, interruptAfterTimeLimit: 120_000, markInterruptAsFailure: true },
    );
  });

  it('unmapRange over a freshly mapped range returns the table memory too', () => {
    fc.assert(
      fc.property(fc.nat({ max: 4095 }), fc.nat({ max: 200 }), fc.integer({ min: 1, max: 600 }), (v, p, pages) => {
        const ram = new TestRam();
        const pt = format.create(ram, ram);
        const va = v * SZ_64K;
        const pa = p * SZ_16M + (p % 3) * SZ_1M + (p % 5) * SZ_4K;
        const len = Math.min(pages * SZ_64K + (p % 7) * SZ_4K, pt.inputSize - va);
        pt.mapRange(va, pa, len, PROT);
        expect(pt.walk(va + len - 1)?.pa).toBe(pa + len - 1);
        for (let off = 0; off < len; off += 0x3_3000) expect(rawWalk(ram, pt, va + off + 0x5a4)).toBe(pa + off + 0x5a4);
        pt.unmapRange(va, len);
        expect(pt.tableBytes).toBe(rootBytes);
        expect(ram.liveTableBytes).toBe(rootBytes);
      }),
      { numRuns: 60 },
    );
  });
});

