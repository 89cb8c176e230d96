/**
 * Device traffic through a context (docs/translation.md#the-walk-from-registers:
 * micro-TLB → main TLB → walk cache and walk → permission check → RAM).
 * `read` and `write` move real bytes, split where a translation ends (a page
 * of whatever size); `stream` produces only the address pattern of a burst
 * DMA, for TLB and bandwidth studies, and counts exactly what `read` would
 * count. Both go through the same caches and, on a timed SMMU, count cycles
 * by one model (docs/timing.md).
 *
 * A multi-page access proceeds as the hardware's bursts do
 * (docs/translation.md#multi-page-accesses): each piece is translated and
 * completed before the next is translated, so a fault handler sees the
 * pieces before the faulting one done, and a fault that terminates (or an
 * address outside RAM) stops the access there: the bytes before it were
 * written, none after.
 */
import { VcmError, checkOptions, checkUint, formatSize, hex } from '@vcm/core';
import type { PhysicalMemory } from '@vcm/core';
import { ACCESS_READ, ACCESS_WRITE } from './context-bank.js';
import type { ContextBank } from './context-bank.js';
import type { SmmuContext } from './context.js';
import type { WalkStep } from './format.js';
import { Timeline } from './caches/timing.js';
import type { HistogramBucket } from './caches/timing.js';
import type { TranslationCaches } from './caches/hierarchy.js';
import type { Tlb } from './tlb.js';

const TWO_32 = 2 ** 32;
/** The keys `StreamOptions` has. */
const STREAM_KEYS: readonly string[] = ['burst', 'access', 'bytesPerSecond', 'onAccess'];

/**
 * Called for each data access and each descriptor read of a walk, in order:
 * the physical address, the bytes, whether it writes, whether it is a walk's
 * descriptor read, and the cycle it starts at (docs/timing.md).
 */
export type AccessObserver = (pa: number, bytes: number, write: boolean, walk: boolean, cycle: number) => void;

/** The access pattern of `dma.stream`: burst size, direction, optional pacing and observer. */
export interface StreamOptions {
  /** Bytes per access (default 64: one cache-line burst). */
  readonly burst?: number;
  /** `'read'` (default) or `'write'`: which permission each access needs. */
  readonly access?: 'read' | 'write';
  /**
   * The bandwidth the master asks for: it issues no faster than this (needs
   * the SMMU's `timing.clockMHz`). Reported back beside what was achieved.
   */
  readonly bytesPerSecond?: number;
  /** Sees every data access and descriptor read (for memory traces); costs nothing when absent. */
  readonly onAccess?: AccessObserver;
}

/** Options of `dma.read` and `dma.write`. */
export interface TransferOptions {
  /**
   * Sees each piece of the transfer (one translated access, up to where its
   * translation ends) and each descriptor read of a walk it made, in order,
   * as `StreamOptions.onAccess` does; costs nothing when absent.
   */
  readonly onAccess?: AccessObserver;
}

/** The keys `TransferOptions` has. */
const TRANSFER_KEYS: readonly string[] = ['onAccess'];

/** `onAccess` checked: absent or a function. Returns it. */
function checkObserver(where: string, observer: unknown): AccessObserver | undefined {
  if (observer !== undefined && typeof observer !== 'function') {
    throw new VcmError('EINVAL', `${where}: onAccess must be a function (pa, bytes, write, walk, cycle) => void, got ${observer === null ? 'null' : typeof observer}`, {
      param: 'onAccess',
      value: observer === null ? 'null' : typeof observer,
      expected: 'function',
    });
  }
  return observer as AccessObserver | undefined;
}

/** `options` of a transfer checked: a plain object of known keys whose `onAccess` is a function. Returns the observer. */
function transferObserver(where: string, options: TransferOptions | undefined): AccessObserver | undefined {
  if (options === undefined) return undefined;
  checkOptions(where, 'options', options, TRANSFER_KEYS);
  return checkObserver(where, options.onAccess);
}

/** Copy the bytes at `pa` into `out`: straight into it when the RAM can (docs/performance.md#the-data-path), else a copy of `read`'s copy. */
function readPiece(memory: PhysicalMemory, pa: number, out: Uint8Array): void {
  if (memory.readInto !== undefined) memory.readInto(pa, out);
  else out.set(memory.read(pa, out.length));
}

/** What one cache did during a stream (its own counters moved by the same amounts). */
export interface StreamCacheCounts {
  readonly lookups: number;
  readonly hits: number;
  readonly misses: number;
}

