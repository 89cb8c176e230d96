/**
 * `armV7Short`: the ARMv7 short-descriptor translation table format
 * (docs/hardware.md#page-table-formats; ARM ARM DDI 0406C B3.5 "Short-
 * descriptor translation table format"), as the MSM8x60 SMMU and the ARMv7
 * CPU walk it. 32-bit descriptors in simulated RAM, two levels:
 *
 * - level 1: index VA[31:20], 4096 entries (4096 >> N for the TTBR0 table
 *   with a split N), 16 KiB aligned; `01` pointer to a level-2 table (base
 *   [31:10], PXN 2, NS 3, domain [8:5]), `1x` section (1 MiB, base
 *   [31:20], bit 0 PXN) or, with bit 18, supersection (16 MiB, base
 *   [31:24], PA[35:32] in [23:20], PA[39:36] in [8:5]);
 * - level 2: index VA[19:12], 256 entries, 1 KiB aligned; `1x` small page
 *   (4 KiB, base [31:12], XN bit 0), `01` large page (64 KiB, base [31:16],
 *   XN moved to bit 15 and TEX to [14:12]).
 *
 * Large pages and supersections are one descriptor written 16 times at a
 * 16-aligned index. Domain 0 throughout.
 *
 * How `prot` (the `vcm.h` reservation attribute bits) becomes bits
 * (docs/attributes.md): nG unless `PROT_GLOBAL`; S always (every mapping
 * shareable); AP[1] (unprivileged access) unless `PROT_PRIV`; AP[0] (access
 * flag) on every leaf; AP[2] (read-only) when `VCM_WRITE` is absent; XN when
 * `VCM_EXECUTE` is absent; PXN (sections and supersections only) also for
 * user-only executable mappings; NS unless `VCM_SECURE` (in the section, or
 * for pages in the level-1 pointer, so the pages of one level-2 table share
 * one security state); cache policy → TEX/C/B: `VCM_WB_WA` 001/1/1,
 * `VCM_NOTCACHED` 001/0/0 (normal non-cacheable), `VCM_WB_NWA` 000/1/1,
 * `VCM_WT` 000/1/0. Short descriptors cannot say "write-only": a mapping
 * without `VCM_READ` is readable anyway, and `walk().readable` is always
 * true.
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
  VCM_SECURE,
  VCM_SUPERVISOR,
  VCM_USER,
  VCM_WB_NWA,
  VCM_WB_WA,
  VCM_WRITE,
  VCM_WT,
  VcmError,
  checkUint,
  hex,
} from '@vcm/core';
import type { PhysicalMemory } from '@vcm/core';
import { PROT_GLOBAL, PROT_PRIV } from '../format.js';
import type {
  Invalidation,
  LeafEntry,
  PageTable,
  PageTableFormat,
  PageTableOptions,
  TableMemory,
  TranslationRegisters,
  WalkConfig,
  WalkFault,
  WalkResult,
  WalkStep,
} from '../format.js';
import {
  CONFIG_FORMAT,
  MIN_TABLE_BYTES,
  REGION_SIZE,
  TWO_32,
  accessProt,
  allocateTables,
  checkCreate,
  checkMapPage,
  checkMapRange,
  checkRegisters,
  checkUnmapPage,
  checkUnmapRange,
  clashError,
  destroyedError,
  notMappedError,
  partialUnmapError,
  registerError,
  tableClashError,
  walkArgsError,
  walkFault,
  wrongLeafSizeError,
} from './common.js';
import type { LeafFacts, TableRange } from './common.js';
import { isWalkPath, recordTable, walkPathError } from '../walk-path.js';
import type { WalkPath } from '../walk-path.js';

const NAME = 'armV7Short';
const PAGE_SIZES: readonly number[] = Object.freeze([SZ_4K, SZ_64K, SZ_1M, SZ_16M]);

/** Level-2 table: 256 entries, 1 KiB, 1 KiB aligned. */
const L2_BYTES = 0x400;
const L2_ENTRIES = 256;

