/**
 * One SMMU instance (`smmu_drvdata_init(drv, base, irq)`, seed 000
 * "Managing SMMU Initialization and Contexts"): its register base and IRQ,
 * its context banks (docs/hardware.md#the-smmu: 2 or 3 per SMMU, 4 KiB
 * apart), the page table format it walks, its hardware version, and its
 * translation caches — the one main TLB all its banks share, and as its
 * model says a micro-TLB per bank, a walk cache, prefetch and timing
 * (docs/hardware.md#translation-caches). Virtual contexts are created here
 * (`smmu_ctx_init`).
 */
import { VcmError, checkAligned, checkOptions, checkUint, hex } from '@vcm/core';
import type { Logger, PhysicalMemory } from '@vcm/core';
import type { PageTableFormat, TableMemory } from './format.js';
import { ContextBank } from './context-bank.js';
import { SmmuContext, type ContextOptions, type ContextSnapshot } from './context.js';
import { isSmmuContext, registerSmmu } from './handles.js';
import { TLB_MAX_BANKS, Tlb, type TlbOptions, type TlbStats } from './tlb.js';
import type { CacheConfig, CacheOverrides, SmmuModelName } from './caches/config.js';
import { TranslationCaches, type CachesSnapshot } from './caches/hierarchy.js';
import type { PmuEvents } from './caches/events.js';
import { resolveCacheConfig } from './caches/resolve.js';
import { sizesLog2Of } from './translation-table.js';
import { createSmmuDriver, type SmmuDriver } from './driver.js';

/** How many retries a fault handler gets for one access unless told otherwise. */
export const DEFAULT_FAULT_RETRY_BUDGET = 8;
/** CONTEXTIDR values an SMMU hands out (8-bit context ids). */
export const CONTEXT_ID_COUNT = 256;

/** What an SMMU instance is: name, register base and IRQ (as `smmu_drvdata_init` takes them), its banks, format, TLB and RAM. */
export interface SmmuOptions {
  readonly name: string;
  /** Physical address of the register space (4 KiB aligned). */
  readonly base: number;
  readonly irq: number;
  /** Hardware context banks (default 2). */
  readonly contextBanks?: number;
  /** The main TLB's entries, policy, ways and seed, over the model's (docs/hardware.md#translation-caches). */
  readonly tlb?: TlbOptions;
  /** The cache hierarchy and timing to start from (default `msm8x60`: one shared TLB, untimed). */
  readonly model?: SmmuModelName;
  /** Any field of the model's `CacheConfig`, over the model and `tlb` (`{ walkCache: { enabled: false } }`). */
  readonly caches?: CacheOverrides;
  /** `armV7Short` or `armLpae4k`. */
  readonly format: PageTableFormat;
  /** What `vcm_hw_ver` reports (default 1). */
  readonly hwVersion?: number;
  /** The RAM the page tables and the DMA live in. */
  readonly memory: PhysicalMemory;
  /** Where page-table memory comes from (a `PhysicalAllocator` qualifies). */
  readonly tableAllocator: TableMemory;
  /** Unhandled faults are reported here (default `console.warn`). */
  readonly logger?: Logger;
  /** The core driver; pass one `createSmmuDriver()` to several SMMUs so that VCMs share tables among them. */
  readonly driver?: SmmuDriver;
  /** Retries a fault handler gets per access (default 8). */
  readonly faultRetryBudget?: number;
}

/** An SMMU as plain JSON (docs/rules.md#observability): identity, TLB statistics and entries, and each context. */
export interface SmmuSnapshot {
  readonly name: string;
  readonly base: number;
  readonly irq: number;
  readonly format: string;
  readonly hwVersion: number;
  readonly model: SmmuModelName;
  readonly tlb: { readonly stats: TlbStats; readonly entries: ReturnType<Tlb['entries']> };
  /** Every cache's configuration, counters and entries, and the SMMU's PMCG events. */
  readonly caches: CachesSnapshot;
  readonly banks: ReadonlyArray<ReturnType<ContextBank['toJSON']>>;
  readonly contexts: readonly ContextSnapshot[];
}

/** The keys of `SmmuOptions`. */
const SMMU_OPTION_KEYS: readonly string[] = [
  'name', 'base', 'irq', 'contextBanks', 'tlb', 'model', 'caches', 'format', 'hwVersion', 'memory', 'tableAllocator', 'logger', 'driver', 'faultRetryBudget',
];
/** log2 of 2^32: an invalidation range ends at 2^32 at the latest. */
const VA_LIMIT = 2 ** 32;

