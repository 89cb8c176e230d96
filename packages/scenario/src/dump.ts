/**
 * Page-table dumps and walks of one device of a set-up platform
 * (docs/scenarios.md#page-table-images, docs/scenarios.md#walks): an SMMU
 * context's tables as its bank's registers reach them, or the CPU's, with
 * the registers raw and decoded, every table's bytes, and the leaves
 * grouped the way Linux's ptdump groups them — consecutive entries with
 * equal attributes in one range line — labelled with the buffer each
 * reservation holds. `vcm-ref dump` and `vcm-ref walk` print these; the
 * engine reads and writes no files.
 */
import { VCM_CACHE_POLICY, VCM_NOTCACHED, VCM_WB_NWA, VCM_WB_WA, VCM_WT, VcmError, checkUint, formatSize, hex } from '@vcm/core';
import { buildPlatform, closestNames } from '@vcm/devtree';
import type { Platform } from '@vcm/devtree';
import { LPAE_ATTR_INDEX, PROT_GLOBAL, SCTLR_AFE, SCTLR_TRE, isWalkFault } from '@vcm/smmu';
import type { PageTableFormat, SmmuContext, WalkFault, WalkResult, WalkStep } from '@vcm/smmu';
import { entrySpan, readPageTables } from './page-tables.js';
import type { FaultingEntry, TableBase, TableImage, TranslationRegime } from './page-tables.js';
import { boardDevices } from './rules.js';
import { runScenario } from './runner.js';
import type { ScenarioSetUp } from './runner.js';
import type { CheckedScenario } from './validate.js';

const TWO_32 = 2 ** 32;

/** Which device's tables: an SMMU context by name, or the CPU. */
export type DumpTarget = { readonly kind: 'context'; readonly name: string } | { readonly kind: 'cpu' };

/** A named address range of the device's input space (a buffer's reservation, the kernel's linear map). */
export interface LabelRegion {
  readonly start: number;
  readonly len: number;
  readonly label: string;
}

/** A leaf's attributes, decoded by the walk (docs/attributes.md#encoding-table). */
export interface LeafAttributes {
  readonly read: boolean;
  readonly write: boolean;
  readonly execute: boolean;
  /** Executable at PL1 as well (not PXN). */
  readonly privilegedExecute: boolean;
  /** Unprivileged (PL0) accesses allowed: AP[1]. */
  readonly user: boolean;
  /** NS: the output is in the Non-secure address space. */
  readonly nonSecure: boolean;
  /** nG clear: the TLB entry answers every address-space id. */
  readonly global: boolean;
  readonly accessFlag: boolean;
  /** The `vcm.h` cache policy, by the scenario's name for it. */
  readonly cache: 'uncached' | 'wb-wa' | 'wb-nwa' | 'wt';
  /** LPAE: the AttrIndx the policy is written as, and the MAIR byte it selects in these registers; short format: null. */
  readonly attrIndex: number | null;
  readonly mair: number | null;
  /** Shareability as the formats write it: short S = 1 (`shareable`); LPAE SH inner (cacheable) or outer (non-cacheable). */
  readonly shareability: 'shareable' | 'inner' | 'outer';
  /** LPAE: the entry is one of a hinted run of 16 (64 KiB of pages, 32 MiB of 2 MiB blocks). */
  readonly contiguous: boolean;
  /** Short format: the leaf's domain. */
  readonly domain: number;
}

/** One ptdump line: consecutive leaves of one level, page size and label with equal attributes. */
export interface DumpRange {
  readonly base: TableBase;
  readonly level: number;
  readonly va: number;
  readonly size: number;
  /** The entry size (LPAE contiguous runs: one entry's, with `attributes.contiguous`); short large pages and supersections: the page. */
  readonly pageSize: number;
  readonly pages: number;
  /** The physical runs the range maps, in address order of the input. */
  readonly pa: readonly { readonly pa: number; readonly len: number }[];
  readonly attributes: LeafAttributes;
  readonly label: string | null;
}

