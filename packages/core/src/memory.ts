/**
 * The physical side of the graph, as interfaces that `@vcm/physalloc`
 * implements: simulated RAM (`PhysicalMemory`) and the allocator of memory
 * targets (`PhysicalAllocator`). Core never knows how either works.
 */

/** A named range of the physical address space that holds RAM. */
export interface MemoryBank {
  readonly name: string;
  readonly base: number;
  readonly size: number;
}

/**
 * Byte-addressable physical memory. Untouched RAM reads zero; any access
 * outside a bank, or straddling a bank's end, throws `VcmError` `EFAULT`
 * naming the address (a bus error, not a silent zero).
 */
export interface PhysicalMemory {
  readonly banks: readonly MemoryBank[];
  /** Copy `len` bytes at `pa` out of RAM. */
  read(pa: number, len: number): Uint8Array;
  /**
   * Optional: `read` into the caller's buffer — copy `out.length` bytes at
   * `pa` into `out` and return `out`, allocating nothing. Readers of
   * transfers (the CPU, device DMA) use it when the RAM has it (`@vcm/physalloc`'s
   * does), and `read` and a second copy when it does not.
   */
  readInto?(pa: number, out: Uint8Array): Uint8Array;
  /** Copy `bytes` into RAM at `pa`. */
  write(pa: number, bytes: Uint8Array): void;
  /** Little-endian 32-bit load; `pa` 4-byte aligned. */
  readU32(pa: number): number;
  /** Little-endian 32-bit store; `pa` 4-byte aligned; `value` taken modulo 2^32. */
  writeU32(pa: number, value: number): void;
  /** Set `len` bytes at `pa` to `value`. */
  fill(pa: number, len: number, value: number): void;
  /** Copy `len` bytes from `srcPa` to `dstPa` (overlap-safe). */
  copy(dstPa: number, srcPa: number, len: number): void;
  /**
   * The fast path for callers that touch many words of one page (page-table
   * writers): a live `Uint32Array` view of the whole 4 KiB page holding `pa`
   * (1024 little-endian words, index = (pa & 0xfff) >> 2). Writes through the
   * view are writes to RAM. Throws `EFAULT` outside RAM.
   */
  pageWords(pa: number): Uint32Array;
  /** True when [pa, pa+len) lies inside one bank. */
  contains(pa: number, len: number): boolean;
}

/** One physically contiguous piece of an allocation, in allocation order. */
export interface PhysChunk {
  readonly pa: number;
  readonly len: number;
  /** The block size of the pool it came from (equal to `len`); for a `VCM_PHYS_CONT` allocation, the extent's length. */
  readonly blockSize: number;
}

/** What the allocator hands out; core wraps it in a `Physmem`. */
export interface PhysAllocation {
  readonly memtype: number;
  /** Allocated bytes: the request rounded up as the allocator did it. */
  readonly len: number;
  readonly attr: number;
  readonly chunks: readonly PhysChunk[];
  /** True when the chunks form one physically contiguous range. */
  readonly contiguous: boolean;
}

/** The physical range of a memtype's (first) contiguous region. */
export interface ContiguousRegion {
  readonly pa: number;
  readonly len: number;
}

/**
 * Allocation of physical memory by memory target (memtype), plus the
 * aligned table memory that page-table formats need.
 */
export interface PhysicalAllocator {
  /** The memtypes this board defines (`VCM_MEMTYPE_0` …). */
  readonly memtypes: readonly number[];
  /**
   * `vcm_phys_alloc`: max munch over the memtype's pools honouring the
   * page-selection bits, `VCM_PHYS_CONT` and the alignment field. All or
   * nothing: `ENOMEM` (naming the dry pools and the shortfall) leaves every
   * pool as it was; a bad memtype or length is `EINVAL`.
   */
  allocate(memtype: number, len: number, attr: number): PhysAllocation;
  /** Return an allocation's blocks. Freeing one twice is `EINVAL`. */
  free(allocation: PhysAllocation): void;
  /** `vcm_get_cont_memtype_pa/len`: the memtype's contiguous region, if it has one. */
  contiguousRegion(memtype: number): ContiguousRegion | undefined;
  /** Page-table memory: `size` bytes aligned to `align` (16 KiB/16 KiB, 1 KiB/1 KiB, 4 KiB/4 KiB …), zero-filled. */
  allocateTable(size: number, align: number): number;
  /** Return table memory obtained from `allocateTable`. */
  freeTable(pa: number, size: number): void;
}
