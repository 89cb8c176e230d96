/**
 * The CPU as a bus master like any other
 * (docs/architecture.md#what-is-simulated-and-how-faithfully): every load and
 * store goes TLB lookup → on a
 * miss, a walk of the armV7Short table in RAM → permission check → bytes in
 * RAM. Which table: the simulated MMU sends VA ≥ PAGE_OFFSET to the
 * kernel's table and lower addresses to the current process's table. (Real
 * ARM Linux copies the kernel's level-1 entries into every process's pgd,
 * because TTBCR.N cannot express a 3G/1G split; selecting by address gives
 * the same translations with one kernel table, and every descriptor is the
 * real ARM one either way.)
 *
 * Mode: `cpu.mode` ('kernel' by default) or `{ mode }` per access. A
 * user-mode access to a kernel (privileged-only, AP[1] clear) mapping is a
 * permission fault.
 *
 * A fault is a `VcmError` `EFAULT` that reads like a kernel oops. Faults are
 * atomic: an access is translated page by page in full before a byte moves,
 * so a fault anywhere in it changes no memory.
 */
import { VcmError, checkUint, hex } from '@vcm/core';
import type { AccessKind, Device, FaultHandler, FaultInfo, FaultKind, PhysicalMemory } from '@vcm/core';
import { PERM_EXECUTE, PERM_READ, PERM_USER, PERM_WRITE, TLB_GLOBAL, Tlb } from '@vcm/smmu';
import type { PageTable, TlbOptions, TlbStats, WalkResult } from '@vcm/smmu';
import { cpuFaultError, faultStatus, findDescriptor } from './oops.js';
import type { CpuMode } from './oops.js';
import type { CpuDriver } from './cpu-driver.js';

export type { CpuMode } from './oops.js';

/** A user address space as the CPU sees it. */
export interface CpuUserContext {
  readonly table: PageTable;
  readonly asid: number;
  readonly pid: number;
  readonly name: string;
}

/** What the CPU needs from the VMM: RAM, the split, and the tables. */
export interface CpuContext {
  readonly memory: PhysicalMemory;
  readonly pageOffset: number;
  readonly kernelTable: PageTable;
  /** The current process's space; `undefined` in a kernel thread (no process switched to). */
  currentUser(): CpuUserContext | undefined;
}

export interface CpuAccessOptions {
  /** Overrides `cpu.mode` for this access. */
  readonly mode?: CpuMode;
}

/**
 * The CPU's TLB is `@vcm/smmu`'s `Tlb` — one finite, shared-model TLB for
 * every master (docs/architecture.md#what-is-simulated-and-how-faithfully): one
 * bank (this one), the ASID as context id, and kernel leaves (nG clear)
 * filled as global entries (`TLB_GLOBAL`) that answer every ASID, so a
 * process switch needs no flush. Invalid descriptors are never cached (ARM
 * caches no faults): a new mapping needs no invalidation to become visible,
 * a removed or changed one does.
 */
export const CPU_TLB_BANK = 0;
/** A Cortex-A9-sized main TLB. */
export const CPU_TLB_DEFAULT_ENTRIES = 128;
/** The leaf sizes of the CPU's armV7Short tables (4 KiB, 64 KiB, 1 MiB, 16 MiB), log2: an entry holds one leaf. */
export const CPU_TLB_SIZES_LOG2: readonly number[] = [12, 16, 20, 24];

export interface CpuStats extends TlbStats {
  readonly reads: number;
  readonly writes: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly faults: number;
}

/** `PhysicalRam.readInto` (physalloc): optional beyond core's `PhysicalMemory`. */
interface ReadIntoMemory {
  readInto(pa: number, out: Uint8Array): Uint8Array;
}

const ACCESS_BIT: Readonly<Record<AccessKind, number>> = { read: PERM_READ, write: PERM_WRITE, execute: PERM_EXECUTE };
const MAX_VA = 0xffff_ffff;
/** Fault-handler retries per access before the fault is final (a handler that keeps saying 'retry' must not hang the CPU). */
const MAX_RETRIES = 1;

export class Cpu implements Device {
  readonly name: string;
  readonly driver: CpuDriver;
  readonly tlb: Tlb;
  /** The last fault this CPU took (for inspection after a caught `EFAULT`). */
  lastFault: FaultInfo | undefined;
  private mode_: CpuMode = 'kernel';
  private readonly ctx: CpuContext;
  private handler: { fn: FaultHandler; data: unknown } | undefined;
  // Pre-translated runs of the current access: physically contiguous pieces.
  private runPa = new Float64Array(64);
  private runLen = new Float64Array(64);
  private reads = 0;
  private writes = 0;
  private bytesRead = 0;
  private bytesWritten = 0;
  private faults = 0;

