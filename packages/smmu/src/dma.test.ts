import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SZ_16M, SZ_1M, SZ_4K, SZ_64K, VCM_READ, VCM_WRITE } from '@vcm/core';
import type { PhysicalMemory } from '@vcm/core';
import { testSmmu } from './test-smmu.js';
import { TestRam } from './formats/test-ram.js';
import type { SmmuContext } from './context.js';
import { codeOf } from '@vcm/test-kit';

const RW = VCM_READ | VCM_WRITE;

function active(tlbEntries = 32): ReturnType<typeof testSmmu> & { ctx: SmmuContext } {
  const sys = testSmmu({ tlb: { entries: tlbEntries } });
  const ctx = sys.smmu.createContext(0);
  ctx.bind(sys.smmu);
  ctx.activate();
  return { ...sys, ctx };
}

describe('ctx.dma read/write', () => {
  it('moves real bytes to the translated physical pages, split where pages end', () => {
    const { ctx, ram } = active();
    ctx.map(0x4000_0000, 0x0000_0000, SZ_4K, RW);
    ctx.map(0x4123_0000, 0x0000_1000, SZ_4K, RW);
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
    ctx.dma.write(0x0ff0, bytes);
    expect([...ram.read(0x4000_0ff0, 16)]).toEqual([...bytes.subarray(0, 16)]);
    expect([...ram.read(0x4123_0000, 16)]).toEqual([...bytes.subarray(16)]);
    expect([...ctx.dma.read(0x0ff0, 32)]).toEqual([...bytes]);
  });

  it('a write that faults part-way stores the pieces before the fault and nothing else', () => {
    const { ctx, ram } = active();
    ctx.map(0x4000_0000, 0x0000_0000, SZ_4K, RW);
    const before = ram.digest();
    expect(codeOf(() => ctx.dma.write(0x0ff0, new Uint8Array(32).fill(0xaa)))).toBe('EFAULT');
    expect([...ram.read(0x4000_0ff0, 16)]).toEqual(new Array(16).fill(0xaa));
    // Taking those 16 bytes back gives the RAM as it was: nothing else was written.
    ram.write(0x4000_0ff0, new Uint8Array(16));
    expect(ram.digest()).toBe(before);
  });

  it('DMA through an inactive context or out of the 32-bit space is EINVAL', () => {
    const { smmu, ctx } = active();
    const idle = smmu.createContext(1);
    expect(codeOf(() => idle.dma.read(0, 4))).toBe('EINVAL');
    expect(codeOf(() => ctx.dma.read(0xffff_fff0, 32))).toBe('EINVAL');
    expect(codeOf(() => ctx.dma.stream(0, 64, { burst: 0 }))).toBe('EINVAL');
  });

  it('reads into the result through the RAM\'s readInto when it has one: the same bytes, observed or not', () => {
    const ram = new TestRam();
    let intos = 0;
    // The test RAM with a readInto (the product RAM has one): every other method is the test RAM's.
    const memory: PhysicalMemory = {
      banks: ram.banks,
      read: (pa, len) => ram.read(pa, len),
      readInto: (pa, out) => {
        intos++;
        out.set(ram.read(pa, out.length));
        return out;
      },
      write: (pa, bytes) => ram.write(pa, bytes),
      readU32: (pa) => ram.readU32(pa),
      writeU32: (pa, value) => ram.writeU32(pa, value),
      fill: (pa, len, value) => ram.fill(pa, len, value),
      copy: (dst, src, len) => ram.copy(dst, src, len),
      pageWords: (pa) => ram.pageWords(pa),
      contains: (pa, len) => ram.contains(pa, len),
    };
    const { smmu } = testSmmu({ memory, tableAllocator: ram });
    const ctx = smmu.createContext(0);
    ctx.bind(smmu);
    ctx.activate();
    // Three pages, not adjacent in RAM, the middle one a 64 KiB page.
    ctx.map(0x4000_3000, 0x0000_f000, SZ_4K, RW);
    ctx.map(0x4001_0000, 0x0001_0000, SZ_64K, RW);
    ctx.map(0x4000_0000, 0x0002_0000, SZ_4K, RW);
    const bytes = Uint8Array.from({ length: SZ_64K + 2 * SZ_4K - 0x20 }, (_, i) => (i * 7 + (i >>> 9)) & 0xff);
    ctx.dma.write(0xf010, bytes);
    expect([...ram.read(0x4000_3010, 16)]).toEqual([...bytes.subarray(0, 16)]);
    expect(Buffer.from(ctx.dma.read(0xf010, bytes.length)).equals(Buffer.from(bytes))).toBe(true);
    expect(intos).toBe(3);
    const seen: number[] = [];
    expect(Buffer.from(ctx.dma.read(0xf010, bytes.length, { onAccess: (pa, _len, _w, walk) => void (walk || seen.push(pa)) })).equals(Buffer.from(bytes))).toBe(true);
    expect(seen).toEqual([0x4000_3010, 0x4001_0000, 0x4000_0000]);
    expect(intos).toBe(6);
  });

  it('counts one miss and one walk per page, hits after', () => {
    const { ctx, smmu } = active();
    ctx.map(0x4000_0000, 0, SZ_64K, RW);
    smmu.tlb.reset();
    ctx.dma.read(0, SZ_64K);
    ctx.dma.read(0x100, 4);
    expect(smmu.tlb.stats()).toMatchObject({ misses: 1, walks: 1, hits: 1, fills: 1, entries: 1 });
  });
});

