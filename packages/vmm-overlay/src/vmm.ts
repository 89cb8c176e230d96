/**
 * The simulated CPU virtual memory manager — the seed's "existing VMM" that
 * the light overlay brings into the VCM graph (seed 000). It owns the
 * kernel's page table (linear map + vmalloc area), the processes and their
 * tables, the CPU device, and the prebuilt-VCM provider for `new Vcmm({
 * prebuilt: vmm.prebuilt })`. See `layout.ts` for the address map.
 */
import {
  VcmError,
  RangeAllocator,
  SZ_1M,
  VCM_EXECUTE,
  VCM_READ,
  VCM_WB_WA,
  VCM_WRITE,
  checkUint,
  createTableHold,
  hex,
} from '@vcm/core';
import type { Logger, MappingAlias, PhysicalMemory, TableHold } from '@vcm/core';
import { PROT_GLOBAL, PROT_PRIV, TLB_GLOBAL, Tlb, armV7Short } from '@vcm/smmu';
import type { PageTable, TableMemory, TlbOptions } from '@vcm/smmu';
import { CPU_TLB_BANK, CPU_TLB_DEFAULT_ENTRIES, Cpu } from './cpu.js';
import type { CpuContext, CpuUserContext } from './cpu.js';
import { CpuPageTable } from './cpu-address-space.js';
import { CpuDriver, SCORPION_MIDR } from './cpu-driver.js';
import { computeLayout } from './layout.js';
import type { KernelRamRange, VmmLayout } from './layout.js';
import { VmmPrebuiltProvider } from './prebuilt.js';
import { Process } from './process.js';
import type { ProcessHost, ProcessSnapshot } from './process.js';

/** Protection of the linear map: kernel-only, global, RWX, cacheable write-back write-allocate. */
export const LINEAR_MAP_PROT = PROT_GLOBAL | PROT_PRIV | VCM_READ | VCM_WRITE | VCM_EXECUTE | VCM_WB_WA;

/** ARMv7 short-descriptor ASIDs are 8 bits; 0 is left to the kernel. */
const MAX_ASID = 255;

/**
 * What a `Vmm` runs over: the RAM, the memory its page tables come from, the
 * kernel's RAM for the linear map, and the CPU's TLB and identity.
 */
export interface VmmOptions {
  readonly memory: PhysicalMemory;
  /** Where page tables come from (`PhysicalAllocator.allocateTable/freeTable`). */
  readonly allocator: TableMemory;
  /** The RAM the kernel manages (lowmem): linearly mapped at PAGE_OFFSET. Carve-outs for the VCM pools must not be in it. */
  readonly kernelRam: readonly KernelRamRange[];
  /** The CPU TLB: `@vcm/smmu`'s `Tlb` (default 128 entries, LRU; `policy` as for an SMMU). */
  readonly tlb?: TlbOptions;
  /** The CPU's MIDR, returned by `vcm_hw_ver` (default `SCORPION_MIDR`). */
  readonly midr?: number;
  /** Warnings (a failed teardown at process exit). */
  readonly logger?: Logger;
}

/**
 * The VMM as plain JSON (docs/rules.md#observability): layout, the kernel's table and vmalloc area, every process, the CPU and the active prebuilt VCMs.
 */
export interface VmmSnapshot {
  readonly layout: VmmLayout;
  readonly kernel: {
    readonly pgtblPa: number;
    readonly tableBytes: number;
    readonly vmalloc: { readonly freeBytes: number; readonly usedBytes: number };
    readonly mappings: unknown;
  };
  readonly current: number | null;
  readonly processes: readonly ProcessSnapshot[];
  readonly cpu: unknown;
  readonly activeVcms: unknown;
}

/**
 * The simulated CPU virtual memory manager — the "existing VMM" that the
 * VCMM's light overlay brings into the mapping graph. It owns the kernel's
 * page table (the linear map of kernel RAM at `PAGE_OFFSET` and the vmalloc
 * area), the processes and their tables, the CPU device, and the provider of
 * prebuilt VCMs: `new Vcmm({ prebuilt: vmm.prebuilt })` makes
 * `VCM_PREBUILT_KERNEL` and `VCM_PREBUILT_USER` the kernel's and a process's
 * address spaces (docs/hardware.md#the-cpu).
 */
