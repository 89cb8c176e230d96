/**
 * The CPU's TLB: a finite, fully associative, LRU cache of leaf
 * translations, tagged by ASID (ARCHITECTURE.md "The TLB is shared and
 * finite"; HARDWARE.md). Kernel mappings are global (nG clear) and match
 * whatever ASID is current; user mappings carry the ASID of their process,
 * so switching processes needs no flush.
 *
 * An entry covers one leaf of the page table — a 4 KiB page, a 64 KiB large
 * page, a 1 MiB section or a 16 MiB supersection — as an ARM main TLB does,
 * so the linear map's sections cost one entry per MiB. Invalid descriptors
 * are never cached (ARM caches no faults), which is why a new mapping needs
 * no invalidation to become visible; removed or changed ones do.
 *
 * The SMMU's TLB (`@vcm/smmu`) is shared per SMMU and tagged by context
 * bank, with no notion of global entries; the CPU needs that notion, hence
 * this small one.
 *
 * Storage is struct-of-arrays, an intrusive doubly-linked recency list
 * (O(1) LRU), a stack of free slots, and one Map per (page size, tag) from
 * page number to slot, so keys stay small integers: a lookup is at most two
 * Map probes per page size present, an insert or eviction O(1).
 */
import { VcmError, SZ_4K, SZ_64K, SZ_1M, SZ_16M, checkUint } from '@vcm/core';

/** Permission bits of an entry (decoded once from the descriptor at walk time). */
export const TLB_READ = 1;
export const TLB_WRITE = 2;
export const TLB_EXECUTE = 4;
export const TLB_USER = 8;

/** The ASID tag of a global entry. */
export const GLOBAL_ASID = -1;

const SIZES = [SZ_4K, SZ_64K, SZ_1M, SZ_16M] as const;
const NONE = -1;

function sizeClass(size: number): number {
  const c = SIZES.indexOf(size as (typeof SIZES)[number]);
  if (c < 0) throw new VcmError('EINVAL', `CpuTlb.insert: size must be 4 KiB, 64 KiB, 1 MiB or 16 MiB, got ${size}`, { size });
  return c;
}

/** Index of the (size class, tag) map; tag 0 is global, asid + 1 otherwise. */
function mapIndex(c: number, asid: number): number {
  return c * 257 + asid + 1;
}

export interface CpuTlbOptions {
  /** Number of entries (default 128, a Cortex-A9-sized main TLB). */
  readonly entries?: number;
}

export interface CpuTlbStats {
  readonly capacity: number;
  readonly entries: number;
  readonly hits: number;
  readonly misses: number;
  readonly walks: number;
  readonly evictions: number;
  /** Invalidation operations (by range, by ASID, or all). */
  readonly invalidations: number;
  /** Entries those operations removed. */
  readonly invalidatedEntries: number;
}

/** One cached translation, as read back for dumps. */
export interface CpuTlbEntry {
  readonly va: number;
  readonly size: number;
  readonly pa: number;
  /** `GLOBAL_ASID` for a global (kernel) entry. */
  readonly asid: number;
  readonly flags: number;
  readonly descriptor: number;
  readonly level: number;
}

export class CpuTlb {
  readonly capacity: number;
  private readonly vaBase: Float64Array;
  private readonly paBase: Float64Array;
  private readonly sizeOf: Float64Array;
  private readonly asidOf: Int16Array;
  private readonly flagsOf: Uint8Array;
  private readonly levelOf: Uint8Array;
  private readonly descriptorOf: Uint32Array;
  private readonly mapOfSlot: Int32Array;
  private readonly stamp: Float64Array;
  private readonly used: Uint8Array;
  /** Recency list: head most recent, tail the LRU victim. */
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = NONE;
  private tail = NONE;
  private readonly freeSlots: Int32Array;
  private freeTop: number;
  /** Per (size class, tag): page number → slot. */
  private readonly maps: Array<Map<number, number> | undefined> = [];
  /** Live entries per size class: lookups skip absent sizes. */
  private readonly perClass = new Int32Array(SIZES.length);
  private clock = 0;
  private count = 0;
  private hits = 0;
  private misses = 0;
  private walks = 0;
  private evictions = 0;
  private invalidations = 0;
  private invalidatedEntries = 0;

