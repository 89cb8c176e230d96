/**
 * The CPU's mapping driver: how core talks to the CPU device (`vmm.cpu`).
 * The CPU has no page table of its own for core to build — it only ever
 * uses the VMM's tables, handed to core by the prebuilt VCMs (seed 000:
 * "vcm_vmm = vcm_from_prebuilt(ext_vcm_id)"). Activation is therefore
 * reference counting only: "mappings are active immediately but the API
 * does require an activation call" (seed 000).
 */
import { VcmError, VCM_SPLIT, VCM_SPLIT_MASK, VCM_USE_HIGH_BASE, VCM_USE_LOW_BASE, checkAttr, hex } from '@vcm/core';
import type { Activation, AddressSpace, Device, FaultHandler, MappingDriver, VcmDescriptor, VcmType, WalkTraceStep } from '@vcm/core';
import type { Cpu } from './cpu.js';

/**
 * MIDR of the default CPU: a Qualcomm Scorpion as in MSM8x60
 * (implementer 0x51 'Q', architecture 0xF = CPUID scheme, part 0x02D,
 * revision 2). `vcm_hw_ver` returns it; `new Vmm({ midr })` overrides it.
 */
export const SCORPION_MIDR = 0x510f_02d2;

/**
 * The `@vcm/core` mapping driver of the CPU device (`vmm.cpu`). The CPU has
 * no page table for core to build: it uses the VMM's tables, handed to core
 * as prebuilt VCMs, so activation only counts references — the mappings are
 * live at once, yet the API still asks for the activation call.
 */
export class CpuDriver implements MappingDriver {
  readonly name = 'vmm-cpu';
  readonly vcmTypes: readonly VcmType[] = ['ext-kernel', 'ext-user'];
  readonly midr: number;
  private cpu: Cpu | undefined;
  /** VCM id → activation count. */
  private readonly active = new Map<number, { vcm: VcmDescriptor; count: number }>();

  constructor(midr: number) {
    this.midr = midr >>> 0;
  }

  /** @internal Called once by the VMM when the CPU exists. */
  _attach(cpu: Cpu): void {
    this.cpu = cpu;
  }

  /** `EINVAL` unless `dev` is this VMM's CPU (a CPU of another platform is not). */
  checkDevice(where: string, dev: Device): void {
    this.own(where, dev);
  }

  /** One constant: every CPU shares the VMM's tables. */
  spaceKey(dev: Device): string {
    this.own('spaceKey', dev);
    return 'cpu';
  }

  createAddressSpace(vcm: VcmDescriptor, dev: Device): AddressSpace {
    this.own('createAddressSpace', dev);
    throw new VcmError(
      'EINVAL',
      `${this.name}.createAddressSpace: the CPU ${dev.name} translates only through the VMM's page tables; associate it with a VCM from vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL or VCM_PREBUILT_USER), not a ${vcm.type} VCM`,
      { vcm: vcm.id, type: vcm.type, dev: dev.name },
    );
  }

  /**
   * The CPU's TTBR0/TTBR1 split is the VMM's (3G/1G), not the association's:
   * `VCM_SPLIT` and a split width are refused; the base-selection bits are
   * accepted and have no effect.
   */
  checkAssocAttr(dev: Device, attr: number): void {
    const where = `${this.name}.checkAssocAttr`;
    this.own(where, dev);
    checkAttr(where, 'attr', attr, VCM_SPLIT | VCM_SPLIT_MASK | VCM_USE_LOW_BASE | VCM_USE_HIGH_BASE);
    if ((attr & (VCM_SPLIT | VCM_SPLIT_MASK)) !== 0) {
      throw new VcmError('EINVAL', `${where}: the CPU's address split is fixed by the VMM (user below 0xc000_0000, kernel above); attr ${hex(attr)} asks for VCM_SPLIT`, {
        param: 'attr',
        value: attr,
        expected: '0, VCM_USE_LOW_BASE or VCM_USE_HIGH_BASE',
      });
    }
  }

