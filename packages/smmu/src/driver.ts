/**
 * The `@vcm/core` mapping driver for SMMU contexts (core muxes every
 * request through `MappingDriver`, the way Linux's IOMMU core calls
 * `iommu_ops`; docs/architecture.md). SMMU contexts are the devices.
 *
 * - One address space per VCM and per `spaceKey`: the context's format
 *   (and its RAM). Contexts of the same format share it per VCM, on any
 *   SMMU that uses this driver instance.
 * - `space.map` is `mapRange` (largest pages the alignment allows) inside
 *   an update bracket; removals invalidate the shared TLB of every SMMU
 *   whose bank has the table live, by address and context id, when the
 *   bracket closes (strict).
 * - `activate` writes the address of the VCM's table into TTBR0 (default,
 *   `VCM_USE_LOW_BASE`) or TTBR1 (`VCM_USE_HIGH_BASE`) and the split
 *   `vcmSplitAttr(n)` into TTBCR (short: N; LPAE: T0SZ, T1SZ = 0),
 *   binding and activating the virtual context as needed.
 *
 * Tables match the registers (docs/translation.md#the-walk-from-registers):
 * a table is made for the base register and split it is walked under — a
 * TTBR0 table covering [0, 2^(32-n)) (for LPAE with n ≥ 2 a level-2 root),
 * a TTBR1 table covering [2^(32-n), 2^32). An address space therefore holds
 * one table per (base, split) some context walks it with, all kept equal:
 * a table made for a new shape is filled with everything mapped so far.
 * Tables no context walks are freed, keeping at least one.
 */
import { VCM_ADDR_LIMIT, VCM_SPLIT, VCM_USE_HIGH_BASE, VCM_USE_LOW_BASE, VcmError, checkOneOf, checkUint, createTableHold, hex, vcmSplitWidth } from '@vcm/core';
import type { Activation, AddressSpace, Device, FaultHandler, MappingDriver, PhysicalMemory, TableHold, VcmDescriptor, VcmType, WalkTraceStep } from '@vcm/core';
import { isWalkFault } from './format.js';
import { isSmmuContext } from './handles.js';
import type { SmmuContext } from './context.js';
import type { TableSource } from './own-table.js';
import { protOfAttr } from './prot.js';
import { TranslationTable } from './translation-table.js';

/** The widest split TTBCR holds (short N and LPAE T0SZ are both 3-bit fields used 0..7 here). */
export const MAX_SPLIT = 7;

/** A table's place in the registers: the base register it is walked from and the split. */
interface Shape {
  readonly ttbr: 0 | 1;
  readonly split: number;
}

/** One mapping core made (`map`), kept to fill a table made later for another shape. */
interface Mapped {
  readonly pa: number;
  readonly len: number;
  readonly prot: number;
}

/** A VCM's page tables for contexts of one format. */
export class SmmuAddressSpace implements AddressSpace {
  /** The tables, one per shape; the first is the one `pgtblPa` names. */
  private readonly tables: TranslationTable[] = [];
  private readonly shapes = new Map<TranslationTable, Shape>();
  /** What core mapped, by device address. */
  private readonly mapped = new Map<number, Mapped>();
  private depth = 0;
  /** The table memory of every table of this space, which a migration holds (`holdTables`). */
  private readonly tableMemory: TableHold;

  /** Not a constructor to call: made by `SmmuDriver.createAddressSpace`. */
  constructor(
    readonly vcm: VcmDescriptor,
    readonly driver: SmmuDriver,
    private readonly source: TableSource,
  ) {
    this.tableMemory = createTableHold(source.tableAllocator, source.memory);
    this.tables.push(this.create({ ttbr: 0, split: 0 }));
  }

  /** Keep the tables unmaps empty until `releaseTables`, for a migration's rollback (`AddressSpace.holdTables`). */
  holdTables(): void {
    this.tableMemory.hold();
  }

  releaseTables(): void {
    this.tableMemory.release();
  }

  /** The table `pgtblPa` names: the first one made (or the one left after the others were freed). */
  get table(): TranslationTable {
    return this.tables[0]!;
  }

