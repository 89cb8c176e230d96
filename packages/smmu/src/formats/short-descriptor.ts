/**
 * `armV7Short`: the ARMv7 short-descriptor translation table format
 * (docs/hardware.md#page-table-formats), as the MSM8x60 SMMU and the
 * ARMv7 CPU walk it. 32-bit descriptors in simulated RAM, two levels:
 *
 * - level 1: index VA[31:20], 4096 entries (4096 >> N with a split N),
 *   16 KiB aligned; `01` pointer to a level-2 table (base [31:10]), `10`
 *   section (1 MiB, base [31:20]) or, with bit 18, supersection (16 MiB,
 *   base [31:24], PA[35:32] in [23:20], PA[39:36] in [8:5]);
 * - level 2: index VA[19:12], 256 entries, 1 KiB aligned; `1x` small page
 *   (4 KiB, base [31:12], XN bit 0), `01` large page (64 KiB, base [31:16],
 *   XN moved to bit 15 and TEX to [14:12]).
 *
 * Large pages and supersections are one descriptor written 16 times at a
 * 16-aligned index. Domain 0 and NS 0 throughout (secure-world semantics are
 * not modelled, so `VCM_SECURE` does not reach the bits).
 *
 * How `prot` (the `vcm.h` reservation attribute bits) becomes bits:
 * nG unless `PROT_GLOBAL`; S always (every mapping shareable); AP[1]
 * (unprivileged access) unless `PROT_PRIV`; AP[0] (access flag) on every
 * leaf; AP[2] (read-only) when `VCM_WRITE` is absent; XN when `VCM_EXECUTE`
 * is absent; cache policy → TEX/C/B: `VCM_WB_WA` 001/1/1, `VCM_NOTCACHED`
 * 001/0/0 (normal non-cacheable), `VCM_WB_NWA` 000/1/1, `VCM_WT` 000/1/0.
 * Short descriptors cannot say "write-only": a mapping without `VCM_READ`
 * is readable anyway, and `walk().readable` is always true. `VCM_USER`,
 * `VCM_SUPERVISOR` and `VCM_SECURE` do not reach the bits either; a walk
 * reports `prot` decoded from the bits (READ, WRITE, EXECUTE, the cache
 * policy, `PROT_GLOBAL`, `PROT_PRIV`).
 *
 * Bookkeeping outside RAM is one live-entry count per level-2 table (so an
 * emptied table is freed at once); every translation fact is read from RAM.
 */
import {
  SZ_16M,
  SZ_1M,
  SZ_4K,
  SZ_64K,
  VCM_CACHE_POLICY,
  VCM_EXECUTE,
  VCM_NOTCACHED,
  VCM_WB_NWA,
  VCM_WB_WA,
  VCM_WRITE,
  VCM_WT,
  VcmError,
  checkAligned,
  checkOneOf,
  checkUint,
  hex,
} from '@vcm/core';
import type { PhysicalMemory } from '@vcm/core';
import { PROT_GLOBAL, PROT_PRIV } from '../format.js';
import type { LeafEntry, PageTable, PageTableFormat, PageTableOptions, TableMemory, WalkResult } from '../format.js';
import {
  MIN_TABLE_BYTES,
  TWO_32,
  accessProt,
  allocateTables,
  checkMapPage,
  checkMapRange,
  checkPageSize,
  checkUnmapRange,
  clashError,
  destroyedError,
  notMappedError,
  partialUnmapError,
  tableClashError,
  wrongLeafSizeError,
} from './common.js';
import type { LeafFacts } from './common.js';

const NAME = 'armV7Short';
const PAGE_SIZES: readonly number[] = Object.freeze([SZ_4K, SZ_64K, SZ_1M, SZ_16M]);

/** Level-2 table: 256 entries, 1 KiB, 1 KiB aligned. */
const L2_BYTES = 0x400;
const L2_ENTRIES = 256;