/** One leaf as the manifest and `vcm-ref verify` need it. */
export interface DumpLeaf {
  readonly base: TableBase;
  readonly level: number;
  readonly va: number;
  readonly size: number;
  readonly pa: number;
  /** Input range of one table entry at the leaf's level: a leaf of 16 entries is checked at each of them. */
  readonly entrySpan: number;
}

/**
 * The registers QEMU's MMU is given for one part of the input space
 * (`tooling/qemu-mmu-oracle`): a context bank's registers as they are,
 * once for the whole space; the CPU's per half, because the CPU walks
 * TTBR1's table as a whole level-1 table above `PAGE_OFFSET`
 * (docs/decisions.md#the-cpu-chooses-its-page-table-by-address).
 */
export interface OracleRegime {
  readonly start: number;
  readonly end: number;
  readonly format: 'short' | 'lpae';
  readonly ttbcr: number;
  readonly ttbr0: number;
  readonly ttbr0High: number;
  readonly ttbr1: number;
  readonly ttbr1High: number;
  /** LPAE: MAIR0/MAIR1. */
  readonly mair0: number;
  readonly mair1: number;
  /** Short: DACR (0x5555_5555, every domain a client, for the SMMU, which has no domains). */
  readonly dacr: number;
  /** Short: SCTLR.AFE. */
  readonly afe: boolean;
  /** SCTLR.TRE. */
  readonly tre: boolean;
}

/** The registers of the device, raw (by register name) and decoded (their own `fields`). */
export interface RegisterDump {
  readonly raw: Readonly<Record<string, number>>;
  readonly decoded: unknown;
}

/** Everything `vcm-ref dump` prints about one device. */
export interface PageTableDump {
  readonly device: string;
  readonly kind: 'context' | 'cpu';
  /** The SMMU and bank of a context; null for the CPU. */
  readonly smmu: string | null;
  readonly bank: number | null;
  readonly format: PageTableFormat['name'];
  readonly registers: RegisterDump;
  readonly regimes: readonly { readonly base: TableBase; readonly start: number; readonly end: number }[];
  readonly oracle: readonly OracleRegime[];
  readonly tables: readonly TableImage[];
  readonly ranges: readonly DumpRange[];
  readonly leaves: readonly DumpLeaf[];
  /** Valid descriptors a walk cannot use (access flag 0, an output address too wide). */
  readonly faulting: readonly FaultingEntry[];
}

/** One step of a walk, with what the descriptor meant to the walker. */
export interface WalkTraceStep extends WalkStep {
  /** The table the entry lies in, and its index there. */
  readonly tablePa: number;
  readonly index: number;
  readonly meaning: string;
}

/** What `vcm-ref walk` prints. */
export interface WalkTrace {
  readonly device: string;
  readonly kind: 'context' | 'cpu';
  readonly format: PageTableFormat['name'];
  readonly va: number;
  /** The base register walked; null when the address is in no base's range (nothing is read). */
  readonly base: TableBase | null;
  readonly steps: readonly WalkTraceStep[];
  readonly leaf: (Omit<DumpLeaf, 'base' | 'entrySpan'> & { readonly attributes: LeafAttributes; readonly label: string | null }) | null;
  readonly fault: { readonly kind: WalkFault['fault']; readonly level: number; readonly entryPa: number; readonly why: string } | null;
  readonly pa: number | null;
}

/** Every domain a client: what the SMMU, which has no DACR, amounts to. */
const DACR_CLIENTS = 0x5555_5555;

const CACHE_NAMES: Readonly<Record<number, LeafAttributes['cache']>> = { [VCM_NOTCACHED]: 'uncached', [VCM_WB_WA]: 'wb-wa', [VCM_WB_NWA]: 'wb-nwa', [VCM_WT]: 'wt' };

// ---- set-up --------------------------------------------------------------------