/** The keys of `ContextOptions`. */
const CONTEXT_OPTION_KEYS: readonly string[] = ['name', 'bank', 'retryBudget', 'privileged', 'secure'];

const consoleLogger: Logger = {
  warn(message, details) {
    console.warn(message, details ?? '');
  },
};

function isFormat(f: unknown): f is PageTableFormat {
  return typeof f === 'object' && f !== null && typeof (f as PageTableFormat).create === 'function' && Array.isArray((f as PageTableFormat).pageSizes);
}

/**
 * One SMMU instance (`smmu_drvdata_init(drv, base, irq)`): its register
 * base and IRQ, its context banks, the page-table format it walks, its
 * hardware version and the one TLB all its banks share
 * (docs/hardware.md#the-smmu). Virtual contexts are created here
 * (`smmu.createContext`).
 */
export class Smmu {
  readonly name: string;
  readonly base: number;
  readonly irq: number;
  readonly format: PageTableFormat;
  readonly hwVersion: number;
  readonly memory: PhysicalMemory;
  readonly tableAllocator: TableMemory;
  readonly logger: Logger;
  readonly driver: SmmuDriver;
  readonly faultRetryBudget: number;
  /** The main TLB every bank shares. */
  readonly tlb: Tlb;
  /** The model the caches started from. */
  readonly model: SmmuModelName;
  /** @internal Every translation cache, the timing and the SMMU's events: reached through the methods below. */
  readonly caches: TranslationCaches;
  /** The hardware context banks, each with its register view. */
  readonly banks: readonly ContextBank[];
  /**
   * log2 of every size a TLB entry of this SMMU has had, ascending: the
   * format's page sizes, and a contiguous run's size once a walk returned
   * one (what a lookup and an invalidation by address probe).
   */
  readonly sizesLog2: number[];
  private readonly live: SmmuContext[] = [];
  // Live contexts by index (an array, indices 0..0xffff: a Map deleted from
  // and added to at every context's birth and death costs microseconds at
  // a thousand entries), and a number no free index lies below: the default
  // index and a taken index are found without scanning every live context
  // (docs/performance.md#contexts-on-one-smmu).
  private readonly byIndex: Array<SmmuContext | undefined> = [];
  private lowestFreeIndex = 0;
  private readonly contextIds = new Uint8Array(CONTEXT_ID_COUNT);
  private nextContextId = 0;

  constructor(options: SmmuOptions) {
    const where = 'new Smmu';
    if (typeof options !== 'object' || options === null) {
      throw new VcmError('EINVAL', `${where}: options must be an object`, { param: 'options', value: typeof options, expected: 'SmmuOptions' });
    }
    if (typeof options.name !== 'string' || options.name === '') {
      throw new VcmError('EINVAL', `${where}: name must be a non-empty string, got ${JSON.stringify(options.name) ?? typeof options.name}`, {
        param: 'name',
        value: typeof options.name === 'string' ? options.name : typeof options.name,
        expected: 'a non-empty string',
      });
    }
    this.name = options.name;
    const unknownKey = Object.keys(options).find((k) => !SMMU_OPTION_KEYS.includes(k));
    if (unknownKey !== undefined) {
      throw new VcmError('EINVAL', `${where} ${options.name}: options has unknown key ${JSON.stringify(unknownKey)}; the keys are ${SMMU_OPTION_KEYS.join(', ')}`, {
        param: unknownKey,
        expected: SMMU_OPTION_KEYS.join(', '),
      });
    }
    this.base = checkAligned(`${where} ${options.name}`, 'base', options.base, 0x1000);
    this.irq = checkUint(`${where} ${options.name}`, 'irq', options.irq);
    const banks = options.contextBanks === undefined ? 2 : checkUint(`${where} ${options.name}`, 'contextBanks', options.contextBanks, TLB_MAX_BANKS);
    if (banks < 1) {
      throw new VcmError('EINVAL', `${where} ${options.name}: contextBanks must be at least 1, got 0`, { param: 'contextBanks', value: 0, expected: `1..${TLB_MAX_BANKS}` });
    }
    if (!isFormat(options.format)) {
      throw new VcmError('EINVAL', `${where} ${options.name}: format must be a page-table format value (armV7Short or armLpae4k)`, {
        param: 'format',
        value: typeof options.format,
        expected: 'PageTableFormat',
      });
    }
    this.format = options.format;
    this.hwVersion = options.hwVersion === undefined ? 1 : checkUint(`${where} ${options.name}`, 'hwVersion', options.hwVersion, 0xffffffff);
    if (typeof options.memory !== 'object' || options.memory === null || typeof options.memory.pageWords !== 'function') {
      throw new VcmError('EINVAL', `${where} ${options.name}: memory must be a PhysicalMemory`, { param: 'memory', value: typeof options.memory, expected: 'PhysicalMemory' });
    }
    const ta = options.tableAllocator;
    if (typeof ta !== 'object' || ta === null || typeof ta.allocateTable !== 'function' || typeof ta.freeTable !== 'function') {
      throw new VcmError('EINVAL', `${where} ${options.name}: tableAllocator must have allocateTable and freeTable (a PhysicalAllocator qualifies)`, {
        param: 'tableAllocator',
        value: typeof ta,
        expected: '{ allocateTable, freeTable }',
      });
    }
    this.memory = options.memory;
    this.tableAllocator = ta;
    this.faultRetryBudget =
      options.faultRetryBudget === undefined ? DEFAULT_FAULT_RETRY_BUDGET : checkUint(`${where} ${options.name}`, 'faultRetryBudget', options.faultRetryBudget, 1 << 20);
    // The TLB options are checked as before (their own messages), then the hierarchy is resolved over them.
    new Tlb(options.tlb ?? {});
    const config = resolveCacheConfig({ model: options.model, tlb: options.tlb, caches: options.caches }, `${where} ${options.name}`);
    this.model = options.model ?? 'msm8x60';
    this.caches = new TranslationCaches(config, banks, `${where} ${options.name}`);
    this.tlb = this.caches.main;
    this.logger = options.logger ?? consoleLogger;
    this.driver = options.driver ?? createSmmuDriver();
    this.sizesLog2 = sizesLog2Of(this.format);
    const list: ContextBank[] = [];
    for (let i = 0; i < banks; i++) list.push(new ContextBank(this, i));
    this.banks = list;
    registerSmmu(this);
  }