// Level-1 descriptor fields (ARM ARM DDI 0406C B3.5, "Short-descriptor translation table format descriptors").
const L1_TYPE_MASK = 3;
const L1_POINTER = 1;
/** Bit 1 set: a section or supersection; bit 0 is then its PXN. */
const L1_SECTION_BIT = 2;
const SECTION_PXN = 1;
const SECTION_NS = 1 << 19;
const L1_SUPERSECTION_BIT = 1 << 18;
const POINTER_PXN = 1 << 2;
const POINTER_NS = 1 << 3;
const DOMAIN_SHIFT = 5;
const L1_POINTER_BASE = 0xfffffc00;
const SECTION_BASE = 0xfff00000;
const SUPERSECTION_BASE = 0xff000000;
// Level-2 descriptor fields.
const L2_SMALL_BIT = 2;
const L2_LARGE = 1;
const SMALL_BASE = 0xfffff000;
const LARGE_BASE = 0xffff0000;
// Fields every leaf kind has at the same place.
const B_SHIFT = 2;
const C_SHIFT = 3;

/**
 * Where one leaf kind keeps the attribute fields that move between kinds
 * (section/supersection, small page, large page); every other field is at
 * one place for all kinds.
 */
interface Layout {
  readonly xn: number;
  readonly tex: number;
  readonly ap0: number;
  readonly ap1: number;
  readonly ap2: number;
  readonly s: number;
  readonly ng: number;
}
const SECTION: Layout = { xn: 4, tex: 12, ap0: 10, ap1: 11, ap2: 15, s: 16, ng: 17 };
const SMALL: Layout = { xn: 0, tex: 6, ap0: 4, ap1: 5, ap2: 9, s: 10, ng: 11 };
const LARGE: Layout = { xn: 15, tex: 12, ap0: 4, ap1: 5, ap2: 9, s: 10, ng: 11 };

// TTBCR (short-descriptor; ARM ARM DDI 0406C B4.1, "TTBCR, Translation Table Base Control Register").
const TTBCR_N = 7;
const TTBCR_PD0 = 1 << 4;
const TTBCR_PD1 = 1 << 5;
const TTBCR_EAE = 1 << 31;
/** UNK/SBZP with EAE = 0: bit 3 and [30:6]. */
const TTBCR_SBZ = (1 << 3) | 0x7fffffc0;
const SCTLR_AFE = 1 << 29;

/** The attribute fields of one `prot`, before they are placed for a descriptor kind. */
interface Fields {
  ng: number;
  ap2: number;
  ap1: number;
  xn: number;
  pxn: number;
  ns: number;
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
  const exec = (prot & VCM_EXECUTE) !== 0;
  return {
    ng: prot & PROT_GLOBAL ? 0 : 1,
    ap2: prot & VCM_WRITE ? 0 : 1,
    ap1: prot & PROT_PRIV ? 0 : 1,
    xn: exec ? 0 : 1,
    // Executable for user mode only: privileged code may not run it (docs/attributes.md#execute-never).
    pxn: !exec || (prot & VCM_USER && !(prot & VCM_SUPERVISOR)) ? 1 : 0,
    ns: prot & VCM_SECURE ? 0 : 1,
    tex,
    c,
    b,
  };
}

/** The one encoder: the attribute bits of a leaf of kind `l` (without base and type bits). */
function leafBits(l: Layout, f: Fields): number {
  return (f.ng << l.ng) | (1 << l.s) | (f.ap2 << l.ap2) | (f.tex << l.tex) | (f.ap1 << l.ap1) | (1 << l.ap0) | (f.xn << l.xn) | (f.c << C_SHIFT) | (f.b << B_SHIFT);
}

/** A section's (or supersection's) attribute and type bits: the leaf bits plus NS, PXN in bit 0, `1x`. */
function sectionBits(f: Fields): number {
  return leafBits(SECTION, f) | (f.ns ? SECTION_NS : 0) | L1_SECTION_BIT | (f.pxn ? SECTION_PXN : 0);
}

function decodeCache(tex0: number, c: number, b: number): number {
  if (c === 0) return VCM_NOTCACHED;
  if (tex0 === 1) return VCM_WB_WA;
  return b === 1 ? VCM_WB_NWA : VCM_WT;
}