// Level-1 descriptor bits.
const L1_TYPE_MASK = 3;
const L1_POINTER = 1;
const L1_SECTION = 2;
const L1_SUPERSECTION_BIT = 1 << 18;
const L1_POINTER_BASE = 0xfffffc00;
const SECTION_BASE = 0xfff00000;
const SUPERSECTION_BASE = 0xff000000;

// Level-2 descriptor bits.
const L2_SMALL_BIT = 2;
const L2_LARGE = 1;
const SMALL_BASE = 0xfffff000;
const LARGE_BASE = 0xffff0000;

/** The attribute fields of one `prot`, before they are placed for a descriptor kind. */
interface Fields {
  ng: number;
  ap2: number;
  ap1: number;
  xn: number;
  tex: number;
  c: number;
  b: number;
}

function fieldsOf(prot: number): Fields {
  const policy = prot & VCM_CACHE_POLICY;
  // TEX[0] marks the "normal memory" encodings of the write-allocate and non-cacheable types (TEX=001).
  const tex = policy === VCM_WB_WA || policy === VCM_NOTCACHED ? 1 : 0;
  const c = policy === VCM_NOTCACHED ? 0 : 1;
  const b = policy === VCM_WB_WA || policy === VCM_WB_NWA ? 1 : 0;
  return {
    ng: prot & PROT_GLOBAL ? 0 : 1,
    ap2: prot & VCM_WRITE ? 0 : 1,
    ap1: prot & PROT_PRIV ? 0 : 1,
    xn: prot & VCM_EXECUTE ? 0 : 1,
    tex,
    c,
    b,
  };
}

/** Small page (4 KiB) attribute bits: nG 11, S 10, AP[2] 9, TEX [8:6], AP[1] 5, AP[0] 4, C 3, B 2, `1x`, XN 0. */
function smallBits(f: Fields): number {
  return (f.ng << 11) | (1 << 10) | (f.ap2 << 9) | (f.tex << 6) | (f.ap1 << 5) | (1 << 4) | (f.c << 3) | (f.b << 2) | L2_SMALL_BIT | f.xn;
}

/** Large page (64 KiB): XN moves to bit 15, TEX to [14:12], low bits `01`; the rest as a small page. */
function largeBits(f: Fields): number {
  return (f.xn << 15) | (f.tex << 12) | (f.ng << 11) | (1 << 10) | (f.ap2 << 9) | (f.ap1 << 5) | (1 << 4) | (f.c << 3) | (f.b << 2) | L2_LARGE;
}

/** Section (1 MiB): nG 17, S 16, AP[2] 15, TEX [14:12], AP[1] 11, AP[0] 10, NS 19 = 0, domain [8:5] = 0, XN 4, C 3, B 2, `10`. */
function sectionBits(f: Fields): number {
  return (f.ng << 17) | (1 << 16) | (f.ap2 << 15) | (f.tex << 12) | (f.ap1 << 11) | (1 << 10) | (f.xn << 4) | (f.c << 3) | (f.b << 2) | L1_SECTION;
}

function decodeCache(tex0: number, c: number, b: number): number {
  if (c === 0) return VCM_NOTCACHED;
  if (tex0 === 1) return VCM_WB_WA;
  return b === 1 ? VCM_WB_NWA : VCM_WT;
}

function decodeProt(ng: number, ap2: number, ap1: number, xn: number, tex0: number, c: number, b: number): number {
  return accessProt(ap2 === 0, xn === 0) | decodeCache(tex0, c, b) | (ng ? 0 : PROT_GLOBAL) | (ap1 ? 0 : PROT_PRIV);
}

/** Decoded leaf, shared by walk, leaves and the error messages. */
interface Leaf {
  va: number;
  size: number;
  pa: number;
  level: number;
  descriptor: number;
  ng: number;
  ap2: number;
  ap1: number;
  ap0: number;
  xn: number;
  tex0: number;
  c: number;
  b: number;
}

