/**
 * Every constant of `include/linux/vcm.h` (seed 001), bit-exact, so users
 * can read the C header beside the TypeScript (docs/rules.md#attribute-values).
 * Where the header disagrees with itself, docs/decisions.md says what vcm does;
 * each such place is commented.
 */
import { VcmError } from './errors.js';
import { checkAttr, checkUint } from './validate.js';

// ---- Sizes (linux/sizes.h) ------------------------------------------------
/** `SZ_1K` of Linux include/linux/sizes.h: 1 KiB. */
export const SZ_1K = 0x400;
/** `SZ_2K` of Linux include/linux/sizes.h: 2 KiB. */
export const SZ_2K = 0x800;
/** `SZ_4K` of Linux include/linux/sizes.h: 4 KiB, the small page. */
export const SZ_4K = 0x1000;
/** `SZ_8K` of Linux include/linux/sizes.h: 8 KiB. */
export const SZ_8K = 0x2000;
/** `SZ_16K` of Linux include/linux/sizes.h: 16 KiB, the short-descriptor level-1 table. */
export const SZ_16K = 0x4000;
/** `SZ_32K` of Linux include/linux/sizes.h: 32 KiB. */
export const SZ_32K = 0x8000;
/** `SZ_64K` of Linux include/linux/sizes.h: 64 KiB, the large page. */
export const SZ_64K = 0x10000;
/** `SZ_128K` of Linux include/linux/sizes.h: 128 KiB. */
export const SZ_128K = 0x20000;
/** `SZ_256K` of Linux include/linux/sizes.h: 256 KiB. */
export const SZ_256K = 0x40000;
/** `SZ_512K` of Linux include/linux/sizes.h: 512 KiB. */
export const SZ_512K = 0x80000;
/** `SZ_1M` of Linux include/linux/sizes.h: 1 MiB, the section. */
export const SZ_1M = 0x100000;
/** `SZ_2M` of Linux include/linux/sizes.h: 2 MiB, the LPAE level-2 block. */
export const SZ_2M = 0x200000;
/** `SZ_4M` of Linux include/linux/sizes.h: 4 MiB. */
export const SZ_4M = 0x400000;
/** `SZ_8M` of Linux include/linux/sizes.h: 8 MiB. */
export const SZ_8M = 0x800000;
/** `SZ_16M` of Linux include/linux/sizes.h: 16 MiB, the supersection. */
export const SZ_16M = 0x1000000;
/** `SZ_32M` of Linux include/linux/sizes.h: 32 MiB. */
export const SZ_32M = 0x2000000;
/** `SZ_64M` of Linux include/linux/sizes.h: 64 MiB. */
export const SZ_64M = 0x4000000;
/** `SZ_128M` of Linux include/linux/sizes.h: 128 MiB. */
export const SZ_128M = 0x8000000;
/** `SZ_256M` of Linux include/linux/sizes.h: 256 MiB. */
export const SZ_256M = 0x10000000;
/** `SZ_512M` of Linux include/linux/sizes.h: 512 MiB. */
export const SZ_512M = 0x20000000;
/** `SZ_1G` of Linux include/linux/sizes.h: 1 GiB, the LPAE level-1 block. */
export const SZ_1G = 0x40000000;
/** `SZ_2G` of Linux include/linux/sizes.h: 2 GiB. */
export const SZ_2G = 0x80000000;
/** `SZ_4G` of Linux include/linux/sizes.h: 4 GiB, the 32-bit address space; larger than a 32-bit `size_t`, so it stays exact only because lengths are plain numbers (docs/rules.md#numbers-and-addresses). */
export const SZ_4G = 0x100000000;

/** `vcm_get_min_page_size()`: the architecture's smallest page. */
export const VCM_MIN_PAGE_SIZE = SZ_4K;

