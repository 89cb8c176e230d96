/**
 * A virtual SMMU context (seed 000 "IOMMU Hardware Control": "the SMMU
 * module creates and manages device independent virtual contexts. These
 * context abstractions are bound to actual contexts at run-time. Once bound,
 * a context can be activated. This activation programs the underlying
 * context with the virtual context affecting a context switch.").
 *
 * The context keeps a register image (TTBR0, TTBR1, TTBCR, SCTLR,
 * CONTEXTIDR) that activation loads into its bank; more virtual contexts
 * than banks may exist, and a bank held by an active context makes another
 * activation `EBUSY`. For the seed's low-level API (`smmu_map` …) a context
 * owns a page table of its own; when `@vcm/core` drives it, TTBR0/TTBR1
 * point at core's address-space tables instead (`attachBase`).
 *
 * A context is a core device: it has a `name` and its SMMU's `driver`.
 */
import { VcmError, checkAttr, checkUint, formatSize, hex } from '@vcm/core';
import type { Device, FaultHandler, MappingDriver } from '@vcm/core';
import { PROT_GLOBAL, PROT_PRIV, type LeafEntry } from './format.js';
import type { ContextBank } from './context-bank.js';
import { DmaPort } from './dma.js';
import { BankRegisters, REG_CONTEXTIDR, REG_SCTLR, REG_TTBCR, REG_TTBR0, REG_TTBR1, SCTLR_CFCFG, SCTLR_CFIE, SCTLR_M } from './registers.js';
import { TranslationTable } from './translation-table.js';
import { Smmu } from './smmu.js';
import { protOfAttr } from './prot.js';

export interface ContextOptions {
  /** Default `${smmu.name}-ctx${index}`. */
  readonly name?: string;
  /** The hardware bank `bind` uses when not told; default the context's index. */
  readonly bank?: number;
  /** How many times a fault handler may answer `'retry'` for one access (default: the SMMU's, 8). */
  readonly retryBudget?: number;
  /** Issue DMA as privileged transactions (default false: device traffic is unprivileged, so a `PROT_PRIV` mapping faults). */
  readonly privileged?: boolean;
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

export interface TableDump {
  /** Which base register points at the table (`'own'`: the context's own table, not loaded). */
  readonly base: 'TTBR0' | 'TTBR1' | 'own';
  readonly format: string;
  readonly rootPa: number;
  readonly tableBytes: number;
  /** Valid leaves grouped by level, levels ascending. */
  readonly levels: ReadonlyArray<{ readonly level: number; readonly entries: readonly DumpEntry[] }>;
}

export interface ContextSnapshot {
  readonly name: string;
  readonly index: number;
  readonly smmu: string;
  readonly bound: string | null;
  readonly bank: number | null;
  readonly active: boolean;
  readonly contextId: number | null;
  readonly registers: ReturnType<BankRegisters['toJSON']>;
  readonly ttbr0Table: number | null;
  readonly ttbr1Table: number | null;
  readonly ownTable: number | null;
  readonly hooked: boolean;
}

interface InterruptHook {
  readonly handler: FaultHandler;
  readonly data: unknown;
}

function describeProt(prot: number): string {
  return `${prot & (1 << 9) ? 'r' : '-'}${prot & (1 << 8) ? 'w' : '-'}${prot & (1 << 7) ? 'x' : '-'}`;
}

export class SmmuContext implements Device {
  readonly name: string;
  readonly index: number;
  /** The SMMU that created the context (`smmu_ctx_init`). */
  readonly smmu: Smmu;
  readonly retryBudget: number;
  readonly privileged: boolean;
  /** Device traffic through this context. */
  readonly dma: DmaPort;
  /** Retry/terminate handler (`smmu_hook_irpt`). */
  interruptHook: InterruptHook | undefined;

  private readonly image = new BankRegisters();
  private readonly defaultBank: number;
  private boundBank: ContextBank | undefined;
  private contextIdValue: number | undefined;
  private active = false;
  /** Activated by the core driver, which then deactivates it when its last base goes. */
  private coreActivated = false;
  private base0: TranslationTable | undefined;
  private base1: TranslationTable | undefined;
  private ownTable: TranslationTable | undefined;
  private ownLeaves = 0;
  private dead = false;
  /** Call names for messages, built once: the hot calls must not build strings per call. */
  private readonly where: Readonly<Record<'map' | 'unmap' | 'translate' | 'updateStart' | 'updateDone', string>>;

