/**
 * One hardware context bank of an SMMU and the translation it performs for
 * device traffic (docs/translation.md#the-walk-from-registers): the bank's
 * micro-TLB → the SMMU's main TLB → on a miss the walk cache and the
 * format's walk from the bank's registers (TTBCR, TTBR0/1, decoded when they
 * were written), reading the remaining descriptors from RAM → permission
 * check → the physical address (docs/hardware.md#translation-caches). The
 * bank holds no table objects: whatever TTBR0/TTBR1 say is what it walks.
 *
 * A fault sets FSR, FAR and FSYNR0, stalls the transaction (FSR.SS) and
 * calls the hooked handler of the context the bank runs, whose answer the
 * driver writes to RESUME: retry or terminate (seed 000 "Fault Handling";
 * docs/translation.md#faults).
 */
import { VcmError, hex } from '@vcm/core';
import type { AccessKind, FaultInfo, FaultKind } from '@vcm/core';
import { isWalkFault } from './format.js';
import type { WalkConfig, WalkFault, WalkResult, WalkStep } from './format.js';
import {
  BankRegisters,
  CONTEXT_BANK_STRIDE,
  FSR_FAULT_MASK,
  FSR_MULTI,
  FSR_SS,
  FSYNR0_IND,
  FSYNR0_WNR,
  REG_FAR,
  REG_FSR,
  REG_FSYNR0,
  REG_RESUME,
  RESUME_TERMINATE,
  SCTLR_AFE,
  SCTLR_M,
  asidOf,
  fsrBitOf,
} from './registers.js';
import { PERM_EXECUTE, PERM_READ, PERM_USER, PERM_WRITE } from './tlb.js';
import type { Tlb } from './tlb.js';
import { createWalkPath } from './walk-path.js';
import type { WalkPath } from './walk-path.js';
import { isSmmuContext } from './handles.js';
import type { Smmu } from './smmu.js';
import type { SmmuContext } from './context.js';

/** Access codes of the hot path (no strings per access). */
export const ACCESS_READ = 0;
/** Access code of a device write: needs write permission. */
export const ACCESS_WRITE = 1;
/** Access code of an instruction fetch: needs the page not to be execute-never. */
export const ACCESS_EXECUTE = 2;
const ACCESS_NAMES: readonly AccessKind[] = ['read', 'write', 'execute'];

/**
 * The ARMv7 CPU's SCTLR.AFE (bit 29), which the formats' `decodeConfig`
 * reads; the SMMU keeps AFE at SCTLR bit 2 (IHI 0062), so the bank hands
 * the format the CPU-layout bit.
 */
const CPU_SCTLR_AFE = 1 << 29;

/** A walk with no descriptor read: the bank does not translate (SCTLR.M clear). */
const NOT_TRANSLATING: WalkFault = Object.freeze({ fault: 'translation', level: 1, entryPa: -1, descriptor: 0, descriptorHigh: 0 });

/** The TLB permission bits of a leaf for a master of this privilege. */
export function permOf(w: WalkResult, privileged: boolean): number {
  return (
    (w.readable ? PERM_READ : 0) |
    (w.writable ? PERM_WRITE : 0) |
    ((privileged ? w.privilegedExecutable : w.executable) ? PERM_EXECUTE : 0) |
    (w.user ? PERM_USER : 0)
  );
}

/**
 * The log2 size of a walk's leaf; a size the SMMU's TLBs have not held
 * before (a contiguous run) becomes one more size their lookups and
 * invalidations probe.
 */
function leafSizeLog2(bank: ContextBank, w: WalkResult): number {
  const lg = 31 - Math.clz32(w.size);
  // The SMMU's list only grows, so a size once found in it stays there: the
  // bank's mask answers the usual fill with one bit test instead of a search.
  if (((bank.sizesKnown >>> lg) & 1) === 0) {
    const sizes = bank.smmu.sizesLog2;
    if (!sizes.includes(lg)) {
      sizes.push(lg);
      sizes.sort((a, b) => a - b);
    }
    bank.sizesKnown |= 1 << lg;
  }
  return lg;
}

