/**
 * Test support (not part of the build): a fake IOMMU mapping driver. Its
 * "page table" is a plain Map from 4 KiB page to physical page — test code,
 * not the product (the real one is `@vcm/smmu`). It follows the driver
 * contract closely enough to check what core asks of drivers: brackets,
 * exact unmaps, one base register per device, a fault hook, DMA through the
 * active table.
 */
import { SZ_16K, SZ_4K, VCM_USE_HIGH_BASE } from './constants.js';
import type { VcmType } from './constants.js';
import type { Activation, AddressSpace, Device, FaultHandler, FaultInfo, MappingDriver, VcmDescriptor } from './driver.js';
import { VcmError, hex } from './errors.js';
import type { PhysicalAllocator, PhysicalMemory } from './memory.js';

export class FakeSpace implements AddressSpace {
  readonly pgtblPa: number;
  readonly pages = new Map<number, { pa: number; attr: number }>();
  /** Ranges exactly as mapped, to check that core unmaps what it mapped. */
  readonly ranges = new Map<number, number>();
  depth = 0;
  brackets = 0;
  destroyed = false;
  private readonly owner: FakeIommuDriver;
  readonly vcm: VcmDescriptor;

  constructor(owner: FakeIommuDriver, vcm: VcmDescriptor) {
    this.owner = owner;
    this.vcm = vcm;
    this.pgtblPa = owner.allocator.allocateTable(SZ_16K, SZ_16K);
  }

  updateStart(): void {
    this.depth++;
  }

  updateDone(): void {
    if (this.depth === 0) throw new Error('fake iommu: updateDone without updateStart');
    this.depth--;
    if (this.depth === 0) this.brackets++;
  }

  map(va: number, pa: number, len: number, attr: number): void {
    if (this.depth === 0) throw new Error('fake iommu: map outside an update bracket');
    if (this.destroyed) throw new Error('fake iommu: map on a destroyed space');
    if (this.owner.failMapIn !== undefined && --this.owner.failMapIn <= 0) {
      this.owner.failMapIn = undefined;
      throw new VcmError('ENOMEM', `fake iommu: injected map failure at ${hex(va)}`, { va });
    }
    if (va % SZ_4K || pa % SZ_4K || len % SZ_4K || len === 0) throw new VcmError('EINVAL', 'fake iommu: unaligned map', { va, pa, len });
    if (va + len > 2 ** 32) throw new VcmError('EINVAL', 'fake iommu: beyond 32 bits', { va, len });
    for (let off = 0; off < len; off += SZ_4K) {
      if (this.pages.has(va + off)) throw new VcmError('EBUSY', `fake iommu: ${hex(va + off)} already mapped`, { va: va + off });
    }
    for (let off = 0; off < len; off += SZ_4K) this.pages.set(va + off, { pa: pa + off, attr });
    this.ranges.set(va, len);
  }

  unmap(va: number, len: number): void {
    if (this.depth === 0) throw new Error('fake iommu: unmap outside an update bracket');
    if (this.ranges.get(va) !== len) throw new Error(`fake iommu: unmap of [${hex(va)}, +${hex(len)}) that was not mapped as such`);
    this.ranges.delete(va);
    for (let off = 0; off < len; off += SZ_4K) this.pages.delete(va + off);
  }

  translate(va: number): number | undefined {
    const page = Math.floor(va / SZ_4K) * SZ_4K;
    const e = this.pages.get(page);
    return e ? e.pa + (va - page) : undefined;
  }

  destroy(): void {
    if (this.ranges.size > 0) throw new Error(`fake iommu: destroy with ${this.ranges.size} ranges still mapped`);
    this.destroyed = true;
    this.owner.allocator.freeTable(this.pgtblPa, SZ_16K);
    this.owner.liveSpaces.delete(this);
  }

  toJSON(): unknown {
    return { pgtblPa: this.pgtblPa, pages: this.pages.size };
  }
}