  constructor(options: CpuTlbOptions = {}) {
    this.capacity = checkUint('new CpuTlb', 'entries', options.entries ?? 128, 65536);
    if (this.capacity === 0) {
      throw new VcmError('EINVAL', 'new CpuTlb: entries must be at least 1, got 0', { param: 'entries', value: 0 });
    }
    const n = this.capacity;
    this.vaBase = new Float64Array(n);
    this.paBase = new Float64Array(n);
    this.sizeOf = new Float64Array(n);
    this.asidOf = new Int16Array(n);
    this.flagsOf = new Uint8Array(n);
    this.levelOf = new Uint8Array(n);
    this.descriptorOf = new Uint32Array(n);
    this.mapOfSlot = new Int32Array(n);
    this.stamp = new Float64Array(n);
    this.used = new Uint8Array(n);
    this.prev = new Int32Array(n).fill(NONE);
    this.next = new Int32Array(n).fill(NONE);
    this.freeSlots = new Int32Array(n);
    for (let i = 0; i < n; i++) this.freeSlots[i] = n - 1 - i;
    this.freeTop = n;
  }

  /**
   * The slot translating `va` for `asid` (a global entry or one tagged
   * `asid`), or −1. Counts a hit or a miss and refreshes LRU order.
   */
  lookup(va: number, asid: number): number {
    for (let c = 0; c < SIZES.length; c++) {
      if (this.perClass[c] === 0) continue;
      const size = SIZES[c] as number;
      const vpn = Math.floor(va / size);
      let slot = this.maps[mapIndex(c, GLOBAL_ASID)]?.get(vpn);
      if (slot === undefined && asid !== GLOBAL_ASID) slot = this.maps[mapIndex(c, asid)]?.get(vpn);
      if (slot !== undefined) {
        this.hits++;
        this.stamp[slot] = ++this.clock;
        this.toFront(slot);
        return slot;
      }
    }
    this.misses++;
    return -1;
  }

  /** Record that a miss walked the table (a walk that found nothing is still a walk). */
  countWalk(): void {
    this.walks++;
  }

  /** Cache a leaf; evicts the least recently used entry when full. Returns the slot. */
  insert(va: number, size: number, pa: number, asid: number, flags: number, descriptor: number, level: number): number {
    const c = sizeClass(size);
    const mi = mapIndex(c, asid);
    let map = this.maps[mi];
    if (map === undefined) {
      map = new Map<number, number>();
      this.maps[mi] = map;
    }
    const vpn = Math.floor(va / size);
    let slot = map.get(vpn);
    if (slot === undefined) {
      if (this.freeTop === 0) {
        this.drop(this.tail);
        this.evictions++;
      }
      slot = this.freeSlots[--this.freeTop] as number;
      this.used[slot] = 1;
      this.count++;
      this.perClass[c] = (this.perClass[c] as number) + 1;
      map.set(vpn, slot);
      this.mapOfSlot[slot] = mi;
      this.linkFront(slot);
    } else {
      this.toFront(slot);
    }
    this.vaBase[slot] = va;
    this.sizeOf[slot] = size;
    this.paBase[slot] = pa;
    this.asidOf[slot] = asid;
    this.flagsOf[slot] = flags;
    this.descriptorOf[slot] = descriptor >>> 0;
    this.levelOf[slot] = level;
    this.stamp[slot] = ++this.clock;
    return slot;
  }

  /** Physical address of `va` through `slot` (from `lookup`/`insert`). */
  paOf(slot: number, va: number): number {
    return (this.paBase[slot] as number) + (va - (this.vaBase[slot] as number));
  }

  /** Bytes from `va` to the end of the slot's leaf. */
  remainingIn(slot: number, va: number): number {
    return (this.vaBase[slot] as number) + (this.sizeOf[slot] as number) - va;
  }

  flags(slot: number): number {
    return this.flagsOf[slot] as number;
  }