const KIND: Record<number, string> = {
  [SZ_4K]: '4 KiB page',
  [SZ_64K]: '64 KiB large page',
  [SZ_1M]: '1 MiB section',
  [SZ_16M]: '16 MiB supersection',
};

function facts(l: Leaf): LeafFacts {
  return { va: l.va, size: l.size, pa: l.pa, kind: KIND[l.size] ?? 'leaf' };
}

/** A section or supersection leaf: both keep their attribute bits at the same places (docs/hardware.md#page-table-formats). */
function sectionLeaf(va: number, size: number, pa: number, d: number): Leaf {
  return {
    va,
    size,
    pa,
    level: 1,
    descriptor: d >>> 0,
    ng: (d >>> 17) & 1,
    ap2: (d >>> 15) & 1,
    ap1: (d >>> 11) & 1,
    ap0: (d >>> 10) & 1,
    xn: (d >>> 4) & 1,
    tex0: (d >>> 12) & 1,
    c: (d >>> 3) & 1,
    b: (d >>> 2) & 1,
  };
}

/** Decode a level-1 leaf (section or supersection) found for `va`. */
function decodeL1Leaf(d: number, va: number): Leaf {
  if (d & L1_SUPERSECTION_BIT) {
    const high = ((d >>> 20) & 0xf) + ((d >>> 5) & 0xf) * 16; // PA[39:32]
    return sectionLeaf((va & SUPERSECTION_BASE) >>> 0, SZ_16M, ((d & SUPERSECTION_BASE) >>> 0) + high * TWO_32, d);
  }
  return sectionLeaf((va & SECTION_BASE) >>> 0, SZ_1M, (d & SECTION_BASE) >>> 0, d);
}

/** Decode a valid level-2 descriptor found for `va` (fields spelled out: the walk is a TLB miss's hot path). */
function decodeL2Leaf(d: number, va: number): Leaf {
  const small = (d & L2_SMALL_BIT) !== 0;
  return {
    va: (va & (small ? SMALL_BASE : LARGE_BASE)) >>> 0,
    size: small ? SZ_4K : SZ_64K,
    pa: (d & (small ? SMALL_BASE : LARGE_BASE)) >>> 0,
    level: 2,
    descriptor: d >>> 0,
    ng: (d >>> 11) & 1,
    ap2: (d >>> 9) & 1,
    ap1: (d >>> 5) & 1,
    ap0: (d >>> 4) & 1,
    xn: small ? d & 1 : (d >>> 15) & 1,
    tex0: small ? (d >>> 6) & 1 : (d >>> 12) & 1,
    c: (d >>> 3) & 1,
    b: (d >>> 2) & 1,
  };
}

class ShortDescriptorTable implements PageTable {
  readonly format: PageTableFormat;
  readonly rootPa: number;
  readonly inputSize: number;
  private readonly memory: PhysicalMemory;
  private readonly tables: TableMemory;
  private readonly l1Entries: number;
  private readonly l1Bytes: number;
  /** Live entries of the level-2 table under each level-1 index (a large page counts 16). */
  private readonly live: Uint16Array;
  private l2Tables = 0;
  private destroyed = false;

  constructor(format: PageTableFormat, memory: PhysicalMemory, tables: TableMemory, split: number) {
    this.format = format;
    this.memory = memory;
    this.tables = tables;
    this.l1Entries = 4096 >>> split;
    this.inputSize = 2 ** (32 - split);
    // TTBCR.N: the TTBR0 table is 16 KiB >> N long and aligned to its size
    // (docs/hardware.md#the-ttbr-split).
    this.l1Bytes = Math.max(0x4000 >>> split, MIN_TABLE_BYTES);
    this.live = new Uint16Array(this.l1Entries);
    const root = tables.allocateTable(this.l1Bytes, this.l1Bytes);
    if (root % this.l1Bytes !== 0 || root + this.l1Bytes > TWO_32) {
      tables.freeTable(root, this.l1Bytes);
      throw new VcmError('EINVAL', `${NAME}.create: table memory gave ${hex(root)}, not a ${this.l1Bytes}-byte aligned address below 4 GiB`, { pa: root });
    }
    this.rootPa = root;
  }

