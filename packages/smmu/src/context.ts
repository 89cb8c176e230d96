/**
 * A virtual SMMU context (seed 000 "IOMMU Hardware Control": "the SMMU
 * module creates and manages device independent virtual contexts. These
 * context abstractions are bound to actual contexts at run-time. Once bound,
 * a context can be activated. This activation programs the underlying
 * context with the virtual context affecting a context switch.").
 *
 * The context keeps a register image (docs/translation.md#registers) that
 * activation loads into its bank; more virtual contexts than banks may
 * exist, and a bank held by an active context makes another activation
 * `EBUSY`. TTBR0 and TTBR1 each hold one address space's table: the
 * context's own table (own-table.ts, the seed's `smmu_map` API; TTBR0
 * only) or a VCM's table that `@vcm/core` activates through the driver.
 * Whatever the context writes into the registers is what the bank walks.
 *
 * A context is a core device: it has a `name` and its SMMU's `driver`.
 */
import { VcmError, checkUint, formatSize, hex } from '@vcm/core';
import type { Device, FaultHandler, MappingDriver } from '@vcm/core';
import { isWalkFault } from './format.js';
import type { LeafEntry, WalkFault, WalkResult, WalkStep } from './format.js';
import { LPAE_MAIR } from './formats/index.js';
import type { ContextBank } from './context-bank.js';
import { DmaPort } from './dma.js';
import { isSmmu, registerContext } from './handles.js';
import { OwnTable } from './own-table.js';
import { BankRegisters, SCTLR_AFE, SCTLR_CFCFG, SCTLR_CFIE, SCTLR_CFRE, SCTLR_M, REG_SCTLR, writeTranslationRegisters } from './registers.js';
import type { RegisterLayout } from './registers.js';
import type { TranslationTable } from './translation-table.js';
import type { Smmu } from './smmu.js';
import { PmuCounters } from './caches/events.js';
import type { PmuEvents } from './caches/events.js';

/** How `smmu.createContext` makes a virtual context: its name, preferred bank and fault retry budget. */
export interface ContextOptions {
  /** Default `${smmu.name}-ctx${index}`. */
  readonly name?: string;
  /** The hardware bank `bind` uses when not told; default the context's index. */
  readonly bank?: number;
  /** How many times a fault handler may answer `'retry'` for one access (default: the SMMU's, 8). */
  readonly retryBudget?: number;
  /** Issue DMA as privileged transactions (default false: device traffic is unprivileged, so a `PROT_PRIV` mapping faults). */
  readonly privileged?: boolean;
  /** A secure context: its walks reach secure (`VCM_SECURE`, NS = 0) mappings. Default false: a non-secure context cannot. */
  readonly secure?: boolean;
}

/** One entry of `ctx.dumpTables()`, the way a debugfs dump lists it. */
export interface DumpEntry {
  readonly level: number;
  readonly va: number;
  readonly end: number;
  readonly pa: number;
  readonly size: number;
  readonly descriptor: number;
  readonly descriptorHigh: number;
  readonly prot: number;
  /** `0x0010_0000-0x001f_ffff -> 0x4010_0000 1 MiB L1 desc 0x…` */
  readonly text: string;
}

/** One page table of a context, leaf by leaf, for `ctx.dumpTables()` and the reference app's table printouts. */
export interface TableDump {
  /** Which base register points at the table (`'own'`: the context's own table, not loaded). */
  readonly base: 'TTBR0' | 'TTBR1' | 'own';
  readonly format: string;
  readonly rootPa: number;
  readonly tableBytes: number;
  /** Valid leaves grouped by level, levels ascending. */
  readonly levels: ReadonlyArray<{ readonly level: number; readonly entries: readonly DumpEntry[] }>;
}

/** What `ctx.walk(va)` found: the hardware walk from the bank's registers, level by level. */
export interface ContextWalk {
  readonly va: number;
  /** One step per descriptor read: the table level, the entry's physical address and the descriptor words. */
  readonly steps: readonly WalkStep[];
  /** The leaf, when the walk found one. */
  readonly leaf: WalkResult | undefined;
  /** The fault, when the walk ended in one (translation, access flag, address size). */
  readonly fault: WalkFault | undefined;
  /** The physical address of `va`, when it translates. */
  readonly pa: number | undefined;
}

