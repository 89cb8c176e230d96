/**
 * A user process of the simulated VMM: its own armV7Short table for the
 * addresses below PAGE_OFFSET, an ASID that tags its TLB entries, and an
 * mmap area (0x0000_1000–0xbf00_0000) from which its `VCM_PREBUILT_USER`
 * reservations are placed, lowest address first. `exit()` releases
 * everything it mapped: each of its VCMs is torn down through core (the
 * `onRevoke` teardown), then the TLB drops the ASID and the table memory
 * goes back to the allocator.
 */
import { VcmError } from '@vcm/core';
import type { Logger, RangeAllocator } from '@vcm/core';
import type { CpuPageTable } from './cpu-address-space.js';
import type { CpuMapping } from './cpu-address-space.js';
import type { CpuDriver } from './cpu-driver.js';
import { CpuPrebuiltVcm } from './prebuilt.js';

/** What a process needs from its VMM. */
export interface ProcessHost {
  readonly logger: Logger | undefined;
  /** Remove the process from the list, free its ASID, leave it if current. */
  reap(process: Process): void;
}

/** A process as plain JSON (docs/rules.md#observability): pid, ASID, its table, its VCMs and mmap area, every mapping. */
export interface ProcessSnapshot {
  readonly pid: number;
  readonly name: string;
  readonly asid: number;
  readonly alive: boolean;
  readonly pgtblPa: number | null;
  readonly tableBytes: number;
  readonly vcms: number;
  readonly mmap: { readonly freeBytes: number; readonly usedBytes: number };
  readonly mappings: readonly CpuMapping[];
}

/**
 * A user process of the simulated VMM: its own short-descriptor table for
 * the addresses below `PAGE_OFFSET`, an ASID that tags its TLB entries, and
 * the mmap area its `VCM_PREBUILT_USER` reservations are placed in. `exit()`
 * tears down its VCMs through core, drops its ASID from the TLB and frees its
 * table memory. Made by `vmm.createProcess`.
 */
export class Process {
  readonly pid: number;
  readonly name: string;
  readonly asid: number;
  /** The process's page table and what core mapped into it. */
  readonly pageTable: CpuPageTable;
  private readonly mmap: RangeAllocator;
  private readonly host: ProcessHost;
  private readonly vcms = new Set<CpuPrebuiltVcm>();
  /** What `exit()` runs first: the process's open files, in Linux terms (`exit_files`). */
  private readonly exitCallbacks = new Set<(process: Process) => void>();
  private alive = true;

  /** Made by `vmm.createProcess`. */
  constructor(host: ProcessHost, pid: number, name: string, asid: number, pageTable: CpuPageTable, mmap: RangeAllocator) {
    this.host = host;
    this.pid = pid;
    this.name = name;
    this.asid = asid;
    this.pageTable = pageTable;
    this.mmap = mmap;
  }

  get label(): string {
    return `process "${this.name}" (pid ${this.pid})`;
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** Physical address of the process's first-level table (`undefined` after exit). */
  get pgtblPa(): number | undefined {
    return this.pageTable.pgtblPa;
  }

  /** The user mappings core made, in address order. */
  mappings(): CpuMapping[] {
    return this.pageTable.mappings();
  }

  /** @internal The provider's: a new `VCM_PREBUILT_USER` VCM over this process's table and mmap area. */
  _createVcm(driver: CpuDriver): CpuPrebuiltVcm {
    if (!this.alive) throw new VcmError('ENODEV', `${this.label} has exited`, { pid: this.pid });
    const vcm = new CpuPrebuiltVcm('ext-user', this.pageTable, this.mmap, driver, 0, this);
    this.vcms.add(vcm);
    return vcm;
  }

  /** @internal Called by a user VCM's `dispose()` (`vcm.free()`). */
  _forgetVcm(vcm: CpuPrebuiltVcm): void {
    this.vcms.delete(vcm);
  }

  /**
   * Run `callback` when the process exits, before its user VCMs are torn
   * down and its table is freed — what a driver's `release` is to a task's
   * open files (`@vcm/devtree` closes `/dev` handles with it). Returns a
   * function that removes the callback. `EINVAL` after exit.
   */
  onExit(callback: (process: Process) => void): () => void {
    if (!this.alive) throw new VcmError('EINVAL', `process.onExit: ${this.label} has already exited`, { pid: this.pid });
    if (typeof callback !== 'function') {
      throw new VcmError('EINVAL', `process.onExit: callback must be a function, got ${typeof callback}`, { param: 'callback', value: typeof callback });
    }
    // A wrapper per registration, so registering one function twice needs two removals.
    const entry = (p: Process): void => callback(p);
    this.exitCallbacks.add(entry);
    return () => {
      this.exitCallbacks.delete(entry);
    };
  }

  /**
   * Release everything the process mapped. Each user VCM is torn down by
   * the teardown core registered with `onRevoke` (unback, unreserve,
   * deactivate, deassociate, free) so the graph never points at a dead
   * table; then the ASID's TLB entries go and the table memory is freed.
   * `EINVAL` when the process has already exited.
   */
  exit(): void {
    if (!this.alive) throw new VcmError('EINVAL', `process.exit: ${this.label} has already exited`, { pid: this.pid });
    // Open files first (their release may unmap from this address space), as Linux's do_exit closes them.
    for (const callback of [...this.exitCallbacks]) {
      try {
        callback(this);
      } catch (e) {
        this.host.logger?.warn(`process.exit: an exit callback of ${this.label} failed: ${(e as Error).message}`, { pid: this.pid });
      }
    }
    this.exitCallbacks.clear();
    for (const vcm of [...this.vcms]) {
      try {
        vcm.revokeNow();
      } catch (e) {
        // A teardown that fails must not keep a dead process alive; say so and go on.
        this.host.logger?.warn(`process.exit: tearing down a user VCM of ${this.label} failed: ${(e as Error).message}`, { pid: this.pid });
      }
      this.vcms.delete(vcm);
    }
    this.alive = false;
    this.pageTable.destroy();
    this.host.reap(this);
  }

  toJSON(): ProcessSnapshot {
    return {
      pid: this.pid,
      name: this.name,
      asid: this.asid,
      alive: this.alive,
      pgtblPa: this.pageTable.pgtblPa ?? null,
      tableBytes: this.pageTable.table?.tableBytes ?? 0,
      vcms: this.vcms.size,
      mmap: { freeBytes: this.mmap.freeBytes, usedBytes: this.mmap.usedBytes },
      mappings: this.mappings(),
    };
  }
}