/** What one stream did (the caches' own counters moved by the same amounts). */
export interface StreamResult {
  readonly accesses: number;
  /** Accesses whose translation a TLB held (micro or main). */
  readonly hits: number;
  /** Accesses that missed every TLB (each walked). */
  readonly misses: number;
  /** Demand walks (prefetches are not walks of an access). */
  readonly walks: number;
  readonly bytes: number;
  /** Per cache (null while it is off). */
  readonly microTlb: StreamCacheCounts | null;
  readonly mainTlb: StreamCacheCounts | null;
  readonly walkCache: StreamCacheCounts | null;
  /** Next-page walks after a demand walk. */
  readonly prefetches: number;
  /** Descriptors read from RAM by walks, prefetches included (`trans_table_walk_access`). */
  readonly walkMemoryAccesses: number;
  /** Cycles from the first request to the last byte (0 while the SMMU is untimed). */
  readonly cycles: number;
  /** Cycles the data port waited for translation. */
  readonly stallCycles: number;
  /** How long translations took: accesses per bucket of cycles (non-empty buckets, ascending). */
  readonly translationCycles: readonly HistogramBucket[];
  /** With a clock: the stream's duration. */
  readonly seconds: number | null;
  /** The `bytesPerSecond` asked for (null when not paced). */
  readonly requestedBytesPerSecond: number | null;
  /** With a clock: bytes ÷ seconds. */
  readonly achievedBytesPerSecond: number | null;
}

function checkRange(where: string, va: unknown, len: unknown): void {
  checkUint(where, 'va', va, 0xffffffff);
  checkUint(where, 'len', len);
  if ((va as number) + (len as number) > TWO_32) {
    throw new VcmError('EINVAL', `${where}: [va, va+len) must lie in the 32-bit device address space, got ${hex(va as number)} + ${formatSize(len as number)}`, {
      param: 'len',
      value: len as number,
      expected: `at most ${TWO_32 - (va as number)}`,
    });
  }
}

/** The counters of a stream's caches before it, to report what it moved. */
interface CacheMarks {
  readonly micro: readonly [number, number, number];
  readonly main: readonly [number, number, number];
  readonly walk: readonly [number, number, number];
}

function marks(bank: ContextBank, caches: TranslationCaches): CacheMarks {
  const u = bank.microTlb;
  const m = caches.main;
  const w = caches.walkCache;
  return {
    micro: u === undefined ? [0, 0, 0] : [u.lookups, u.hits, u.misses],
    main: [m.lookups, m.hits, m.misses],
    walk: w === undefined ? [0, 0, 0] : [w.lookups, w.hits, w.misses],
  };
}

function moved(now: readonly [number, number, number], before: readonly [number, number, number]): StreamCacheCounts {
  return { lookups: now[0] - before[0], hits: now[1] - before[1], misses: now[2] - before[2] };
}

/** Descriptor bytes a walk reads per step: LPAE's are 64-bit, the short format's 32-bit. */
function descriptorBytes(bank: ContextBank): number {
  return bank.smmu.format.name === 'armLpae4k' ? 8 : 4;
}

/** A write whose piece at `a` translated to `pa` outside RAM: the bus error, saying how much of the transfer was written before it. */
function busError(where: string, va: number, a: number, pa: number, context: string): VcmError {
  return new VcmError('EFAULT', `${where}: ${hex(a)} translates to ${hex(pa)}, outside RAM (bus error); the ${formatSize(a - va)} before it were written, nothing after`, {
    address: a,
    pa,
    written: a - va,
    context,
  });
}

/**
 * A device's bus-master port through its context: `read` and `write` move
 * real bytes through the SMMU's translation, split where a page ends, and
 * `stream` replays only the address pattern of a burst DMA for TLB and
 * bandwidth studies. A multi-page access translates and completes piece by
 * piece, as hardware bursts do, so a fault stops it there
 * (docs/translation.md#multi-page-accesses). Cycles follow docs/timing.md.
 */
export class DmaPort {
  private readonly whereRead: string;
  private readonly whereWrite: string;
  private readonly whereStream: string;

  /** Not a constructor to call: made by the context (`ctx.dma`). */
  constructor(private readonly ctx: SmmuContext) {
    this.whereRead = `${ctx.name}.dma.read`;
    this.whereWrite = `${ctx.name}.dma.write`;
    this.whereStream = `${ctx.name}.dma.stream`;
  }

