/**
 * Device traffic through a context (docs/translation.md#the-walk-from-registers:
 * TLB → walk → permission check → RAM). `read` and `write` move real bytes,
 * split where a translation ends (a page of whatever size); `stream`
 * produces only the address pattern of a burst DMA, for TLB studies, and
 * counts exactly what `read` would count.
 *
 * A multi-page access proceeds as the hardware's bursts do
 * (docs/translation.md#multi-page-accesses): each piece is translated and
 * completed before the next is translated, so a fault handler sees the
 * pieces before the faulting one done, and a fault that terminates (or an
 * address outside RAM) stops the access there: the bytes before it were
 * written, none after.
 */
import { VcmError, checkUint, formatSize, hex } from '@vcm/core';
import { ACCESS_READ, ACCESS_WRITE } from './context-bank.js';
import type { SmmuContext } from './context.js';

const TWO_32 = 2 ** 32;

/** The access pattern of `dma.stream`: burst size and whether the bursts read or write. */
export interface StreamOptions {
  /** Bytes per access (default 64: one cache-line burst). */
  readonly burst?: number;
  /** `'read'` (default) or `'write'`: which permission each access needs. */
  readonly access?: 'read' | 'write';
}

/** What one stream did (the TLB's own counters moved by the same amounts). */
export interface StreamResult {
  readonly accesses: number;
  readonly hits: number;
  readonly misses: number;
  readonly walks: number;
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

/**
 * A device's bus-master port through its context: `read` and `write` move
 * real bytes through the SMMU's translation, split where a page ends, and
 * `stream` replays only the address pattern of a burst DMA for TLB studies.
 * A multi-page access translates and completes piece by piece, as hardware
 * bursts do, so a fault stops it there (docs/translation.md#multi-page-accesses).
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

  /** Read `len` bytes at device address `va`. */
  read(va: number, len: number): Uint8Array {
    const where = this.whereRead;
    const bank = this.ctx.activeBank(where);
    checkRange(where, va, len);
    const out = new Uint8Array(len);
    const tlb = bank.smmu.tlb;
    const memory = bank.smmu.memory;
    const privileged = this.ctx.privileged;
    let a = va;
    const end = va + len;
    while (a < end) {
      const slot = bank.resolve(a, ACCESS_READ, privileged);
      const pieceEnd = Math.min(tlb.end(slot), end);
      const pa = tlb.pa(slot, a);
      out.set(memory.read(pa, pieceEnd - a), a - va);
      a = pieceEnd;
    }
    return out;
  }

  /**
   * Write `bytes` at device address `va`, piece by piece in address order;
   * a fault that terminates, or a piece outside RAM, stops the write there
   * (`EFAULT`; the pieces before it were stored).
   */
  write(va: number, bytes: Uint8Array): void {
    const where = this.whereWrite;
    const bank = this.ctx.activeBank(where);
    if (!(bytes instanceof Uint8Array)) {
      throw new VcmError('EINVAL', `${where}: bytes must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`, { param: 'bytes', value: typeof bytes, expected: 'Uint8Array' });
    }
    checkRange(where, va, bytes.length);
    const tlb = bank.smmu.tlb;
    const memory = bank.smmu.memory;
    const privileged = this.ctx.privileged;
    let a = va;
    const end = va + bytes.length;
    while (a < end) {
      const slot = bank.resolve(a, ACCESS_WRITE, privileged);
      const pieceEnd = Math.min(tlb.end(slot), end);
      const pa = tlb.pa(slot, a);
      if (!memory.contains(pa, pieceEnd - a)) {
        throw new VcmError('EFAULT', `${where}: ${hex(a)} translates to ${hex(pa)}, outside RAM (bus error); the ${formatSize(a - va)} before it were written, nothing after`, {
          address: a,
          pa,
          written: a - va,
          context: this.ctx.name,
        });
      }
      memory.write(pa, bytes.subarray(a - va, pieceEnd - va));
      a = pieceEnd;
    }
  }

  /**
   * The address pattern of a DMA of `len` bytes at `va` in bursts: one TLB
   * access per burst at va, va+burst, … No bytes move. Faults are taken as
   * for `read`/`write`.
   */
  stream(va: number, len: number, options: StreamOptions = {}): StreamResult {
    const where = this.whereStream;
    const bank = this.ctx.activeBank(where);
    checkRange(where, va, len);
    if (typeof options !== 'object' || options === null) {
      throw new VcmError('EINVAL', `${where}: options must be an object { burst?, access? }, got ${options === null ? 'null' : typeof options}`, {
        param: 'options',
        value: options === null ? 'null' : typeof options,
        expected: 'StreamOptions',
      });
    }
    const burst = options.burst === undefined ? 64 : checkUint(where, 'burst', options.burst);
    if (burst === 0) {
      throw new VcmError('EINVAL', `${where}: burst must be at least 1 byte, got 0`, { param: 'burst', value: 0, expected: '>= 1' });
    }
    const access = options.access === undefined || options.access === 'read' ? ACCESS_READ : options.access === 'write' ? ACCESS_WRITE : -1;
    if (access < 0) {
      throw new VcmError('EINVAL', `${where}: access must be 'read' or 'write', got ${String(options.access)}`, { param: 'access', value: String(options.access), expected: "'read' | 'write'" });
    }
    const tlb = bank.smmu.tlb;
    const privileged = this.ctx.privileged;
    const hits0 = tlb.hits;
    const misses0 = tlb.misses;
    const walks0 = tlb.walks;
    const end = va + len;
    let accesses = 0;
    // The entry the previous access used: it is still valid and still the
    // most recent (nothing else touched the TLB), so another access inside
    // it is a hit that changes no recency — counted without a lookup.
    let lo = 0;
    let hi = 0;
    let hits = 0;
    try {
      for (let a = va; a < end; a += burst) {
        accesses++;
        if (a >= lo && a < hi) {
          hits++;
          continue;
        }
        const slot = bank.resolve(a, access, privileged);
        lo = tlb.base(slot);
        hi = tlb.end(slot);
      }
    } finally {
      tlb.hits += hits;
    }
    return { accesses, hits: tlb.hits - hits0, misses: tlb.misses - misses0, walks: tlb.walks - walks0 };
  }
}
