/**
 * `armLpae4k`: the ARM LPAE long-descriptor format with a 4 KiB granule
 * (docs/hardware.md#page-table-formats), for a 32-bit input space and an
 * output space of up to 40 bits. 64-bit descriptors, read and written as two
 * 32-bit words (low word at the lower address), because a JavaScript number
 * holds 53 bits and the hot paths stay off bigint
 * (docs/rules.md#numbers-and-addresses).
 *
 * Levels: level 1 has 4 entries (32 bytes) for the 32-bit input space and
 * maps 1 GiB blocks; level 2 (512 entries, 4 KiB) maps 2 MiB blocks; level 3
 * (512 entries, 4 KiB) maps 4 KiB pages. Low bits: `01` block (levels 1–2),
 * `11` table (levels 1–2) or page (level 3), `00`, `10` (and `01` at level
 * 3) invalid.
 *
 * The split (docs/hardware.md#the-ttbr-split; ARM ARM DDI 0406C B3.6,
 * "Long-descriptor translation table walk", and the pseudocode
 * `AArch32.TranslationTableWalkLD`): with TTBCR.T0SZ = N the TTBR0 region
 * is [0, 2^(32-N)); for N = 0 or 1 the walk starts at level 1 (4 >> N
 * entries), for N = 2..7 at level 2, from a TTBR0 aligned to 2^(14-N)
 * (2048 >> N entries), so 1 GiB blocks do not exist there. TTBR1 covers
 * the top 2^(32-T1SZ) bytes, or with T1SZ = 0 everything above TTBR0's
 * region, walked from level 1 like a full table. The tables this format
 * builds use T1SZ = 0; `walk` reads any T0SZ/T1SZ.
 *
 * Descriptor attributes (docs/attributes.md): AttrIndx [4:2] indexes the
 * MAIR values below by cache policy; NS 5 (clear for `VCM_SECURE`); AP[1]
 * bit 6 (unprivileged access) unless `PROT_PRIV`; AP[2] bit 7 (read-only)
 * without `VCM_WRITE`; SH [9:8] inner shareable for cacheable memory, outer
 * for non-cacheable; AF 10 always; nG 11 unless `PROT_GLOBAL`; the
 * contiguous hint 52 on 16 aligned entries `mapRange` writes together; PXN
 * 53 and XN 54 from `VCM_EXECUTE`, `VCM_USER` and `VCM_SUPERVISOR`. As in the
 * short format, write-only cannot be expressed: such a mapping is readable.
 *
 * Bookkeeping outside RAM: live-entry counts per level-2 and level-3 table,
 * so emptied tables are freed at once; every translation fact is read from
 * RAM.
 */