  /** @internal Use `smmu.createContext`. */
  constructor(smmu: Smmu, index: number, options: ContextOptions) {
    this.smmu = smmu;
    this.index = index;
    this.name = options.name ?? `${smmu.name}-ctx${index}`;
    this.defaultBank = options.bank ?? index;
    this.retryBudget = options.retryBudget ?? smmu.faultRetryBudget;
    this.privileged = options.privileged ?? false;
    this.dma = new DmaPort(this);
    this.where = {
      map: `${this.name}.map`,
      unmap: `${this.name}.unmap`,
      translate: `${this.name}.translate`,
      updateStart: `${this.name}.updateStart`,
      updateDone: `${this.name}.updateDone`,
    };
  }

  /** The driver `@vcm/core` muxes through (docs/api.md#objects: every device knows its driver). */
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

  /** CONTEXTIDR: the context id tagging its TLB entries (allocated when bound). */
  get contextId(): number | undefined {
    return this.contextIdValue;
  }

  /** The live bank registers while active, otherwise the context's register image. */
  get registers(): BankRegisters {
    return this.active ? this.boundBank!.registers : this.image;
  }

  /** The table TTBR0 / TTBR1 points at (core's, or the context's own). */
  get ttbr0Table(): TranslationTable | undefined {
    return this.base0;
  }
  get ttbr1Table(): TranslationTable | undefined {
    return this.base1;
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
    if (!(smmu instanceof Smmu)) {
      throw new VcmError('EINVAL', `${where}: smmu must be an Smmu instance, got ${typeof smmu}`, { param: 'smmu', value: typeof smmu, expected: 'Smmu' });
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
    const own = this.ownTable;
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
    this.image.words[REG_CONTEXTIDR] = contextId;
  }

  /**
   * `smmu_activate`: program the bound bank with this context (a context
   * switch). `EBUSY` while another context holds the bank; `EINVAL` when
   * unbound. Activating an active context changes nothing. With no table
   * loaded yet, TTBR0 points at the context's own table.
   */
  activate(): void {
    const where = `${this.name}.activate`;
    this.checkLive(where);
    if (this.active) return;
    const bank = this.requireBank(where);
    this.checkBankFree(where, bank);
    if (!this.base0 && !this.base1) {
      this.base0 = this.own();
      this.image.words[REG_TTBR0] = this.base0.rootPa;
    }
    this.load(bank);
  }

  /** `smmu_deactivate`: give the bank up; the context's TLB entries are invalidated. `ENOENT` when inactive. */
  deactivate(): void {
    const where = `${this.name}.deactivate`;
    this.checkLive(where);
    if (!this.active) {
      throw new VcmError('ENOENT', `${where}: context ${this.name} is not active`, { context: this.name });
    }
    if (this.coreActivated) {
      throw new VcmError('EBUSY', `${where}: context ${this.name} carries an active VCM association; deactivate the association instead`, { context: this.name });
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
    this.ownTable?.destroy();
    this.ownTable = undefined;
    this.base0 = undefined;
    this.base1 = undefined;
    this.boundBank = undefined;
    this.contextIdValue = undefined;
    this.interruptHook = undefined;
    this.dead = true;
    this.smmu.forgetContext(this);
  }

  /** `smmu_hook_irpt` / `smmu_hook_interrupt`: the fault handler and its data; replaces an earlier one. */
  hookInterrupt(handler: FaultHandler, data?: unknown): void {
    const where = `${this.name}.hookInterrupt`;
    this.checkLive(where);
    if (typeof handler !== 'function') {
      throw new VcmError('EINVAL', `${where}: handler must be a function (dev, data, fault) => 'retry' | 'terminate', got ${typeof handler}`, {
        param: 'handler',
        value: typeof handler,
        expected: 'function',
      });
    }
    this.interruptHook = { handler, data };
  }

  // ---- the seed's low-level mapping API (smmu_map & co.) -------------------

  /** `smmu_update_start`: open a bracket on the context's own table. Brackets nest. */
  updateStart(): void {
    this.checkLive(this.where.updateStart);
    this.own().updateStart();
  }

  /** `smmu_update_done`: close it; every TLB invalidation it needs has completed on return. */
  updateDone(): void {
    const where = this.where.updateDone;
    this.checkLive(where);
    // No own table yet means no bracket was opened; do not allocate one just to
    // refuse (docs/rules.md#atomicity).
    if (this.ownTable === undefined) {
      throw new VcmError('EINVAL', `${where}: no update bracket is open (call updateStart first)`, { param: 'bracket', value: 0, expected: 'an open bracket' });
    }
    this.ownTable.updateDone(where);
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
    const size = this.checkPageSize(where, len);
    checkUint(where, 'pa', pa);
    checkUint(where, 'va', va, 0xffffffff);
    this.checkPageAligned(where, 'pa', pa, size);
    this.checkPageAligned(where, 'va', va, size);
    const prot = protOfAttr(checkAttr(where, 'attr', attr, 0x3ff | PROT_GLOBAL | PROT_PRIV));
    const created = this.ownTable === undefined;
    const table = this.ownForMapping(where);
    table.updateStart();
    try {
      table.mapPage(va, pa, size, prot);
      this.ownLeaves++;
    } catch (e) {
      table.updateDone(where);
      if (created) this.dropOwn(table);
      throw e;
    }
    table.updateDone(where);
  }

  /** `smmu_unmap(dev, va, len)`: exactly one page mapped earlier with that size. */
  unmap(va: number, len: number): void {
    const where = this.where.unmap;
    this.checkLive(where);
    const size = this.checkPageSize(where, len);
    checkUint(where, 'va', va, 0xffffffff);
    this.checkPageAligned(where, 'va', va, size);
    const created = this.ownTable === undefined;
    const table = this.ownForMapping(where);
    table.updateStart();
    try {
      table.unmapPage(va, size);
      this.ownLeaves--;
    } catch (e) {
      table.updateDone(where);
      if (created) this.dropOwn(table);
      throw e;
    }
    table.updateDone(where);
  }

  /**
   * `smmu_translate(dev, va)`: the physical address the hardware finds for
   * `va`, through the shared TLB (a miss walks and fills). `EFAULT` when
   * unmapped; `EINVAL` when the context is not active.
   */
  translate(va: number): number {
    const where = this.where.translate;
    // Hot path (benchmarked): an active context is live, and `va >>> 0 === va`
    // holds exactly for an integer in [0, 2^32); the full checks only run to
    // word the error.
    const bank = this.active ? this.boundBank! : this.activeBank(where);
    if (va >>> 0 !== va) checkUint(where, 'va', va, 0xffffffff);
    const slot = bank.probe(where, va);
    return this.smmu.tlb.pa(slot, va);
  }

  /** Every valid leaf of each loaded table (or the own table), per level, the way a debugfs dump lists them. */
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
    if (this.base0) add('TTBR0', this.base0);
    if (this.base1) add('TTBR1', this.base1);
    if (this.ownTable && this.ownTable !== this.base0) add('own', this.ownTable);
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
      contextId: this.contextIdValue ?? null,
      registers: this.registers.toJSON(),
      ttbr0Table: this.base0?.rootPa ?? null,
      ttbr1Table: this.base1?.rootPa ?? null,
      ownTable: this.ownTable?.rootPa ?? null,
      hooked: this.interruptHook !== undefined,
    };
  }

