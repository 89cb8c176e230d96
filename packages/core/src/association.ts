/**
 * `struct avcm`: an association of a VCM with a device (seed 000,
 * "Associated Virtual Contiguous Memory Regions and Activation"). An
 * association is only a link; activation points the device at the VCM's
 * address space. One VCM may be associated with many devices and one device
 * with many VCMs.
 */
import { assocBase, checkAssocAttr } from './attributes.js';
import type { SpaceEntry } from './address-spaces.js';
import type { Activation, Device } from './driver.js';
import { VcmError } from './errors.js';
import { type Graph, GraphObject } from './graph.js';
import type { Vcm } from './vcm.js';

/**
 * `struct avcm`: the link between a VCM and a device (`vcm.assoc`). It maps
 * nothing by itself; `activate` points the device's translation hardware at
 * the VCM's page table (the low or high base register, by the association
 * attribute). A VCM may be associated with many devices and a device with
 * many VCMs, one active per base register.
 */
export class Association extends GraphObject {
  readonly kind = 'association' as const;
  readonly vcm: Vcm;
  /** The device (the header's `dev_id`). */
  readonly dev: Device;
  /** @internal */
  _attr: number;
  /** @internal The address space this association's device uses. */
  readonly _space: SpaceEntry;
  /** @internal What the driver was given at activation; undefined while inactive. */
  _activation: Activation | undefined = undefined;

  /** Not a constructor to call: use `vcm.assoc`. */
  constructor(g: Graph, id: number, vcm: Vcm, dev: Device, attr: number, space: SpaceEntry) {
    super(g, id);
    this.vcm = vcm;
    this.dev = dev;
    this._attr = attr;
    this._space = space;
  }

  /** `vcm_get_assoc_attr`. */
  get attr(): number {
    this._live('assoc.attr');
    return this._attr;
  }

  /** `vcm_is_active`. */
  get isActive(): boolean {
    this._live('assoc.isActive');
    return this._activation !== undefined;
  }

  /** `vcm_set_assoc_attr`: every attribute can be set while the association is not active (`EBUSY` otherwise). */
  setAttr(attr: number): void {
    const where = 'assoc.setAttr';
    this._live(where);
    const a = checkAssocAttr(where, attr);
    if (this._activation) {
      throw new VcmError('EBUSY', `${where}: ${this.label} is active; deactivate it before changing its attributes`, { association: this.id });
    }
    this.dev.driver.checkAssocAttr(this.dev, a);
    this._attr = a;
  }

  /**
   * `vcm_activate`: program the device with the VCM's table. `EBUSY` when
   * already active ("You have to deactivate, before you activate") or when
   * the device's base register (low or high) already holds another VCM.
   * Only translated device VCMs occupy a base register: for one-to-one and
   * VMM (prebuilt) VCMs "mappings are active immediately but the API does
   * require an activation call for them for internal reference counting"
   * (seed 000), so a CPU may have its kernel VCM and any number of user VCMs
   * active at once.
   */
  activate(): void {
    const where = 'assoc.activate';
    this._live(where);
    if (this._activation) {
      throw new VcmError('EBUSY', `${where}: ${this.label} is already active; you have to deactivate before you activate`, {
        association: this.id,
      });
    }
    const base = assocBase(this._attr);
    const others = this.vcm.type === 'device' ? this._g.deviceAssociations.get(this.dev) : undefined;
    if (others) {
      for (const o of others as Set<Association>) {
        if (o !== this && o._activation && assocBase(o._attr) === base) {
          throw new VcmError(
            'EBUSY',
            `${where}: device ${this.dev.name} already has ${o.label} (${o.vcm.label}) active on its ${base} base; deactivate it first`,
            { association: this.id, device: this.dev.name, base, activeAssociation: o.id, activeVcm: o.vcm.id },
          );
        }
      }
    }
    const activation: Activation = Object.freeze({ vcm: this.vcm.descriptor, space: this._space.space, attr: this._attr });
    this.dev.driver.activate(this.dev, activation);
    this._activation = activation;
  }

  /** `vcm_deactivate`: `ENOENT` when not active. */
  deactivate(): void {
    const where = 'assoc.deactivate';
    this._live(where);
    const activation = this._activation;
    if (!activation) throw new VcmError('ENOENT', `${where}: ${this.label} is not active`, { association: this.id });
    this.dev.driver.deactivate(this.dev, activation);
    this._activation = undefined;
  }

  /** `vcm_deassoc`: `EBUSY` while active. */
  deassoc(): void {
    const where = 'assoc.deassoc';
    this._live(where);
    if (this._activation) {
      throw new VcmError('EBUSY', `${where}: ${this.label} is active; deactivate it before deassociating`, { association: this.id });
    }
    this.vcm._removeAssociation(this);
    const set = this._g.deviceAssociations.get(this.dev);
    if (set) {
      set.delete(this);
      if (set.size === 0) this._g.deviceAssociations.delete(this.dev);
    }
    this._dead = 'was deassociated';
  }

  toJSON(): AssociationSnapshot {
    return { id: this.id, dev: this.dev.name, attr: this._attr, active: this._activation !== undefined };
  }
}

/** An association as plain JSON (docs/rules.md#observability): the device's name, the attribute and whether it is active. */
export interface AssociationSnapshot {
  id: number;
  dev: string;
  attr: number;
  active: boolean;
}
