/**
 * TEST SCAFFOLDING ONLY (excluded from the build by `src/**\/test-*.ts`):
 * a tiny sparse RAM implementing `PhysicalMemory` and a table allocator
 * implementing `TableMemory`, so the format tests and the format benchmark
 * do not wait for `@vcm/physalloc`. Not a model of anything; the real RAM
 * and allocator live in `@vcm/physalloc`.
 */
import { VcmError, hex } from '@vcm/core';
import type { MemoryBank, PhysicalMemory } from '@vcm/core';
import type { TableMemory } from '../format.js';

export interface TestRamOptions {
  /** Banks of RAM; default one 4 GiB bank at 0. */
  readonly banks?: readonly MemoryBank[];
  /** Where `allocateTable` takes memory from; default [0x0800_0000, 0x0C00_0000). */
  readonly tableBase?: number;
  readonly tableSize?: number;
}

const PAGE = 0x1000;

/** Sparse RAM (a Map of 4 KiB pages, host little-endian) plus a bump/free-list table allocator. */
export class TestRam implements PhysicalMemory, TableMemory {
  readonly banks: readonly MemoryBank[];
  private readonly pages = new Map<number, Uint32Array>();
  // The two pages readU32 found last, most recent first (-1: none), as the real RAM keeps them; pages are never dropped.
  private readNumber0 = -1;
  private readWords0: Uint32Array | undefined;
  private readNumber1 = -1;
  private readWords1: Uint32Array | undefined;
  private readonly tableBase: number;
  private readonly tableEnd: number;
  private bump: number;
  private readonly freeBySize = new Map<number, number[]>();
  private readonly live = new Map<number, number>();
  private failAfter = -1;
  /** Table allocations and frees so far. */
  allocations = 0;
  frees = 0;

  constructor(options: TestRamOptions = {}) {
    this.banks = options.banks ?? [{ name: 'ram', base: 0, size: 2 ** 32 }];
    this.tableBase = options.tableBase ?? 0x0800_0000;
    this.tableEnd = this.tableBase + (options.tableSize ?? 0x0400_0000);
    this.bump = this.tableBase;
  }

  // ---- TableMemory ----

  allocateTable(size: number, align: number): number {
    if (this.failAfter === 0) throw new VcmError('ENOMEM', `TestRam.allocateTable: injected failure for ${size} bytes`, { size });
    if (this.failAfter > 0) this.failAfter--;
    const list = this.freeBySize.get(size);
    let pa: number | undefined;
    if (list !== undefined) {
      const i = list.findIndex((p) => p % align === 0);
      if (i >= 0) pa = list.splice(i, 1)[0];
    }
    if (pa === undefined) {
      const at = Math.ceil(this.bump / align) * align;
      if (at + size > this.tableEnd) throw new VcmError('ENOMEM', `TestRam.allocateTable: no room for ${size} bytes`, { size, align });
      pa = at;
      this.bump = at + size;
    }
    this.fill(pa, size, 0);
    this.live.set(pa, size);
    this.allocations++;
    return pa;
  }

  freeTable(pa: number, size: number): void {
    if (this.live.get(pa) !== size) throw new VcmError('EINVAL', `TestRam.freeTable: ${hex(pa)} (${size} bytes) is not a live table`, { pa, size });
    this.live.delete(pa);
    let list = this.freeBySize.get(size);
    if (list === undefined) this.freeBySize.set(size, (list = []));
    list.push(pa);
    this.frees++;
  }

  /** Let `n` more table allocations succeed, then fail every further one with `ENOMEM` (-1: never). */
  failTableAllocationsAfter(n: number): void {
    this.failAfter = n;
  }

  /** Bytes of table memory handed out and not yet returned. */
  get liveTableBytes(): number {
    let n = 0;
    for (const size of this.live.values()) n += size;
    return n;
  }

  get liveTables(): number {
    return this.live.size;
  }

