/**
 * The physical allocator (`vcm_phys_alloc` / `vcm_phys_free` underneath
 * core): max munch over a memtype's block pools, `VCM_PHYS_CONT` from its
 * contiguous pool, and page-table memory from a region the board names.
 * Implements core's `PhysicalAllocator` (packages/core/src/memory.ts).
 */
import {
  SZ_16K,
  SZ_1K,
  SZ_4K,
  VCM_ALIGNMENT_MASK,
  VCM_COHERENT,
  VCM_PAGE_SEL_MASK,
  VCM_PHYS_CONT,
  VcmError,
  checkAttr,
  formatSize,
  hex,
  isVcmError,
} from '@vcm/core';
import type { ContiguousRegion, PhysChunk, PhysicalAllocator, PhysicalMemory, PhysAllocation } from '@vcm/core';
import { Allocation, RELEASE } from './allocation.js';
import type { ChunkSource } from './allocation.js';
import type { BlockPool } from './block-pool.js';
import type { BlockPoolStats } from './block-pool.js';
import { ContiguousPool } from './contiguous-pool.js';
import type { ContiguousPoolStats } from './contiguous-pool.js';
import { allowedSizeClasses, describeSizeClasses, physAlignBytes, planMaxMunch, sizeClassOf } from './max-munch.js';
import type { MemoryType } from './memory-type.js';
import { MAX_PHYS_ADDR } from './ram.js';
import { isList } from './is-list.js';

/** The attribute bits `vcm_phys_alloc` understands. */
export const PHYS_ATTR_BITS = VCM_PAGE_SEL_MASK | VCM_PHYS_CONT | VCM_COHERENT | VCM_ALIGNMENT_MASK;

/** A physical range. */
export interface PhysRange {
  readonly base: number;
  readonly size: number;
}

/** What a `PhysAllocator` allocates from: the RAM, the board's memory types and the region reserved for page tables. */
export interface PhysAllocatorOptions {
  /** The RAM every pool and the table region must lie in. */
  readonly memory: PhysicalMemory;
  /** The board's memory types, each with its ordered pools. */
  readonly memtypes: readonly MemoryType[];
  /** Where page-table memory (`allocateTable`) comes from. */
  readonly tableRegion: PhysRange;
}

/** One memory type's pools and usage, plain data for snapshots and the reference app's report (docs/rules.md#observability). */
export interface MemtypeStats {
  readonly id: number;
  readonly name: string;
  readonly pools: readonly string[];
  readonly contiguous: string | null;
  /** Free bytes over the memtype's block pools (shared pools count in every memtype that lists them). */
  readonly freeBytes: number;
  readonly totalBytes: number;
  /** Live allocations made for this memtype, and their bytes. */
  readonly allocations: number;
  readonly allocatedBytes: number;
}

/** The allocator's plain-data state, stable key order: usable as a digest (docs/rules.md#atomicity, docs/rules.md#observability). */
export interface PhysAllocatorStats {
  readonly pools: readonly BlockPoolStats[];
  readonly contiguousPools: readonly ContiguousPoolStats[];
  readonly memtypes: readonly MemtypeStats[];
  readonly tables: ContiguousPoolStats;
  /** Bytes of host memory backing RAM (when the memory reports it). */
  readonly hostBytes: number;
}

/** Per memtype: its pools and the scratch the max-munch plan writes. */
interface MemtypeState {
  readonly type: MemoryType;
  readonly pools: readonly BlockPool[];
  readonly classes: Uint8Array;
  /** OR of the size classes the memtype has. */
  readonly classMask: number;
  readonly counts: Float64Array;
  allocations: number;
  allocatedBytes: number;
}

const TABLE_SIZES: readonly number[] = [SZ_1K, 2 * SZ_1K, SZ_4K, 8 * SZ_1K, SZ_16K];

function memtypeLabel(type: MemoryType): string {
  return `${type.name} (${type.id})`;
}

/** The longest allocation: the whole 40-bit physical address space. */
const MAX_ALLOCATION = 2 ** 40;