/** The one decoder of `prot`: a leaf word of kind `l`, with the security and PXN that apply to it. */
function decodeProt(l: Layout, d: number, secure: boolean): number {
  return (
    accessProt(((d >>> l.ap2) & 1) === 0, ((d >>> l.xn) & 1) === 0) |
    decodeCache((d >>> l.tex) & 1, (d >>> C_SHIFT) & 1, (d >>> B_SHIFT) & 1) |
    (secure ? VCM_SECURE : 0) |
    ((d >>> l.ng) & 1 ? 0 : PROT_GLOBAL) |
    ((d >>> l.ap1) & 1 ? 0 : PROT_PRIV)
  );
}

/**
 * The one walk (ARM ARM DDI 0406C B3.5 and the short-descriptor walk
 * pseudocode): TTBR0 when N = 0 or the top N bits of the address are zero,
 * else TTBR1; then the level-1 descriptor and, for a pointer, the level-2
 * one. A Non-secure walker meeting a secure leaf takes a translation fault
 * (docs/attributes.md#secure); with SCTLR.AFE, AP[0] = 0 is an access-flag
 * fault. Domains and permissions are the caller's.
 */
function walkShort(memory: PhysicalMemory, c: WalkConfig, va: number, trace?: WalkStep[], from?: WalkPath): WalkResult | WalkFault {
  const n = c.t0sz;
  let base: number;
  if (n === 0 || va < (REGION_SIZE[n] as number)) {
    if (c.epd0) return walkFault('translation', 1, -1, 0, 0);
    base = c.ttbr0;
  } else {
    if (c.epd1) return walkFault('translation', 1, -1, 0, 0);
    base = c.ttbr1;
  }
  if (from !== undefined) {
    from.reads = 0;
    from.tables = 0;
    // A walk cache's level-1 table descriptor: start at level 2 (the descriptor gives the table, NS, PXN and domain).
    if (from.startLevel === 2) return walkLevel2(memory, c, va, trace, from, from.startAttrs);
  }
  const e1 = base + (va >>> 20) * 4;
  const d = memory.readU32(e1);
  if (trace !== undefined) trace.push({ level: 1, entryPa: e1, descriptor: d >>> 0, descriptorHigh: 0 });
  if (from !== undefined) from.reads++;
  if (d & L1_SECTION_BIT) {
    const secure = (d & SECTION_NS) === 0;
    if (secure && c.nonSecure) return walkFault('translation', 1, e1, d, 0);
    if (c.afe && ((d >>> SECTION.ap0) & 1) === 0) return walkFault('access-flag', 1, e1, d, 0);
    let size: number;
    let out: number;
    let domain: number;
    if (d & L1_SUPERSECTION_BIT) {
      size = SZ_16M;
      out = ((d & SUPERSECTION_BASE) >>> 0) + (((d >>> 20) & 0xf) + ((d >>> DOMAIN_SHIFT) & 0xf) * 16) * TWO_32; // PA[39:32]
      domain = 0; // the domain field holds PA[39:36]; supersections are in domain 0
    } else {
      size = SZ_1M;
      out = (d & SECTION_BASE) >>> 0;
      domain = (d >>> DOMAIN_SHIFT) & 0xf;
    }
    return leafResult(SECTION, d, va, size, out, 1, e1, secure, (d & SECTION_PXN) !== 0, domain);
  }
  if ((d & L1_TYPE_MASK) !== L1_POINTER) return walkFault('translation', 1, e1, d, 0);
  if (from !== undefined) recordTable(from, 1, 20, (d & L1_POINTER_BASE) >>> 0, d >>> 0);
  return walkLevel2(memory, c, va, trace, from, d);
}

