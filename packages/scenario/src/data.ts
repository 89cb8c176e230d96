/**
 * The bytes data traffic moves (docs/scenarios.md#data): a writing device
 * fills a buffer with seeded bytes, or derives them from bytes it read (a
 * decoder writing what it decoded); every transfer is checksummed with
 * FNV-1a. The walk-throughs use the same functions, so a scenario and a
 * walk-through that move the same data print the same checksums.
 */
/** Whether this machine stores a 32-bit word's low byte first (every platform Node and browsers run on, but checked). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** FNV-1a's 32-bit prime and offset basis (Fowler, Noll, Vo). */
const FNV_PRIME = 0x01000193;
const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a over the four bytes of the little-endian word `w`, low byte first. (Small enough for V8 to inline into every loop below.) */
function fnvWord(h: number, w: number): number {
  h = Math.imul(h ^ (w & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((w >>> 8) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((w >>> 16) & 0xff), FNV_PRIME);
  return Math.imul(h ^ (w >>> 24), FNV_PRIME);
}

/** One step of xorshift32 (Marsaglia 2003, as `xorshift32` in patterns.ts), inline in the fill loops rather than a closure per call. */
function xorshiftStep(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  return x ^ (x << 5);
}

/** FNV-1a, 32 bits (Fowler, Noll, Vo): the checksum of every transfer. */
export function fnv1a(bytes: Uint8Array): number {
  let h = FNV_OFFSET;
  let i = 0;
  // Whole words through a Uint32Array view where the bytes allow one: one load per 4 bytes, the same byte order.
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
    for (let k = 0; k < words.length; k++) h = fnvWord(h, words[k]!);
    i = words.length << 2;
  }
  for (; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return h >>> 0;
}

/**
 * `[fnv1a(a), fnv1a(b)]` in one loop where both allow whole words and have
 * one length: two independent multiply chains interleave (see
 * `fillChecksummedPair`).
 */
export function fnv1aPair(a: Uint8Array, b: Uint8Array): [number, number] {
  if (!LITTLE_ENDIAN || a.length !== b.length || a.byteOffset % 4 !== 0 || b.byteOffset % 4 !== 0) return [fnv1a(a), fnv1a(b)];
  const n = a.length >>> 2;
  const wa = new Uint32Array(a.buffer, a.byteOffset, n);
  const wb = new Uint32Array(b.buffer, b.byteOffset, n);
  let h = FNV_OFFSET;
  let g = FNV_OFFSET;
  for (let k = 0; k < n; k++) {
    h = fnvWord(h, wa[k]!);
    g = fnvWord(g, wb[k]!);
  }
  for (let i = n << 2; i < a.length; i++) {
    h = Math.imul(h ^ a[i]!, FNV_PRIME);
    g = Math.imul(g ^ b[i]!, FNV_PRIME);
  }
  return [h >>> 0, g >>> 0];
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
      x = xorshiftStep(x);
      words[k] = x;
    }
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, len);
    for (let k = 0; k < n; k++) {
      x = xorshiftStep(x);
      view.setUint32(k << 2, x >>> 0, true);
    }
  }
  return bytes;
}

/**
 * `fillInto(bytes, seed)` and the `fnv1a` of the filled bytes in one pass.
 * FNV-1a is one chain of multiplies, a byte at a time; the generator's
 * shifts and the stores run beside it at no extra cost, where a separate
 * fill pass costs a third of the checksum again.
 */