// ---- Reservation attributes ----------------------------------------------
/** Caching behaviour, a 4-bit field in bits [3:0]. */
export const VCM_CACHE_POLICY = 0xf << 0;
/** Reservation attribute: devices may read the reservation (docs/attributes.md#access-permissions). */
export const VCM_READ = 1 << 9;
/** Reservation attribute: devices may write the reservation (docs/attributes.md#access-permissions). */
export const VCM_WRITE = 1 << 8;
/** Reservation attribute: the reservation may hold instructions; without it the page tables mark it execute-never (docs/attributes.md#execute-never). */
export const VCM_EXECUTE = 1 << 7;
/** Reservation attribute: the reservation is for user-space (unprivileged) access (docs/attributes.md#access-permissions). */
export const VCM_USER = 1 << 6;
/** Reservation attribute: the reservation is for supervisor (privileged) access (docs/attributes.md#access-permissions). */
export const VCM_SUPERVISOR = 1 << 5;
/** Reservation attribute: the target is secure memory; the header leaves its use "TBD", vcm maps it to the descriptors' NS bit (docs/attributes.md#secure). */
export const VCM_SECURE = 1 << 4;
/** Cache policy 0 in `VCM_CACHE_POLICY`: not cached, the default (docs/decisions.md#the-default-cache-policy-is-vcm_notcached). */
export const VCM_NOTCACHED = 0 << 0;
/** Cache policy 1 in `VCM_CACHE_POLICY`: write-back, write-allocate (docs/attributes.md#cache-policies). */
export const VCM_WB_WA = 1 << 0;
/** Cache policy 2 in `VCM_CACHE_POLICY`: write-back, no write-allocate (docs/attributes.md#cache-policies). */
export const VCM_WB_NWA = 2 << 0;
/** Cache policy 3 in `VCM_CACHE_POLICY`: write-through, no write-allocate (docs/attributes.md#cache-policies). */
export const VCM_WT = 3 << 0;

/** The access bits; a reservation with none of them is read+write (docs/decisions.md#a-reservation-with-no-access-bits-is-readwrite). */
export const VCM_ACCESS_MASK = VCM_READ | VCM_WRITE | VCM_EXECUTE;

