/**
 * One hardware context bank of an SMMU and the translation it performs for
 * device traffic (docs/architecture.md#what-is-simulated-and-how-faithfully):
 * TLB lookup → on a miss a walk of the table TTBR0 or TTBR1
 * points at, reading descriptors from RAM → permission check → the physical
 * address. A fault sets FSR and FAR in the bank, stalls the transaction and
 * calls the hooked handler, which answers retry or terminate (seed 000
 * "Fault Handling"; docs/hardware.md#the-smmu).
 *
 * The bank keeps the table objects TTBR0/TTBR1 name as well as their
 * addresses: the registers hold the physical address exactly as hardware
 * would, the object is how the simulation walks the descriptors at that
 * address (a format has no "open a table at this address" operation).
 */
import { VcmError, hex } from '@vcm/core';
import type { AccessKind, FaultInfo, FaultKind } from '@vcm/core';
import type { WalkResult } from './format.js';
import {
  BankRegisters,
  CONTEXT_BANK_STRIDE,
  FSR_FAULT_MASK,
  FSR_MULTI,
  FSR_SS,
  REG_FAR,
  REG_FSR,
  fsrBitOf,
} from './registers.js';
import { PERM_EXECUTE, PERM_READ, PERM_USER, PERM_WRITE } from './tlb.js';
import type { TranslationTable } from './translation-table.js';
import type { Smmu } from './smmu.js';
import type { SmmuContext } from './context.js';

/** Access codes of the hot path (no strings per access). */
export const ACCESS_READ = 0;
export const ACCESS_WRITE = 1;
export const ACCESS_EXECUTE = 2;
const ACCESS_NAMES: readonly AccessKind[] = ['read', 'write', 'execute'];