  get tableBytes(): number {
    return this.destroyed ? 0 : this.l1Bytes + this.l2Tables * L2_BYTES;
  }

  private alive(where: string): void {
    if (this.destroyed) throw destroyedError(where, this.rootPa);
  }

  private l1(i: number): number {
    return this.memory.readU32(this.rootPa + i * 4);
  }

  private setL1(i: number, d: number): void {
    this.memory.writeU32(this.rootPa + i * 4, d);
  }

  private leafAt(va: number): Leaf | undefined {
    const d = this.l1(va >>> 20);
    const type = d & L1_TYPE_MASK;
    if (type === L1_SECTION) return decodeL1Leaf(d, va);
    if (type !== L1_POINTER) return undefined;
    const e = this.memory.readU32(((d & L1_POINTER_BASE) >>> 0) + ((va >>> 12) & 0xff) * 4);
    if ((e & 3) === 0) return undefined;
    return decodeL2Leaf(e, va);
  }

  walk(va: number): WalkResult | undefined {
    if (this.destroyed) throw destroyedError(`${NAME}.walk`, this.rootPa);
    if (!(va >= 0 && va < this.inputSize && Number.isInteger(va))) {
      checkUint(`${NAME}.walk`, 'va', va);
      return undefined;
    }
    const l = this.leafAt(va);
    if (l === undefined) return undefined;
    return {
      pa: l.pa + (va - l.va),
      va: l.va,
      size: l.size,
      base: l.pa,
      prot: decodeProt(l.ng, l.ap2, l.ap1, l.xn, l.tex0, l.c, l.b),
      readable: true,
      writable: l.ap2 === 0,
      executable: l.xn === 0,
      user: l.ap1 === 1,
      accessFlag: l.ap0 === 1,
      descriptor: l.descriptor,
      descriptorHigh: 0,
      level: l.level,
    };
  }

  *leaves(): Iterable<LeafEntry> {
    this.alive(`${NAME}.leaves`);
    // Read through page views (a dump touches every entry; one view per 4 KiB of table).
    for (let i = 0; i < this.l1Entries; i++) {
      const at = this.rootPa + i * 4;
      const d = this.memory.pageWords(at)[(at & 0xfff) >>> 2] as number;
      const type = d & L1_TYPE_MASK;
      if (type === L1_SECTION) {
        const l = decodeL1Leaf(d, i * SZ_1M);
        yield this.entry(l);
        if (l.size === SZ_16M) i += 15;
      } else if (type === L1_POINTER) {
        const t = (d & L1_POINTER_BASE) >>> 0;
        const view = this.memory.pageWords(t);
        const base = (t & 0xfff) >>> 2;
        for (let j = 0; j < L2_ENTRIES; j++) {
          const e = view[base + j] as number;
          if ((e & 3) === 0) continue;
          const l = decodeL2Leaf(e, i * SZ_1M + j * SZ_4K);
          yield this.entry(l);
          if (l.size === SZ_64K) j += 15;
        }
      }
    }
  }

  private entry(l: Leaf): LeafEntry {
    return {
      va: l.va,
      size: l.size,
      pa: l.pa,
      prot: decodeProt(l.ng, l.ap2, l.ap1, l.xn, l.tex0, l.c, l.b),
      level: l.level,
      descriptor: l.descriptor,
      descriptorHigh: 0,
    };
  }

  map(va: number, pa: number, size: number, prot: number): void {
    const where = `${NAME}.map`;
    this.alive(where);
    const a = checkMapPage(where, PAGE_SIZES, this.inputSize, va, pa, size, prot);
    // One aligned page of `size` is exactly what the greedy walk picks for [va, va+size).
    this.mapChecked(where, a.va, a.pa, a.size, a.prot);
  }