/** A scenario's set-up (allocations, spaces, mappings) without its traffic: the platform and where every mapping landed. */
export function setUpScenario(checked: CheckedScenario): ScenarioSetUp {
  let setUp: ScenarioSetUp | undefined;
  runScenario(checked, { traffic: false, onSetUp: (s) => (setUp = s) });
  return setUp!;
}

/** A board's platform as `buildPlatform` makes it: no space, no mapping (the CPU's kernel tables only). */
export function setUpBoard(description: Parameters<typeof buildPlatform>[0]): ScenarioSetUp {
  return { platform: buildPlatform(description), spaces: [] };
}

function unknownDevice(platform: Platform, name: unknown): VcmError {
  const names = boardDevices(platform.board).contexts;
  const near = typeof name === 'string' ? closestNames(name, names, 2) : [];
  return new VcmError(
    'EINVAL',
    `--ctx: ${JSON.stringify(name)} is not an SMMU context of board "${platform.board.name}"${near.length > 0 ? `; did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?` : ''} (allowed: ${names.join(', ')})`,
    { param: 'ctx', value: typeof name === 'string' ? name : typeof name, allowed: names },
  );
}

/**
 * The context `target` names, active: a scenario's contexts are active when
 * a space associates them (`EINVAL` naming the ones that are otherwise);
 * with `activateIdle`, an idle context is bound and activated on its empty
 * own table first (a board without a scenario).
 */
function contextOf(setUp: ScenarioSetUp, name: string, activateIdle: boolean): SmmuContext {
  const { platform } = setUp;
  if (typeof name !== 'string' || !boardDevices(platform.board).contexts.includes(name)) throw unknownDevice(platform, name);
  const ctx: SmmuContext = platform.tree.getCtxInstance(name);
  if (!ctx.isActive) {
    if (!activateIdle) {
      const used = [...new Set(setUp.spaces.flatMap((s) => s.devices))].filter((d) => boardDevices(platform.board).contexts.includes(d));
      throw new VcmError('EINVAL', `--ctx: context "${name}" is not active: no space of the scenario associates it (allowed: ${used.length > 0 ? used.join(', ') : 'none; the scenario associates no context'})`, {
        param: 'ctx',
        value: name,
        allowed: used,
      });
    }
    if (ctx.bank === undefined) ctx.bind(ctx.smmu);
    ctx.activate();
  }
  return ctx;
}

// ---- what each device walks ---------------------------------------------------

interface DeviceView {
  readonly device: string;
  readonly kind: 'context' | 'cpu';
  readonly smmu: string | null;
  readonly bank: number | null;
  readonly format: PageTableFormat;
  readonly registers: RegisterDump;
  readonly regimes: readonly TranslationRegime[];
  readonly oracle: readonly OracleRegime[];
  /** MAIR0/MAIR1 of LPAE registers (null in the short format). */
  readonly mair: readonly [number, number] | null;
  /** The hardware walk of `va` as the device does it (its own walker, secure or not). */
  walk(va: number): { base: TableBase | null; steps: readonly WalkStep[]; result: WalkResult | WalkFault };
}