  get pgtblPa(): number {
    return this.tables[0]!.rootPa;
  }

  updateStart(): void {
    this.depth++;
    for (const t of this.tables) t.updateStart();
  }

  updateDone(): void {
    const where = `smmu space of VCM ${this.vcm.id} updateDone`;
    if (this.depth === 0) {
      throw new VcmError('EINVAL', `${where}: no update bracket is open (call updateStart first)`, { param: 'bracket', value: 0, expected: 'an open bracket' });
    }
    this.depth--;
    for (const t of this.tables) t.updateDone(where);
  }

  /** Map into every table, all or nothing; outside a bracket the map is its own bracket. */
  map(va: number, pa: number, len: number, attr: number): void {
    const prot = protOfAttr(attr);
    const done: TranslationTable[] = [];
    try {
      for (const t of this.tables) {
        t.updateStart();
        try {
          t.mapRange(va, pa, len, prot);
        } finally {
          t.updateDone('smmu space map');
        }
        done.push(t);
      }
    } catch (e) {
      for (const t of done) bracketed(t, () => t.unmapRange(va, len));
      throw e;
    }
    this.mapped.set(va, { pa, len, prot });
  }

  unmap(va: number, len: number): void {
    for (const t of this.tables) bracketed(t, () => t.unmapRange(va, len));
    if (this.mapped.get(va)?.len === len) {
      this.mapped.delete(va);
    } else {
      for (const [a, m] of this.mapped) if (a >= va && a + m.len <= va + len) this.mapped.delete(a);
    }
  }

  /** A walk of the first table (no TLB, no counters): the physical address of `va`, or `undefined`. */
  translate(va: number): number | undefined {
    checkUint(`smmu space of VCM ${this.vcm.id} translate`, 'va', va, 0xffffffff);
    return this.tables[0]!.table.walk(va)?.pa;
  }

  /**
   * @internal The table for `shape`, made and filled with everything mapped
   * so far when there is none yet (`created` then true). All or nothing.
   */
  tableFor(shape: Shape): { table: TranslationTable; created: boolean } {
    for (const t of this.tables) {
      const s = this.shapes.get(t)!;
      if (s.ttbr === shape.ttbr && s.split === shape.split) return { table: t, created: false };
    }
    const t = this.create(shape);
    try {
      for (let i = 0; i < this.depth; i++) t.updateStart();
      bracketed(t, () => {
        for (const [va, m] of this.mapped) t.mapRange(va, m.pa, m.len, m.prot);
      });
    } catch (e) {
      t.destroy();
      throw e;
    }
    this.tables.push(t);
    this.shapes.set(t, shape);
    return { table: t, created: true };
  }

  /** @internal Is `table` one of this space's tables? */
  holds(table: TranslationTable): boolean {
    return this.shapes.has(table);
  }

  /** @internal Free the tables no bank walks, except `keep` and at least one. */
  prune(keep?: TranslationTable): void {
    for (const t of [...this.tables]) {
      if (this.tables.length === 1) return;
      if (t === keep || t.users.size > 0) continue;
      this.tables.splice(this.tables.indexOf(t), 1);
      this.shapes.delete(t);
      t.destroy();
    }
  }

  /** @internal Drop a table `tableFor` just made that will not be used. */
  discard(table: TranslationTable): void {
    const i = this.tables.indexOf(table);
    if (i < 0 || this.tables.length === 1 || table.users.size > 0) return;
    this.tables.splice(i, 1);
    this.shapes.delete(table);
    table.destroy();
  }

  destroy(): void {
    for (const t of this.tables) t.destroy();
  }

  toJSON(): {
    format: string;
    rootPa: number;
    tableBytes: number;
    liveOn: string[];
    tables: Array<{ ttbr: number; split: number; rootPa: number; tableBytes: number; liveOn: string[] }>;
  } {
    const view = (t: TranslationTable): { rootPa: number; tableBytes: number; liveOn: string[] } => ({
      rootPa: t.rootPa,
      tableBytes: t.isDestroyed ? 0 : t.table.tableBytes,
      liveOn: [...t.users].map((b) => `${b.smmu.name}/bank${b.index}`),
    });
    return {
      format: this.source.format.name,
      ...view(this.tables[0]!),
      tables: this.tables.map((t) => ({ ...this.shapes.get(t)!, ...view(t) })),
    };
  }

