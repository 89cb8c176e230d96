// Types of qemu-oracle.js (plain JavaScript, no build step). See README.md.

/** One range of physical memory to load before translating; all other RAM reads as 0. */
export interface OracleImage {
  readonly pa: number;
  readonly bytes: Uint8Array;
}

/** The access an address translation operation checks: PL1 or PL0 (user), read or write. */
export type OracleOp = 'pr' | 'pw' | 'ur' | 'uw';

/** One register configuration and the VAs to translate under it. */
export interface OracleJob {
  /** `short`: TTBCR.EAE = 0 (ARMv7 short descriptors); `lpae`: EAE = 1 (long descriptors, 4 KiB granule). */
  readonly format: 'short' | 'lpae';
  /** TTBR0: a number, or for `lpae` the 64-bit register as a bigint (ASID in [55:48]). */
  readonly ttbr0: number | bigint;
  readonly ttbr1?: number | bigint;
  /** A raw TTBCR word, used instead of the fields below (EAE must match `format`). */
  readonly ttbcr?: number;
  /** short only: TTBCR.N, PD0, PD1. */
  readonly split?: number;
  readonly pd0?: boolean;
  readonly pd1?: boolean;
  /** lpae only: TTBCR.T0SZ, T1SZ, EPD0, EPD1. */
  readonly t0sz?: number;
  readonly t1sz?: number;
  readonly epd0?: boolean;
  readonly epd1?: boolean;
  /** short only: DACR (default 0x5555_5555, every domain a client). */
  readonly dacr?: number;
  /** short only: SCTLR.AFE, AP[0] is an access flag. */
  readonly afe?: boolean;
  /** SCTLR.TRE. */
  readonly tre?: boolean;
  /** lpae only: MAIR0/MAIR1 (they decide PAR.ATTR). */
  readonly mair0?: number;
  readonly mair1?: number;
  /** Default `pr` (ATS1CPR). */
  readonly op?: OracleOp;
  readonly vas: ArrayLike<number>;
}

export interface OracleRunOptions {
  /** `none` (default): RAM over [0, 4 GiB); `virt`: RAM over [1 GiB, 4 GiB). */
  readonly machine?: 'none' | 'virt';
  /** The QEMU binary (default: findQemu()). */
  readonly qemu?: string;
  readonly timeoutMs?: number;
  readonly keepTemp?: boolean;
  readonly images?: readonly OracleImage[];
}

/** What QEMU's MMU gave for one VA. */
export interface OracleResult {
  readonly va: number;
  /** The physical address, or null on a fault. */
  readonly pa: number | null;
  /** `translation-lN`, `access-flag-lN`, `permission-lN`, `domain-lN`, `address-size-lN`, `external-abort-walk-lN`. */
  readonly fault?: string;
  /** short: the fault status FS[4:0]. */
  readonly fs?: number;
  /** lpae (or an exception): the long-format fault status. */
  readonly fst?: number;
  /** The raw 64-bit PAR, in hex. */
  readonly par?: string;
  /** short: the raw 32-bit PAR of the first pass, in hex. */
  readonly par32?: string;
  /** short: PAR.SS, the leaf was a supersection. */
  readonly supersection?: boolean;
  /** lpae: PAR.ATTR, the MAIR byte the leaf selected. */
  readonly attr?: number;
  /** lpae: PAR.SH, the leaf's shareability. */
  readonly sh?: number;
  /** The walk took a synchronous external abort (reported as an exception, not in PAR). */
  readonly exception?: boolean;
  readonly hsr?: number;
}

export interface OracleBatch {
  /** `results[j]`: job j's results, one per VA, in order. */
  readonly results: OracleResult[][];
  /** Each job's ORACLE-BEGIN line (CPU mode, MIDR, SCTLR). */
  readonly info: string[];
  readonly qemu: string;
  /** Time spent in QEMU processes, and in the whole call. */
  readonly qemuMs: number;
  readonly totalMs: number;
  /** Memory images after merging neighbours. */
  readonly images: number;
  /** QEMU processes started. */
  readonly runs: number;
}

export declare const LAYOUT: Readonly<{ firmwareBase: number; jobBase: number; scratchBase: number; resultBase: number; maxVas: number }>;
export declare const MACHINES: Readonly<Record<'none' | 'virt', { readonly args: readonly string[]; readonly ramBase: number }>>;

export declare function findQemu(): string | null;
export declare function defaultQemu(): string;
export declare function firmwarePath(): string;
export declare function buildFirmware(out?: string): string;
export declare function haveCrossCompiler(): boolean;
export declare function faultName(fst: number): string;
export declare function shortFaultName(fs: number): string;

export declare function qemuTranslate(o: OracleJob & OracleRunOptions): Promise<OracleResult[]>;
export declare function qemuTranslateDetailed(
  o: OracleJob & OracleRunOptions,
): Promise<{ results: OracleResult[]; info: string; qemu: string; qemuMs: number; totalMs: number; images: number; runs: number }>;
export declare function qemuTranslateBatch(o: OracleRunOptions & { readonly jobs: readonly OracleJob[] }): Promise<OracleBatch>;

export declare function selftest(o?: { machine?: 'none' | 'virt'; qemu?: string; log?: (line: string) => void }): Promise<number>;
export declare function bench(o?: {
  count?: number;
  machine?: 'none' | 'virt';
  qemu?: string;
  log?: (line: string) => void;
}): Promise<{ ms: number; qemuMs: number; bad: number }>;
