/**
 * The prebuilt VCMs (`vcm_create_from_prebuilt`, seed 000: "ext_vcm_id is
 * used to pass a request to the VMM to generate a VCM instance"):
 * `VCM_PREBUILT_KERNEL` is the kernel's vmalloc area over the kernel's
 * page table, `VCM_PREBUILT_USER` the current process's mmap area over
 * its own table. Reservations are placed by the VMM's own allocator (the
 * seed's `alloc_vm_area()`); core maps backed reservations into `space`.
 *
 * The provider is also the alias source of docs/rules.md#aliasing: memory
 * from kernel-managed RAM already has a cacheable mapping in the linear
 * map, which core must not contradict with another cache policy.
 */
import { VcmError, VCM_PREBUILT_KERNEL, VCM_PREBUILT_USER, VCM_WB_WA, checkLength, formatSize, hex } from '@vcm/core';
import type { AliasSource, MappingAlias, MappingDriver, PrebuiltProvider, PrebuiltVcm } from '@vcm/core';
import type { RangeAllocator } from '@vcm/core';
import { CpuAddressSpace } from './cpu-address-space.js';
import type { CpuPageTable } from './cpu-address-space.js';
import type { CpuDriver } from './cpu-driver.js';
import type { VmmLayout } from './layout.js';
import { VMALLOC_GUARD } from './layout.js';
import type { Process } from './process.js';

/** One VCM over a VMM page table. */
export class CpuPrebuiltVcm implements PrebuiltVcm {
  readonly type: 'ext-kernel' | 'ext-user';
  readonly startAddr: number;
  readonly len: number;
  readonly driver: CpuDriver;
  readonly space: CpuAddressSpace;
  /** The process of a user VCM. */
  readonly process: Process | undefined;
  private readonly allocator: RangeAllocator;
  /** Bytes of unmapped guard after each placement (one page in vmalloc, as Linux's get_vm_area). */
  private readonly guard: number;
  private revoke_: (() => void) | undefined;
  private disposed = false;

  constructor(
    type: 'ext-kernel' | 'ext-user',
    owner: CpuPageTable,
    allocator: RangeAllocator,
    driver: CpuDriver,
    guard: number,
    process: Process | undefined,
  ) {
    this.type = type;
    this.startAddr = allocator.start;
    this.len = allocator.len;
    this.driver = driver;
    this.allocator = allocator;
    this.guard = guard;
    this.process = process;
    this.space = new CpuAddressSpace(owner, this.startAddr, this.len);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The teardown core handed over (`onRevoke`), if it did. */
  get revoke(): (() => void) | undefined {
    return this.revoke_;
  }

  place(len: number, align: number): number {
    const where = `${this.type} VCM place`;
    this.live(where);
    checkLength(where, 'len', len);
    if (!Number.isSafeInteger(align) || align < 4096 || (align & (align - 1)) !== 0) {
      throw new VcmError('EINVAL', `${where}: align must be a power of two of at least 4 KiB, got ${String(align)}`, {
        param: 'align',
        value: align,
      });
    }
    if (this.process !== undefined && !this.process.isAlive) {
      throw new VcmError('ENODEV', `${where}: ${this.process.label} has exited`, { pid: this.process.pid });
    }
    const va = this.allocator.allocate(len + this.guard, align);
    if (va === undefined) {
      throw new VcmError(
        'ENOMEM',
        `${where}: no ${formatSize(len)} range aligned to ${formatSize(align)} free in ${this.areaName} [${hex(this.startAddr)}, ${hex(this.startAddr + this.len)}) (largest free extent ${formatSize(this.allocator.largestFreeExtent)}, ${formatSize(this.allocator.freeBytes)} free)`,
        { len, align, largestFree: this.allocator.largestFreeExtent, freeBytes: this.allocator.freeBytes },
      );
    }
    return va;
  }

  release(va: number, len: number): void {
    const where = `${this.type} VCM release`;
    try {
      this.allocator.free(va, len + this.guard);
    } catch (e) {
      throw new VcmError('EINVAL', `${where}: [${hex(va)}, +${formatSize(len)}) was not placed in ${this.areaName}: ${(e as Error).message}`, {
        va,
        len,
      });
    }
  }

  dispose(): void {
    this.disposed = true;
    this.space.destroy();
    this.process?._forgetVcm(this);
  }

  onRevoke(revoke: () => void): void {
    this.revoke_ = revoke;
  }

  /** The process is going away: tear the VCM down through core, or — if core gave no revoke — stop placing. */
  revokeNow(): void {
    const revoke = this.revoke_;
    this.revoke_ = undefined;
    if (revoke !== undefined && !this.disposed) revoke();
  }

  toJSON(): unknown {
    return { type: this.type, startAddr: this.startAddr, len: this.len, pgtblPa: this.space.pgtblPa ?? null, disposed: this.disposed };
  }

  private get areaName(): string {
    return this.type === 'ext-kernel' ? 'the vmalloc area' : `the mmap area of ${this.process?.label ?? 'the process'}`;
  }

  private live(where: string): void {
    if (this.disposed) throw new VcmError('EINVAL', `${where}: this ${this.type} VCM has been freed`, {});
  }
}

/** What the provider needs from the VMM. */
export interface PrebuiltHost {
  readonly layout: VmmLayout;
  readonly driver: CpuDriver;
  readonly kernelTable: CpuPageTable;
  readonly vmalloc: RangeAllocator;
  currentProcess(): Process | undefined;
}

/** `vmm.prebuilt`: what `new Vcmm({ prebuilt })` takes. */
export class VmmPrebuiltProvider implements PrebuiltProvider, AliasSource {
  private readonly host: PrebuiltHost;
  /** The CPU's driver: a `Vcmm` given this provider accepts this VMM's CPU as its device. */
  readonly drivers: readonly MappingDriver[];