/** A virtual context as plain JSON (docs/rules.md#observability): its bank binding, activity and register image. */
export interface ContextSnapshot {
  readonly name: string;
  readonly index: number;
  readonly smmu: string;
  readonly bound: string | null;
  readonly bank: number | null;
  readonly active: boolean;
  readonly secure: boolean;
  readonly contextId: number | null;
  /** The live bank's registers while active (FSR/FAR hold the last fault), else the image activation loads. */
  readonly registers: ReturnType<BankRegisters['toJSON']>;
  /** Root PA of the table TTBR0 / TTBR1 holds. */
  readonly ttbr0Table: number | null;
  readonly ttbr1Table: number | null;
  /** Root PA of the context's own table (`smmu_map`), whether loaded or not. */
  readonly ownTable: number | null;
  /** A fault handler is hooked. */
  readonly hooked: boolean;
  /** This context's PMCG events (docs/hardware.md#translation-caches). */
  readonly events: PmuEvents;
}

/** A hooked fault handler and its data (`smmu_hook_irpt`). */
export interface InterruptHook {
  readonly handler: FaultHandler;
  readonly data: unknown;
}

/** Which register layout (TTBCR.EAE) each format is walked under. */
const LAYOUT: Readonly<Record<string, RegisterLayout>> = { armV7Short: 'short', armLpae4k: 'long' };

/** What activation writes into SCTLR: translate, AP[0] as access flag, report, interrupt and stall on faults. */
const SCTLR_ACTIVE = SCTLR_M | SCTLR_AFE | SCTLR_CFRE | SCTLR_CFIE | SCTLR_CFCFG;

function describeProt(prot: number): string {
  return `${prot & (1 << 9) ? 'r' : '-'}${prot & (1 << 8) ? 'w' : '-'}${prot & (1 << 7) ? 'x' : '-'}`;
}

/**
 * A virtual SMMU context (`smmu_ctx_init`): the device `@vcm/core` associates
 * VCMs with. It keeps a register image that activation loads into a hardware
 * context bank, so more contexts than banks may exist; TTBR0 and TTBR1 each
 * hold one table, the context's own (`smmu_map`) or a VCM's. Device traffic
 * goes through `ctx.dma` (docs/translation.md#the-walk-from-registers).
 */
export class SmmuContext implements Device {
  readonly name: string;
  readonly index: number;
  /** The SMMU that created the context (`smmu_ctx_init`). */
  readonly smmu: Smmu;
  readonly retryBudget: number;
  readonly privileged: boolean;
  readonly secure: boolean;
  /** Device traffic through this context. */
  readonly dma: DmaPort;
  /** @internal This context's event counters; `events()` reads them. */
  readonly pmu = new PmuCounters();

  private hook: InterruptHook | undefined;
  private readonly image = new BankRegisters();
  private readonly defaultBank: number;
  private boundBank: ContextBank | undefined;
  private contextIdValue: number | undefined;
  private active = false;
  /** Activated by the core driver, which then deactivates it when its last base goes. */
  private activatedByCore = false;
  /** The tables TTBR0 and TTBR1 hold, by register number. */
  private readonly ttbrTables: [TranslationTable | undefined, TranslationTable | undefined] = [undefined, undefined];
  /** The split the registers are programmed with (short TTBCR.N, long T0SZ). */
  private split = 0;
  /** Tables the bound bank is registered with as a user (for their TLB invalidations). */
  private registeredWith: TranslationTable[] = [];
  private readonly own: OwnTable;
  private dead = false;
  /** Call names for messages, built once: the hot calls must not build strings per call. */
  private readonly where: Readonly<Record<'map' | 'unmap' | 'translate' | 'updateStart' | 'updateDone' | 'walk', string>>;

  /** Not a constructor to call: use `smmu.createContext`. */
  constructor(smmu: Smmu, index: number, options: ContextOptions) {
    this.smmu = smmu;
    this.index = index;
    this.name = options.name ?? `${smmu.name}-ctx${index}`;
    this.defaultBank = options.bank ?? index;
    this.retryBudget = options.retryBudget ?? smmu.faultRetryBudget;
    this.privileged = options.privileged ?? false;
    this.secure = options.secure ?? false;
    this.dma = new DmaPort(this);
    this.own = new OwnTable(() => this.boundBank?.smmu ?? this.smmu);
    this.where = {
      map: `${this.name}.map`,
      unmap: `${this.name}.unmap`,
      translate: `${this.name}.translate`,
      updateStart: `${this.name}.updateStart`,
      updateDone: `${this.name}.updateDone`,
      walk: `${this.name}.walk`,
    };
    registerContext(this);
  }