  descriptor(slot: number): number {
    return this.descriptorOf[slot] as number;
  }

  level(slot: number): number {
    return this.levelOf[slot] as number;
  }

  /**
   * Remove every entry overlapping [va, va + len) that `asid` could use:
   * entries tagged `asid` and global ones (ARM TLBIMVA); with
   * `GLOBAL_ASID`, entries of every ASID (TLBIMVAA). One operation whatever
   * the length: a scan of the TLB, not of the range.
   */
  invalidateRange(va: number, len: number, asid: number): void {
    this.invalidations++;
    const end = va + len;
    for (let i = 0; i < this.capacity; i++) {
      if (this.used[i] === 0) continue;
      const base = this.vaBase[i] as number;
      if (base >= end || base + (this.sizeOf[i] as number) <= va) continue;
      const tag = this.asidOf[i] as number;
      if (asid !== GLOBAL_ASID && tag !== GLOBAL_ASID && tag !== asid) continue;
      this.drop(i);
      this.invalidatedEntries++;
    }
  }

  /** Remove every non-global entry of `asid` (TLBIASID): a process exits or its ASID is reused. */
  invalidateAsid(asid: number): void {
    this.invalidations++;
    for (let i = 0; i < this.capacity; i++) {
      if (this.used[i] === 1 && this.asidOf[i] === asid) {
        this.drop(i);
        this.invalidatedEntries++;
      }
    }
  }

  /** Remove everything (TLBIALL). */
  invalidateAll(): void {
    this.invalidations++;
    for (let i = 0; i < this.capacity; i++) {
      if (this.used[i] === 1) {
        this.drop(i);
        this.invalidatedEntries++;
      }
    }
  }

  stats(): CpuTlbStats {
    return {
      capacity: this.capacity,
      entries: this.count,
      hits: this.hits,
      misses: this.misses,
      walks: this.walks,
      evictions: this.evictions,
      invalidations: this.invalidations,
      invalidatedEntries: this.invalidatedEntries,
    };
  }

  /** Zero the counters (entries stay). */
  resetStats(): void {
    this.hits = this.misses = this.walks = this.evictions = this.invalidations = this.invalidatedEntries = 0;
  }

  /** The live entries, most recently used last. */
  entries(): CpuTlbEntry[] {
    const slots: number[] = [];
    for (let i = 0; i < this.capacity; i++) if (this.used[i] === 1) slots.push(i);
    slots.sort((a, b) => (this.stamp[a] as number) - (this.stamp[b] as number));
    return slots.map((i) => ({
      va: this.vaBase[i] as number,
      size: this.sizeOf[i] as number,
      pa: this.paBase[i] as number,
      asid: this.asidOf[i] as number,
      flags: this.flagsOf[i] as number,
      descriptor: this.descriptorOf[i] as number,
      level: this.levelOf[i] as number,
    }));
  }

  toJSON(): CpuTlbStats {
    return this.stats();
  }

  private linkFront(slot: number): void {
    this.prev[slot] = NONE;
    this.next[slot] = this.head;
    if (this.head !== NONE) this.prev[this.head] = slot;
    this.head = slot;
    if (this.tail === NONE) this.tail = slot;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot] as number;
    const n = this.next[slot] as number;
    if (p !== NONE) this.next[p] = n;
    else this.head = n;
    if (n !== NONE) this.prev[n] = p;
    else this.tail = p;
  }

  private toFront(slot: number): void {
    if (this.head === slot) return;
    this.unlink(slot);
    this.linkFront(slot);
  }

  private drop(slot: number): void {
    const size = this.sizeOf[slot] as number;
    this.maps[this.mapOfSlot[slot] as number]?.delete(Math.floor((this.vaBase[slot] as number) / size));
    const c = SIZES.indexOf(size as (typeof SIZES)[number]);
    this.perClass[c] = (this.perClass[c] as number) - 1;
    this.used[slot] = 0;
    this.unlink(slot);
    this.freeSlots[this.freeTop++] = slot;
    this.count--;
  }
}
