/**
 * `armLpae4k`: the ARM LPAE long-descriptor format with a 4 KiB granule
 * (docs/hardware.md#page-table-formats), for a 32-bit input space
 * and a 40-bit output space. 64-bit descriptors, read and written as two
 * 32-bit words (low word at the lower address), because a JavaScript number
 * holds 53 bits and the hot paths stay off bigint
 * (docs/rules.md#numbers-and-addresses).
 *
 * Levels: level 1 has 4 entries (32 bytes) for the 32-bit input space and
 * maps 1 GiB blocks; level 2 (512 entries, 4 KiB) maps 2 MiB blocks; level 3
 * (512 entries, 4 KiB) maps 4 KiB pages. Low bits: `01` block (levels 1–2),
 * `11` table (levels 1–2) or page (level 3), `00` (and `01` at level 3)
 * invalid.
 *
 * With a split N (TTBCR.T0SZ = N) the table covers 2^(32-N) bytes: N = 1
 * leaves 2 level-1 entries; N ≥ 2 makes the walk start at level 2, so the
 * root is a level-2 table of 2048 >> N entries and 1 GiB blocks do not exist.
 *
 * Attributes from `prot` (the `vcm.h` reservation attribute bits):
 * AttrIndx [4:2] indexes `LPAE_MAIR` by cache policy; AP[2:1] in [7:6]:
 * bit 6 (unprivileged) unless `PROT_PRIV`, bit 7 (read-only) when
 * `VCM_WRITE` is absent; SH [9:8] inner shareable (0b11) for cacheable
 * memory, outer shareable (0b10) for non-cacheable; AF (bit 10) always; nG
 * (bit 11) unless `PROT_GLOBAL`; XN (bit 54) and PXN (bit 53) when
 * `VCM_EXECUTE` is absent; NS 0. As in the short format, write-only cannot
 * be expressed: such a mapping is readable.
 *
 * Bookkeeping outside RAM: live-entry counts per level-2 and level-3 table,
 * so emptied tables are freed at once; every translation fact is read from
 * RAM.
 */
