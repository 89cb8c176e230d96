/**
 * The CPU's translation registers (ARM ARM DDI 0406C, B4.1 "VMSA System
 * control registers"): SCTLR, TTBCR, TTBR0, TTBR1, DACR and CONTEXTIDR, as
 * raw 32-bit words and decoded. The VMM writes them (boot, context switch);
 * the CPU translates only from them, through the page-table format's walk
 * (`format.decodeConfig` then `format.walk`), the way QEMU decodes its
 * `SMMUTransCfg` from the registers and walks from that.
 *
 * The TTBR split. ARM Linux runs the short-descriptor format with
 * TTBCR.N = 0: TTBR0 holds the current process's level-1 table (its pgd),
 * which carries copies of the kernel's level-1 entries, because N cannot
 * put the split at 3 GiB (N = 2 puts it at 1 GiB). This CPU keeps one kernel
 * table instead and routes VA ≥ PAGE_OFFSET to the table TTBR1 holds
 * (swapper_pg_dir), as an LPAE CPU with TTBCR.T1SZ = 2 does in hardware;
 * every translation is the same as Linux's, and each half is walked from
 * its register by the format. docs/hardware.md#the-cpu
 */
import { VcmError, hex } from '@vcm/core';
import type { PageTableFormat, WalkConfig } from '@vcm/smmu';

/** SCTLR.M: the MMU is on. */
const SCTLR_M = 1 << 0;
/** SCTLR.C and SCTLR.I: data and instruction caches on (Linux sets both; the model has no caches to switch). */
const SCTLR_C = 1 << 2;
const SCTLR_I = 1 << 12;
/** SCTLR.TRE: TEX remap (Linux's PRRR/NMRR memory types). */
const SCTLR_TRE = 1 << 28;
/** SCTLR.AFE: AP[0] is an access flag. Linux's ARMv7 short-descriptor setup leaves it clear (proc-v7.S). */
const SCTLR_AFE = 1 << 29;
/** TTBCR.PD0: a walk through TTBR0 faults. The VMM sets it while no process is current (a kernel thread). */
const TTBCR_PD0 = 1 << 4;
/** CONTEXTIDR.ASID [7:0] and PROCID [31:8] (Linux's CONFIG_PID_IN_CONTEXTIDR puts the pid there). */
const CONTEXTIDR_ASID = 0xff;
const CONTEXTIDR_PROCID_SHIFT = 8;
/** DACR: two bits per domain, 16 domains. */
const DOMAINS = 16;
/** Every domain "client" (0b01): accesses are checked against the descriptors' permissions. */
export const DACR_ALL_CLIENT = 0x5555_5555;

/** What a DACR domain field says. */
export type DomainAccess = 'no-access' | 'client' | 'reserved' | 'manager';
const DOMAIN_ACCESS: readonly DomainAccess[] = ['no-access', 'client', 'reserved', 'manager'];

/** The raw words. */
export interface CpuRegisterWords {
  readonly sctlr: number;
  readonly ttbcr: number;
  readonly ttbr0: number;
  readonly ttbr1: number;
  readonly dacr: number;
  readonly contextidr: number;
}

/** The same registers, decoded. */
export interface CpuRegisterFields {
  readonly sctlr: { readonly m: boolean; readonly afe: boolean; readonly tre: boolean };
  /** TTBCR as the format decodes it: N (the split), PD0, PD1. */
  readonly ttbcr: { readonly n: number; readonly pd0: boolean; readonly pd1: boolean };
  /** The table bases (0 when the walk through that register is disabled). */
  readonly ttbr0: { readonly base: number };
  readonly ttbr1: { readonly base: number };
  readonly dacr: { readonly domains: readonly DomainAccess[] };
  readonly contextidr: { readonly asid: number; readonly procid: number };
}

/** What the CPU walks for each half of the address space: the decoded registers, built once per register write. */
export interface CpuWalkConfigs {
  /** VA < PAGE_OFFSET: TTBR0, the current process's table. */
  readonly user: WalkConfig;
  /** VA ≥ PAGE_OFFSET: TTBR1, the kernel's table, walked as a whole level-1 table. */
  readonly kernel: WalkConfig;
}

/**
 * The CPU's translation registers (ARM ARM DDI 0406C, B4.1): SCTLR, TTBCR,
 * TTBR0, TTBR1, DACR and CONTEXTIDR as raw words and decoded. The VMM writes
 * them at boot and on a context switch; the CPU translates only from them,
 * through the format's walk: TTBR0 for the current process below
 * `PAGE_OFFSET`, TTBR1 for the kernel above (docs/hardware.md#the-cpu).
 */
