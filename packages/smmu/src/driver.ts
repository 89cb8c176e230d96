/**
 * The `@vcm/core` mapping driver for SMMU contexts
 * (docs/architecture.md#packages-and-the-direction-of-imports: core
 * muxes every request through `MappingDriver`, the way Linux's IOMMU core
 * calls `iommu_ops`). SMMU contexts are the devices.
 *
 * - One address space (page table) per VCM and per `spaceKey`: the
 *   context's format (and its RAM). Contexts of the same format share one
 *   table per VCM, on any SMMU that uses this driver instance.
 * - `space.map` is `mapRange` (largest pages the alignment allows) inside
 *   an update bracket; removals invalidate the shared TLB of every SMMU
 *   whose bank has the table live, by address and context id, when the
 *   bracket closes (strict).
 * - `activate` writes the table's address into TTBR0 (default,
 *   `VCM_USE_LOW_BASE`) or TTBR1 (`VCM_USE_HIGH_BASE`) of the context's
 * bank, and TTBCR.N = the split width with `VCM_SPLIT`
 * (docs/hardware.md#the-ttbr-split), binding and activating the virtual context
 * as
 *   needed.
 *
 * Split and table size: tables are always created full size (split 0).
 * With TTBCR.N > 0, TTBR0 walks the full-size table for low addresses only;
 * that is what the hardware does with a larger table whose high part is
 * unused, and `activate` checks that the VCM lies wholly in the half its
 * base translates. The LPAE format accepts the same N ≤ 7, read as a
 * T0SZ/T1SZ-style split of the 32-bit input space.
 */
import {
  VCM_SPLIT,
  VCM_USE_HIGH_BASE,
  VCM_USE_LOW_BASE,
  VcmError,
  checkUint,
  hex,
  vcmSplitWidth,
} from '@vcm/core';
import type {
  Activation,
  AddressSpace,
  Device,
  FaultHandler,
  MappingDriver,
  PhysicalMemory,
  VcmDescriptor,
  VcmType,
} from '@vcm/core';
import { SmmuContext } from './context.js';
import { protOfAttr } from './prot.js';
import { TranslationTable } from './translation-table.js';

/** The widest split the short-descriptor TTBCR.N field holds (docs/hardware.md#the-ttbr-split: N in 0..7). */
export const MAX_SPLIT = 7;

/** A VCM's page table for contexts of one format. */
export class SmmuAddressSpace implements AddressSpace {
  constructor(
    readonly table: TranslationTable,
    readonly vcm: VcmDescriptor,
    readonly driver: SmmuDriver,
  ) {}

  get pgtblPa(): number {
    return this.table.rootPa;
  }

  updateStart(): void {
    this.table.updateStart();
  }

  updateDone(): void {
    this.table.updateDone(`smmu space of VCM ${this.vcm.id} updateDone`);
  }

  map(va: number, pa: number, len: number, attr: number): void {
    // Outside a bracket the map is its own bracket (docs/hardware.md#the-smmu).
    this.table.updateStart();
    try {
      this.table.mapRange(va, pa, len, protOfAttr(attr));
    } finally {
      this.table.updateDone('smmu space map');
    }
  }

  unmap(va: number, len: number): void {
    this.table.updateStart();
    try {
      this.table.unmapRange(va, len);
    } finally {
      this.table.updateDone('smmu space unmap');
    }
  }

  /** A pure walk of the table (no TLB, no counters). */
  translate(va: number): number | undefined {
    return this.table.table.walk(va)?.pa;
  }

  destroy(): void {
    this.table.destroy();
  }

  toJSON(): { format: string; rootPa: number; tableBytes: number; liveOn: string[] } {
    return {
      format: this.table.format.name,
      rootPa: this.table.rootPa,
      tableBytes: this.table.isDestroyed ? 0 : this.table.table.tableBytes,
      liveOn: [...this.table.users].map((b) => `${b.smmu.name}/bank${b.index}`),
    };
  }
}

function asContext(where: string, dev: Device): SmmuContext {
  if (!(dev instanceof SmmuContext)) {
    throw new VcmError('EINVAL', `${where}: device ${String((dev as { name?: unknown } | null)?.name)} is not an SMMU context`, {
      param: 'dev',
      expected: 'an SmmuContext',
    });
  }
  return dev;
}

export class SmmuDriver implements MappingDriver {
  readonly name = 'smmu';
  readonly vcmTypes: readonly VcmType[] = ['device'];
  private readonly memoryIds = new WeakMap<PhysicalMemory, number>();
  private nextMemoryId = 0;

  /** The format's name; a second RAM (another simulated system) gets its own key. */
  spaceKey(dev: Device): string {
    const ctx = asContext('smmu spaceKey', dev);
    const smmu = ctx.bank?.smmu ?? ctx.smmu;
    let id = this.memoryIds.get(smmu.memory);
    if (id === undefined) {
      id = this.nextMemoryId++;
      this.memoryIds.set(smmu.memory, id);
    }
    return id === 0 ? smmu.format.name : `${smmu.format.name}@memory${id}`;
  }

  createAddressSpace(vcm: VcmDescriptor, dev: Device): AddressSpace {
    const ctx = asContext('smmu createAddressSpace', dev);
    const smmu = ctx.bank?.smmu ?? ctx.smmu;
    return new SmmuAddressSpace(new TranslationTable(smmu.format.create(smmu.memory, smmu.tableAllocator), smmu.memory), vcm, this);
  }

