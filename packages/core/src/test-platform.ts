/**
 * Test support (not part of the build): a small simulated RAM and memtype
 * allocator implementing core's `PhysicalMemory`/`PhysicalAllocator`
 * interfaces, so core's tests need nothing of `@vcm/physalloc` (core imports
 * nothing of ours, docs/architecture.md#packages-and-the-direction-of-imports).
 * Simple on purpose: first-fit over a
 * sorted free list, max munch over 1 MiB / 64 KiB / 4 KiB chunks.
 */
import {
  SZ_1M,
  SZ_4K,
  SZ_64K,
  VCM_1MB,
  VCM_4KB,
  VCM_64KB,
  VCM_ALL,
  VCM_MEMTYPE_0,
  VCM_MEMTYPE_1,
  VCM_PHYS_CONT,
  alignReqBytes,
} from './constants.js';
import { directDriver } from './direct-driver.js';
import type { Logger, MappingDriver } from './driver.js';
import { VcmError, hex } from './errors.js';
import type { ContiguousRegion, MemoryBank, PhysAllocation, PhysChunk, PhysicalAllocator, PhysicalMemory } from './memory.js';
import { FakeIommuDriver } from './test-iommu-driver.js';
import { type FakePrebuilt, makeFakePrebuilt } from './test-prebuilt.js';
import { Vcmm, type VcmmOptions } from './vcmm.js';

export class TestMemory implements PhysicalMemory {
  readonly banks: readonly MemoryBank[];
  private readonly pages = new Map<number, Uint8Array>();

  constructor(banks: readonly MemoryBank[]) {
    this.banks = banks;
  }

  contains(pa: number, len: number): boolean {
    return this.banks.some((b) => pa >= b.base && pa + len <= b.base + b.size);
  }

  private check(pa: number, len: number): void {
    if (!this.contains(pa, len)) throw new VcmError('EFAULT', `bus error at ${hex(pa)} (+${len})`, { pa, len });
  }

  private page(pa: number, create: boolean): Uint8Array | undefined {
    const idx = Math.floor(pa / SZ_4K);
    let p = this.pages.get(idx);
    if (!p && create) {
      p = new Uint8Array(SZ_4K);
      this.pages.set(idx, p);
    }
    return p;
  }

  read(pa: number, len: number): Uint8Array {
    this.check(pa, len);
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const at = pa + done;
      const off = at % SZ_4K;
      const n = Math.min(SZ_4K - off, len - done);
      const p = this.page(at, false);
      if (p) out.set(p.subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  write(pa: number, bytes: Uint8Array): void {
    this.check(pa, bytes.length);
    let done = 0;
    while (done < bytes.length) {
      const at = pa + done;
      const off = at % SZ_4K;
      const n = Math.min(SZ_4K - off, bytes.length - done);
      (this.page(at, true) as Uint8Array).set(bytes.subarray(done, done + n), off);
      done += n;
    }
  }

  readU32(pa: number): number {
    const b = this.read(pa, 4);
    return ((b[0] as number) | ((b[1] as number) << 8) | ((b[2] as number) << 16) | ((b[3] as number) << 24)) >>> 0;
  }

  writeU32(pa: number, value: number): void {
    const v = value >>> 0;
    this.write(pa, Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24));
  }

  fill(pa: number, len: number, value: number): void {
    this.write(pa, new Uint8Array(len).fill(value));
  }

  copy(dstPa: number, srcPa: number, len: number): void {
    this.write(dstPa, this.read(srcPa, len));
  }

  pageWords(pa: number): Uint32Array {
    this.check(pa, 1);
    const p = this.page(pa, true) as Uint8Array;
    return new Uint32Array(p.buffer, p.byteOffset, SZ_4K / 4);
  }
}

interface Pool {
  readonly base: number;
  readonly size: number;
  /** Sorted, coalesced free extents. */
  free: Array<{ start: number; len: number }>;
  readonly contiguous: boolean;
}

function takeFrom(pool: Pool, len: number, align: number): number | undefined {
  for (let i = 0; i < pool.free.length; i++) {
    const e = pool.free[i] as { start: number; len: number };
    const a = Math.ceil(e.start / align) * align;
    if (a + len > e.start + e.len) continue;
    const pieces = [];
    if (a > e.start) pieces.push({ start: e.start, len: a - e.start });
    if (a + len < e.start + e.len) pieces.push({ start: a + len, len: e.start + e.len - a - len });
    pool.free.splice(i, 1, ...pieces);
    return a;
  }
  return undefined;
}

function giveBack(pool: Pool, start: number, len: number): void {
  pool.free.push({ start, len });
  pool.free.sort((x, y) => x.start - y.start);
  const merged: Array<{ start: number; len: number }> = [];
  for (const e of pool.free) {
    const last = merged[merged.length - 1];
    if (last && last.start + last.len === e.start) last.len += e.len;
    else merged.push({ ...e });
  }
  pool.free = merged;
}

/**
 * Memtype 0 (`VCM_MEMTYPE_0`): a discontiguous-block memtype at `0x4000_0000`
 * (max munch 1 MiB / 64 KiB / 4 KiB). Memtype 1 (`VCM_MEMTYPE_1`): a
 * contiguous region at `0x8000_0000` for one-to-one VCMs. Tables come from a
 * separate area at `0x3000_0000`.
 */
export class TestAllocator implements PhysicalAllocator {
  readonly memtypes: readonly number[] = [VCM_MEMTYPE_0, VCM_MEMTYPE_1];
  private readonly pools = new Map<number, Pool>();
  private readonly tables: Pool;
  private readonly live = new Set<PhysAllocation>();