/**
 * The physical allocator under `vcm_phys_alloc` and `vcm_phys_free`: for a
 * memtype it takes the largest blocks that fit first from the memtype's pools
 * in order (max munch, docs/hardware.md#physical-memory-and-pools),
 * `VCM_PHYS_CONT` allocations from the memtype's contiguous pool, and
 * page-table memory from the board's table region. It implements
 * `@vcm/core`'s `PhysicalAllocator`, so a `Vcmm` is built over it. An
 * allocation that fails (`ENOMEM`, `EINVAL`) leaves every pool as it was
 * (docs/rules.md#atomicity).
 */
export class PhysAllocator implements PhysicalAllocator {
  readonly memory: PhysicalMemory;
  readonly memtypes: readonly number[];
  readonly tableRegion: PhysRange;
  /** The pool behind `allocateTable` (1 KiB granule). */
  readonly tablePool: ContiguousPool;
  readonly #types = new Map<number, MemtypeState>();
  // The same states indexed by small memtype ids: the allocation fast path.
  readonly #byId: Array<MemtypeState | undefined> = [];
  readonly #blockPools: readonly BlockPool[];
  readonly #contiguousPools: readonly ContiguousPool[];
  // Table allocations are ours to free; the pool checks the rest.

  constructor(options: PhysAllocatorOptions) {
    const where = 'PhysAllocator';
    if (typeof options !== 'object' || options === null) {
      throw new VcmError('EINVAL', `${where}: options must be { memory, memtypes, tableRegion }`, { param: 'options' });
    }
    const { memory, memtypes, tableRegion } = options;
    if (typeof memory !== 'object' || memory === null || typeof memory.contains !== 'function' || typeof memory.fill !== 'function') {
      throw new VcmError('EINVAL', `${where}: memory must be a PhysicalMemory (for example a PhysicalRam)`, { param: 'memory' });
    }
    if (!Array.isArray(memtypes) || memtypes.length === 0) {
      throw new VcmError('EINVAL', `${where}: memtypes must be a non-empty array of memory types (createMemoryType)`, { param: 'memtypes' });
    }
    if (typeof tableRegion !== 'object' || tableRegion === null) {
      throw new VcmError('EINVAL', `${where}: tableRegion must be { base, size }`, { param: 'tableRegion' });
    }
    this.memory = memory;
    const blockPools: BlockPool[] = [];
    const contiguousPools: ContiguousPool[] = [];
    for (const [i, type] of (memtypes as readonly MemoryType[]).entries()) {
      if (typeof type !== 'object' || type === null || !isList(type.pools) || typeof type.id !== 'number') {
        throw new VcmError('EINVAL', `${where}: memtypes[${i}] must be a memory type made by createMemoryType`, { param: `memtypes[${i}]` });
      }
      if (this.#types.has(type.id)) {
        throw new VcmError('EINVAL', `${where}: two memtypes have id ${type.id} (${this.#types.get(type.id)!.type.name} and ${type.name})`, { param: 'memtypes', id: type.id });
      }
      for (const pool of type.pools) if (!blockPools.includes(pool)) blockPools.push(pool);
      if (type.contiguous !== undefined && !contiguousPools.includes(type.contiguous)) contiguousPools.push(type.contiguous);
      const classes = Uint8Array.from(type.pools, (p) => sizeClassOf(p.blockSize));
      let classMask = 0;
      for (const c of classes) classMask |= c;
      this.#types.set(type.id, { type, pools: type.pools, classes, classMask, counts: new Float64Array(type.pools.length), allocations: 0, allocatedBytes: 0 });
    }
    // Tables are at most 16 KiB aligned (allocateTable refuses more): the free-extent tree keeps no fit for larger alignments.
    this.tablePool = new ContiguousPool({ name: 'page-tables', base: tableRegion.base, size: tableRegion.size, granule: SZ_1K, maxTrackedAlign: SZ_16K });
    this.tableRegion = Object.freeze({ base: tableRegion.base, size: tableRegion.size });

    // Every range must be RAM, and no two may share a byte: a block handed
    // out twice would let two devices corrupt each other
    // (docs/rules.md#atomicity).
    const ranges: Array<{ name: string; base: number; end: number }> = [
      ...blockPools.map((p) => ({ name: `pool ${p.name}`, base: p.base, end: p.end })),
      ...contiguousPools.map((p) => ({ name: `contiguous pool ${p.name}`, base: p.base, end: p.end })),
      { name: 'the page-table region', base: this.tablePool.base, end: this.tablePool.end },
    ];
    const names = new Set<string>();
    for (const p of [...blockPools, ...contiguousPools]) {
      if (names.has(p.name)) throw new VcmError('EINVAL', `${where}: two different pools are named ${JSON.stringify(p.name)}`, { param: 'memtypes', pool: p.name });
      names.add(p.name);
    }
    for (const r of ranges) {
      if (!memory.contains(r.base, r.end - r.base)) {
        throw new VcmError('EINVAL', `${where}: ${r.name} (${hex(r.base)}-${hex(r.end - 1)}) is not inside one bank of RAM`, { param: 'memtypes', range: r.name, base: r.base, end: r.end });
      }
    }
    const sorted = [...ranges].sort((a, b) => a.base - b.base);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1]!;
      const b = sorted[i]!;
      if (b.base < a.end) {
        throw new VcmError('EINVAL', `${where}: ${b.name} (${hex(b.base)}-${hex(b.end - 1)}) overlaps ${a.name} (${hex(a.base)}-${hex(a.end - 1)})`, {
          param: 'memtypes',
          ranges: [a.name, b.name],
        });
      }
    }
    // Address order: a stable order for stats() whatever order memtypes list pools in.
    this.#blockPools = Object.freeze(blockPools.sort((a, b) => a.base - b.base));
    this.#contiguousPools = Object.freeze(contiguousPools.sort((a, b) => a.base - b.base));
    this.memtypes = Object.freeze([...this.#types.keys()]);
    for (const [id, state] of this.#types) if (id < 256) this.#byId[id] = state;
  }

  /** Every distinct block pool, in address order. */
  get blockPools(): readonly BlockPool[] {
    return this.#blockPools;
  }

  /** Every distinct contiguous pool. */
  get contiguousPools(): readonly ContiguousPool[] {
    return this.#contiguousPools;
  }

  #state(where: string, memtype: number): MemtypeState {
    const state =
      typeof memtype === 'number' ? (memtype >= 0 && memtype < 256 && Number.isInteger(memtype) ? this.#byId[memtype] : this.#types.get(memtype)) : undefined;
    if (state === undefined) {
      const known = [...this.#types.values()].map((s) => memtypeLabel(s.type)).join(', ');
      throw new VcmError('EINVAL', `${where}: memtype ${typeof memtype === 'number' ? String(memtype) : typeof memtype} is not one of this board's memtypes (${known})`, {
        param: 'memtype',
        value: typeof memtype === 'number' ? memtype : typeof memtype,
        expected: [...this.#types.keys()],
      });
    }
    return state;
  }

  /** The memory type with this id (`EINVAL` when the board has none). */
  memtype(id: number): MemoryType {
    return this.#state('memtype', id).type;
  }

  /**
   * `vcm_phys_alloc(memtype, len, attr)`. `len` is rounded up to whole 4 KiB
   * pages. Without `VCM_PHYS_CONT`: max munch over the memtype's pools with
   * the sizes the page-selection bits and the alignment field allow. With
   * it: one extent of the contiguous pool aligned to max(alignment, 4 KiB).
   * All or nothing: `ENOMEM` names the pools that ran dry and the bytes
   * missing, and changes nothing.
   */
  allocate(memtype: number, len: number, attr = 0): PhysAllocation {
    const state = this.#state('allocate', memtype);
    // Physical addresses are 40-bit (LPAE's output size): no allocation can be longer than 1 TiB.
    if (typeof len !== 'number' || !Number.isSafeInteger(len) || len <= 0 || len > MAX_ALLOCATION) {
      throw new VcmError('EINVAL', `allocate: len must be a positive integer number of bytes up to 1 TiB (rounded up to 4 KiB pages), got ${typeof len === 'number' ? String(len) : typeof len}`, {
        param: 'len',
        value: typeof len === 'number' ? len : typeof len,
        expected: 'a positive safe integer up to 2^40',
      });
    }
    if (typeof attr !== 'number' || attr >>> 0 !== attr || (attr & ~PHYS_ATTR_BITS) !== 0) checkAttr('allocate', 'attr', attr, PHYS_ATTR_BITS);
    const bytes = Math.ceil(len / SZ_4K) * SZ_4K;
    if ((attr & VCM_PHYS_CONT) !== 0) return this.#allocateContiguous(state, bytes, attr);

    const mask = allowedSizeClasses(attr) & state.classMask;
    const type = state.type;
    if (mask === 0) {
      const asked = describeSizeClasses(allowedSizeClasses(attr));
      throw new VcmError(
        'ENOMEM',
        `allocate: memtype ${memtypeLabel(type)} has no block pool of the sizes this attr allows (${asked}; alignment ${formatSize(physAlignBytes(attr))}); its pools have ${describeSizeClasses(state.classMask)} blocks`,
        { memtype: type.id, len: bytes, attr, missing: bytes, dryPools: [] },
      );
    }
    const pools = state.pools;
    const counts = state.counts;
    const missing = planMaxMunch(pools, state.classes, mask, bytes, counts);
    if (missing !== 0) {
      const dry: string[] = [];
      for (let i = 0; i < pools.length; i++) {
        if ((state.classes[i]! & mask) !== 0 && pools[i]!.freeBlocks === counts[i]) dry.push(pools[i]!.name);
      }
      throw new VcmError(
        'ENOMEM',
        `allocate: memtype ${memtypeLabel(type)} cannot supply ${formatSize(bytes)}: ${formatSize(missing)} (${missing} bytes) missing after ${dry.length === 1 ? 'pool' : 'pools'} ${dry.join(', ')} ran dry`,
        { memtype: type.id, len: bytes, attr, missing, dryPools: dry },
      );
    }

    // Commit the plan: nothing below can fail.
    // One block is the commonest answer (a page, a 64 KiB or 1 MiB buffer):
    // build it without growing arrays.
    let first = 0;
    while (counts[first] === 0) first++;
    if (counts[first] === 1) {
      let rest = 0;
      for (let j = first + 1; j < pools.length; j++) rest += counts[j]!;
      if (rest === 0) {
        const pool = pools[first]!;
        const size = pool.blockSize;
        const pa = pool.allocate();
        state.allocations++;
        state.allocatedBytes += size;
        return new Allocation(this, type.id, size, attr, [{ pa, len: size, blockSize: size }], true, [pool], [(pa - pool.base) / size]);
      }
    }
    const chunks: PhysChunk[] = [];
    const sources: ChunkSource[] = [];
    const keys: number[] = [];
    let contiguous = true;
    let next = -1;
    let total = 0;
    for (let i = 0; i < pools.length; i++) {
      const take = counts[i]!;
      if (take === 0) continue;
      const pool = pools[i]!;
      const size = pool.blockSize;
      for (let k = 0; k < take; k++) {
        const pa = pool.allocate();
        if (next >= 0 && pa !== next) contiguous = false;
        next = pa + size;
        total += size;
        chunks.push({ pa, len: size, blockSize: size });
        sources.push(pool);
        keys.push((pa - pool.base) / size);
      }
    }
    // `len` is what was allocated: the request plus any final rounding up.
    state.allocations++;
    state.allocatedBytes += total;
    return new Allocation(this, type.id, total, attr, chunks, contiguous, sources, keys);
  }

  #allocateContiguous(state: MemtypeState, bytes: number, attr: number): PhysAllocation {
    const type = state.type;
    const pool = type.contiguous;
    if (pool === undefined) {
      throw new VcmError('ENOMEM', `allocate: memtype ${memtypeLabel(type)} has no contiguous pool, so VCM_PHYS_CONT cannot be served; use a memtype with one or drop VCM_PHYS_CONT`, {
        memtype: type.id,
        len: bytes,
        attr,
        missing: bytes,
        dryPools: [],
      });
    }
    const align = physAlignBytes(attr);
    let pa: number;
    try {
      pa = pool.allocate(bytes, align);
    } catch (e) {
      if (!isVcmError(e, 'ENOMEM')) throw e;
      throw new VcmError('ENOMEM', `allocate: memtype ${memtypeLabel(type)} with VCM_PHYS_CONT: ${e.message.replace(/^ENOMEM: /, '')}`, {
        memtype: type.id,
        len: bytes,
        attr,
        missing: bytes,
        dryPools: [pool.name],
        largestFree: pool.largestFree(),
      });
    }
    state.allocations++;
    state.allocatedBytes += bytes;
    const chunks: PhysChunk[] = [{ pa, len: bytes, blockSize: bytes }];
    return new Allocation(this, type.id, bytes, attr, chunks, true, [pool], [pa]);
  }

  /** True when `allocation` was made by this allocator and is not yet freed. */
  owns(allocation: unknown): boolean {
    return Allocation.ownerOf(allocation) === this && (allocation as Allocation).live;
  }

  /** `vcm_phys_free`: return every block. A foreign or already-freed allocation is `EINVAL` and changes nothing. */
  free(allocation: PhysAllocation): void {
    const owner = Allocation.ownerOf(allocation);
    if (owner !== this) {
      throw new VcmError(
        'EINVAL',
        owner === undefined
          ? `free: allocation is not a physical allocation made by PhysAllocator.allocate (got ${allocation === null ? 'null' : typeof allocation})`
          : 'free: allocation was made by another PhysAllocator (another simulated system)',
        { param: 'allocation' },
      );
    }
    const a = allocation as Allocation;
    if (!a.live) {
      throw new VcmError('EINVAL', `free: allocation of ${formatSize(a.len)} at ${hex(a.chunks[0]?.pa ?? 0)} (memtype ${a.memtype}) is already freed (double free)`, {
        param: 'allocation',
        memtype: a.memtype,
        len: a.len,
      });
    }
    if (!a.release(RELEASE)) {
      throw new VcmError('EINVAL', `free: the blocks of this allocation (${formatSize(a.len)} at ${hex(a.chunks[0]?.pa ?? 0)}) were returned to their pools behind the allocator's back; nothing was freed`, {
        param: 'allocation',
        memtype: a.memtype,
        len: a.len,
      });
    }
    const state = this.#types.get(a.memtype)!;
    state.allocations--;
    state.allocatedBytes -= a.len;
  }

  /** `vcm_get_cont_memtype_pa/len`: the memtype's contiguous pool, or undefined when it has none. */
  contiguousRegion(memtype: number): ContiguousRegion | undefined {
    const pool = this.#state('contiguousRegion', memtype).type.contiguous;
    return pool === undefined ? undefined : { pa: pool.base, len: pool.size };
  }

  /** `size` and `align` of table memory: powers of two from 1 KiB to 16 KiB. */
  #checkTableArgs(where: string, size: number, align: number): void {
    if (!TABLE_SIZES.includes(size)) {
      throw new VcmError('EINVAL', `${where}: size must be a power of two from 1 KiB to 16 KiB, got ${typeof size === 'number' ? String(size) : typeof size}`, {
        param: 'size',
        value: typeof size === 'number' ? size : typeof size,
        expected: TABLE_SIZES,
      });
    }
    if (!TABLE_SIZES.includes(align)) {
      throw new VcmError('EINVAL', `${where}: align must be a power of two from 1 KiB to 16 KiB, got ${typeof align === 'number' ? String(align) : typeof align}`, {
        param: 'align',
        value: typeof align === 'number' ? align : typeof align,
        expected: TABLE_SIZES,
      });
    }
  }

  /**
   * Page-table memory: `size` bytes aligned to `align`, both powers of two
   * from 1 KiB to 16 KiB (ARMv7 short: a 16 KiB level-1 table aligned to
   * 16 KiB, 1 KiB level-2 tables aligned to 1 KiB; LPAE: 4 KiB tables).
   * Zero-filled: an all-zero descriptor is invalid in both formats, so a
   * fresh table translates nothing.
   */
  allocateTable(size: number, align: number): number {
    this.#checkTableArgs('allocateTable', size, align);
    let pa: number;
    try {
      pa = this.tablePool.allocate(size, align);
    } catch (e) {
      if (!isVcmError(e, 'ENOMEM')) throw e;
      throw new VcmError('ENOMEM', `allocateTable: the page-table region ${hex(this.tablePool.base)}-${hex(this.tablePool.end - 1)} has no ${formatSize(size)} aligned to ${formatSize(align)} left (${formatSize(this.tablePool.freeBytes)} free)`, {
        size,
        align,
        missing: size,
        dryPools: [this.tablePool.name],
      });
    }
    this.memory.fill(pa, size, 0);
    return pa;
  }

  /**
   * `count` tables of `size` bytes aligned to `align`, at exactly the
   * addresses `count` calls of `allocateTable(size, align)` would give, in
   * that order; all or nothing (`ENOMEM` with nothing taken). One call for
   * the hundreds of tables a bulk map needs: the pool finds runs of free
   * tables in one descent, and adjacent tables are zero-filled as one range
   * (docs/performance.md#bulk-mapping).
   */
  allocateTables(size: number, align: number, count: number): number[] {
    this.#checkTableArgs('allocateTables', size, align);
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw new VcmError('EINVAL', `allocateTables: count must be a non-negative integer (how many tables), got ${typeof count === 'number' ? String(count) : typeof count}`, {
        param: 'count',
        value: typeof count === 'number' ? count : typeof count,
      });
    }
    let got: number[];
    try {
      got = this.tablePool.allocateMany(size, align, count);
    } catch (e) {
      if (!isVcmError(e, 'ENOMEM')) throw e;
      throw new VcmError('ENOMEM', `allocateTables: the page-table region ${hex(this.tablePool.base)}-${hex(this.tablePool.end - 1)} has no ${count} × ${formatSize(size)} aligned to ${formatSize(align)} left (${formatSize(this.tablePool.freeBytes)} free)`, {
        size,
        align,
        count,
        missing: Math.max(size, count * size - this.tablePool.freeBytes),
        dryPools: [this.tablePool.name],
      });
    }
    // Zero-fill each run of adjacent tables with one call.
    for (let i = 0; i < got.length; ) {
      const start = got[i] as number;
      let j = i + 1;
      while (j < got.length && got[j] === start + (j - i) * size) j++;
      this.memory.fill(start, (j - i) * size, 0);
      i = j;
    }
    return got;
  }

  /** Return table memory; anything not obtained from `allocateTable` (or a wrong size) is `EINVAL`. */
  freeTable(pa: number, size: number): void {
    // Only an address is looked up, so anything else gets freeTable's own message rather than the pool's.
    const live = Number.isSafeInteger(pa) && pa >= 0 && pa < MAX_PHYS_ADDR ? this.tablePool.allocationAt(pa) : undefined;
    if (live === undefined) {
      throw new VcmError('EINVAL', `freeTable: ${typeof pa === 'number' ? hex(pa) : typeof pa} is not table memory from allocateTable (or was already freed)`, {
        param: 'pa',
        value: typeof pa === 'number' ? pa : typeof pa,
      });
    }
    if (size !== live) {
      throw new VcmError('EINVAL', `freeTable: the table at ${hex(pa)} is ${formatSize(live)}, not ${typeof size === 'number' ? String(size) : typeof size} bytes`, {
        param: 'size',
        value: typeof size === 'number' ? size : typeof size,
        expected: live,
      });
    }
    this.tablePool.free(pa, size);
  }

  /** Plain JSON, stable key order: per pool, per memtype, contiguous pools, table region, host bytes. */
  stats(): PhysAllocatorStats {
    const memtypes: MemtypeStats[] = [];
    for (const s of this.#types.values()) {
      let freeBytes = 0;
      let totalBytes = 0;
      for (const p of s.pools) {
        freeBytes += p.freeBlocks * p.blockSize;
        totalBytes += p.count * p.blockSize;
      }
      memtypes.push({
        id: s.type.id,
        name: s.type.name,
        pools: s.pools.map((p) => p.name),
        contiguous: s.type.contiguous?.name ?? null,
        freeBytes,
        totalBytes,
        allocations: s.allocations,
        allocatedBytes: s.allocatedBytes,
      });
    }
    const host = (this.memory as { hostBytes?: () => number }).hostBytes;
    return {
      pools: this.#blockPools.map((p) => p.stats()),
      contiguousPools: this.#contiguousPools.map((p) => p.stats()),
      memtypes,
      tables: this.tablePool.stats(),
      hostBytes: typeof host === 'function' ? host.call(this.memory) : 0,
    };
  }

  toJSON(): PhysAllocatorStats {
    return this.stats();
  }
}