describe('ctx.dma read/write with an access observer', () => {
  type Seen = [pa: number, bytes: number, write: boolean, walk: boolean, cycle: number];
  const observe = (seen: Seen[]) => ({ onAccess: (pa: number, bytes: number, write: boolean, walk: boolean, cycle: number) => seen.push([pa, bytes, write, walk, cycle]) });

  it('sees each piece where its translation ends and the descriptor reads of each walk, before its data', () => {
    const { ctx } = active();
    ctx.map(0x4000_0000, 0x0000_0000, SZ_4K, RW);
    ctx.map(0x4123_0000, 0x0000_1000, SZ_4K, RW);
    const seen: Seen[] = [];
    ctx.dma.write(0x0ff0, new Uint8Array(32).fill(5), observe(seen));
    const [a, b] = [ctx.walk(0x0ff0).steps, ctx.walk(0x1000).steps];
    expect(seen.map(([pa, bytes, write, walk]) => [pa, bytes, write, walk])).toEqual([
      [a[0]!.entryPa, 4, false, true],
      [a[1]!.entryPa, 4, false, true],
      [0x4000_0ff0, 16, true, false],
      [b[0]!.entryPa, 4, false, true],
      [b[1]!.entryPa, 4, false, true],
      [0x4123_0000, 16, true, false],
    ]);
    seen.length = 0;
    // Both pages are in the TLB now: a read walks nothing.
    expect([...ctx.dma.read(0x0ff0, 32, observe(seen))]).toEqual(new Array(32).fill(5));
    expect(seen.map(([pa, bytes, write, walk]) => [pa, bytes, write, walk])).toEqual([
      [0x4000_0ff0, 16, false, false],
      [0x4123_0000, 16, false, false],
    ]);
  });

  it('moves the same bytes and counts the same as without one, cycles included on a timed SMMU', () => {
    const run = (withObserver: boolean) => {
      const sys = testSmmu({ model: 'mmu-500' });
      const ctx = sys.smmu.createContext(0);
      ctx.bind(sys.smmu);
      ctx.activate();
      for (let p = 0; p < 4; p++) ctx.map(0x4000_0000 + p * 0x10_0000, p * SZ_4K, SZ_4K, RW);
      const seen: Seen[] = [];
      const options = withObserver ? observe(seen) : undefined;
      ctx.dma.write(0x100, Uint8Array.from({ length: 3 * SZ_4K }, (_, i) => i & 0xff), options);
      const bytes = ctx.dma.read(0x80, 3 * SZ_4K, options);
      return { digest: sys.ram.digest(), bytes: [...bytes], events: ctx.events(), tlb: sys.smmu.tlb.stats(), seen };
    };
    const plain = run(false);
    const observed = run(true);
    expect(observed.digest).toBe(plain.digest);
    expect(observed.bytes).toEqual(plain.bytes);
    expect(observed.events).toEqual(plain.events);
    expect(observed.tlb).toEqual(plain.tlb);
    // One data line per transaction, one walk line per descriptor read; cycles never go back within a transfer's data.
    const data = observed.seen.filter((x) => !x[3]);
    expect(data).toHaveLength(plain.events.transaction);
    expect(observed.seen.filter((x) => x[3])).toHaveLength(plain.events.trans_table_walk_access);
    expect(data.every((x, i) => i === 0 || x[4] >= data[i - 1]![4] || x[2] !== data[i - 1]![2])).toBe(true);
    expect(data.some((x) => x[4] > 0)).toBe(true);
  });

  it('refuses bad options (EINVAL) before any access, the RAM and counters as they were', () => {
    const { ctx, ram, smmu } = active();
    ctx.map(0x4000_0000, 0, SZ_4K, RW);
    const before = { ram: ram.digest(), tlb: smmu.tlb.stats(), events: ctx.events() };
    for (const options of [null, 5, [], { onAccess: 5 }, { onAccess: null }, { observer: () => {} }]) {
      expect(codeOf(() => ctx.dma.read(0, 16, options as never))).toBe('EINVAL');
      expect(codeOf(() => ctx.dma.write(0, new Uint8Array(16).fill(1), options as never))).toBe('EINVAL');
    }
    expect({ ram: ram.digest(), tlb: smmu.tlb.stats(), events: ctx.events() }).toEqual(before);
  });
});

