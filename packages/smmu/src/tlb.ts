/**
 * A translation look-aside buffer: the main TLB of one SMMU, shared by all
 * its context banks (seed 000: "All contexts in a SMMU share one global
 * translation look-aside buffer"), each bank's micro-TLB in front of it, and
 * the CPU's TLB (docs/hardware.md#translation-caches). Finite, fully or
 * N-way set associative, with a replacement policy; every entry is tagged by
 * context bank and context id (CONTEXTIDR, the address-space id) and holds
 * one leaf of whatever size the walk found — one entry per 4 KiB page, per
 * 64 KiB large page, per 1 MiB section, per 16 MiB supersection. That is
 * what makes large pages cut misses
 * (docs/architecture.md#what-is-simulated-and-how-faithfully).
 *
 * Page-size correct when set associative: an entry of size 2^k lives in the
 * set chosen by the address bits above k (`(va >>> k) & (sets - 1)`), and a
 * lookup probes, for each size the TLB's owner has held, that size's set —
 * so a 1 MiB section hits for all 256 of its 4 KiB pages, unlike gem5's
 * SMMUv3 TLB, which indexes every entry by the 4 KiB page number.
 *
 * The same TLB serves the CPU (`@vcm/vmm-overlay`, docs/hardware.md#the-cpu):
 * one bank, the ASID as context id, and
 * *global* entries — a leaf whose descriptor has nG clear (kernel mappings)
 * is filled with context id `TLB_GLOBAL` and then matches a lookup from any
 * context id of its bank, as an ARM TLB's global entries match any ASID.
 * The SMMU never fills global entries, and every global path is skipped
 * while none is held, so the SMMU's hot path pays one integer compare on a
 * miss.
 *
 * Storage is typed arrays (docs/rules.md#numbers-and-addresses): the slots,
 * their placement (`caches/replacement.ts`: sets, recency, locks), and an
 * open-addressing hash (linear probing, backward-shift deletion) from (tag,
 * page number) to slot. An entry is always in its own set, so the hash finds
 * exactly what a probe of that set would find. In front of the probe, a
 * small direct-mapped table remembers per 4 KiB page number the slot last
 * found or filled there; its answer is used only when that slot still holds
 * an entry of the same owner covering the address, which is the entry the
 * probe would find — unless two entries cover it (tables changed without
 * the invalidation ARM requires: a TLB conflict, which the architecture
 * leaves UNPREDICTABLE), when it is the one last used there
 * (docs/performance.md#what-changed-it-2). Nothing is allocated per lookup.
 */
import { VcmError, checkAligned, checkOneOf, checkOptions, checkUint, hex } from '@vcm/core';
import { CACHE_POLICIES } from './caches/config.js';
import type { CachePolicy } from './caches/config.js';
import { Replacement } from './caches/replacement.js';

/** How a full TLB (or a full set) picks the entry to replace: least recently used, oldest, random (a seeded generator, so runs repeat), or round-robin. */
export type TlbPolicy = CachePolicy;
/** Every `TlbPolicy`, for validation and for boards that name one. */
export const TLB_POLICIES: readonly TlbPolicy[] = CACHE_POLICIES;
/** The default: 32 entries, as on the MSM8x60 board. */
export const TLB_DEFAULT_ENTRIES = 32;
/** Largest TLB we model; keeps the hash table and the tag packing small. */
export const TLB_MAX_ENTRIES = 1 << 16;
/** Tags pack the bank into 11 bits and the context id into 9 (0..255, and the global marker). */
export const TLB_MAX_BANKS = 1 << 11;
/**
 * The context id of a global entry (ARM: nG clear). Given to `fill`, the
 * entry matches lookups from every context id of its bank; given to
 * `lookup`, only global entries match (a CPU with no ASID in force: a kernel
 * thread, or a kernel address).
 */
export const TLB_GLOBAL = -1;
/** The hit path's table of recently used slots: one per 4 KiB page number modulo this many. */
const RECENT_SLOTS = 64;
const RECENT_MASK = RECENT_SLOTS - 1;
/** Context ids are stored in 9 bits; all ones is `TLB_GLOBAL` (-1 & 0x1ff). */
const CTX_MASK = 0x1ff;
/** The largest context id an entry is tagged with: CONTEXTIDR and the CPU's ASID are 8 bits. */
const MAX_CONTEXT_ID = 255;
/** Entry sizes, log2: from the 4 KiB small page up to 2 GiB, the largest block a 32-bit address space can hold. */
const MIN_SIZE_LOG2 = 12;
const MAX_SIZE_LOG2 = 31;
/** Output addresses are below 2^40 (LPAE; docs/rules.md#numbers-and-addresses). */
const PA_LIMIT = 2 ** 40;
/** Virtual addresses are 32 bits: a range ends at 2^32 at the latest. */
const VA_LIMIT = 2 ** 32;
/** Every `PERM_*` bit. */
const PERM_MASK = 15;
/** The keys `TlbOptions` has. */
const OPTION_KEYS: readonly string[] = ['entries', 'policy', 'ways', 'seed'];

/*
 * Input checks (docs/rules.md#validation) on the hot paths cost a compare or
 * two: these predicates hold exactly for valid values, and `typeof` comes
 * first so that no value (a symbol, a bigint) can make the bit operations
 * throw a TypeError. Only when one fails does a method call the full check,
 * kept out of line, which words the VcmError.
 */
const isU32 = (x: number): boolean => typeof x === 'number' && x >>> 0 === x;
const isBank = (b: number): boolean => typeof b === 'number' && (b & (TLB_MAX_BANKS - 1)) === b;
/**
 * `pa` is below 2^40 and aligned to 2^lg (lg already checked to be 12..31):
 * its 4 KiB frame number fits 28 bits, so integer operations decide it
 * (a floating-point remainder would cost more than the rest of `fill`'s checks).
 */
const isLeafPa = (pa: number, lg: number): boolean => {
  if (typeof pa !== 'number' || !(pa >= 0 && pa < PA_LIMIT)) return false;
  const frame = pa / 4096;
  return (frame | 0) === frame && (frame & ((1 << (lg - MIN_SIZE_LOG2)) - 1)) === 0;
};
const isContextId = (c: number): boolean => typeof c === 'number' && (c | 0) === c && c >= TLB_GLOBAL && c <= MAX_CONTEXT_ID;