  // ---- what the core driver uses (internal) --------------------------------

  /**
   * @internal Point TTBR0 (`which` 0) or TTBR1 (1) at `table` with TTBCR.N =
   * `n`, binding and activating the context as needed. `EBUSY` if that base
   * holds another table, if the other base runs with another N, or if
   * another context holds the bank. Atomic.
   */
  attachBase(where: string, which: 0 | 1, table: TranslationTable, n: number): void {
    this.checkLive(where);
    const current = which === 0 ? this.base0 : this.base1;
    const replaceableOwn = current !== undefined && current === this.ownTable && this.ownLeaves === 0;
    if (current !== undefined && current !== table && !replaceableOwn) {
      throw new VcmError('EBUSY', `${where}: ${which === 0 ? 'TTBR0' : 'TTBR1'} of context ${this.name} already holds the table at ${hex(current.rootPa)}`, {
        context: this.name,
        base: which === 0 ? 'TTBR0' : 'TTBR1',
        table: current.rootPa,
      });
    }
    const other = which === 0 ? this.base1 : this.base0;
    const otherLive = other !== undefined && !(other === this.ownTable && this.ownLeaves === 0);
    if (otherLive && this.image.n !== n) {
      throw new VcmError('EBUSY', `${where}: context ${this.name} runs with TTBCR.N = ${this.image.n} for its ${which === 0 ? 'TTBR1' : 'TTBR0'} table; this association asks for N = ${n}`, {
        context: this.name,
        param: 'split',
        value: n,
        expected: this.image.n,
      });
    }
    if (!this.active) {
      // Check the bank before binding, so that a refused activation changes nothing.
      const target = this.boundBank ?? this.smmu.banks[this.defaultBank];
      if (target) this.checkBankFree(where, target);
      if (!this.boundBank) this.bind(this.smmu);
    }
    if (which === 0) {
      this.base0 = table;
      this.image.words[REG_TTBR0] = table.rootPa;
    } else {
      this.base1 = table;
      this.image.words[REG_TTBR1] = table.rootPa;
    }
    if (!otherLive) {
      // The other base held only an empty own table: drop it so N alone decides routing.
      if (which === 0) this.clearBase(1);
      else this.clearBase(0);
    }
    this.image.words[REG_TTBCR] = n;
    if (this.active) {
      this.reload();
    } else {
      this.coreActivated = true;
      this.load(this.boundBank!);
    }
  }