  /** The driver `@vcm/core` muxes through (every device knows its driver). */
  get driver(): MappingDriver {
    return this.smmu.driver;
  }

  /** The bank the context is bound to, if any. */
  get bank(): ContextBank | undefined {
    return this.boundBank;
  }

  get isActive(): boolean {
    return this.active;
  }

  get isInitialized(): boolean {
    return !this.dead;
  }

  /** CONTEXTIDR: the context id (ASID) tagging its TLB entries (allocated when bound). */
  get contextId(): number | undefined {
    return this.contextIdValue;
  }

  /** The hooked fault handler, if any. */
  get interruptHook(): InterruptHook | undefined {
    return this.hook;
  }

  /** The live bank registers while active, otherwise the context's register image. */
  get registers(): BankRegisters {
    return this.active ? this.boundBank!.registers : this.image;
  }

  /** The table TTBR0 / TTBR1 holds (a VCM's, or TTBR0 the context's own). */
  get ttbr0Table(): TranslationTable | undefined {
    return this.ttbrTables[0];
  }
  get ttbr1Table(): TranslationTable | undefined {
    return this.ttbrTables[1];
  }

  /** @internal */
  checkLive(where: string): void {
    if (this.dead) {
      throw new VcmError('EINVAL', `${where}: context ${this.name} was deinitialised (smmu_ctx_deinit); create a new one`, { param: 'ctx', value: this.name, expected: 'a live context' });
    }
  }

  /** @internal The bank an active context translates on; `EINVAL` when inactive. */
  activeBank(where: string): ContextBank {
    this.checkLive(where);
    if (!this.active) {
      throw new VcmError('EINVAL', `${where}: context ${this.name} is not active; bind and activate it first`, { param: 'ctx', value: this.name, expected: 'an active context' });
    }
    return this.boundBank!;
  }

  /**
   * `smmu_ctx_bind`: attach to a hardware bank of `smmu` (default: the
   * `bank` option, else the context's index). `EINVAL` for a bank the SMMU
   * does not have; `EBUSY` while active.
   */
  bind(smmu: Smmu, bank: number = this.defaultBank): void {
    const where = `${this.name}.bind`;
    this.checkLive(where);
    if (!isSmmu(smmu)) {
      throw new VcmError('EINVAL', `${where}: smmu must be an Smmu instance, got ${smmu === null ? 'null' : typeof smmu}`, { param: 'smmu', value: typeof smmu, expected: 'Smmu' });
    }
    checkUint(where, 'bank', bank);
    if (bank >= smmu.banks.length) {
      throw new VcmError('EINVAL', `${where}: bank must be below ${smmu.name}'s ${smmu.banks.length} context banks, got ${bank}`, {
        param: 'bank',
        value: bank,
        expected: `0..${smmu.banks.length - 1}`,
      });
    }
    if (this.active) {
      throw new VcmError('EBUSY', `${where}: context ${this.name} is active on ${this.boundBank!.smmu.name} bank ${this.boundBank!.index}; deactivate it before rebinding`, {
        context: this.name,
      });
    }
    const own = this.own.table;
    if (own && (smmu.memory !== own.memory || smmu.format !== own.format)) {
      throw new VcmError('EINVAL', `${where}: ${smmu.name} uses another memory or format (${smmu.format.name}) than this context's page table (${own.format.name})`, {
        param: 'smmu',
        value: smmu.name,
        expected: `an SMMU with format ${own.format.name} over the same memory`,
      });
    }
    const target = smmu.banks[bank]!;
    if (target === this.boundBank) return;
    const previous = this.boundBank?.smmu;
    const contextId = previous === smmu ? this.contextIdValue! : smmu.allocateContextId(where);
    if (previous && previous !== smmu) previous.releaseContextId(this.contextIdValue!);
    this.boundBank = target;
    this.contextIdValue = contextId;
  }

  /**
   * `smmu_activate`: program the bound bank with this context (a context
   * switch). `EBUSY` while another context holds the bank; `EINVAL` when
   * unbound. Activating an active context changes nothing. TTBR0 then holds
   * the context's own table (made now if `smmu_map` has not made it).
   */
  activate(): void {
    const where = `${this.name}.activate`;
    this.checkLive(where);
    if (this.active) return;
    const bank = this.requireBank(where);
    this.checkBankFree(where, bank);
    const created = this.own.table === undefined;
    try {
      this.program(bank, () => {
        this.ttbrTables[0] = this.own.ensure();
        this.ttbrTables[1] = undefined;
        this.split = 0;
      });
    } catch (e) {
      if (created) this.own.destroy();
      throw e;
    }
    this.activatedByCore = false;
  }

