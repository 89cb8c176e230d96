/**
 * Simulated physical RAM: a physical address space of named banks, backed
 * lazily in 4 KiB pages
 * (docs/architecture.md#what-is-simulated-and-how-faithfully:
 * a 4 GiB board costs host memory only for what is touched; untouched RAM
 * reads zero; an access outside every bank is a bus error, `EFAULT`).
 *
 * Pages are materialised on the first write (or `pageWords`); reads of an
 * untouched page return zeros without materialising it. Bulk transfers copy
 * whole page segments with `Uint8Array.set`, never byte by byte.
 *
 * A materialised page is a 4 KiB slice of a host chunk, not a buffer of its
 * own: chunks start at one page and double up to 64 KiB, and pages are
 * carved from the current chunk in the order they are first touched, so the
 * host memory is the touched pages plus less than one chunk
 * (docs/performance.md#host-memory-in-chunks).
 */
import { VcmError, checkAligned, checkUint, formatSize, hex } from '@vcm/core';
import type { MemoryBank, PhysicalMemory } from '@vcm/core';
import { isList } from './is-list.js';

/** Bytes per simulated page: the architecture's smallest page (`vcm_get_min_page_size`). */
export const RAM_PAGE_SIZE = 4096;

/** The largest physical address space we simulate: 40 bits (LPAE output addresses). */
export const MAX_PHYS_ADDR = 2 ** 40;

/**
 * The largest host chunk pages are carved from: 16 pages. One `ArrayBuffer`
 * per 4 KiB page cost a fresh board's bulk map more than its descriptor
 * stores; a larger chunk would pass glibc's 128 KiB mmap threshold, and
 * then every chunk would be fresh memory from the kernel (faulted in page by
 * page) instead of memory the process freed before
 * (docs/performance.md#host-memory-in-chunks).
 */
export const RAM_MAX_CHUNK = 64 * 1024;

/**
 * Host bytes behind `pages` materialised pages: chunks of 1, 2, 4, 8 pages,
 * then 16 pages each (a chunk is taken only when the one before is full).
 */
export function ramChunkBytes(pages: number): number {
  let bytes = 0;
  let left = pages;
  for (let chunk = nextChunkBytes(0); left > 0; chunk = nextChunkBytes(chunk)) {
    bytes += chunk;
    left -= chunk / RAM_PAGE_SIZE;
  }
  return bytes;
}

/** The size of the host chunk taken after one of `bytes` (0: none yet): one page, then twice the last, up to `RAM_MAX_CHUNK`. */
function nextChunkBytes(bytes: number): number {
  return bytes === 0 ? RAM_PAGE_SIZE : Math.min(2 * bytes, RAM_MAX_CHUNK);
}

/** One materialised page: a byte view and a word view of the same 4 KiB of a host chunk. */
interface Page {
  readonly bytes: Uint8Array;
  readonly words: Uint32Array;
}

/** The banks of simulated RAM: name, base and size each; they must not overlap. */
export interface PhysicalRamOptions {
  readonly banks: readonly MemoryBank[];
}

/** Plain-data snapshot of RAM (docs/rules.md#observability). */
export interface RamStats {
  readonly banks: readonly { name: string; base: number; size: number; touchedPages: number }[];
  /** Bytes of host memory backing simulated RAM: the chunks materialised pages are carved from (`ramChunkBytes` of the touched pages). */
  readonly hostBytes: number;
}

// Uint32Array is host-endian; the simulated bus is little-endian (readU32
// contract). Every host Node 20 runs on is little-endian, but say so loudly
// rather than silently byte-swap.
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function cloneBank(b: MemoryBank): MemoryBank {
  return Object.freeze({ name: b.name, base: b.base, size: b.size });
}

