/**
 * The state one `Vcmm` instance shares with every object of its graph, and
 * the handle checks every public call starts with (docs/rules.md#validation:
 * a freed handle or a handle from another system is a clear `EINVAL`).
 * Nothing here is global: each `Vcmm` owns one `Graph`.
 */
import type { AliasSource, Device, Logger, MappingDriver, PrebuiltProvider } from './driver.js';
import { VcmError } from './errors.js';
import { IntervalIndex } from './interval-index.js';
import type { PhysicalAllocator, PhysicalMemory } from './memory.js';

/** The kinds of handle, as messages name them ("reservation #7 was unreserved"). */
export type ObjectKind = 'VCM' | 'reservation' | 'association' | 'physmem' | 'bound';

/**
 * One entry of the reverse map (physical address → reservations): a
 * physically contiguous run of a backed reservation's physmem, and where that
 * run sits inside the reservation.
 */
export interface ReverseEntry {
  /** The reservation, typed loosely here to keep this module free of import cycles. */
  readonly res: GraphObject & { readonly len: number };
  /** Offset of the run inside the reservation (and its physmem). */
  readonly offset: number;
  readonly pa: number;
  readonly len: number;
}

/** A migration in progress, as the fault path sees it: it finishes the move for a stalled access of its buffer. */
export interface StalledAccessServer {
  /** True when it finished the move because `dev`'s access to `address` waited on it. */
  serveStall(dev: Device, address: number): boolean;
}

export class Graph {
  readonly memory: PhysicalMemory;
  readonly allocator: PhysicalAllocator;
  readonly logger: Logger;
  readonly prebuilt: PrebuiltProvider | undefined;
  readonly drivers: readonly MappingDriver[];
  /** Everything that knows mappings outside the graph (docs/rules.md#aliasing): the prebuilt provider and drivers with `findAliases`. */
  readonly aliasSources: AliasSource[] = [];
  /** Physical address → the runs of backed reservations covering it (`vcm_get_phys_num_res`). */
  readonly reverse = new IntervalIndex<ReverseEntry>();
  /** Every association of each device, for the one-active-VCM-per-base rule of `vcm_activate`. */
  readonly deviceAssociations = new Map<Device, Set<GraphObject>>();
  /** Live objects by kind, in creation (= id) order. */
  readonly vcms = new Set<GraphObject>();
  readonly physmems = new Set<GraphObject>();
  /** Physmems made by `mapPhysAddr` that back something: the only ones that may overlap another physmem. */
  readonly mappedPhysmemsBacking = new Set<GraphObject>();
  /** Migrations whose mappings are broken right now: a stalled access waits for them (docs/migration.md#during-the-move). */
  readonly moving = new Set<StalledAccessServer>();
  private readonly nextIds: Record<ObjectKind, number> = { VCM: 1, reservation: 1, association: 1, physmem: 1, bound: 1 };
  destroyed = false;

  constructor(
    memory: PhysicalMemory,
    allocator: PhysicalAllocator,
    logger: Logger,
    prebuilt: PrebuiltProvider | undefined,
    drivers: readonly MappingDriver[],
  ) {
    this.memory = memory;
    this.allocator = allocator;
    this.logger = logger;
    this.prebuilt = prebuilt;
    // The prebuilt provider's drivers (the CPU's) are this system's too.
    const all = [...drivers];
    for (const d of prebuilt?.drivers ?? []) if (!all.includes(d)) all.push(d);
    this.drivers = all;
    if (prebuilt && typeof prebuilt.findAliases === 'function') this.aliasSources.push(prebuilt as AliasSource);
    for (const d of drivers) {
      // Only the drivers given as such are alias sources: the provider already is one for its own.
      const maybe = d as MappingDriver & Partial<AliasSource>;
      if (typeof maybe.findAliases === 'function') this.aliasSources.push(maybe as MappingDriver & AliasSource);
    }
  }

  /** Ids are handed out only when an object is really created, so a failed call changes nothing. */
  takeId(kind: ObjectKind): number {
    return this.nextIds[kind]++;
  }

  checkAlive(where: string): void {
    if (this.destroyed) throw new VcmError('EINVAL', `${where}: this Vcmm was destroyed (vcm_sys_destroy); create a new one`, { destroyed: true });
  }
}