// ---- Reservation alignment (order of a power of two in bits [14:10]) -----
/** Bit position of the reservation alignment order, bits [14:10] of a reservation attribute. */
export const VCM_ALIGN_SHIFT = 10;
/** Width mask (5 bits) of the reservation alignment order, before shifting by `VCM_ALIGN_SHIFT`. */
export const VCM_ALIGN_MASK = 0x1f;
/** `VCM_ALIGN_ATTR(order)`: alignment 2^order bytes. */
export function vcmAlignAttr(order: number): number {
  // 12 (4 KiB) to 30 (1 GiB), the orders a reservation may ask for; 0 is VCM_ALIGN_DEFAULT.
  if (order !== 0 && !(Number.isInteger(order) && order >= 12 && order <= 30)) {
    throw new VcmError('EINVAL', `vcmAlignAttr: order must be 0 (VCM_ALIGN_DEFAULT) or 12 (4 KiB) to 30 (1 GiB), got ${String(order)}`, {
      param: 'order',
      value: typeof order === 'number' ? order : typeof order,
      expected: '0 or 12..30',
    });
  }
  return order << VCM_ALIGN_SHIFT;
}
/** The order stored in a reservation attribute, 0 for `VCM_ALIGN_DEFAULT`. */
export function vcmAlignOrder(attr: number): number {
  return (checkAttr('vcmAlignOrder', 'attr', attr) >>> VCM_ALIGN_SHIFT) & VCM_ALIGN_MASK;
}
/** No alignment order: the reservation gets its natural alignment (see `naturalAlignment`). */
export const VCM_ALIGN_DEFAULT = 0;
/** Reservation attribute: align the device address to 4 KiB (order 12). */
export const VCM_ALIGN_4K = vcmAlignAttr(12);
/** Reservation attribute: align the device address to 8 KiB (order 13). */
export const VCM_ALIGN_8K = vcmAlignAttr(13);
/** Reservation attribute: align the device address to 16 KiB (order 14). */
export const VCM_ALIGN_16K = vcmAlignAttr(14);
/** Reservation attribute: align the device address to 32 KiB (order 15). */
export const VCM_ALIGN_32K = vcmAlignAttr(15);
/** Reservation attribute: align the device address to 64 KiB (order 16). */
export const VCM_ALIGN_64K = vcmAlignAttr(16);
/** Reservation attribute: align the device address to 128 KiB (order 17). */
export const VCM_ALIGN_128K = vcmAlignAttr(17);
/** Reservation attribute: align the device address to 256 KiB (order 18). */
export const VCM_ALIGN_256K = vcmAlignAttr(18);
/** Reservation attribute: align the device address to 512 KiB (order 19). */
export const VCM_ALIGN_512K = vcmAlignAttr(19);
/** Reservation attribute: align the device address to 1 MiB (order 20). */
export const VCM_ALIGN_1M = vcmAlignAttr(20);
/** Reservation attribute: align the device address to 2 MiB (order 21). */
export const VCM_ALIGN_2M = vcmAlignAttr(21);
/** Reservation attribute: align the device address to 4 MiB (order 22). */
export const VCM_ALIGN_4M = vcmAlignAttr(22);
/** Reservation attribute: align the device address to 8 MiB (order 23). */
export const VCM_ALIGN_8M = vcmAlignAttr(23);
/** Reservation attribute: align the device address to 16 MiB (order 24). */
export const VCM_ALIGN_16M = vcmAlignAttr(24);
/** Reservation attribute: align the device address to 32 MiB (order 25). */
export const VCM_ALIGN_32M = vcmAlignAttr(25);
/** Reservation attribute: align the device address to 64 MiB (order 26). */
export const VCM_ALIGN_64M = vcmAlignAttr(26);
/** Reservation attribute: align the device address to 128 MiB (order 27). */
export const VCM_ALIGN_128M = vcmAlignAttr(27);
/** Reservation attribute: align the device address to 256 MiB (order 28). */
export const VCM_ALIGN_256M = vcmAlignAttr(28);
/** Reservation attribute: align the device address to 512 MiB (order 29). */
export const VCM_ALIGN_512M = vcmAlignAttr(29);
/** Reservation attribute: align the device address to 1 GiB (order 30). */
export const VCM_ALIGN_1GB = vcmAlignAttr(30);

// ---- Physical allocation attributes --------------------------------------
/** Physical allocation attribute: back with 4 KiB pages. */
export const VCM_4KB = 1 << 5;
/** Physical allocation attribute: back with 64 KiB pages. */
export const VCM_64KB = 1 << 4;
/** Physical allocation attribute: back with 1 MiB pages. */
export const VCM_1MB = 1 << 3;
/** Physical allocation attribute: use every page size the memtype has, largest first (max munch); see docs/decisions.md#physical-allocation-attribute-0 for an attribute with no page-size bit. */
export const VCM_ALL = 1 << 2;
/** The page-size selection bits of a physical allocation attribute: `VCM_4KB | VCM_64KB | VCM_1MB | VCM_ALL`. */
export const VCM_PAGE_SEL_MASK = 0xf << 2;
/** Physical allocation attribute: the allocation must be one physically contiguous run (from the memtype's contiguous pool). */
export const VCM_PHYS_CONT = 1 << 1;
/** Physical allocation attribute: the memory is shared and must be kept coherent. */
export const VCM_COHERENT = 1 << 0;

/**
 * The header uses `VCM_ALIGNMENT_MASK` but never defines it; its macro
 * `ALIGN_REQ_BYTES` reads bits [10:6] as f meaning 2^(f+12) bytes (0 = 4 KB).
 * docs/decisions.md#the-physical-alignment-field takes the macro:
 * `VCM_ALIGNMENT_MASK` = 0x1F << 6.
 */