  constructor(sizes: { memtype0?: number; memtype1?: number } = {}) {
    const m0 = sizes.memtype0 ?? 64 * SZ_1M;
    const m1 = sizes.memtype1 ?? 32 * SZ_1M;
    this.pools.set(VCM_MEMTYPE_0, { base: 0x4000_0000, size: m0, free: [{ start: 0x4000_0000, len: m0 }], contiguous: false });
    this.pools.set(VCM_MEMTYPE_1, { base: 0x8000_0000, size: m1, free: [{ start: 0x8000_0000, len: m1 }], contiguous: true });
    this.tables = { base: 0x3000_0000, size: 16 * SZ_1M, free: [{ start: 0x3000_0000, len: 16 * SZ_1M }], contiguous: true };
  }

  /** The banks of RAM this allocator hands out. */
  banks(): MemoryBank[] {
    return [
      { name: 'tables', base: this.tables.base, size: this.tables.size },
      ...[...this.pools.entries()].map(([m, p]) => ({ name: `memtype${m - 1}`, base: p.base, size: p.size })),
    ];
  }

  allocate(memtype: number, len: number, attr: number): PhysAllocation {
    const pool = this.pools.get(memtype);
    if (!pool) throw new VcmError('EINVAL', `test allocator: no memtype ${memtype}`, { memtype });
    const taken: PhysChunk[] = [];
    const undo = (): void => {
      for (const c of taken) giveBack(pool, c.pa, c.len);
    };
    if (pool.contiguous || attr & VCM_PHYS_CONT) {
      const align = Math.max(alignReqBytes(attr), len >= SZ_1M ? SZ_1M : len >= SZ_64K ? SZ_64K : SZ_4K);
      const pa = takeFrom(pool, len, align);
      if (pa === undefined) throw new VcmError('ENOMEM', `test allocator: no contiguous ${len} bytes in memtype ${memtype}`, { memtype, len });
      taken.push({ pa, len, blockSize: align });
    } else {
      const sel = attr & (VCM_1MB | VCM_64KB | VCM_4KB | VCM_ALL);
      const sizes = [SZ_1M, SZ_64K, SZ_4K].filter(
        (s) => sel & VCM_ALL || (s === SZ_1M && sel & VCM_1MB) || (s === SZ_64K && sel & VCM_64KB) || (s === SZ_4K && sel & VCM_4KB),
      );
      let left = len;
      while (left > 0) {
        let got = false;
        for (const s of sizes) {
          if (s > left) continue;
          const pa = takeFrom(pool, s, s);
          if (pa !== undefined) {
            taken.push({ pa, len: s, blockSize: s });
            left -= s;
            got = true;
            break;
          }
        }
        if (!got) {
          undo();
          throw new VcmError('ENOMEM', `test allocator: memtype ${memtype} cannot supply ${len} bytes`, { memtype, len });
        }
      }
    }
    const contiguous = taken.every((c, i) => i === 0 || (taken[i - 1] as PhysChunk).pa + (taken[i - 1] as PhysChunk).len === c.pa);
    const allocation: PhysAllocation = Object.freeze({ memtype, len, attr, chunks: Object.freeze(taken), contiguous });
    this.live.add(allocation);
    return allocation;
  }

