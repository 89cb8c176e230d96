/**
 * Migration: move a physical allocation to other memory while every device
 * keeps its address (docs/migration.md). The design document says that
 * routing all memory management through the VCMM "enables new features like
 * system-wide memory migration" (seed 000): the graph knows every
 * reservation a physmem backs, in every device VCM, the CPU's kernel table
 * and the user mappings, so it can rewrite them all.
 *
 * The steps, each undone in reverse if a later one fails
 * (docs/rules.md#atomicity):
 *  1. allocate the new blocks (max munch, page selection and alignment as
 *     `vcmm.physAlloc`);
 *  2. hold the page tables of every address space involved, so that a
 *     rollback rebuilds the old mappings in the tables they left
 *     (`AddressSpace.holdTables`);
 *  3. break: unmap every mapping, each in its own update bracket, so that
 *     its TLB invalidation has completed before anything else happens
 *     (break-before-make; an access now faults — or stalls);
 *  4. copy the bytes;
 *  5. make: map the new blocks at the same device addresses, mapping by
 *     mapping;
 *  6. commit: the same `Physmem` handle now names the new blocks; the old
 *     ones are freed.
 */
import { type Run, type SpaceEntry, mapRuns, unmapRuns } from './address-spaces.js';
import { checkAliasing } from './aliasing.js';
import { PHYS_ATTR_BITS } from './attributes.js';
import { VCM_ALL, VCM_PAGE_SEL_MASK } from './constants.js';
import type { Device } from './driver.js';
import { VcmError, formatSize, hex } from './errors.js';
import { type Graph, type ReverseEntry, type StalledAccessServer, checkHandle } from './graph.js';
import type { PhysAllocation, PhysChunk } from './memory.js';
import { Physmem, toRuns } from './physmem.js';
import type { Reservation } from './reservation.js';
import { checkAttr, checkOneOf, checkOptions, checkUint } from './validate.js';

/** What an access to the buffer meets while its mappings are broken: it waits for the move (`'stall'`), or it faults (`'fault'`). */
export type AccessPolicy = 'stall' | 'fault';

/** Where a migration is, told to `options.during` after each step. */
export type MigrationStep =
  | { readonly step: 'allocated'; readonly chunks: readonly PhysChunk[] }
  | { readonly step: 'quiesced'; readonly mappings: number }
  | { readonly step: 'copied'; readonly bytes: number }
  | { readonly step: 'remapped'; readonly reservation: Reservation; readonly space: number; readonly driver: string; readonly remaining: number };

/** `vcmm.migrate(physmem, options)`. */
export interface MigrateOptions {
  /** The memory type to move to (it may be the physmem's own: the move then only changes blocks). */
  readonly memtype: number;
  /** Physical-allocation attribute of the new blocks (page selection, `VCM_PHYS_CONT`, alignment); the physmem's own by default. */
  readonly attr?: number;
  /** What an access during the move meets (default `'stall'`): docs/migration.md#during-the-move. */
  readonly onAccess?: AccessPolicy;
  /**
   * Called after each step. It stands for the masters that keep running
   * while the buffer moves (a single-threaded simulation interleaves them
   * here): it may make device or CPU accesses. A throw aborts the move, and
   * everything is put back as it was.
   */
  readonly during?: (step: MigrationStep) => void;
}

/** One physical side of a move. */
export interface MigrationSide {
  readonly memtype: number;
  readonly attr: number;
  readonly chunks: readonly PhysChunk[];
}

/** What `vcmm.migrate` did. */
export interface MigrationReport {
  /** The physmem: the same handle as before, now over the new blocks. */
  readonly physmem: Physmem;
  readonly from: MigrationSide;
  readonly to: MigrationSide;
  /** The reservations it backs, by id: their device addresses did not change. */
  readonly reservations: readonly Reservation[];
  /** Address-space mappings rewritten (one per reservation and address space). */
  readonly remaps: number;
  readonly bytesCopied: number;
  /** Accesses that stalled on the broken mappings and completed after the move. */
  readonly stalls: number;
}

const OPTION_KEYS: readonly string[] = ['memtype', 'attr', 'onAccess', 'during'];
const POLICIES: readonly AccessPolicy[] = ['stall', 'fault'];