  /** `tlb`: options for a new TLB (128 entries, LRU by default), or a TLB already made. */
  constructor(name: string, ctx: CpuContext, driver: CpuDriver, tlb: TlbOptions | Tlb = {}) {
    this.name = name;
    this.ctx = ctx;
    this.driver = driver;
    this.tlb = tlb instanceof Tlb ? tlb : new Tlb({ ...tlb, entries: tlb.entries ?? CPU_TLB_DEFAULT_ENTRIES }, 'new Cpu');
  }

  /** The privilege level of accesses that do not pass `{ mode }`. */
  get mode(): CpuMode {
    return this.mode_;
  }

  set mode(mode: CpuMode) {
    this.mode_ = checkMode(`${this.name}.mode`, mode);
  }

  /** Load `len` bytes at `va`. */
  read(va: number, len: number, options?: CpuAccessOptions): Uint8Array {
    const where = `${this.name}.read`;
    const mode = this.modeOf(where, options);
    checkRange(where, va, len);
    const n = this.pretranslate(va, len, 'read', mode);
    const out = new Uint8Array(len);
    const memory = this.ctx.memory;
    const readInto = (memory as Partial<ReadIntoMemory>).readInto;
    let off = 0;
    for (let i = 0; i < n; i++) {
      const rl = this.runLen[i] as number;
      const pa = this.runPa[i] as number;
      // Straight into the result when the RAM offers it (PhysicalRam does); else a copy of a copy.
      if (typeof readInto === 'function') readInto.call(memory, pa, out.subarray(off, off + rl));
      else out.set(memory.read(pa, rl), off);
      off += rl;
    }
    this.reads++;
    this.bytesRead += len;
    return out;
  }

  /** Store `bytes` at `va`. */
  write(va: number, bytes: Uint8Array, options?: CpuAccessOptions): void {
    const where = `${this.name}.write`;
    const mode = this.modeOf(where, options);
    if (!(bytes instanceof Uint8Array)) {
      throw new VcmError('EINVAL', `${where}: bytes must be a Uint8Array, got ${typeof bytes}`, { param: 'bytes' });
    }
    checkRange(where, va, bytes.length);
    const n = this.pretranslate(va, bytes.length, 'write', mode);
    const memory = this.ctx.memory;
    // Every run must be RAM before the first byte moves (a bus error is a fault too).
    for (let i = 0; i < n; i++) {
      const pa = this.runPa[i] as number;
      const rl = this.runLen[i] as number;
      if (!memory.contains(pa, rl)) {
        throw new VcmError('EFAULT', `${where}: external abort at virtual address ${hex(va)}: physical ${hex(pa)}+${hex(rl)} is not RAM`, {
          address: va,
          pa,
          len: rl,
        });
      }
    }
    let off = 0;
    for (let i = 0; i < n; i++) {
      const rl = this.runLen[i] as number;
      memory.write(this.runPa[i] as number, bytes.subarray(off, off + rl));
      off += rl;
    }
    this.writes++;
    this.bytesWritten += bytes.length;
  }

  /** Little-endian 32-bit load; `va` 4-byte aligned. */
  readU32(va: number, options?: CpuAccessOptions): number {
    const where = `${this.name}.readU32`;
    const mode = this.modeOf(where, options);
    checkWordAddress(where, va);
    const pa = this.translateOne(va, 'read', mode);
    this.reads++;
    this.bytesRead += 4;
    return this.ctx.memory.readU32(pa) >>> 0;
  }