function contextView(ctx: SmmuContext): DeviceView {
  const r = ctx.registers;
  const f = r.fields();
  const format = ctx.bank!.smmu.format;
  const long = f.ttbcr.eae;
  // The bases' ranges (docs/hardware.md#the-ttbr-split): TTBR1 from the top of TTBR0's region (T1SZ = 0) or the top 2^(32-T1SZ) bytes.
  const t0 = f.ttbcr.t0sz;
  const t1 = f.ttbcr.t1sz;
  const split1 = t1 === 0 ? (t0 === 0 ? undefined : 2 ** (32 - t0)) : TWO_32 - 2 ** (32 - t1);
  const end0 = t0 === 0 ? (split1 ?? TWO_32) : 2 ** (32 - t0);
  // A secure walker without the access-flag check: the dump lists every valid leaf, secure ones and AF = 0 ones too (marked so).
  const config = format.decodeConfig({ ttbcr: r.ttbcr, ttbr0: r.ttbr0, ttbr0High: r.ttbr0High, ttbr1: r.ttbr1, ttbr1High: r.ttbr1High }, false);
  const regimes: TranslationRegime[] = [];
  if (!f.ttbcr.epd0) regimes.push({ base: 'TTBR0', start: 0, end: end0, config, fullRoot: false });
  if (!f.ttbcr.epd1 && split1 !== undefined) regimes.push({ base: 'TTBR1', start: split1, end: TWO_32, config, fullRoot: !long || t1 === 0 });
  const raw = r.toJSON();
  return {
    device: ctx.name,
    kind: 'context',
    smmu: ctx.bank!.smmu.name,
    bank: ctx.bank!.index,
    format,
    registers: {
      raw: {
        SCTLR: raw.sctlr,
        TTBCR: raw.ttbcr,
        TTBR0: raw.ttbr0,
        TTBR0_HIGH: raw.ttbr0High,
        TTBR1: raw.ttbr1,
        TTBR1_HIGH: raw.ttbr1High,
        CONTEXTIDR: raw.contextidr,
        [long ? 'MAIR0' : 'PRRR']: raw.mair0,
        [long ? 'MAIR1' : 'NMRR']: raw.mair1,
        FSR: raw.fsr,
        FAR: raw.far,
        FSYNR0: raw.fsynr0,
      },
      decoded: f,
    },
    regimes,
    oracle: [
      {
        start: 0,
        end: TWO_32,
        format: long ? 'lpae' : 'short',
        ttbcr: r.ttbcr,
        ttbr0: r.ttbr0,
        ttbr0High: r.ttbr0High,
        ttbr1: r.ttbr1,
        ttbr1High: r.ttbr1High,
        mair0: r.mair0,
        mair1: r.mair1,
        dacr: DACR_CLIENTS,
        afe: (r.sctlr & SCTLR_AFE) !== 0,
        tre: (r.sctlr & SCTLR_TRE) !== 0,
      },
    ],
    mair: long ? [r.mair0, r.mair1] : null,
    walk(va) {
      const w = ctx.walk(va);
      const regime = regimes.find((g) => va >= g.start && va < g.end);
      return { base: regime === undefined || w.steps.length === 0 ? null : regime.base, steps: w.steps, result: w.leaf ?? w.fault! };
    },
  };
}

function cpuView(platform: Platform): DeviceView {
  const cpu = platform.cpu;
  const words = cpu.registers.words;
  const configs = cpu.registers.configs;
  const fields = cpu.registers.fields;
  const pageOffset = platform.vmm.layout.pageOffset;
  const regimes: TranslationRegime[] = [];
  // Both halves are whole 16 KiB level-1 tables walked with N = 0 (docs/decisions.md#the-cpu-chooses-its-page-table-by-address).
  if (!configs.user.epd0) regimes.push({ base: 'TTBR0', start: 0, end: pageOffset, config: configs.user, fullRoot: true });
  if (!configs.kernel.epd0) regimes.push({ base: 'TTBR1', start: pageOffset, end: TWO_32, config: configs.kernel, fullRoot: true });
  const half = (start: number, end: number, table: number): OracleRegime => ({
    start,
    end,
    format: 'short',
    ttbcr: 0,
    ttbr0: table,
    ttbr0High: 0,
    ttbr1: 0,
    ttbr1High: 0,
    mair0: 0,
    mair1: 0,
    dacr: words.dacr,
    afe: fields.sctlr.afe,
    tre: fields.sctlr.tre,
  });
  return {
    device: cpu.name,
    kind: 'cpu',
    smmu: null,
    bank: null,
    // The CPU walks the format of the kernel's table (its registers decode with it).
    format: platform.vmm.kernelPageTable.table!.format,
    registers: {
      raw: { SCTLR: words.sctlr, TTBCR: words.ttbcr, TTBR0: words.ttbr0, TTBR1: words.ttbr1, DACR: words.dacr, CONTEXTIDR: words.contextidr },
      decoded: fields,
    },
    regimes,
    oracle: regimes.map((g) => half(g.start, g.end, g.base === 'TTBR0' ? words.ttbr0 : words.ttbr1)),
    mair: null,
    walk(va) {
      const w = cpu.walk(va);
      return { base: w.steps.length === 0 ? null : w.ttbr === 0 ? 'TTBR0' : 'TTBR1', steps: w.steps, result: w.leaf ?? w.fault! };
    },
  };
}