  free(allocation: PhysAllocation): void {
    if (!this.live.delete(allocation)) throw new VcmError('EINVAL', 'test allocator: allocation freed twice', {});
    const pool = this.pools.get(allocation.memtype) as Pool;
    for (const c of allocation.chunks) giveBack(pool, c.pa, c.len);
  }

  contiguousRegion(memtype: number): ContiguousRegion | undefined {
    const pool = this.pools.get(memtype);
    return pool?.contiguous ? { pa: pool.base, len: pool.size } : undefined;
  }

  allocateTable(size: number, align: number): number {
    const pa = takeFrom(this.tables, size, align);
    if (pa === undefined) throw new VcmError('ENOMEM', 'test allocator: no table memory', { size });
    return pa;
  }

  freeTable(pa: number, size: number): void {
    giveBack(this.tables, pa, size);
  }

  /** Free bytes of a memtype: lets tests prove that a failed call leaked nothing. */
  freeBytes(memtype: number): number {
    const pool = this.pools.get(memtype);
    return pool ? pool.free.reduce((n, e) => n + e.len, 0) : 0;
  }

  get liveAllocations(): number {
    return this.live.size;
  }
}

/** A logger that remembers what it was told. */
export class TestLogger implements Logger {
  readonly warnings: Array<{ message: string; details: Readonly<Record<string, unknown>> | undefined }> = [];
  warn(message: string, details?: Readonly<Record<string, unknown>>): void {
    this.warnings.push({ message, details });
  }
}

export interface TestSystem {
  vcmm: Vcmm;
  /** The fake IOMMU driver the Vcmm was given (with core's shared `directDriver`). */
  iommu: FakeIommuDriver;
  memory: TestMemory;
  allocator: TestAllocator;
  logger: TestLogger;
  /** The fake prebuilt provider, when `withPrebuilt` was asked for. */
  pre: FakePrebuilt | undefined;
}

/** A `Vcmm` over the test RAM and allocator. */
export function makeTestSystem(
  options: Partial<Omit<VcmmOptions, 'memory' | 'allocator' | 'logger' | 'prebuilt'>> & {
    memtype0?: number;
    memtype1?: number;
    withPrebuilt?: boolean;
    /** More drivers made over this system's RAM and allocator, given to the Vcmm too. */
    extraDrivers?: (allocator: TestAllocator, memory: TestMemory) => MappingDriver[];
  } = {},
): TestSystem {
  const sizes: { memtype0?: number; memtype1?: number } = {};
  if (options.memtype0 !== undefined) sizes.memtype0 = options.memtype0;
  if (options.memtype1 !== undefined) sizes.memtype1 = options.memtype1;
  const allocator = new TestAllocator(sizes);
  const memory = new TestMemory(allocator.banks());
  const logger = new TestLogger();
  const pre = options.withPrebuilt ? makeFakePrebuilt(allocator, memory) : undefined;
  const iommu = new FakeIommuDriver(allocator, memory);
  const opts: VcmmOptions = {
    memory,
    allocator,
    logger,
    drivers: [iommu, directDriver, ...(options.drivers ?? []), ...(options.extraDrivers?.(allocator, memory) ?? [])],
    ...(pre ? { prebuilt: pre.provider } : {}),
  };
  return { vcmm: new Vcmm(opts), iommu, memory, allocator, logger, pre };
}