  /**
   * `smmu_deactivate`: give the bank up; the context's TLB entries are
   * invalidated. `ENOENT` when inactive; `EBUSY` while a VCM association
   * holds one of its base registers (deactivate the association instead).
   */
  deactivate(): void {
    const where = `${this.name}.deactivate`;
    this.checkLive(where);
    if (!this.active) {
      throw new VcmError('ENOENT', `${where}: context ${this.name} is not active`, { context: this.name });
    }
    const vcmBase = this.vcmBase();
    if (vcmBase !== undefined) {
      throw new VcmError('EBUSY', `${where}: TTBR${vcmBase} of context ${this.name} holds an active VCM association's table; deactivate the association instead`, {
        context: this.name,
        base: `TTBR${vcmBase}`,
      });
    }
    this.unload();
  }

  /** `smmu_ctx_deinit`. `EBUSY` while active; frees the context's own table and its context id. */
  deinit(): void {
    const where = `${this.name}.deinit`;
    this.checkLive(where);
    if (this.active) {
      throw new VcmError('EBUSY', `${where}: context ${this.name} is active; deactivate it first`, { context: this.name });
    }
    if (this.boundBank) this.boundBank.smmu.releaseContextId(this.contextIdValue!);
    this.own.destroy();
    this.ttbrTables[0] = undefined;
    this.ttbrTables[1] = undefined;
    this.boundBank = undefined;
    this.contextIdValue = undefined;
    this.hook = undefined;
    this.dead = true;
    this.smmu.forgetContext(this);
  }

  /** `smmu_hook_irpt` / `smmu_hook_interrupt`: the fault handler and its data; replaces an earlier one. */
  hookInterrupt(handler: FaultHandler, data?: unknown): void {
    const where = `${this.name}.hookInterrupt`;
    this.checkLive(where);
    if (typeof handler !== 'function') {
      throw new VcmError('EINVAL', `${where}: handler must be a function (dev, data, fault) => 'retry' | 'terminate', got ${handler === null ? 'null' : typeof handler}`, {
        param: 'handler',
        value: typeof handler,
        expected: 'function',
      });
    }
    this.hook = { handler, data };
  }

  /** Remove the fault handler: faults are then logged and terminate the access. Unhooking with none hooked changes nothing. */
  unhookInterrupt(): void {
    this.checkLive(`${this.name}.unhookInterrupt`);
    this.hook = undefined;
  }

  // ---- the seed's low-level mapping API on the own table (own-table.ts) ----

  /** `smmu_update_start`: open a bracket on the context's own table. Brackets nest. */
  updateStart(): void {
    this.checkLive(this.where.updateStart);
    this.own.updateStart();
  }

  /** `smmu_update_done`: close it; every TLB invalidation it needs has completed on return. */
  updateDone(): void {
    const where = this.where.updateDone;
    this.checkLive(where);
    this.own.updateDone(where);
  }

  /**
   * `smmu_map(dev, pa, va, len, attr)`: one page of a size the format
   * supports (4 KiB, 64 KiB, 1 MiB, 16 MiB for the short format), both
   * addresses aligned to it. `attr`: `vcm.h` reservation bits (read+write
   * when no access bit is set). Outside a bracket it is its own bracket.
   */
  map(pa: number, va: number, len: number, attr: number): void {
    const where = this.where.map;
    this.checkLive(where);
    this.checkOwnUsable(where);
    this.own.map(where, pa, va, len, attr);
  }

  /** `smmu_unmap(dev, va, len)`: exactly one page mapped earlier with that size. */
  unmap(va: number, len: number): void {
    const where = this.where.unmap;
    this.checkLive(where);
    this.checkOwnUsable(where);
    this.own.unmap(where, va, len);
  }

