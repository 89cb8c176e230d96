/**
 * The one-to-one (direct-mapped) driver: devices without an MMU take part in
 * graph management through a one-to-one "MMU" (seed 000, "In the direct
 * mapped case the device is assigned a one-to-one MMU"). There is no page
 * table; a mapping is legal only when the device address equals the
 * physical one, and activation is reference counting only ("For VMM and
 * one-to-one based devices, mappings are active immediately but the API does
 * require an activation call for them for internal reference counting").
 *
 * The driver object holds no state: every device and address space carries
 * its own, so two `Vcmm`s can share it.
 */
import type { Activation, AddressSpace, Device, FaultHandler, MappingDriver, VcmDescriptor } from './driver.js';
import { VcmError, hex } from './errors.js';
import { IntervalIndex } from './interval-index.js';
import { checkUint } from './validate.js';

/** The address space of a one-to-one VCM: a record of the identity-mapped ranges. */
class DirectAddressSpace implements AddressSpace {
  readonly pgtblPa: number | undefined = undefined;
  private readonly ranges = new IntervalIndex<number>();
  private readonly vcm: VcmDescriptor;
  private depth = 0;

  constructor(vcm: VcmDescriptor) {
    this.vcm = vcm;
  }

  updateStart(): void {
    this.depth++;
  }

  updateDone(): void {
    if (this.depth > 0) this.depth--;
  }

  map(va: number, pa: number, len: number, _attr: number): void {
    if (va !== pa) {
      throw new VcmError('EINVAL', `direct map: one-to-one VCM #${this.vcm.id} can only map a device address to the same physical address, got va ${hex(va)} → pa ${hex(pa)}`, {
        va,
        pa,
        len,
      });
    }
    this.ranges.insert(va, len, va);
  }

  unmap(va: number, len: number): void {
    if (!this.ranges.remove(va, len, va)) {
      throw new VcmError('EINVAL', `direct unmap: [${hex(va)}, ${hex(va + len)}) was not mapped in one-to-one VCM #${this.vcm.id}`, { va, len });
    }
  }

  translate(va: number): number | undefined {
    return this.ranges.countAt(va) > 0 ? va : undefined;
  }

  destroy(): void {
    // No table memory to give back.
  }

  toJSON(): unknown {
    return { kind: 'direct', ranges: [...this.ranges.entries()].map((e) => ({ start: e.start, len: e.len })) };
  }
}

/** A direct-mapped bus master (`createDirectDevice(name)`). */
export interface DirectDevice extends Device {
  /** How many of its associations are active (the seed's reference count). */
  readonly activeCount: number;
  /** The handler registered with `vcmm.hook`; a direct device never faults, so it is never called. */
  readonly faultHandler: FaultHandler | undefined;
}

interface DirectDeviceState extends DirectDevice {
  activeCount: number;
  faultHandler: FaultHandler | undefined;
  faultData: unknown;
  active: Activation[];
}

function asDirect(dev: Device): DirectDeviceState {
  if (dev.driver !== directDriver) {
    throw new VcmError('ENODEV', `direct driver: device ${dev.name} is not a direct-mapped device`, { device: dev.name });
  }
  return dev as DirectDeviceState;
}

/** The mapping driver of direct-mapped devices. */
export const directDriver: MappingDriver = Object.freeze({
  name: 'direct',
  vcmTypes: Object.freeze(['one-to-one'] as const),
  spaceKey(): string {
    return 'direct';
  },
  createAddressSpace(vcm: VcmDescriptor): AddressSpace {
    return new DirectAddressSpace(vcm);
  },
  checkAssocAttr(): void {
    // A direct device has no base registers to choose between; any valid attribute is accepted and ignored.
  },
  activate(dev: Device, activation: Activation): void {
    const d = asDirect(dev);
    d.active.push(activation);
    d.activeCount++;
  },
  deactivate(dev: Device, activation: Activation): void {
    const d = asDirect(dev);
    const i = d.active.indexOf(activation);
    if (i >= 0) d.active.splice(i, 1);
    if (d.activeCount > 0) d.activeCount--;
  },
  devAddrToPhysAddr(dev: Device, devAddr: number): number {
    const d = asDirect(dev);
    checkUint('vcm_dev_addr_to_phys_addr', 'devAddr', devAddr);
    for (const a of d.active) {
      if (a.space.translate(devAddr) !== undefined) return devAddr;
    }
    throw new VcmError('EFAULT', `vcm_dev_addr_to_phys_addr: ${hex(devAddr)} is not in any backed reservation of an active one-to-one VCM of device ${dev.name}`, {
      device: dev.name,
      devAddr,
    });
  },
  hook(dev: Device, handler: FaultHandler, data: unknown): void {
    const d = asDirect(dev);
    d.faultHandler = handler;
    d.faultData = data;
  },
  hwVersion(): number {
    return 0;
  },
});

/** A direct-mapped device named `name`, for one-to-one VCMs. */
export function createDirectDevice(name: string): DirectDevice {
  if (typeof name !== 'string' || name.length === 0) {
    throw new VcmError('EINVAL', `createDirectDevice: name must be a non-empty string, got ${typeof name === 'string' ? '""' : typeof name}`, {
      param: 'name',
    });
  }
  const dev: DirectDeviceState = { name, driver: directDriver, activeCount: 0, faultHandler: undefined, faultData: undefined, active: [] };
  return dev;
}