export function fillChecksummed(bytes: Uint8Array, seed: number): number {
  if (!LITTLE_ENDIAN || bytes.byteOffset % 4 !== 0) return fnv1a(fillInto(bytes, seed));
  const len = bytes.length;
  const n = len >>> 2;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  let x = seed >>> 0 || 0x9e3779b9;
  let h = FNV_OFFSET;
  for (let k = 0; k < n; k++) {
    x = xorshiftStep(x);
    words[k] = x;
    h = fnvWord(h, x);
  }
  // A tail shorter than a word stays 0, as fillInto leaves it.
  for (let i = n << 2; i < len; i++) {
    bytes[i] = 0;
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * Two buffers of one length filled from two seeds, and their checksums, in
 * one loop: `[fillChecksummed(a, seedA), fillChecksummed(b, seedB)]`. Each
 * checksum is a chain of dependent multiplies that keeps the processor
 * waiting on the previous one; two independent chains interleaved run in
 * little more than the time of one (about 1.25 against 2.4 ms per 2 MiB
 * each, docs/performance.md#the-4k60-scenario).
 */
export function fillChecksummedPair(a: Uint8Array, seedA: number, b: Uint8Array, seedB: number): [number, number] {
  if (!LITTLE_ENDIAN || a.length !== b.length || a.byteOffset % 4 !== 0 || b.byteOffset % 4 !== 0) return [fillChecksummed(a, seedA), fillChecksummed(b, seedB)];
  const len = a.length;
  const n = len >>> 2;
  const wa = new Uint32Array(a.buffer, a.byteOffset, n);
  const wb = new Uint32Array(b.buffer, b.byteOffset, n);
  let x = seedA >>> 0 || 0x9e3779b9;
  let y = seedB >>> 0 || 0x9e3779b9;
  let h = FNV_OFFSET;
  let g = FNV_OFFSET;
  for (let k = 0; k < n; k++) {
    x = xorshiftStep(x);
    y = xorshiftStep(y);
    wa[k] = x;
    wb[k] = y;
    // Two independent chains: the processor overlaps their multiplies.
    h = fnvWord(h, x);
    g = fnvWord(g, y);
  }
  for (let i = n << 2; i < len; i++) {
    a[i] = 0;
    b[i] = 0;
    h = Math.imul(h, FNV_PRIME);
    g = Math.imul(g, FNV_PRIME);
  }
  return [h >>> 0, g >>> 0];
}

/**
 * The seeded bytes one writing traffic entry generates frame after frame,
 * with their checksums. Asked for a frame it holds neither of, it fills
 * that frame and the next together (`fillChecksummedPair`) into its two
 * buffers: the entry's frames come in order, so the next one is then
 * ready. Frames asked out of order are filled again (the bytes are a
 * function of the seed alone); the bytes returned stay valid until another
 * frame is asked for.
 */
export class SeededFrames {
  readonly #a: Uint8Array;
  readonly #b: Uint8Array;
  #frameA = -1;
  #frameB = -1;
  #sumA = 0;
  #sumB = 0;
  readonly #frames: number;
  readonly #seedOf: (frame: number) => number;

  /** `len` bytes a frame, `frames` frames, `seedOf(frame)` each frame's seed (`frameSeed`). */
  constructor(len: number, frames: number, seedOf: (frame: number) => number) {
    this.#frames = frames;
    this.#seedOf = seedOf;
    this.#a = new Uint8Array(len);
    this.#b = new Uint8Array(len);
  }

  /** Frame `frame`'s bytes (`fillBytes(len, seedOf(frame))`) and their `fnv1a`. */
  frame(frame: number): { readonly bytes: Uint8Array; readonly fnv1a: number } {
    if (frame === this.#frameA) return { bytes: this.#a, fnv1a: this.#sumA };
    if (frame === this.#frameB) return { bytes: this.#b, fnv1a: this.#sumB };
    this.#frameA = frame;
    if (frame + 1 < this.#frames) {
      [this.#sumA, this.#sumB] = fillChecksummedPair(this.#a, this.#seedOf(frame), this.#b, this.#seedOf(frame + 1));
      this.#frameB = frame + 1;
    } else {
      this.#sumA = fillChecksummed(this.#a, this.#seedOf(frame));
      this.#frameB = -1;
    }
    return { bytes: this.#a, fnv1a: this.#sumA };
  }
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