  /**
   * `smmu_translate(dev, va)`: the physical address the hardware finds for
   * `va`, through the shared TLB (a miss walks and fills). `EFAULT` when
   * it does not translate; `EINVAL` when the context is not active.
   */
  translate(va: number): number {
    const where = this.where.translate;
    // Hot path (benchmarked): an active context is live, and `va >>> 0 === va`
    // holds exactly for an integer in [0, 2^32); the full checks only run to
    // word the error.
    const bank = this.active ? this.boundBank! : this.activeBank(where);
    if (va >>> 0 !== va) checkUint(where, 'va', va, 0xffffffff);
    // The slot probe returns covers va (a hit or the fill of its walk): no need for pa's checks again.
    const slot = bank.probe(where, va, this.privileged);
    return bank.front._paOfHit(slot, va);
  }

  /** This context's PMCG events (docs/hardware.md#translation-caches): its traffic's cycles, transactions, TLB misses and walk reads. */
  events(): PmuEvents {
    return this.pmu.events();
  }

  /**
   * TLB lockdown (docs/hardware.md#translation-caches): translate `va` (a
   * miss walks) and lock its main-TLB entry, so that it is never evicted —
   * invalidation still removes it. At most the SMMU's
   * `caches.lockdownEntries` per context: `EINVAL` when the SMMU has none,
   * `EBUSY` when this context holds them all or the entry's set would have
   * no way left to replace; `EFAULT` when `va` does not translate.
   */
  lockTlb(va: number): void {
    const where = `${this.name}.lockTlb`;
    const bank = this.activeBank(where);
    checkUint(where, 'va', va, 0xffffffff);
    const smmu = this.smmu;
    const limit = smmu.caches.config.lockdownEntries;
    if (limit === 0) {
      throw new VcmError('EINVAL', `${where}: ${smmu.name} has no TLB lockdown (caches.lockdownEntries is 0; a board or new Smmu sets it)`, {
        param: 'caches.lockdownEntries',
        value: 0,
        expected: 'at least 1',
      });
    }
    const tlb = smmu.tlb;
    const held = tlb.countLocked(bank.index, bank.contextId);
    bank.probe(where, va, this.privileged);
    const slot = tlb.peek(bank.index, bank.contextId, va, smmu.sizesLog2);
    if (slot >= 0 && tlb.isLocked(slot)) return;
    if (held >= limit) {
      throw new VcmError('EBUSY', `${where}: context ${this.name} already holds ${held} locked TLB entries, the ${smmu.name} limit (caches.lockdownEntries); unlockTlb() frees them`, {
        context: this.name,
        limit,
      });
    }
    tlb.lock(slot);
  }

  /** Unlock every main-TLB entry this context locked; they may be evicted again. Returns how many. */
  unlockTlb(): number {
    const where = `${this.name}.unlockTlb`;
    const bank = this.activeBank(where);
    return this.smmu.tlb.unlockContext(bank.index, bank.contextId);
  }

  /**
   * The walk the hardware does for `va` from the bank's registers, level by
   * level (docs/translation.md#the-walk-from-registers): each descriptor's
   * physical address and words, then the leaf and the physical address, or
   * the fault. Touches neither the TLB nor its counters. `EINVAL` when the
   * context is not active.
   */
  walk(va: number): ContextWalk {
    const where = this.where.walk;
    const bank = this.activeBank(where);
    checkUint(where, 'va', va, 0xffffffff);
    const steps: WalkStep[] = [];
    const r = bank.walk(va, steps);
    if (isWalkFault(r)) return { va, steps, leaf: undefined, fault: r, pa: undefined };
    return { va, steps, leaf: r, fault: undefined, pa: r.pa };
  }

  /** Every valid leaf of each loaded table (and the own table), per level, the way a debugfs dump lists them. */
  dumpTables(): TableDump[] {
    this.checkLive(`${this.name}.dumpTables`);
    const out: TableDump[] = [];
    const add = (base: TableDump['base'], t: TranslationTable): void => {
      const byLevel = new Map<number, DumpEntry[]>();
      for (const leaf of t.table.leaves()) {
        const list = byLevel.get(leaf.level) ?? [];
        byLevel.set(leaf.level, list);
        list.push(dumpEntry(leaf));
      }
      out.push({
        base,
        format: t.format.name,
        rootPa: t.rootPa,
        tableBytes: t.table.tableBytes,
        levels: [...byLevel.keys()].sort((a, b) => a - b).map((level) => ({ level, entries: byLevel.get(level)! })),
      });
    };
    const [t0, t1] = this.ttbrTables;
    if (t0) add('TTBR0', t0);
    if (t1) add('TTBR1', t1);
    const own = this.own.table;
    if (own && own !== t0) add('own', own);
    return out;
  }

