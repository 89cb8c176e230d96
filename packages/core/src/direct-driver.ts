/**
 * The one-to-one (direct-mapped) driver: devices without an MMU take part in
 * graph management through a one-to-one "MMU" (seed 000, "In the direct
 * mapped case the device is assigned a one-to-one MMU"). There is no page
 * table; a mapping is legal only when the device address equals the
 * physical one, and activation is reference counting only ("For VMM and
 * one-to-one based devices, mappings are active immediately but the API does
 * require an activation call for them for internal reference counting").
 *
 * Every device and address space carries its own state; the driver only
 * knows which devices it made.
 */
import type { VcmType } from './constants.js';
import type { Activation, AddressSpace, Device, FaultHandler, MappingDriver, VcmDescriptor } from './driver.js';
import { VcmError, hex } from './errors.js';
import { IntervalIndex } from './interval-index.js';
import { checkAttr, checkUint } from './validate.js';

/** Device addresses stay below 2^40 (the LPAE output size): the largest one. */
const VCM_ADDR_MAX = 2 ** 40 - 1;

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

/** A direct-mapped bus master (`directDriver.device(name)`, `createDirectDevice(name)`). */
export interface DirectDevice extends Device {
  readonly driver: DirectDriver;
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

/** An activation as core builds it: the VCM's descriptor, its address space and the association attributes. */
function checkActivation(where: string, activation: unknown): Activation {
  const a = activation as Partial<Activation> | null;
  if (
    typeof a !== 'object' ||
    a === null ||
    typeof a.vcm !== 'object' ||
    a.vcm === null ||
    !Number.isSafeInteger(a.vcm.id) ||
    typeof a.space !== 'object' ||
    a.space === null ||
    typeof a.attr !== 'number'
  ) {
    throw new VcmError('EINVAL', `${where}: activation must be the { vcm, space, attr } core passes to a driver, got ${activation === null ? 'null' : typeof activation}`, {
      param: 'activation',
    });
  }
  return a as Activation;
}

/**
 * The mapping driver of direct-mapped devices. Each platform makes its own
 * (`createDirectDriver()`), so that a `Vcmm` given one driver accepts only
 * the devices that driver made — not a direct device of another platform
 * (docs/rules.md#handles-and-platforms). The driver keeps no state about
 * mappings: every device and address space carries its own.
 */
export class DirectDriver implements MappingDriver {
  readonly name = 'direct';
  readonly vcmTypes: readonly VcmType[] = Object.freeze(['one-to-one'] as const);
  readonly #devices = new WeakSet<Device>();

  /** Not a constructor to call: use `createDirectDriver()` (or the shared `directDriver`). */
  constructor(token: symbol) {
    if (token !== DRIVER_TOKEN) {
      throw new VcmError('EINVAL', 'new DirectDriver: use createDirectDriver() to make a direct-mapped driver', {});
    }
    Object.freeze(this);
  }

  /** A direct-mapped device named `name`, for one-to-one VCMs. */
  device(name: string): DirectDevice {
    if (typeof name !== 'string' || name.length === 0) {
      throw new VcmError('EINVAL', `createDirectDevice: name must be a non-empty string, got ${typeof name === 'string' ? '""' : typeof name}`, {
        param: 'name',
      });
    }
    const dev: DirectDeviceState = { name, driver: this, activeCount: 0, faultHandler: undefined, faultData: undefined, active: [] };
    this.#devices.add(dev);
    return dev;
  }

  /** `EINVAL` unless `dev` was made by this driver. */
  checkDevice(where: string, dev: Device): void {
    this.#own(where, dev);
  }

  spaceKey(dev: Device): string {
    this.#own('direct spaceKey', dev);
    return 'direct';
  }

