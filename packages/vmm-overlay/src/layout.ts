/**
 * The 32-bit ARM Linux-like virtual memory layout of the simulated VMM
 * (the seed's "light overlay on the existing VMM"):
 *
 *   0x0000_0000 ┬ the zero page is never mapped (NULL dereferences fault)
 *   0x0000_1000 ┼ user mmap area: where VCM_PREBUILT_USER reservations go
 *   0xbf00_0000 ┼ (Linux puts modules here; we leave it unmapped)
 *   0xc000_0000 ┼ PAGE_OFFSET: the kernel linear map of kernel-managed RAM
 *               │   (1 MiB sections, cacheable write-back write-allocate)
 *   linear end  ┼ 8 MiB guard (Linux's VMALLOC_OFFSET)
 *   +8 MiB      ┼ vmalloc area: where VCM_PREBUILT_KERNEL reservations go
 *   0xff00_0000 ┴ VMALLOC_END (above: vectors, fixmap — not modelled)
 *
 * Memory reserved for the VCM pools (carve-outs) is not kernel-managed RAM
 * and so is not in the linear map: it has no cacheable CPU alias, which is
 * why docs/rules.md#aliasing lets any cache policy map it.
 */
import { VcmError, SZ_1M, SZ_4K, SZ_8M, hex, checkAligned, checkLength } from '@vcm/core';
import type { PhysicalMemory } from '@vcm/core';

/** Linux's PAGE_OFFSET for the 3G/1G split. */
export const PAGE_OFFSET = 0xc000_0000;
/** Linux's VMALLOC_OFFSET: the hole between the linear map and vmalloc that catches overruns. */
export const VMALLOC_OFFSET = SZ_8M;
/** Linux's VMALLOC_END on ARM. */
export const VMALLOC_END = 0xff00_0000;
/** Lowest user address: page 0 stays unmapped so NULL faults. */
export const USER_MMAP_START = SZ_4K;
/** End of the user mmap area (Linux's MODULES_VADDR = PAGE_OFFSET − 16 MiB). */
export const USER_MMAP_END = 0xbf00_0000;
/** The least vmalloc space the layout leaves above the linear map (Linux's VMALLOC_MIN idea: 16 MiB). */
export const VMALLOC_MIN = 16 * SZ_1M;
/** One guard page after every vmalloc area, as Linux's `get_vm_area` adds. */
export const VMALLOC_GUARD = SZ_4K;

/** A physical range of RAM that the kernel manages (lowmem). */
export interface KernelRamRange {
  readonly base: number;
  readonly size: number;
}

/** One piece of the linear map: [va, va + size) → [pa, pa + size). */
export interface LinearMapRange {
  readonly va: number;
  readonly pa: number;
  readonly size: number;
}

/** The layout a `Vmm` computed from its kernel RAM. */
export interface VmmLayout {
  readonly pageOffset: number;
  readonly linearMap: readonly LinearMapRange[];
  /** First address past the highest linear-map byte (Linux's `high_memory`). */
  readonly linearMapEnd: number;
  readonly vmallocStart: number;
  readonly vmallocEnd: number;
  readonly userStart: number;
  readonly userEnd: number;
}

/**
 * Place each kernel RAM range at PAGE_OFFSET + (pa − lowest kernel RAM base),
 * as ARM Linux's `__va()` does, and put the vmalloc area 8 MiB above the end.
 * Ranges must be 1 MiB aligned (the linear map is written as sections), lie
 * in RAM, and not overlap.
 */
export function computeLayout(memory: PhysicalMemory, kernelRam: readonly KernelRamRange[]): VmmLayout {
  const where = 'new Vmm';
  // Checked through an `unknown` alias: Array.isArray would narrow the readonly list to any[] below.
  const list: unknown = kernelRam;
  if (!Array.isArray(list) || kernelRam.length === 0) {
    throw new VcmError('EINVAL', `${where}: kernelRam must list at least one { base, size } range of kernel-managed RAM`, {
      param: 'kernelRam',
    });
  }
  const sorted = kernelRam
    .map((r, i) => {
      checkAligned(where, `kernelRam[${i}].base`, r.base, SZ_1M, 0xffff_ffff);
      checkLength(where, `kernelRam[${i}].size`, r.size, SZ_1M, 0x4000_0000);
      if (!memory.contains(r.base, r.size)) {
        throw new VcmError('EINVAL', `${where}: kernelRam[${i}] ${hex(r.base)}-${hex(r.base + r.size - 1)} is not inside one RAM bank`, {
          param: `kernelRam[${i}]`,
          base: r.base,
          size: r.size,
          banks: memory.banks.map((b) => ({ name: b.name, base: b.base, size: b.size })),
        });
      }
      return { base: r.base, size: r.size };
    })
    .sort((a, b) => a.base - b.base);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as KernelRamRange;
    const cur = sorted[i] as KernelRamRange;
    if (prev.base + prev.size > cur.base) {
      throw new VcmError('EINVAL', `${where}: kernelRam ranges ${hex(prev.base)} and ${hex(cur.base)} overlap`, {
        param: 'kernelRam',
      });
    }
  }
  const first = (sorted[0] as KernelRamRange).base;
  const linearMap = sorted.map((r) => ({ va: PAGE_OFFSET + (r.base - first), pa: r.base, size: r.size }));
  const last = linearMap[linearMap.length - 1] as LinearMapRange;
  const linearMapEnd = last.va + last.size;
  const vmallocStart = linearMapEnd + VMALLOC_OFFSET;
  // Leave at least 16 MiB of vmalloc space, as Linux insists on (VMALLOC_MIN).
  if (vmallocStart + VMALLOC_MIN > VMALLOC_END) {
    throw new VcmError(
      'EINVAL',
      `${where}: kernelRam spans ${hex(linearMapEnd - PAGE_OFFSET)} bytes from ${hex(first)}: the linear map would end at ${hex(linearMapEnd)}, leaving no vmalloc area below ${hex(VMALLOC_END)} (at most ${hex(VMALLOC_END - VMALLOC_MIN - VMALLOC_OFFSET - PAGE_OFFSET)} bytes of lowmem)`,
      { param: 'kernelRam', linearMapEnd },
    );
  }
  return {
    pageOffset: PAGE_OFFSET,
    linearMap,
    linearMapEnd,
    vmallocStart,
    vmallocEnd: VMALLOC_END,
    userStart: USER_MMAP_START,
    userEnd: USER_MMAP_END,
  };
}