/** Why `pm` cannot move, as an error for `where`; undefined when it can. */
export function unmovable(where: string, pm: Physmem): VcmError | undefined {
  if (pm.isMapped) {
    return new VcmError('EINVAL', `${where}: ${pm.label} is a vcm_map_phys_addr wrapper of fixed memory at ${hex(pm._chunks[0]?.pa ?? 0)}; only allocations made by vcm_phys_alloc can move`, {
      param: 'physmem',
      physmem: pm.id,
      reason: 'mapped',
    });
  }
  if (pm._moving) {
    return new VcmError('EBUSY', `${where}: ${pm.label} is already being migrated`, { physmem: pm.id, reason: 'migrating' });
  }
  if (pm._pins > 0) {
    const backs = pm.reservations.map((r) => r.label).join(', ');
    return new VcmError(
      'EBUSY',
      `${where}: ${pm.label} is pinned (${pm._pins} pin${pm._pins === 1 ? '' : 's'}: DMA that must not stall${backs === '' ? '' : `, through ${backs}`}); unpin it to let it move`,
      { physmem: pm.id, reason: 'pinned', pins: pm._pins, reservations: pm.reservations.map((r) => r.id) },
    );
  }
  for (const r of pm.reservations) {
    if (r.vcm.type === 'one-to-one') {
      return new VcmError(
        'EBUSY',
        `${where}: ${pm.label} backs ${r.label} in one-to-one ${r.vcm.label}, whose device address ${hex(r._addr)} is its physical address: moving the memory would move the device address`,
        { physmem: pm.id, reason: 'one-to-one', reservation: r.id, vcm: r.vcm.id, devAddr: r._addr },
      );
    }
  }
  return undefined;
}

/** The validated options of a move. */
export interface MoveRequest {
  readonly memtype: number;
  readonly attr: number;
  readonly onAccess: AccessPolicy;
  readonly during: ((step: MigrationStep) => void) | undefined;
}

/** Check `options` of `vcmm.migrate`: a plain object, known keys, each value right. */
export function checkMigrateOptions(where: string, pm: Physmem, options: unknown, checkMemtype: (where: string, memtype: number) => void): MoveRequest {
  const o = checkOptions(where, 'options', options, OPTION_KEYS, '{ memtype, attr?, onAccess?, during? }');
  if (o['memtype'] === undefined) {
    throw new VcmError('EINVAL', `${where}: options.memtype is required: the memory type to move ${pm.label} to (its own is ${pm.memtype})`, { param: 'options.memtype' });
  }
  const memtype = checkUint(where, 'options.memtype', o['memtype']);
  checkMemtype(where, memtype);
  let attr = o['attr'] === undefined ? pm.attr : checkAttr(where, 'options.attr', o['attr'], PHYS_ATTR_BITS);
  if ((attr & VCM_PAGE_SEL_MASK) === 0) attr |= VCM_ALL;
  const onAccess = o['onAccess'] === undefined ? 'stall' : checkOneOf(where, 'options.onAccess', o['onAccess'], POLICIES);
  const during = o['during'];
  if (during !== undefined && typeof during !== 'function') {
    throw new VcmError('EINVAL', `${where}: options.during must be a function (step) => void, got ${describe(during)}`, { param: 'options.during', expected: 'a function' });
  }
  return { memtype, attr, onAccess, during: during as ((step: MigrationStep) => void) | undefined };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') {
    const name = (v as { constructor?: { name?: string } }).constructor?.name;
    return name ? `a ${name}` : 'an object';
  }
  return typeof v === 'number' ? String(v) : typeof v;
}

/** One mapping to rewrite: a reservation in one address space of its VCM. */
interface Mapping {
  readonly res: Reservation;
  readonly entry: SpaceEntry;
  /** Its index among the VCM's spaces (association order). */
  readonly index: number;
}

/**
 * Move `pm` as `req` says. Everything is checked but movability (the
 * caller's `unmovable`). `accept` (compaction, evacuation) may refuse the
 * blocks the allocator found: the move is then dropped, changing nothing,
 * and the answer is undefined.
 */