  createAddressSpace(vcm: VcmDescriptor, dev: Device): AddressSpace {
    const where = 'direct createAddressSpace';
    this.#own(where, dev);
    if (typeof vcm !== 'object' || vcm === null || !Number.isSafeInteger(vcm.id)) {
      throw new VcmError('EINVAL', `${where}: vcm must be a VCM descriptor { id, type, startAddr, len }, got ${vcm === null ? 'null' : typeof vcm}`, { param: 'vcm' });
    }
    return new DirectAddressSpace(vcm);
  }

  /** A direct device has no base registers to choose between; any valid attribute is accepted and ignored. */
  checkAssocAttr(dev: Device, attr: number): void {
    const where = 'direct checkAssocAttr';
    this.#own(where, dev);
    checkAttr(where, 'attr', attr);
  }

  activate(dev: Device, activation: Activation): void {
    const where = 'direct activate';
    const d = this.#own(where, dev);
    const a = checkActivation(where, activation);
    if (d.active.includes(a)) throw new VcmError('EBUSY', `${where}: this activation of device ${d.name} is already active`, { device: d.name });
    d.active.push(a);
    d.activeCount++;
  }

  deactivate(dev: Device, activation: Activation): void {
    const where = 'direct deactivate';
    const d = this.#own(where, dev);
    const i = d.active.indexOf(checkActivation(where, activation));
    if (i < 0) throw new VcmError('ENOENT', `${where}: this activation is not active on device ${d.name}`, { device: d.name });
    d.active.splice(i, 1);
    d.activeCount--;
  }

  devAddrToPhysAddr(dev: Device, devAddr: number): number {
    const where = 'vcm_dev_addr_to_phys_addr';
    const d = this.#own(where, dev);
    checkUint(where, 'devAddr', devAddr, VCM_ADDR_MAX);
    for (const a of d.active) {
      if (a.space.translate(devAddr) !== undefined) return devAddr;
    }
    throw new VcmError('EFAULT', `${where}: ${hex(devAddr)} is not in any backed reservation of an active one-to-one VCM of device ${d.name}`, {
      device: d.name,
      devAddr,
    });
  }

  hook(dev: Device, handler: FaultHandler, data: unknown): void {
    const d = this.#own('vcm_hook', dev);
    if (typeof handler !== 'function') {
      throw new VcmError('EINVAL', `vcm_hook: handler must be a function (dev, data, fault) => 'retry' | 'terminate', got ${handler === null ? 'null' : typeof handler}`, {
        param: 'handler',
      });
    }
    d.faultHandler = handler;
    d.faultData = data;
  }

  hwVersion(dev: Device): number {
    this.#own('vcm_hw_ver', dev);
    return 0;
  }

  /** The device's state, when this driver made it. */
  #own(where: string, dev: unknown): DirectDeviceState {
    if (typeof dev !== 'object' || dev === null || !this.#devices.has(dev as Device)) {
      const name = typeof dev === 'object' && dev !== null && typeof (dev as { name?: unknown }).name === 'string' ? `device ${(dev as Device).name}` : describe(dev);
      throw new VcmError('EINVAL', `${where}: ${name} is not a direct-mapped device of this driver (make devices with its device(name); a device of another platform is not one)`, {
        param: 'dev',
      });
    }
    return dev as DirectDeviceState;
  }
}

function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return 'a function';
    default:
      return value === null ? 'null' : 'an object without a name';
  }
}

const DRIVER_TOKEN = Symbol('DirectDriver');

/** A direct-mapped driver of its own: one per platform, so that its devices belong to that platform only. */
export function createDirectDriver(): DirectDriver {
  return new DirectDriver(DRIVER_TOKEN);
}

/** The shared direct-mapped driver of `createDirectDevice`, for a `Vcmm` built by hand (`drivers: [directDriver]`). */
export const directDriver: DirectDriver = createDirectDriver();

/** A direct-mapped device of the shared `directDriver`, named `name`. */
export function createDirectDevice(name: string): DirectDevice {
  return directDriver.device(name);
}