function viewOf(setUp: ScenarioSetUp, target: DumpTarget, activateIdle: boolean): DeviceView {
  if (typeof target !== 'object' || target === null || (target.kind !== 'context' && target.kind !== 'cpu')) {
    throw new VcmError('EINVAL', `target must be { kind: 'context', name } or { kind: 'cpu' }, got ${JSON.stringify(target)}`, { param: 'target' });
  }
  return target.kind === 'cpu' ? cpuView(setUp.platform) : contextView(contextOf(setUp, target.name, activateIdle));
}

// ---- attributes and labels ------------------------------------------------------

/** A leaf's attributes from its walk; `mair` the registers' MAIR0/MAIR1 (LPAE). */
export function leafAttributes(format: PageTableFormat, walk: WalkResult, entrySize: number, mair: readonly [number, number] | null): LeafAttributes {
  const policy = walk.prot & VCM_CACHE_POLICY;
  const long = format.name === 'armLpae4k';
  const attrIndex = long ? (LPAE_ATTR_INDEX[policy] ?? null) : null;
  const mairByte = attrIndex === null || mair === null ? null : ((attrIndex < 4 ? mair[0] : mair[1]) >>> (8 * (attrIndex % 4))) & 0xff;
  return {
    read: walk.readable,
    write: walk.writable,
    execute: walk.executable,
    privilegedExecute: walk.privilegedExecutable,
    user: walk.user,
    nonSecure: walk.nonSecure,
    global: (walk.prot & PROT_GLOBAL) !== 0,
    accessFlag: walk.accessFlag,
    cache: CACHE_NAMES[policy] ?? 'uncached',
    attrIndex,
    mair: mairByte,
    // docs/attributes.md#encoding-table: the short format writes S = 1 on every leaf; LPAE inner shareable for cacheable memory, outer for non-cacheable.
    shareability: !long ? 'shareable' : policy === VCM_NOTCACHED ? 'outer' : 'inner',
    contiguous: long && walk.size > entrySize,
    domain: walk.domain,
  };
}

/** `RW- user NS wb-wa(AttrIndx 1 = 0xff) inner nG cont`: the attributes in one column. */
export function describeAttributes(a: LeafAttributes): string {
  const parts = [`${a.read ? 'R' : '-'}${a.write ? 'W' : '-'}${a.execute ? 'X' : '-'}${a.execute && !a.privilegedExecute ? ' PXN' : ''}`];
  parts.push(a.user ? 'user' : 'priv');
  parts.push(a.nonSecure ? 'NS' : 'secure');
  parts.push(a.attrIndex === null ? a.cache : `${a.cache}(AttrIndx ${a.attrIndex}${a.mair === null ? '' : ` = 0x${a.mair.toString(16).padStart(2, '0')}`})`);
  parts.push(a.shareability === 'shareable' ? 'S' : a.shareability === 'inner' ? 'inner-sh' : 'outer-sh');
  parts.push(a.global ? 'G' : 'nG');
  if (!a.accessFlag) parts.push('AF=0');
  if (a.contiguous) parts.push('cont');
  return parts.join(' ');
}

/** The names of the device's address ranges: each buffer's reservations in the spaces it is associated with; the CPU's linear map and vmalloc area. */
export function labelsFor(setUp: ScenarioSetUp, device: string): LabelRegion[] {
  const out: LabelRegion[] = [];
  for (const s of setUp.spaces) {
    if (!s.devices.includes(device)) continue;
    for (const r of s.reservations) out.push({ start: r.devAddr, len: r.len, label: `${r.buffer}#${r.instance} (${s.name})` });
  }
  if (device === setUp.platform.cpu.name) {
    const layout = setUp.platform.vmm.layout;
    for (const m of layout.linearMap) out.push({ start: m.va, len: m.size, label: 'linear map' });
    out.push({ start: layout.vmallocStart, len: layout.vmallocEnd - layout.vmallocStart, label: 'vmalloc' });
  }
  return out;
}