/** `PhysicalMemory` over sparse 4 KiB pages. */
export class PhysicalRam implements PhysicalMemory {
  readonly banks: readonly MemoryBank[];
  // Bank bounds in address order, as parallel typed arrays for the hot path.
  readonly #bases: Float64Array;
  readonly #ends: Float64Array;
  readonly #touched: Float64Array;
  readonly #pages = new Map<number, Page>();
  #lastBank = 0;
  // The two pages `readU32` found last, most recent first (-1: none): a walk
  // reads descriptors from a level's table and the next level's in turn.
  // Only pages that exist are kept; pages are never dropped, so a kept page
  // stays the page of its number.
  #readNumber0 = -1;
  #readPage0: Page | undefined;
  #readNumber1 = -1;
  #readPage1: Page | undefined;
  // The chunk new pages are carved from, the next free byte in it, and the host bytes of every chunk taken.
  #chunk = new ArrayBuffer(0);
  #chunkUsed = 0;
  #hostBytes = 0;

  constructor(options: PhysicalRamOptions) {
    if (!HOST_LITTLE_ENDIAN) {
      throw new VcmError('EINVAL', 'PhysicalRam: the host is big-endian; the simulated little-endian bus needs a little-endian host', {});
    }
    if (typeof options !== 'object' || options === null || !isList(options.banks) || options.banks.length === 0) {
      throw new VcmError('EINVAL', 'PhysicalRam: options.banks must be a non-empty array of { name, base, size }', { param: 'banks' });
    }
    const banks = options.banks.map((b, i) => {
      const where = 'PhysicalRam';
      if (typeof b !== 'object' || b === null) {
        throw new VcmError('EINVAL', `${where}: banks[${i}] must be an object { name, base, size }`, { param: `banks[${i}]` });
      }
      if (typeof b.name !== 'string' || b.name.length === 0) {
        throw new VcmError('EINVAL', `${where}: banks[${i}].name must be a non-empty string, got ${JSON.stringify(b.name)}`, {
          param: `banks[${i}].name`,
        });
      }
      checkAligned(where, `banks[${i}].base (${b.name})`, b.base, RAM_PAGE_SIZE, MAX_PHYS_ADDR - RAM_PAGE_SIZE);
      checkAligned(where, `banks[${i}].size (${b.name})`, b.size, RAM_PAGE_SIZE, MAX_PHYS_ADDR);
      if (b.size === 0 || b.base + b.size > MAX_PHYS_ADDR) {
        throw new VcmError('EINVAL', `${where}: bank ${b.name} must be non-empty and end at or below ${hex(MAX_PHYS_ADDR)} (40-bit), got ${hex(b.base)} + ${formatSize(b.size)}`, {
          param: `banks[${i}]`,
          base: b.base,
          size: b.size,
        });
      }
      return cloneBank(b);
    });
    const sorted = [...banks].sort((a, b) => a.base - b.base);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const cur = sorted[i]!;
      if (cur.base < prev.base + prev.size) {
        throw new VcmError('EINVAL', `PhysicalRam: bank ${cur.name} at ${hex(cur.base)} overlaps bank ${prev.name} (${hex(prev.base)}-${hex(prev.base + prev.size - 1)})`, {
          param: 'banks',
          banks: [prev.name, cur.name],
        });
      }
    }
    const names = new Set<string>();
    for (const b of banks) {
      if (names.has(b.name)) throw new VcmError('EINVAL', `PhysicalRam: two banks are named ${JSON.stringify(b.name)}; names must be unique`, { param: 'banks', name: b.name });
      names.add(b.name);
    }
    this.banks = Object.freeze(sorted);
    this.#bases = Float64Array.from(sorted, (b) => b.base);
    this.#ends = Float64Array.from(sorted, (b) => b.base + b.size);
    this.#touched = new Float64Array(sorted.length);
  }

  /** Index of the bank that holds all of [pa, pa+len), or -1. */
  #bankOf(pa: number, len: number): number {
    const last = this.#lastBank;
    if (pa >= this.#bases[last]! && pa + len <= this.#ends[last]!) return last;
    const n = this.#bases.length;
    for (let i = 0; i < n; i++) {
      if (pa >= this.#bases[i]! && pa + len <= this.#ends[i]!) {
        this.#lastBank = i;
        return i;
      }
    }
    return -1;
  }

  #fault(where: string, pa: number, len: number): never {
    const n = this.#bases.length;
    for (let i = 0; i < n; i++) {
      const b = this.banks[i]!;
      if (pa >= this.#bases[i]! && pa < this.#ends[i]!) {
        throw new VcmError(
          'EFAULT',
          `${where}: physical access at ${hex(pa)} (${len} bytes) straddles the end of bank ${b.name} (${hex(b.base)}-${hex(b.base + b.size - 1)})`,
          { pa, len, bank: b.name },
        );
      }
    }
    const list = this.banks.map((b) => `${b.name} ${hex(b.base)}-${hex(b.base + b.size - 1)}`).join(', ');
    throw new VcmError('EFAULT', `${where}: physical access at ${hex(pa)} (${len} bytes) is outside every bank (${list})`, { pa, len });
  }

  /** Validate an access and return its bank index (EINVAL for a bad number, EFAULT off RAM). */
  #check(where: string, pa: number, len: number): number {
    if (typeof pa !== 'number' || !Number.isSafeInteger(pa) || pa < 0) checkUint(where, 'pa', pa);
    if (typeof len !== 'number' || !Number.isSafeInteger(len) || len < 0) checkUint(where, 'len', len);
    const bank = this.#bankOf(pa, len === 0 ? 1 : len);
    if (bank < 0) this.#fault(where, pa, len);
    return bank;
  }

  #materialise(pageNumber: number, bank: number): Page {
    let page = this.#pages.get(pageNumber);
    if (page === undefined) {
      if (this.#chunkUsed === this.#chunk.byteLength) {
        // A fresh ArrayBuffer is zero, as untouched RAM reads.
        const size = nextChunkBytes(this.#chunk.byteLength);
        this.#chunk = new ArrayBuffer(size);
        this.#chunkUsed = 0;
        this.#hostBytes += size;
      }
      const at = this.#chunkUsed;
      this.#chunkUsed = at + RAM_PAGE_SIZE;
      page = { bytes: new Uint8Array(this.#chunk, at, RAM_PAGE_SIZE), words: new Uint32Array(this.#chunk, at, RAM_PAGE_SIZE / 4) };
      this.#pages.set(pageNumber, page);
      this.#touched[bank]! += 1;
    }
    return page;
  }

  /** True when [pa, pa+len) lies inside one bank; `EINVAL` for a range that cannot exist (NaN, negative, past 2^40). */
  contains(pa: number, len: number): boolean {
    // A question about a real range; a range that cannot exist is a caller's mistake, not "no".
    if (typeof pa !== 'number' || !Number.isSafeInteger(pa) || pa < 0 || pa > MAX_PHYS_ADDR) checkUint('contains', 'pa', pa, MAX_PHYS_ADDR);
    if (typeof len !== 'number' || !Number.isSafeInteger(len) || len < 0 || len > MAX_PHYS_ADDR + 1) checkUint('contains', 'len', len, MAX_PHYS_ADDR + 1);
    return this.#bankOf(pa, len === 0 ? 1 : len) >= 0;
  }

  /** Copy `len` bytes at `pa` out of RAM (a fresh array). */
  read(pa: number, len: number): Uint8Array {
    this.#check('read', pa, len);
    return this.#readTo(pa, new Uint8Array(len), true);
  }

  /**
   * Copy `out.length` bytes at `pa` into `out` and return it: `read` without
   * allocating, for callers that stream through large buffers.
   */
  readInto(pa: number, out: Uint8Array): Uint8Array {
    if (!(out instanceof Uint8Array)) {
      throw new VcmError('EINVAL', `readInto: out must be a Uint8Array, got ${out === null ? 'null' : typeof out}`, { param: 'out' });
    }
    this.#check('readInto', pa, out.length);
    return this.#readTo(pa, out, false);
  }

  #readTo(pa: number, out: Uint8Array, zeroed: boolean): Uint8Array {
    const len = out.length;
    let done = 0;
    while (done < len) {
      const addr = pa + done;
      const pageNumber = Math.floor(addr / RAM_PAGE_SIZE);
      const offset = addr - pageNumber * RAM_PAGE_SIZE;
      const n = Math.min(RAM_PAGE_SIZE - offset, len - done);
      const page = this.#pages.get(pageNumber);
      // An untouched page reads zero (a fresh `out` already is).
      if (page !== undefined) out.set(n === RAM_PAGE_SIZE ? page.bytes : page.bytes.subarray(offset, offset + n), done);
      else if (!zeroed) out.fill(0, done, done + n);
      done += n;
    }
    return out;
  }

  /** Copy `bytes` into RAM at `pa`. */
  write(pa: number, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) {
      throw new VcmError('EINVAL', `write: bytes must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`, { param: 'bytes' });
    }
    const len = bytes.length;
    const bank = this.#check('write', pa, len);
    let done = 0;
    while (done < len) {
      const addr = pa + done;
      const pageNumber = Math.floor(addr / RAM_PAGE_SIZE);
      const offset = addr - pageNumber * RAM_PAGE_SIZE;
      const n = Math.min(RAM_PAGE_SIZE - offset, len - done);
      const page = this.#materialise(pageNumber, bank);
      page.bytes.set(n === len ? bytes : bytes.subarray(done, done + n), offset);
      done += n;
    }
  }

  /** Little-endian 32-bit load from a 4-byte aligned `pa`. */
  readU32(pa: number): number {
    let pageNumber: number;
    let offset: number;
    // A walk's descriptor read: an aligned address below 4 GiB (every short-format one, most LPAE ones) is checked and split with integer operations.
    if (pa >>> 0 === pa && (pa & 3) === 0) {
      pageNumber = pa >>> 12;
      offset = pa & 0xfff;
    } else {
      if (typeof pa !== 'number' || !Number.isSafeInteger(pa) || pa < 0 || pa % 4 !== 0) checkAligned('readU32', 'pa', pa, 4);
      pageNumber = Math.floor(pa / RAM_PAGE_SIZE);
      offset = pa - pageNumber * RAM_PAGE_SIZE;
    }
    if (this.#bankOf(pa, 4) < 0) this.#fault('readU32', pa, 4);
    const page = this.#readPage(pageNumber);
    return page === undefined ? 0 : page.words[offset >>> 2]!;
  }

  /** The page `readU32` reads: one of the two it read last, else the map's (kept when it exists). */
  #readPage(pageNumber: number): Page | undefined {
    if (pageNumber === this.#readNumber0) return this.#readPage0;
    const page = pageNumber === this.#readNumber1 ? this.#readPage1 : this.#pages.get(pageNumber);
    if (page !== undefined) {
      this.#readNumber1 = this.#readNumber0;
      this.#readPage1 = this.#readPage0;
      this.#readNumber0 = pageNumber;
      this.#readPage0 = page;
    }
    return page;
  }

  /** Little-endian 32-bit store to a 4-byte aligned `pa`; `value` is taken modulo 2^32. */
  writeU32(pa: number, value: number): void {
    if (typeof pa !== 'number' || !Number.isSafeInteger(pa) || pa < 0 || pa % 4 !== 0) checkAligned('writeU32', 'pa', pa, 4);
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new VcmError('EINVAL', `writeU32: value must be an integer (taken modulo 2^32), got ${String(value)}`, { param: 'value', value: typeof value === 'number' ? value : typeof value });
    }
    const bank = this.#bankOf(pa, 4);
    if (bank < 0) this.#fault('writeU32', pa, 4);
    const pageNumber = Math.floor(pa / RAM_PAGE_SIZE);
    // Uint32Array stores ToUint32(value): exactly "modulo 2^32".
    this.#materialise(pageNumber, bank).words[(pa - pageNumber * RAM_PAGE_SIZE) >>> 2] = value;
  }

  /** Set `len` bytes at `pa` to the byte `value`. */
  fill(pa: number, len: number, value: number): void {
    checkUint('fill', 'value', value, 0xff);
    const bank = this.#check('fill', pa, len);
    let done = 0;
    while (done < len) {
      const addr = pa + done;
      const pageNumber = Math.floor(addr / RAM_PAGE_SIZE);
      const offset = addr - pageNumber * RAM_PAGE_SIZE;
      const n = Math.min(RAM_PAGE_SIZE - offset, len - done);
      if (value === 0) {
        // Zeroing an untouched page is a no-op: it already reads zero, and
        // materialising it would cost host memory for nothing.
        const page = this.#pages.get(pageNumber);
        if (page !== undefined) page.bytes.fill(0, offset, offset + n);
      } else {
        this.#materialise(pageNumber, bank).bytes.fill(value, offset, offset + n);
      }
      done += n;
    }
  }

  /** Copy `len` bytes from `srcPa` to `dstPa`; overlapping ranges copy as if through a temporary buffer. */
  copy(dstPa: number, srcPa: number, len: number): void {
    this.#check('copy', srcPa, len);
    this.#check('copy', dstPa, len);
    if (len === 0 || dstPa === srcPa) return;
    // Move at most 64 KiB at a time through a bounce buffer, walking away
    // from the overlap: forward when the destination is below the source,
    // backward when above. Each step reads its whole source piece before
    // writing, so no unread source byte is overwritten.
    const step = 64 * 1024;
    if (dstPa < srcPa) {
      for (let done = 0; done < len; done += step) {
        const n = Math.min(step, len - done);
        this.write(dstPa + done, this.read(srcPa + done, n));
      }
    } else {
      for (let left = len; left > 0; left -= step) {
        const n = Math.min(step, left);
        this.write(dstPa + left - n, this.read(srcPa + left - n, n));
      }
    }
  }

  /**
   * The fast path for page-table writers: a live little-endian word view of
   * the whole 4 KiB page holding `pa` (index = (pa & 0xfff) >> 2). The page
   * is materialised, and the same view is returned every time.
   */
  pageWords(pa: number): Uint32Array {
    if (typeof pa !== 'number' || !Number.isSafeInteger(pa) || pa < 0) checkUint('pageWords', 'pa', pa);
    const pageNumber = Math.floor(pa / RAM_PAGE_SIZE);
    const pageBase = pageNumber * RAM_PAGE_SIZE;
    const bank = this.#bankOf(pageBase, RAM_PAGE_SIZE);
    if (bank < 0) this.#fault('pageWords', pageBase, RAM_PAGE_SIZE);
    return this.#materialise(pageNumber, bank).words;
  }

  /** True when the page holding `pa` has host memory behind it. */
  isTouched(pa: number): boolean {
    checkUint('isTouched', 'pa', pa, MAX_PHYS_ADDR);
    return this.#pages.has(Math.floor(pa / RAM_PAGE_SIZE));
  }

  /** Bytes of host memory backing simulated RAM: the chunks touched pages are carved from (`ramChunkBytes(touched pages)`). */
  hostBytes(): number {
    return this.#hostBytes;
  }

  /** Plain-data snapshot: per bank, touched pages; host bytes. */
  stats(): RamStats {
    return {
      banks: this.banks.map((b, i) => ({ name: b.name, base: b.base, size: b.size, touchedPages: this.#touched[i]! })),
      hostBytes: this.hostBytes(),
    };
  }

  toJSON(): RamStats {
    return this.stats();
  }
}