  mapRange(va: number, pa: number, len: number, prot: number): void {
    const where = `${NAME}.mapRange`;
    this.alive(where);
    const a = checkMapRange(where, this.inputSize, va, pa, len, prot);
    this.mapChecked(where, a.va, a.pa, a.len, a.prot);
  }

  /**
   * The greedy page-size choice: at each step the largest size whose
   * alignment both addresses share and that fits in what remains. As va and
   * pa move together, "both aligned" is "va aligned and (va - pa) a multiple
   * of the size", decided once per call.
   *
   * Two passes over the same steps: the first only reads (clashes, the
   * 4 GiB reach of non-supersection leaves, how many level-2 tables are
   * new), then the tables are obtained all or nothing, then the second pass
   * writes. So a refused call leaves RAM and the allocator as they were.
   */
  private mapChecked(where: string, va: number, pa: number, len: number, prot: number): void {
    const delta = va - pa;
    const super16 = delta % SZ_16M === 0;
    const sect1 = delta % SZ_1M === 0;
    const large64 = delta % SZ_64K === 0;
    const end = va + len;

    // Pass 1: read only.
    let newTables = 0;
    for (let cur = va; cur < end; ) {
      const i = cur >>> 20;
      const rem = end - cur;
      const curPa = cur - delta;
      if (super16 && cur % SZ_16M === 0 && rem >= SZ_16M) {
        for (let k = 0; k < 16; k++) this.checkL1Free(where, i + k, 'supersection');
        cur += SZ_16M;
        continue;
      }
      if (curPa >= TWO_32) {
        throw new VcmError('EINVAL', `${where}: pa ${hex(curPa)} is above 4 GiB; only a 16 MiB supersection reaches it in ${NAME} (va ${hex(cur)})`, {
          param: 'pa',
          value: curPa,
          va: cur,
        });
      }
      if (sect1 && cur % SZ_1M === 0 && rem >= SZ_1M) {
        this.checkL1Free(where, i, 'section');
        cur += SZ_1M;
        continue;
      }
      const slotEnd = Math.min(end, (i + 1) * SZ_1M);
      if (slotEnd - delta > TWO_32) {
        throw new VcmError('EINVAL', `${where}: pa ${hex(curPa)} + ${hex(slotEnd - cur)} passes 4 GiB; only supersections reach above it in ${NAME}`, {
          param: 'pa',
          value: curPa,
          va: cur,
        });
      }
      const d = this.l1(i);
      const type = d & L1_TYPE_MASK;
      if (type === L1_POINTER) {
        const t = (d & L1_POINTER_BASE) >>> 0;
        const view = this.memory.pageWords(t);
        const base = (t & 0xfff) >>> 2;
        const last = ((slotEnd - 1) >>> 12) & 0xff;
        for (let j = (cur >>> 12) & 0xff; j <= last; j++) {
          const e = view[base + j] as number;
          if ((e & 3) !== 0) {
            const addr = i * SZ_1M + j * SZ_4K;
            throw clashError(where, addr, facts(decodeL2Leaf(e, addr)));
          }
        }
      } else if (type === L1_SECTION) {
        throw clashError(where, cur, facts(decodeL1Leaf(d, cur)));
      } else {
        newTables++;
      }
      cur = slotEnd;
    }

    const fresh = allocateTables(this.tables, newTables, L2_BYTES);
    for (const t of fresh) {
      if (t % L2_BYTES !== 0 || t >= TWO_32) {
        for (const u of fresh) this.tables.freeTable(u, L2_BYTES);
        throw new VcmError('EINVAL', `${where}: table memory gave ${hex(t)}, not a 1 KiB aligned address below 4 GiB`, { pa: t });
      }
    }

    // Pass 2: write.
    const f = fieldsOf(prot);
    const small = smallBits(f);
    const large = largeBits(f);
    const section = sectionBits(f);
    for (let cur = va; cur < end; ) {
      const i = cur >>> 20;
      const rem = end - cur;
      const curPa = cur - delta;
      if (super16 && cur % SZ_16M === 0 && rem >= SZ_16M) {
        // PA[35:32] in [23:20], PA[39:36] in the domain field [8:5].
        const high = Math.floor(curPa / TWO_32);
        const d = ((curPa & SUPERSECTION_BASE) | ((high & 0xf) << 20) | ((high >>> 4) << 5) | L1_SUPERSECTION_BIT | section) >>> 0;
        for (let k = 0; k < 16; k++) this.setL1(i + k, d);
        cur += SZ_16M;
        continue;
      }
      if (sect1 && cur % SZ_1M === 0 && rem >= SZ_1M) {
        this.setL1(i, ((curPa & SECTION_BASE) | section) >>> 0);
        cur += SZ_1M;
        continue;
      }
      const slotEnd = Math.min(end, (i + 1) * SZ_1M);
      let d = this.l1(i);
      if ((d & L1_TYPE_MASK) !== L1_POINTER) {
        const t = fresh.pop() as number;
        d = (t | L1_POINTER) >>> 0;
        this.setL1(i, d);
        this.l2Tables++;
      }
      const t = (d & L1_POINTER_BASE) >>> 0;
      const view = this.memory.pageWords(t);
      const base = (t & 0xfff) >>> 2;
      const first = (cur >>> 12) & 0xff;
      const last = ((slotEnd - 1) >>> 12) & 0xff;
      let desc = ((curPa & SMALL_BASE) | small) >>> 0;
      if (!large64) {
        // The bulk path: one view per level-2 table, one store per page.
        for (let j = base + first, stop = base + last; j <= stop; j++) {
          view[j] = desc;
          desc += SZ_4K;
        }
      } else {
        for (let j = first; j <= last; ) {
          if ((j & 15) === 0 && j + 15 <= last) {
            const ld = ((desc & LARGE_BASE) | large) >>> 0;
            for (let k = 0; k < 16; k++) view[base + j + k] = ld;
            j += 16;
            desc += SZ_64K;
          } else {
            view[base + j] = desc;
            j++;
            desc += SZ_4K;
          }
        }
      }
      this.live[i] = (this.live[i] as number) + (last - first + 1);
      cur = slotEnd;
    }
  }