  toJSON(): ContextSnapshot {
    return {
      name: this.name,
      index: this.index,
      smmu: this.smmu.name,
      bound: this.boundBank ? this.boundBank.smmu.name : null,
      bank: this.boundBank ? this.boundBank.index : null,
      active: this.active,
      secure: this.secure,
      contextId: this.contextIdValue ?? null,
      registers: this.registers.toJSON(),
      ttbr0Table: this.ttbrTables[0]?.rootPa ?? null,
      ttbr1Table: this.ttbrTables[1]?.rootPa ?? null,
      ownTable: this.own.table?.rootPa ?? null,
      hooked: this.hook !== undefined,
      events: this.pmu.events(),
    };
  }

  // ---- what the core driver uses (internal) --------------------------------

  /**
   * @internal Refuse (`EBUSY`) what `attachBase` would refuse, changing
   * nothing: that base holds another table, the other base runs with
   * another split, or another context holds the bank.
   */
  checkAttach(where: string, which: 0 | 1, table: TranslationTable | undefined, split: number): void {
    this.checkLive(where);
    const current = this.ttbrTables[which];
    if (current !== undefined && current !== table && !this.isIdleOwn(current)) {
      throw new VcmError('EBUSY', `${where}: TTBR${which} of context ${this.name} already holds the table at ${hex(current.rootPa)}`, {
        context: this.name,
        base: `TTBR${which}`,
        table: current.rootPa,
      });
    }
    const other = this.ttbrTables[which === 0 ? 1 : 0];
    if (other !== undefined && !this.isIdleOwn(other) && this.split !== split) {
      throw new VcmError('EBUSY', `${where}: context ${this.name} runs with a split of ${this.split} for its TTBR${which === 0 ? 1 : 0} table; this association asks for ${split}`, {
        context: this.name,
        param: 'split',
        value: split,
        expected: this.split,
      });
    }
    if (!this.active) {
      const target = this.boundBank ?? this.smmu.banks[this.defaultBank];
      if (target) this.checkBankFree(where, target);
    }
  }

  /**
   * @internal Point TTBR0 (`which` 0) or TTBR1 (1) at `table` with the
   * split `split`, binding and activating the context as needed. Refuses
   * as `checkAttach` does; the format refusing the registers (`EINVAL`)
   * leaves everything as it was.
   */
  attachBase(where: string, which: 0 | 1, table: TranslationTable, split: number): void {
    this.checkAttach(where, which, table, split);
    const bound = this.boundBank !== undefined;
    if (!bound) this.bind(this.smmu);
    const wasActive = this.active;
    try {
      this.program(this.boundBank!, () => {
        const otherIndex = which === 0 ? 1 : 0;
        const other = this.ttbrTables[otherIndex];
        this.ttbrTables[which] = table;
        // An own table with nothing mapped gives its base up, so the split alone decides routing.
        if (other !== undefined && this.isIdleOwn(other)) this.ttbrTables[otherIndex] = undefined;
        this.split = split;
      });
    } catch (e) {
      if (!bound) this.unbind();
      throw e;
    }
    if (!wasActive) this.activatedByCore = true;
  }

  /**
   * @internal Undo `attachBase`: clear the base. When no VCM table is left,
   * a context core activated is deactivated; one the seed API activated
   * gets its own table back in TTBR0.
   */
  detachBase(which: 0 | 1): void {
    if (!this.active) {
      this.ttbrTables[which] = undefined;
      return;
    }
    const [t0, t1] = this.ttbrTables;
    const left = which === 0 ? t1 : t0;
    if (left === undefined && this.activatedByCore) {
      this.unload();
      return;
    }
    this.program(this.boundBank!, () => {
      this.ttbrTables[which] = undefined;
      if (left === undefined) {
        this.ttbrTables[0] = this.own.ensure();
        this.split = 0;
      }
    });
  }

  // ---- internals -----------------------------------------------------------

  /** The base holding a VCM's table (not the own table), if any. */
  private vcmBase(): 0 | 1 | undefined {
    const own = this.own.table;
    const [t0, t1] = this.ttbrTables;
    if (t0 !== undefined && t0 !== own) return 0;
    if (t1 !== undefined && t1 !== own) return 1;
    return undefined;
  }

  private isIdleOwn(t: TranslationTable): boolean {
    return t === this.own.table && this.own.isEmpty;
  }