  /** The caches and timing this SMMU was built with: its model with the `tlb` and `caches` options applied (docs/hardware.md#translation-caches). */
  get cacheConfig(): CacheConfig {
    return this.caches.config;
  }

  /** Live virtual contexts created here, in creation order. */
  get contexts(): readonly SmmuContext[] {
    return this.live;
  }

  /**
   * `smmu_ctx_init(ctx)`: a new virtual context numbered `index` (default:
   * the lowest free number). More contexts than banks may exist; they take
   * turns on the banks. `EBUSY` if `index` is taken by a live context.
   */
  createContext(index?: number, options: ContextOptions = {}): SmmuContext {
    const where = `${this.name}.createContext`;
    let n: number;
    if (index === undefined) {
      n = this.lowestFreeIndex;
      while (this.byIndex[n] !== undefined) n++;
      this.lowestFreeIndex = n;
    } else {
      n = checkUint(where, 'index', index, 0xffff);
      const holder = this.byIndex[n];
      if (holder) {
        throw new VcmError('EBUSY', `${where}: context index ${n} is taken by ${holder.name}`, { param: 'index', value: n, holder: holder.name });
      }
    }
    // A plain object only: a handle passed by mistake is refused rather than read as "all defaults", and so is a misspelt key.
    checkOptions(where, 'options', options, CONTEXT_OPTION_KEYS);
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      throw new VcmError('EINVAL', `${where}: options.name must be a non-empty string`, { param: 'options.name', value: typeof options.name, expected: 'a non-empty string' });
    }
    if (options.bank !== undefined) checkUint(where, 'options.bank', options.bank);
    if (options.retryBudget !== undefined) checkUint(where, 'options.retryBudget', options.retryBudget, 1 << 20);
    for (const flag of ['privileged', 'secure'] as const) {
      if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
        throw new VcmError('EINVAL', `${where}: options.${flag} must be a boolean, got ${typeof options[flag]}`, { param: `options.${flag}`, value: typeof options[flag], expected: 'boolean' });
      }
    }
    const ctx = new SmmuContext(this, n, options);
    this.live.push(ctx);
    this.byIndex[n] = ctx;
    return ctx;
  }

  /** @internal A free CONTEXTIDR value for a context bound here. */
  allocateContextId(where: string): number {
    if (typeof where !== 'string') {
      throw new VcmError('EINVAL', `${this.name}.allocateContextId: where must name the calling operation (a string), got ${where === null ? 'null' : typeof where}`, { param: 'where' });
    }
    for (let i = 0; i < CONTEXT_ID_COUNT; i++) {
      const id = (this.nextContextId + i) % CONTEXT_ID_COUNT;
      if (this.contextIds[id] === 0) {
        this.contextIds[id] = 1;
        this.nextContextId = (id + 1) % CONTEXT_ID_COUNT;
        return id;
      }
    }
    throw new VcmError('EBUSY', `${where}: all ${CONTEXT_ID_COUNT} context ids of ${this.name} are in use by bound contexts`, { smmu: this.name });
  }

  /** @internal */
  releaseContextId(id: number): void {
    checkUint(`${this.name}.releaseContextId`, 'id', id, CONTEXT_ID_COUNT - 1);
    // A context id being reused must not find entries of its previous holder, in any cache.
    for (const bank of this.banks) this.caches.invalidateContext(bank.index, id);
    this.contextIds[id] = 0;
  }

  /** @internal Called by `ctx.deinit()`: only a context of this SMMU, once deinitialised, leaves the list. */
  forgetContext(ctx: SmmuContext): void {
    const where = `${this.name}.forgetContext`;
    if (!isSmmuContext(ctx)) {
      throw new VcmError('EINVAL', `${where}: ctx must be an SMMU context, got ${ctx === null ? 'null' : typeof ctx}`, { param: 'ctx' });
    }
    if (ctx.smmu !== this) {
      throw new VcmError('EINVAL', `${where}: context ${ctx.name} belongs to ${ctx.smmu.name === this.name ? `${ctx.smmu.name} of another platform` : `SMMU ${ctx.smmu.name}`}, not to this one`, {
        param: 'ctx',
        value: ctx.name,
        smmu: ctx.smmu.name,
      });
    }
    if (ctx.isInitialized) {
      throw new VcmError('EINVAL', `${where}: context ${ctx.name} is still initialised; ctx.deinit() removes it`, { param: 'ctx', value: ctx.name });
    }
    // From the end: the newest contexts are there, and the one removed is usually among them.
    const i = this.live.lastIndexOf(ctx);
    if (i >= 0) this.live.splice(i, 1);
    if (this.byIndex[ctx.index] === ctx) {
      this.byIndex[ctx.index] = undefined;
      if (ctx.index < this.lowestFreeIndex) this.lowestFreeIndex = ctx.index;
    }
  }

  // ---- the translation caches (docs/hardware.md#translation-caches) ----

  /**
   * Invalidate by address and context in every cache (TLBIMVA, and the walk
   * caches' entries whose span overlaps): what bank `bank` holds for context
   * id `contextId` in [va, va + len).
   */
  invalidateRange(bank: number, contextId: number, va: number, len: number): void {
    const where = `${this.name}.invalidateRange`;
    this.checkBankAndId(where, bank, contextId);
    checkUint(where, 'va', va, VA_LIMIT - 1);
    checkUint(where, 'len', len, VA_LIMIT - va);
    if (len === 0) {
      throw new VcmError('EINVAL', `${where}: len must be at least 1 byte, got 0`, { param: 'len', value: 0, expected: `1..${hex(VA_LIMIT - va)}` });
    }
    this.caches.invalidateRange(bank, contextId, va, len, this.sizesLog2);
  }

  /** Invalidate everything bank `bank` holds for context id `contextId`, in every cache (TLBIASID). */
  invalidateContext(bank: number, contextId: number): void {
    this.checkBankAndId(`${this.name}.invalidateContext`, bank, contextId);
    this.caches.invalidateContext(bank, contextId);
  }

  /** Invalidate every entry of every cache (TLBIALL). */
  invalidateAll(): void {
    this.caches.invalidateAll();
  }

  /** Start a measurement cold: every cache empty, every cache counter and every event (the SMMU's and its contexts') zero. */
  resetCaches(): void {
    this.caches.reset();
    for (const c of this.live) c.pmu.reset();
  }

  /** The SMMU's PMCG events (docs/hardware.md#translation-caches): all its contexts' traffic. */
  events(): PmuEvents {
    return this.caches.pmu.events();
  }

  private checkBankAndId(where: string, bank: number, contextId: number): void {
    checkUint(where, 'bank', bank, this.banks.length - 1);
    checkUint(where, 'contextId', contextId, CONTEXT_ID_COUNT - 1);
  }

  toJSON(): SmmuSnapshot {
    return {
      name: this.name,
      base: this.base,
      irq: this.irq,
      format: this.format.name,
      hwVersion: this.hwVersion,
      model: this.model,
      tlb: this.tlb.toJSON(),
      caches: this.caches.toJSON(),
      banks: this.banks.map((b) => b.toJSON()),
      contexts: this.live.map((c) => c.toJSON()),
    };
  }
}
