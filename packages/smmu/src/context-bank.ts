/**
 * One hardware context bank of an SMMU and the translation it performs for
 * device traffic (docs/translation.md#the-walk-from-registers): TLB lookup →
 * on a miss the format's walk from the bank's registers (TTBCR, TTBR0/1,
 * decoded when they were written), reading descriptors from RAM →
 * permission check → the physical address. The bank holds no table
 * objects: whatever TTBR0/TTBR1 say is what it walks.
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
 * Put a walk's leaf into the TLB for `bank` (tagged with its ASID); a leaf
 * of a size the SMMU's TLB has not held before (a contiguous run) becomes
 * one more size its lookups and invalidations probe. Returns the slot.
 */
function fill(bank: ContextBank, w: WalkResult, perm: number): number {
  const smmu = bank.smmu;
  const lg = 31 - Math.clz32(w.size);
  const sizes = smmu.sizesLog2;
  if (!sizes.includes(lg)) {
    sizes.push(lg);
    sizes.sort((a, b) => a - b);
  }
  return smmu.tlb.fill(bank.index, bank.contextId, w.va, lg, w.base, perm, w.descriptor, w.level);
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

  /** Not a constructor to call: made by `new Smmu`. */
  constructor(
    readonly smmu: Smmu,
    readonly index: number,
  ) {
    this.registers = new BankRegisters((regs) => this.#decode(regs));
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

  /** @internal Give the bank up: drop the context's TLB entries and clear the registers. */
  release(): void {
    this.smmu.tlb.invalidateContext(this.index, this.contextId);
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
   * `smmu_translate`: the hardware's translation of `va` through the TLB
   * (a miss walks and fills). No permission check and no fault interrupt —
   * like an address-translation operation, it reports failure to the caller:
   * `EFAULT` naming the address and the fault. Returns the TLB slot.
   */
  probe(where: string, va: number, privileged: boolean): number {
    const smmu = this.smmu;
    const tlb = smmu.tlb;
    const slot = tlb.lookup(this.index, this.contextId, va, smmu.sizesLog2);
    if (slot >= 0) return slot;
    tlb.walks++;
    const w = this.walk(va);
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
    return fill(this, w, permOf(w, privileged));
  }

  /**
   * Translate a device access: the TLB slot that grants it. Faults go to
   * the handler; `'retry'` translates again (the handler may have mapped
   * the page), up to the retry budget; `'terminate'`, no handler, an
   * exhausted budget or a context deactivated by its handler throw `EFAULT`.
   */
  resolve(va: number, access: number, privileged: boolean): number {
    const smmu = this.smmu;
    const tlb = smmu.tlb;
    const need = (access === ACCESS_READ ? PERM_READ : access === ACCESS_WRITE ? PERM_WRITE : PERM_EXECUTE) | (privileged ? 0 : PERM_USER);
    const owner = this.#owner;
    let retries = 0;
    for (;;) {
      if (this.#owner !== owner || owner === undefined) throw this.#gone(va, access, owner);
      let slot = tlb.lookup(this.index, this.contextId, va, smmu.sizesLog2);
      let kind: FaultKind;
      let level: number;
      let descriptor: number | undefined;
      if (slot >= 0) {
        if ((tlb.perm(slot) & need) === need) return slot;
        kind = 'permission';
        level = tlb.level(slot);
        descriptor = tlb.descriptor(slot);
      } else {
        tlb.walks++;
        const w = this.walk(va);
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
          slot = fill(this, w, permOf(w, privileged));
          if ((tlb.perm(slot) & need) === need) return slot;
          kind = 'permission';
          level = w.level;
          descriptor = w.descriptor;
        }
      }
      this.#fault(owner, kind, level, va, access, descriptor, retries);
      retries++;
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