  /** The seed API maps into the own table only while TTBR0 holds it or nothing (EBUSY otherwise, before any table is made). */
  private checkOwnUsable(where: string): void {
    const t0 = this.ttbrTables[0];
    if (t0 !== undefined && t0 !== this.own.table) {
      throw new VcmError('EBUSY', `${where}: TTBR0 of context ${this.name} holds a VCM's table (${hex(t0.rootPa)}); map through the VCM (res.back)`, {
        context: this.name,
      });
    }
    if (this.active && t0 === undefined) {
      // Active with only a TTBR1 table: the own table is not loaded; loading it now would change routing under the VCM.
      throw new VcmError('EBUSY', `${where}: context ${this.name} is active with a VCM on TTBR1 only; the low-level map API needs TTBR0`, { context: this.name });
    }
  }

  private requireBank(where: string): ContextBank {
    if (!this.boundBank) {
      throw new VcmError('EINVAL', `${where}: context ${this.name} is not bound to a context bank; call bind(smmu) first`, { context: this.name, expected: 'a bound context' });
    }
    return this.boundBank;
  }

  private unbind(): void {
    this.boundBank!.smmu.releaseContextId(this.contextIdValue!);
    this.boundBank = undefined;
    this.contextIdValue = undefined;
  }

  private checkBankFree(where: string, bank: ContextBank): void {
    const holder = bank.owner;
    if (holder && holder !== this) {
      throw new VcmError('EBUSY', `${where}: ${bank.smmu.name} bank ${bank.index} is held by active context ${holder.name}`, {
        context: this.name,
        bank: bank.index,
        holder: holder.name,
      });
    }
  }

  /**
   * Change which tables the base registers hold (`change`), write the
   * register image for them and load it into `bank`. If the bank refuses
   * the registers (the format cannot express them), the tables, the split
   * and the image are put back. A bank that was already running the
   * context loses the context's TLB entries: its tables changed.
   */
  private program(bank: ContextBank, change: () => void): void {
    const tables: [TranslationTable | undefined, TranslationTable | undefined] = [this.ttbrTables[0], this.ttbrTables[1]];
    const split = this.split;
    const image = new BankRegisters();
    image.load(this.image);
    change();
    try {
      this.writeImage(bank.smmu);
      bank.program(this, this.image);
    } catch (e) {
      this.ttbrTables[0] = tables[0];
      this.ttbrTables[1] = tables[1];
      this.split = split;
      this.image.load(image);
      throw e;
    }
    if (this.active) bank.smmu.caches.invalidateContext(bank.index, bank.contextId);
    for (const t of this.registeredWith) t.users.delete(bank);
    this.registeredWith = this.ttbrTables.filter((t): t is TranslationTable => t !== undefined);
    for (const t of this.registeredWith) t.users.add(bank);
    this.active = true;
  }

  /** The register image for the current tables, split and context id. */
  private writeImage(smmu: Smmu): void {
    const layout = LAYOUT[smmu.format.name] ?? 'short';
    writeTranslationRegisters(this.image, {
      layout,
      root0: this.ttbrTables[0]?.rootPa,
      root1: this.ttbrTables[1]?.rootPa,
      split: this.split,
      asid: this.contextIdValue ?? 0,
      ...(layout === 'long' ? { mair: LPAE_MAIR } : {}),
    });
    this.image.write(REG_SCTLR, SCTLR_ACTIVE);
  }

  private unload(): void {
    const bank = this.boundBank!;
    for (const t of this.registeredWith) t.users.delete(bank);
    this.registeredWith = [];
    bank.release();
    this.ttbrTables[0] = undefined;
    this.ttbrTables[1] = undefined;
    this.split = 0;
    this.image.clear();
    this.active = false;
    this.activatedByCore = false;
  }
}

function dumpEntry(leaf: LeafEntry): DumpEntry {
  const end = leaf.va + leaf.size - 1;
  return {
    level: leaf.level,
    va: leaf.va,
    end,
    pa: leaf.pa,
    size: leaf.size,
    descriptor: leaf.descriptor,
    descriptorHigh: leaf.descriptorHigh,
    prot: leaf.prot,
    text: `${hex(leaf.va)}-${hex(end)} -> ${hex(leaf.pa)} ${formatSize(leaf.size)} L${leaf.level} ${describeProt(leaf.prot)} desc ${leaf.descriptorHigh ? `${hex(leaf.descriptorHigh)}:` : ''}${hex(leaf.descriptor >>> 0)}`,
  };
}