  /** A digest of every byte of RAM ever touched and of the allocator's live set: equal digests, equal state. */
  digest(): string {
    let h = 0x811c9dc5;
    const keys = [...this.pages.keys()].sort((a, b) => a - b);
    for (const k of keys) {
      const words = this.pages.get(k) as Uint32Array;
      let any = false;
      for (let i = 0; i < words.length; i++) {
        const w = words[i] as number;
        if (w !== 0) {
          any = true;
          h = Math.imul(h ^ w, 0x01000193) >>> 0;
          h = Math.imul(h ^ i, 0x01000193) >>> 0;
        }
      }
      if (any) h = Math.imul(h ^ k, 0x01000193) >>> 0;
    }
    const live = [...this.live.entries()].sort((a, b) => a[0] - b[0]);
    return `${h.toString(16)}:${live.map(([pa, size]) => `${pa.toString(16)}/${size}`).join(',')}`;
  }

  // ---- PhysicalMemory ----

  contains(pa: number, len: number): boolean {
    for (const b of this.banks) if (pa >= b.base && pa + len <= b.base + b.size) return true;
    return false;
  }

  private check(where: string, pa: number, len: number): void {
    if (!Number.isSafeInteger(pa) || pa < 0 || !this.contains(pa, len)) {
      throw new VcmError('EFAULT', `TestRam.${where}: bus error at ${hex(pa)} (+${len})`, { pa, len });
    }
  }

  pageWords(pa: number): Uint32Array {
    this.check('pageWords', pa, 1);
    const k = Math.floor(pa / PAGE);
    let words = this.pages.get(k);
    if (words === undefined) this.pages.set(k, (words = new Uint32Array(PAGE / 4)));
    return words;
  }

  readU32(pa: number): number {
    // A walk reads one descriptor at a time: an aligned 32-bit address inside a bank (the usual read) skips the full checks and their float arithmetic.
    if (!((pa & 3) === 0 && pa >>> 0 === pa && this.contains(pa, 4))) {
      this.check('readU32', pa, 4);
      if (pa % 4 !== 0) throw new VcmError('EFAULT', `TestRam.readU32: unaligned ${hex(pa)}`, { pa });
    }
    const n = Math.floor(pa / PAGE);
    let words: Uint32Array | undefined;
    if (n === this.readNumber0) words = this.readWords0;
    else {
      words = n === this.readNumber1 ? this.readWords1 : this.pages.get(n);
      if (words !== undefined) {
        this.readNumber1 = this.readNumber0;
        this.readWords1 = this.readWords0;
        this.readNumber0 = n;
        this.readWords0 = words;
      }
    }
    return words === undefined ? 0 : (words[(pa % PAGE) >>> 2] as number);
  }

  writeU32(pa: number, value: number): void {
    this.check('writeU32', pa, 4);
    if (pa % 4 !== 0) throw new VcmError('EFAULT', `TestRam.writeU32: unaligned ${hex(pa)}`, { pa });
    this.pageWords(pa)[(pa % PAGE) >>> 2] = value;
  }

  read(pa: number, len: number): Uint8Array {
    this.check('read', pa, len);
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      const a = pa + i;
      const words = this.pages.get(Math.floor(a / PAGE));
      if (words !== undefined) out[i] = new Uint8Array(words.buffer)[a % PAGE] as number;
    }
    return out;
  }

  write(pa: number, bytes: Uint8Array): void {
    this.check('write', pa, bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      const a = pa + i;
      new Uint8Array(this.pageWords(a).buffer)[a % PAGE] = bytes[i] as number;
    }
  }

  fill(pa: number, len: number, value: number): void {
    this.check('fill', pa, len);
    for (let a = pa; a < pa + len; ) {
      const inPage = Math.min(PAGE - (a % PAGE), pa + len - a);
      new Uint8Array(this.pageWords(a).buffer, a % PAGE, inPage).fill(value);
      a += inPage;
    }
  }

  copy(dstPa: number, srcPa: number, len: number): void {
    this.write(dstPa, this.read(srcPa, len));
  }
}
