/**
 * The rules of the board format that a JSON Schema cannot say
 * (docs/boards.md#rules), checked after the structure (`board.ts`) on the
 * parsed board: banks that overlap, pools outside their bank or not aligned
 * to their block size, names that must be unique across the board (contexts
 * are looked up by name, seed 000) or must name something of the board,
 * more contexts than context banks, and what `buildPlatform` needs (1 MiB
 * kernel RAM below 4 GiB with vmalloc room, tables below 4 GiB, disjoint
 * SMMU register spaces). The first broken rule is thrown; messages show the
 * value as the user wrote it.
 */
import { SZ_1M, hex, isVcmError } from '@vcm/core';
import type { VcmError, VcmErrorDetails } from '@vcm/core';
import { BLOCK_SIZES } from '@vcm/physalloc';
import { CONTEXT_BANK_STRIDE, resolveCacheConfig } from '@vcm/smmu';
import type { CacheOverrides } from '@vcm/smmu';
import { PAGE_OFFSET, VMALLOC_END, VMALLOC_MIN, VMALLOC_OFFSET } from '@vcm/vmm-overlay';
import { MAX_PHYS, quoteList } from './board.js';
import type { Board, BoardDescription, Region } from './board.js';
import { boardError, range } from './board-errors.js';

const PAGE = 0x1000;
/** `0x10_0000`: hex digits in groups of four from the right, without leading zeros. */
function groupedHex(n: number): string {
  return `0x${n.toString(16).replace(/\B(?=(?:[0-9a-f]{4})+$)/g, '_')}`;
}
/** "0x1000 (4 KiB), 0x1_0000 (64 KiB), 0x10_0000 (1 MiB) or 0x100_0000 (16 MiB)". */
const BLOCK_SIZE_TEXT = BLOCK_SIZES.map((n) => `${groupedHex(n)} (${alignText(n)})`)
  .join(', ')
  .replace(/, (?=[^,]*$)/, ' or ');
/** 4 GiB: short-descriptor tables, TTBRs and the CPU's lowmem hold 32-bit physical addresses. */
const FOUR_GIB = 2 ** 32;
/**
 * The most kernel RAM the CPU's linear map can span, lowest base to highest
 * end (`@vcm/vmm-overlay` layout: PAGE_OFFSET up, then VMALLOC_OFFSET and at
 * least VMALLOC_MIN of vmalloc below VMALLOC_END).
 */
export const MAX_LOWMEM_SPAN = VMALLOC_END - VMALLOC_MIN - VMALLOC_OFFSET - PAGE_OFFSET;

function fail(path: string, value: unknown, problem: string, allowed: string): never {
  throw boardError(path, value, problem, allowed);
}

function aligned(path: string, value: unknown, n: number, align: number, what: string): void {
  if (n % align !== 0) fail(path, value, `is not aligned to ${alignText(align)}`, `${what} that is a multiple of ${hex(align)}`);
}

function alignText(align: number): string {
  return align >= 0x100000 ? `${align / 0x100000} MiB` : `${align / 0x400} KiB`;
}

function overlaps(a: Region, b: Region): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** A thing that occupies physical memory, for the overlap checks. */
interface Placed extends Region {
  readonly path: string;
  /** The value shown: the thing's name. */
  readonly name: string;
  /** How the other side of a clash is named: `bank "smi"`. */
  readonly label: string;
}

function checkDisjoint(items: readonly Placed[], kind: string): void {
  const sorted = [...items].sort((a, b) => a.base - b.base);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (overlaps(prev, cur)) {
      // Report the later-written of the two, naming the earlier one.
      const [bad, other] = items.indexOf(cur) > items.indexOf(prev) ? [cur, prev] : [prev, cur];
      fail(bad.path, bad.name, `${range(bad.base, bad.size)} overlaps ${other.label} ${range(other.base, other.size)} at ${other.path}`, `${kind} that do not overlap`);
    }
  }
}