/** The level-2 half of the walk, under the level-1 table descriptor `d` (read just now, or remembered by a walk cache). */
function walkLevel2(memory: PhysicalMemory, c: WalkConfig, va: number, trace: WalkStep[] | undefined, from: WalkPath | undefined, d: number): WalkResult | WalkFault {
  const e2 = ((d & L1_POINTER_BASE) >>> 0) + ((va >>> 12) & 0xff) * 4;
  const p = memory.readU32(e2);
  if (trace !== undefined) trace.push({ level: 2, entryPa: e2, descriptor: p >>> 0, descriptorHigh: 0 });
  if (from !== undefined) from.reads++;
  if ((p & 3) === 0) return walkFault('translation', 2, e2, p, 0);
  const secure = (d & POINTER_NS) === 0;
  if (secure && c.nonSecure) return walkFault('translation', 2, e2, p, 0);
  const l = p & L2_SMALL_BIT ? SMALL : LARGE;
  if (c.afe && ((p >>> l.ap0) & 1) === 0) return walkFault('access-flag', 2, e2, p, 0);
  const small = l === SMALL;
  return leafResult(l, p, va, small ? SZ_4K : SZ_64K, (p & (small ? SMALL_BASE : LARGE_BASE)) >>> 0, 2, e2, secure, (d & POINTER_PXN) !== 0, (d >>> DOMAIN_SHIFT) & 0xf);
}

function leafResult(l: Layout, d: number, va: number, size: number, out: number, level: number, entryPa: number, secure: boolean, pxn: boolean, domain: number): WalkResult {
  const offset = va % size;
  const executable = ((d >>> l.xn) & 1) === 0;
  return {
    pa: out + offset,
    va: va - offset,
    size,
    base: out,
    prot: decodeProt(l, d, secure),
    readable: true,
    writable: ((d >>> l.ap2) & 1) === 0,
    executable,
    privilegedExecutable: executable && !pxn,
    user: ((d >>> l.ap1) & 1) === 1,
    accessFlag: ((d >>> l.ap0) & 1) === 1,
    nonSecure: !secure,
    domain,
    descriptor: d >>> 0,
    descriptorHigh: 0,
    level,
    entryPa,
  };
}

/** A TTBR's table base: the base field for a table of `bytes`, the bits below it down to 7 should-be-zero, [6:0] walk attributes (ignored). */
function ttbrBase(where: string, name: string, value: number, high: number, bytes: number): number {
  if (high !== 0) throw registerError(where, `${name}High`, high, 'the short-descriptor TTBRs are 32-bit registers; the high word must be 0 or absent');
  const sbz = (value & (bytes - 1) & ~0x7f) >>> 0;
  if (sbz !== 0) {
    throw registerError(where, name, value, `the table base must be aligned to ${bytes} bytes (bits ${hex(sbz)} set; only the walk attributes in [6:0] may be set below the base)`);
  }
  return (value & ~(bytes - 1) & ~0x7f) >>> 0;
}

function decodeShortConfig(regs: TranslationRegisters, nonSecure?: boolean): WalkConfig {
  const where = `${NAME}.decodeConfig`;
  const r = checkRegisters(where, regs, nonSecure);
  if (r.ttbcr & TTBCR_EAE) {
    throw registerError(where, 'ttbcr', r.ttbcr, 'EAE (bit 31) is 1, so the registers describe the long-descriptor (LPAE) format; armV7Short needs EAE = 0');
  }
  if (r.ttbcr & TTBCR_SBZ) {
    throw registerError(where, 'ttbcr', r.ttbcr, `bits ${hex((r.ttbcr & TTBCR_SBZ) >>> 0)} are should-be-zero in the short-descriptor TTBCR (N [2:0], PD0 4, PD1 5)`);
  }
  const n = r.ttbcr & TTBCR_N;
  const epd0 = (r.ttbcr & TTBCR_PD0) !== 0;
  const epd1 = (r.ttbcr & TTBCR_PD1) !== 0;
  return Object.freeze({
    [CONFIG_FORMAT]: NAME,
    // TTBR0's table is 16 KiB >> N; it needs at least 128-byte alignment, which the attribute bits [6:0] leave.
    ttbr0: epd0 ? 0 : ttbrBase(where, 'ttbr0', r.ttbr0, r.ttbr0High, 0x4000 >>> n),
    ttbr1: epd1 || n === 0 ? 0 : ttbrBase(where, 'ttbr1', r.ttbr1, r.ttbr1High, 0x4000),
    t0sz: n,
    t1sz: 0,
    epd0,
    epd1,
    afe: (r.sctlr & SCTLR_AFE) !== 0,
    nonSecure: r.nonSecure,
  });
}