import {
  SZ_1G,
  SZ_2M,
  SZ_32M,
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

const NAME = 'armLpae4k';
const PAGE_SIZES: readonly number[] = Object.freeze([SZ_4K, SZ_2M, SZ_1G]);

/**
 * The memory attribute indirection this format's AttrIndx values assume
 * (MAIR0 holds attributes 0..3, MAIR1 attributes 4..7; a context walking
 * these tables must hold these values; ARM ARM DDI 0406C B4.1, "MAIR0
 * and MAIR1"):
 *
 * | index | attribute | meaning | `vcm.h` policy |
 * | --- | --- | --- | --- |
 * | 0 | 0x44 | Normal, inner/outer non-cacheable | `VCM_NOTCACHED` |
 * | 1 | 0xFF | Normal, inner/outer write-back, read- and write-allocate | `VCM_WB_WA` |
 * | 2 | 0x04 | Device | (none: no `vcm.h` policy asks for device memory) |
 * | 3 | 0xEE | Normal, inner/outer write-back, read-allocate, no write-allocate | `VCM_WB_NWA` |
 * | 4 | 0xAA | Normal, inner/outer write-through, read-allocate, no write-allocate | `VCM_WT` |
 *
 * `VCM_WT` is write-through without write-allocate, the same memory type
 * as the short format's TEX/C/B 000/1/0 (ARMv7 has no write-through
 * write-allocate type in the short format).
 */
export const LPAE_MAIR0 = 0xee04ff44;
/** MAIR1 of an LPAE context: attribute 4 = 0xAA, write-through for `VCM_WT` (the table above `LPAE_MAIR0`). */
export const LPAE_MAIR1 = 0x000000aa;
/** Both MAIR words, as one value. */
export const LPAE_MAIR: Readonly<{ mair0: number; mair1: number }> = Object.freeze({ mair0: LPAE_MAIR0, mair1: LPAE_MAIR1 });
/** AttrIndx by `vcm.h` cache policy (`VCM_NOTCACHED`, `VCM_WB_WA`, `VCM_WB_NWA`, `VCM_WT`). */
export const LPAE_ATTR_INDEX: readonly number[] = Object.freeze([0, 1, 3, 4]);
const POLICY_OF_ATTR_INDEX = [VCM_NOTCACHED, VCM_WB_WA, VCM_NOTCACHED, VCM_WB_NWA, VCM_WT, VCM_NOTCACHED, VCM_NOTCACHED, VCM_NOTCACHED];

const TABLE_BYTES = 0x1000;

// Descriptor fields, each named once (ARM ARM DDI 0406C B3.6, "Long-descriptor translation table format descriptors").
// Low word (descriptor bits [31:0]):
const TYPE_MASK = 3;
const TYPE_BLOCK = 1;
const TYPE_TABLE = 3; // also "page" at level 3
const ATTR_INDX_SHIFT = 2;
const NS = 1 << 5;
const AP_UNPRIV = 1 << 6; // AP[1]
const AP_RDONLY = 1 << 7; // AP[2]
const SH_SHIFT = 8;
const SH_OUTER = 0b10;
const SH_INNER = 0b11;
const AF = 1 << 10;
const NG = 1 << 11;
/** Output address bits [31:12] of a page or table, [31:21] of a 2 MiB block, [31:30] of a 1 GiB block. */
const OA_LOW = [0, 0xc0000000, 0xffe00000, 0xfffff000];
// High word (descriptor bits [63:32]):
/** Output address [39:32]. */
const OA_HIGH = 0xff;
/** Output address [47:40]: must be zero with a 40-bit physical space (else an address-size fault). */
const OA_ABOVE_40 = 0xff00;
const CONT = 1 << 20; // bit 52, the contiguous hint
const PXN = 1 << 21; // bit 53
const XN = 1 << 22; // bit 54
// Table descriptor only:
const PXN_TABLE = 1 << 27; // bit 59
const XN_TABLE = 1 << 28; // bit 60
const AP_TABLE_NO_PL0 = 1 << 29; // bit 61, APTable[0]
const AP_TABLE_RDONLY = 1 << 30; // bit 62, APTable[1]
const NS_TABLE = 1 << 31; // bit 63

/** Leaf size by level, and the span of a contiguous-hint run (16 entries) by level. */
const LEAF_SIZE = [0, SZ_1G, SZ_2M, SZ_4K];
const RUN_SIZE = [0, SZ_1G, SZ_32M, SZ_64K]; // a hinted 1 GiB block would need 16 GiB of input: the hint is ignored there
const CONT_ENTRIES = 16;

// TTBCR (long-descriptor; ARM ARM DDI 0406C B4.1, "TTBCR, Translation Table Base Control Register").
const TTBCR_T0SZ = 0x7;
const TTBCR_EPD0 = 1 << 7;
const TTBCR_T1SZ_SHIFT = 16;
const TTBCR_EPD1 = 1 << 23;
const TTBCR_EAE = 1 << 31;
/** Bits the ARMv7 TTBCR has as UNK/SBZP with EAE = 1: [6:3], [15:14], [21:19], 30. */
const TTBCR_SBZ = 0x78 | 0xc000 | 0x380000 | (1 << 30);
/** TTBR high word: ASID [55:48] is [23:16]; BADDR[39:32] is [7:0]; the rest should be zero. */
const TTBR_HIGH_SBZ = 0xff00ff00;

/** The leaf descriptor's low-word attributes for `prot` (without output address and type). */
function leafLow(prot: number): number {
  const policy = prot & VCM_CACHE_POLICY;
  return (
    ((LPAE_ATTR_INDEX[policy] as number) << ATTR_INDX_SHIFT) |
    (prot & VCM_SECURE ? 0 : NS) |
    (prot & PROT_PRIV ? 0 : AP_UNPRIV) |
    (prot & VCM_WRITE ? 0 : AP_RDONLY) |
    ((policy === VCM_NOTCACHED ? SH_OUTER : SH_INNER) << SH_SHIFT) |
    AF |
    (prot & PROT_GLOBAL ? 0 : NG)
  );
}

/**
 * The leaf descriptor's high-word attributes for `prot` (without the output
 * address and the hint): XN without `VCM_EXECUTE`; PXN as well when the
 * mapping is executable for user mode only (`VCM_USER` without
 * `VCM_SUPERVISOR`), so privileged code never runs user pages
 * (docs/attributes.md#execute-never).
 */
function leafHigh(prot: number): number {
  if (!(prot & VCM_EXECUTE)) return XN | PXN;
  return prot & VCM_USER && !(prot & VCM_SUPERVISOR) ? PXN : 0;
}

/** `prot` as the bits say it (the walk's and the dump's view), with the restrictions of the tables above. */
function decodeProt(lo: number, writable: boolean, executable: boolean, secure: boolean): number {
  return (
    accessProt(writable, executable) |
    (POLICY_OF_ATTR_INDEX[(lo >>> ATTR_INDX_SHIFT) & 7] as number) |
    (secure ? VCM_SECURE : 0) |
    (lo & NG ? 0 : PROT_GLOBAL) |
    (lo & AP_UNPRIV ? 0 : PROT_PRIV)
  );
}

/** The output address a descriptor holds at `level` (a table descriptor: level 3's mask, the next table). */
function outputAddress(lo: number, hi: number, level: number): number {
  return ((lo & (OA_LOW[level] as number)) >>> 0) + (hi & OA_HIGH) * TWO_32;
}

/** The next-level table a table descriptor points at (output address [39:12]). */
function tableAddress(lo: number, hi: number): number {
  return outputAddress(lo, hi, 3);
}

/** Where the TTBR0 walk starts for T0SZ `n` (and the TTBR1 walk for T1SZ `n`): level 1 for 0..1, level 2 for 2..7. */
function startLevel(n: number): number {
  return n < 2 ? 1 : 2;
}

/**
 * The one walk (ARM ARM DDI 0406C B3.6, "Long-descriptor translation table
 * format", and the walk pseudocode `AArch32.TranslationTableWalkLD`):
 * select the base register by the split, then read one descriptor per level.
 * Fault order as the architecture has it: translation (including the
 * Non-secure walker meeting a secure leaf, docs/attributes.md#secure), then
 * address size, then access flag. Permissions are the caller's.
 */
function walkLpae(memory: PhysicalMemory, c: WalkConfig, va: number, trace?: WalkStep[], from?: WalkPath): WalkResult | WalkFault {
  const t0 = c.t0sz;
  const t1 = c.t1sz;
  const top0 = REGION_SIZE[t0] as number;
  // TTBR1 when T1SZ > 0 and the top T1SZ bits are ones, or when T1SZ = 0 and the address is above TTBR0's region.
  const upper = t1 === 0 ? t0 !== 0 && va >= top0 : va >= TWO_32 - (REGION_SIZE[t1] as number);
  let tsz: number;
  let table: number;
  if (!upper) {
    // In the gap between the two regions (both sizes set), or the TTBR0 walk disabled: a level-1 translation fault with nothing read.
    if ((t0 !== 0 && va >= top0) || c.epd0) return walkFault('translation', 1, -1, 0, 0);
    tsz = t0;
    table = c.ttbr0;
  } else {
    if (c.epd1) return walkFault('translation', 1, -1, 0, 0);
    tsz = t1;
    table = c.ttbr1;
  }
  // The address inside the region (TTBR1's region with T1SZ > 0 sits at the top: drop the ones above it).
  const v = tsz === 0 ? va : va % (REGION_SIZE[tsz] as number);
  let level = startLevel(tsz);
  let tableBits = 0;
  if (from !== undefined) {
    from.reads = 0;
    from.tables = 0;
    // A walk cache's table descriptor: start below the region's first level, with the attributes accumulated above.
    if (from.startLevel !== 0) {
      if (from.startLevel <= level) throw walkPathError(NAME, from, `this address's region is walked from level ${level}; a start point must lie below it`);
      level = from.startLevel;
      table = from.startTable;
      tableBits = from.startAttrs;
    }
  }
  let index = level === 1 ? v >>> 30 : level === 2 ? (v >>> 21) & 511 : (v >>> 12) & 511;
  for (;;) {
    const entryPa = table + index * 8;
    const lo = memory.readU32(entryPa);
    const hi = memory.readU32(entryPa + 4);
    if (trace !== undefined) trace.push({ level, entryPa, descriptor: lo >>> 0, descriptorHigh: hi >>> 0 });
    if (from !== undefined) from.reads++;
    const type = lo & TYPE_MASK;
    if (type === 0 || type === 2 || (level === 3 && type === TYPE_BLOCK)) return walkFault('translation', level, entryPa, lo, hi);
    if (level === 3 || type === TYPE_BLOCK) return leafResult(c, va, level, entryPa, lo, hi, tableBits);
    if (hi & OA_ABOVE_40) return walkFault('address-size', level, entryPa, lo, hi);
    // Hierarchical attributes accumulate down the walk (NSTable, APTable, XNTable, PXNTable).
    tableBits |= hi;
    table = tableAddress(lo, hi);
    if (from !== undefined) recordTable(from, level, level === 1 ? 30 : 21, table, tableBits >>> 0);
    level++;
    index = level === 2 ? (v >>> 21) & 511 : (v >>> 12) & 511;
  }
}

/** A start at level 2 or 3: a 4 KiB-aligned table below 2^40 and 32-bit attributes. */
function isTableStart(from: WalkPath): boolean {
  const t = from.startTable;
  const a = from.startAttrs;
  return (from.startLevel === 2 || from.startLevel === 3) && typeof t === 'number' && t >= 0 && t < 2 ** 40 && t % 4096 === 0 && typeof a === 'number' && a >>> 0 === a;
}

/** The leaf's result, or its fault. `tableBits` is the OR of the high words of the table descriptors above. */
function leafResult(c: WalkConfig, va: number, level: number, entryPa: number, lo: number, hi: number, tableBits: number): WalkResult | WalkFault {
  // NSTable = 1 makes everything below Non-secure; a Non-secure walker ignores both (its output is always Non-secure).
  const secure = (lo & NS) === 0 && (tableBits & NS_TABLE) === 0;
  if (secure && c.nonSecure) return walkFault('translation', level, entryPa, lo, hi);
  if (hi & OA_ABOVE_40) return walkFault('address-size', level, entryPa, lo, hi);
  if ((lo & AF) === 0) return walkFault('access-flag', level, entryPa, lo, hi);
  const leafSize = LEAF_SIZE[level] as number;
  const size = hi & CONT && level > 1 ? (RUN_SIZE[level] as number) : leafSize;
  const offset = va % size;
  const pa = outputAddress(lo, hi, level) + (va % leafSize);
  const writable = (lo & AP_RDONLY) === 0 && (tableBits & AP_TABLE_RDONLY) === 0;
  const executable = (hi & XN) === 0 && (tableBits & XN_TABLE) === 0;
  return {
    pa,
    va: va - offset,
    size,
    base: pa - offset,
    prot: decodeProt(lo, writable, executable, secure),
    readable: true,
    writable,
    executable,
    privilegedExecutable: executable && (hi & PXN) === 0 && (tableBits & PXN_TABLE) === 0,
    user: (lo & AP_UNPRIV) !== 0 && (tableBits & AP_TABLE_NO_PL0) === 0,
    accessFlag: true,
    nonSecure: !secure,
    domain: 0,
    descriptor: lo >>> 0,
    descriptorHigh: hi >>> 0,
    level,
    entryPa,
  };
}

/** Check a TTBR's base for T*SZ `n`: bits [47:40] and the SBZ bits clear, the base aligned to the start level's table. */
function ttbrBase(where: string, name: string, lo: number, hi: number, n: number): number {
  if (hi & TTBR_HIGH_SBZ) {
    throw registerError(where, `${name}High`, hi, 'bits [63:56] and [47:40] must be zero: the output address space is 40 bits (BADDR[39:32] in [7:0], ASID in [23:16])');
  }
  const align = n < 2 ? 2 ** (5 - n) : 2 ** (14 - n);
  if (lo % align !== 0) {
    throw registerError(
      where,
      name,
      lo,
      `with T${name === 'ttbr0' ? 0 : 1}SZ = ${n} the walk starts at level ${startLevel(n)} with ${align / 8} entries, so the base must be aligned to ${align} bytes (bits [${Math.log2(align) - 1}:0] zero)`,
    );
  }
  return lo + (hi & OA_HIGH) * TWO_32;
}

function decodeLpaeConfig(regs: TranslationRegisters, nonSecure?: boolean): WalkConfig {
  const where = `${NAME}.decodeConfig`;
  const r = checkRegisters(where, regs, nonSecure);
  if (!(r.ttbcr & TTBCR_EAE)) {
    throw registerError(where, 'ttbcr', r.ttbcr, 'EAE (bit 31) is 0, so the registers describe the short-descriptor format; armLpae4k needs EAE = 1');
  }
  if (r.ttbcr & TTBCR_SBZ) {
    throw registerError(where, 'ttbcr', r.ttbcr, `bits ${hex((r.ttbcr & TTBCR_SBZ) >>> 0)} are should-be-zero in the long-descriptor TTBCR`);
  }
  const t0sz = r.ttbcr & TTBCR_T0SZ;
  const t1sz = (r.ttbcr >>> TTBCR_T1SZ_SHIFT) & 7;
  const epd0 = (r.ttbcr & TTBCR_EPD0) !== 0;
  const epd1 = (r.ttbcr & TTBCR_EPD1) !== 0;
  // A base register the walk never uses (disabled, or TTBR1 with no region) is not checked.
  const ttbr1Used = !epd1 && (t0sz !== 0 || t1sz !== 0);
  return Object.freeze({
    [CONFIG_FORMAT]: NAME,
    ttbr0: epd0 ? 0 : ttbrBase(where, 'ttbr0', r.ttbr0, r.ttbr0High, t0sz),
    ttbr1: ttbr1Used ? ttbrBase(where, 'ttbr1', r.ttbr1, r.ttbr1High, t1sz) : 0,
    t0sz,
    t1sz,
    epd0,
    epd1,
    afe: false,
    nonSecure: r.nonSecure,
  });
}

interface Leaf {
  va: number;
  size: number;
  pa: number;
  level: number;
  lo: number;
  hi: number;
  /** Where the descriptor lives. */
  at: number;
}

const KIND: Record<number, string> = { [SZ_4K]: '4 KiB page', [SZ_2M]: '2 MiB block', [SZ_1G]: '1 GiB block' };

function facts(l: Leaf): LeafFacts {
  return { va: l.va, size: l.size, pa: l.pa, kind: KIND[l.size] ?? 'leaf' };
}

function leafOf(lo: number, hi: number, va: number, level: number, at: number): Leaf {
  const size = LEAF_SIZE[level] as number;
  return { va: va - (va % size), size, pa: outputAddress(lo, hi, level), level, lo: lo >>> 0, hi: hi >>> 0, at };
}

function entry(l: Leaf): LeafEntry {
  const writable = (l.lo & AP_RDONLY) === 0;
  const executable = (l.hi & XN) === 0;
  return { va: l.va, size: l.size, pa: l.pa, prot: decodeProt(l.lo, writable, executable, (l.lo & NS) === 0), level: l.level, descriptor: l.lo, descriptorHigh: l.hi };
}

/**
 * The bulk store of `mapRange`: level-3 page descriptors for entries
 * [from, to) of the table `v3` holds, the first with low word `lo` (output
 * address, attributes, type) and high word `hi`, each next page 4 KiB
 * further; entries [runFirst, runEnd) carry the contiguous hint. The caller
 * keeps [from, to) below the next 4 GiB line of the output address, so the
 * high word is one for all of them. Words are int32 (`| 0`): the
 * Uint32Array stores the same 32 bits without a double in between.
 */
function storePages(v3: Uint32Array, from: number, to: number, lo: number, hi: number, runFirst: number, runEnd: number): void {
  const hinted = hi | CONT;
  const a = Math.min(Math.max(runFirst, from), to);
  const b = Math.max(Math.min(runEnd, to), a);
  let k = from;
  for (; k < a; k++) {
    v3[2 * k] = lo;
    v3[2 * k + 1] = hi;
    lo = (lo + SZ_4K) | 0;
  }
  for (; k < b; k++) {
    v3[2 * k] = lo;
    v3[2 * k + 1] = hinted;
    lo = (lo + SZ_4K) | 0;
  }
  for (; k < to; k++) {
    v3[2 * k] = lo;
    v3[2 * k + 1] = hi;
    lo = (lo + SZ_4K) | 0;
  }
}

class LpaeTable implements PageTable {
  readonly format: PageTableFormat;
  readonly rootPa: number;
  readonly inputBase: number;
  readonly inputSize: number;
  readonly walkConfig: WalkConfig;
  private readonly range: TableRange;
  private readonly memory: PhysicalMemory;
  private readonly tables: TableMemory;
  /** Level 1 exists (a TTBR1 table, or split 0 or 1); otherwise the root is the level-2 table of GiB 0. */
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

  constructor(format: PageTableFormat, memory: PhysicalMemory, tables: TableMemory, split: number, ttbr: 0 | 1, outputBits: number) {
    this.format = format;
    this.memory = memory;
    this.tables = tables;
    const region = REGION_SIZE[split] as number;
    this.inputBase = ttbr === 0 ? 0 : region;
    this.inputSize = ttbr === 0 ? region : TWO_32 - region;
    this.range = { inputBase: this.inputBase, inputSize: this.inputSize, paLimit: 2 ** outputBits };
    // A TTBR1 table is walked with T1SZ = 0: from level 1, like a full-size table.
    this.hasL1 = ttbr === 1 || split < 2;
    this.rootEntries = ttbr === 1 ? 4 : this.hasL1 ? 4 >>> split : 2048 >>> split;
    this.rootBytes = Math.max(this.rootEntries * 8, MIN_TABLE_BYTES);
    const root = tables.allocateTable(this.rootBytes, this.rootBytes);
    if (root % this.rootBytes !== 0 || !(root + this.rootBytes <= 2 ** 40)) {
      tables.freeTable(root, this.rootBytes);
      throw new VcmError('EINVAL', `${NAME}.create: table memory gave ${hex(root)}, not a ${this.rootBytes}-byte aligned address below 2^40`, { pa: root });
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

  /** Where the level-2 entry of 2 MiB slot `slot` lives inside level-2 table `t2`. */
  private l2Entry(t2: number, slot: number): number {
    return t2 + (this.hasL1 ? slot & 511 : slot) * 8;
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

  /** The leaf entry (one descriptor, never a whole hinted run) that maps `va`. */
  private leafAt(va: number): Leaf | undefined {
    const g = Math.floor(va / SZ_1G);
    let t2 = this.rootPa;
    if (this.hasL1) {
      const e = this.l1Entry(g);
      const lo = this.lo(e);
      const type = lo & TYPE_MASK;
      if (type === TYPE_BLOCK) return leafOf(lo, this.hi(e), va, 1, e);
      if (type !== TYPE_TABLE) return undefined;
      t2 = tableAddress(lo, this.hi(e));
    }
    const e2 = this.l2Entry(t2, va >>> 21);
    const lo2 = this.lo(e2);
    const type2 = lo2 & TYPE_MASK;
    if (type2 === TYPE_BLOCK) return leafOf(lo2, this.hi(e2), va, 2, e2);
    if (type2 !== TYPE_TABLE) return undefined;
    const e3 = tableAddress(lo2, this.hi(e2)) + ((va >>> 12) & 511) * 8;
    const lo3 = this.lo(e3);
    if ((lo3 & TYPE_MASK) !== TYPE_TABLE) return undefined;
    return leafOf(lo3, this.hi(e3), va, 3, e3);
  }

  walk(va: number): WalkResult | undefined {
    if (this.destroyed) throw destroyedError(`${NAME}.walk`, this.rootPa);
    if (typeof va !== 'number' || !(va >= this.inputBase && va < this.inputBase + this.inputSize && Number.isInteger(va))) {
      // Outside this table's range but a 32-bit input address: nothing mapped there.
      checkUint(`${NAME}.walk`, 'va', va, 0xffff_ffff);
      return undefined;
    }
    const r = walkLpae(this.memory, this.walkConfig, va);
    return 'fault' in r ? undefined : r;
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
          yield entry(leafOf(lo, this.hi(e), g * SZ_1G, 1, e));
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
        if (type2 === TYPE_BLOCK) yield entry(leafOf(lo2, this.hi(e2), va2, 2, e2));
        if (type2 !== TYPE_TABLE) continue;
        const t3 = tableAddress(lo2, this.hi(e2));
        const view = this.memory.pageWords(t3);
        for (let k = 0; k < 512; k++) {
          const lo3 = view[2 * k] as number;
          if ((lo3 & TYPE_MASK) === TYPE_TABLE) yield entry(leafOf(lo3, view[2 * k + 1] as number, va2 + k * SZ_4K, 3, t3 + k * 8));
        }
      }
    }
  }

  map(va: number, pa: number, size: number, prot: number): void {
    const where = `${NAME}.map`;
    this.alive(where);
    const a = checkMapPage(where, PAGE_SIZES, this.range, va, pa, size, prot);
    if (a.size === SZ_1G && !this.hasL1) {
      throw new VcmError('EINVAL', `${where}: a 1 GiB block needs level 1, which a TTBR0 table with split ≥ 2 does not have (its walk starts at level 2)`, {
        param: 'size',
        value: a.size,
      });
    }
    // One page alone never gets the contiguous hint (a run is 16 entries written together).
    this.mapChecked(where, a.va, a.pa, a.size, a.prot);
  }

  mapRange(va: number, pa: number, len: number, prot: number): void {
    const where = `${NAME}.mapRange`;
    this.alive(where);
    const a = checkMapRange(where, this.range, va, pa, len, prot);
    this.mapChecked(where, a.va, a.pa, a.len, a.prot);
  }

  /**
   * Greedy sizes as in the short format (largest size both addresses share
   * that fits what remains); a read-only pass finds clashes and counts new
   * tables, tables are obtained all or nothing, then a second pass writes.
   * Every run of 16 entries that starts at a 16-aligned index, lies wholly
   * in the range and has both addresses aligned to the run (64 KiB of pages,
   * 32 MiB of blocks) gets the contiguous hint: one TLB entry then covers
   * the run (ARM ARM DDI 0406C B3.6, "Contiguous hint").
   */
  private mapChecked(where: string, va: number, pa: number, len: number, prot: number): void {
    const delta = va - pa;
    const giga = this.hasL1 && delta % SZ_1G === 0;
    const mega = delta % SZ_2M === 0;
    const hint64 = delta % SZ_64K === 0;
    const hint32m = delta % SZ_32M === 0;
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
        if (type === TYPE_BLOCK) throw clashError(where, cur, facts(leafOf(lo, this.hi(e), cur, 1, e)));
        if (type === TYPE_TABLE) throw tableClashError(where, cur, '1 GiB block', 2, tableAddress(lo, this.hi(e)), this.l2Live[g] as number);
        cur += SZ_1G;
        continue;
      }
      const gEnd = Math.min(end, (g + 1) * SZ_1G);
      const t2 = this.l2Of(g);
      if (t2 === -1) {
        const e = this.l1Entry(g);
        throw clashError(where, cur, facts(leafOf(this.lo(e), this.hi(e), cur, 1, e)));
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
        const e2 = this.l2Entry(t2, slot);
        const lo2 = this.lo(e2);
        const type2 = lo2 & TYPE_MASK;
        if (type2 === TYPE_BLOCK) throw clashError(where, cur, facts(leafOf(lo2, this.hi(e2), cur, 2, e2)));
        if (type2 === TYPE_TABLE) {
          const t3 = tableAddress(lo2, this.hi(e2));
          if (block) throw tableClashError(where, cur, '2 MiB block', 3, t3, this.l3Live[slot] as number);
          const view = this.memory.pageWords(t3);
          const last = ((slotEnd - 1) >>> 12) & 511;
          for (let k = (cur >>> 12) & 511; k <= last; k++) {
            const lo3 = view[2 * k] as number;
            if ((lo3 & TYPE_MASK) === TYPE_TABLE) {
              const addr = slot * SZ_2M + k * SZ_4K;
              throw clashError(where, addr, facts(leafOf(lo3, view[2 * k + 1] as number, addr, 3, t3 + k * 8)));
            }
          }
        } else if (!block) {
          newL3++;
        }
        cur = slotEnd;
      }
    }

    // One call for both levels, level-2 tables first: the addresses of taking them in that order one at a time.
    const freshL3 = allocateTables(this.tables, newL2 + newL3, TABLE_BYTES);
    const freshL2 = freshL3.splice(0, newL2);
    for (const t of [...freshL2, ...freshL3]) {
      if (t % TABLE_BYTES !== 0) {
        for (const u of [...freshL2, ...freshL3]) this.tables.freeTable(u, TABLE_BYTES);
        throw new VcmError('EINVAL', `${where}: table memory gave ${hex(t)}, not 4 KiB aligned`, { pa: t });
      }
    }

    // Pass 2: write.
    const attrLo = leafLow(prot);
    const attrHi = leafHigh(prot);
    for (let cur = va; cur < end; ) {
      const g = Math.floor(cur / SZ_1G);
      const curPa = cur - delta;
      if (giga && cur % SZ_1G === 0 && end - cur >= SZ_1G) {
        this.setDescriptor(this.l1Entry(g), ((curPa & (OA_LOW[1] as number)) | attrLo | TYPE_BLOCK) >>> 0, (attrHi | Math.floor(curPa / TWO_32)) >>> 0);
        cur += SZ_1G;
        continue;
      }
      const gEnd = Math.min(end, (g + 1) * SZ_1G);
      let t2 = this.l2Of(g);
      if (t2 === 0) {
        t2 = freshL2.pop() as number;
        this.setDescriptor(this.l1Entry(g), ((t2 & (OA_LOW[3] as number)) | TYPE_TABLE) >>> 0, Math.floor(t2 / TWO_32));
        this.l2Tables++;
      }
      const v2 = this.memory.pageWords(t2);
      const b2 = (t2 % 0x1000) >>> 2;
      for (; cur < gEnd; ) {
        const slot = cur >>> 21;
        const slotEnd = Math.min(gEnd, (slot + 1) * SZ_2M);
        const p = cur - delta;
        const i2 = b2 + (this.hasL1 ? slot & 511 : slot) * 2;
        if (mega && cur % SZ_2M === 0 && slotEnd - cur === SZ_2M) {
          const runVa = cur - (cur % SZ_32M);
          const hinted = hint32m && runVa >= va && runVa + SZ_32M <= end;
          v2[i2] = (p & (OA_LOW[2] as number)) | attrLo | TYPE_BLOCK;
          v2[i2 + 1] = attrHi | (hinted ? CONT : 0) | Math.floor(p / TWO_32);
          this.l2Live[g] = (this.l2Live[g] as number) + 1;
          cur = slotEnd;
          continue;
        }
        let t3: number;
        if (((v2[i2] as number) & TYPE_MASK) === TYPE_TABLE) {
          t3 = tableAddress(v2[i2] as number, v2[i2 + 1] as number);
        } else {
          t3 = freshL3.pop() as number;
          v2[i2] = (t3 & (OA_LOW[3] as number)) | TYPE_TABLE;
          v2[i2 + 1] = Math.floor(t3 / TWO_32);
          this.l2Live[g] = (this.l2Live[g] as number) + 1;
          this.l3Tables++;
        }
        // The bulk path: one view per level-3 table, two stores per page, no objects.
        const v3 = this.memory.pageWords(t3);
        const first = (cur >>> 12) & 511;
        const last = ((slotEnd - 1) >>> 12) & 511;
        // Entries [runFirst, runEnd) form whole 16-entry runs inside the range.
        const runFirst = hint64 ? (first + CONT_ENTRIES - 1) & ~(CONT_ENTRIES - 1) : 512;
        const runEnd = hint64 ? (last + 1) & ~(CONT_ENTRIES - 1) : 0;
        // Pages up to the next 4 GiB line of the output address share a high
        // word; past it (a table's 2 MiB can straddle one when pa is not 2 MiB
        // aligned) the low word starts again from 0 and the high word counts it.
        const hi = attrHi | Math.floor(p / TWO_32);
        const wrap = Math.min(last + 1, first + (TWO_32 - (p % TWO_32)) / SZ_4K);
        const lo = (p & (OA_LOW[3] as number)) | attrLo | TYPE_TABLE;
        storePages(v3, first, wrap, lo, hi, runFirst, runEnd);
        if (wrap <= last) storePages(v3, wrap, last + 1, attrLo | TYPE_TABLE, hi + 1, runFirst, runEnd);
        this.l3Live[slot] = (this.l3Live[slot] as number) + (last - first + 1);
        cur = slotEnd;
      }
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

  private unmapChecked(where: string, va: number, len: number): Invalidation {
    const end = va + len;
    // Pass 1: every address mapped, no leaf sticking out.
    for (let cur = va; cur < end; ) {
      const g = Math.floor(cur / SZ_1G);
      const t2 = this.l2Of(g);
      if (t2 === -1) {
        const e = this.l1Entry(g);
        const leaf = leafOf(this.lo(e), this.hi(e), cur, 1, e);
        if (leaf.va < cur || leaf.va + leaf.size > end) throw partialUnmapError(where, va, len, facts(leaf));
        cur = leaf.va + leaf.size;
        continue;
      }
      if (t2 === 0) throw notMappedError(where, cur);
      const gEnd = Math.min(end, (g + 1) * SZ_1G);
      for (; cur < gEnd; ) {
        const slot = cur >>> 21;
        const slotEnd = Math.min(gEnd, (slot + 1) * SZ_2M);
        const e2 = this.l2Entry(t2, slot);
        const lo2 = this.lo(e2);
        const type2 = lo2 & TYPE_MASK;
        if (type2 === TYPE_BLOCK) {
          const leaf = leafOf(lo2, this.hi(e2), cur, 2, e2);
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

    // Runs that stick out of the range lose their hint first; the invalidation then covers them whole.
    let invStart = va;
    let invEnd = end;
    for (const edge of [va, end - 1]) {
      const run = this.breakRun(edge, va, end);
      if (run !== undefined) {
        invStart = Math.min(invStart, run.va);
        invEnd = Math.max(invEnd, run.va + run.len);
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
        const i2 = b2 + (this.hasL1 ? slot & 511 : slot) * 2;
        const lo2 = v2[i2] as number;
        if ((lo2 & TYPE_MASK) === TYPE_BLOCK) {
          v2[i2] = 0;
          v2[i2 + 1] = 0;
          this.l2Live[g] = (this.l2Live[g] as number) - 1;
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
        cur = slotEnd;
      }
      if (this.hasL1 && this.l2Live[g] === 0) {
        this.setDescriptor(this.l1Entry(g), 0, 0);
        this.tables.freeTable(t2, TABLE_BYTES);
        this.l2Tables--;
      }
    }
    return { va: invStart, len: invEnd - invStart };
  }

  /**
   * If the leaf at `addr` carries the contiguous hint and its run is not
   * wholly inside [start, end), rewrite the run without the hint,
   * break-before-make: all 16 entries invalid first, then the same
   * descriptors without the hint (ARM ARM DDI 0406C B3.10, "TLB
   * maintenance requirements": a hinted run is changed only through
   * invalid entries). Returns the run's input range, or undefined when
   * nothing was rewritten.
   */
  private breakRun(addr: number, start: number, end: number): Invalidation | undefined {
    const leaf = this.leafAt(addr);
    if (leaf === undefined || (leaf.hi & CONT) === 0 || leaf.level === 1) return undefined;
    const runSize = RUN_SIZE[leaf.level] as number;
    const runVa = addr - (addr % runSize);
    if (runVa >= start && runVa + runSize <= end) return undefined;
    const first = leaf.at - Math.floor((addr % runSize) / (LEAF_SIZE[leaf.level] as number)) * 8;
    const saved: number[] = [];
    for (let i = 0; i < CONT_ENTRIES; i++) {
      saved.push(this.lo(first + i * 8), this.hi(first + i * 8));
      this.setDescriptor(first + i * 8, 0, 0);
    }
    for (let i = 0; i < CONT_ENTRIES; i++) this.setDescriptor(first + i * 8, saved[2 * i] as number, ((saved[2 * i + 1] as number) & ~CONT) >>> 0);
    return { va: runVa, len: runSize };
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

/** The ARM LPAE long-descriptor format, 4 KiB granule: 4 KiB pages, 2 MiB and 1 GiB blocks. */
export const armLpae4k: PageTableFormat = Object.freeze({
  name: NAME,
  pageSizes: PAGE_SIZES,
  create(memory: PhysicalMemory, tables: TableMemory, options?: PageTableOptions): PageTable {
    const o = checkCreate(`${NAME}.create`, memory, tables, options);
    return new LpaeTable(armLpae4k, memory, tables, o.split, o.ttbr, o.outputBits);
  },
  decodeConfig: decodeLpaeConfig,
  walk(memory: PhysicalMemory, config: WalkConfig, va: number, trace?: WalkStep[], from: WalkPath | undefined = undefined): WalkResult | WalkFault {
    // One cheap test on the hot path; the slow path says what was wrong.
    if (typeof va !== 'number' || (va >>> 0) !== va || config?.[CONFIG_FORMAT as never] !== NAME || typeof memory?.readU32 !== 'function' || (trace !== undefined && !Array.isArray(trace))) {
      throw walkArgsError(NAME, memory, config, va, trace);
    }
    if (from !== undefined && !(isWalkPath(from) && (from.startLevel === 0 || isTableStart(from)))) {
      throw walkPathError(NAME, from, 'LPAE starts at the top (startLevel 0) or at level 2 or 3 from a 4 KiB-aligned table below 2^40, with the 32-bit accumulated table attributes');
    }
    return walkLpae(memory, config, va, trace, from);
  },
});