function checkMemory(board: Board, raw: BoardDescription): void {
  const path = 'board.memory';
  const { banks, pools, memtypes, tableRegion, kernelRam } = board.memory;
  const rawMem = raw.memory;

  // Banks: page-aligned, non-empty, inside the 40-bit space, uniquely named, disjoint.
  banks.forEach((b, i) => {
    const p = `${path}.banks[${i}]`;
    const r = rawMem.banks[i]!;
    if (banks.findIndex((x) => x.name === b.name) < i) fail(`${p}.name`, b.name, 'names a second bank', 'a bank name used once');
    aligned(`${p}.base`, r.base, b.base, PAGE, 'an address');
    if (b.size === 0) fail(`${p}.size`, r.size, 'is empty', 'a positive multiple of 0x1000');
    aligned(`${p}.size`, r.size, b.size, PAGE, 'a size');
    if (b.base + b.size > MAX_PHYS) fail(`${p}.size`, r.size, `ends the bank at ${hex(b.base + b.size)}, past the 40-bit physical space`, `a bank that ends at or below ${hex(MAX_PHYS)}`);
  });
  checkDisjoint(banks.map((b, i) => ({ ...b, path: `${path}.banks[${i}]`, label: `bank "${b.name}"` })), 'banks');

  const bankNames = banks.map((b) => b.name);
  const inBank = (p: string, shown: unknown, r: Region, bankName: string, what: string): void => {
    const bank = banks.find((b) => b.name === bankName)!;
    if (r.base < bank.base || r.base + r.size > bank.base + bank.size) {
      fail(p, shown, `places ${what} at ${range(r.base, r.size)}, outside bank "${bank.name}"`, `a range inside ${range(bank.base, bank.size)}`);
    }
  };
  const inSomeBank = (p: string, shown: unknown, r: Region, what: string): void => {
    if (!banks.some((b) => r.base >= b.base && r.base + r.size <= b.base + b.size)) {
      fail(p, shown, `places ${what} at ${range(r.base, r.size)}, outside every bank`, `a range inside one of ${banks.map((b) => `"${b.name}" ${range(b.base, b.size)}`).join(', ')}`);
    }
  };

  // Pools: block pools aligned to their (power-of-two) block size, the contiguous pool page-aligned; all inside their bank.
  pools.forEach((x, i) => {
    const p = `${path}.pools[${i}]`;
    const r = rawMem.pools[i]!;
    if (pools.findIndex((y) => y.name === x.name) < i) fail(`${p}.name`, x.name, 'names a second pool', 'a pool name used once');
    if (!bankNames.includes(x.bank)) fail(`${p}.bank`, x.bank, 'is not a bank of this board', quoteList(bankNames));
    if (x.kind === 'contiguous') {
      aligned(`${p}.base`, r.base, x.base, PAGE, 'an address');
      const rawSize = 'size' in r ? r.size : x.size;
      if (x.size === 0) fail(`${p}.size`, rawSize, 'is empty', 'a positive multiple of 0x1000');
      aligned(`${p}.size`, rawSize, x.size, PAGE, 'a size');
    } else {
      const rawBlock = 'blockSize' in r ? r.blockSize : x.blockSize;
      // Max munch allocates in the block sizes of vcm.h's page classes only (@vcm/physalloc refuses others).
      if (!BLOCK_SIZES.includes(x.blockSize)) {
        fail(`${p}.blockSize`, rawBlock, 'is not a block size', `a power of two from 0x1000 that the allocator has blocks of: ${BLOCK_SIZE_TEXT}`);
      }
      aligned(`${p}.base`, r.base, x.base, x.blockSize, `an address (pool "${x.name}" has ${alignText(x.blockSize)} blocks)`);
    }
    inBank(p, x.name, x, x.bank, `pool "${x.name}"`);
  });
  const placed: Placed[] = pools.map((x, i) => ({ base: x.base, size: x.size, path: `${path}.pools[${i}]`, name: x.name, label: `pool "${x.name}"` }));
  checkDisjoint(placed, 'pools');

  // Page-table memory: inside a bank, below 4 GiB, clear of the pools.
  const tp = `${path}.tableRegion`;
  aligned(`${tp}.base`, rawMem.tableRegion.base, tableRegion.base, PAGE, 'an address');
  aligned(`${tp}.size`, rawMem.tableRegion.size, tableRegion.size, PAGE, 'a size');
  if (tableRegion.size < 0x4000) fail(`${tp}.size`, rawMem.tableRegion.size, 'is too small to hold one 16 KiB first-level table', 'a size of at least 0x4000');
  inSomeBank(tp, 'tableRegion', tableRegion, 'the page-table region');
  if (tableRegion.base + tableRegion.size > FOUR_GIB) {
    // The CPU's tables (and every armV7Short table) are short-descriptor: TTBR and level-1 pointers hold 32-bit addresses.
    fail(tp, 'tableRegion', `places the page-table region at ${range(tableRegion.base, tableRegion.size)}, past 4 GiB`, `a region that ends at or below ${hex(FOUR_GIB)}`);
  }
  placed.push({ ...tableRegion, path: tp, name: 'tableRegion', label: 'the page-table region' });
  checkDisjoint(placed, 'pools and the page-table region');

  // Kernel RAM: whole MiB (the linear map is written as 1 MiB sections), inside banks, below 4 GiB, clear of pools, tables and each other.
  kernelRam.forEach((k, i) => {
    const p = `${path}.kernelRam[${i}]`;
    const r = rawMem.kernelRam[i]!;
    aligned(`${p}.base`, r.base, k.base, SZ_1M, 'an address');
    if (k.size === 0) fail(`${p}.size`, r.size, 'is empty', 'a positive multiple of 0x10_0000');
    aligned(`${p}.size`, r.size, k.size, SZ_1M, 'a size');
    inSomeBank(p, 'kernelRam', k, 'kernel RAM');
    if (k.base + k.size > FOUR_GIB) {
      fail(p, 'kernelRam', `places kernel RAM at ${range(k.base, k.size)}, past 4 GiB`, `lowmem that ends at or below ${hex(FOUR_GIB)}`);
    }
    placed.push({ ...k, path: p, name: 'kernelRam', label: 'kernel RAM' });
  });
  checkDisjoint(placed, 'pools, the page-table region and kernel RAM');
  const lowmemBase = Math.min(...kernelRam.map((r) => r.base));
  const lowmemEnd = Math.max(...kernelRam.map((r) => r.base + r.size));
  if (lowmemEnd - lowmemBase > MAX_LOWMEM_SPAN) {
    fail(
      `${path}.kernelRam`,
      rawMem.kernelRam,
      `spans ${range(lowmemBase, lowmemEnd - lowmemBase)}: its linear map at ${hex(PAGE_OFFSET)} would leave less than ${VMALLOC_MIN / SZ_1M} MiB of vmalloc area below ${hex(VMALLOC_END)}`,
      `kernel RAM spanning at most ${hex(MAX_LOWMEM_SPAN)} bytes from its lowest base to its highest end`,
    );
  }

  // Memtypes: unique ids and names, ordered lists of known block pools (each once), an optional contiguous pool.
  const blockNames = pools.filter((x) => x.kind === 'block').map((x) => x.name);
  const contNames = pools.filter((x) => x.kind === 'contiguous').map((x) => x.name);
  const blockSizeOf = (poolName: string): number => {
    const pool = pools.find((x) => x.name === poolName);
    return pool?.kind === 'block' ? pool.blockSize : 0;
  };
  memtypes.forEach((m, i) => {
    const p = `${path}.memtypes[${i}]`;
    if (memtypes.findIndex((x) => x.id === m.id) < i) fail(`${p}.id`, m.id, 'numbers a second memtype', 'a memtype id used once (VCM_MEMTYPE_0 is 1, VCM_MEMTYPE_1 is 2 …)');
    if (memtypes.findIndex((x) => x.name === m.name) < i) fail(`${p}.name`, m.name, 'names a second memtype', 'a memtype name used once');
    m.pools.forEach((poolName, j) => {
      const pp = `${p}.pools[${j}]`;
      if (contNames.includes(poolName)) fail(pp, poolName, 'is a contiguous pool', `block pools ${quoteList(blockNames)}; name a contiguous pool in "contiguous"`);
      if (!blockNames.includes(poolName)) fail(pp, poolName, 'is not a pool of this board', quoteList(blockNames));
      if (m.pools.indexOf(poolName) < j) fail(pp, poolName, 'is listed twice in this memtype', 'each pool once per memtype');
      // Max munch tries the pools in list order, so a larger block after a smaller one would never be reached first.
      const prev = j > 0 ? blockSizeOf(m.pools[j - 1]!) : undefined;
      const size = blockSizeOf(poolName);
      if (prev !== undefined && prev < size) {
        fail(pp, poolName, `has ${alignText(size)} blocks, larger than the ${alignText(prev)} blocks of "${m.pools[j - 1]!}" before it`, 'pools in max-munch order, largest blocks first');
      }
    });
    if (m.contiguous !== undefined && !contNames.includes(m.contiguous)) {
      fail(`${p}.contiguous`, m.contiguous, 'is not a contiguous pool of this board', contNames.length > 0 ? quoteList(contNames) : 'none: the board has no contiguous pool');
    }
  });
}