  private checkL1Free(where: string, i: number, kind: string): void {
    const d = this.l1(i);
    const type = d & L1_TYPE_MASK;
    if (type === L1_SECTION) throw clashError(where, i * SZ_1M, facts(decodeL1Leaf(d, i * SZ_1M)));
    if (type === L1_POINTER) {
      throw tableClashError(where, i * SZ_1M, kind, 2, (d & L1_POINTER_BASE) >>> 0, this.live[i] as number);
    }
  }

  unmap(va: number, size: number): void {
    const where = `${NAME}.unmap`;
    this.alive(where);
    const s = checkPageSize(where, PAGE_SIZES, size);
    const v = checkAligned(where, 'va', va, s, this.inputSize - s);
    const leaf = this.leafAt(v);
    if (leaf === undefined) throw notMappedError(where, v);
    if (leaf.size > s) throw partialUnmapError(where, v, s, facts(leaf));
    if (leaf.size < s) throw wrongLeafSizeError(where, v, s, facts(leaf));
    this.unmapChecked(where, v, s);
  }

  unmapRange(va: number, len: number): void {
    const where = `${NAME}.unmapRange`;
    this.alive(where);
    const a = checkUnmapRange(where, this.inputSize, va, len);
    this.unmapChecked(where, a.va, a.len);
  }

