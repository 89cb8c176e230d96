/**
 * The CPU as a bus master like any other (docs/hardware.md#the-cpu): every
 * load and store goes TLB lookup → on a miss, the format's walk from the
 * CPU's registers (`cpu.registers`: TTBR0 for VA < PAGE_OFFSET, the current
 * process's table; TTBR1 above, the kernel's — see `cpu-registers.ts` for
 * why that split) → permission check → bytes in RAM. `cpu.walk(va)` shows
 * the walk level by level.
 *
 * Mode: `cpu.mode` ('kernel' by default) or `{ mode }` per access. A
 * user-mode access to a kernel (privileged-only, AP[1] clear) mapping is a
 * permission fault.
 *
 * A fault is a `VcmError` `EFAULT` that reads like a kernel oops. An access
 * of several pages goes page by page in address order, each translated and
 * completed before the next, as bursts on a bus do; a fault stops the
 * access at the faulting page, so the pages before it have been read or
 * written and none after it (docs/translation.md#multi-page-accesses). The
 * fault handler never runs while bytes of the access still wait to move
 * through a translation it may change.
 */
import { VcmError, checkUint, hex } from '@vcm/core';
import type { AccessKind, Device, FaultHandler, FaultInfo, FaultKind, PhysicalMemory } from '@vcm/core';
import { PERM_EXECUTE, PERM_READ, PERM_USER, PERM_WRITE, TLB_GLOBAL, Tlb, isWalkFault } from '@vcm/smmu';
import type { PageTable, PageTableFormat, TlbOptions, TlbStats, WalkFault, WalkResult, WalkStep } from '@vcm/smmu';
import { CpuRegisters } from './cpu-registers.js';
import { cpuFaultError, faultStatus } from './oops.js';
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

/** What `cpu.walk(va)` found: the walk the MMU does from the CPU's registers, level by level. */
export interface CpuWalk {
  readonly va: number;
  /** The register whose table was walked: TTBR0 (the current process) below PAGE_OFFSET, TTBR1 (the kernel) above. */
  readonly ttbr: 0 | 1;
  /** One step per descriptor read: the level, the entry's physical address, the descriptor. */
  readonly steps: readonly WalkStep[];
  /** The leaf, when the walk found one. */
  readonly leaf: WalkResult | undefined;
  /** The fault, when the walk ended in one. */
  readonly fault: WalkFault | undefined;
  /** The physical address of `va`, when it translates. */
  readonly pa: number | undefined;
}

/** Per-access options of the CPU's loads and stores. */
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

/** The CPU's counters: its TLB's, plus reads, writes, bytes moved and faults. */
export interface CpuStats extends TlbStats {
  readonly reads: number;
  readonly writes: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly faults: number;
}

const ACCESS_BIT: Readonly<Record<AccessKind, number>> = { read: PERM_READ, write: PERM_WRITE, execute: PERM_EXECUTE };
const MAX_VA = 0xffff_ffff;
/** The smallest translation granule: a bus error is found page by page. */
const PAGE = 4096;
/** Fault-handler retries per access before the fault is final (a handler that keeps saying 'retry' must not hang the CPU). */
const MAX_RETRIES = 1;

/**
 * The CPU as a bus master like any other: every load and store goes TLB
 * lookup → on a miss the format's walk from the CPU's registers → permission
 * check → bytes in RAM (docs/hardware.md#the-cpu). A fault is a `VcmError`
 * `EFAULT` that reads like a kernel oops; an access of several pages stops at
 * the faulting page (docs/translation.md#multi-page-accesses). It is a core
 * device, so prebuilt VCMs are associated with it.
 */