function labelAt(regions: readonly LabelRegion[], va: number): string | null {
  // Reservations come before the CPU's areas, so a vmalloc'd buffer is named by its buffer.
  for (const r of regions) if (va >= r.start && va < r.start + r.len) return r.label;
  return null;
}

function sameAttributes(a: LeafAttributes, b: LeafAttributes): boolean {
  return (
    a.read === b.read &&
    a.write === b.write &&
    a.execute === b.execute &&
    a.privilegedExecute === b.privilegedExecute &&
    a.user === b.user &&
    a.nonSecure === b.nonSecure &&
    a.global === b.global &&
    a.accessFlag === b.accessFlag &&
    a.cache === b.cache &&
    a.attrIndex === b.attrIndex &&
    a.shareability === b.shareability &&
    a.contiguous === b.contiguous &&
    a.domain === b.domain
  );
}

// ---- the dump ---------------------------------------------------------------------

/**
 * The page tables of `target` on a set-up platform: registers, every table
 * a walk from them reaches, every leaf, and the leaves grouped into
 * ptdump ranges. `activateIdle` (a board without a scenario): an idle
 * context is activated on its empty own table; otherwise an idle context
 * is `EINVAL`.
 */
export function dumpPageTables(setUp: ScenarioSetUp, target: DumpTarget, options: { readonly activateIdle?: boolean } = {}): PageTableDump {
  const view = viewOf(setUp, target, options.activateIdle === true);
  const regions = labelsFor(setUp, view.device);
  const reached = readPageTables(setUp.platform.memory, view.format, view.regimes);
  const short = view.format.name === 'armV7Short';
  const leaves: DumpLeaf[] = [];
  type Building = { -readonly [K in keyof DumpRange]: K extends 'pa' ? { pa: number; len: number }[] : DumpRange[K] };
  const ranges: Building[] = [];
  const open = new Map<string, Building>();
  // Ranges are built per base and level, each in address order.
  const order = [...reached.leaves].sort((a, b) => (a.base === b.base ? a.walk.level - b.walk.level || a.walk.va - b.walk.va : a.base < b.base ? -1 : 1));
  for (const { base, entrySpan: span, walk } of order) {
    leaves.push({ base, level: walk.level, va: walk.va, size: walk.size, pa: walk.base, entrySpan: span });
    const attributes = leafAttributes(view.format, walk, span, view.mair);
    const pageSize = short ? walk.size : span;
    const label = labelAt(regions, walk.va);
    const key = `${base}/${walk.level}`;
    const cur = open.get(key);
    if (cur !== undefined && cur.va + cur.size === walk.va && cur.pageSize === pageSize && cur.label === label && sameAttributes(cur.attributes, attributes)) {
      const last = cur.pa[cur.pa.length - 1]!;
      if (last.pa + last.len === walk.base) last.len += walk.size;
      else cur.pa.push({ pa: walk.base, len: walk.size });
      cur.size += walk.size;
      cur.pages += walk.size / pageSize;
    } else {
      const range: Building = { base, level: walk.level, va: walk.va, size: walk.size, pageSize, pages: walk.size / pageSize, pa: [{ pa: walk.base, len: walk.size }], attributes, label };
      ranges.push(range);
      open.set(key, range);
    }
  }
  return {
    device: view.device,
    kind: view.kind,
    smmu: view.smmu,
    bank: view.bank,
    format: view.format.name,
    registers: view.registers,
    regimes: view.regimes.map((g) => ({ base: g.base, start: g.start, end: g.end })),
    oracle: view.oracle,
    tables: reached.tables,
    ranges,
    leaves,
    faulting: reached.faulting,
  };
}