  constructor(host: PrebuiltHost) {
    this.host = host;
    this.drivers = Object.freeze([host.driver]);
  }

  create(extVcmId: number): CpuPrebuiltVcm {
    const where = 'vmm.prebuilt.create';
    if (extVcmId === VCM_PREBUILT_KERNEL) {
      return new CpuPrebuiltVcm('ext-kernel', this.host.kernelTable, this.host.vmalloc, this.host.driver, VMALLOC_GUARD, undefined);
    }
    if (extVcmId === VCM_PREBUILT_USER) {
      const p = this.host.currentProcess();
      if (p === undefined) {
        throw new VcmError('EINVAL', `${where}(VCM_PREBUILT_USER): no current process; call vmm.switchTo(process) first`, {
          extVcmId,
        });
      }
      return p._createVcm(this.host.driver);
    }
    throw new VcmError(
      'ENODEV',
      `${where}: ext_vcm_id must be VCM_PREBUILT_KERNEL (${VCM_PREBUILT_KERNEL}) or VCM_PREBUILT_USER (${VCM_PREBUILT_USER}), got ${String(extVcmId)}`,
      { param: 'extVcmId', value: typeof extVcmId === 'number' ? extVcmId : typeof extVcmId },
    );
  }

  /**
   * The linear-map aliases of [pa, pa + len): the kernel maps all of its RAM
   * cacheable (write-back, write-allocate), so a non-cached mapping of any
   * of it would be a second mapping with another memory type — the ARMv6/v7
   * attribute-aliasing rule (seed 002; docs/rules.md#aliasing). Carve-out pool
   * memory is outside the linear map and has no alias.
   */
  findAliases(pa: number, len: number): MappingAlias[] {
    const out: MappingAlias[] = [];
    const end = pa + len;
    for (const r of this.host.layout.linearMap) {
      const lo = Math.max(pa, r.pa);
      const hi = Math.min(end, r.pa + r.size);
      if (lo >= hi) continue;
      const va = r.va + (lo - r.pa);
      out.push({
        description: `kernel linear map ${hex(va)}-${hex(va + (hi - lo) - 1)} → ${hex(lo)}`,
        pa: lo,
        len: hi - lo,
        cachePolicy: VCM_WB_WA,
      });
    }
    return out;
  }
}