import {
  SZ_1G,
  SZ_2M,
  SZ_4K,
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

const NAME = 'armLpae4k';
const PAGE_SIZES: readonly number[] = Object.freeze([SZ_4K, SZ_2M, SZ_1G]);

/**
 * The memory attribute indirection this format's AttrIndx values assume
 * (MAIR0 = attributes 0..3, MAIR1 = attributes 4..7; the context's MAIR
 * registers must hold these values):
 *
 * | index | attribute | meaning | `vcm.h` policy |
 * | --- | --- | --- | --- |
 * | 0 | 0x44 | Normal, inner/outer non-cacheable | `VCM_NOTCACHED` |
 * | 1 | 0xFF | Normal, inner/outer write-back write-allocate | `VCM_WB_WA` |
 * | 2 | 0x04 | Device-nGnRE | (none: no `vcm.h` policy asks for device memory) |
 * | 3 | 0xEE | Normal, write-back no-write-allocate | `VCM_WB_NWA` |
 * | 4 | 0xBB | Normal, write-through | `VCM_WT` |
 */
export const LPAE_MAIR: Readonly<{ mair0: number; mair1: number }> = Object.freeze({ mair0: 0xee04ff44, mair1: 0x000000bb });

const ATTR_INDEX_OF_POLICY = [0, 1, 3, 4]; // by VCM_NOTCACHED, VCM_WB_WA, VCM_WB_NWA, VCM_WT
const POLICY_OF_ATTR_INDEX = [VCM_NOTCACHED, VCM_WB_WA, VCM_NOTCACHED, VCM_WB_NWA, VCM_WT, VCM_NOTCACHED, VCM_NOTCACHED, VCM_NOTCACHED];

const TABLE_BYTES = 0x1000;
const TYPE_MASK = 3;
const TYPE_BLOCK = 1;
const TYPE_TABLE = 3; // also "page" at level 3
const ADDR_LOW = 0xfffff000;
const BLOCK_2M_LOW = 0xffe00000;
const BLOCK_1G_LOW = 0xc0000000;
/** XN (bit 54) and PXN (bit 53) in the high word. */
const HIGH_XN = 1 << 22;
const HIGH_PXN = 1 << 21;

/** The attribute bits of the low word (without output address and type). */
function lowAttrs(prot: number): number {
  const policy = prot & VCM_CACHE_POLICY;
  const sh = policy === VCM_NOTCACHED ? 0b10 : 0b11;
  return (
    ((ATTR_INDEX_OF_POLICY[policy] as number) << 2) |
    (prot & PROT_PRIV ? 0 : 1 << 6) |
    (prot & VCM_WRITE ? 0 : 1 << 7) |
    (sh << 8) |
    (1 << 10) |
    (prot & PROT_GLOBAL ? 0 : 1 << 11)
  );
}

/** The attribute bits of the high word (without PA[39:32]). */
function highAttrs(prot: number): number {
  return prot & VCM_EXECUTE ? 0 : HIGH_XN | HIGH_PXN;
}

function decodeProt(lo: number, hi: number): number {
  return (
    accessProt((lo & (1 << 7)) === 0, (hi & HIGH_XN) === 0) |
    (POLICY_OF_ATTR_INDEX[(lo >>> 2) & 7] as number) |
    (lo & (1 << 11) ? 0 : PROT_GLOBAL) |
    (lo & (1 << 6) ? 0 : PROT_PRIV)
  );
}

/** The next-level table address a table descriptor holds (output address [39:12]). */
function tableAddress(lo: number, hi: number): number {
  return ((lo & ADDR_LOW) >>> 0) + (hi & 0xff) * TWO_32;
}

interface Leaf {
  va: number;
  size: number;
  pa: number;
  level: number;
  lo: number;
  hi: number;
}

const KIND: Record<number, string> = { [SZ_4K]: '4 KiB page', [SZ_2M]: '2 MiB block', [SZ_1G]: '1 GiB block' };

function facts(l: Leaf): LeafFacts {
  return { va: l.va, size: l.size, pa: l.pa, kind: KIND[l.size] ?? 'leaf' };
}

function leafOf(lo: number, hi: number, va: number, level: number): Leaf {
  const size = level === 1 ? SZ_1G : level === 2 ? SZ_2M : SZ_4K;
  const mask = level === 1 ? BLOCK_1G_LOW : level === 2 ? BLOCK_2M_LOW : ADDR_LOW;
  return {
    va: va - (va % size),
    size,
    pa: ((lo & mask) >>> 0) + (hi & 0xff) * TWO_32,
    level,
    lo: lo >>> 0,
    hi: hi >>> 0,
  };
}

class LpaeTable implements PageTable {
  readonly format: PageTableFormat;
  readonly rootPa: number;
  readonly inputSize: number;
  private readonly memory: PhysicalMemory;
  private readonly tables: TableMemory;
  /** Level 1 exists (split 0 or 1); otherwise the root is the level-2 table of GiB 0. */
  private readonly hasL1: boolean;
  private readonly rootBytes: number;
  private readonly rootEntries: number;
  /** Live entries (blocks and table pointers) per level-2 table, by GiB. */
  private readonly l2Live = new Uint16Array(4);
  /** Live pages per level-3 table, by 2 MiB slot. */
  private readonly l3Live = new Uint16Array(2048);
  private l2Tables = 0;
  private l3Tables = 0;
  private destroyed = false;

  constructor(format: PageTableFormat, memory: PhysicalMemory, tables: TableMemory, split: number) {
    this.format = format;
    this.memory = memory;
    this.tables = tables;
    this.inputSize = 2 ** (32 - split);
    this.hasL1 = split < 2;
    this.rootEntries = this.hasL1 ? 4 >>> split : 2048 >>> split;
    this.rootBytes = Math.max(this.rootEntries * 8, MIN_TABLE_BYTES);
    const root = tables.allocateTable(this.rootBytes, this.rootBytes);
    if (root % this.rootBytes !== 0) {
      tables.freeTable(root, this.rootBytes);
      throw new VcmError('EINVAL', `${NAME}.create: table memory gave ${hex(root)}, not ${this.rootBytes}-byte aligned`, { pa: root });
    }
    this.rootPa = root;
  }

  get tableBytes(): number {
    return this.destroyed ? 0 : this.rootBytes + (this.l2Tables + this.l3Tables) * TABLE_BYTES;
  }

  private alive(where: string): void {
    if (this.destroyed) throw destroyedError(where, this.rootPa);
  }

  private lo(pa: number): number {
    return this.memory.readU32(pa);
  }

  private hi(pa: number): number {
    return this.memory.readU32(pa + 4);
  }

  private setDescriptor(pa: number, lo: number, hi: number): void {
    this.memory.writeU32(pa, lo);
    this.memory.writeU32(pa + 4, hi);
  }

  /** Where the level-1 entry of GiB `g` lives. */
  private l1Entry(g: number): number {
    return this.rootPa + g * 8;
  }

  /** The level-2 table of GiB `g`: its address, 0 when there is none, or -1 when a 1 GiB block sits there. */
  private l2Of(g: number): number {
    if (!this.hasL1) return this.rootPa;
    const e = this.l1Entry(g);
    const lo = this.lo(e);
    const type = lo & TYPE_MASK;
    if (type === TYPE_TABLE) return tableAddress(lo, this.hi(e));
    return type === TYPE_BLOCK ? -1 : 0;
  }

  private leafAt(va: number): Leaf | undefined {
    const g = Math.floor(va / SZ_1G);
    let t2 = this.rootPa;
    if (this.hasL1) {
      const e = this.l1Entry(g);
      const lo = this.lo(e);
      const type = lo & TYPE_MASK;
      if (type === TYPE_BLOCK) return leafOf(lo, this.hi(e), va, 1);
      if (type !== TYPE_TABLE) return undefined;
      t2 = tableAddress(lo, this.hi(e));
    }
    const e2 = t2 + ((va >>> 21) & 511) * 8;
    const lo2 = this.lo(e2);
    const type2 = lo2 & TYPE_MASK;
    // A 2 MiB block keeps VA[20:0] (the offset comes from `va - leaf.va`;
    // docs/hardware.md#page-table-formats warns of the walk that kept only
    // VA[11:0]).
    if (type2 === TYPE_BLOCK) return leafOf(lo2, this.hi(e2), va, 2);
    if (type2 !== TYPE_TABLE) return undefined;
    const e3 = tableAddress(lo2, this.hi(e2)) + ((va >>> 12) & 511) * 8;
    const lo3 = this.lo(e3);
    if ((lo3 & TYPE_MASK) !== TYPE_TABLE) return undefined;
    return leafOf(lo3, this.hi(e3), va, 3);
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
      prot: decodeProt(l.lo, l.hi),
      readable: true,
      writable: (l.lo & (1 << 7)) === 0,
      executable: (l.hi & HIGH_XN) === 0,
      user: (l.lo & (1 << 6)) !== 0,
      accessFlag: (l.lo & (1 << 10)) !== 0,
      descriptor: l.lo,
      descriptorHigh: l.hi,
      level: l.level,
    };
  }

  *leaves(): Iterable<LeafEntry> {
    this.alive(`${NAME}.leaves`);
    const gCount = this.hasL1 ? this.rootEntries : 1;
    for (let g = 0; g < gCount; g++) {
      let t2 = this.rootPa;
      if (this.hasL1) {
        const e = this.l1Entry(g);
        const lo = this.lo(e);
        const type = lo & TYPE_MASK;
        if (type === TYPE_BLOCK) {
          yield entry(leafOf(lo, this.hi(e), g * SZ_1G, 1));
          continue;
        }
        if (type !== TYPE_TABLE) continue;
        t2 = tableAddress(lo, this.hi(e));
      }
      const n2 = this.hasL1 ? 512 : this.rootEntries;
      for (let j = 0; j < n2; j++) {
        const e2 = t2 + j * 8;
        const lo2 = this.lo(e2);
        const type2 = lo2 & TYPE_MASK;
        const va2 = g * SZ_1G + j * SZ_2M;
        if (type2 === TYPE_BLOCK) yield entry(leafOf(lo2, this.hi(e2), va2, 2));
        if (type2 !== TYPE_TABLE) continue;
        const t3 = tableAddress(lo2, this.hi(e2));
        const view = this.memory.pageWords(t3);
        for (let k = 0; k < 512; k++) {
          const lo3 = view[2 * k] as number;
          if ((lo3 & TYPE_MASK) === TYPE_TABLE) yield entry(leafOf(lo3, view[2 * k + 1] as number, va2 + k * SZ_4K, 3));
        }
      }
    }
  }

  map(va: number, pa: number, size: number, prot: number): void {
    const where = `${NAME}.map`;
    this.alive(where);
    const a = checkMapPage(where, PAGE_SIZES, this.inputSize, va, pa, size, prot);
    if (a.size === SZ_1G && !this.hasL1) {
      throw new VcmError('EINVAL', `${where}: a 1 GiB block needs level 1, which a table with split ≥ 2 does not have`, { param: 'size', value: a.size });
    }
    this.mapChecked(where, a.va, a.pa, a.size, a.prot);
  }

  mapRange(va: number, pa: number, len: number, prot: number): void {
    const where = `${NAME}.mapRange`;
    this.alive(where);
    const a = checkMapRange(where, this.inputSize, va, pa, len, prot);
    this.mapChecked(where, a.va, a.pa, a.len, a.prot);
  }

  /**
   * Greedy sizes as in the short format (largest size both addresses share
   * that fits what remains); a read-only pass finds clashes and counts new
   * tables, tables are obtained all or nothing, then a second pass writes.
   */
  private mapChecked(where: string, va: number, pa: number, len: number, prot: number): void {
    const delta = va - pa;
    const giga = this.hasL1 && delta % SZ_1G === 0;
    const mega = delta % SZ_2M === 0;
    const end = va + len;

    // Pass 1: read only.
    let newL2 = 0;
    let newL3 = 0;
    for (let cur = va; cur < end; ) {
      const g = Math.floor(cur / SZ_1G);
      if (giga && cur % SZ_1G === 0 && end - cur >= SZ_1G) {
        const e = this.l1Entry(g);
        const lo = this.lo(e);
        const type = lo & TYPE_MASK;
        if (type === TYPE_BLOCK) throw clashError(where, cur, facts(leafOf(lo, this.hi(e), cur, 1)));
        if (type === TYPE_TABLE) throw tableClashError(where, cur, '1 GiB block', 2, tableAddress(lo, this.hi(e)), this.l2Live[g] as number);
        cur += SZ_1G;
        continue;
      }
      const gEnd = Math.min(end, (g + 1) * SZ_1G);
      const t2 = this.l2Of(g);
      if (t2 === -1) {
        const e = this.l1Entry(g);
        throw clashError(where, cur, facts(leafOf(this.lo(e), this.hi(e), cur, 1)));
      }
      if (t2 === 0) newL2++;
      for (; cur < gEnd; ) {
        const slot = cur >>> 21;
        const slotEnd = Math.min(gEnd, (slot + 1) * SZ_2M);
        const block = mega && cur % SZ_2M === 0 && slotEnd - cur === SZ_2M;
        if (t2 === 0) {
          if (!block) newL3++;
          cur = slotEnd;
          continue;
        }
        const e2 = t2 + (slot & 511) * 8;
        const lo2 = this.lo(e2);
        const type2 = lo2 & TYPE_MASK;
        if (type2 === TYPE_BLOCK) throw clashError(where, cur, facts(leafOf(lo2, this.hi(e2), cur, 2)));
        if (type2 === TYPE_TABLE) {
          const t3 = tableAddress(lo2, this.hi(e2));
          if (block) throw tableClashError(where, cur, '2 MiB block', 3, t3, this.l3Live[slot] as number);
          const view = this.memory.pageWords(t3);
          const last = ((slotEnd - 1) >>> 12) & 511;
          for (let k = (cur >>> 12) & 511; k <= last; k++) {
            const lo3 = view[2 * k] as number;
            if ((lo3 & TYPE_MASK) === TYPE_TABLE) {
              const addr = slot * SZ_2M + k * SZ_4K;
              throw clashError(where, addr, facts(leafOf(lo3, view[2 * k + 1] as number, addr, 3)));
            }
          }
        } else if (!block) {
          newL3++;
        }
        cur = slotEnd;
      }
    }

    const freshL2 = allocateTables(this.tables, newL2, TABLE_BYTES);
    let freshL3: number[];
    try {
      freshL3 = allocateTables(this.tables, newL3, TABLE_BYTES);
    } catch (e) {
      for (const t of freshL2) this.tables.freeTable(t, TABLE_BYTES);
      throw e;
    }
    for (const t of [...freshL2, ...freshL3]) {
      if (t % TABLE_BYTES !== 0) {
        for (const u of [...freshL2, ...freshL3]) this.tables.freeTable(u, TABLE_BYTES);
        throw new VcmError('EINVAL', `${where}: table memory gave ${hex(t)}, not 4 KiB aligned`, { pa: t });
      }
    }

    // Pass 2: write.
    const attrLo = lowAttrs(prot);
    const attrHi = highAttrs(prot);
    for (let cur = va; cur < end; ) {
      const g = Math.floor(cur / SZ_1G);
      const curPa = cur - delta;
      if (giga && cur % SZ_1G === 0 && end - cur >= SZ_1G) {
        this.setDescriptor(this.l1Entry(g), ((curPa & BLOCK_1G_LOW) | attrLo | TYPE_BLOCK) >>> 0, (attrHi | Math.floor(curPa / TWO_32)) >>> 0);
        cur += SZ_1G;
        continue;
      }
      const gEnd = Math.min(end, (g + 1) * SZ_1G);
      let t2 = this.l2Of(g);
      if (t2 === 0) {
        t2 = freshL2.pop() as number;
        this.setDescriptor(this.l1Entry(g), ((t2 & ADDR_LOW) | TYPE_TABLE) >>> 0, Math.floor(t2 / TWO_32));
        this.l2Tables++;
      }
      const v2 = this.memory.pageWords(t2);
      const b2 = (t2 % 0x1000) >>> 2;
      for (; cur < gEnd; ) {
        const slot = cur >>> 21;
        const slotEnd = Math.min(gEnd, (slot + 1) * SZ_2M);
        const p = cur - delta;
        const i2 = b2 + (slot & 511) * 2;
        if (mega && cur % SZ_2M === 0 && slotEnd - cur === SZ_2M) {
          v2[i2] = (p & BLOCK_2M_LOW) | attrLo | TYPE_BLOCK;
          v2[i2 + 1] = attrHi | Math.floor(p / TWO_32);
          this.l2Live[g] = (this.l2Live[g] as number) + 1;
          cur = slotEnd;
          continue;
        }
        let t3: number;
        if (((v2[i2] as number) & TYPE_MASK) === TYPE_TABLE) {
          t3 = tableAddress(v2[i2] as number, v2[i2 + 1] as number);
        } else {
          t3 = freshL3.pop() as number;
          v2[i2] = (t3 & ADDR_LOW) | TYPE_TABLE;
          v2[i2 + 1] = Math.floor(t3 / TWO_32);
          this.l2Live[g] = (this.l2Live[g] as number) + 1;
          this.l3Tables++;
        }
        // The bulk path: one view per level-3 table, two stores per page, no objects.
        const v3 = this.memory.pageWords(t3);
        const first = (cur >>> 12) & 511;
        const last = ((slotEnd - 1) >>> 12) & 511;
        let lo = ((p & ADDR_LOW) | attrLo | TYPE_TABLE) >>> 0;
        let hi = (attrHi | Math.floor(p / TWO_32)) >>> 0;
        for (let k = 2 * first, stop = 2 * last; k <= stop; k += 2) {
          v3[k] = lo;
          v3[k + 1] = hi;
          lo += SZ_4K;
          if (lo >= TWO_32) {
            lo -= TWO_32;
            hi++;
          }
        }
        this.l3Live[slot] = (this.l3Live[slot] as number) + (last - first + 1);
        cur = slotEnd;
      }
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

  private unmapChecked(where: string, va: number, len: number): void {
    const end = va + len;
    // Pass 1: every address mapped, no leaf sticking out.
    for (let cur = va; cur < end; ) {
      const g = Math.floor(cur / SZ_1G);
      const t2 = this.l2Of(g);
      if (t2 === -1) {
        const e = this.l1Entry(g);
        const leaf = leafOf(this.lo(e), this.hi(e), cur, 1);
        if (leaf.va < cur || leaf.va + leaf.size > end) throw partialUnmapError(where, va, len, facts(leaf));
        cur = leaf.va + leaf.size;
        continue;
      }
      if (t2 === 0) throw notMappedError(where, cur);
      const gEnd = Math.min(end, (g + 1) * SZ_1G);
      for (; cur < gEnd; ) {
        const slot = cur >>> 21;
        const slotEnd = Math.min(gEnd, (slot + 1) * SZ_2M);
        const e2 = t2 + (slot & 511) * 8;
        const lo2 = this.lo(e2);
        const type2 = lo2 & TYPE_MASK;
        if (type2 === TYPE_BLOCK) {
          const leaf = leafOf(lo2, this.hi(e2), cur, 2);
          if (leaf.va < cur || leaf.va + leaf.size > end) throw partialUnmapError(where, va, len, facts(leaf));
        } else if (type2 === TYPE_TABLE) {
          const view = this.memory.pageWords(tableAddress(lo2, this.hi(e2)));
          const last = ((slotEnd - 1) >>> 12) & 511;
          for (let k = (cur >>> 12) & 511; k <= last; k++) {
            if (((view[2 * k] as number) & TYPE_MASK) !== TYPE_TABLE) throw notMappedError(where, slot * SZ_2M + k * SZ_4K);
          }
        } else {
          throw notMappedError(where, cur);
        }
        cur = slotEnd;
      }
    }

    // Pass 2: clear, and free every table left empty.
    for (let cur = va; cur < end; ) {
      const g = Math.floor(cur / SZ_1G);
      const t2 = this.l2Of(g);
      if (t2 === -1) {
        this.setDescriptor(this.l1Entry(g), 0, 0);
        cur = (g + 1) * SZ_1G;
        continue;
      }
      const gEnd = Math.min(end, (g + 1) * SZ_1G);
      const v2 = this.memory.pageWords(t2);
      const b2 = (t2 % 0x1000) >>> 2;
      for (; cur < gEnd; ) {
        const slot = cur >>> 21;
        const slotEnd = Math.min(gEnd, (slot + 1) * SZ_2M);
        const i2 = b2 + (slot & 511) * 2;
        const lo2 = v2[i2] as number;
        let dropEntry = false;
        if ((lo2 & TYPE_MASK) === TYPE_BLOCK) {
          dropEntry = true;
        } else {
          const t3 = tableAddress(lo2, v2[i2 + 1] as number);
          const first = (cur >>> 12) & 511;
          const last = ((slotEnd - 1) >>> 12) & 511;
          this.memory.pageWords(t3).fill(0, 2 * first, 2 * last + 2);
          const left = (this.l3Live[slot] as number) - (last - first + 1);
          this.l3Live[slot] = left;
          if (left === 0) {
            // Unhook the emptied level-3 table before its memory goes back.
            v2[i2] = 0;
            v2[i2 + 1] = 0;
            this.tables.freeTable(t3, TABLE_BYTES);
            this.l3Tables--;
            this.l2Live[g] = (this.l2Live[g] as number) - 1;
          }
        }
        if (dropEntry) {
          v2[i2] = 0;
          v2[i2 + 1] = 0;
          this.l2Live[g] = (this.l2Live[g] as number) - 1;
        }
        cur = slotEnd;
      }
      if (this.hasL1 && this.l2Live[g] === 0) {
        this.setDescriptor(this.l1Entry(g), 0, 0);
        this.tables.freeTable(t2, TABLE_BYTES);
        this.l2Tables--;
      }
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    const gCount = this.hasL1 ? this.rootEntries : 1;
    for (let g = 0; g < gCount; g++) {
      const t2 = this.l2Of(g);
      if (t2 <= 0) continue;
      const n2 = this.hasL1 ? 512 : this.rootEntries;
      for (let j = 0; j < n2; j++) {
        const lo2 = this.lo(t2 + j * 8);
        if ((lo2 & TYPE_MASK) === TYPE_TABLE) this.tables.freeTable(tableAddress(lo2, this.hi(t2 + j * 8)), TABLE_BYTES);
      }
      if (this.hasL1) this.tables.freeTable(t2, TABLE_BYTES);
    }
    this.tables.freeTable(this.rootPa, this.rootBytes);
    this.l2Tables = 0;
    this.l3Tables = 0;
    this.destroyed = true;
  }
}

function entry(l: Leaf): LeafEntry {
  return { va: l.va, size: l.size, pa: l.pa, prot: decodeProt(l.lo, l.hi), level: l.level, descriptor: l.lo, descriptorHigh: l.hi };
}

/** The ARM LPAE long-descriptor format, 4 KiB granule: 4 KiB pages, 2 MiB and 1 GiB blocks. */
export const armLpae4k: PageTableFormat = Object.freeze({
  name: NAME,
  pageSizes: PAGE_SIZES,
  create(memory: PhysicalMemory, tables: TableMemory, options: PageTableOptions = {}): PageTable {
    const split = checkOneOf(`${NAME}.create`, 'options.split', options.split ?? 0, [0, 1, 2, 3, 4, 5, 6, 7]);
    return new LpaeTable(armLpae4k, memory, tables, split);
  },
});

