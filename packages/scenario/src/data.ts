/**
 * The bytes data traffic moves (docs/scenarios.md#data): a writing device
 * fills a buffer with seeded bytes, or derives them from bytes it read (a
 * decoder writing what it decoded); every transfer is checksummed with
 * FNV-1a. The walk-throughs use the same functions, so a scenario and a
 * walk-through that move the same data print the same checksums.
 */
import { xorshift32 } from './patterns.js';

/** FNV-1a, 32 bits (Fowler, Noll, Vo): the checksum of every transfer. */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** `len` bytes of xorshift32 words from `seed`, little-endian (a tail shorter than a word stays 0). */
export function fillBytes(len: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(len);
  const view = new DataView(bytes.buffer);
  const next = xorshift32(seed >>> 0);
  for (let i = 0; i + 4 <= len; i += 4) view.setUint32(i, next(), true);
  return bytes;
}

/**
 * `len` bytes derived from `input`: byte i is input[i mod n] XOR the index
 * of its 4 KiB page (mod 256). Every output byte depends on a byte that was
 * read, and each page differs, so a read or a write through a wrong
 * mapping changes the checksum of what is written.
 */
export function deriveBytes(input: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(len);
  const n = input.length;
  if (n === 0) return out;
  for (let i = 0, j = 0; i < len; i++) {
    out[i] = input[j]! ^ ((i >>> 12) & 0xff);
    if (++j === n) j = 0;
  }
  return out;
}

/** The seed of the bytes traffic entry `entry` writes in frame `frame`: its own `seed` for frame 0, or one derived from the scenario's. */
export function frameSeed(scenarioSeed: number, entry: number, frame: number, own: number | undefined): number {
  const base = own ?? (scenarioSeed ^ Math.imul(entry + 1, 0x9e3779b1)) >>> 0;
  return (base ^ Math.imul(frame, 0x85ebca6b)) >>> 0;
}