export function movePhysmem(g: Graph, where: string, pm: Physmem, req: MoveRequest, accept?: (chunks: readonly PhysChunk[]) => boolean): MigrationReport | undefined {
  const allocation = g.allocator.allocate(req.memtype, pm.len, req.attr);
  try {
    if (allocation.len !== pm.len) {
      throw new VcmError(
        'EINVAL',
        `${where}: memtype ${req.memtype} with attr ${hex(req.attr)} rounds ${formatSize(pm.len)} up to ${formatSize(allocation.len)}; ${pm.label} keeps its length (its reservations are ${formatSize(pm.len)}), so choose block sizes that make it exactly`,
        { param: 'options.attr', value: req.attr, len: pm.len, allocated: allocation.len },
      );
    }
    if (accept !== undefined && !accept(allocation.chunks)) {
      freeQuietly(g, allocation);
      return undefined;
    }
    const newRuns = toRuns(allocation.chunks);
    const first = pm.reservations[0];
    if (first !== undefined) checkAliasing(g, where, pm, first._attr, undefined, newRuns);
  } catch (e) {
    freeQuietly(g, allocation);
    throw e;
  }
  return new Migration(g, pm, allocation, req).run();
}

/** Allocations already given back (an allocation is freed once, whichever path gets there first). */
const FREED = new WeakSet<PhysAllocation>();
function freeQuietly(g: Graph, allocation: PhysAllocation): void {
  if (FREED.has(allocation)) return;
  FREED.add(allocation);
  g.allocator.free(allocation);
}

/** A move in progress: the steps after the allocation, each undone by `rollback`. */
class Migration implements StalledAccessServer {
  readonly #g: Graph;
  readonly #pm: Physmem;
  readonly #allocation: PhysAllocation;
  readonly #req: MoveRequest;
  readonly #oldRuns: readonly Run[];
  readonly #newRuns: readonly Run[];
  readonly #mappings: Mapping[] = [];
  readonly #spaces: SpaceEntry['space'][] = [];
  readonly #from: MigrationSide;
  #holds = 0;
  #broken = 0;
  #quiesced = false;
  #copied = false;
  #made = 0;
  #committed = false;
  #stalls = 0;
  /** The first failure of a step (kept so that a `during` that swallowed it still aborts the move). */
  #error: Error | undefined = undefined;

