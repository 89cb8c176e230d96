/**
 * The TLB of one SMMU, shared by all its context banks (seed 000: "All
 * contexts in a SMMU share one global translation look-aside buffer";
 * docs/hardware.md#translation-caches). Finite, with a replacement policy;
 * every entry is tagged by
 * context bank and context id (CONTEXTIDR, the address-space id) and holds
 * one leaf of whatever size the walk found — one entry per 4 KiB page, per
 * 64 KiB large page, per 1 MiB section, per 16 MiB supersection. That is
 * what makes large pages cut misses
 * (docs/architecture.md#what-is-simulated-and-how-faithfully).
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
 * Storage is typed arrays (docs/rules.md#numbers-and-addresses): the slots, an
 * intrusive doubly-linked recency list for LRU, and
 * an open-addressing hash (linear probing, backward-shift deletion) from
 * (tag, page number) to slot. Nothing is allocated per lookup.
 */
import { VcmError, checkOneOf, checkUint } from '@vcm/core';

/** How a full TLB picks the entry to replace: least recently used, oldest, or random (a fixed-seed generator, so runs repeat). */
export type TlbPolicy = 'lru' | 'fifo' | 'random';
/** Every `TlbPolicy`, for validation and for boards that name one. */
export const TLB_POLICIES: readonly TlbPolicy[] = ['lru', 'fifo', 'random'];
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
/** Context ids are stored in 9 bits; all ones is `TLB_GLOBAL` (-1 & 0x1ff). */
const CTX_MASK = 0x1ff;

/** Capacity and replacement policy of a TLB. */
export interface TlbOptions {
  /** Capacity in entries (default 32). */
  readonly entries?: number;
  /** Replacement policy (default `'lru'`). `'random'` uses a fixed-seed generator, so runs repeat. */
  readonly policy?: TlbPolicy;
}

/** Permission bits an entry carries, so a hit needs no walk. */
export const PERM_READ = 1;
/** TLB entry permission: writes allowed. */
export const PERM_WRITE = 2;
/** TLB entry permission: instruction fetches allowed. */
export const PERM_EXECUTE = 4;
/** TLB entry permission: unprivileged (user) accesses allowed. */
export const PERM_USER = 8;

/** A TLB's counters as plain data: capacity, valid entries, hits, misses, evictions, invalidations. */
export interface TlbStats {
  readonly capacity: number;
  readonly policy: TlbPolicy;
  /** Entries currently valid. */
  readonly entries: number;
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
}

const FREE = -1;

/**
 * A finite translation look-aside buffer shared by all context banks of an
 * SMMU, and by the CPU (docs/hardware.md#translation-caches). Each entry is
 * tagged by bank and context id and holds one leaf of whatever size the walk
 * found, which is what makes large pages cut misses. CPU kernel mappings are
 * global entries (`TLB_GLOBAL`) that match any context id of their bank.
 */
export class Tlb {
  readonly capacity: number;
  readonly policy: TlbPolicy;

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
  /** Recency list: head is the most recently used (or inserted, for FIFO), tail the victim. */
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = FREE;
  private tail = FREE;
  private readonly freeSlots: Int32Array;
  private freeCount: number;
  private readonly hash: Int32Array;
  private readonly hashMask: number;
  private readonly hashShift: number;
  private last = FREE;
  /** `policy === 'lru'`, as a field for the hot path. */
  private readonly lru: boolean;
  private rng = 0x2545f491;

