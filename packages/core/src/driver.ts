/**
 * The mapping-driver interface core muxes every request through, the way
 * Linux's IOMMU core calls `iommu_ops` (seed 000: "The VCMM contains an
 * IOMMU programming layer ... this muxing is seen throughout the
 * implementation"). Core knows nothing of SMMUs or CPUs: `@vcm/smmu`,
 * `@vcm/vmm-overlay` and core's own direct-mapped driver implement this.
 */
import type { VcmType } from './constants.js';

/** A bus master as the VCMM sees it (the header's `dev_id`). */
export interface Device {
  readonly name: string;
  readonly driver: MappingDriver;
}

/** What went wrong: no valid descriptor, the access flag clear, the access not permitted, or an address beyond the configured size. */
export type FaultKind = 'translation' | 'permission' | 'access-flag' | 'address-size';
/** The kind of access a device or the CPU made: what a permission fault and a trace report. */
export type AccessKind = 'read' | 'write' | 'execute';

/** One level of a hardware table walk: where the descriptor was read, and its words (`vcmm.devAddrToPhysAddr(dev, addr, trace)`). */
export interface WalkTraceStep {
  /** The table level (short descriptor: 1–2; long descriptor: 1–3). */
  readonly level: number;
  /** Physical address of the entry read. */
  readonly entryPa: number;
  /** The descriptor's low 32 bits (the whole short descriptor). */
  readonly descriptor: number;
  /** The descriptor's high 32 bits (long descriptor; 0 otherwise). */
  readonly descriptorHigh: number;
}

/** What a fault handler is told (the header's `fault_data`). */
export interface FaultInfo {
  readonly kind: FaultKind;
  /** The faulting device address (also in `far`). */
  readonly address: number;
  readonly access: AccessKind;
  /** Fault status register value of the context bank. */
  readonly fsr: number;
  /** Fault address register value of the context bank. */
  readonly far: number;
  /** The context (device) name. */
  readonly context: string;
  /** The descriptor the walk stopped at, when there was one. */
  readonly descriptor?: number;
}

/** The object API's fault-handler answer (docs/decisions.md#the-fault-handlers-answer: vcm.txt's 1/0 become 'retry'/'terminate'). */
export type FaultDecision = 'retry' | 'terminate';
/**
 * The object API's fault handler (`vcm_hook`): called with the faulting
 * device, the `data` given to the hook and the fault, it answers whether the
 * hardware retries the access or terminates it.
 */
export type FaultHandler = (dev: Device, data: unknown, fault: FaultInfo) => FaultDecision;

/** What a driver is told of the VCM it builds or programs an address space for. */
export interface VcmDescriptor {
  /** Unique per `Vcmm`; stable for the VCM's life. */
  readonly id: number;
  readonly type: VcmType;
  readonly startAddr: number;
  readonly len: number;
}

/**
 * One address space (a page table) holding a VCM's backed reservations for
 * all devices of one driver that can share it (same `spaceKey`).
 */
export interface AddressSpace {
  /** Physical address of the first-level table; `undefined` when there is no table (one-to-one). */
  readonly pgtblPa: number | undefined;
  /** Open an update bracket (`smmu_update_start`); brackets nest. */
  updateStart(): void;
  /** Close it (`smmu_update_done`): every TLB invalidation the bracket needs has completed on return. */
  updateDone(): void;
  /**
   * Map [va, va+len) to [pa, pa+len) with reservation attributes `attr`
   * (`VCM_READ` …, cache policy). `len` is a multiple of 4 KiB; the driver
   * picks page sizes (the largest the alignment of both addresses and the
   * remaining length allow). Atomic: on error nothing was written.
   */
  map(va: number, pa: number, len: number, attr: number): void;
  /** Remove exactly a range earlier given to `map`. */
  unmap(va: number, len: number): void;
  /** A walk of this table: the physical address of `va`, or `undefined` when unmapped. */
  translate(va: number): number | undefined;
  /** Free the table memory. Core calls it once, after unmapping everything it mapped. */
  destroy(): void;
  /**
   * Optional: from now until `releaseTables`, keep the table memory that
   * unmaps empty and reuse it for maps (`createTableHold`), so that a
   * migration that fails after breaking the old mappings can rebuild them in
   * the very tables they left (docs/migration.md#all-or-nothing). Holds nest.
   */
  holdTables?(): void;
  /** End one `holdTables`; the last one frees every table still kept. */
  releaseTables?(): void;
  /** Plain-data view for snapshots. */
  toJSON?(): unknown;
}

/** Everything a driver needs to program a device with a VCM's table. */
export interface Activation {
  readonly vcm: VcmDescriptor;
  readonly space: AddressSpace;
  /** The association attributes (`VCM_SPLIT`, `VCM_USE_LOW_BASE`, `VCM_USE_HIGH_BASE`, `vcmSplitAttr(n)`). */
  readonly attr: number;
}