  /** @internal Undo `attachBase`: clear the base; the last one gives the bank up if core activated it. */
  detachBase(which: 0 | 1): void {
    this.clearBase(which);
    if (!this.base0 && !this.base1) this.image.words[REG_TTBCR] = 0;
    if (!this.active) return;
    if (this.coreActivated && !this.base0 && !this.base1) {
      this.coreActivated = false;
      this.unload();
    } else {
      this.reload();
    }
  }

  // ---- internals -----------------------------------------------------------

  private clearBase(which: 0 | 1): void {
    if (which === 0) {
      this.base0 = undefined;
      this.image.words[REG_TTBR0] = 0;
    } else {
      this.base1 = undefined;
      this.image.words[REG_TTBR1] = 0;
    }
  }

  private requireBank(where: string): ContextBank {
    if (!this.boundBank) {
      throw new VcmError('EINVAL', `${where}: context ${this.name} is not bound to a context bank; call bind(smmu) first`, { context: this.name, expected: 'a bound context' });
    }
    return this.boundBank;
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

  private load(bank: ContextBank): void {
    this.image.words[REG_SCTLR] = SCTLR_M | SCTLR_CFIE | SCTLR_CFCFG;
    bank.program(this, this.image, this.base0, this.base1);
    this.active = true;
  }

  /** Rewrite the live bank from the image after a base or N change; old translations may be stale. */
  private reload(): void {
    const bank = this.boundBank!;
    bank.smmu.tlb.invalidateContext(bank.index, bank.contextId);
    const words = bank.registers.words;
    words[REG_TTBR0] = this.image.words[REG_TTBR0]!;
    words[REG_TTBR1] = this.image.words[REG_TTBR1]!;
    words[REG_TTBCR] = this.image.words[REG_TTBCR]!;
    bank.setTables(this.base0, this.base1);
  }

  private unload(): void {
    this.boundBank!.release();
    this.image.words[REG_SCTLR] = 0;
    this.active = false;
    this.coreActivated = false;
  }

  /** The context's own table, created on first use with the bound (else creating) SMMU's format. */
  private own(): TranslationTable {
    if (!this.ownTable) {
      const smmu = this.boundBank?.smmu ?? this.smmu;
      this.ownTable = new TranslationTable(smmu.format.create(smmu.memory, smmu.tableAllocator), smmu.memory);
    }
    return this.ownTable;
  }

  /**
   * A refused first map/unmap must not leave the own table it made
   * (docs/rules.md#atomicity):
   * free it again. Only called for a table made by the failing call, which
   * therefore holds no leaves and is loaded nowhere.
   */
  private dropOwn(table: TranslationTable): void {
    if (this.ownTable !== table || this.base0 === table || this.base1 === table) return;
    this.ownTable = undefined;
    table.destroy();
  }

  private ownForMapping(where: string): TranslationTable {
    this.checkLive(where);
    // Refuse before the own table is made, so a refusal allocates nothing.
    if (this.base0 && this.base0 !== this.ownTable) {
      throw new VcmError('EBUSY', `${where}: TTBR0 of context ${this.name} holds a VCM's table (${hex(this.base0.rootPa)}); map through the VCM (res.back)`, {
        context: this.name,
      });
    }
    if (this.active && !this.base0) {
      // Active with only a TTBR1 table: the own table is not loaded; loading it now would change routing under the VCM.
      throw new VcmError('EBUSY', `${where}: context ${this.name} is active with a VCM on TTBR1 only; the low-level map API needs TTBR0`, { context: this.name });
    }
    return this.own();
  }

  private checkPageSize(where: string, len: unknown): number {
    const sizes = (this.boundBank?.smmu ?? this.smmu).format.pageSizes;
    if (typeof len !== 'number' || !sizes.includes(len)) {
      throw new VcmError('EINVAL', `${where}: len must be one of the format's page sizes (${sizes.map(formatSize).join(', ')}), got ${typeof len === 'number' ? len : typeof len}`, {
        param: 'len',
        value: typeof len === 'number' ? len : typeof len,
        expected: sizes,
      });
    }
    return len;
  }

  private checkPageAligned(where: string, param: string, value: number, size: number): void {
    if (value % size !== 0) {
      throw new VcmError('EINVAL', `${where}: ${param} must be aligned to the page size ${formatSize(size)}, got ${hex(value)}`, {
        param,
        value,
        expected: `a multiple of ${formatSize(size)}`,
      });
    }
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
