/**
 * The bytes data traffic moves (docs/scenarios.md#data): a writing device
 * fills a buffer with seeded bytes, or derives them from bytes it read (a
 * decoder writing what it decoded); every transfer is checksummed with
 * FNV-1a. The walk-throughs use the same functions, so a scenario and a
 * walk-through that move the same data print the same checksums.
 */
/** Whether this machine stores a 32-bit word's low byte first (every platform Node and browsers run on, but checked). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** FNV-1a, 32 bits (Fowler, Noll, Vo): the checksum of every transfer. */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  let i = 0;
  // Whole words through a Uint32Array view where the bytes allow one: one load per 4 bytes, the same byte order.
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
    for (let k = 0; k < words.length; k++) {
      const w = words[k]!;
      h = Math.imul(h ^ (w & 0xff), 0x01000193);
      h = Math.imul(h ^ ((w >>> 8) & 0xff), 0x01000193);
      h = Math.imul(h ^ ((w >>> 16) & 0xff), 0x01000193);
      h = Math.imul(h ^ (w >>> 24), 0x01000193);
    }
    i = words.length << 2;
  }
  for (; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** `len` bytes of xorshift32 words (Marsaglia 2003, as `xorshift32`) from `seed`, little-endian (a tail shorter than a word stays 0). */
export function fillBytes(len: number, seed: number): Uint8Array {
  return fillInto(new Uint8Array(len), seed);
}

/** `fillBytes` into `bytes` (every byte rewritten): the runner fills one scratch buffer per size instead of a new one per frame. */
export function fillInto(bytes: Uint8Array, seed: number): Uint8Array {
  const len = bytes.length;
  const n = len >>> 2;
  // The generator inlined: this fills every written buffer of a run (120 MiB a simulated second in decode-4k60).
  let x = seed >>> 0 || 0x9e3779b9;
  bytes.fill(0, n << 2);
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, n);
    for (let k = 0; k < n; k++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[k] = x;
    }
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, len);
    for (let k = 0; k < n; k++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      view.setUint32(k << 2, x >>> 0, true);
    }
  }
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