/** The TLB permission bits of a walk result. */
export function permOf(w: WalkResult): number {
  return (w.readable ? PERM_READ : 0) | (w.writable ? PERM_WRITE : 0) | (w.executable ? PERM_EXECUTE : 0) | (w.user ? PERM_USER : 0);
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

export class ContextBank {
  readonly registers = new BankRegisters();
  /** The virtual context activated on this bank (the one the registers belong to). */
  owner: SmmuContext | undefined;
  /** The tables TTBR0 and TTBR1 point at. */
  table0: TranslationTable | undefined;
  table1: TranslationTable | undefined;
  /** CONTEXTIDR, kept as a field for the hot path. */
  contextId = 0;
  /** TTBCR.N as a shift: addresses with `va >>> splitShift` non-zero go to TTBR1 (32 = no split). */
  private splitShift = 32;
  /** Handlers running on this bank: a fault while one runs sets FSR.MULTI. */
  private faultDepth = 0;

  constructor(
    readonly smmu: Smmu,
    readonly index: number,
  ) {}

  /** Physical address of the bank's registers: banks sit 4 KiB apart from the SMMU base. */
  get address(): number {
    return this.smmu.base + this.index * CONTEXT_BANK_STRIDE;
  }

  /** Load a context's register image and tables (a context switch; seed: activation). */
  program(owner: SmmuContext, image: BankRegisters, table0: TranslationTable | undefined, table1: TranslationTable | undefined): void {
    this.owner = owner;
    this.registers.load(image);
    this.contextId = image.contextidr;
    this.setTables(table0, table1);
  }

  /** Repoint TTBR0/TTBR1 (and TTBCR.N) of the live bank; registers are written by the caller. */
  setTables(table0: TranslationTable | undefined, table1: TranslationTable | undefined): void {
    if (this.table0 && this.table0 !== table0 && this.table0 !== table1) this.table0.users.delete(this);
    if (this.table1 && this.table1 !== table0 && this.table1 !== table1) this.table1.users.delete(this);
    this.table0 = table0;
    this.table1 = table1;
    table0?.users.add(this);
    table1?.users.add(this);
    const n = this.registers.n;
    this.splitShift = 32 - n;
  }

  /** Give the bank up: drop the context's TLB entries and clear the registers. */
  release(): void {
    this.smmu.tlb.invalidateContext(this.index, this.contextId);
    this.setTables(undefined, undefined);
    this.owner = undefined;
    this.registers.clear();
    this.contextId = 0;
    this.splitShift = 32;
  }

  /** The table that translates `va`: TTBR1 when N > 0 and the top N bits are not all zero, else TTBR0. */
  route(va: number): TranslationTable | undefined {
    return this.splitShift < 32 && va >>> this.splitShift !== 0 ? this.table1 : this.table0;
  }

  /** A walk that touches no counter and no TLB entry (`vcm_dev_addr_to_phys_addr`). */
  walkPure(va: number): WalkResult | undefined {
    return this.route(va)?.table.walk(va);
  }

  /**
   * `smmu_translate`: the hardware's translation of `va` through the TLB
   * (a miss walks and fills). No permission check and no fault interrupt —
   * like an address-translation operation, it reports failure to the caller:
   * `EFAULT` naming the address. Returns the TLB slot.
   */
  probe(where: string, va: number): number {
    const tlb = this.smmu.tlb;
    const slot = tlb.lookup(this.index, this.contextId, va, this.smmu.sizesLog2);
    if (slot >= 0) return slot;
    tlb.walks++;
    const w = this.walkPure(va);
    if (w === undefined || !w.accessFlag) {
      const kind: FaultKind = w === undefined ? 'translation' : 'access-flag';
      throw new VcmError('EFAULT', `${where}: ${hex(va)} is not mapped in context ${this.owner?.name ?? `bank ${this.index}`} (${kind} fault)`, {
        param: 'va',
        value: va,
        kind,
        context: this.owner?.name,
      });
    }
    return tlb.fill(this.index, this.contextId, w.va, 31 - Math.clz32(w.size), w.base, permOf(w), w.descriptor);
  }

  /**
   * Translate a device access: the TLB slot that grants it. Faults go to
   * the handler; `'retry'` translates again (the handler may have mapped
   * the page), up to the retry budget; `'terminate'`, no handler, or an
   * exhausted budget throw `EFAULT`.
   */
  resolve(va: number, access: number, privileged: boolean): number {
    const tlb = this.smmu.tlb;
    const need = (access === ACCESS_READ ? PERM_READ : access === ACCESS_WRITE ? PERM_WRITE : PERM_EXECUTE) | (privileged ? 0 : PERM_USER);
    let retries = 0;
    for (;;) {
      let slot = tlb.lookup(this.index, this.contextId, va, this.smmu.sizesLog2);
      let kind: FaultKind;
      let descriptor: number | undefined;
      if (slot >= 0) {
        if ((tlb.perm(slot) & need) === need) return slot;
        kind = 'permission';
        descriptor = tlb.descriptor(slot);
      } else {
        tlb.walks++;
        const w = this.walkPure(va);
        if (w === undefined) {
          kind = 'translation';
        } else if (!w.accessFlag) {
          // ARM: an entry with the access flag clear faults and is not cached.
          kind = 'access-flag';
          descriptor = w.descriptor;
        } else {
          slot = tlb.fill(this.index, this.contextId, w.va, 31 - Math.clz32(w.size), w.base, permOf(w), w.descriptor);
          if ((tlb.perm(slot) & need) === need) return slot;
          kind = 'permission';
          descriptor = w.descriptor;
        }
      }
      this.fault(kind, va, access, descriptor, retries);
      retries++;
    }
  }

  /**
   * Record a fault in FSR/FAR, stall, and ask the handler. Returns on
   * `'retry'` (FSR cleared, as the driver does before resuming); throws on
   * terminate.
   */
  private fault(kind: FaultKind, va: number, access: number, descriptor: number | undefined, retries: number): void {
    const owner = this.owner!;
    const words = this.registers.words;
    const multi = this.faultDepth > 0 && (words[REG_FSR]! & FSR_FAULT_MASK) !== 0;
    const fsr = (fsrBitOf(kind) | FSR_SS) + (multi ? FSR_MULTI : 0);
    words[REG_FSR] = fsr;
    words[REG_FAR] = va;
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
    const stopStall = (): void => {
      // The transaction is no longer stalled; the cause bits stay as the record of the fault.
      words[REG_FSR] = fsr - FSR_SS;
    };
    const budget = owner.retryBudget;
    if (retries >= budget) {
      stopStall();
      throw faultError(where, { ...info, fsr: words[REG_FSR]! }, `the handler asked to retry ${budget} times without fixing it (retry budget ${budget}); terminated`);
    }
    const hook = owner.interruptHook;
    if (hook === undefined) {
      stopStall();
      const err = faultError(where, { ...info, fsr: words[REG_FSR]! }, 'no fault handler is hooked (ctx.hookInterrupt); terminated');
      this.smmu.logger.warn(err.message, err.details);
      throw err;
    }
    let decision: unknown;
    this.faultDepth++;
    try {
      decision = hook.handler(owner, hook.data, info);
    } finally {
      this.faultDepth--;
    }
    if (decision === 'retry') {
      // Resume: software clears FSR, the SMMU retries the transaction.
      words[REG_FSR] = 0;
      return;
    }
    stopStall();
    const why = decision === 'terminate' ? 'the handler terminated the access' : `the handler returned ${JSON.stringify(decision) ?? String(decision)}, not 'retry' or 'terminate'; terminated`;
    throw faultError(where, { ...info, fsr: words[REG_FSR]! }, why);
  }

  toJSON(): { index: number; address: number; owner: string | null; registers: ReturnType<BankRegisters['toJSON']> } {
    return { index: this.index, address: this.address, owner: this.owner?.name ?? null, registers: this.registers.toJSON() };
  }
}