/** Decoded leaf, for leaves() and the error messages. */
interface Leaf {
  va: number;
  size: number;
  pa: number;
  level: number;
  descriptor: number;
  layout: Layout;
  secure: boolean;
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

/** Decode a level-1 leaf (section or supersection) found for `va`. */
function decodeL1Leaf(d: number, va: number): Leaf {
  const secure = (d & SECTION_NS) === 0;
  if (d & L1_SUPERSECTION_BIT) {
    const high = ((d >>> 20) & 0xf) + ((d >>> DOMAIN_SHIFT) & 0xf) * 16; // PA[39:32]
    return { va: (va & SUPERSECTION_BASE) >>> 0, size: SZ_16M, pa: ((d & SUPERSECTION_BASE) >>> 0) + high * TWO_32, level: 1, descriptor: d >>> 0, layout: SECTION, secure };
  }
  return { va: (va & SECTION_BASE) >>> 0, size: SZ_1M, pa: (d & SECTION_BASE) >>> 0, level: 1, descriptor: d >>> 0, layout: SECTION, secure };
}

/** Decode a valid level-2 descriptor `e` found for `va` under the level-1 pointer `d`. */
function decodeL2Leaf(e: number, va: number, d: number): Leaf {
  const small = (e & L2_SMALL_BIT) !== 0;
  const mask = small ? SMALL_BASE : LARGE_BASE;
  return { va: (va & mask) >>> 0, size: small ? SZ_4K : SZ_64K, pa: (e & mask) >>> 0, level: 2, descriptor: e >>> 0, layout: small ? SMALL : LARGE, secure: (d & POINTER_NS) === 0 };
}

class ShortDescriptorTable implements PageTable {
  readonly format: PageTableFormat;
  readonly rootPa: number;
  readonly inputBase: number;
  readonly inputSize: number;
  readonly walkConfig: WalkConfig;
  private readonly range: TableRange;
  private readonly memory: PhysicalMemory;
  private readonly tables: TableMemory;
  /** The first and one-past-last level-1 index this table uses. */
  private readonly l1First: number;
  private readonly l1End: number;
  private readonly l1Bytes: number;
  /** Live entries of the level-2 table under each level-1 index (a large page counts 16). */
  private readonly live: Uint16Array;
  private l2Tables = 0;
  private destroyed = false;

  constructor(format: PageTableFormat, memory: PhysicalMemory, tables: TableMemory, split: number, ttbr: 0 | 1, outputBits: number) {
    this.format = format;
    this.memory = memory;
    this.tables = tables;
    const region = REGION_SIZE[split] as number;
    this.inputBase = ttbr === 0 ? 0 : region;
    this.inputSize = ttbr === 0 ? region : TWO_32 - region;
    this.range = { inputBase: this.inputBase, inputSize: this.inputSize, paLimit: 2 ** outputBits };
    this.l1First = ttbr === 0 ? 0 : 4096 >>> split;
    this.l1End = ttbr === 0 ? 4096 >>> split : 4096;
    // TTBCR.N: the TTBR0 table is 16 KiB >> N long and aligned to its size; the TTBR1 table is always the full 16 KiB (docs/hardware.md#the-ttbr-split).
    this.l1Bytes = ttbr === 0 ? Math.max(0x4000 >>> split, MIN_TABLE_BYTES) : 0x4000;
    this.live = new Uint16Array(this.l1End);
    const root = tables.allocateTable(this.l1Bytes, this.l1Bytes);
    if (root % this.l1Bytes !== 0 || !(root + this.l1Bytes <= TWO_32)) {
      tables.freeTable(root, this.l1Bytes);
      throw new VcmError('EINVAL', `${NAME}.create: table memory gave ${hex(root)}, not a ${this.l1Bytes}-byte aligned address below 4 GiB`, { pa: root });
    }
    this.rootPa = root;
    this.walkConfig = Object.freeze({
      [CONFIG_FORMAT]: NAME,
      ttbr0: ttbr === 0 ? root : 0,
      ttbr1: ttbr === 1 ? root : 0,
      t0sz: split,
      t1sz: 0,
      epd0: ttbr === 1,
      epd1: ttbr === 0,
      afe: false,
      nonSecure: false,
    });
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
    if (d & L1_SECTION_BIT) return decodeL1Leaf(d, va);
    if ((d & L1_TYPE_MASK) !== L1_POINTER) return undefined;
    const e = this.memory.readU32(((d & L1_POINTER_BASE) >>> 0) + ((va >>> 12) & 0xff) * 4);
    if ((e & 3) === 0) return undefined;
    return decodeL2Leaf(e, va, d);
  }