export class Vmm {
  readonly memory: PhysicalMemory;
  readonly layout: VmmLayout;
  /** The CPU device (`cpu0`). */
  readonly cpu: Cpu;
  /** The CPU's mapping driver (also `vmm.cpu.driver`). */
  readonly driver: CpuDriver;
  /** The provider `new Vcmm({ prebuilt })` takes. */
  readonly prebuilt: VmmPrebuiltProvider;
  /** The kernel's page table and what core mapped into the vmalloc area. */
  readonly kernelPageTable: CpuPageTable;
  private readonly tables: TableHold;
  private readonly vmalloc: RangeAllocator;
  private readonly logger: Logger | undefined;
  private readonly procs = new Map<number, Process>();
  private readonly asidUsed = new Uint8Array(MAX_ASID + 1);
  private nextPid = 1;
  private current_: Process | undefined;
  /** What the CPU asks on every user-space translation: kept, not rebuilt per access. */
  private currentUser_: CpuUserContext | undefined;

  constructor(options: VmmOptions) {
    if (options === null || typeof options !== 'object') {
      throw new VcmError('EINVAL', 'new Vmm: options must be { memory, allocator, kernelRam }', {});
    }
    const { memory, allocator } = options;
    if (memory === undefined || allocator === undefined) {
      throw new VcmError('EINVAL', `new Vmm: options.${memory === undefined ? 'memory' : 'allocator'} is required`, {
        param: memory === undefined ? 'memory' : 'allocator',
      });
    }
    this.memory = memory;
    // Every CPU table's memory goes through one hold, so a migration can keep what its unmaps empty (AddressSpace.holdTables).
    this.tables = createTableHold(allocator, memory);
    this.logger = options.logger;
    this.layout = computeLayout(memory, options.kernelRam);
    const midr = options.midr === undefined ? SCORPION_MIDR : checkUint('new Vmm', 'midr', options.midr, 0xffff_ffff);

    // The TLB first: bad `tlb` options are refused before any table memory is taken (a failed call changes nothing).
    const tlb = new Tlb({ ...options.tlb, entries: options.tlb?.entries ?? CPU_TLB_DEFAULT_ENTRIES }, 'new Vmm');

    const kernelTable = armV7Short.create(memory, this.tables);
    try {
      // 1 MiB sections, as ARM Linux's create_mapping writes lowmem.
      for (const r of this.layout.linearMap) {
        for (let off = 0; off < r.size; off += SZ_1M) kernelTable.map(r.va + off, r.pa + off, SZ_1M, LINEAR_MAP_PROT);
      }
    } catch (e) {
      kernelTable.destroy();
      throw e;
    }
    this.driver = new CpuDriver(midr);
    this.cpu = new Cpu('cpu0', this.cpuContext(kernelTable), this.driver, tlb);
    this.driver._attach(this.cpu);
    this.kernelPageTable = new CpuPageTable('kernel', kernelTable, this.cpu.tlb, TLB_GLOBAL, this.tables);
    this.vmalloc = new RangeAllocator(this.layout.vmallocStart, this.layout.vmallocEnd - this.layout.vmallocStart);
    this.asidUsed[0] = 1;
    this.prebuilt = new VmmPrebuiltProvider({
      layout: this.layout,
      driver: this.driver,
      kernelTable: this.kernelPageTable,
      vmalloc: this.vmalloc,
      currentProcess: () => this.current_,
    });
  }

  /** Physical address of the kernel's first-level table (the kernel VCM's `pgtblPa`). */
  get kernelPgtblPa(): number {
    return this.kernelPageTable.pgtblPa as number;
  }

  /** Live processes in pid order. */
  get processes(): readonly Process[] {
    return [...this.procs.values()];
  }

  /** The process whose user space the CPU translates through; `undefined` in a kernel thread. */
  get current(): Process | undefined {
    return this.current_;
  }