/** A physical range that some mapping outside the graph already maps with a fixed cache policy. */
export interface MappingAlias {
  /** For the message: "kernel linear map 0xc000_0000-0xc7ff_ffff" … */
  readonly description: string;
  readonly pa: number;
  readonly len: number;
  /** `VCM_NOTCACHED`, `VCM_WB_WA`, `VCM_WB_NWA` or `VCM_WT`. */
  readonly cachePolicy: number;
}

/** Something that knows mappings core does not own (the CPU's linear map): docs/rules.md#aliasing. */
export interface AliasSource {
  findAliases(pa: number, len: number): readonly MappingAlias[];
}

/**
 * The interface core sends every hardware request through, as Linux's IOMMU
 * core calls `iommu_ops`: creating a device's address space (page table),
 * activating it on the device, walking it, hooking faults. Core knows nothing
 * of SMMUs or CPUs; `@vcm/smmu`, `@vcm/vmm-overlay` and core's direct-mapped
 * driver implement it (docs/architecture.md#packages-and-the-direction-of-imports).
 */
export interface MappingDriver {
  readonly name: string;
  /**
   * Optional: throw `EINVAL` (saying why) when `dev` is not a live device of
   * this driver instance — one made by another platform's driver, or a
   * context that was deinitialised. Core asks before every use of a device
   * (`vcm_assoc`, `vcm_hook`, `vcm_hw_ver`, `vcm_dev_addr_to_phys_addr`),
   * after checking that `dev.driver` is one of its own drivers
   * (docs/rules.md#handles-and-platforms). Without it, every device whose
   * `driver` is this driver is accepted.
   */
  checkDevice?(where: string, dev: Device): void;
  /** The VCM types this driver's devices may be associated with. */
  readonly vcmTypes: readonly VcmType[];
  /** Devices with equal keys share one address space per VCM (for the SMMU: the page-table format). */
  spaceKey(dev: Device): string;
  /** A new, empty address space for `vcm`. */
  createAddressSpace(vcm: VcmDescriptor, dev: Device): AddressSpace;
  /** Reject association attributes this device cannot honour (`EINVAL`). */
  checkAssocAttr(dev: Device, attr: number): void;
  /** Point the device at the table (TTBR0/TTBR1, TTBCR.N by `attr`). `EBUSY` if that base already holds another VCM. */
  activate(dev: Device, activation: Activation): void;
  /** Undo `activate`. */
  deactivate(dev: Device, activation: Activation): void;
  /**
   * `vcm_dev_addr_to_phys_addr`: a hardware walk of the device's active
   * table; `EFAULT` when unmapped. With `trace`, the driver pushes one step
   * per descriptor the walk read (also when it faults); a driver without
   * tables pushes nothing.
   */
  devAddrToPhysAddr(dev: Device, devAddr: number, trace?: WalkTraceStep[]): number;
  /** `vcm_hook`: register the fault handler of a device. */
  hook(dev: Device, handler: FaultHandler, data: unknown): void;
  /** `vcm_hw_ver`: the device's hardware version (0 when it has no hardware to ask). */
  hwVersion(dev: Device): number;
}

/** A VCM whose table already exists outside the VCMM (the CPU's): `vcm_create_from_prebuilt`. */
export interface PrebuiltVcm {
  readonly type: 'ext-kernel' | 'ext-user';
  readonly startAddr: number;
  readonly len: number;
  /** The driver of the devices (CPUs) that use `space`. */
  readonly driver: MappingDriver;
  /** The external page table; core maps backed reservations into it. */
  readonly space: AddressSpace;
  /** Place a reservation with the external allocator (seed: `alloc_vm_area()`); `ENOMEM` when full. */
  place(len: number, align: number): number;
  /** Give a placed range back. */
  release(va: number, len: number): void;
  /** Called by `vcm.free()`. */
  dispose(): void;
  /**
   * Optional. Core hands the provider a function that tears this VCM down
   * (unback and unreserve every reservation, deactivate and deassociate
   * every association, free the VCM); the provider calls it when the
   * external address space goes away — a process exits.
   */
  onRevoke?(revoke: () => void): void;
}

/** What `new Vcmm({ prebuilt })` takes: turns `VCM_PREBUILT_KERNEL`/`VCM_PREBUILT_USER` into VCMs. */
export interface PrebuiltProvider extends Partial<AliasSource> {
  /** The drivers of the devices that use its VCMs (the CPU's): the `Vcmm` takes them as its own, like `options.drivers`. */
  readonly drivers?: readonly MappingDriver[];
  /** `ENODEV` for an id it does not know. */
  create(extVcmId: number): PrebuiltVcm;
}

/** Where core and drivers send warnings (the header's `VCM_PERF_WARN`, unhandled faults). */
export interface Logger {
  warn(message: string, details?: Readonly<Record<string, unknown>>): void;
}
