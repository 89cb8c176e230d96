import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SZ_1G, SZ_4G, SZ_64M, isVcmError } from '@vcm/core';
import { PhysicalRam, RAM_MAX_CHUNK, ramChunkBytes } from './ram.js';
import { codeOf } from '@vcm/test-kit';

const board = (): PhysicalRam =>
  new PhysicalRam({
    banks: [
      { name: 'smi', base: 0x3800_0000, size: SZ_64M },
      { name: 'ebi', base: 0x4000_0000, size: SZ_1G },
    ],
  });

/** Index of the first differing byte, -1 when equal (vitest's deep equality is slow on big arrays). */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  if (Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))) return -1;
  return a.findIndex((x, i) => x !== b[i]);
}

describe('PhysicalRam', () => {
  it('reads zero from untouched RAM without backing it with host memory', () => {
    const ram = board();
    expect(ram.read(0x3800_0000, 16)).toEqual(new Uint8Array(16));
    expect(ram.readU32(0x4000_1000)).toBe(0);
    expect(ram.hostBytes()).toBe(0);
    expect(ram.isTouched(0x4000_1000)).toBe(false);
  });

  it('readU32 sees every write, whichever pages it read last (a walk alternates between two tables)', () => {
    const ram = board();
    // Read a page while it is absent (0), write it, read it again: the absent page was not remembered.
    expect(ram.readU32(0x4000_1000)).toBe(0);
    ram.writeU32(0x4000_1000, 0x1111_1111);
    expect(ram.readU32(0x4000_1000)).toBe(0x1111_1111);
    // Three pages read in turn (more than it remembers), each rewritten between reads.
    const pages = [0x4000_1000, 0x4000_5000, 0x4000_9000];
    for (let round = 1; round <= 4; round++) {
      for (const [i, pa] of pages.entries()) {
        ram.writeU32(pa + 4 * round, round * 16 + i);
        ram.write(pa + 8 * round, new Uint8Array([round, i, 0, 0]));
      }
      for (const [i, pa] of pages.entries()) {
        expect(ram.readU32(pa + 4 * round)).toBe(round * 16 + i);
        expect(ram.readU32(pa + 8 * round)).toBe(round | (i << 8));
      }
    }
  });

  it('reads back what was written, across page and bank-internal boundaries', () => {
    const ram = board();
    const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7 + 3) & 0xff);
    ram.write(0x3800_0ffd, bytes);
    expect(firstDiff(ram.read(0x3800_0ffd, bytes.length), bytes)).toBe(-1);
    expect(ram.read(0x3800_0ffc, 1)[0]).toBe(0);
    expect(ram.read(0x3800_0ffd + bytes.length, 1)[0]).toBe(0);
    // 0x3800_0000 … 0x3800_3000: four pages touched, carved from chunks of 4, 8 and 16 KiB
    expect(ram.stats().banks[0]!.touchedPages).toBe(4);
    expect(ram.hostBytes()).toBe(4096 + 8192 + 16384);
  });

  it('readInto fills a caller buffer, zeros included, without allocating', () => {
    const ram = board();
    ram.write(0x3800_1ffe, Uint8Array.of(1, 2, 3, 4));
    const out = new Uint8Array(8).fill(0xee);
    expect(ram.readInto(0x3800_1ffc, out)).toBe(out);
    expect([...out]).toEqual([0, 0, 1, 2, 3, 4, 0, 0]);
    const stale = new Uint8Array(4096).fill(0xee);
    ram.readInto(0x3800_5000, stale); // an untouched page: must overwrite with zeros
    expect(stale.every((b) => b === 0)).toBe(true);
    expect(codeOf(() => ram.readInto(0x3bff_fffc, new Uint8Array(8)))).toBe('EFAULT');
  });

  it('stores 32-bit words little-endian, modulo 2^32', () => {
    const ram = board();
    ram.writeU32(0x3800_0010, 0x1234_5678);
    expect([...ram.read(0x3800_0010, 4)]).toEqual([0x78, 0x56, 0x34, 0x12]);
    expect(ram.readU32(0x3800_0010)).toBe(0x1234_5678);
    ram.writeU32(0x3800_0014, -1);
    expect(ram.readU32(0x3800_0014)).toBe(0xffff_ffff);
    ram.writeU32(0x3800_0018, 2 ** 32 + 5);
    expect(ram.readU32(0x3800_0018)).toBe(5);
  });

  it('pageWords is a live cached view of the page holding pa', () => {
    const ram = board();
    const words = ram.pageWords(0x4000_2abc);
    expect(words).toBeInstanceOf(Uint32Array);
    expect(words.length).toBe(1024);
    expect(ram.pageWords(0x4000_2000)).toBe(words);
    words[(0xabc & 0xfff) >> 2] = 0xdead_beef;
    expect(ram.readU32(0x4000_2abc)).toBe(0xdead_beef);
    ram.writeU32(0x4000_2000, 7);
    expect(words[0]).toBe(7);
    expect(ram.read(0x4000_2abc, 4)).toEqual(Uint8Array.of(0xef, 0xbe, 0xad, 0xde));
  });

  it('fill sets bytes and zero-fill of untouched pages costs no host memory', () => {
    const ram = board();
    ram.fill(0x3800_0000, 3 * 4096, 0);
    expect(ram.hostBytes()).toBe(0);
    ram.fill(0x3800_0800, 4096, 0xaa);
    expect(ram.read(0x3800_07ff, 1)[0]).toBe(0);
    expect(ram.read(0x3800_0800, 4096).every((b) => b === 0xaa)).toBe(true);
    expect(ram.read(0x3800_1800, 1)[0]).toBe(0);
    ram.fill(0x3800_0900, 16, 0);
    expect(ram.read(0x3800_0900, 16)).toEqual(new Uint8Array(16));
    expect(codeOf(() => ram.fill(0x3800_0000, 4, 256))).toBe('EINVAL');
  });

  it('copy is overlap-safe in both directions and across banks', () => {
    const ram = board();
    const bytes = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 13) & 0xff);
    ram.write(0x3800_0000, bytes);
    ram.copy(0x3800_0000 + 1000, 0x3800_0000, bytes.length); // dst above src, overlapping
    expect(firstDiff(ram.read(0x3800_0000 + 1000, bytes.length), bytes)).toBe(-1);
    ram.copy(0x3800_0000, 0x3800_0000 + 1000, bytes.length); // dst below src, overlapping
    expect(firstDiff(ram.read(0x3800_0000, bytes.length), bytes)).toBe(-1);
    ram.copy(0x4000_0000, 0x3800_0000, bytes.length);
    expect(firstDiff(ram.read(0x4000_0000, bytes.length), bytes)).toBe(-1);
  });

  it('an access outside every bank is EFAULT naming the address and the banks', () => {
    const ram = board();
    let err: unknown;
    try {
      ram.readU32(0x8000_0000);
    } catch (e) {
      err = e;
    }
    expect(isVcmError(err, 'EFAULT')).toBe(true);
    expect((err as Error).message).toContain('physical access at 0x8000_0000 (4 bytes) is outside every bank (smi 0x3800_0000-0x3bff_ffff, ebi 0x4000_0000-0x7fff_ffff)');
    expect(codeOf(() => ram.write(0x3c00_0000, new Uint8Array(1)))).toBe('EFAULT');
    expect(codeOf(() => ram.pageWords(0))).toBe('EFAULT');
    expect(codeOf(() => ram.fill(0x1000, 1, 1))).toBe('EFAULT');
    expect(codeOf(() => ram.copy(0x3800_0000, 0x3c00_0000, 4))).toBe('EFAULT');
  });

  it('an access straddling the end of a bank is EFAULT and writes nothing', () => {
    const ram = board();
    let err: unknown;
    try {
      ram.write(0x3bff_fffe, Uint8Array.of(1, 2, 3, 4));
    } catch (e) {
      err = e;
    }
    expect(isVcmError(err, 'EFAULT')).toBe(true);
    expect((err as Error).message).toContain('0x3bff_fffe (4 bytes) straddles the end of bank smi');
    expect(ram.read(0x3bff_fffe, 2)).toEqual(new Uint8Array(2));
    expect(ram.hostBytes()).toBe(0);
    expect(codeOf(() => ram.read(0x3bff_f000, 0x2000))).toBe('EFAULT');
    expect(ram.contains(0x3bff_f000, 0x1000)).toBe(true);
    expect(ram.contains(0x3bff_f000, 0x1001)).toBe(false);
    // A range that cannot exist is a caller's mistake, not "outside RAM".
    expect(codeOf(() => ram.contains(Number.NaN, 4))).toBe('EINVAL');
    expect(codeOf(() => ram.contains(0x3bff_f000, -1))).toBe('EINVAL');
  });

  it('bad numbers are EINVAL', () => {
    const ram = board();
    expect(codeOf(() => ram.read(-4, 4))).toBe('EINVAL');
    expect(codeOf(() => ram.read(Number.NaN, 4))).toBe('EINVAL');
    expect(codeOf(() => ram.read(0x3800_0000, 1.5))).toBe('EINVAL');
    expect(codeOf(() => ram.readU32(0x3800_0002))).toBe('EINVAL');
    // readU32's integer fast path covers aligned addresses below 4 GiB only: everything else takes the full checks.
    for (const pa of [Number.NaN, -4, 0x3800_0000 + 0.5, 2 ** 53 + 4, '0x38000000' as unknown as number]) expect(codeOf(() => ram.readU32(pa)), String(pa)).toBe('EINVAL');
    expect(codeOf(() => ram.readU32(0x1_0000_0000))).toBe('EFAULT');
    expect(codeOf(() => ram.readU32(0x3c00_0000))).toBe('EFAULT');
    expect(codeOf(() => ram.writeU32(0x3800_0000, 1.5))).toBe('EINVAL');
    expect(codeOf(() => ram.write(0x3800_0000, [1, 2] as unknown as Uint8Array))).toBe('EINVAL');
  });

  it('validates banks: aligned, non-empty, disjoint, uniquely named', () => {
    expect(codeOf(() => new PhysicalRam({ banks: [] }))).toBe('EINVAL');
    expect(codeOf(() => new PhysicalRam({ banks: [{ name: 'a', base: 0x100, size: 0x1000 }] }))).toBe('EINVAL');
    expect(codeOf(() => new PhysicalRam({ banks: [{ name: 'a', base: 0, size: 0 }] }))).toBe('EINVAL');
    expect(
      codeOf(
        () =>
          new PhysicalRam({
            banks: [
              { name: 'a', base: 0, size: 0x2000 },
              { name: 'b', base: 0x1000, size: 0x2000 },
            ],
          }),
      ),
    ).toBe('EINVAL');
    expect(
      codeOf(
        () =>
          new PhysicalRam({
            banks: [
              { name: 'a', base: 0, size: 0x1000 },
              { name: 'a', base: 0x1000, size: 0x1000 },
            ],
          }),
      ),
    ).toBe('EINVAL');
  });

  it('addresses beyond 4 GiB (40-bit) work: no 32-bit truncation', () => {
    const ram = new PhysicalRam({ banks: [{ name: 'high', base: 0x80_0000_0000 - SZ_4G, size: SZ_4G }] });
    const pa = 0x80_0000_0000 - 8;
    ram.writeU32(pa, 0xcafe_f00d);
    expect(ram.readU32(pa)).toBe(0xcafe_f00d);
    // the same low 32 bits, one 4 GiB below: a different byte
    expect(ram.readU32(pa - SZ_4G + SZ_4G / 2)).toBe(0);
    expect(ram.pageWords(pa)[1022]).toBe(0xcafe_f00d);
  });

  it('a 4 GiB board backs only touched pages', () => {
    const ram = new PhysicalRam({ banks: [{ name: 'ddr', base: 0, size: SZ_4G }] });
    ram.fill(0xffff_f000, 4096, 1);
    ram.writeU32(0x8000_0000, 1);
    // two pages: the first chunk (4 KiB) and one page of the second (8 KiB)
    expect(ram.hostBytes()).toBe(4096 + 8192);
    expect(ram.stats()).toEqual({ banks: [{ name: 'ddr', base: 0, size: SZ_4G, touchedPages: 2 }], hostBytes: 12_288 });
  });

  it('carves pages from host chunks of 4, 8, 16, 32 KiB, then 64 KiB each', () => {
    expect([0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32].map(ramChunkBytes)).toEqual([
      0, 4096, 12_288, 12_288, 28_672, 28_672, 61_440, 61_440, 126_976, 126_976, 192_512,
    ]);
    const ram = new PhysicalRam({ banks: [{ name: 'ddr', base: 0, size: SZ_4G }] });
    // Pages touched far apart and out of address order still share chunks.
    for (let k = 0; k < 40; k++) {
      ram.writeU32(((k * 7919) % 1000) * 0x10_0000 + 4 * k, k + 1);
      expect(ram.hostBytes()).toBe(ramChunkBytes(k + 1));
      // The host memory is the touched pages plus less than one chunk, and under twice the touched pages.
      expect(ram.hostBytes() - (k + 1) * 4096).toBeLessThan(RAM_MAX_CHUNK);
      expect(ram.hostBytes()).toBeLessThan(2 * (k + 1) * 4096);
    }
    for (let k = 0; k < 40; k++) {
      const pa = ((k * 7919) % 1000) * 0x10_0000;
      // Each page is its own 4 KiB: only its own word is set.
      expect(ram.readU32(pa + 4 * k)).toBe(k + 1);
      expect(ram.pageWords(pa).reduce((n, w) => n + (w !== 0 ? 1 : 0), 0)).toBe(1);
    }
    expect(ram.stats().banks[0]!.touchedPages).toBe(40);
  });

  it('property: RAM behaves like one flat byte array (writes, fills, copies, reads)', () => {
    const size = 64 * 1024;
    const base = 0x4000_0000;
    const op = fc.oneof(
      // fast-check draws lengths from `size`, not `maxLength`: 'max' gives writes across pages and chunks, not of 12 bytes.
      fc.record({ kind: fc.constant('write' as const), off: fc.nat(size - 1), data: fc.uint8Array({ minLength: 1, maxLength: 9000, size: 'max' }) }),
      fc.record({ kind: fc.constant('fill' as const), off: fc.nat(size - 1), len: fc.nat(9000), value: fc.nat(255) }),
      fc.record({ kind: fc.constant('copy' as const), dst: fc.nat(size - 1), src: fc.nat(size - 1), len: fc.nat(9000) }),
      fc.record({ kind: fc.constant('u32' as const), off: fc.nat(size / 4 - 1), value: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30, size: 'max' }), (ops) => {
        const ram = new PhysicalRam({ banks: [{ name: 'ebi', base, size }] });
        const model = new Uint8Array(size);
        const view = new DataView(model.buffer);
        for (const o of ops) {
          if (o.kind === 'write') {
            const data = o.data.subarray(0, size - o.off);
            ram.write(base + o.off, data);
            model.set(data, o.off);
          } else if (o.kind === 'fill') {
            const len = Math.min(o.len, size - o.off);
            ram.fill(base + o.off, len, o.value);
            model.fill(o.value, o.off, o.off + len);
          } else if (o.kind === 'copy') {
            const len = Math.min(o.len, size - o.dst, size - o.src);
            ram.copy(base + o.dst, base + o.src, len);
            model.copyWithin(o.dst, o.src, o.src + len);
          } else {
            ram.writeU32(base + o.off * 4, o.value);
            view.setUint32(o.off * 4, o.value >>> 0, true);
          }
        }
        expect(firstDiff(ram.read(base, size), model)).toBe(-1);
        // Host memory: exactly the chunks behind the touched pages.
        expect(ram.hostBytes()).toBe(ramChunkBytes(ram.stats().banks[0]!.touchedPages));
      }),
      { numRuns: 150 },
    );
  });
});