function checkSmmus(board: Board, raw: BoardDescription, deviceNames: Map<string, string>): void {
  const path = 'board.smmus';
  const { smmus } = board;
  smmus.forEach((s, i) => {
    const p = `${path}[${i}]`;
    const r = raw.smmus[i]!;
    const same = smmus.findIndex((x) => x.name === s.name);
    if (same < i) fail(`${p}.name`, s.name, `also names ${path}[${same}]`, 'an SMMU name used once');
    aligned(`${p}.base`, r.base, s.base, PAGE, 'a register base');
    const clash = smmus.findIndex((x) => x.base === s.base);
    if (clash < i) fail(`${p}.base`, r.base, `is also the register base of ${path}[${clash}] "${smmus[clash]!.name}"`, 'a register base used by one SMMU');
    // The register space: one page per context bank from the base (docs/hardware.md#the-smmu: banks 4 KiB apart).
    const regs = { base: s.base, size: s.contextBanks * CONTEXT_BANK_STRIDE };
    if (regs.base + regs.size > FOUR_GIB) {
      fail(`${p}.base`, r.base, `puts ${s.contextBanks} context banks at ${range(regs.base, regs.size)}, past the 32-bit register space`, `a register space that ends at or below ${hex(FOUR_GIB)}`);
    }
    const overlap = smmus.findIndex((x, k) => k < i && overlaps(regs, { base: x.base, size: x.contextBanks * CONTEXT_BANK_STRIDE }));
    if (overlap >= 0) {
      const o = smmus[overlap]!;
      fail(
        `${p}.base`,
        r.base,
        `puts the register space ${range(regs.base, regs.size)} where it overlaps the register space of ${path}[${overlap}] "${o.name}" ${range(o.base, o.contextBanks * CONTEXT_BANK_STRIDE)}`,
        'register spaces (base + contextBanks × 0x1000) that do not overlap',
      );
    }

    checkCaches(p, s);
    if (!s.allowVirtualContexts && s.contexts.length > s.contextBanks) {
      fail(`${p}.contexts`, r.contexts, `lists ${s.contexts.length} contexts for ${s.contextBanks} context banks`, `at most ${s.contextBanks} contexts, or "allowVirtualContexts": true`);
    }
    s.contexts.forEach((c, j) => {
      const cp = `${p}.contexts[${j}]`;
      const owner = deviceNames.get(c.name);
      if (owner !== undefined) fail(`${cp}.name`, c.name, `also names ${owner}`, 'a device name used once on the whole board (contexts are looked up by name)');
      deviceNames.set(c.name, cp);
      if (c.bank >= s.contextBanks) fail(`${cp}.bank`, c.bank, 'is not a context bank of this SMMU', `an index from 0 to ${s.contextBanks - 1}`);
      if (!s.allowVirtualContexts) {
        const sharer = s.contexts.findIndex((x) => x.bank === c.bank);
        if (sharer < j) fail(`${cp}.bank`, c.bank, `is also the bank of context "${s.contexts[sharer]!.name}"`, 'one context per bank, or "allowVirtualContexts": true');
      }
    });
  });
}