  walk(va: number): WalkResult | undefined {
    if (this.destroyed) throw destroyedError(`${NAME}.walk`, this.rootPa);
    if (typeof va !== 'number' || !(va >= this.inputBase && va < this.inputBase + this.inputSize && Number.isInteger(va))) {
      // Outside this table's range but a 32-bit input address: nothing mapped there.
      checkUint(`${NAME}.walk`, 'va', va, 0xffff_ffff);
      return undefined;
    }
    const r = walkShort(this.memory, this.walkConfig, va);
    return 'fault' in r ? undefined : r;
  }

  *leaves(): Iterable<LeafEntry> {
    this.alive(`${NAME}.leaves`);
    // Read through page views (a dump touches every entry; one view per 4 KiB of table).
    for (let i = this.l1First; i < this.l1End; i++) {
      const at = this.rootPa + i * 4;
      const d = this.memory.pageWords(at)[(at & 0xfff) >>> 2] as number;
      if (d & L1_SECTION_BIT) {
        const l = decodeL1Leaf(d, i * SZ_1M);
        yield entry(l);
        if (l.size === SZ_16M) i += 15;
      } else if ((d & L1_TYPE_MASK) === L1_POINTER) {
        const t = (d & L1_POINTER_BASE) >>> 0;
        const view = this.memory.pageWords(t);
        const base = (t & 0xfff) >>> 2;
        for (let j = 0; j < L2_ENTRIES; j++) {
          const e = view[base + j] as number;
          if ((e & 3) === 0) continue;
          const l = decodeL2Leaf(e, i * SZ_1M + j * SZ_4K, d);
          yield entry(l);
          if (l.size === SZ_64K) j += 15;
        }
      }
    }
  }

  map(va: number, pa: number, size: number, prot: number): void {
    const where = `${NAME}.map`;
    this.alive(where);
    const a = checkMapPage(where, PAGE_SIZES, this.range, va, pa, size, prot);
    // One aligned page of `size` is exactly what the greedy walk picks for [va, va+size).
    this.mapChecked(where, a.va, a.pa, a.size, a.prot);
  }

  mapRange(va: number, pa: number, len: number, prot: number): void {
    const where = `${NAME}.mapRange`;
    this.alive(where);
    const a = checkMapRange(where, this.range, va, pa, len, prot);
    this.mapChecked(where, a.va, a.pa, a.len, a.prot);
  }