describe('the TLB study', () => {
  for (const [page, misses] of [
    [SZ_4K, 4096],
    [SZ_64K, 256],
    [SZ_1M, 16],
    [SZ_16M, 1],
  ] as const) {
    it(`a 16 MiB buffer streamed in 64-byte bursts through a 32-entry TLB costs ${misses} misses with ${page / 1024} KiB pages`, () => {
      const { ctx, smmu } = active(32);
      const va = 0x1000_0000;
      ctx.updateStart();
      for (let off = 0; off < SZ_16M; off += page) ctx.map(0x4000_0000 + off, va + off, page, RW);
      ctx.updateDone();
      smmu.tlb.reset();
      const r = ctx.dma.stream(va, SZ_16M, { burst: 64 });
      expect(r.accesses).toBe(SZ_16M / 64);
      expect(r.misses).toBe(misses);
      expect(r.walks).toBe(misses);
      expect(r.hits).toBe(SZ_16M / 64 - misses);
      expect(smmu.tlb.stats()).toMatchObject({ misses, walks: misses, hits: SZ_16M / 64 - misses, evictions: Math.max(0, misses - 32) });
    });
  }

  it('stream counts misses and walks exactly as read does', () => {
    const a = active(4);
    const b = active(4);
    for (const s of [a, b]) {
      for (let i = 0; i < 12; i++) s.ctx.map(0x4000_0000 + i * SZ_64K, i * SZ_64K, SZ_64K, RW);
      s.ctx.map(0x4100_0000, 12 * SZ_64K, SZ_4K, RW);
      s.smmu.tlb.reset();
    }
    const len = 12 * SZ_64K + SZ_4K;
    a.ctx.dma.read(0, len);
    a.ctx.dma.read(0, len);
    b.ctx.dma.stream(0, len, { burst: 4096 });
    b.ctx.dma.stream(0, len, { burst: 4096 });
    expect(b.smmu.tlb.stats().misses).toBe(a.smmu.tlb.stats().misses);
    expect(b.smmu.tlb.stats().walks).toBe(a.smmu.tlb.stats().walks);
    expect(b.smmu.tlb.stats().evictions).toBe(a.smmu.tlb.stats().evictions);
  });
});