export class CpuRegisters {
  #words: CpuRegisterWords;
  #configs: CpuWalkConfigs;
  readonly #format: PageTableFormat;

  /** Boot state: MMU on, TTBR1 = the kernel's table, no process (TTBR0 walks disabled), ASID 0. */
  constructor(format: PageTableFormat, kernelTablePa: number) {
    this.#format = format;
    const words: CpuRegisterWords = {
      sctlr: (SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_TRE) >>> 0,
      ttbcr: TTBCR_PD0,
      ttbr0: 0,
      ttbr1: kernelTablePa >>> 0,
      dacr: DACR_ALL_CLIENT,
      contextidr: 0,
    };
    this.#configs = this.#decode(words);
    this.#words = Object.freeze(words);
  }

  /** The raw register words. */
  get words(): CpuRegisterWords {
    return this.#words;
  }

  /** The walk configurations the CPU translates with. */
  get configs(): CpuWalkConfigs {
    return this.#configs;
  }

  /** The registers decoded into fields. */
  get fields(): CpuRegisterFields {
    const w = this.#words;
    const u = this.#configs.user;
    const domains: DomainAccess[] = [];
    for (let d = 0; d < DOMAINS; d++) domains.push(DOMAIN_ACCESS[(w.dacr >>> (2 * d)) & 3] as DomainAccess);
    return {
      sctlr: { m: (w.sctlr & SCTLR_M) !== 0, afe: u.afe, tre: (w.sctlr & SCTLR_TRE) !== 0 },
      ttbcr: { n: u.t0sz, pd0: u.epd0, pd1: u.epd1 },
      ttbr0: { base: u.ttbr0 },
      ttbr1: { base: this.#configs.kernel.ttbr0 },
      dacr: { domains },
      contextidr: { asid: w.contextidr & CONTEXTIDR_ASID, procid: w.contextidr >>> CONTEXTIDR_PROCID_SHIFT },
    };
  }

  /**
   * A context switch (Linux's `cpu_switch_mm`): TTBR0 = the process's table
   * and CONTEXTIDR = its ASID and pid; `undefined` for a kernel thread (no
   * user space: TTBCR.PD0 set). Decodes before it writes, so a register
   * value the format refuses changes nothing.
   */
  switchMm(where: string, user: { readonly tablePa: number; readonly asid: number; readonly pid: number } | undefined): void {
    const w = this.#words;
    const next: CpuRegisterWords =
      user === undefined
        ? { ...w, ttbcr: (w.ttbcr | TTBCR_PD0) >>> 0, ttbr0: 0, contextidr: 0 }
        : {
            ...w,
            ttbcr: (w.ttbcr & ~TTBCR_PD0) >>> 0,
            ttbr0: user.tablePa >>> 0,
            contextidr: ((user.pid << CONTEXTIDR_PROCID_SHIFT) | (user.asid & CONTEXTIDR_ASID)) >>> 0,
          };
    if (user !== undefined && (user.asid & CONTEXTIDR_ASID) !== user.asid) {
      throw new VcmError('EINVAL', `${where}: ASID ${user.asid} does not fit CONTEXTIDR.ASID (8 bits)`, { asid: user.asid });
    }
    this.#configs = this.#decode(next);
    this.#words = Object.freeze(next);
  }

  toJSON(): { words: Record<keyof CpuRegisterWords, string>; fields: CpuRegisterFields } {
    const w = this.#words;
    return {
      words: { sctlr: hex(w.sctlr), ttbcr: hex(w.ttbcr), ttbr0: hex(w.ttbr0), ttbr1: hex(w.ttbr1), dacr: hex(w.dacr), contextidr: hex(w.contextidr) },
      fields: this.fields,
    };
  }

  #decode(w: CpuRegisterWords): CpuWalkConfigs {
    const afe = w.sctlr & SCTLR_AFE;
    const user = this.#format.decodeConfig({ sctlr: afe, ttbcr: w.ttbcr, ttbr0: w.ttbr0, ttbr1: 0 });
    // The kernel half: TTBR1's table walked whole (see the module comment), PD1 guarding it as PD0 guards TTBR0.
    const pd1 = (w.ttbcr >>> 1) & TTBCR_PD0;
    const kernel = this.#format.decodeConfig({ sctlr: afe, ttbcr: (w.ttbcr & ~(TTBCR_PD0 | (TTBCR_PD0 << 1))) | pd1, ttbr0: w.ttbr1, ttbr1: 0 });
    return Object.freeze({ user, kernel });
  }
}