  constructor(g: Graph, pm: Physmem, allocation: PhysAllocation, req: MoveRequest) {
    this.#g = g;
    this.#pm = pm;
    this.#allocation = allocation;
    this.#req = req;
    this.#oldRuns = pm._runs;
    this.#newRuns = toRuns(allocation.chunks);
    this.#from = { memtype: pm.memtype, attr: pm.attr, chunks: pm._chunks };
    for (const res of pm.reservations) {
      res.vcm._spaces.forEach((entry, index) => {
        this.#mappings.push({ res, entry, index });
        if (!this.#spaces.includes(entry.space)) this.#spaces.push(entry.space);
      });
    }
  }

  run(): MigrationReport {
    const pm = this.#pm;
    pm._moving = true;
    try {
      for (const space of this.#spaces) {
        space.holdTables?.();
        this.#holds++;
      }
      this.#tell({ step: 'allocated', chunks: this.#allocation.chunks });
      while (!this.#committed) this.#advance(true);
    } catch (e) {
      this.#rollback();
      throw e;
    }
    return {
      physmem: pm,
      from: this.#from,
      to: { memtype: pm.memtype, attr: pm.attr, chunks: pm._chunks },
      reservations: pm.reservations,
      remaps: this.#mappings.length,
      bytesCopied: pm.len,
      stalls: this.#stalls,
    };
  }

  /**
   * A stalled access of `dev` at `address` (its fault handler answered
   * retry): when it is an access to this buffer through a broken mapping and
   * the caller chose `'stall'`, finish the move now, so that the retry finds
   * the new mapping (docs/migration.md#during-the-move).
   */
  serveStall(dev: Device, address: number): boolean {
    if (this.#req.onAccess !== 'stall' || this.#committed || this.#error !== undefined) return false;
    const hit = this.#mappings.some((m) => m.entry.driver === dev.driver && address >= m.res._addr && address < m.res._addr + m.res.len);
    if (!hit) return false;
    this.#stalls++;
    while (!this.#committed) this.#advance(false);
    return true;
  }

  /** Do the next step; with `hooks`, tell `during` afterwards. */
  #advance(hooks: boolean): void {
    try {
      const total = this.#mappings.length;
      if (this.#broken < total) {
        // Break every mapping before any is made: the copy must see no writer.
        const m = this.#mappings[this.#broken] as Mapping;
        unmapRuns(m.entry.space, m.res._addr, this.#oldRuns);
        this.#broken++;
        return;
      }
      if (!this.#quiesced) {
        this.#quiesced = true;
        this.#g.moving.add(this);
        if (hooks) this.#tell({ step: 'quiesced', mappings: total });
        return;
      }
      if (!this.#copied) {
        this.#copy();
        this.#copied = true;
        if (hooks) this.#tell({ step: 'copied', bytes: this.#pm.len });
        return;
      }
      if (this.#made < total) {
        const m = this.#mappings[this.#made] as Mapping;
        mapRuns(m.entry.space, m.res._addr, this.#newRuns, m.res._attr);
        this.#made++;
        if (hooks) this.#tell({ step: 'remapped', reservation: m.res, space: m.index, driver: m.entry.driver.name, remaining: total - this.#made });
        return;
      }
      this.#commit();
    } catch (e) {
      this.#error ??= e instanceof Error ? e : new Error(String(e));
      throw e;
    }
  }

  /** Tell `during`; an error it swallowed from a nested step still aborts the move. */
  #tell(step: MigrationStep): void {
    const during = this.#req.during;
    if (during === undefined) return;
    during(step);
    if (this.#error !== undefined) throw this.#error;
  }

  /** Copy the old bytes to the new blocks, run against run (both sides in physmem offset order). */
  #copy(): void {
    const memory = this.#g.memory;
    const src = this.#oldRuns;
    const dst = this.#newRuns;
    let i = 0;
    let j = 0;
    let off = 0;
    const len = this.#pm.len;
    while (off < len) {
      const s = src[i] as Run;
      const d = dst[j] as Run;
      const n = Math.min(s.offset + s.len, d.offset + d.len) - off;
      memory.copy(d.pa + (off - d.offset), s.pa + (off - s.offset), n);
      off += n;
      if (off === s.offset + s.len) i++;
      if (off === d.offset + d.len) j++;
    }
  }

  /** Nothing below can fail: the handle takes the new blocks, the reverse map follows, the old blocks go back. */
  #commit(): void {
    const g = this.#g;
    const pm = this.#pm;
    const old = pm._allocation as PhysAllocation;
    pm._rebase(this.#allocation);
    for (const res of pm._backs) {
      for (const e of res._reverse) g.reverse.remove(e.pa, e.len, e);
      res._reverse = [];
      for (const run of pm._runs) {
        const entry: ReverseEntry = { res, offset: run.offset, pa: run.pa, len: run.len };
        g.reverse.insert(run.pa, run.len, entry);
        res._reverse.push(entry);
      }
    }
    this.#committed = true;
    g.moving.delete(this);
    this.#releaseHolds();
    pm._moving = false;
    g.allocator.free(old);
  }

  /** Undo whatever was done, in reverse: new mappings out, old ones back (into their held tables), holds released, new blocks freed. */
  #rollback(): void {
    const g = this.#g;
    g.moving.delete(this);
    if (!this.#committed) {
      for (let i = this.#made - 1; i >= 0; i--) {
        const m = this.#mappings[i] as Mapping;
        unmapRuns(m.entry.space, m.res._addr, this.#newRuns);
      }
      this.#made = 0;
      for (let i = this.#broken - 1; i >= 0; i--) {
        const m = this.#mappings[i] as Mapping;
        mapRuns(m.entry.space, m.res._addr, this.#oldRuns, m.res._attr);
      }
      this.#broken = 0;
      this.#releaseHolds();
      freeQuietly(g, this.#allocation);
    }
    this.#pm._moving = false;
  }

  #releaseHolds(): void {
    for (; this.#holds > 0; this.#holds--) this.#spaces[this.#holds - 1]?.releaseTables?.();
  }
}

/** Check the handle and options of `vcmm.migrate` and move it (the object API's entry point). */
export function migrate(g: Graph, physmem: unknown, options: unknown, checkMemtype: (where: string, memtype: number) => void): MigrationReport {
  const where = 'vcmm.migrate';
  g.checkAlive(where);
  const pm = checkHandle(g, where, 'physmem', physmem, Physmem, 'physmem');
  const req = checkMigrateOptions(where, pm, options, checkMemtype);
  const refusal = unmovable(where, pm);
  if (refusal) throw refusal;
  return movePhysmem(g, where, pm, req) as MigrationReport;
}