  /** Read `len` bytes at device address `va`; `options.onAccess` sees each piece and walk read. */
  read(va: number, len: number, options?: TransferOptions): Uint8Array {
    const where = this.whereRead;
    const bank = this.ctx.activeBank(where);
    checkRange(where, va, len);
    const observer = transferObserver(where, options);
    if (observer !== undefined) return this.observedTransfer(bank, va, new Uint8Array(len), false, observer);
    const out = new Uint8Array(len);
    const front = bank.front;
    const caches = bank.smmu.caches;
    const memory = bank.smmu.memory;
    const privileged = this.ctx.privileged;
    const line = caches.timed ? new Timeline(caches.timing.busBytesPerCycle, caches.timing.maxWalks, 0) : undefined;
    let a = va;
    const end = va + len;
    try {
      while (a < end) {
        const slot = bank.resolve(a, ACCESS_READ, privileged);
        const pieceEnd = Math.min(front._endOfHit(slot), end);
        const pa = front._paOfHit(slot, a);
        this.ctx.pmu.transaction++;
        caches.pmu.transaction++;
        if (line !== undefined) this.time(line, caches, a, pieceEnd - a);
        readPiece(memory, pa, out.subarray(a - va, pieceEnd - va));
        a = pieceEnd;
      }
    } finally {
      if (line !== undefined) this.addCycles(caches, line.cycles);
    }
    return out;
  }

  /**
   * Write `bytes` at device address `va`, piece by piece in address order;
   * a fault that terminates, or a piece outside RAM, stops the write there
   * (`EFAULT`; the pieces before it were stored). `options.onAccess` sees
   * each piece and walk read.
   */
  write(va: number, bytes: Uint8Array, options?: TransferOptions): void {
    const where = this.whereWrite;
    const bank = this.ctx.activeBank(where);
    if (!(bytes instanceof Uint8Array)) {
      throw new VcmError('EINVAL', `${where}: bytes must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`, { param: 'bytes', value: typeof bytes, expected: 'Uint8Array' });
    }
    checkRange(where, va, bytes.length);
    const observer = transferObserver(where, options);
    if (observer !== undefined) {
      this.observedTransfer(bank, va, bytes, true, observer);
      return;
    }
    const front = bank.front;
    const caches = bank.smmu.caches;
    const memory = bank.smmu.memory;
    const privileged = this.ctx.privileged;
    const line = caches.timed ? new Timeline(caches.timing.busBytesPerCycle, caches.timing.maxWalks, 0) : undefined;
    let a = va;
    const end = va + bytes.length;
    try {
      while (a < end) {
        const slot = bank.resolve(a, ACCESS_WRITE, privileged);
        const pieceEnd = Math.min(front._endOfHit(slot), end);
        const pa = front._paOfHit(slot, a);
        if (!memory.contains(pa, pieceEnd - a)) {
          throw busError(where, va, a, pa, this.ctx.name);
        }
        this.ctx.pmu.transaction++;
        caches.pmu.transaction++;
        if (line !== undefined) this.time(line, caches, a, pieceEnd - a);
        memory.write(pa, bytes.subarray(a - va, pieceEnd - va));
        a = pieceEnd;
      }
    } finally {
      if (line !== undefined) this.addCycles(caches, line.cycles);
    }
  }

  /**
   * `read` (into `buf`) or `write` (from `buf`) with every piece and walk
   * read shown to `observer`: the same translations, bytes, counters and
   * faults as the unobserved loops, kept apart so that they stay small. The
   * cycles come from a timeline of the transfer (docs/timing.md); they are
   * added to the PMCG counters only on a timed SMMU, as without an observer.
   */
  private observedTransfer(bank: ContextBank, va: number, buf: Uint8Array, isWrite: boolean, observer: AccessObserver): Uint8Array {
    const where = isWrite ? this.whereWrite : this.whereRead;
    const front = bank.front;
    const caches = bank.smmu.caches;
    const memory = bank.smmu.memory;
    const privileged = this.ctx.privileged;
    const stepBytes = descriptorBytes(bank);
    const memoryAccess = caches.timing.memoryAccess;
    const line = new Timeline(caches.timing.busBytesPerCycle, caches.timing.maxWalks, 0);
    const trace: WalkStep[] = [];
    let a = va;
    const end = va + buf.length;
    bank.trace = trace;
    try {
      while (a < end) {
        trace.length = 0;
        const slot = bank.resolve(a, isWrite ? ACCESS_WRITE : ACCESS_READ, privileged);
        const pieceEnd = Math.min(front._endOfHit(slot), end);
        const pa = front._paOfHit(slot, a);
        if (isWrite && !memory.contains(pa, pieceEnd - a)) {
          throw busError(where, va, a, pa, this.ctx.name);
        }
        this.ctx.pmu.transaction++;
        caches.pmu.transaction++;
        const at = this.time(line, caches, a, pieceEnd - a);
        const t0 = line.lastTranslationStart;
        for (let i = 0; i < trace.length; i++) observer(trace[i]!.entryPa, stepBytes, false, true, t0 + i * memoryAccess);
        if (isWrite) memory.write(pa, buf.subarray(a - va, pieceEnd - va));
        else readPiece(memory, pa, buf.subarray(a - va, pieceEnd - va));
        observer(pa, pieceEnd - a, isWrite, false, at);
        a = pieceEnd;
      }
    } finally {
      bank.trace = undefined;
      if (caches.timed) this.addCycles(caches, line.cycles);
    }
    return buf;
  }