  private create(shape: Shape): TranslationTable {
    const { format, memory } = this.source;
    const options = shape.ttbr === 1 ? { split: shape.split, ttbr: 1 as const } : { split: shape.split };
    const t = new TranslationTable(format, memory, this.tableMemory, options);
    this.shapes.set(t, shape);
    return t;
  }
}

/** `fn` inside an update bracket of `t`. */
function bracketed(t: TranslationTable, fn: () => void): void {
  t.updateStart();
  try {
    fn();
  } finally {
    t.updateDone('smmu space');
  }
}

function describe(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
}

/**
 * `vcm` is what core hands a driver (`VcmDescriptor`: a plain
 * `{ id, type, startAddr, len }` of one of `types`, inside the 2^40 VCM
 * limit). A handle or any other object is refused before a table is taken
 * (docs/rules.md#atomicity).
 */
function checkVcmDescriptor(where: string, vcm: unknown, types: readonly VcmType[]): void {
  const proto: unknown = typeof vcm === 'object' && vcm !== null ? Object.getPrototypeOf(vcm) : undefined;
  if (proto !== Object.prototype) {
    const got = vcm === null ? 'null' : typeof vcm === 'object' ? 'an object of another kind' : typeof vcm;
    throw new VcmError('EINVAL', `${where}: vcm must be a VCM descriptor { id, type, startAddr, len } (vcm.descriptor), got ${got}`, {
      param: 'vcm',
      value: vcm === null ? 'null' : typeof vcm,
      expected: 'VcmDescriptor',
    });
  }
  const d = vcm as Partial<Record<keyof VcmDescriptor, unknown>>;
  checkUint(where, 'vcm.id', d.id);
  checkOneOf(where, 'vcm.type', d.type, types);
  const startAddr = checkUint(where, 'vcm.startAddr', d.startAddr, VCM_ADDR_LIMIT - 1);
  const len = checkUint(where, 'vcm.len', d.len, VCM_ADDR_LIMIT - startAddr);
  if (len === 0) throw new VcmError('EINVAL', `${where}: vcm.len must be at least 1 byte, got 0`, { param: 'vcm.len', value: 0, expected: `1..${VCM_ADDR_LIMIT - startAddr}` });
}

/**
 * The `@vcm/core` mapping driver for SMMU contexts: give it to a `Vcmm` and
 * the SMMU contexts become devices that VCMs can be associated with. One
 * address space (page table) per VCM and page-table format, shared by every
 * context of that format; activation writes the table's address into TTBR0
 * (`VCM_USE_LOW_BASE`) or TTBR1 (`VCM_USE_HIGH_BASE`) and the split into
 * TTBCR (docs/hardware.md#the-ttbr-split). Made by `createSmmuDriver`.
 */
export class SmmuDriver implements MappingDriver {
  readonly name = 'smmu';
  readonly vcmTypes: readonly VcmType[] = ['device'];
  private readonly memoryIds = new WeakMap<PhysicalMemory, number>();
  private nextMemoryId = 0;

  /**
   * `EINVAL` unless `dev` is a live SMMU context whose SMMU uses this driver
   * instance (a context of another platform's SMMUs, or a deinitialised
   * one, is refused; docs/rules.md#handles-and-platforms).
   */
  checkDevice(where: string, dev: Device): void {
    this.context(where, dev);
  }

  /** The format's name; a second RAM (another simulated system) gets its own key. */
  spaceKey(dev: Device): string {
    const ctx = this.context('smmu spaceKey', dev);
    const smmu = ctx.bank?.smmu ?? ctx.smmu;
    let id = this.memoryIds.get(smmu.memory);
    if (id === undefined) {
      id = this.nextMemoryId++;
      this.memoryIds.set(smmu.memory, id);
    }
    return id === 0 ? smmu.format.name : `${smmu.format.name}@memory${id}`;
  }