export class Cpu implements Device {
  readonly name: string;
  readonly driver: CpuDriver;
  readonly tlb: Tlb;
  /** SCTLR, TTBCR, TTBR0/1, DACR, CONTEXTIDR: raw words and decoded fields. The CPU translates from these alone. */
  readonly registers: CpuRegisters;
  /** The last fault this CPU took (for inspection after a caught `EFAULT`). */
  lastFault: FaultInfo | undefined;
  private mode_: CpuMode = 'kernel';
  private readonly ctx: CpuContext;
  private readonly format: PageTableFormat;
  private handler: { fn: FaultHandler; data: unknown } | undefined;
  // The access in progress: its buffer, and the physically contiguous run translated but not yet moved.
  private io: Uint8Array | undefined = undefined;
  private ioWrite = false;
  private ioVa = 0;
  private ioWhere = '';
  private runPa = 0;
  private runLen = 0;
  private runOff = 0;
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
    this.format = ctx.kernelTable.format;
    this.registers = new CpuRegisters(this.format, ctx.kernelTable.rootPa);
  }

  /** @internal The VMM's context switch (`cpu_switch_mm`): TTBR0, TTBCR.PD0 and CONTEXTIDR for `user`, or none. */
  _switchMm(user: CpuUserContext | undefined): void {
    this.registers.switchMm(`${this.name}.switchMm`, user === undefined ? undefined : { tablePa: user.table.rootPa, asid: user.asid, pid: user.pid });
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
    const out = new Uint8Array(len);
    this.access(where, va, out, false, mode);
    this.reads++;
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
    this.access(where, va, bytes, true, mode);
    this.writes++;
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

  /** Little-endian 32-bit store; `va` 4-byte aligned; `value` a 32-bit word (0..0xffff_ffff). */
  writeU32(va: number, value: number, options?: CpuAccessOptions): void {
    const where = `${this.name}.writeU32`;
    const mode = this.modeOf(where, options);
    checkWordAddress(where, va);
    checkUint(where, 'value (a 32-bit word)', value, 0xffff_ffff);
    const pa = this.translateOne(va, 'write', mode);
    this.ctx.memory.writeU32(pa, value);
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

  /**
   * The walk the MMU does for `va` from the CPU's registers, level by level
   * (docs/translation.md#the-walk-from-registers): TTBR0's table below
   * PAGE_OFFSET, TTBR1's above; each descriptor's physical address and
   * word, then the leaf or the fault. Bypasses the TLB and the permission
   * check and counts nothing (`vcm_dev_addr_to_phys_addr`).
   */
  walk(va: number): CpuWalk {
    checkUint(`${this.name}.walk`, 'va', va, MAX_VA);
    const kernel = va >= this.ctx.pageOffset;
    const configs = this.registers.configs;
    const steps: WalkStep[] = [];
    const r = this.format.walk(this.ctx.memory, kernel ? configs.kernel : configs.user, va, steps);
    const ttbr = kernel ? 1 : 0;
    if (isWalkFault(r)) return { va, ttbr, steps, leaf: undefined, fault: r, pa: undefined };
    return { va, ttbr, steps, leaf: r, fault: undefined, pa: r.pa };
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
      registers: this.registers.toJSON(),
      stats: this.stats(),
      lastFault: this.lastFault ?? null,
    };
  }

  // ---- translation -------------------------------------------------------

  private modeOf(where: string, options: CpuAccessOptions | undefined): CpuMode {
    if (options === undefined) return this.mode_;
    const proto = typeof options === 'object' && options !== null ? (Object.getPrototypeOf(options) as unknown) : undefined;
    if (proto !== Object.prototype && proto !== null) {
      throw new VcmError('EINVAL', `${where}: options must be { mode?: 'kernel' | 'user' }, got ${options === null ? 'null' : typeof options}`, { param: 'options' });
    }
    return options.mode === undefined ? this.mode_ : checkMode(`${where}: options.mode`, options.mode);
  }

  private translateOne(va: number, access: AccessKind, mode: CpuMode): number {
    const slot = this.resolve(va, access, mode);
    return this.tlb.pa(slot, va);
  }

  /**
   * Move the bytes of [va, va + buf.length) page by page in address order
   * (docs/translation.md#multi-page-accesses): each TLB leaf is translated,
   * then its bytes join the pending physically contiguous run; the run moves
   * when the next page is not contiguous with it, at the end, and before a
   * fault handler runs (`raise`), so a fault stops the access at the
   * faulting page with every earlier page done.
   */
  private access(where: string, va: number, buf: Uint8Array, write: boolean, mode: CpuMode): void {
    const tlb = this.tlb;
    const end = va + buf.length;
    this.io = buf;
    this.ioWrite = write;
    this.ioVa = va;
    this.ioWhere = where;
    this.runLen = 0;
    try {
      let cur = va;
      while (cur < end) {
        const slot = this.resolve(cur, write ? 'write' : 'read', mode);
        const pa = tlb.pa(slot, cur);
        const step = Math.min(tlb.end(slot), end) - cur;
        if (this.runLen > 0 && this.runPa + this.runLen === pa) this.runLen += step;
        else {
          this.flush();
          this.runPa = pa;
          this.runLen = step;
          this.runOff = cur - va;
        }
        cur += step;
      }
      this.flush();
    } finally {
      this.io = undefined;
      this.runLen = 0;
    }
  }

  /** Move the pending run of the access in progress (a store to RAM or a load from it); a bus error is a fault too. */
  private flush(): void {
    const buf = this.io;
    const len = this.runLen;
    if (buf === undefined || len === 0) return;
    this.runLen = 0;
    const memory = this.ctx.memory;
    const pa = this.runPa;
    const off = this.runOff;
    if (memory.contains(pa, len)) {
      this.move(buf, pa, off, len);
      return;
    }
    // Up to the first page that is not RAM the access completes; there it aborts.
    let done = 0;
    for (let n = Math.min(PAGE - (pa % PAGE), len); done < len && memory.contains(pa + done, n); n = Math.min(PAGE, len - done)) done += n;
    this.move(buf, pa, off, done);
    const va = this.ioVa + off + done;
    throw new VcmError('EFAULT', `${this.ioWhere}: external abort at virtual address ${hex(va)}: physical ${hex(pa + done)} is not RAM`, {
      address: va,
      pa: pa + done,
      completed: off + done,
    });
  }

  private move(buf: Uint8Array, pa: number, off: number, len: number): void {
    if (len === 0) return;
    const memory = this.ctx.memory;
    if (this.ioWrite) {
      memory.write(pa, buf.subarray(off, off + len));
      this.bytesWritten += len;
      return;
    }
    // Straight into the result when the RAM offers it (PhysicalRam does); else a copy of a copy.
    if (memory.readInto !== undefined) memory.readInto(pa, buf.subarray(off, off + len));
    else buf.set(memory.read(pa, len), off);
    this.bytesRead += len;
  }

  /** The TLB slot translating `va` with the access allowed, or a thrown oops. */
  private resolve(va: number, access: AccessKind, mode: CpuMode): number {
    for (let attempt = 0; ; attempt++) {
      const user = va < this.ctx.pageOffset ? this.ctx.currentUser() : undefined;
      // A kernel address (or no process) looks up global entries only; a user address its ASID's (and global ones).
      const asid = user === undefined ? TLB_GLOBAL : user.asid;
      const tlb = this.tlb;
      let slot = tlb.lookup(CPU_TLB_BANK, asid, va, CPU_TLB_SIZES_LOG2);
      let failure: { kind: FaultKind | WalkFault['fault']; reason: string; descriptor: number | undefined; level: number | undefined } | undefined;
      if (slot < 0) {
        const kernel = va >= this.ctx.pageOffset;
        const configs = this.registers.configs;
        const config = kernel ? configs.kernel : configs.user;
        if (!kernel && config.epd0) {
          // TTBCR.PD0: no process is current, there is no table to walk.
          failure = { kind: 'translation', reason: 'no user address space (no current process)', descriptor: undefined, level: undefined };
        } else {
          tlb.walks++; // a walk that finds nothing is still a walk
          const w = this.format.walk(this.ctx.memory, config, va);
          if (isWalkFault(w)) {
            const reason = w.fault === 'access-flag' ? 'access flag clear' : w.fault === 'translation' ? 'no mapping' : `${w.fault} fault`;
            failure = { kind: w.fault, reason, descriptor: w.entryPa < 0 ? undefined : w.descriptor >>> 0, level: w.level };
          } else {
            const perm =
              (w.readable ? PERM_READ : 0) | (w.writable ? PERM_WRITE : 0) | (w.executable ? PERM_EXECUTE : 0) | (w.user ? PERM_USER : 0);
            // Global (nG clear) leaves are filled as global entries; the kernel table holds only those.
            const tag = kernel ? TLB_GLOBAL : asid;
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
    f: { kind: FaultKind | WalkFault['fault']; descriptor: number | undefined; level: number | undefined },
  ): 'retry' | 'terminate' {
    // The pages before this one complete before the handler may change their translations.
    this.flush();
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