  /** One translated access on a timeline: its translation cost, and the prefetch it started. */
  private time(line: Timeline, caches: TranslationCaches, va: number, bytes: number): number {
    const start = line.access(va, bytes, caches.cost, caches.walked);
    if (caches.prefetchCost > 0) line.prefetched(caches.prefetchBase, caches.prefetchEnd, caches.prefetchCost);
    return start;
  }

  private addCycles(caches: TranslationCaches, cycles: number): void {
    caches.pmu.cycles += cycles;
    this.ctx.pmu.cycles += cycles;
  }

  /**
   * The address pattern of a DMA of `len` bytes at `va` in bursts: one
   * translated access per burst at va, va+burst, … No bytes move. Faults are
   * taken as for `read`/`write`. On a timed SMMU the bursts are timed by
   * docs/timing.md.
   */
  stream(va: number, len: number, options: StreamOptions = {}): StreamResult {
    const where = this.whereStream;
    const bank = this.ctx.activeBank(where);
    checkRange(where, va, len);
    checkOptions(where, 'options', options, STREAM_KEYS);
    const burst = options.burst === undefined ? 64 : checkUint(where, 'burst', options.burst);
    if (burst === 0) {
      throw new VcmError('EINVAL', `${where}: burst must be at least 1 byte, got 0`, { param: 'burst', value: 0, expected: '>= 1' });
    }
    const access = options.access === undefined || options.access === 'read' ? ACCESS_READ : options.access === 'write' ? ACCESS_WRITE : -1;
    if (access < 0) {
      throw new VcmError('EINVAL', `${where}: access must be 'read' or 'write', got ${String(options.access)}`, { param: 'access', value: String(options.access), expected: "'read' | 'write'" });
    }
    const caches = bank.smmu.caches;
    const clockHz = caches.timing.clockMHz * 1e6;
    let pace = 0;
    if (options.bytesPerSecond !== undefined) {
      const bps = checkUint(where, 'bytesPerSecond', options.bytesPerSecond);
      if (bps === 0 || clockHz === 0) {
        throw new VcmError(
          'EINVAL',
          bps === 0
            ? `${where}: bytesPerSecond must be at least 1, got 0`
            : `${where}: bytesPerSecond paces the master in clock cycles, so ${bank.smmu.name} needs a clock (caches.timing.clockMHz), which is 0`,
          { param: 'bytesPerSecond', value: bps, expected: bps === 0 ? '>= 1' : 'an SMMU with timing.clockMHz set' },
        );
      }
      pace = clockHz / bps;
    }
    const observer = checkObserver(where, options.onAccess);
    return this.run(bank, caches, va, len, burst, access, pace, observer);
  }

  private run(bank: ContextBank, caches: TranslationCaches, va: number, len: number, burst: number, access: number, pace: number, observer: AccessObserver | undefined): StreamResult {
    const tlb = caches.main;
    const before = marks(bank, caches);
    const walks0 = tlb.walks;
    const reads0 = caches.pmu.transTableWalkAccess;
    const prefetches0 = caches.prefetches;
    const tlbMiss0 = caches.pmu.tlbMiss;
    const line = caches.timed || pace > 0 || observer !== undefined ? new Timeline(caches.timing.busBytesPerCycle, caches.timing.maxWalks, pace) : undefined;
    // A repeated access inside the last entry costs a hit in the front TLB.
    line?.setHit(bank.microTlb !== undefined ? caches.timing.microTlbHit : caches.timing.mainTlbHit, burst);
    const accesses = observer === undefined ? this.bursts(bank, caches, line, va, va + len, burst, access) : this.observed(bank, caches, line!, va, va + len, burst, access, observer);
    const now = marks(bank, caches);
    const micro = bank.microTlb === undefined ? null : moved(now.micro, before.micro);
    const main = caches.mainOn ? moved(now.main, before.main) : null;
    const walk = caches.walkCache === undefined ? null : moved(now.walk, before.walk);
    const cycles = line === undefined ? 0 : line.cycles;
    const clockHz = caches.timing.clockMHz * 1e6;
    const seconds = clockHz > 0 ? cycles / clockHz : null;
    return {
      accesses,
      hits: (micro === null ? 0 : micro.hits) + (main === null ? 0 : main.hits),
      misses: caches.pmu.tlbMiss - tlbMiss0,
      walks: tlb.walks - walks0,
      bytes: len,
      microTlb: micro,
      mainTlb: main,
      walkCache: walk,
      prefetches: caches.prefetches - prefetches0,
      walkMemoryAccesses: caches.pmu.transTableWalkAccess - reads0,
      cycles,
      stallCycles: line === undefined ? 0 : line.stallCycles,
      translationCycles: line === undefined ? [{ min: 0, max: 0, count: accesses }] : line.buckets(),
      seconds,
      requestedBytesPerSecond: pace > 0 ? clockHz / pace : null,
      achievedBytesPerSecond: seconds !== null && seconds > 0 ? len / seconds : null,
    };
  }