  /** Little-endian 32-bit store; `va` 4-byte aligned; `value` taken modulo 2^32. */
  writeU32(va: number, value: number, options?: CpuAccessOptions): void {
    const where = `${this.name}.writeU32`;
    const mode = this.modeOf(where, options);
    checkWordAddress(where, va);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new VcmError('EINVAL', `${where}: value must be a finite number, got ${String(value)}`, { param: 'value' });
    }
    const pa = this.translateOne(va, 'write', mode);
    this.ctx.memory.writeU32(pa, value >>> 0);
    this.writes++;
    this.bytesWritten += 4;
  }

  /**
   * The MMU's answer for one access: the physical address, through the TLB,
   * with the permission check; `EFAULT` (an oops) when the access would fault.
   */
  translate(va: number, access: AccessKind = 'read', options?: CpuAccessOptions): number {
    const where = `${this.name}.translate`;
    const mode = this.modeOf(where, options);
    checkUint(where, 'va', va, MAX_VA);
    if (access !== 'read' && access !== 'write' && access !== 'execute') {
      throw new VcmError('EINVAL', `${where}: access must be 'read', 'write' or 'execute', got ${String(access)}`, { param: 'access' });
    }
    return this.translateOne(va, access, mode);
  }

  /** A table walk of the current context, bypassing the TLB and permissions (`vcm_dev_addr_to_phys_addr`). */
  walk(va: number): WalkResult | undefined {
    checkUint(`${this.name}.walk`, 'va', va, MAX_VA);
    const table = this.tableFor(va);
    return table === undefined ? undefined : table.walk(va);
  }

  /** `vcm_hook`: the handler is told of every fault and may answer 'retry' (after fixing the mapping) or 'terminate'. */
  hook(handler: FaultHandler, data: unknown): void {
    if (typeof handler !== 'function') {
      throw new VcmError('EINVAL', `${this.name}.hook: handler must be a function, got ${typeof handler}`, { param: 'handler' });
    }
    this.handler = { fn: handler, data };
  }

  stats(): CpuStats {
    return {
      ...this.tlb.stats(),
      reads: this.reads,
      writes: this.writes,
      bytesRead: this.bytesRead,
      bytesWritten: this.bytesWritten,
      faults: this.faults,
    };
  }

  toJSON(): unknown {
    const user = this.ctx.currentUser();
    return {
      name: this.name,
      mode: this.mode_,
      asid: user?.asid ?? 0,
      process: user === undefined ? null : { pid: user.pid, name: user.name },
      stats: this.stats(),
      lastFault: this.lastFault ?? null,
    };
  }

  // ---- translation -------------------------------------------------------

  private modeOf(where: string, options: CpuAccessOptions | undefined): CpuMode {
    return options?.mode === undefined ? this.mode_ : checkMode(`${where}: options.mode`, options.mode);
  }

  private tableFor(va: number): PageTable | undefined {
    if (va >= this.ctx.pageOffset) return this.ctx.kernelTable;
    return this.ctx.currentUser()?.table;
  }

  private translateOne(va: number, access: AccessKind, mode: CpuMode): number {
    const slot = this.resolve(va, access, mode);
    return this.tlb.pa(slot, va);
  }

  /**
   * Fill runPa/runLen with the physically contiguous pieces of [va, va+len),
   * translating every page (every TLB leaf) on the way. Throws on the first
   * fault, before the caller touches memory. Returns the number of runs.
   */
  private pretranslate(va: number, len: number, access: AccessKind, mode: CpuMode): number {
    let n = 0;
    let cur = va;
    const end = va + len;
    const tlb = this.tlb;
    while (cur < end) {
      const slot = this.resolve(cur, access, mode);
      const pa = tlb.pa(slot, cur);
      const step = Math.min(tlb.end(slot), end) - cur;
      if (n > 0 && (this.runPa[n - 1] as number) + (this.runLen[n - 1] as number) === pa) {
        this.runLen[n - 1] = (this.runLen[n - 1] as number) + step;
      } else {
        if (n === this.runPa.length) this.growRuns();
        this.runPa[n] = pa;
        this.runLen[n] = step;
        n++;
      }
      cur += step;
    }
    return n;
  }

  private growRuns(): void {
    const pa = new Float64Array(this.runPa.length * 2);
    const len = new Float64Array(this.runLen.length * 2);
    pa.set(this.runPa);
    len.set(this.runLen);
    this.runPa = pa;
    this.runLen = len;
  }

  /** The TLB slot translating `va` with the access allowed, or a thrown oops. */
  private resolve(va: number, access: AccessKind, mode: CpuMode): number {
    for (let attempt = 0; ; attempt++) {
      const user = va < this.ctx.pageOffset ? this.ctx.currentUser() : undefined;
      // A kernel address (or no process) looks up global entries only; a user address its ASID's (and global ones).
      const asid = user === undefined ? TLB_GLOBAL : user.asid;
      const tlb = this.tlb;
      let slot = tlb.lookup(CPU_TLB_BANK, asid, va, CPU_TLB_SIZES_LOG2);
      let failure: { kind: FaultKind; reason: string; descriptor: number | undefined; level: number | undefined } | undefined;
      if (slot < 0) {
        const table = va >= this.ctx.pageOffset ? this.ctx.kernelTable : user?.table;
        if (table === undefined) {
          failure = { kind: 'translation', reason: 'no user address space (no current process)', descriptor: undefined, level: undefined };
        } else {
          tlb.walks++; // a walk that finds nothing is still a walk
          const w = table.walk(va);
          if (w === undefined) {
            const found = findDescriptor(this.ctx.memory, table.rootPa, va);
            failure = { kind: 'translation', reason: 'no mapping', descriptor: found.descriptor, level: found.level };
          } else if (!w.accessFlag) {
            failure = { kind: 'access-flag', reason: 'access flag clear', descriptor: w.descriptor >>> 0, level: w.level };
          } else {
            const perm =
              (w.readable ? PERM_READ : 0) | (w.writable ? PERM_WRITE : 0) | (w.executable ? PERM_EXECUTE : 0) | (w.user ? PERM_USER : 0);
            // Global (nG clear) leaves are filled as global entries; the kernel table holds only those.
            const tag = table === this.ctx.kernelTable ? TLB_GLOBAL : asid;
            slot = tlb.fill(CPU_TLB_BANK, tag, w.va, 31 - Math.clz32(w.size), w.base, perm, w.descriptor, w.level);
          }
        }
      }
      if (failure === undefined) {
        const flags = tlb.perm(slot);
        let reason: string | undefined;
        if (mode === 'user' && (flags & PERM_USER) === 0) reason = 'privileged only (a user-mode access to a kernel mapping)';
        else if ((flags & ACCESS_BIT[access]) === 0) {
          reason = access === 'write' ? 'read-only' : access === 'execute' ? 'execute-never' : 'not readable';
        }
        if (reason === undefined) return slot;
        failure = { kind: 'permission', reason, descriptor: tlb.descriptor(slot), level: tlb.level(slot) };
      }
      const decision = this.raise(va, access, mode, user, failure);
      if (decision === 'retry' && attempt < MAX_RETRIES) continue;
      throw cpuFaultError({
        address: va,
        access,
        mode,
        kind: failure.kind,
        descriptor: failure.descriptor,
        level: failure.level,
        reason: failure.reason,
        fsr: faultStatus(failure.kind, failure.level ?? 1, access),
        asid: user?.asid ?? 0,
        process: user === undefined ? undefined : `process "${user.name}" pid ${user.pid}`,
        cpu: this.name,
      });
    }
  }

  /** Record the fault and ask the hooked handler (seed: "the low-level driver will print a warning and terminate"). */
  private raise(
    va: number,
    access: AccessKind,
    mode: CpuMode,
    user: CpuUserContext | undefined,
    f: { kind: FaultKind; descriptor: number | undefined; level: number | undefined },
  ): 'retry' | 'terminate' {
    this.faults++;
    const info: FaultInfo = {
      kind: f.kind,
      address: va,
      access,
      fsr: faultStatus(f.kind, f.level ?? 1, access),
      far: va,
      context: user === undefined ? `${this.name} (${mode})` : `${this.name} (${mode}, pid ${user.pid})`,
      ...(f.descriptor === undefined ? {} : { descriptor: f.descriptor }),
    };
    this.lastFault = info;
    const h = this.handler;
    if (h === undefined) return 'terminate';
    return h.fn(this, h.data, info) === 'retry' ? 'retry' : 'terminate';
  }
}

function checkMode(where: string, mode: unknown): CpuMode {
  if (mode !== 'kernel' && mode !== 'user') {
    throw new VcmError('EINVAL', `${where} must be 'kernel' or 'user', got ${typeof mode === 'string' ? JSON.stringify(mode) : typeof mode}`, {
      param: 'mode',
      expected: ['kernel', 'user'],
    });
  }
  return mode;
}

function checkRange(where: string, va: number, len: number): void {
  checkUint(where, 'va', va, MAX_VA);
  checkUint(where, 'len', len, MAX_VA + 1);
  if (va + len > MAX_VA + 1) {
    throw new VcmError('EINVAL', `${where}: ${hex(va)} + ${len} runs past the 32-bit address space (end must be at most 0x1_0000_0000)`, {
      param: 'len',
      va,
      len,
    });
  }
}

function checkWordAddress(where: string, va: number): void {
  checkUint(where, 'va', va, MAX_VA);
  if (va % 4 !== 0) {
    throw new VcmError('EINVAL', `${where}: va must be 4-byte aligned, got ${hex(va)}`, { param: 'va', value: va });
  }
}