  /** `where` names the call that configured the TLB in error messages (`new Smmu`, `new Vmm`). */
  constructor(options: TlbOptions = {}, where = 'new Smmu') {
    if (typeof where !== 'string') {
      throw new VcmError('EINVAL', `new Tlb: where must be a string naming the configuring call, got ${where === null ? 'null' : typeof where}`, { param: 'where', value: typeof where, expected: 'string' });
    }
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new VcmError('EINVAL', `${where}: tlb options must be an object { entries?, policy? }, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`, {
        param: 'tlb',
        value: options === null ? 'null' : typeof options,
        expected: 'TlbOptions',
      });
    }
    this.capacity = options.entries === undefined ? TLB_DEFAULT_ENTRIES : checkUint(where, 'tlb.entries', options.entries, TLB_MAX_ENTRIES);
    if (this.capacity < 1) {
      throw new VcmError('EINVAL', `${where}: tlb.entries must be at least 1, got 0`, { param: 'tlb.entries', value: 0, expected: '1..65536' });
    }
    this.policy = options.policy === undefined ? 'lru' : checkOneOf(where, 'tlb.policy', options.policy, TLB_POLICIES);
    this.lru = this.policy === 'lru';
    const c = this.capacity;
    this.tag = new Int32Array(c).fill(FREE);
    this.vpn = new Int32Array(c);
    this.owner = new Int32Array(c).fill(FREE);
    this.vaBase = new Float64Array(c);
    this.size = new Float64Array(c);
    this.paBase = new Float64Array(c);
    this.perms = new Uint8Array(c);
    this.descriptors = new Uint32Array(c);
    this.levels = new Uint8Array(c);
    this.prev = new Int32Array(c).fill(FREE);
    this.next = new Int32Array(c).fill(FREE);
    this.freeSlots = new Int32Array(c);
    for (let i = 0; i < c; i++) this.freeSlots[i] = c - 1 - i;
    this.freeCount = c;
    let bits = 4;
    while (1 << bits < c * 4) bits++;
    this.hash = new Int32Array(1 << bits).fill(FREE);
    this.hashMask = (1 << bits) - 1;
    this.hashShift = 32 - bits;
  }

  /** Valid entries now. */
  get count(): number {
    return this.capacity - this.freeCount;
  }

  private slotOf(tag: number, vpn: number): number {
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
    const ownerKey = (bank << 9) | (contextId & CTX_MASK);
    // Last-hit fast path: a stream stays in one entry for many accesses. Still a hit.
    const l = this.last;
    if (l !== FREE) {
      const o = this.owner[l];
      // ownerKey | CTX_MASK is the bank's global owner: a global entry serves every context id.
      if (o === ownerKey || o === (ownerKey | CTX_MASK)) {
        const off = va - this.vaBase[l]!;
        if (off >= 0 && off < this.size[l]!) {
          this.hits++;
          if (this.lru && this.head !== l) this.toFront(l);
          return l;
        }
      }
    }
    const tagBase = (bank << 14) | ((contextId & CTX_MASK) << 5);
    for (let i = 0; i < sizesLog2.length; i++) {
      const lg = sizesLog2[i]!;
      const s = this.slotOf(tagBase | lg, (va >>> lg) << (lg - 12));
      if (s !== FREE) {
        this.hits++;
        if (this.lru && this.head !== s) this.toFront(s);
        this.last = s;
        return s;
      }
    }
    // Then the bank's global entries (none on an SMMU: skipped at the cost of this compare).
    if (this.globals !== 0 && (ownerKey & CTX_MASK) !== CTX_MASK) {
      const globalBase = tagBase | (CTX_MASK << 5);
      for (let i = 0; i < sizesLog2.length; i++) {
        const lg = sizesLog2[i]!;
        const s = this.slotOf(globalBase | lg, (va >>> lg) << (lg - 12));
        if (s !== FREE) return this.hit(s);
      }
    }
    this.misses++;
    return FREE;
  }

  private hit(s: number): number {
    this.hits++;
    if (this.lru && this.head !== s) this.toFront(s);
    this.last = s;
    return s;
  }

  /** Does entry `slot` still cover `va` for this owner (its own or a global entry)? (The stream loop's check, no counting.) */
  covers(slot: number, bank: number, contextId: number, va: number): boolean {
    if (slot === FREE) return false;
    const ownerKey = (bank << 9) | (contextId & CTX_MASK);
    const o = this.owner[slot];
    if (o !== ownerKey && o !== (ownerKey | CTX_MASK)) return false;
    const off = va - this.vaBase[slot]!;
    return off >= 0 && off < this.size[slot]!;
  }

  /** The physical address of `va` through entry `slot`. */
  pa(slot: number, va: number): number {
    return this.paBase[slot]! + (va - this.vaBase[slot]!);
  }
  /** The entry's permission bits (`PERM_*`). */
  perm(slot: number): number {
    return this.perms[slot]!;
  }
  /** The leaf descriptor the entry was filled from. */
  descriptor(slot: number): number {
    return this.descriptors[slot]!;
  }
  /** The table level the entry's leaf was found at (as given to `fill`). */
  level(slot: number): number {
    return this.levels[slot]!;
  }
  /** The entry's virtual base. */
  base(slot: number): number {
    return this.vaBase[slot]!;
  }
  /** The entry's virtual end (exclusive). */
  end(slot: number): number {
    return this.vaBase[slot]! + this.size[slot]!;
  }

  /**
   * Write an entry after a walk, evicting by policy when full. Returns the
   * slot. `contextId` `TLB_GLOBAL` makes a global entry (nG clear).
   */
  fill(bank: number, contextId: number, va: number, log2Size: number, pa: number, perm: number, descriptor = 0, level = 0): number {
    const ctx = contextId & CTX_MASK;
    const tag = (bank << 14) | (ctx << 5) | log2Size;
    const vpn = (va >>> log2Size) << (log2Size - 12);
    const existing = this.slotOf(tag, vpn);
    if (existing !== FREE) this.remove(existing);
    if (this.freeCount === 0) {
      this.remove(this.victim());
      this.evictions++;
    }
    const s = this.freeSlots[--this.freeCount]!;
    this.tag[s] = tag;
    this.vpn[s] = vpn;
    this.owner[s] = (bank << 9) | ctx;
    if (ctx === CTX_MASK) this.globals++;
    const size = 2 ** log2Size;
    this.vaBase[s] = va - (va % size);
    this.size[s] = size;
    this.paBase[s] = pa;
    this.perms[s] = perm;
    this.descriptors[s] = descriptor;
    this.levels[s] = level;
    let i = Math.imul(vpn ^ Math.imul(tag, 0x27d4eb2d), 0x9e3779b1) >>> this.hashShift;
    while (this.hash[i] !== FREE) i = (i + 1) & this.hashMask;
    this.hash[i] = s;
    this.linkFront(s);
    this.fills++;
    this.last = s;
    return s;
  }

  private victim(): number {
    if (this.policy !== 'random') return this.tail;
    // xorshift32 with a fixed seed: a repeatable "random" policy.
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x;
    // Every slot is valid when a victim is needed.
    return (x >>> 0) % this.capacity;
  }

  private linkFront(s: number): void {
    this.prev[s] = FREE;
    this.next[s] = this.head;
    if (this.head !== FREE) this.prev[this.head] = s;
    this.head = s;
    if (this.tail === FREE) this.tail = s;
  }

  private unlink(s: number): void {
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p !== FREE) this.next[p] = n;
    else this.head = n;
    if (n !== FREE) this.prev[n] = p;
    else this.tail = p;
    this.prev[s] = FREE;
    this.next[s] = FREE;
  }

  private toFront(s: number): void {
    this.unlink(s);
    this.linkFront(s);
  }

  /** Drop a valid slot: recency list, hash (backward-shift deletion), free stack. */
  private remove(s: number): void {
    const hash = this.hash;
    const mask = this.hashMask;
    let i = Math.imul(this.vpn[s]! ^ Math.imul(this.tag[s]!, 0x27d4eb2d), 0x9e3779b1) >>> this.hashShift;
    while (hash[i] !== s) i = (i + 1) & mask;
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
        i = j;
      }
    }
    hash[i] = FREE;
    this.unlink(s);
    if ((this.owner[s]! & CTX_MASK) === CTX_MASK) this.globals--;
    this.tag[s] = FREE;
    this.owner[s] = FREE;
    this.freeSlots[this.freeCount++] = s;
    if (this.last === s) this.last = FREE;
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
    this.invalidationOps++;
    if (this.freeCount === this.capacity || len <= 0) return 0;
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
    this.invalidationOps++;
    if (this.freeCount === this.capacity || len <= 0) return 0;
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
      entries: this.count,
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
    this.rng = 0x2545f491;
  }

  /** Valid entries, most recently used first. */
  entries(): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (let s = this.head; s !== FREE; s = this.next[s]!) {
      const ctx = this.owner[s]! & CTX_MASK;
      out.push({
        bank: this.owner[s]! >>> 9,
        contextId: ctx === CTX_MASK ? TLB_GLOBAL : ctx,
        va: this.vaBase[s]!,
        size: this.size[s]!,
        pa: this.paBase[s]!,
        perm: this.perms[s]!,
      });
    }
    return out;
  }

  toJSON(): { stats: TlbStats; entries: TlbEntry[] } {
    return { stats: this.stats(), entries: this.entries() };
  }
}