  /**
   * The stream's bursts with no observer — the hot loop, kept small so that
   * it is optimised once and reused by every stream. The entry the previous
   * access used is still valid and still the most recent of its set
   * (nothing else touched the caches: a prefetch is filled before its demand
   * entry), so every access left inside it is a hit that changes no recency
   * — counted at once, without lookups. With no TLB on, every access walks.
   * Returns the accesses made; counters are added even when a fault stops it.
   */
  private bursts(bank: ContextBank, caches: TranslationCaches, line: Timeline | undefined, va: number, end: number, burst: number, access: number): number {
    const front = bank.front;
    const privileged = this.ctx.privileged;
    const reuse = front !== caches.held[bank.index];
    let accesses = 0;
    let hits = 0;
    let lo = 0;
    let hi = 0;
    try {
      for (let a = va; a < end; a += burst) {
        if (a >= lo && a < hi) {
          const stop = hi < end ? hi : end;
          const n = Math.ceil((stop - a) / burst);
          hits += n;
          accesses += n;
          const last = a + (n - 1) * burst;
          if (line !== undefined) line.hits(n, end - last < burst ? end - last : burst);
          a = last;
          continue;
        }
        accesses++;
        const slot = bank.resolve(a, access, privileged);
        if (reuse) {
          lo = front._baseOfHit(slot);
          hi = front._endOfHit(slot);
        }
        if (line !== undefined) this.time(line, caches, a, end - a < burst ? end - a : burst);
      }
    } finally {
      this.counted(front, caches, line, hits, accesses);
    }
    return accesses;
  }

  /** The same bursts, each data access and descriptor read shown to `observer` (docs/timing.md). */
  private observed(bank: ContextBank, caches: TranslationCaches, line: Timeline, va: number, end: number, burst: number, access: number, observer: AccessObserver): number {
    const front = bank.front;
    const privileged = this.ctx.privileged;
    const reuse = front !== caches.held[bank.index];
    const isWrite = access === ACCESS_WRITE;
    const stepBytes = descriptorBytes(bank);
    const memoryAccess = caches.timing.memoryAccess;
    const trace: WalkStep[] = [];
    let accesses = 0;
    let hits = 0;
    let lo = 0;
    let hi = 0;
    let entryPa = 0;
    bank.trace = trace;
    try {
      for (let a = va; a < end; a += burst) {
        accesses++;
        const bytes = end - a < burst ? end - a : burst;
        if (a >= lo && a < hi) {
          hits++;
          observer(entryPa + (a - lo), bytes, isWrite, false, line.hit(a, bytes));
          continue;
        }
        trace.length = 0;
        const slot = bank.resolve(a, access, privileged);
        if (reuse) {
          lo = front._baseOfHit(slot);
          hi = front._endOfHit(slot);
          entryPa = front._paOfHit(slot, lo);
        }
        const at = this.time(line, caches, a, bytes);
        // The walk's descriptor reads, one memory latency apart from the translation's start.
        const t0 = line.lastTranslationStart;
        for (let i = 0; i < trace.length; i++) observer(trace[i]!.entryPa, stepBytes, false, true, t0 + i * memoryAccess);
        observer(front._paOfHit(slot, a), bytes, isWrite, false, at);
      }
    } finally {
      bank.trace = undefined;
      this.counted(front, caches, line, hits, accesses);
    }
    return accesses;
  }

  /** A stream's counters: the hits counted without lookups, its transactions and its cycles. */
  private counted(front: Tlb, caches: TranslationCaches, line: Timeline | undefined, hits: number, accesses: number): void {
    front.hits += hits;
    this.ctx.pmu.transaction += accesses;
    caches.pmu.transaction += accesses;
    if (line !== undefined) this.addCycles(caches, line.cycles);
  }
}