export interface FakeDevice extends Device {
  readonly driver: FakeIommuDriver;
  bases: { low: Activation | undefined; high: Activation | undefined };
  handler: FaultHandler | undefined;
  handlerData: unknown;
  faults: FaultInfo[];
}

export class FakeIommuDriver implements MappingDriver {
  readonly name: string;
  readonly vcmTypes: readonly VcmType[];
  readonly allocator: PhysicalAllocator;
  readonly memory: PhysicalMemory;
  readonly liveSpaces = new Set<FakeSpace>();
  /** When set, the n-th next `map` call (1 = the next one) throws. */
  failMapIn: number | undefined = undefined;
  /** When set, `activate` throws this (a "hardware failure"). */
  failActivate: Error | undefined = undefined;
  readonly hwVer: number;

  constructor(allocator: PhysicalAllocator, memory: PhysicalMemory, options: { name?: string; vcmTypes?: readonly VcmType[]; hwVersion?: number } = {}) {
    this.name = options.name ?? 'fake-iommu';
    this.vcmTypes = options.vcmTypes ?? ['device'];
    this.allocator = allocator;
    this.memory = memory;
    this.hwVer = options.hwVersion ?? 0x21;
  }

  device(name: string): FakeDevice {
    return { name, driver: this, bases: { low: undefined, high: undefined }, handler: undefined, handlerData: undefined, faults: [] };
  }

  spaceKey(): string {
    return 'fake';
  }

  createAddressSpace(vcm: VcmDescriptor): AddressSpace {
    const s = new FakeSpace(this, vcm);
    this.liveSpaces.add(s);
    return s;
  }

  checkAssocAttr(): void {}

  activate(dev: Device, activation: Activation): void {
    if (this.failActivate) throw this.failActivate;
    const d = dev as FakeDevice;
    const base = activation.attr & VCM_USE_HIGH_BASE ? 'high' : 'low';
    // Only device VCMs occupy a base; a CPU's prebuilt VCMs are live at once.
    if (d.bases[base] && activation.vcm.type === 'device') throw new VcmError('EBUSY', `fake iommu: ${dev.name} ${base} base busy`, {});
    d.bases[base] = activation;
  }

  deactivate(dev: Device, activation: Activation): void {
    const d = dev as FakeDevice;
    if (d.bases.low === activation) d.bases.low = undefined;
    if (d.bases.high === activation) d.bases.high = undefined;
  }

  devAddrToPhysAddr(dev: Device, devAddr: number): number {
    const d = dev as FakeDevice;
    const a = d.bases.low ?? d.bases.high;
    const pa = a?.space.translate(devAddr);
    if (pa === undefined) throw new VcmError('EFAULT', `fake iommu: ${hex(devAddr)} unmapped for ${dev.name}`, { devAddr });
    return pa;
  }

  hook(dev: Device, handler: FaultHandler, data: unknown): void {
    const d = dev as FakeDevice;
    d.handler = handler;
    d.handlerData = data;
  }

  hwVersion(): number {
    return this.hwVer;
  }

  /** Device DMA: read through the active table; a miss raises a fault to the hooked handler. */
  dmaRead(dev: FakeDevice, va: number, len: number): Uint8Array | 'terminated' {
    for (;;) {
      const a = dev.bases.low ?? dev.bases.high;
      const pa = a?.space.translate(va);
      if (pa !== undefined) return this.memory.read(pa, len);
      const fault: FaultInfo = { kind: 'translation', address: va, access: 'read', fsr: 0x5, far: va, context: dev.name };
      dev.faults.push(fault);
      const decision = dev.handler ? dev.handler(dev, dev.handlerData, fault) : 'terminate';
      if (decision !== 'retry') return 'terminated';
    }
  }

  /** Device DMA write through the active table. */
  dmaWrite(dev: FakeDevice, va: number, bytes: Uint8Array): void {
    const a = dev.bases.low ?? dev.bases.high;
    const pa = a?.space.translate(va);
    if (pa === undefined) throw new VcmError('EFAULT', `fake iommu: ${hex(va)} unmapped`, { va });
    this.memory.write(pa, bytes);
  }
}