/** Base of every handle: knows its graph, its id and whether it is alive. */
export abstract class GraphObject {
  /** Small integer, unique per `Vcmm` and kind; used in messages and snapshots. */
  readonly id: number;
  /** @internal */
  readonly _g: Graph;
  /** @internal Why the handle is stale ("was unreserved"), or undefined while alive. */
  _dead: string | undefined = undefined;
  abstract readonly kind: ObjectKind;

  protected constructor(g: Graph, id: number) {
    // Handles are made by a Vcmm (vcmm.create, vcm.reserve …), never by `new`.
    if (!(g instanceof Graph) || !Number.isSafeInteger(id) || id < 1) {
      throw new VcmError('EINVAL', `new ${new.target.name}: handles are made by a Vcmm (vcmm.create, vcm.reserve, vcmm.physAlloc …), not by new`, { param: 'g' });
    }
    this._g = g;
    this.id = id;
  }

  /** True while the handle may be used. */
  get isAlive(): boolean {
    return this._dead === undefined && !this._g.destroyed;
  }

  /** The name messages use: "reservation #7". */
  get label(): string {
    return `${this.kind} #${this.id}`;
  }

  /** @internal Throws `EINVAL` when this handle is stale. */
  _live(where: string): void {
    if (this._g.destroyed) {
      throw new VcmError('EINVAL', `${where}: ${this.label} is stale: its Vcmm was destroyed`, { [this.kind]: this.id, destroyed: true });
    }
    if (this._dead !== undefined) {
      throw new VcmError('EINVAL', `${where}: ${this.label} ${this._dead}`, { [this.kind]: this.id, stale: true });
    }
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: { name?: string } }).constructor;
    return ctor?.name && ctor !== Object ? `a ${ctor.name}` : 'an object';
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return `a ${typeof value}`;
}

/**
 * Check a handle passed as a parameter: the right class, this `Vcmm`, alive.
 * `cls` is the expected class; `kind` its name in messages.
 */
export function checkHandle<T extends GraphObject>(
  g: Graph,
  where: string,
  param: string,
  value: unknown,
  cls: abstract new (...args: never[]) => T,
  kind: ObjectKind,
): T {
  if (!(value instanceof cls)) {
    throw new VcmError('EINVAL', `${where}: ${param} must be a ${kind}, got ${describeValue(value)}`, { param, expected: kind });
  }
  if (value._g !== g) {
    throw new VcmError('EINVAL', `${where}: ${param} (${value.label}) belongs to another Vcmm`, { param, [kind]: value.id, foreign: true });
  }
  value._live(where);
  return value;
}

/** A device (the header's `dev_id`) is any object with a `name` and a `driver`. */
export function isDevice(value: unknown): value is Device {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as { name?: unknown; driver?: unknown };
  if (typeof d.name !== 'string' || typeof d.driver !== 'object' || d.driver === null) return false;
  const drv = d.driver as Partial<MappingDriver>;
  return typeof drv.createAddressSpace === 'function' && typeof drv.activate === 'function' && Array.isArray(drv.vcmTypes);
}

/**
 * Check a device parameter (the header's `dev_id`): an object with a name
 * and a mapping driver, whose driver is one this `Vcmm` was given, and
 * which that driver accepts as a live device of its own. Anything else —
 * a non-device, a device of another platform, a deinitialised context — is
 * `EINVAL` naming the device and the reason (docs/rules.md#handles-and-platforms).
 */
export function checkDevice(g: Graph, where: string, dev: unknown): Device {
  if (!isDevice(dev)) {
    throw new VcmError('EINVAL', `${where}: dev must be a device (an object with a name and a mapping driver), got ${describeValue(dev)}`, {
      param: 'dev',
      expected: 'a device',
    });
  }
  if (!g.drivers.includes(dev.driver)) {
    const mine = g.drivers.map((d) => d.name).join(', ') || 'none';
    throw new VcmError(
      'EINVAL',
      `${where}: device ${dev.name} is not a device of this Vcmm: its ${dev.driver.name} driver is not one this Vcmm was given (drivers: ${mine}); is it a device of another platform?`,
      { param: 'dev', device: dev.name, driver: dev.driver.name, foreign: true },
    );
  }
  dev.driver.checkDevice?.(where, dev);
  return dev;
}

/** Names a cache policy the way messages do (docs/rules.md#aliasing). */
export function cachePolicyName(policy: number): string {
  switch (policy) {
    case 0:
      return 'not-cached';
    case 1:
      return 'write-back write-allocate';
    case 2:
      return 'write-back no-write-allocate';
    case 3:
      return 'write-through';
    default:
      return `cache policy ${policy}`;
  }
}