  createAddressSpace(vcm: VcmDescriptor, dev: Device): AddressSpace {
    const ctx = this.context('smmu createAddressSpace', dev);
    checkVcmDescriptor('smmu createAddressSpace', vcm, this.vcmTypes);
    return new SmmuAddressSpace(vcm, this, ctx.bank?.smmu ?? ctx.smmu);
  }

  /**
   * `VCM_USE_LOW_BASE` and `VCM_USE_HIGH_BASE` together, a split wider than
   * 7, or the high base without a split (TTBR1 would never be walked) are
   * `EINVAL`.
   */
  checkAssocAttr(dev: Device, attr: number): void {
    const ctx = this.context('smmu checkAssocAttr', dev);
    const where = `vcm_assoc ${ctx.name}`;
    checkUint(where, 'attr', attr, 0xffffffff);
    if (attr & VCM_USE_LOW_BASE && attr & VCM_USE_HIGH_BASE) {
      throw new VcmError('EINVAL', `${where}: attr sets both VCM_USE_LOW_BASE and VCM_USE_HIGH_BASE; choose one base`, { param: 'attr', value: attr, expected: 'one base' });
    }
    const n = vcmSplitWidth(attr);
    if (n > MAX_SPLIT) {
      throw new VcmError('EINVAL', `${where}: split width ${n} exceeds TTBCR's range 0..${MAX_SPLIT}`, { param: 'attr', value: attr, expected: `vcmSplitAttr(0..${MAX_SPLIT})` });
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
    const ctx = this.context('smmu activate', dev);
    const where = `vcm_activate ${ctx.name}`;
    const { vcm, space, attr } = this.activation(where, activation);
    const which = attr & VCM_USE_HIGH_BASE ? 1 : 0;
    const n = vcmSplitWidth(attr);
    const smmu = ctx.bank?.smmu ?? ctx.smmu;
    const format = space.table.format;
    if (format !== smmu.format) {
      throw new VcmError('EINVAL', `${where}: the VCM's table is ${format.name}, the context walks ${smmu.format.name}`, { param: 'space', expected: smmu.format.name });
    }
    if (n > 0) {
      const boundary = 2 ** (32 - n);
      const end = vcm.startAddr + vcm.len;
      if (which === 0 && end > boundary) {
        throw new VcmError('EINVAL', `${where}: with a split of ${n} TTBR0 translates [0, ${hex(boundary)}), but the VCM spans [${hex(vcm.startAddr)}, ${hex(end)})`, {
          param: 'attr',
          value: attr,
          expected: `a VCM below ${hex(boundary)}`,
        });
      }
      if (which === 1 && vcm.startAddr < boundary) {
        throw new VcmError('EINVAL', `${where}: with a split of ${n} TTBR1 translates [${hex(boundary)}, 2^32), but the VCM starts at ${hex(vcm.startAddr)}`, {
          param: 'attr',
          value: attr,
          expected: `a VCM at or above ${hex(boundary)}`,
        });
      }
    }
    // Refusals first, so that a refused activation makes no table.
    ctx.checkAttach(where, which, undefined, n);
    const { table, created } = space.tableFor({ ttbr: which, split: n });
    try {
      ctx.attachBase(where, which, table, n);
    } catch (e) {
      if (created) space.discard(table);
      throw e;
    }
    space.prune(table);
  }

  deactivate(dev: Device, activation: Activation): void {
    const ctx = this.context('smmu deactivate', dev);
    const where = `vcm_deactivate ${ctx.name}`;
    const { space, attr } = this.activation(where, activation);
    const which = attr & VCM_USE_HIGH_BASE ? 1 : 0;
    const current = which === 0 ? ctx.ttbr0Table : ctx.ttbr1Table;
    if (current === undefined || !space.holds(current)) {
      throw new VcmError('ENOENT', `${where}: TTBR${which} does not hold this VCM's table`, { context: ctx.name });
    }
    ctx.detachBase(which);
    space.prune();
  }

  /**
   * `vcm_dev_addr_to_phys_addr`: the hardware walk from the registers of the
   * device's bank; it touches neither the TLB nor its counters. With
   * `trace`, one step per descriptor read is pushed (also when the walk
   * faults). `EFAULT` naming the address and the fault when it does not
   * translate or the context is not active.
   */
  devAddrToPhysAddr(dev: Device, devAddr: number, trace?: WalkTraceStep[]): number {
    const ctx = this.context('vcm_dev_addr_to_phys_addr', dev);
    const where = `vcm_dev_addr_to_phys_addr ${ctx.name}`;
    checkUint(where, 'devAddr', devAddr, 0xffffffff);
    if (trace !== undefined && !Array.isArray(trace)) {
      throw new VcmError('EINVAL', `${where}: trace must be an array to receive the walk's steps, got ${describe(trace)}`, { param: 'trace', expected: 'an array' });
    }
    if (!ctx.isActive) {
      throw new VcmError('EFAULT', `${where}: ${hex(devAddr)} is not mapped (the context has no active table)`, { param: 'devAddr', value: devAddr, context: ctx.name });
    }
    const w = ctx.bank!.walk(devAddr, trace);
    if (isWalkFault(w) || !w.accessFlag) {
      const kind = isWalkFault(w) ? w.fault : 'access-flag';
      throw new VcmError('EFAULT', `${where}: ${hex(devAddr)} is not mapped (level-${w.level} ${kind} fault)`, {
        param: 'devAddr',
        value: devAddr,
        context: ctx.name,
        kind,
        level: w.level,
      });
    }
    return w.pa;
  }

  hook(dev: Device, handler: FaultHandler, data: unknown): void {
    this.context('vcm_hook', dev).hookInterrupt(handler, data);
  }

  hwVersion(dev: Device): number {
    const ctx = this.context('vcm_hw_ver', dev);
    return (ctx.bank?.smmu ?? ctx.smmu).hwVersion;
  }

  /** `dev` as a live context of this driver's SMMUs, else `EINVAL` saying what it is. */
  private context(where: string, dev: unknown): SmmuContext {
    if (!isSmmuContext(dev)) {
      const name = (dev as { name?: unknown } | null)?.name;
      throw new VcmError('EINVAL', `${where}: device ${typeof name === 'string' ? name : describe(dev)} is not an SMMU context`, {
        param: 'dev',
        expected: 'an SmmuContext',
      });
    }
    if (!dev.isInitialized) {
      throw new VcmError('EINVAL', `${where}: context ${dev.name} was deinitialised (smmu_ctx_deinit)`, { param: 'dev', value: dev.name, expected: 'a live context' });
    }
    if ((dev.bank?.smmu ?? dev.smmu).driver !== this) {
      throw new VcmError('EINVAL', `${where}: context ${dev.name} belongs to SMMU ${dev.smmu.name} of another driver (another platform)`, {
        param: 'dev',
        value: dev.name,
        expected: 'a context of an SMMU using this driver',
      });
    }
    return dev;
  }

  /** An activation core made for a VCM of this driver, else `EINVAL`. */
  private activation(where: string, activation: unknown): { vcm: VcmDescriptor; space: SmmuAddressSpace; attr: number } {
    if (typeof activation !== 'object' || activation === null) {
      throw new VcmError('EINVAL', `${where}: activation must be an object { vcm, space, attr }, got ${describe(activation)}`, { param: 'activation', expected: 'Activation' });
    }
    const { vcm, space, attr } = activation as Partial<Activation>;
    if (!(space instanceof SmmuAddressSpace) || space.driver !== this) {
      throw new VcmError('EINVAL', `${where}: the address space was not made by this SMMU driver`, { param: 'space', expected: 'an SmmuAddressSpace of this driver' });
    }
    if (typeof vcm !== 'object' || vcm === null || vcm !== space.vcm) {
      throw new VcmError('EINVAL', `${where}: activation.vcm must be the VCM the address space was made for`, { param: 'vcm', expected: `VCM ${space.vcm.id}` });
    }
    checkUint(where, 'attr', attr, 0xffffffff);
    return { vcm, space, attr: attr as number };
  }
}

/** A driver to share among the SMMUs of one platform (their contexts then share tables per VCM and format). */
export function createSmmuDriver(): SmmuDriver {
  return new SmmuDriver();
}