/** The `VcmError` a terminated (or unhandled) fault raises. */
export function faultError(where: string, info: FaultInfo, why: string): VcmError {
  return new VcmError('EFAULT', `${where}: ${info.kind} fault on ${info.access} of ${hex(info.address)} in context ${info.context} (FSR ${hex(info.fsr)}, FAR ${hex(info.far)}): ${why}`, {
    kind: info.kind,
    access: info.access,
    address: info.address,
    fsr: info.fsr,
    far: info.far,
    context: info.context,
    ...(info.descriptor === undefined ? {} : { descriptor: info.descriptor }),
  });
}

/** A handler's answer, named for a message without serialising it (a bigint or a circular object must not throw). */
function describeDecision(decision: unknown): string {
  switch (typeof decision) {
    case 'string':
      return `the string ${JSON.stringify(decision)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'symbol':
      return `${typeof decision} ${String(decision)}`;
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'a function';
    default:
      return decision === null ? 'null' : Array.isArray(decision) ? 'an array' : 'an object';
  }
}

/**
 * One hardware context bank of an SMMU: a register file (TTBCR, TTBR0/1,
 * CONTEXTIDR, FSR, FAR …) and the translation it performs for device
 * traffic — TLB lookup, on a miss the format's walk from the registers,
 * permission check — and the fault path that stalls the access and asks the
 * hooked handler to retry or terminate it (docs/translation.md#faults). The
 * bank walks whatever its TTBRs point at; it holds no table objects. Made by
 * `new Smmu`; reached through `smmu.banks`.
 */
export class ContextBank {
  /** The bank's registers; writing them (`registers.write`) re-decodes the walk configuration or is refused. */
  readonly registers: BankRegisters;
  /** The ASID tagging this bank's TLB entries (long format: TTBR0[55:48]; short: CONTEXTIDR[7:0]). */
  contextId = 0;
  #owner: SmmuContext | undefined;
  /** What the registers say, decoded when they were written; `undefined` while SCTLR.M is clear. */
  #config: WalkConfig | undefined;
  /** Handlers running on this bank: a fault while one runs sets FSR.MULTI. */
  #faultDepth = 0;
  /** The bank's micro-TLB (undefined while off). */
  readonly microTlb: Tlb | undefined;
  /** Where `resolve` and `probe` return their slot: the micro-TLB, else the main TLB, else a one-entry holder. */
  readonly front: Tlb;
  /** @internal Leaf sizes (a bit per log2) known to be in the SMMU's `sizesLog2`: the fill path's test before it searches the list. */
  sizesKnown = 0;
  /** The main TLB when it is on (a configuration that never changes), for the hit path. */
  readonly #mainTlb: Tlb | undefined;
  /** The SMMU's page sizes (log2): one list, grown in place. */
  readonly #sizes: number[];
  /** The walk's start point and report, reused (docs/hardware.md#translation-caches). */
  readonly #path: WalkPath = createWalkPath();
  /** While set (a stream with an observer), every walk pushes its descriptor reads here. */
  trace: WalkStep[] | undefined;

  /** Not a constructor to call: made by `new Smmu`. */
  constructor(
    readonly smmu: Smmu,
    readonly index: number,
  ) {
    this.registers = new BankRegisters((regs) => this.#decode(regs));
    this.microTlb = smmu.caches.micro[index];
    this.front = smmu.caches.front(index);
    this.#mainTlb = smmu.caches.mainOn ? smmu.tlb : undefined;
    this.#sizes = smmu.sizesLog2;
  }

  /** Physical address of the bank's registers: banks sit 4 KiB apart from the SMMU base. */
  get address(): number {
    return this.smmu.base + this.index * CONTEXT_BANK_STRIDE;
  }

  /** The virtual context whose registers the bank holds (activated on it). */
  get owner(): SmmuContext | undefined {
    return this.#owner;
  }

  /** The walk configuration decoded from the registers (`undefined` while the bank does not translate). */
  get config(): WalkConfig | undefined {
    return this.#config;
  }

  /**
   * Decode the registers after a write: the format's `decodeConfig` refuses
   * (EINVAL) what it cannot express, and the write is undone. A bank that
   * runs a context must keep translating: SCTLR.M is cleared by
   * deactivating the context.
   */
  #decode(regs: BankRegisters): void {
    if ((regs.sctlr & SCTLR_M) === 0) {
      if (this.#owner !== undefined) {
        throw new VcmError('EINVAL', `${this.smmu.name} bank ${this.index}: SCTLR.M cannot be cleared while context ${this.#owner.name} runs here; deactivate the context instead`, {
          param: 'SCTLR',
          value: regs.sctlr,
          expected: 'SCTLR.M set',
        });
      }
      this.#config = undefined;
      this.contextId = 0;
      return;
    }
    this.#config = this.smmu.format.decodeConfig(
      {
        ttbcr: regs.ttbcr,
        ttbr0: regs.ttbr0,
        ttbr0High: regs.ttbr0High,
        ttbr1: regs.ttbr1,
        ttbr1High: regs.ttbr1High,
        sctlr: regs.sctlr & SCTLR_AFE ? CPU_SCTLR_AFE : 0,
      },
      !(this.#owner?.secure ?? false),
    );
    this.contextId = asidOf(regs);
  }

  /** @internal Load a context's register image (a context switch; seed: activation). `EINVAL` from the format leaves the bank as it was. */
  program(owner: SmmuContext, image: BankRegisters): void {
    if (!isSmmuContext(owner) || !(image instanceof BankRegisters)) {
      throw new VcmError('EINVAL', `${this.smmu.name} bank ${this.index}.program: owner must be an SMMU context and image a BankRegisters`, {
        param: isSmmuContext(owner) ? 'image' : 'owner',
        expected: 'an SmmuContext and a BankRegisters image',
      });
    }
    const previous = this.#owner;
    this.#owner = owner;
    try {
      this.registers.load(image);
    } catch (e) {
      this.#owner = previous;
      throw e;
    }
  }

  /** @internal Give the bank up: drop the context's entries from every cache and clear the registers. */
  release(): void {
    this.smmu.caches.invalidateContext(this.index, this.contextId);
    this.#owner = undefined;
    this.registers.clear();
  }

  /**
   * The walk the hardware does for `va` from the registers, touching no TLB
   * entry and no counter: the leaf or the fault, as data. With `trace`, one
   * step per descriptor read is pushed.
   */
  walk(va: number, trace?: WalkStep[]): WalkResult | WalkFault {
    const config = this.#config;
    if (config === undefined) return NOT_TRANSLATING;
    return this.smmu.format.walk(this.smmu.memory, config, va, trace);
  }

  /**
   * The walk the hardware does on a TLB miss: from the deepest table the walk
   * cache holds for `va` (or from the TTBR), reading the remaining
   * descriptors from RAM; the table descriptors it followed go into the walk
   * cache. Its cycles are returned; reads and events are counted.
   */
  #walkCached(va: number): WalkResult | WalkFault {
    const config = this.#config;
    if (config === undefined) return NOT_TRANSLATING;
    const smmu = this.smmu;
    const caches = smmu.caches;
    const t = caches.timing;
    const path = this.#path;
    path.startLevel = 0;
    const wc = caches.walkCache;
    let cycles = 0;
    if (wc !== undefined) cycles += wc.probe(this.index, this.contextId, va, path) * t.walkCacheHit;
    const r = smmu.format.walk(smmu.memory, config, va, this.trace, path);
    if (wc !== undefined && path.tables > 0) wc.fillFrom(this.index, this.contextId, va, path);
    const reads = path.reads;
    caches.pmu.transTableWalkAccess += reads;
    const owner = this.#owner;
    if (owner !== undefined) owner.pmu.transTableWalkAccess += reads;
    this.#walkCycles = cycles + reads * t.memoryAccess;
    return r;
  }

  /** Cycles of the last `#walkCached`. */
  #walkCycles = 0;

  /**
   * Put a walk's leaf into the caches: after a prefetch of the page that
   * follows it (when on), the main TLB, then the micro-TLB (or the holder).
   * Filling the demand entry last keeps it the most recent. Returns the slot
   * in `front`.
   */
  #fill(w: WalkResult, perm: number): number {
    const lg = leafSizeLog2(this, w);
    if (this.smmu.caches.prefetch) this.#prefetch(w.va + w.size);
    // The walk's leaf and this bank's tags are valid by construction: the TLBs' unchecked fills.
    const main = this.#mainTlb;
    if (main === undefined) return this.front._fillWalked(this.index, this.contextId, w.va, lg, w.base, perm, w.descriptor, w.level);
    const m = main._fillWalked(this.index, this.contextId, w.va, lg, w.base, perm, w.descriptor, w.level);
    return this.front === main ? m : this.front._copyHit(main, m);
  }

  /**
   * Walk the page at `va` and put it into the main TLB (gem5's
   * `tlb_prefetch`): counted as a prefetch, never as a miss; a walk that
   * faults (or finds the access flag clear) caches nothing and reports nothing.
   */
  #prefetch(va: number): void {
    const smmu = this.smmu;
    const caches = smmu.caches;
    if (va >= 2 ** 32 || smmu.tlb.peek(this.index, this.contextId, va, smmu.sizesLog2) >= 0) return;
    const w = this.#walkCached(va);
    caches.prefetches++;
    caches.prefetchCost = this.#walkCycles;
    if (isWalkFault(w) || !w.accessFlag) {
      caches.prefetchBase = 0;
      caches.prefetchEnd = 0;
      return;
    }
    const owner = this.#owner;
    const privileged = owner?.privileged ?? false;
    caches.prefetchBase = w.va;
    caches.prefetchEnd = w.va + w.size;
    smmu.tlb._fillWalked(this.index, this.contextId, w.va, leafSizeLog2(this, w), w.base, permOf(w, privileged), w.descriptor, w.level);
  }

  /**
   * The TLBs' answer for `va`: the micro-TLB, then (on a miss) the main TLB,
   * whose entry is copied into the micro-TLB. Adds the lookups' cycles to
   * `caches.cost`. Returns the slot in `front`, or -1 when every TLB missed.
   */
  #lookup(va: number): number {
    const caches = this.smmu.caches;
    const micro = this.microTlb;
    // An untimed SMMU's latencies are all 0: its cost stays the 0 #startCost left, with no adds per lookup.
    const timed = caches.timed;
    if (micro !== undefined) {
      if (timed) caches.cost += caches.timing.microTlbHit;
      const u = micro._lookup(this.index, this.contextId, va, this.#sizes);
      if (u >= 0) return u;
    }
    const tlb = this.#mainTlb;
    if (tlb === undefined) return -1;
    if (timed) caches.cost += caches.timing.mainTlbHit;
    const m = tlb._lookup(this.index, this.contextId, va, this.#sizes);
    if (m < 0 || micro === undefined) return m;
    return micro._copyHit(tlb, m);
  }

  /**
   * The walk after every TLB missed (a demand walk): counted on the main
   * TLB, the SMMU and the context as a TLB miss, its cycles added to the
   * translation's cost.
   */
  #demandWalk(va: number): WalkResult | WalkFault {
    const smmu = this.smmu;
    smmu.tlb.walks++;
    smmu.caches.walked = true;
    smmu.caches.pmu.tlbMiss++;
    const owner = this.#owner;
    if (owner !== undefined) owner.pmu.tlbMiss++;
    const w = this.#walkCached(va);
    smmu.caches.cost += this.#walkCycles;
    return w;
  }

  /** What one translation cost starts at zero (`caches.cost`, the walk flag, the prefetch). */
  #startCost(): void {
    const caches = this.smmu.caches;
    caches.cost = 0;
    caches.walked = false;
    caches.prefetchCost = 0;
  }

  /**
   * `smmu_translate`: the hardware's translation of `va` through the caches
   * (a miss walks and fills). No permission check and no fault interrupt —
   * like an address-translation operation, it reports failure to the caller:
   * `EFAULT` naming the address and the fault. Returns the slot in `front`.
   */
  probe(where: string, va: number, privileged: boolean): number {
    this.#startCost();
    const slot = this.#lookup(va);
    // The miss is kept out of line so that the hit path stays small enough to inline into its caller.
    return slot >= 0 ? slot : this.#probeMiss(where, va, privileged);
  }

  /** `probe` after every TLB missed: walk, fill, or throw `EFAULT`. */
  #probeMiss(where: string, va: number, privileged: boolean): number {
    const w = this.#demandWalk(va);
    if (isWalkFault(w) || !w.accessFlag) {
      const kind = isWalkFault(w) ? w.fault : 'access-flag';
      const level = w.level;
      throw new VcmError('EFAULT', `${where}: ${hex(va)} does not translate in context ${this.#owner?.name ?? `bank ${this.index}`} (level-${level} ${kind} fault)`, {
        param: 'va',
        value: va,
        kind,
        level,
        context: this.#owner?.name,
      });
    }
    return this.#fill(w, permOf(w, privileged));
  }

  /**
   * Translate a device access: the TLB slot that grants it. Faults go to
   * the handler; `'retry'` translates again (the handler may have mapped
   * the page), up to the retry budget; `'terminate'`, no handler, an
   * exhausted budget or a context deactivated by its handler throw `EFAULT`.
   */
  resolve(va: number, access: number, privileged: boolean): number {
    const need = (access === ACCESS_READ ? PERM_READ : access === ACCESS_WRITE ? PERM_WRITE : PERM_EXECUTE) | (privileged ? 0 : PERM_USER);
    const owner = this.#owner;
    this.#startCost();
    if (owner === undefined) throw this.#gone(va, access, owner);
    const slot = this.#lookup(va);
    if (slot >= 0 && (this.front._permOfHit(slot) & need) === need) return slot;
    // A miss or a permission fault: out of line, so that this hit path stays
    // small and V8 compiles the walk, the fills and the prefetch as a unit of
    // their own rather than inlining part of them here.
    return this.#resolveRest(va, access, privileged, need, owner, slot);
  }

  /** `resolve` after its first lookup (`first`, a slot or -1) did not grant the access: walk, fill, fault, retry. */
  #resolveRest(va: number, access: number, privileged: boolean, need: number, owner: SmmuContext, first: number): number {
    const front = this.front;
    let retries = 0;
    let slot = first;
    for (;;) {
      let kind: FaultKind;
      let level: number;
      let descriptor: number | undefined;
      if (slot >= 0) {
        if ((front._permOfHit(slot) & need) === need) return slot;
        kind = 'permission';
        level = front.level(slot);
        descriptor = front.descriptor(slot);
      } else {
        const w = this.#demandWalk(va);
        if (isWalkFault(w)) {
          kind = w.fault;
          level = w.level;
          if (w.entryPa >= 0) descriptor = w.descriptor;
        } else if (!w.accessFlag) {
          // ARM: an entry with the access flag clear faults and is not cached.
          kind = 'access-flag';
          level = w.level;
          descriptor = w.descriptor;
        } else {
          slot = this.#fill(w, permOf(w, privileged));
          if ((front._permOfHit(slot) & need) === need) return slot;
          kind = 'permission';
          level = w.level;
          descriptor = w.descriptor;
        }
      }
      this.#fault(owner, kind, level, va, access, descriptor, retries);
      retries++;
      if (this.#owner !== owner) throw this.#gone(va, access, owner);
      slot = this.#lookup(va);
    }
  }

  /** The access of a context its handler deactivated (or replaced on this bank) cannot go on. */
  #gone(va: number, access: number, owner: SmmuContext | undefined): VcmError {
    const name = owner?.name ?? `bank ${this.index}`;
    return new VcmError('EFAULT', `${name} dma: the ${ACCESS_NAMES[access]} of ${hex(va)} was terminated: context ${name} was deactivated while its fault handler ran`, {
      kind: 'translation',
      access: ACCESS_NAMES[access],
      address: va,
      context: name,
    });
  }

  /**
   * Record a fault in FSR/FAR/FSYNR0, stall, and ask the handler. Returns
   * on `'retry'` (RESUME retry; FSR cleared, as the driver does before
   * resuming); throws on terminate. However the handler ends — an answer,
   * a throw — the transaction is no longer stalled afterwards.
   */
  #fault(owner: SmmuContext, kind: FaultKind, level: number, va: number, access: number, descriptor: number | undefined, retries: number): void {
    const regs = this.registers;
    const multi = this.#faultDepth > 0 && (regs.fsr & FSR_FAULT_MASK) !== 0;
    const fsr = (fsrBitOf(kind) | FSR_SS) + (multi ? FSR_MULTI : 0);
    regs.setStatus(REG_FSR, fsr);
    regs.setStatus(REG_FAR, va);
    regs.setStatus(REG_FSYNR0, (level & 3) | (access === ACCESS_WRITE ? FSYNR0_WNR : 0) | (access === ACCESS_EXECUTE ? FSYNR0_IND : 0));
    const info: FaultInfo = {
      kind,
      address: va,
      access: ACCESS_NAMES[access]!,
      fsr,
      far: va,
      context: owner.name,
      ...(descriptor === undefined ? {} : { descriptor }),
    };
    const where = `${owner.name} dma`;
    const terminate = (): number => {
      // The driver writes RESUME to the bank that stalled; the cause bits stay
      // as the record of the fault. A bank its handler gave up was cleared and is left so.
      if (this.#owner === owner) {
        regs.setStatus(REG_RESUME, RESUME_TERMINATE);
        regs.setStatus(REG_FSR, fsr - FSR_SS);
      }
      return fsr - FSR_SS;
    };
    const budget = owner.retryBudget;
    if (retries >= budget) {
      throw faultError(where, { ...info, fsr: terminate() }, `the handler asked to retry ${budget} times without fixing it (retry budget ${budget}); terminated`);
    }
    const hook = owner.interruptHook;
    if (hook === undefined) {
      const err = faultError(where, { ...info, fsr: terminate() }, 'no fault handler is hooked (ctx.hookInterrupt); terminated');
      this.smmu.logger.warn(err.message, err.details);
      throw err;
    }
    let decision: unknown;
    this.#faultDepth++;
    try {
      decision = hook.handler(owner, hook.data, info);
    } catch (e) {
      terminate();
      throw e;
    } finally {
      this.#faultDepth--;
    }
    if (decision === 'retry') {
      // Resume: software clears FSR, the SMMU retries the transaction.
      if (this.#owner === owner) {
        regs.setStatus(REG_RESUME, 0);
        regs.setStatus(REG_FSR, 0);
      }
      return;
    }
    const why = decision === 'terminate' ? 'the handler terminated the access' : `the handler returned ${describeDecision(decision)}, not 'retry' or 'terminate'; terminated`;
    throw faultError(where, { ...info, fsr: terminate() }, why);
  }

  toJSON(): { index: number; address: number; owner: string | null; registers: ReturnType<BankRegisters['toJSON']> } {
    return { index: this.index, address: this.address, owner: this.#owner?.name ?? null, registers: this.registers.toJSON() };
  }
}