  activate(dev: Device, activation: Activation): void {
    const where = `${this.name}.activate`;
    this.own(where, dev);
    checkActivation(where, activation);
    const a = this.active.get(activation.vcm.id);
    if (a === undefined) this.active.set(activation.vcm.id, { vcm: activation.vcm, count: 1 });
    else a.count++;
  }

  deactivate(dev: Device, activation: Activation): void {
    const where = `${this.name}.deactivate`;
    this.own(where, dev);
    checkActivation(where, activation);
    const a = this.active.get(activation.vcm.id);
    if (a === undefined) {
      throw new VcmError('ENOENT', `${where}: VCM ${activation.vcm.id} is not active on ${dev.name}`, { vcm: activation.vcm.id });
    }
    if (--a.count === 0) this.active.delete(activation.vcm.id);
  }

  /**
   * The MMU's walk from the CPU's registers (TTBR1's kernel table above
   * PAGE_OFFSET, TTBR0's process table below); with `trace`, one step per
   * descriptor read, also when the walk faults.
   */
  devAddrToPhysAddr(dev: Device, devAddr: number, trace?: WalkTraceStep[]): number {
    const where = `${this.name}.devAddrToPhysAddr`;
    const cpu = this.own(where, dev);
    if (trace !== undefined && !Array.isArray(trace)) {
      throw new VcmError('EINVAL', `${where}: trace must be an array to receive the walk's steps, got ${trace === null ? 'null' : typeof trace}`, { param: 'trace' });
    }
    const w = cpu.walk(devAddr);
    trace?.push(...w.steps);
    if (w.pa === undefined) {
      throw new VcmError('EFAULT', `${where}: ${hex(devAddr)} is not mapped in ${dev.name}'s current context (${w.fault?.fault ?? 'translation'} fault at level ${w.fault?.level ?? 1})`, {
        devAddr,
      });
    }
    return w.pa;
  }

  hook(dev: Device, handler: FaultHandler, data: unknown): void {
    this.own(`${this.name}.hook`, dev).hook(handler, data);
  }

  hwVersion(dev: Device): number {
    this.own(`${this.name}.hwVersion`, dev);
    return this.midr;
  }

  /** The VCMs the CPU is activated on, with their activation counts. */
  activeVcms(): Array<{ id: number; type: VcmType; startAddr: number; len: number; count: number }> {
    return [...this.active.values()].map((a) => ({ id: a.vcm.id, type: a.vcm.type, startAddr: a.vcm.startAddr, len: a.vcm.len, count: a.count }));
  }

  private own(where: string, dev: unknown): Cpu {
    if (this.cpu === undefined || dev !== this.cpu) {
      const name = typeof dev === 'object' && dev !== null && typeof (dev as { name?: unknown }).name === 'string' ? (dev as Device).name : String(dev);
      throw new VcmError('EINVAL', `${where}: ${name} is not the CPU of this VMM (a CPU of another platform is not)`, { param: 'dev', dev: name });
    }
    return this.cpu;
  }
}

/** An activation as core builds it: `{ vcm, space, attr }` with a prebuilt VCM's descriptor. */
function checkActivation(where: string, activation: unknown): void {
  const a = activation as Partial<Activation> | null;
  if (typeof a !== 'object' || a === null || typeof a.vcm !== 'object' || a.vcm === null || !Number.isSafeInteger(a.vcm.id) || typeof a.attr !== 'number') {
    throw new VcmError('EINVAL', `${where}: activation must be the { vcm, space, attr } core passes to a driver, got ${activation === null ? 'null' : typeof activation}`, {
      param: 'activation',
    });
  }
  if (a.vcm.type !== 'ext-kernel' && a.vcm.type !== 'ext-user') {
    throw new VcmError('EINVAL', `${where}: the CPU is activated only on prebuilt VCMs (ext-kernel, ext-user), got a ${String(a.vcm.type)} VCM`, {
      param: 'activation',
    });
  }
}