  /**
   * `VCM_USE_LOW_BASE` and `VCM_USE_HIGH_BASE` together, a split wider than
   * 7, or the high base without a split (TTBR1 would never be walked) are
   * `EINVAL`.
   */
  checkAssocAttr(dev: Device, attr: number): void {
    const ctx = asContext('smmu checkAssocAttr', dev);
    const where = `vcm_assoc ${ctx.name}`;
    if (attr & VCM_USE_LOW_BASE && attr & VCM_USE_HIGH_BASE) {
      throw new VcmError('EINVAL', `${where}: attr sets both VCM_USE_LOW_BASE and VCM_USE_HIGH_BASE; choose one base`, { param: 'attr', value: attr, expected: 'one base' });
    }
    const n = vcmSplitWidth(attr);
    if (n > MAX_SPLIT) {
      throw new VcmError('EINVAL', `${where}: split width ${n} exceeds TTBCR.N's range 0..${MAX_SPLIT}`, { param: 'attr', value: attr, expected: `vcmSplitAttr(0..${MAX_SPLIT})` });
    }
    if (attr & VCM_USE_HIGH_BASE && (!(attr & VCM_SPLIT) || n === 0)) {
      throw new VcmError('EINVAL', `${where}: VCM_USE_HIGH_BASE needs a split (vcmSplitAttr(n), n ≥ 1): with N = 0 TTBR1 translates nothing`, {
        param: 'attr',
        value: attr,
        expected: 'vcmSplitAttr(n) | VCM_USE_HIGH_BASE, 1 ≤ n ≤ 7',
      });
    }
  }

  activate(dev: Device, activation: Activation): void {
    const ctx = asContext('smmu activate', dev);
    const where = `vcm_activate ${ctx.name}`;
    const { vcm, space, attr } = activation;
    const which = attr & VCM_USE_HIGH_BASE ? 1 : 0;
    const n = vcmSplitWidth(attr);
    if (!(space instanceof SmmuAddressSpace) || space.driver !== this) {
      throw new VcmError('EINVAL', `${where}: the address space was not made by this SMMU driver`, { param: 'space', expected: 'an SmmuAddressSpace of this driver' });
    }
    const smmu = ctx.bank?.smmu ?? ctx.smmu;
    if (space.table.format !== smmu.format) {
      throw new VcmError('EINVAL', `${where}: the VCM's table is ${space.table.format.name}, the context walks ${smmu.format.name}`, { param: 'space', expected: smmu.format.name });
    }
    if (n > 0) {
      const boundary = 2 ** (32 - n);
      const end = vcm.startAddr + vcm.len;
      if (which === 0 && end > boundary) {
        throw new VcmError('EINVAL', `${where}: with TTBCR.N = ${n} TTBR0 translates [0, ${hex(boundary)}), but the VCM spans [${hex(vcm.startAddr)}, ${hex(end)})`, {
          param: 'attr',
          value: attr,
          expected: `a VCM below ${hex(boundary)}`,
        });
      }
      if (which === 1 && vcm.startAddr < boundary) {
        throw new VcmError('EINVAL', `${where}: with TTBCR.N = ${n} TTBR1 translates [${hex(boundary)}, 2^32), but the VCM starts at ${hex(vcm.startAddr)}`, {
          param: 'attr',
          value: attr,
          expected: `a VCM at or above ${hex(boundary)}`,
        });
      }
    }
    ctx.attachBase(where, which, space.table, n);
  }

  deactivate(dev: Device, activation: Activation): void {
    const ctx = asContext('smmu deactivate', dev);
    const which = activation.attr & VCM_USE_HIGH_BASE ? 1 : 0;
    const space = activation.space as SmmuAddressSpace;
    const current = which === 0 ? ctx.ttbr0Table : ctx.ttbr1Table;
    if (current === undefined || current !== space.table) {
      throw new VcmError('ENOENT', `vcm_deactivate ${ctx.name}: ${which === 0 ? 'TTBR0' : 'TTBR1'} does not hold this VCM's table`, { context: ctx.name });
    }
    ctx.detachBase(which);
  }

  /**
   * A pure hardware walk of the device's active table (routed by TTBCR.N);
   * it touches neither the TLB nor its counters. `EFAULT` naming the
   * address when unmapped or when the context is not active.
   */
  devAddrToPhysAddr(dev: Device, devAddr: number): number {
    const ctx = asContext('vcm_dev_addr_to_phys_addr', dev);
    const where = `vcm_dev_addr_to_phys_addr ${ctx.name}`;
    checkUint(where, 'devAddr', devAddr, 0xffffffff);
    const bank = ctx.isActive ? ctx.bank : undefined;
    const w = bank?.walkPure(devAddr);
    if (w === undefined) {
      throw new VcmError('EFAULT', `${where}: ${hex(devAddr)} is not mapped${bank ? '' : ' (the context has no active table)'}`, {
        param: 'devAddr',
        value: devAddr,
        context: ctx.name,
      });
    }
    return w.pa;
  }

  hook(dev: Device, handler: FaultHandler, data: unknown): void {
    asContext('vcm_hook', dev).hookInterrupt(handler, data);
  }

  hwVersion(dev: Device): number {
    const ctx = asContext('vcm_hw_ver', dev);
    return (ctx.bank?.smmu ?? ctx.smmu).hwVersion;
  }
}

/** A driver to share among the SMMUs of one platform (their contexts then share tables per VCM and format). */
export function createSmmuDriver(): SmmuDriver {
  return new SmmuDriver();
}