export const VCM_ALIGNMENT_SHIFT = 6;
/** The physical alignment field, bits [10:6]: value f asks for 2^(f+12) bytes (`ALIGN_REQ_BYTES`). */
export const VCM_ALIGNMENT_MASK = 0x1f << VCM_ALIGNMENT_SHIFT;
/** log2 of 4 KiB: physical alignment field value f means 2^(f + SHIFT_4KB) bytes. */
export const SHIFT_4KB = 12;
/** `ALIGN_REQ_BYTES(attr)`: the physical alignment an attribute asks for, in bytes. */
export function alignReqBytes(attr: number): number {
  return 2 ** (((checkAttr('alignReqBytes', 'attr', attr) & VCM_ALIGNMENT_MASK) >>> VCM_ALIGNMENT_SHIFT) + SHIFT_4KB);
}
/** `SET_ALIGN_REQ_BYTES(attr, align)` with `align` the field value (0 = 4 KB … 28 = 1 TiB, the 40-bit limit). */
export function setAlignReqBytes(attr: number, align: number): number {
  checkAttr('setAlignReqBytes', 'attr', attr);
  checkUint('setAlignReqBytes', 'align (the field value: 0 for 4 KiB to 28 for 1 TiB)', align, 40 - SHIFT_4KB);
  return ((attr & ~VCM_ALIGNMENT_MASK) | (align << VCM_ALIGNMENT_SHIFT)) >>> 0;
}
/** The physical-allocation attribute for an alignment of `bytes`: a power of two from 4 KiB to 1 TiB (the 40-bit limit). */
export function vcmPhysAlignAttr(bytes: number): number {
  checkUint('vcmPhysAlignAttr', 'bytes', bytes, 2 ** 40);
  const order = Math.log2(bytes);
  if (!Number.isInteger(order) || order < SHIFT_4KB) {
    throw new VcmError('EINVAL', `vcmPhysAlignAttr: bytes must be a power of two from 4 KiB to 1 TiB, got ${bytes}`, {
      param: 'bytes',
      value: bytes,
      expected: 'a power of two from 4096 to 2^40',
    });
  }
  return (order - SHIFT_4KB) << VCM_ALIGNMENT_SHIFT;
}

// ---- Association attributes ----------------------------------------------
/**
 * The header's comment calls `VCM_SPLIT` a 5-bit field, its define is one
 * bit. `VCM_SPLIT` is the flag, the split width N lives in bits
 * [8:4] via `vcmSplitAttr(n)`
 * (docs/decisions.md#vcm_split-is-a-flag-and-the-split-width-is-a-field).
 */
export const VCM_SPLIT = 1 << 3;
/** Association attribute: translate through the low base register (TTBR0). */
export const VCM_USE_LOW_BASE = 1 << 2;
/** Association attribute: translate through the high base register (TTBR1). */
export const VCM_USE_HIGH_BASE = 1 << 1;
/** Bit position of the split width N in an association attribute, bits [8:4] (docs/decisions.md#vcm_split-is-a-flag-and-the-split-width-is-a-field). */
export const VCM_SPLIT_SHIFT = 4;
/** The split width field of an association attribute, bits [8:4]. */
export const VCM_SPLIT_MASK = 0x1f << VCM_SPLIT_SHIFT;
/** `VCM_SPLIT` with the split width N (TTBCR.N): addresses whose top N bits are 0 use the low base. */
export function vcmSplitAttr(n: number): number {
  // The field holds 0..31; a driver refuses widths its hardware lacks (the SMMU: N ≤ 7).
  checkUint('vcmSplitAttr', 'n', n, 0x1f);
  return VCM_SPLIT | (n << VCM_SPLIT_SHIFT);
}
/** The split width N of an association attribute (0 when `VCM_SPLIT` is not set). */
export function vcmSplitWidth(attr: number): number {
  const a = checkAttr('vcmSplitWidth', 'attr', attr);
  return a & VCM_SPLIT ? (a & VCM_SPLIT_MASK) >>> VCM_SPLIT_SHIFT : 0;
}