describe('no stale translation after updateDone (property)', () => {
  const PAGES = 64; // a 256 KiB window of 4 KiB slots, mapped with 4 KiB or 64 KiB pages
  type Op =
    | { kind: 'map'; slot: number; big: boolean; frame: number }
    | { kind: 'unmap'; slot: number }
    | { kind: 'read'; slot: number; offset: number }
    | { kind: 'bracket'; ops: Op[] };
  const leaf = fc.oneof(
    fc.record({ kind: fc.constant('map' as const), slot: fc.integer({ min: 0, max: PAGES - 1 }), big: fc.boolean(), frame: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('unmap' as const), slot: fc.integer({ min: 0, max: PAGES - 1 }) }),
    fc.record({ kind: fc.constant('read' as const), slot: fc.integer({ min: 0, max: PAGES - 1 }), offset: fc.integer({ min: 0, max: 1023 }) }),
  );
  const op: fc.Arbitrary<Op> = fc.oneof({ weight: 4, arbitrary: leaf }, { weight: 1, arbitrary: fc.record({ kind: fc.constant('bracket' as const), ops: fc.array(leaf, { maxLength: 8 }) }) });

  it('random map/unmap/DMA-read sequences agree with a model of the mappings', () => {
    fc.assert(
      // fast-check draws lengths from `size`, not `maxLength`: 'max' runs up to 60 steps, so the TLB of up to 8 entries fills and evicts.
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 60, size: 'max' }), (tlbEntries, ops) => {
        const { ctx, ram } = active(tlbEntries);
        // Physical frames: each 64 KiB frame f at 0x4000_0000 + f*64K holds, in every word, its own address.
        const word = (pa: number): number => (pa ^ 0x5a5a_5a5a) >>> 0;
        const frameBase = (f: number): number => 0x4000_0000 + f * SZ_64K;
        // Model: slot → pa of slot's 4 KiB, and leaf (base slot, size) for unmapping.
        const model = new Map<number, { pa: number; base: number; size: number }>();
        const written = new Set<number>();
        const touch = (f: number): void => {
          if (written.has(f)) return;
          written.add(f);
          const buf = new Uint8Array(SZ_64K);
          const dv = new DataView(buf.buffer);
          for (let o = 0; o < SZ_64K; o += 4) dv.setUint32(o, word(frameBase(f) + o), true);
          ram.write(frameBase(f), buf);
        };
        const apply = (o: Op): void => {
          if (o.kind === 'map') {
            const size = o.big ? SZ_64K : SZ_4K;
            const base = o.big ? o.slot - (o.slot % 16) : o.slot;
            const pa = frameBase(o.frame) + (o.big ? 0 : (o.slot % 16) * SZ_4K);
            for (let s = base; s < base + size / SZ_4K; s++) if (model.has(s)) return; // would clash: skip
            touch(o.frame);
            ctx.map(pa, base * SZ_4K, size, RW);
            for (let s = base; s < base + size / SZ_4K; s++) model.set(s, { pa: pa + (s - base) * SZ_4K, base, size });
          } else if (o.kind === 'unmap') {
            const m = model.get(o.slot);
            if (!m) return;
            ctx.unmap(m.base * SZ_4K, m.size);
            for (let s = m.base; s < m.base + m.size / SZ_4K; s++) model.delete(s);
          } else if (o.kind === 'read') {
            const va = o.slot * SZ_4K + o.offset * 4;
            const m = model.get(o.slot);
            if (!m) {
              expect(codeOf(() => ctx.dma.read(va, 4))).toBe('EFAULT');
              return;
            }
            const got = new DataView(ctx.dma.read(va, 4).buffer).getUint32(0, true);
            expect(got).toBe(word(m.pa + o.offset * 4));
          } else {
            // Inside a bracket stale entries may be seen; only mappings change here, reads come after updateDone.
            ctx.updateStart();
            for (const inner of o.ops) if (inner.kind !== 'read') apply(inner);
            ctx.updateDone();
          }
        };
        ctx.hookInterrupt(() => 'terminate');
        for (const o of ops) apply(o);
        // Finally every slot agrees.
        for (let s = 0; s < PAGES; s++) apply({ kind: 'read', slot: s, offset: 7 });
      }),
      // Up to 60 steps each: fewer, longer runs.
      { numRuns: 40 },
    );
  });
});