// ---- the walk -----------------------------------------------------------------------

/** What a leaf of `size` at `level` is called in `format` (ARM ARM DDI 0406C, B3.5 and B3.6). */
function leafKind(format: PageTableFormat, level: number, size: number, span: number): string {
  if (format.name === 'armV7Short') return level === 1 ? (size > span ? '16 MiB supersection' : '1 MiB section') : size > span ? '64 KiB large page' : '4 KiB small page';
  const what = `${formatSize(span)} ${level === 3 ? 'page' : 'block'}`;
  return size > span ? `${what}, one of a contiguous run of 16 (${formatSize(size)})` : what;
}

/**
 * The walk `target` does for `va`, level by level: each entry's address,
 * the table it is in and its index, the descriptor and what it meant; then
 * the leaf with its attributes and label, or the fault and why.
 */
export function walkDevice(setUp: ScenarioSetUp, target: DumpTarget, va: number, options: { readonly activateIdle?: boolean } = {}): WalkTrace {
  checkUint('walk', 'va', va, 0xffff_ffff);
  const view = viewOf(setUp, target, options.activateIdle === true);
  const { base, steps, result } = view.walk(va);
  const regime = view.regimes.find((g) => va >= g.start && va < g.end);
  const descriptorBytes = view.format.name === 'armV7Short' ? 4 : 8;
  const traced: WalkTraceStep[] = steps.map((s, k) => {
    const span = entrySpan(view.format, s.level);
    // The table's index window: the root's from the regime, a lower table's from the entry above (aligned to that entry's span).
    const windowStart = k === 0 ? (regime !== undefined && !regime.fullRoot ? regime.start : 0) : va - (va % entrySpan(view.format, steps[k - 1]!.level));
    const index = Math.floor((va - windowStart) / span);
    const next = steps[k + 1];
    let meaning: string;
    if (next !== undefined) {
      const nextIndex = Math.floor((va % span) / entrySpan(view.format, next.level));
      meaning = `table descriptor: the level-${next.level} table at ${hex(next.entryPa - nextIndex * descriptorBytes)}`;
    } else if (!isWalkFault(result)) {
      meaning = `leaf: ${leafKind(view.format, s.level, result.size, span)} at ${hex(result.va)} → ${hex(result.base)}`;
    } else {
      meaning = result.fault === 'translation' ? 'invalid (a translation fault)' : `${result.fault} fault`;
    }
    return { ...s, tablePa: s.entryPa - index * descriptorBytes, index, meaning };
  });
  if (!isWalkFault(result)) {
    const span = entrySpan(view.format, result.level);
    return {
      device: view.device,
      kind: view.kind,
      format: view.format.name,
      va,
      base,
      steps: traced,
      leaf: { level: result.level, va: result.va, size: result.size, pa: result.base, attributes: leafAttributes(view.format, result, span, view.mair), label: labelAt(labelsFor(setUp, view.device), va) },
      fault: null,
      pa: result.pa,
    };
  }
  let why: string;
  if (result.entryPa < 0) why = regime === undefined ? `${hex(va)} is in no base register's range (the walk through it is disabled)` : 'the walk through this base register is disabled';
  else if (result.fault === 'translation' && regime !== undefined) {
    // A Non-secure walker meeting a secure leaf takes a translation fault on a valid descriptor (docs/attributes.md#secure).
    const secure = view.format.walk(setUp.platform.memory, regime.config, va);
    why = !isWalkFault(secure) && !secure.nonSecure ? 'a secure leaf (NS = 0): a Non-secure walker takes a translation fault on it' : `no valid descriptor at level ${result.level}`;
  } else if (result.fault === 'access-flag') why = 'the access flag is 0';
  else why = `the descriptor's output address is wider than the format allows`;
  return {
    device: view.device,
    kind: view.kind,
    format: view.format.name,
    va,
    base,
    steps: traced,
    leaf: null,
    fault: { kind: result.fault, level: result.level, entryPa: result.entryPa, why },
    pa: null,
  };
}