// ---- External (prebuilt) VCMs --------------------------------------------
/** `vcm_create_from_prebuilt` id of the kernel's virtual address space, a VCM whose mapper is the CPU. */
export const VCM_PREBUILT_KERNEL = 1;
/** `vcm_create_from_prebuilt` id of a user process's virtual address space. */
export const VCM_PREBUILT_USER = 2;

// ---- enum memtarget_t ------------------------------------------------------
/** `enum memtarget_t`: `vcm_reserve_at` places the reservation at the start of the VCM. */
export const VCM_START = 0;

// ---- enum memtype_t (boards may define more, numbered on) ----------------
/** `enum memtype_t` 0: no memory type; `vcm_get_memtype_of_physalloc` returns it on error. */
export const VCM_INVALID = 0;
/** `enum memtype_t`: generic memory type 0. A memtype names a board's arrangement of memories that can back a reservation. */
export const VCM_MEMTYPE_0 = 1;
/** `enum memtype_t`: generic memory type 1. */
export const VCM_MEMTYPE_1 = 2;
/** `enum memtype_t`: generic memory type 2. */
export const VCM_MEMTYPE_2 = 3;
/** `enum memtype_t`: memory type 3, one past the header's list; boards may number more types on. */
export const VCM_MEMTYPE_3 = 4;

// ---- enum vcm_type --------------------------------------------------------
/** `enum vcm_type`: a device VCM, whose device addresses vcm allocates itself. */
export const VCM_DEVICE = 0;
/** `enum vcm_type`: the prebuilt kernel VCM; an external allocator (vmalloc) places its reservations. */
export const VCM_EXT_KERNEL = 1;
/** `enum vcm_type`: a prebuilt user VCM, a process's address space. */
export const VCM_EXT_USER = 2;
/** `enum vcm_type`: device address equals physical address ("pass through"), for devices without an IOMMU. */
export const VCM_ONE_TO_ONE = 3;
/** The object API's names for `enum vcm_type`. */
export type VcmType = 'device' | 'ext-kernel' | 'ext-user' | 'one-to-one';

// ---- helpers ----------------------------------------------------------------
/** Addresses and lengths are 40-bit (docs/rules.md#numbers-and-addresses). */
const ADDR_MAX = 2 ** 40;

/** `align` must be a power of two from 1 to 2^40. */
function checkPowerOfTwo(where: string, align: unknown): number {
  const a = checkUint(where, 'align', align, ADDR_MAX);
  if (a === 0 || a !== 2 ** Math.round(Math.log2(a))) {
    throw new VcmError('EINVAL', `${where}: align must be a power of two from 1 to 2^40, got ${a}`, { param: 'align', value: a, expected: 'a power of two' });
  }
  return a;
}
/** Round `n` up to a multiple of the power of two `align`. Exact to 2^40. */
export function alignUp(n: number, align: number): number {
  checkUint('alignUp', 'n', n, ADDR_MAX);
  return Math.ceil(n / checkPowerOfTwo('alignUp', align)) * align;
}
/** Round `n` down to a multiple of the power of two `align`. Exact to 2^40. */
export function alignDown(n: number, align: number): number {
  checkUint('alignDown', 'n', n, ADDR_MAX);
  return Math.floor(n / checkPowerOfTwo('alignDown', align)) * align;
}
/** True when `n` is a multiple of the power of two `align`. Exact to 2^40. */
export function isAligned(n: number, align: number): boolean {
  checkUint('isAligned', 'n', n, ADDR_MAX);
  return n % checkPowerOfTwo('isAligned', align) === 0;
}
/** Natural alignment of a reservation (docs/api.md): 1 MiB for ≥ 1 MiB, 64 KiB for ≥ 64 KiB, else 4 KiB. */
export function naturalAlignment(len: number): number {
  checkUint('naturalAlignment', 'len', len, ADDR_MAX);
  if (len >= SZ_1M) return SZ_1M;
  if (len >= SZ_64K) return SZ_64K;
  return SZ_4K;
}