/**
 * The caches an SMMU gets (docs/hardware.md#translation-caches), resolved by
 * `@vcm/smmu`'s `resolveCacheConfig` — the precedence `new Smmu` builds
 * with — so a board is refused exactly when its SMMU could not be built.
 * An enabled cache has an entry, and its ways split the entries into a
 * power-of-two number of sets; lockdown leaves the main TLB entries it can
 * replace. A refusal points at the field the board wrote: the resolver says
 * where the offending number came from (`caches.…`, `tlb.…` or the model).
 */
function checkCaches(p: string, s: Board['smmus'][number]): void {
  try {
    // The schema checked every field; a key given as undefined means "the model's", as the resolver reads it.
    resolveCacheConfig({ model: s.model, tlb: s.tlb, caches: s.caches as CacheOverrides | undefined }, `validateBoard ${p}`);
  } catch (e) {
    if (!isVcmError(e, 'EINVAL')) throw e;
    throw cacheError(p, e.details);
  }
}

/** The board error for a refusal of `resolveCacheConfig`, at the board path of the field the user wrote. */
function cacheError(p: string, d: VcmErrorDetails): VcmError {
  const param = String(d['param']);
  const name = param.split('.')[1] ?? param;
  // A number the model supplied has no field in the board; the cache's own field is where it would be written.
  const at = (from: unknown, field: string): string => `${p}.${typeof from === 'string' && from !== 'model' ? from : `caches.${name}.${field}`}`;
  switch (d['problem']) {
    case 'no-entries':
      return boardError(at(d['entriesFrom'], 'entries'), 0, `is 0 while ${name} is enabled`, `at least 1, or "enabled": false in caches.${name}`);
    case 'sets': {
      const entries = d['entries'] as number;
      const ways = d['ways'] as number;
      const userWays = d['waysFrom'] === `caches.${name}.ways`;
      return boardError(
        userWays ? `${p}.caches.${name}.ways` : at(d['entriesFrom'], 'entries'),
        userWays ? ways : entries,
        `gives ${entries} entries in ${ways} ways${userWays ? '' : ` (the ${String(d['model'])} model's)`}, not a power-of-two number of sets`,
        'ways 0 (fully associative), or entries a power-of-two multiple of ways',
      );
    }
    case 'lockdown': {
      const mainEntries = d['mainTlbEnabled'] === true ? (d['mainTlbEntries'] as number) : 0;
      return boardError(
        `${p}.caches.lockdownEntries`,
        d['value'],
        mainEntries === 0 ? 'locks entries of a main TLB that is off' : `leaves none of the ${mainEntries} main-TLB entries to replace`,
        `0 … ${Math.max(0, mainEntries - 1)}`,
      );
    }
    default:
      // What the schema already refuses (a field's type or range): the resolver's words at the board path.
      return boardError(`${p}.${param}`, d['value'], 'is not accepted by the SMMU', typeof d['expected'] === 'string' ? d['expected'] : 'what new Smmu accepts');
  }
}

function checkNamed(path: string, list: readonly { readonly name: string }[], deviceNames: Map<string, string>): void {
  list.forEach((d, i) => {
    const p = `${path}[${i}]`;
    const owner = deviceNames.get(d.name);
    if (owner !== undefined) fail(`${p}.name`, d.name, `also names ${owner}`, 'a device name used once on the whole board');
    deviceNames.set(d.name, p);
  });
}

/** Throw the first broken rule of a structurally valid board (`raw` as written, `board` as parsed from it). */
export function checkBoardRules(board: Board, raw: BoardDescription): void {
  checkMemory(board, raw);
  const deviceNames = new Map<string, string>();
  checkSmmus(board, raw, deviceNames);
  checkNamed('board.cpus', board.cpus, deviceNames);
  checkNamed('board.directDevices', board.directDevices, deviceNames);
}