  /** Two passes again: every address mapped and no leaf sticking out (read only), then clear and free emptied tables. */
  private unmapChecked(where: string, va: number, len: number): void {
    const end = va + len;
    for (let cur = va; cur < end; ) {
      const i = cur >>> 20;
      const d = this.l1(i);
      const type = d & L1_TYPE_MASK;
      if (type === L1_SECTION) {
        const leaf = decodeL1Leaf(d, cur);
        if (leaf.va < cur || leaf.va + leaf.size > end) throw partialUnmapError(where, va, len, facts(leaf));
        cur = leaf.va + leaf.size;
        continue;
      }
      if (type !== L1_POINTER) throw notMappedError(where, cur);
      const slotEnd = Math.min(end, (i + 1) * SZ_1M);
      const t = (d & L1_POINTER_BASE) >>> 0;
      const view = this.memory.pageWords(t);
      const base = (t & 0xfff) >>> 2;
      const last = ((slotEnd - 1) >>> 12) & 0xff;
      for (let j = (cur >>> 12) & 0xff; j <= last; ) {
        const e = view[base + j] as number;
        if (e & L2_SMALL_BIT) {
          j++;
          continue;
        }
        if ((e & 3) === 0) throw notMappedError(where, i * SZ_1M + j * SZ_4K);
        if ((j & 15) !== 0 || j + 15 > last) throw partialUnmapError(where, va, len, facts(decodeL2Leaf(e, i * SZ_1M + j * SZ_4K)));
        j += 16;
      }
      cur = slotEnd;
    }

    for (let cur = va; cur < end; ) {
      const i = cur >>> 20;
      const d = this.l1(i);
      if ((d & L1_TYPE_MASK) === L1_SECTION) {
        const n = d & L1_SUPERSECTION_BIT ? 16 : 1;
        for (let k = 0; k < n; k++) this.setL1(i + k, 0);
        cur += n * SZ_1M;
        continue;
      }
      const slotEnd = Math.min(end, (i + 1) * SZ_1M);
      const t = (d & L1_POINTER_BASE) >>> 0;
      const view = this.memory.pageWords(t);
      const base = (t & 0xfff) >>> 2;
      const first = (cur >>> 12) & 0xff;
      const last = ((slotEnd - 1) >>> 12) & 0xff;
      view.fill(0, base + first, base + last + 1);
      const left = (this.live[i] as number) - (last - first + 1);
      this.live[i] = left;
      if (left === 0) this.dropL2(i, t);
      cur = slotEnd;
    }
  }

  /** An emptied level-2 table: unhook it from level 1 first, then give its memory back. */
  private dropL2(i: number, t: number): void {
    this.setL1(i, 0);
    this.tables.freeTable(t, L2_BYTES);
    this.l2Tables--;
  }

  destroy(): void {
    if (this.destroyed) return;
    // Emptied level-2 tables are freed as they empty, so a table whose
    // mappings were all removed has none left and needs no scan; otherwise
    // scan level 1 a page view at a time and stop at the last live table.
    let remaining = this.l2Tables;
    for (let i = 0; i < this.l1Entries && remaining > 0; ) {
      const at = this.rootPa + i * 4;
      const view = this.memory.pageWords(at);
      const first = (at & 0xfff) >>> 2; // a split level-1 table may start mid-page
      const end = Math.min(1024 - first, this.l1Entries - i);
      for (let j = 0; j < end && remaining > 0; j++) {
        const d = view[first + j] as number;
        if ((d & L1_TYPE_MASK) === L1_POINTER) {
          this.tables.freeTable((d & L1_POINTER_BASE) >>> 0, L2_BYTES);
          remaining--;
        }
      }
      i += end;
    }
    this.tables.freeTable(this.rootPa, this.l1Bytes);
    this.l2Tables = 0;
    this.destroyed = true;
  }
}

/** The ARMv7 short-descriptor format: 4 KiB, 64 KiB, 1 MiB and 16 MiB pages. */
export const armV7Short: PageTableFormat = Object.freeze({
  name: NAME,
  pageSizes: PAGE_SIZES,
  create(memory: PhysicalMemory, tables: TableMemory, options: PageTableOptions = {}): PageTable {
    const split = checkOneOf(`${NAME}.create`, 'options.split', options.split ?? 0, [0, 1, 2, 3, 4, 5, 6, 7]);
    return new ShortDescriptorTable(armV7Short, memory, tables, split);
  },
});