function shown(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

function plain(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'string' || value === null ? value : typeof value;
}

function checkBank(where: string, bank: unknown): void {
  checkUint(where, 'bank', bank, TLB_MAX_BANKS - 1);
}

function checkContextId(where: string, contextId: unknown): void {
  if (typeof contextId === 'number' && Number.isInteger(contextId) && contextId >= TLB_GLOBAL && contextId <= MAX_CONTEXT_ID) return;
  throw new VcmError('EINVAL', `${where}: contextId must be a context id from 0 to ${MAX_CONTEXT_ID}, or TLB_GLOBAL (-1) for global entries, got ${shown(contextId)}`, {
    param: 'contextId',
    value: plain(contextId),
    expected: `0..${MAX_CONTEXT_ID} or TLB_GLOBAL (-1)`,
  });
}

function checkVa(where: string, va: unknown): void {
  checkUint(where, 'va', va, VA_LIMIT - 1);
}

function isSizeLog2(lg: unknown): boolean {
  return typeof lg === 'number' && Number.isInteger(lg) && lg >= MIN_SIZE_LOG2 && lg <= MAX_SIZE_LOG2;
}

function checkSizeLog2(where: string, param: string, lg: unknown): void {
  if (isSizeLog2(lg)) return;
  throw new VcmError('EINVAL', `${where}: ${param} must be the log2 of an entry size, an integer from ${MIN_SIZE_LOG2} (4 KiB) to ${MAX_SIZE_LOG2} (2 GiB), got ${shown(lg)}`, {
    param,
    value: plain(lg),
    expected: `${MIN_SIZE_LOG2}..${MAX_SIZE_LOG2}`,
  });
}

function checkSizes(where: string, sizesLog2: unknown): void {
  if (!Array.isArray(sizesLog2) || sizesLog2.length === 0) {
    throw new VcmError('EINVAL', `${where}: sizesLog2 must be the non-empty list of entry sizes (log2) to probe, e.g. [12, 16, 20, 24], got ${shown(sizesLog2)}`, {
      param: 'sizesLog2',
      value: plain(sizesLog2),
      expected: 'a non-empty array of integers 12..31',
    });
  }
  // The element's name is built only for the error: a list is checked whenever a caller passes a new one.
  for (let i = 0; i < sizesLog2.length; i++) if (!isSizeLog2(sizesLog2[i])) checkSizeLog2(where, `sizesLog2[${i}]`, sizesLog2[i]);
}

/** A range [va, va + len) of the 32-bit space, at least one byte long. */
function checkRange(where: string, va: unknown, len: unknown): void {
  checkVa(where, va);
  const room = VA_LIMIT - (va as number);
  if (typeof len === 'number' && Number.isInteger(len) && len >= 1 && len <= room) return;
  throw new VcmError('EINVAL', `${where}: len must be an integer from 1 to ${hex(room)}, so that [va, va + len) ends at 2^32 at the latest, got ${shown(len)}`, {
    param: 'len',
    value: plain(len),
    expected: `1..${room}`,
  });
}
const isRange = (va: number, len: number): boolean => isU32(va) && typeof len === 'number' && len >= 1 && len <= VA_LIMIT - va && Number.isInteger(len);

/** Capacity, associativity and replacement policy of a TLB. */
export interface TlbOptions {
  /** Capacity in entries (default 32). */
  readonly entries?: number;
  /** Replacement policy (default `'lru'`). `'random'` uses a seeded generator, so runs repeat. */
  readonly policy?: TlbPolicy;
  /** Ways per set: 0 (default) or `entries` is fully associative; else `entries / ways` sets, a power of two. */
  readonly ways?: number;
  /** Seed of the `random` policy's xorshift32 generator (default 0: its fixed start state). */
  readonly seed?: number;
}

/** Permission bits an entry carries, so a hit needs no walk. */
export const PERM_READ = 1;
/** TLB entry permission: writes allowed. */
export const PERM_WRITE = 2;
/** TLB entry permission: instruction fetches allowed. */
export const PERM_EXECUTE = 4;
/** TLB entry permission: unprivileged (user) accesses allowed. */
export const PERM_USER = 8;

/** A TLB's counters as plain data: capacity, geometry, valid entries, lookups (= hits + misses), evictions, invalidations. */
export interface TlbStats {
  readonly capacity: number;
  readonly policy: TlbPolicy;
  /** Ways per set (`capacity` when fully associative) and sets (`capacity / ways`). */
  readonly ways: number;
  readonly sets: number;
  /** Entries currently valid. */
  readonly entries: number;
  /** Entries currently locked (lockdown): never evicted, still invalidated. */
  readonly locked: number;
  /** Lookups counted: every one is a hit or a miss. */
  readonly lookups: number;
  readonly hits: number;
  readonly misses: number;
  /** Table walks (one per miss of a device access or translation). */
  readonly walks: number;
  /** Valid entries pushed out to make room. */
  readonly evictions: number;
  /** Valid entries removed by invalidation (by address, by context, or all). */
  readonly invalidations: number;
  /** Invalidation operations requested (one per `invalidate*` call, whether or not it removed anything). */
  readonly invalidationOps: number;
  /** Entries written after a walk. */
  readonly fills: number;
}

/** A valid entry, for snapshots. */
export interface TlbEntry {
  readonly bank: number;
  /** `TLB_GLOBAL` (-1) for a global entry. */
  readonly contextId: number;
  readonly va: number;
  readonly size: number;
  readonly pa: number;
  readonly perm: number;
  /** Present (true) only on a locked entry. */
  readonly locked?: true;
}

const FREE = -1;
/** Up to this many ways, a set is scanned: a few adjacent slots beat a hash probe into a large table. */
const MAX_SCAN_WAYS = 8;
/** 2^k for every entry size: the fill path reads it instead of computing a power. */
const POW2: Float64Array = Float64Array.from({ length: 32 }, (_, k) => 2 ** k);
const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;
/** What a lookup was last given as `sizesLog2` before any (a list no caller holds). */
const NO_SIZES: readonly number[] = Object.freeze([]);

/** The full checks of `Tlb.fill`, run when a fast check failed: each throws the VcmError naming its parameter. */
function checkFill(bank: unknown, contextId: unknown, va: unknown, log2Size: unknown, pa: unknown, perm: unknown, descriptor: unknown, level: unknown): void {
  const where = 'tlb.fill';
  checkBank(where, bank);
  checkContextId(where, contextId);
  checkVa(where, va);
  checkSizeLog2(where, 'log2Size', log2Size);
  checkAligned(where, 'pa', pa, 2 ** (log2Size as number), PA_LIMIT - 1);
  checkUint(where, 'perm (PERM_* bits)', perm, PERM_MASK);
  checkUint(where, 'descriptor', descriptor, 0xffffffff);
  checkUint(where, 'level', level, 3);
}

/**
 * A TLB's options checked as `new Tlb` takes them (a plain object of
 * `entries`, `policy`, `ways`, `seed`, each in range, `ways` dividing
 * `entries` into a power-of-two number of sets), with the defaults filled
 * in. `where` names the configuring call in messages. EINVAL naming the
 * field otherwise; nothing is built — what `resolveCacheConfig` checks a
 * board's or an SMMU's `tlb` with.
 */
export function checkTlbOptions(options: unknown, where = 'new Smmu'): { readonly entries: number; readonly policy: TlbPolicy; readonly ways: number; readonly seed: number } {
  if (typeof where !== 'string') {
    throw new VcmError('EINVAL', `checkTlbOptions: where must be a string naming the configuring call, got ${where === null ? 'null' : typeof where}`, { param: 'where', value: typeof where, expected: 'string' });
  }
  // A plain object only: an object of some class (a handle passed by mistake) is refused, not read as "all defaults", and so is a misspelt key.
  const o = checkOptions(where, 'tlb', options, OPTION_KEYS) as TlbOptions;
  const capacity = o.entries === undefined ? TLB_DEFAULT_ENTRIES : checkUint(where, 'tlb.entries', o.entries, TLB_MAX_ENTRIES);
  if (capacity < 1) {
    throw new VcmError('EINVAL', `${where}: tlb.entries must be at least 1, got 0`, { param: 'tlb.entries', value: 0, expected: '1..65536' });
  }
  const policy = o.policy === undefined ? 'lru' : checkOneOf(where, 'tlb.policy', o.policy, TLB_POLICIES);
  const ways = o.ways === undefined ? 0 : checkUint(where, 'tlb.ways', o.ways, capacity);
  if (ways !== 0 && (capacity % ways !== 0 || !isPowerOfTwo(capacity / ways))) {
    throw new VcmError('EINVAL', `${where}: tlb.ways must divide tlb.entries (${capacity}) into a power-of-two number of sets, or be 0 for fully associative, got ${ways}`, {
      param: 'tlb.ways',
      value: ways,
      expected: `0, or a divisor of ${capacity} giving a power-of-two set count`,
    });
  }
  const seed = o.seed === undefined ? 0 : checkUint(where, 'tlb.seed', o.seed, 0xffffffff);
  return { entries: capacity, policy, ways, seed };
}

/**
 * A finite translation look-aside buffer: an SMMU's main TLB shared by all
 * its context banks, a bank's micro-TLB, or the CPU's TLB
 * (docs/hardware.md#translation-caches). Fully or set associative; each
 * entry is tagged by bank and context id and holds one leaf of whatever size
 * the walk found, which is what makes large pages cut misses. CPU kernel
 * mappings are global entries (`TLB_GLOBAL`) that match any context id of
 * their bank. Entries may be locked (lockdown): never evicted, still removed
 * by invalidation.
 */
export class Tlb {
  readonly capacity: number;
  readonly policy: TlbPolicy;
  /** Ways per set (`capacity` when fully associative). */
  readonly ways: number;
  /** Sets (`capacity / ways`, a power of two). */
  readonly sets: number;

  // Counters are public fields so that the DMA stream loop can bump them without calls.
  hits = 0;
  misses = 0;
  walks = 0;
  evictions = 0;
  invalidations = 0;
  invalidationOps = 0;
  fills = 0;

  /** (bank << 14) | ((contextId & 0x1ff) << 5) | log2(size); FREE when the slot is empty. */
  private readonly tag: Int32Array;
  /** (va >>> log2) << (log2 - 12): the page number in 4 KiB units. */
  private readonly vpn: Int32Array;
  /** (bank << 9) | (contextId & 0x1ff), for context-wide invalidation and the fast path. */
  private readonly owner: Int32Array;
  private readonly vaBase: Float64Array;
  private readonly size: Float64Array;
  private readonly paBase: Float64Array;
  private readonly perms: Uint8Array;
  /** The leaf descriptor (low 32 bits), so a permission fault on a hit can report it. */
  private readonly descriptors: Uint32Array;
  /** The table level the walk found the leaf at (the CPU's oops names it; 0 when the filler did not say). */
  private readonly levels: Uint8Array;
  /** Global entries held: while 0, lookups and invalidations skip the global probes. */
  private globals = 0;
  /** The owner, address and probed sizes (bit k: size 2^k) of the last miss, until the TLB changes (FREE: none). */
  private missOwner = FREE;
  private missVa = 0;
  private missSizes = 0;
  /** Entries held per size (log2): a lookup skips the sizes the TLB holds none of. */
  private readonly sizeHeld = new Int32Array(32);
  /** Sets, recency, free ways and locks. */
  private readonly place: Replacement;
  /** `sets - 1`: an entry of size 2^k lives in set `(va >>> k) & setMask`. */
  private readonly setMask: number;
  /** Lookups scan the set instead of hashing (set associative with at most `MAX_SCAN_WAYS` ways). */
  private readonly scan: boolean;
  /** Per slot, tag and page number mixed into 32 bits: what a set scan compares first. */
  private readonly keys: Int32Array;
  private readonly hash: Int32Array;
  /** Per slot, where in `hash` it is (so that removing it needs no probe). */
  private readonly hashAt: Int32Array;
  private readonly hashMask: number;
  private readonly hashShift: number;
  /**
   * Per 4 KiB page number (modulo `RECENT_SLOTS`), the slot last found
   * or filled for an address in that page: the hit path's first try. Never
   * trusted blindly — a slot since evicted, invalidated or refilled fails
   * its owner or range test.
   */
  private readonly recent = new Int32Array(RECENT_SLOTS).fill(FREE);
  /** `policy === 'lru'`, as a field for the hot path. */
  private readonly lru: boolean;
  /** The last `sizesLog2` a lookup checked, and its length then: the same list again (the usual case) is not checked again unless it grew. */
  private sizesSeen: readonly number[] = NO_SIZES;
  private sizesSeenLength = 0;
  /**
   * The sizes a lookup probes: those of `sizesSeen` the TLB holds entries of,
   * ascending, rebuilt when either changes (a size's count leaving or reaching
   * 0, another list) — so a lookup visits only sizes that can hit, usually one.
   */
  private readonly probeSizes = new Int32Array(32);
  private probeCount = 0;
  /** Every size of `sizesSeen` (bit k: size 2^k): what a miss has ruled out. */
  private probeMask = 0;
  private probeDirty = true;

  /** `where` names the call that configured the TLB in error messages (`new Smmu`, `new Vmm`). */
  constructor(options: TlbOptions = {}, where = 'new Smmu') {
    if (typeof where !== 'string') {
      throw new VcmError('EINVAL', `new Tlb: where must be a string naming the configuring call, got ${where === null ? 'null' : typeof where}`, { param: 'where', value: typeof where, expected: 'string' });
    }
    const { entries, policy, ways, seed } = checkTlbOptions(options, where);
    this.capacity = entries;
    this.policy = policy;
    this.lru = this.policy === 'lru';
    const c = this.capacity;
    this.place = new Replacement(c, ways, this.policy, seed);
    this.ways = this.place.ways;
    this.sets = this.place.sets;
    this.setMask = this.sets - 1;
    this.tag = new Int32Array(c).fill(FREE);
    this.vpn = new Int32Array(c);
    this.owner = new Int32Array(c).fill(FREE);
    this.vaBase = new Float64Array(c);
    this.size = new Float64Array(c);
    this.paBase = new Float64Array(c);
    this.perms = new Uint8Array(c);
    this.descriptors = new Uint32Array(c);
    this.levels = new Uint8Array(c);
    this.keys = new Int32Array(c);
    // Few ways: a lookup scans the entry's set; many (fully associative): the hash finds the slot.
    this.scan = this.ways <= MAX_SCAN_WAYS && this.sets > 1;
    let bits = 4;
    while (!this.scan && 1 << bits < c * 4) bits++;
    this.hash = new Int32Array(1 << bits).fill(FREE);
    this.hashAt = new Int32Array(this.scan ? 0 : c);
    this.hashMask = (1 << bits) - 1;
    this.hashShift = 32 - bits;
  }

  /** Lookups counted: every lookup is a hit or a miss. */
  get lookups(): number {
    return this.hits + this.misses;
  }

  /** Valid entries now. */
  get count(): number {
    return this.place.used;
  }

  private slotOf(tag: number, vpn: number): number {
    if (this.scan) {
      // Set associative with few ways: the entry can only be in its set, a few adjacent slots.
      const ways = this.ways;
      const first = ((vpn >>> ((tag & 31) - 12)) & this.setMask) * ways;
      // One 32-bit key per slot first (tag and page number mixed), the full tag only on a key match.
      const key = vpn ^ Math.imul(tag, 0x27d4eb2d);
      const keys = this.keys;
      for (let s = first; s < first + ways; s++) if (keys[s] === key && this.tag[s] === tag && this.vpn[s] === vpn) return s;
      return FREE;
    }
    let i = Math.imul(vpn ^ Math.imul(tag, 0x27d4eb2d), 0x9e3779b1) >>> this.hashShift;
    const hash = this.hash;
    for (;;) {
      const s = hash[i]!;
      if (s === FREE) return FREE;
      if (this.tag[s] === tag && this.vpn[s] === vpn) return s;
      i = (i + 1) & this.hashMask;
    }
  }

  /**
   * The entry covering `va` for (bank, context id) — one tagged with that
   * context id or a global one of the bank — or -1. Counts a hit or a miss
   * and, under LRU, makes the entry the most recent. `sizesLog2` are the
   * format's page sizes (log2, ascending): the entry may be of any of them.
   * With `contextId` `TLB_GLOBAL`, only global entries match.
   */
  lookup(bank: number, contextId: number, va: number, sizesLog2: readonly number[]): number {
    if (!(isBank(bank) && isContextId(contextId) && isU32(va))) this.checkLookup(bank, contextId, va, sizesLog2);
    return this._lookup(bank, contextId, va, sizesLog2);
  }

  /**
   * @internal `lookup` for a caller whose bank, context id and address are
   * valid by construction (a context bank's own translation): only the
   * sizes list is checked, and only when it is not the one last checked.
   */
  _lookup(bank: number, contextId: number, va: number, sizesLog2: readonly number[]): number {
    if (sizesLog2 !== this.sizesSeen || sizesLog2.length !== this.sizesSeenLength) this.checkLookup(bank, contextId, va, sizesLog2);
    const ownerKey = (bank << 9) | (contextId & CTX_MASK);
    // The slot last used in this 4 KiB page, if it still covers va for this owner. Still a hit.
    const r = (va >>> 12) & RECENT_MASK;
    const l = this.recent[r]!;
    if (l !== FREE) {
      const o = this.owner[l];
      // ownerKey | CTX_MASK is the bank's global owner: a global entry serves every context id.
      if (o === ownerKey || o === (ownerKey | CTX_MASK)) {
        const off = va - this.vaBase[l]!;
        if (off >= 0 && off < this.size[l]!) {
          this.hits++;
          if (this.lru) this.place.touch(l);
          return l;
        }
      }
    }
    const tagBase = (bank << 14) | ((contextId & CTX_MASK) << 5);
    const s = this.ownSlot(tagBase, va);
    if (s !== FREE) return this.hit(s, r);
    return this.lookupGlobalOrMiss(ownerKey, tagBase, va, sizesLog2, r);
  }

  /** The rest of a lookup that found no entry of its own context id, kept out of line so that `lookup`'s hit path stays small. */
  private lookupGlobalOrMiss(ownerKey: number, tagBase: number, va: number, sizesLog2: readonly number[], r: number): number {
    // Then the bank's global entries (none on an SMMU: skipped at the cost of this compare).
    const g = this.globals === 0 ? FREE : this.globalSlot(ownerKey, tagBase, va, sizesLog2);
    if (g !== FREE) return this.hit(g, r);
    this.misses++;
    this.noteMiss(ownerKey, va, this.probeMask);
    return FREE;
  }

  /** The entry of (tagBase's bank and context id) covering `va`, of any size the TLB holds, or FREE: what `lookup` and `peek` probe first. */
  private ownSlot(tagBase: number, va: number): number {
    if (this.probeDirty) this.rebuildProbe();
    const probe = this.probeSizes;
    for (let i = 0; i < this.probeCount; i++) {
      const lg = probe[i]!;
      const s = this.slotOf(tagBase | lg, (va >>> lg) << (lg - 12));
      if (s !== FREE) return s;
    }
    return FREE;
  }

  /** The bank's global entry covering `va`, or FREE (what `lookup` and `peek` ask after the context's own entries); none for a `TLB_GLOBAL` lookup, which probed the globals already. */
  private globalSlot(ownerKey: number, tagBase: number, va: number, sizesLog2: readonly number[]): number {
    if ((ownerKey & CTX_MASK) === CTX_MASK) return FREE;
    const globalBase = tagBase | (CTX_MASK << 5);
    for (let i = 0; i < sizesLog2.length; i++) {
      const lg = sizesLog2[i]!;
      if (this.sizeHeld[lg] === 0) continue;
      const s = this.slotOf(globalBase | lg, (va >>> lg) << (lg - 12));
      if (s !== FREE) return s;
    }
    return FREE;
  }

  /** The sizes to probe: those of the checked list the TLB holds any entry of. */
  private rebuildProbe(): void {
    const sizes = this.sizesSeen;
    let n = 0;
    let mask = 0;
    for (let i = 0; i < sizes.length; i++) {
      const lg = sizes[i]!;
      mask |= 1 << lg;
      if (this.sizeHeld[lg] !== 0) this.probeSizes[n++] = lg;
    }
    this.probeCount = n;
    this.probeMask = mask;
    this.probeDirty = false;
  }

  /**
   * Remember a miss: until the TLB changes, an entry of a probed size
   * covering `va` for this owner is known not to be held, so the fill that
   * follows a miss skips its search for an entry to replace.
   */
  private noteMiss(ownerKey: number, va: number, probed: number): void {
    this.missOwner = ownerKey;
    this.missVa = va;
    this.missSizes = probed;
  }

  /** The full checks of `lookup`; once they pass, `sizesLog2` is the list the fast path trusts. */
  private checkLookup(bank: unknown, contextId: unknown, va: unknown, sizesLog2: unknown): void {
    const where = 'tlb.lookup';
    checkBank(where, bank);
    checkContextId(where, contextId);
    checkVa(where, va);
    this.trustSizes(where, sizesLog2);
  }

  /** Check a sizes list; once it passes, it is the list the fast paths (lookup, peek, invalidateRange) trust until another one comes. */
  private trustSizes(where: string, sizesLog2: unknown): void {
    checkSizes(where, sizesLog2);
    this.sizesSeen = sizesLog2 as readonly number[];
    this.sizesSeenLength = (sizesLog2 as readonly number[]).length;
    this.probeDirty = true;
  }

  /** A hit found by the probe: counted, renewed under LRU, remembered for its page (`r`, its `recent` index). */
  private hit(s: number, r: number): number {
    this.hits++;
    if (this.lru) this.place.touch(s);
    this.recent[r] = s;
    return s;
  }

  /**
   * The entry covering `va` for (bank, context id), as `lookup` finds it,
   * or -1 — without counting a lookup or changing recency: what a prefetch
   * asks before it walks, and what tests ask of a cache's contents.
   */
  peek(bank: number, contextId: number, va: number, sizesLog2: readonly number[]): number {
    if (!(isBank(bank) && isContextId(contextId) && isU32(va)) || sizesLog2 !== this.sizesSeen || sizesLog2.length !== this.sizesSeenLength) {
      this.checkLookup(bank, contextId, va, sizesLog2);
    }
    const tagBase = (bank << 14) | ((contextId & CTX_MASK) << 5);
    const s = this.ownSlot(tagBase, va);
    if (s !== FREE) return s;
    const ownerKey = (bank << 9) | (contextId & CTX_MASK);
    // Then the bank's global entries (none on an SMMU).
    const g = this.globals === 0 ? FREE : this.globalSlot(ownerKey, tagBase, va, sizesLog2);
    if (g !== FREE) return g;
    this.noteMiss(ownerKey, va, this.probeMask);
    return FREE;
  }

  /**
   * Lock entry `slot` (TLB lockdown, docs/hardware.md#translation-caches):
   * it is never evicted, but invalidation still removes it. `EBUSY` when
   * it is the last unlocked way of its set (a set must keep one to replace).
   */
  lock(slot: number): void {
    if (!(isU32(slot) && this.owner[slot]! >= 0)) this.checkSlot('tlb.lock', slot);
    if (!this.place.canLock(slot)) {
      throw new VcmError('EBUSY', `tlb.lock: slot ${slot} is the last unlocked way of its set (${this.ways} ways); a set keeps one way it can replace`, {
        slot,
        ways: this.ways,
      });
    }
    this.place.lock(slot);
  }

  /** Unlock entry `slot`; it may be evicted again. Unlocking an unlocked entry changes nothing. */
  unlock(slot: number): void {
    if (!(isU32(slot) && this.owner[slot]! >= 0)) this.checkSlot('tlb.unlock', slot);
    this.place.unlock(slot);
  }

  /** Is entry `slot` locked? */
  isLocked(slot: number): boolean {
    if (!(isU32(slot) && this.owner[slot]! >= 0)) this.checkSlot('tlb.isLocked', slot);
    return this.place.locked[slot] === 1;
  }

  /** Locked entries tagged (bank, context id). */
  countLocked(bank: number, contextId: number): number {
    if (!(isBank(bank) && isContextId(contextId))) {
      checkBank('tlb.countLocked', bank);
      checkContextId('tlb.countLocked', contextId);
    }
    if (this.place.lockedCount === 0) return 0;
    const ownerKey = (bank << 9) | (contextId & CTX_MASK);
    let n = 0;
    for (let s = 0; s < this.capacity; s++) if (this.owner[s] === ownerKey && this.place.locked[s] === 1) n++;
    return n;
  }

  /** Unlock every entry tagged (bank, context id); returns how many were locked. */
  unlockContext(bank: number, contextId: number): number {
    if (!(isBank(bank) && isContextId(contextId))) {
      checkBank('tlb.unlockContext', bank);
      checkContextId('tlb.unlockContext', contextId);
    }
    if (this.place.lockedCount === 0) return 0;
    const ownerKey = (bank << 9) | (contextId & CTX_MASK);
    let n = 0;
    for (let s = 0; s < this.capacity; s++) {
      if (this.owner[s] === ownerKey && this.place.locked[s] === 1) {
        this.place.unlock(s);
        n++;
      }
    }
    return n;
  }

  /**
   * Copy entry `slot` of `source` (another TLB: the main TLB into a
   * micro-TLB) into this one, tagged as there. Returns the slot here.
   */
  copyFrom(source: Tlb, slot: number): number {
    if (!(typeof source === 'object' && source !== null && source.constructor === Tlb) && !(source instanceof Tlb)) {
      throw new VcmError('EINVAL', `tlb.copyFrom: source must be a Tlb, got ${source === null ? 'null' : typeof source}`, { param: 'source', expected: 'Tlb' });
    }
    if (!(isU32(slot) && slot < source.capacity && source.owner[slot]! >= 0)) source.checkSlot('tlb.copyFrom', slot);
    // The source holds only entries its own checked fill accepted: no check again.
    return this._copyHit(source, slot);
  }

  /** The bank and context id (`TLB_GLOBAL` for a global entry) entry `slot` is tagged with. */
  ownerOf(slot: number): { readonly bank: number; readonly contextId: number } {
    if (!(isU32(slot) && this.owner[slot]! >= 0)) this.checkSlot('tlb.ownerOf', slot);
    const ctx = this.owner[slot]! & CTX_MASK;
    return { bank: this.owner[slot]! >>> 9, contextId: ctx === CTX_MASK ? TLB_GLOBAL : ctx };
  }

  /** Does entry `slot` still cover `va` for this owner (its own or a global entry)? (The stream loop's check, no counting.) */
  covers(slot: number, bank: number, contextId: number, va: number): boolean {
    if (!(typeof slot === 'number' && (slot | 0) === slot && slot >= FREE && slot < this.capacity && isBank(bank) && isContextId(contextId) && isU32(va))) {
      const where = 'tlb.covers';
      if (slot !== FREE) checkUint(where, 'slot (or -1, no entry)', slot, this.capacity - 1);
      checkBank(where, bank);
      checkContextId(where, contextId);
      checkVa(where, va);
    }
    if (slot === FREE) return false;
    const ownerKey = (bank << 9) | (contextId & CTX_MASK);
    const o = this.owner[slot];
    if (o !== ownerKey && o !== (ownerKey | CTX_MASK)) return false;
    const off = va - this.vaBase[slot]!;
    return off >= 0 && off < this.size[slot]!;
  }

  /**
   * The physical address of `va` through entry `slot`; `va` must lie in the
   * entry. (A free slot has size 0, so the range test refuses it too.)
   */
  pa(slot: number, va: number): number {
    if (!(isU32(slot) && isU32(va) && va >= this.vaBase[slot]! && va - this.vaBase[slot]! < this.size[slot]!)) this.checkInEntry('tlb.pa', slot, va);
    return this._paOfHit(slot, va);
  }
  /**
   * @internal `pa` for a slot this TLB has just returned for `va` (from
   * `lookup`, `fill` or `copyFrom` — the entry covers `va` by construction),
   * so the translate path does not repeat `pa`'s checks of its arguments.
   */
  _paOfHit(slot: number, va: number): number {
    return this.paBase[slot]! + (va - this.vaBase[slot]!);
  }
  /** @internal `perm` of a slot this TLB has just returned (valid by construction): no checks. */
  _permOfHit(slot: number): number {
    return this.perms[slot]!;
  }
  /** @internal `base` of a slot this TLB has just returned: no checks. */
  _baseOfHit(slot: number): number {
    return this.vaBase[slot]!;
  }
  /** @internal `end` of a slot this TLB has just returned: no checks. */
  _endOfHit(slot: number): number {
    return this.vaBase[slot]! + this.size[slot]!;
  }
  /** The entry's permission bits (`PERM_*`). */
  perm(slot: number): number {
    if (!(isU32(slot) && this.owner[slot]! >= 0)) this.checkSlot('tlb.perm', slot);
    return this._permOfHit(slot);
  }
  /** The leaf descriptor the entry was filled from. */
  descriptor(slot: number): number {
    if (!(isU32(slot) && this.owner[slot]! >= 0)) this.checkSlot('tlb.descriptor', slot);
    return this.descriptors[slot]!;
  }
  /** The table level the entry's leaf was found at (as given to `fill`). */
  level(slot: number): number {
    if (!(isU32(slot) && this.owner[slot]! >= 0)) this.checkSlot('tlb.level', slot);
    return this.levels[slot]!;
  }
  /** The entry's virtual base. */
  base(slot: number): number {
    if (!(isU32(slot) && this.owner[slot]! >= 0)) this.checkSlot('tlb.base', slot);
    return this._baseOfHit(slot);
  }
  /** The entry's virtual end (exclusive). */
  end(slot: number): number {
    if (!(isU32(slot) && this.owner[slot]! >= 0)) this.checkSlot('tlb.end', slot);
    return this._endOfHit(slot);
  }

  /** `slot` names a valid entry (one `lookup` or `fill` returned, not evicted or invalidated since). */
  private checkSlot(where: string, slot: unknown): void {
    checkUint(where, 'slot', slot, this.capacity - 1);
    if (this.owner[slot as number] === FREE) {
      throw new VcmError('EINVAL', `${where}: slot ${slot as number} holds no entry (evicted or invalidated since lookup or fill returned it)`, {
        param: 'slot',
        value: slot as number,
        expected: 'a slot holding an entry',
      });
    }
  }

  /** `slot` names a valid entry and `va` lies inside it. */
  private checkInEntry(where: string, slot: unknown, va: unknown): void {
    this.checkSlot(where, slot);
    checkVa(where, va);
    const s = slot as number;
    const base = this.vaBase[s]!;
    const end = base + this.size[s]!;
    throw new VcmError('EINVAL', `${where}: va ${hex(va as number)} is outside entry ${s}, which covers ${hex(base)}-${hex(end - 1)}`, {
      param: 'va',
      value: va as number,
      expected: `${hex(base)}..${hex(end - 1)}`,
    });
  }

  /**
   * Write an entry after a walk, evicting by policy when full. Returns the
   * slot. `contextId` `TLB_GLOBAL` makes a global entry (nG clear).
   */
  fill(bank: number, contextId: number, va: number, log2Size: number, pa: number, perm: number, descriptor = 0, level = 0): number {
    if (
      !(
        isBank(bank) &&
        isContextId(contextId) &&
        isU32(va) &&
        typeof log2Size === 'number' &&
        (log2Size & 31) === log2Size &&
        log2Size >= MIN_SIZE_LOG2 &&
        isLeafPa(pa, log2Size) &&
        typeof perm === 'number' &&
        (perm & PERM_MASK) === perm &&
        isU32(descriptor) &&
        typeof level === 'number' &&
        (level & 3) === level
      )
    ) {
      checkFill(bank, contextId, va, log2Size, pa, perm, descriptor, level);
    }
    return this._fillWalked(bank, contextId, va, log2Size, pa, perm, descriptor, level);
  }

  /**
   * @internal `fill` of a leaf the SMMU's own walk just produced for a bank
   * and context id it holds: every argument is valid by construction, so
   * the checks of the public `fill` are not repeated on the miss path.
   */
  _fillWalked(bank: number, contextId: number, va: number, log2Size: number, pa: number, perm: number, descriptor: number, level: number): number {
    return this.insert(bank, contextId & CTX_MASK, va, log2Size, pa, perm, descriptor, level);
  }

  /** @internal `copyFrom` of a slot `source.lookup` or a fill of `source` has just returned (a main-TLB entry into a micro-TLB): valid by construction. */
  _copyHit(source: Tlb, slot: number): number {
    const o = source.owner[slot]!;
    return this.insert(o >>> 9, o & CTX_MASK, source.vaBase[slot]!, source.tag[slot]! & 31, source.paBase[slot]!, source.perms[slot]!, source.descriptors[slot]!, source.levels[slot]!);
  }

  /** `fill` once its arguments are known good (`ctx` already masked to 9 bits). */
  private insert(bank: number, ctx: number, va: number, log2Size: number, pa: number, perm: number, descriptor: number, level: number): number {
    const tag = (bank << 14) | (ctx << 5) | log2Size;
    const vpn = (va >>> log2Size) << (log2Size - 12);
    // Right after a miss for an address inside it, the entry cannot be held: no search.
    const known = this.missOwner === ((bank << 9) | ctx) && ((this.missSizes >>> log2Size) & 1) === 1 && this.missVa >>> log2Size === va >>> log2Size;
    this.missOwner = FREE;
    if (!known) {
      const existing = this.slotOf(tag, vpn);
      if (existing !== FREE) this.remove(existing);
    }
    // The entry's set: the address bits above its own size, so every address inside it finds it.
    const set = (va >>> log2Size) & this.setMask;
    const place = this.place;
    const s = place.claim(set);
    if (place.claimedVictim) {
      // The victim is replaced in place: out of the hash, the slot kept (and already the most recent of its set).
      this.unhash(s);
      this.evictions++;
    }
    this.tag[s] = tag;
    if (this.sizeHeld[log2Size]!++ === 0) this.probeDirty = true;
    this.vpn[s] = vpn;
    this.owner[s] = (bank << 9) | ctx;
    if (ctx === CTX_MASK) this.globals++;
    // va is 32-bit: its entry base is its page number times the size (no floating-point remainder on the fill path).
    const size = POW2[log2Size]!;
    this.vaBase[s] = (va >>> log2Size) * size;
    this.size[s] = size;
    this.paBase[s] = pa;
    this.perms[s] = perm;
    this.descriptors[s] = descriptor;
    this.levels[s] = level;
    if (this.scan) this.keys[s] = vpn ^ Math.imul(tag, 0x27d4eb2d);
    else {
      let i = Math.imul(vpn ^ Math.imul(tag, 0x27d4eb2d), 0x9e3779b1) >>> this.hashShift;
      while (this.hash[i] !== FREE) i = (i + 1) & this.hashMask;
      this.hash[i] = s;
      this.hashAt[s] = i;
    }
    this.fills++;
    this.recent[(va >>> 12) & RECENT_MASK] = s;
    return s;
  }

  /** Drop a valid slot: hash (backward-shift deletion), then its place (recency list, lock, free ways). */
  private remove(s: number): void {
    this.missOwner = FREE;
    this.unhash(s);
    this.place.release(s);
    this.tag[s] = FREE;
    this.owner[s] = FREE;
    // A free slot covers nothing: `pa` on it fails its range test.
    this.size[s] = 0;
  }

  /** Take a valid slot out of the hash (backward-shift deletion) and out of the size and global counts; its fields stay. */
  private unhash(s: number): void {
    if (this.scan) {
      if (--this.sizeHeld[this.tag[s]! & 31]! === 0) this.probeDirty = true;
      if ((this.owner[s]! & CTX_MASK) === CTX_MASK) this.globals--;
      // Out of the lookup: a set scan compares tags, and the slot's is about to change or be freed.
      this.tag[s] = FREE;
      return;
    }
    const hash = this.hash;
    const mask = this.hashMask;
    let i = this.hashAt[s]!;
    // Backward shift: pull later members of the probe run into the hole.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const t = hash[j]!;
      if (t === FREE) break;
      const home = Math.imul(this.vpn[t]! ^ Math.imul(this.tag[t]!, 0x27d4eb2d), 0x9e3779b1) >>> this.hashShift;
      // Move t into the hole at i unless its home lies cyclically in (i, j].
      const inRange = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!inRange) {
        hash[i] = t;
        this.hashAt[t] = i;
        i = j;
      }
    }
    hash[i] = FREE;
    if (--this.sizeHeld[this.tag[s]! & 31]! === 0) this.probeDirty = true;
    if ((this.owner[s]! & CTX_MASK) === CTX_MASK) this.globals--;
  }

  /**
   * Invalidate by address and context (the efficient form,
   * docs/hardware.md#translation-caches; ARM
   * TLBIMVA): every entry of (bank, context id) overlapping [va, va+len),
   * and the bank's global entries there — a global entry answers that
   * context id too, so a change it could see must drop it. Probes the page
   * numbers of each size when that is cheaper than a scan of all slots.
   * Returns the number of entries removed.
   */
  invalidateRange(bank: number, contextId: number, va: number, len: number, sizesLog2: readonly number[]): number {
    if (!(isBank(bank) && isContextId(contextId) && isRange(va, len)) || sizesLog2 !== this.sizesSeen || sizesLog2.length !== this.sizesSeenLength) {
      const where = 'tlb.invalidateRange';
      checkBank(where, bank);
      checkContextId(where, contextId);
      checkRange(where, va, len);
      this.trustSizes(where, sizesLog2);
    }
    this.invalidationOps++;
    if (this.place.used === 0) return 0;
    const end = va + len;
    const ctx = contextId & CTX_MASK;
    const withGlobals = this.globals !== 0 && ctx !== CTX_MASK;
    let probes = 0;
    for (const lg of sizesLog2) probes += Math.ceil(len / 2 ** lg) + 1;
    if (withGlobals) probes *= 2;
    let removed = 0;
    if (probes <= this.capacity) {
      const tagBase = (bank << 14) | (ctx << 5);
      const globalBase = (bank << 14) | (CTX_MASK << 5);
      for (const lg of sizesLog2) {
        const size = 2 ** lg;
        for (let a = va - (va % size); a < end; a += size) {
          const vpn = (a >>> lg) << (lg - 12);
          const s = this.slotOf(tagBase | lg, vpn);
          if (s !== FREE) {
            this.remove(s);
            removed++;
          }
          if (withGlobals) {
            const g = this.slotOf(globalBase | lg, vpn);
            if (g !== FREE) {
              this.remove(g);
              removed++;
            }
          }
        }
      }
    } else {
      const ownerKey = (bank << 9) | ctx;
      const globalKey = ownerKey | CTX_MASK;
      for (let s = 0; s < this.capacity; s++) {
        const o = this.owner[s];
        if ((o === ownerKey || o === globalKey) && this.vaBase[s]! < end && this.vaBase[s]! + this.size[s]! > va) {
          this.remove(s);
          removed++;
        }
      }
    }
    this.invalidations += removed;
    return removed;
  }

  /**
   * Invalidate by address for every context id of a bank, global entries
   * included (ARM TLBIMVAA): a change to a table that every address space
   * shares — the CPU's kernel table. One scan of the TLB, whatever the
   * length. Returns the number of entries removed.
   */
  invalidateRangeAllContexts(bank: number, va: number, len: number): number {
    if (!(isBank(bank) && isRange(va, len))) {
      checkBank('tlb.invalidateRangeAllContexts', bank);
      checkRange('tlb.invalidateRangeAllContexts', va, len);
    }
    this.invalidationOps++;
    if (this.place.used === 0) return 0;
    const end = va + len;
    let removed = 0;
    for (let s = 0; s < this.capacity; s++) {
      const o = this.owner[s]!;
      if (o !== FREE && o >>> 9 === bank && this.vaBase[s]! < end && this.vaBase[s]! + this.size[s]! > va) {
        this.remove(s);
        removed++;
      }
    }
    this.invalidations += removed;
    return removed;
  }

  /**
   * Invalidate every entry tagged (bank, context id), global ones spared
   * (ARM TLBIASID): a context switch, a deactivation, an ASID reused. With
   * `TLB_GLOBAL`, the bank's global entries only.
   */
  invalidateContext(bank: number, contextId: number): number {
    if (!(isBank(bank) && isContextId(contextId))) {
      checkBank('tlb.invalidateContext', bank);
      checkContextId('tlb.invalidateContext', contextId);
    }
    this.invalidationOps++;
    const ownerKey = (bank << 9) | (contextId & CTX_MASK);
    let removed = 0;
    for (let s = 0; s < this.capacity; s++) {
      if (this.owner[s] === ownerKey) {
        this.remove(s);
        removed++;
      }
    }
    this.invalidations += removed;
    return removed;
  }

  /** Invalidate every entry of a bank, whatever its context id, global ones too. */
  invalidateBank(bank: number): number {
    if (!isBank(bank)) checkBank('tlb.invalidateBank', bank);
    this.invalidationOps++;
    let removed = 0;
    for (let s = 0; s < this.capacity; s++) {
      if (this.owner[s] !== FREE && this.owner[s]! >>> 9 === bank) {
        this.remove(s);
        removed++;
      }
    }
    this.invalidations += removed;
    return removed;
  }

  /** Invalidate everything (ARM TLBIALL). */
  invalidateAll(): number {
    this.invalidationOps++;
    let removed = 0;
    for (let s = 0; s < this.capacity; s++) {
      if (this.owner[s] !== FREE) {
        this.remove(s);
        removed++;
      }
    }
    this.invalidations += removed;
    return removed;
  }

  stats(): TlbStats {
    return {
      capacity: this.capacity,
      policy: this.policy,
      ways: this.ways,
      sets: this.sets,
      entries: this.count,
      locked: this.place.lockedCount,
      lookups: this.lookups,
      hits: this.hits,
      misses: this.misses,
      walks: this.walks,
      evictions: this.evictions,
      invalidations: this.invalidations,
      invalidationOps: this.invalidationOps,
      fills: this.fills,
    };
  }

  /** Zero the counters only. */
  resetStats(): void {
    this.hits = 0;
    this.misses = 0;
    this.walks = 0;
    this.evictions = 0;
    this.invalidations = 0;
    this.invalidationOps = 0;
    this.fills = 0;
  }

  /** Start a study cold: drop every entry and zero every counter. */
  reset(): void {
    this.invalidateAll();
    this.resetStats();
    this.place.reseed();
  }

  /** Valid entries, set by set, most recently used first within a set (fully associative: most recently used first). */
  entries(): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (let set = 0; set < this.sets; set++) {
      for (const s of this.place.inSet(set)) {
        const ctx = this.owner[s]! & CTX_MASK;
        out.push({
          bank: this.owner[s]! >>> 9,
          contextId: ctx === CTX_MASK ? TLB_GLOBAL : ctx,
          va: this.vaBase[s]!,
          size: this.size[s]!,
          pa: this.paBase[s]!,
          perm: this.perms[s]!,
          ...(this.place.locked[s] === 1 ? { locked: true } : {}),
        });
      }
    }
    return out;
  }

  toJSON(): { stats: TlbStats; entries: TlbEntry[] } {
    return { stats: this.stats(), entries: this.entries() };
  }
}