  /** A new process with an empty user address space and its own ASID. */
  createProcess(name: string): Process {
    const where = 'vmm.createProcess';
    if (typeof name !== 'string' || name.length === 0) {
      throw new VcmError('EINVAL', `${where}: name must be a non-empty string, got ${typeof name === 'string' ? '""' : typeof name}`, {
        param: 'name',
      });
    }
    const asid = this.asidUsed.indexOf(0);
    if (asid < 0) {
      throw new VcmError('ENOMEM', `${where}: no free ASID: all ${MAX_ASID} are held by live processes`, { processes: this.procs.size });
    }
    const pid = this.nextPid;
    const table = armV7Short.create(this.memory, this.tables);
    const pageTable = new CpuPageTable(`process "${name}" (pid ${pid})`, table, this.cpu.tlb, asid, this.tables);
    const mmap = new RangeAllocator(this.layout.userStart, this.layout.userEnd - this.layout.userStart);
    const host: ProcessHost = { logger: this.logger, reap: (p) => this.reap(p) };
    const process = new Process(host, pid, name, asid, pageTable, mmap);
    // A recycled ASID must find no entries of its previous owner (exit flushed them; this is cheap insurance).
    this.cpu.tlb.invalidateContext(CPU_TLB_BANK, asid);
    this.asidUsed[asid] = 1;
    this.nextPid++;
    this.procs.set(pid, process);
    return process;
  }

  /**
   * Make `process` the CPU's current address space (a context switch: TTBR0
   * and CONTEXTIDR). No TLB flush: entries are ASID-tagged. `undefined`
   * switches to a kernel thread (no user space).
   */
  switchTo(process: Process | undefined): void {
    if (process !== undefined && (!(process instanceof Process) || this.procs.get(process.pid) !== process)) {
      const label = process instanceof Process ? process.label : typeof process;
      throw new VcmError('EINVAL', `vmm.switchTo: ${label} is not a live process of this VMM`, { param: 'process' });
    }
    this.current_ = process;
    const table = process?.pageTable.table;
    this.currentUser_ = process === undefined || table === undefined ? undefined : { table, asid: process.asid, pid: process.pid, name: process.name };
    this.cpu._switchMm(this.currentUser_);
  }

  /** Bytes of the vmalloc area in use and free (kernel VCM reservations and bounds, each with its guard page). */
  get vmallocUse(): { readonly usedBytes: number; readonly freeBytes: number } {
    return { usedBytes: this.vmalloc.usedBytes, freeBytes: this.vmalloc.freeBytes };
  }

  /** Linux's `__pa()`: the physical address of a linear-map address. */
  virtToPhys(va: number): number {
    checkUint('vmm.virtToPhys', 'va', va, 0xffff_ffff);
    for (const r of this.layout.linearMap) if (va >= r.va && va < r.va + r.size) return r.pa + (va - r.va);
    throw new VcmError('EINVAL', `vmm.virtToPhys: ${hex(va)} is not in the kernel linear map`, { va });
  }

  /** Linux's `__va()`: the linear-map address of kernel-managed RAM. */
  physToVirt(pa: number): number {
    checkUint('vmm.physToVirt', 'pa', pa);
    for (const r of this.layout.linearMap) if (pa >= r.pa && pa < r.pa + r.size) return r.va + (pa - r.pa);
    throw new VcmError('EINVAL', `vmm.physToVirt: ${hex(pa)} is not kernel-managed RAM (no linear-map address)`, { pa });
  }

  /** Linear-map aliases of a physical range (docs/rules.md#aliasing); same as `vmm.prebuilt.findAliases`. */
  findAliases(pa: number, len: number): MappingAlias[] {
    checkUint('vmm.findAliases', 'pa', pa, 2 ** 40 - 1);
    checkUint('vmm.findAliases', 'len', len, 2 ** 40);
    return this.prebuilt.findAliases(pa, len);
  }

  /** Plain-data snapshot: layout, kernel mappings, processes, CPU and TLB counters (docs/rules.md#observability). */
  toJSON(): VmmSnapshot {
    const kt = this.kernelPageTable;
    return {
      layout: this.layout,
      kernel: {
        pgtblPa: this.kernelPgtblPa,
        tableBytes: kt.table?.tableBytes ?? 0,
        vmalloc: this.vmallocUse,
        mappings: kt.mappings(),
      },
      current: this.current_?.pid ?? null,
      processes: this.processes.map((p) => p.toJSON()),
      cpu: this.cpu.toJSON(),
      activeVcms: this.driver.activeVcms(),
    };
  }

  private cpuContext(kernelTable: PageTable): CpuContext {
    return {
      memory: this.memory,
      pageOffset: this.layout.pageOffset,
      kernelTable,
      currentUser: (): CpuUserContext | undefined => this.currentUser_,
    };
  }

  private reap(process: Process): void {
    this.procs.delete(process.pid);
    this.asidUsed[process.asid] = 0;
    if (this.current_ === process) this.switchTo(undefined);
  }
}