  /**
   * The greedy page-size choice: at each step the largest size whose
   * alignment both addresses share and that fits in what remains. As va and
   * pa move together, "both aligned" is "va aligned and (va - pa) a multiple
   * of the size", decided once per call.
   *
   * Two passes over the same steps: the first only reads (clashes, the
   * 4 GiB reach of non-supersection leaves, the security state of existing
   * level-2 tables, how many level-2 tables are new), then the tables are
   * obtained all or nothing, then the second pass writes. So a refused call
   * leaves RAM and the allocator as they were.
   */
  private mapChecked(where: string, va: number, pa: number, len: number, prot: number): void {
    const delta = va - pa;
    const super16 = delta % SZ_16M === 0;
    const sect1 = delta % SZ_1M === 0;
    const large64 = delta % SZ_64K === 0;
    const end = va + len;
    const f = fieldsOf(prot);

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
      if (d & L1_SECTION_BIT) {
        throw clashError(where, cur, facts(decodeL1Leaf(d, cur)));
      } else if ((d & L1_TYPE_MASK) === L1_POINTER) {
        const t = (d & L1_POINTER_BASE) >>> 0;
        const view = this.memory.pageWords(t);
        const base = (t & 0xfff) >>> 2;
        const last = ((slotEnd - 1) >>> 12) & 0xff;
        for (let j = (cur >>> 12) & 0xff; j <= last; j++) {
          const e = view[base + j] as number;
          if ((e & 3) !== 0) {
            const addr = i * SZ_1M + j * SZ_4K;
            throw clashError(where, addr, facts(decodeL2Leaf(e, addr, d)));
          }
        }
        // NS sits in the level-1 pointer: every page of a level-2 table shares one security state.
        if (((d & POINTER_NS) !== 0) !== (f.ns === 1)) {
          const secure = (d & POINTER_NS) === 0;
          throw new VcmError(
            'EINVAL',
            `${where}: ${hex(cur)} would be ${secure ? 'non-secure' : 'secure (VCM_SECURE)'}, but the level-2 table of [${hex(i * SZ_1M)}, ${hex((i + 1) * SZ_1M)}) holds ${secure ? 'secure' : 'non-secure'} pages and ${NAME} keeps NS in the level-1 pointer (one security state per MiB of pages)`,
            { va: cur, secure: !secure, tableSecure: secure },
          );
        }
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
    const small = leafBits(SMALL, f) | L2_SMALL_BIT;
    const large = leafBits(LARGE, f) | L2_LARGE;
    const section = sectionBits(f);
    // The level-1 pointer: NS for its pages, PXN 0 (it would bind all 256 pages of the table), domain 0.
    const pointer = f.ns ? POINTER_NS | L1_POINTER : L1_POINTER;
    for (let cur = va; cur < end; ) {
      const i = cur >>> 20;
      const rem = end - cur;
      const curPa = cur - delta;
      if (super16 && cur % SZ_16M === 0 && rem >= SZ_16M) {
        // PA[35:32] in [23:20], PA[39:36] in the domain field [8:5].
        const high = Math.floor(curPa / TWO_32);
        const d = ((curPa & SUPERSECTION_BASE) | ((high & 0xf) << 20) | ((high >>> 4) << DOMAIN_SHIFT) | L1_SUPERSECTION_BIT | section) >>> 0;
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
        d = (t | pointer) >>> 0;
        this.setL1(i, d);
        this.l2Tables++;
      }
      const t = (d & L1_POINTER_BASE) >>> 0;
      const view = this.memory.pageWords(t);
      const base = (t & 0xfff) >>> 2;
      const first = (cur >>> 12) & 0xff;
      const last = ((slotEnd - 1) >>> 12) & 0xff;
      // Descriptors are kept as int32 (`| 0`): the Uint32Array stores the same
      // 32 bits, and the loop stays in integer registers. As a uint32 (`>>> 0`)
      // a descriptor of a page above 2 GiB is not a small integer to V8, and
      // every store and add went through a double.
      let desc = (curPa & SMALL_BASE) | small;
      if (!large64) {
        // The bulk path: one view per level-2 table, one store per page.
        for (let j = base + first, stop = base + last; j <= stop; j++) {
          view[j] = desc;
          desc = (desc + SZ_4K) | 0;
        }
      } else {
        for (let j = first; j <= last; ) {
          if ((j & 15) === 0 && j + 15 <= last) {
            const ld = (desc & LARGE_BASE) | large;
            for (let k = 0; k < 16; k++) view[base + j + k] = ld;
            j += 16;
            desc = (desc + SZ_64K) | 0;
          } else {
            view[base + j] = desc;
            j++;
            desc = (desc + SZ_4K) | 0;
          }
        }
      }
      this.live[i] = (this.live[i] as number) + (last - first + 1);
      cur = slotEnd;
    }
  }

  private checkL1Free(where: string, i: number, kind: string): void {
    const d = this.l1(i);
    if (d & L1_SECTION_BIT) throw clashError(where, i * SZ_1M, facts(decodeL1Leaf(d, i * SZ_1M)));
    if ((d & L1_TYPE_MASK) === L1_POINTER) {
      throw tableClashError(where, i * SZ_1M, kind, 2, (d & L1_POINTER_BASE) >>> 0, this.live[i] as number);
    }
  }

  unmap(va: number, size: number): Invalidation {
    const where = `${NAME}.unmap`;
    this.alive(where);
    const a = checkUnmapPage(where, PAGE_SIZES, this.range, va, size);
    const leaf = this.leafAt(a.va);
    if (leaf === undefined) throw notMappedError(where, a.va);
    if (leaf.size > a.size) throw partialUnmapError(where, a.va, a.size, facts(leaf));
    if (leaf.size < a.size) throw wrongLeafSizeError(where, a.va, a.size, facts(leaf));
    return this.unmapChecked(where, a.va, a.size);
  }

  unmapRange(va: number, len: number): Invalidation {
    const where = `${NAME}.unmapRange`;
    this.alive(where);
    const a = checkUnmapRange(where, this.range, va, len);
    return this.unmapChecked(where, a.va, a.len);
  }

  /**
   * Two passes again: every address mapped and no leaf sticking out (read
   * only), then clear and free emptied tables. Large pages and
   * supersections are never cut, so the invalidation is the range itself.
   */
  private unmapChecked(where: string, va: number, len: number): Invalidation {
    const end = va + len;
    for (let cur = va; cur < end; ) {
      const i = cur >>> 20;
      const d = this.l1(i);
      if (d & L1_SECTION_BIT) {
        const leaf = decodeL1Leaf(d, cur);
        if (leaf.va < cur || leaf.va + leaf.size > end) throw partialUnmapError(where, va, len, facts(leaf));
        cur = leaf.va + leaf.size;
        continue;
      }
      if ((d & L1_TYPE_MASK) !== L1_POINTER) throw notMappedError(where, cur);
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
        if ((j & 15) !== 0 || j + 15 > last) throw partialUnmapError(where, va, len, facts(decodeL2Leaf(e, i * SZ_1M + j * SZ_4K, d)));
        j += 16;
      }
      cur = slotEnd;
    }

    for (let cur = va; cur < end; ) {
      const i = cur >>> 20;
      const d = this.l1(i);
      if (d & L1_SECTION_BIT) {
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
    return { va, len };
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
    for (let i = this.l1First; i < this.l1End && remaining > 0; ) {
      const at = this.rootPa + i * 4;
      const view = this.memory.pageWords(at);
      const first = (at & 0xfff) >>> 2; // a split level-1 table may start mid-page
      const end = Math.min(1024 - first, this.l1End - i);
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

/** A start at level 2: `startAttrs` is a level-1 table descriptor and `startTable` the 1 KiB-aligned table it points at. */
function isLevel1Pointer(from: WalkPath): boolean {
  const d = from.startAttrs;
  return from.startLevel === 2 && typeof d === 'number' && d >>> 0 === d && (d & L1_TYPE_MASK) === L1_POINTER && from.startTable === (d & L1_POINTER_BASE) >>> 0;
}

function entry(l: Leaf): LeafEntry {
  return { va: l.va, size: l.size, pa: l.pa, prot: decodeProt(l.layout, l.descriptor, l.secure), level: l.level, descriptor: l.descriptor, descriptorHigh: 0 };
}

/** The ARMv7 short-descriptor format: 4 KiB, 64 KiB, 1 MiB and 16 MiB pages. */
export const armV7Short: PageTableFormat = Object.freeze({
  name: NAME,
  pageSizes: PAGE_SIZES,
  create(memory: PhysicalMemory, tables: TableMemory, options?: PageTableOptions): PageTable {
    const o = checkCreate(`${NAME}.create`, memory, tables, options);
    return new ShortDescriptorTable(armV7Short, memory, tables, o.split, o.ttbr, o.outputBits);
  },
  decodeConfig: decodeShortConfig,
  walk(memory: PhysicalMemory, config: WalkConfig, va: number, trace?: WalkStep[], from: WalkPath | undefined = undefined): WalkResult | WalkFault {
    // One cheap test on the hot path; the slow path says what was wrong.
    if (typeof va !== 'number' || (va >>> 0) !== va || config?.[CONFIG_FORMAT as never] !== NAME || typeof memory?.readU32 !== 'function' || (trace !== undefined && !Array.isArray(trace))) {
      throw walkArgsError(NAME, memory, config, va, trace);
    }
    if (from !== undefined && !(isWalkPath(from) && (from.startLevel === 0 || isLevel1Pointer(from)))) {
      throw walkPathError(NAME, from, 'the short format starts at level 1 (startLevel 0) or, from a level-1 table descriptor in startAttrs pointing at startTable, at level 2');
    }
    return walkShort(memory, config, va, trace, from);
  },
});
