import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededFrames, deriveBytes, fillBytes, fillChecksummed, fillChecksummedPair, fillInto, fnv1a, fnv1aPair, frameSeed } from './data.js';
import { xorshift32 } from './patterns.js';

describe('data traffic bytes', () => {
  it('fnv1a: the published FNV-1a 32-bit values', () => {
    expect(fnv1a(new Uint8Array(0))).toBe(0x811c9dc5);
    expect(fnv1a(new TextEncoder().encode('a'))).toBe(0xe40c292c);
    expect(fnv1a(new TextEncoder().encode('foobar'))).toBe(0xbf9cf968);
  });

  it('fnv1a: word-at-a-time equals the byte-at-a-time definition at every offset and length', () => {
    const reference = (b: Uint8Array): number => {
      let h = 0x811c9dc5;
      for (const x of b) h = Math.imul(h ^ x, 0x01000193);
      return h >>> 0;
    };
    fc.assert(
      // fast-check draws lengths from `size`, not `maxLength`: 'max' gives up to 200 bytes (many words), not 10.
      fc.property(fc.uint8Array({ maxLength: 200, size: 'max' }), fc.nat(7), (bytes, cut) => {
        const view = bytes.subarray(Math.min(cut, bytes.length));
        expect(fnv1a(view)).toBe(reference(view));
      }),
    );
  });

  it('fnv1aPair: the fnv1a of each, at every length and offset, equal or not', () => {
    fc.assert(
      // fast-check draws lengths from `size`, not `maxLength`: 'max' gives up to 90 bytes, not 10.
      fc.property(fc.uint8Array({ maxLength: 90, size: 'max' }), fc.uint8Array({ maxLength: 90, size: 'max' }), fc.nat(5), (x, y, cut) => {
        const a = x.subarray(Math.min(cut, x.length));
        expect(fnv1aPair(a, y)).toEqual([fnv1a(a), fnv1a(y)]);
        const same = y.slice();
        same.reverse();
        expect(fnv1aPair(y, same)).toEqual([fnv1a(y), fnv1a(same)]);
      }),
    );
  });

  it('fillBytes: the words of xorshift32(seed)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.nat(100), (seed, words) => {
        const b = fillBytes(words * 4, seed);
        const next = xorshift32(seed);
        const view = new DataView(b.buffer);
        for (let k = 0; k < words; k++) expect(view.getUint32(k * 4, true)).toBe(next());
      }),
      { numRuns: 50 },
    );
  });

  it('fillInto rewrites every byte of a used buffer, also at an odd offset, as fillBytes makes them', () => {
    const backing = new Uint8Array(23).fill(0xee);
    expect(fillInto(backing.subarray(1, 23), 9)).toEqual(fillBytes(22, 9));
    expect(backing[0]).toBe(0xee);
    expect(fillInto(new Uint8Array(10).fill(0xff), 3)).toEqual(fillBytes(10, 3));
  });

  it('fillBytes: xorshift32 words from the seed, little-endian; a short tail stays 0', () => {
    const b = fillBytes(10, 1);
    // xorshift32(1): 270369, 67634689, …
    expect([...b.subarray(0, 4)]).toEqual([270369 & 0xff, (270369 >>> 8) & 0xff, (270369 >>> 16) & 0xff, 270369 >>> 24]);
    expect(new DataView(b.buffer).getUint32(4, true)).toBe(67634689);
    expect([...b.subarray(8)]).toEqual([0, 0]);
    expect(fillBytes(4096, 4)).toEqual(fillBytes(4096, 4));
    expect(fnv1a(fillBytes(4096, 4))).not.toBe(fnv1a(fillBytes(4096, 5)));
  });

  it('fillChecksummed and fillChecksummedPair fill as fillBytes does and return fnv1a of those bytes, at any length and offset', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.nat(70), fc.nat(5), (seedA, seedB, len, offset) => {
        const a = new Uint8Array(offset + len).fill(0xee).subarray(offset);
        const b = new Uint8Array(len).fill(0xdd);
        expect(fillChecksummed(a, seedA)).toBe(fnv1a(fillBytes(len, seedA)));
        expect(a).toEqual(fillBytes(len, seedA));
        a.fill(0xee);
        expect(fillChecksummedPair(a, seedA, b, seedB)).toEqual([fnv1a(fillBytes(len, seedA)), fnv1a(fillBytes(len, seedB))]);
        expect(a).toEqual(fillBytes(len, seedA));
        expect(b).toEqual(fillBytes(len, seedB));
      }),
      { numRuns: 200 },
    );
    // Two lengths: each buffer is filled and checksummed on its own.
    const long = new Uint8Array(9);
    const short = new Uint8Array(6);
    expect(fillChecksummedPair(long, 1, short, 2)).toEqual([fnv1a(fillBytes(9, 1)), fnv1a(fillBytes(6, 2))]);
    expect(short).toEqual(fillBytes(6, 2));
  });

  it('SeededFrames: every frame, asked in order or not, is fillBytes of its seed with its fnv1a', () => {
    const seedOf = (f: number): number => frameSeed(7, 1, f, undefined);
    fc.assert(
      fc.property(fc.array(fc.nat(4), { maxLength: 12 }), fc.nat(33), (asked, len) => {
        const frames = new SeededFrames(len, 5, seedOf);
        for (const f of asked) {
          const got = frames.frame(f);
          expect(got.bytes).toEqual(fillBytes(len, seedOf(f)));
          expect(got.fnv1a).toBe(fnv1a(fillBytes(len, seedOf(f))));
        }
      }),
      { numRuns: 100 },
    );
    // In order, the next frame was filled with the one before: asking for it fills nothing.
    const seeds: number[] = [];
    const frames = new SeededFrames(16, 3, (f) => {
      seeds.push(f);
      return seedOf(f);
    });
    for (let f = 0; f < 3; f++) frames.frame(f);
    frames.frame(2);
    expect(seeds).toEqual([0, 1, 2]);
  });

  it('deriveBytes: byte i is input[i mod n] XOR its 4 KiB page index, so the input can be read back from it', () => {
    fc.assert(
      // fast-check draws lengths from `size`, not `maxLength`: 'max' gives inputs of up to 300 bytes, not 12.
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300, size: 'max' }), fc.integer({ min: 0, max: 20_000 }), (input, len) => {
        const out = deriveBytes(input, len);
        expect(out.length).toBe(len);
        for (let i = 0; i < len; i += 97) expect(out[i]! ^ ((i >>> 12) & 0xff)).toBe(input[i % input.length]);
      }),
      { numRuns: 50 },
    );
    expect(deriveBytes(new Uint8Array(0), 8)).toEqual(new Uint8Array(8));
  });

  it('frameSeed: frame 0 is the entry\'s own seed; frames and entries differ', () => {
    expect(frameSeed(1, 0, 0, 4)).toBe(4);
    expect(frameSeed(1, 0, 1, 4)).not.toBe(4);
    expect(frameSeed(1, 0, 0, undefined)).not.toBe(frameSeed(1, 1, 0, undefined));
    expect(frameSeed(1, 0, 0, undefined)).not.toBe(frameSeed(2, 0, 0, undefined));
  });
});
