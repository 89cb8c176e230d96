/**
 * The register file of one context bank, as raw 32-bit words and as
 * decoded fields (docs/translation.md#registers). The layout and the field
 * positions are the ARM SMMU architecture's (SMMUv1/v2, ARM IHI 0062,
 * "SMMU_CBn_*"; Linux `drivers/iommu/arm/arm-smmu/arm-smmu.h`), whose
 * TTBCR/TTBR/MAIR/PRRR/NMRR fields are the ARMv7 CPU's (ARM ARM DDI 0406C,
 * B4.1.153 TTBCR, B4.1.154–155 TTBR0/1, B4.1.104 MAIR, B4.1.127 PRRR,
 * B4.1.112 NMRR). The MSM8x60 IOMMU (Linux
 * `arch/arm/mach-msm/include/mach/iommu_hw-8xxx.h`) has the same SCTLR.M,
 * FSR and CONTEXTIDR bits for the short format; the SMMUv2 layout is kept
 * because it also holds the long-descriptor (LPAE) configuration.
 *
 * Raw words are what software writes; the walk never reads them directly:
 * the bank decodes them into a `WalkConfig` when they are written (the way
 * QEMU keeps its `SMMUTransCfg` apart from the registers). TTBR0/TTBR1 are
 * 64-bit registers in the long-descriptor format and are kept as low and
 * high words, so no bigint is needed.
 */
import { VcmError, checkUint } from '@vcm/core';

/** Register slots, in the order of a bank's words. Offsets in the bank's 4 KiB page: see `REGISTER_OFFSETS`. */
export const REG_SCTLR = 0;
/** Written by the fault path when a stalled transaction resumes: bit 0 (TnR) 1 = terminate, 0 = retry. */
export const REG_RESUME = 1;
/** TTBR0 (bits [31:0] in the long format): the base of the table walked for the low addresses, with its walk attributes. */
export const REG_TTBR0 = 2;
/** TTBR0 bits [63:32] (long descriptor: BADDR[39:32] in [7:0], ASID in [23:16]). */
export const REG_TTBR0_HIGH = 3;
/** TTBR1 (bits [31:0] in the long format): the base of the table walked for addresses above the split. */
export const REG_TTBR1 = 4;
/** TTBR1 bits [63:32] (long descriptor: BADDR[39:32] in [7:0]). */
export const REG_TTBR1_HIGH = 5;
/** TTBCR: the table format (EAE), the TTBR0/TTBR1 split and the per-base walk enables and attributes (docs/hardware.md#the-ttbr-split). */
export const REG_TTBCR = 6;
/** CONTEXTIDR: the context id (ASID) that tags this bank's TLB entries, so a switch of address space needs no TLB flush. */
export const REG_CONTEXTIDR = 7;
/** MAIR0 with TTBCR.EAE = 1; the same register is PRRR with EAE = 0 (ARM ARM B4.1.104: "MAIR0 and PRRR are the same register"). */
export const REG_MAIR0 = 8;
/** MAIR1 with EAE = 1; NMRR with EAE = 0. */
export const REG_MAIR1 = 9;
/** FSR: fault status, one bit per cause plus SS (stalled) and MULTI; written by the fault path, cleared when a retry is resumed (docs/translation.md#faults). */
export const REG_FSR = 10;
/** FAR: the input (device) address of the faulting access. */
export const REG_FAR = 11;
/** FSYNR0: fault syndrome, the table level of the fault and whether the access was a write or an instruction fetch. */
export const REG_FSYNR0 = 12;
/** The number of register slots of a bank (`REG_SCTLR` … `REG_FSYNR0`). */
export const REGISTER_COUNT = 13;

/** Register names, by slot (PRRR/NMRR are MAIR0/MAIR1 read with EAE = 0). */
export const REGISTER_NAMES: readonly string[] = Object.freeze([
  'SCTLR',
  'RESUME',
  'TTBR0',
  'TTBR0_HIGH',
  'TTBR1',
  'TTBR1_HIGH',
  'TTBCR',
  'CONTEXTIDR',
  'MAIR0',
  'MAIR1',
  'FSR',
  'FAR',
  'FSYNR0',
]);

/** Byte offsets in the bank's page, by slot (IHI 0062 SMMU_CBn_*: TTBCR is SMMU_CBn_TCR, MAIR0/PRRR share 0x38). */
export const REGISTER_OFFSETS: readonly number[] = Object.freeze([0x000, 0x008, 0x020, 0x024, 0x028, 0x02c, 0x030, 0x034, 0x038, 0x03c, 0x058, 0x060, 0x068]);

/** The distance between two context banks in an SMMU's register space. */
export const CONTEXT_BANK_STRIDE = 0x1000;

// ---- SCTLR ------------------------------------------------------------------

/** SCTLR.M: translation enabled for the bank (set by activation). */
export const SCTLR_M = 1 << 0;
/** SCTLR.TRE: TEX remap; the short format's TEX/C/B then index PRRR/NMRR. */
export const SCTLR_TRE = 1 << 1;
/** SCTLR.AFE: in the short format AP[0] is an access flag (always so in the long format). */
export const SCTLR_AFE = 1 << 2;
/** SCTLR.CFRE: a terminated context fault returns an abort to the device. */
export const SCTLR_CFRE = 1 << 5;
/** SCTLR.CFIE: context fault interrupt enable: every fault calls the hooked handler. */
export const SCTLR_CFIE = 1 << 6;
/** SCTLR.CFCFG: stall on a context fault until RESUME says retry or terminate (the seed's retry/terminate model). */
export const SCTLR_CFCFG = 1 << 7;

// ---- TTBCR ------------------------------------------------------------------

/** TTBCR.EAE: the long-descriptor (LPAE) translation table format. */
export const TTBCR_EAE = 2 ** 31;
/** Short: TTBCR.N [2:0]; long: TTBCR.T0SZ [2:0]. */
export const TTBCR_T0SZ_MASK = 0x7;
/** Short format: PD0 (bit 4), PD1 (bit 5): no walk through TTBR0 / TTBR1. */
export const TTBCR_PD0 = 1 << 4;
/** Short format TTBCR.PD1 (bit 5): a TLB miss above the split faults instead of walking TTBR1. */
export const TTBCR_PD1 = 1 << 5;
/** Long format: EPD0 (bit 7), EPD1 (bit 23), T1SZ [18:16]. */
export const TTBCR_EPD0 = 1 << 7;
/** Long format TTBCR.EPD1 (bit 23): a TLB miss above the split faults instead of walking TTBR1. */
export const TTBCR_EPD1 = 1 << 23;
/** Long format TTBCR.T1SZ, bits [18:16]: the size of the TTBR1 region. */
export const TTBCR_T1SZ_SHIFT = 16;
/** Long format walk attributes per TTBR: IRGNn, ORGNn (0b01: write-back write-allocate), SHn (0b11: inner shareable). */
export const TTBCR_IRGN0_SHIFT = 8;
/** Long format TTBCR.ORGN0, bits [11:10]: outer cacheability of TTBR0 walks. */
export const TTBCR_ORGN0_SHIFT = 10;
/** Long format TTBCR.SH0, bits [13:12]: shareability of TTBR0 walks. */
export const TTBCR_SH0_SHIFT = 12;
/** Long format TTBCR.IRGN1, bits [25:24]: inner cacheability of TTBR1 walks. */
export const TTBCR_IRGN1_SHIFT = 24;
/** Long format TTBCR.ORGN1, bits [27:26]: outer cacheability of TTBR1 walks. */
export const TTBCR_ORGN1_SHIFT = 26;
/** Long format TTBCR.SH1, bits [29:28]: shareability of TTBR1 walks. */
export const TTBCR_SH1_SHIFT = 28;

// ---- TTBR (short format walk attributes, below the base address) -----------

/** Short-format TTBRn[6] = IRGN[0], [0] = IRGN[1] (Multiprocessing Extensions), [1] S, [4:3] RGN, [5] NOS. */
export const TTBR_IRGN0 = 1 << 6;
/** Short format TTBRn.S (bit 1): table walks are to shareable memory. */
export const TTBR_S = 1 << 1;
/** Short format TTBRn.RGN, bits [4:3]: outer cacheability of table walks. */
export const TTBR_RGN_SHIFT = 3;
/** Short format TTBRn.NOS (bit 5): shareable walks are inner, not outer, shareable. */
export const TTBR_NOS = 1 << 5;
/** Long format: the ASID in TTBR0[55:48], i.e. bits [23:16] of the high word. */
export const TTBR_HIGH_ASID_SHIFT = 16;

// ---- FSR, FSYNR0, RESUME ----------------------------------------------------

/** FSR cause bits (IHI 0062 SMMU_CBn_FSR; TF, AFF and PF sit where the MSM8x60 IOMMU has them). */
export const FSR_TF = 1 << 1;
/** Access flag fault (FSR.AFF): the walk found a leaf whose access flag is clear. */
export const FSR_AFF = 1 << 2;
/** Permission fault (SMMU_CBn_FSR.PF; the MSM IOMMU calls it APF). */
export const FSR_APF = 1 << 3;
/** Address size fault: a table or output address beyond the configured size. */
export const FSR_ASF = 1 << 7;
/** The transaction is stalled waiting for RESUME. */
export const FSR_SS = 1 << 30;
/** A second fault arrived while one was still recorded. */
export const FSR_MULTI = 2 ** 31;
/** Every fault-cause bit (what "a fault is outstanding" means). */
export const FSR_FAULT_MASK = FSR_TF | FSR_AFF | FSR_APF | FSR_ASF;

/** FSYNR0.PLVL [1:0]: the table level of the fault. */
export const FSYNR0_PLVL_MASK = 0x3;
/** FSYNR0.WNR: the faulting access was a write. */
export const FSYNR0_WNR = 1 << 4;
/** FSYNR0.IND: the faulting access was an instruction fetch. */
export const FSYNR0_IND = 1 << 6;

/** RESUME.TnR: 1 terminates the stalled transaction, 0 retries it. */
export const RESUME_TERMINATE = 1;

/** The format family a bank's registers are laid out for (TTBCR.EAE). */
export type RegisterLayout = 'short' | 'long';

/** Plain-data view of a bank's raw registers. */
export interface BankRegisterValues {
  readonly sctlr: number;
  readonly resume: number;
  readonly ttbr0: number;
  readonly ttbr0High: number;
  readonly ttbr1: number;
  readonly ttbr1High: number;
  readonly ttbcr: number;
  readonly contextidr: number;
  readonly mair0: number;
  readonly mair1: number;
  readonly fsr: number;
  readonly far: number;
  readonly fsynr0: number;
}

/** The registers decoded into their fields (what each bit means; addresses need the format's `decodeConfig`). */
export interface BankRegisterFields {
  readonly sctlr: { readonly m: boolean; readonly tre: boolean; readonly afe: boolean; readonly cfre: boolean; readonly cfie: boolean; readonly cfcfg: boolean };
  readonly ttbcr: {
    readonly eae: boolean;
    /** Short: N; long: T0SZ. */
    readonly t0sz: number;
    /** Long only (short: 0). */
    readonly t1sz: number;
    /** Short: PD0; long: EPD0. */
    readonly epd0: boolean;
    readonly epd1: boolean;
    /** Long only: walk cacheability and shareability of the TTBR0 / TTBR1 walks (short: in TTBRn's low bits). */
    readonly irgn0: number;
    readonly orgn0: number;
    readonly sh0: number;
    readonly irgn1: number;
    readonly orgn1: number;
    readonly sh1: number;
  };
  /** The address-space id tagging TLB entries: long, TTBR0[55:48]; short, CONTEXTIDR[7:0]. */
  readonly asid: number;
  /** `MAIR0`/`MAIR1` with EAE = 1, `PRRR`/`NMRR` with EAE = 0. */
  readonly memoryAttributes: { readonly mair0: number; readonly mair1: number } | { readonly prrr: number; readonly nmrr: number };
  readonly fsr: { readonly tf: boolean; readonly aff: boolean; readonly pf: boolean; readonly asf: boolean; readonly ss: boolean; readonly multi: boolean };
  readonly far: number;
  readonly fsynr0: { readonly level: number; readonly write: boolean; readonly instruction: boolean };
  /** The last RESUME written. */
  readonly resume: 'retry' | 'terminate';
}

/** The ASID of a register image: where the layout keeps it. */
export function asidOf(words: { readonly ttbcr: number; readonly ttbr0High: number; readonly contextidr: number }): number {
  return words.ttbcr & TTBCR_EAE ? (words.ttbr0High >>> TTBR_HIGH_ASID_SHIFT) & 0xff : words.contextidr & 0xff;
}

/**
 * One bank's registers: 32-bit words with named accessors. Words are
 * changed only through `write`/`load`/`clear`, so that whoever owns the
 * registers (a live `ContextBank`) can decode them as they change; a write
 * its owner refuses leaves the word as it was.
 */
export class BankRegisters {
  readonly #words = new Uint32Array(REGISTER_COUNT);
  readonly #onChange: ((regs: BankRegisters) => void) | undefined;

  /** `onChange` is called after every change (and may throw to refuse it: the change is undone). */
  constructor(onChange?: (regs: BankRegisters) => void) {
    if (onChange !== undefined && typeof onChange !== 'function') {
      throw new VcmError('EINVAL', `new BankRegisters: onChange must be a function or undefined, got ${onChange === null ? 'null' : typeof onChange}`, {
        param: 'onChange',
        expected: 'function',
      });
    }
    this.#onChange = onChange;
  }

  /** The raw word in slot `reg` (`REG_*`). */
  read(reg: number): number {
    checkUint('registers.read', 'reg', reg, REGISTER_COUNT - 1);
    return this.#words[reg]!;
  }

  /** Write the raw word of slot `reg` (`REG_*`); `value` a 32-bit unsigned integer. */
  write(reg: number, value: number): void {
    const where = `registers.write ${REGISTER_NAMES[reg] ?? 'REG'}`;
    checkUint(where, 'reg', reg, REGISTER_COUNT - 1);
    checkUint(where, 'value', value, 0xffffffff);
    const old = this.#words[reg]!;
    this.#words[reg] = value;
    this.#changed(() => {
      this.#words[reg] = old;
    });
  }

  /** Copy another register image in (a context switch). */
  load(from: BankRegisters): void {
    if (!(from instanceof BankRegisters)) {
      throw new VcmError('EINVAL', `registers.load: from must be a BankRegisters image, got ${from === null ? 'null' : typeof from}`, {
        param: 'from',
        expected: 'BankRegisters',
      });
    }
    const old = this.#words.slice();
    this.#words.set(from.#words);
    this.#changed(() => this.#words.set(old));
  }

  clear(): void {
    const old = this.#words.slice();
    this.#words.fill(0);
    this.#changed(() => this.#words.set(old));
  }

  #changed(undo: () => void): void {
    if (this.#onChange === undefined) return;
    try {
      this.#onChange(this);
    } catch (e) {
      undo();
      throw e;
    }
  }

  /** @internal The fault path's own writes (FSR, FAR, FSYNR0, RESUME): no decoding is involved. */
  setStatus(reg: typeof REG_FSR | typeof REG_FAR | typeof REG_FSYNR0 | typeof REG_RESUME, value: number): void {
    if ((reg !== REG_FSR && reg !== REG_FAR && reg !== REG_FSYNR0 && reg !== REG_RESUME) || !(value >= 0 && value <= 0xffffffff && Number.isInteger(value))) {
      throw new VcmError('EINVAL', `registers.setStatus: reg must be REG_FSR, REG_FAR, REG_FSYNR0 or REG_RESUME and value a 32-bit word, got ${String(reg)}, ${String(value)}`, {
        param: 'reg',
        expected: 'a status register and a 32-bit word',
      });
    }
    this.#words[reg] = value;
  }

  get sctlr(): number {
    return this.#words[REG_SCTLR]!;
  }
  get resume(): number {
    return this.#words[REG_RESUME]!;
  }
  get ttbr0(): number {
    return this.#words[REG_TTBR0]!;
  }
  get ttbr0High(): number {
    return this.#words[REG_TTBR0_HIGH]!;
  }
  get ttbr1(): number {
    return this.#words[REG_TTBR1]!;
  }
  get ttbr1High(): number {
    return this.#words[REG_TTBR1_HIGH]!;
  }
  get ttbcr(): number {
    return this.#words[REG_TTBCR]!;
  }
  get contextidr(): number {
    return this.#words[REG_CONTEXTIDR]!;
  }
  get mair0(): number {
    return this.#words[REG_MAIR0]!;
  }
  get mair1(): number {
    return this.#words[REG_MAIR1]!;
  }
  get fsr(): number {
    return this.#words[REG_FSR]!;
  }
  get far(): number {
    return this.#words[REG_FAR]!;
  }
  get fsynr0(): number {
    return this.#words[REG_FSYNR0]!;
  }

  /** The fields of every register, decoded. */
  fields(): BankRegisterFields {
    const sctlr = this.sctlr;
    const ttbcr = this.ttbcr;
    const eae = (ttbcr & TTBCR_EAE) !== 0;
    const fsr = this.fsr;
    const fsynr0 = this.fsynr0;
    const two = (shift: number): number => (eae ? (ttbcr >>> shift) & 3 : 0);
    return {
      sctlr: {
        m: (sctlr & SCTLR_M) !== 0,
        tre: (sctlr & SCTLR_TRE) !== 0,
        afe: (sctlr & SCTLR_AFE) !== 0,
        cfre: (sctlr & SCTLR_CFRE) !== 0,
        cfie: (sctlr & SCTLR_CFIE) !== 0,
        cfcfg: (sctlr & SCTLR_CFCFG) !== 0,
      },
      ttbcr: {
        eae,
        t0sz: ttbcr & TTBCR_T0SZ_MASK,
        t1sz: eae ? (ttbcr >>> TTBCR_T1SZ_SHIFT) & 0x7 : 0,
        epd0: (ttbcr & (eae ? TTBCR_EPD0 : TTBCR_PD0)) !== 0,
        epd1: (ttbcr & (eae ? TTBCR_EPD1 : TTBCR_PD1)) !== 0,
        irgn0: two(TTBCR_IRGN0_SHIFT),
        orgn0: two(TTBCR_ORGN0_SHIFT),
        sh0: two(TTBCR_SH0_SHIFT),
        irgn1: two(TTBCR_IRGN1_SHIFT),
        orgn1: two(TTBCR_ORGN1_SHIFT),
        sh1: two(TTBCR_SH1_SHIFT),
      },
      asid: asidOf(this),
      memoryAttributes: eae ? { mair0: this.mair0, mair1: this.mair1 } : { prrr: this.mair0, nmrr: this.mair1 },
      fsr: {
        tf: (fsr & FSR_TF) !== 0,
        aff: (fsr & FSR_AFF) !== 0,
        pf: (fsr & FSR_APF) !== 0,
        asf: (fsr & FSR_ASF) !== 0,
        ss: (fsr & FSR_SS) !== 0,
        multi: fsr >= FSR_MULTI,
      },
      far: this.far,
      fsynr0: { level: fsynr0 & FSYNR0_PLVL_MASK, write: (fsynr0 & FSYNR0_WNR) !== 0, instruction: (fsynr0 & FSYNR0_IND) !== 0 },
      resume: this.resume & RESUME_TERMINATE ? 'terminate' : 'retry',
    };
  }

  toJSON(): BankRegisterValues {
    return {
      sctlr: this.sctlr,
      resume: this.resume,
      ttbr0: this.ttbr0,
      ttbr0High: this.ttbr0High,
      ttbr1: this.ttbr1,
      ttbr1High: this.ttbr1High,
      ttbcr: this.ttbcr,
      contextidr: this.contextidr,
      mair0: this.mair0,
      mair1: this.mair1,
      fsr: this.fsr,
      far: this.far,
      fsynr0: this.fsynr0,
    };
  }
}

/** What a context programs into its bank's translation registers. */
export interface TranslationSetup {
  readonly layout: RegisterLayout;
  /** Root PA of the TTBR0 / TTBR1 table; `undefined`: that walk is disabled (PD/EPD set). */
  readonly root0: number | undefined;
  readonly root1: number | undefined;
  /** The split: short TTBCR.N, long TTBCR.T0SZ (T1SZ stays 0, so TTBR1 covers the rest of the 32-bit space). */
  readonly split: number;
  readonly asid: number;
  /** Long format: MAIR0/MAIR1 (the format's attribute indirection). */
  readonly mair?: { readonly mair0: number; readonly mair1: number };
}

/**
 * Write the translation registers of `regs` for `setup`: TTBCR, TTBR0/1
 * (with walk attributes: write-back write-allocate, shareable, as Linux's
 * `msm_iommu.c` programs the short format and io-pgtable-arm's TCR the
 * long one), CONTEXTIDR and MAIR0/1. The image is written word by word;
 * `regs` must be an image nobody decodes (a context's own copy).
 */
export function writeTranslationRegisters(regs: BankRegisters, setup: TranslationSetup): void {
  const { root0, root1, split, asid } = setup;
  let ttbcr: number;
  let t0 = 0;
  let t0High = 0;
  let t1 = 0;
  let t1High = 0;
  if (setup.layout === 'short') {
    const walkAttrs = TTBR_IRGN0 | TTBR_S | (1 << TTBR_RGN_SHIFT) | TTBR_NOS;
    ttbcr = split | (root0 === undefined ? TTBCR_PD0 : 0) | (root1 === undefined ? TTBCR_PD1 : 0);
    if (root0 !== undefined) t0 = (root0 | walkAttrs) >>> 0;
    if (root1 !== undefined) t1 = (root1 | walkAttrs) >>> 0;
  } else {
    const wbwaIs = (shift: number): number => (1 << shift) >>> 0;
    ttbcr =
      (TTBCR_EAE +
        (split |
          (root0 === undefined ? TTBCR_EPD0 : 0) |
          (root1 === undefined ? TTBCR_EPD1 : 0) |
          wbwaIs(TTBCR_IRGN0_SHIFT) |
          wbwaIs(TTBCR_ORGN0_SHIFT) |
          (3 << TTBCR_SH0_SHIFT) |
          wbwaIs(TTBCR_IRGN1_SHIFT) |
          wbwaIs(TTBCR_ORGN1_SHIFT) |
          (3 << TTBCR_SH1_SHIFT))) >>>
      0;
    if (root0 !== undefined) {
      t0 = root0 % 2 ** 32;
      t0High = Math.floor(root0 / 2 ** 32);
    }
    if (root1 !== undefined) {
      t1 = root1 % 2 ** 32;
      t1High = Math.floor(root1 / 2 ** 32);
    }
    // The ASID lives in TTBR0 even when TTBR0's walk is disabled (TTBCR.A1 = 0).
    t0High = (t0High | (asid << TTBR_HIGH_ASID_SHIFT)) >>> 0;
  }
  regs.write(REG_TTBCR, ttbcr >>> 0);
  regs.write(REG_TTBR0, t0);
  regs.write(REG_TTBR0_HIGH, t0High);
  regs.write(REG_TTBR1, t1);
  regs.write(REG_TTBR1_HIGH, t1High);
  regs.write(REG_CONTEXTIDR, asid);
  regs.write(REG_MAIR0, setup.mair?.mair0 ?? 0);
  regs.write(REG_MAIR1, setup.mair?.mair1 ?? 0);
}

/** The FSR cause bit of a fault kind. */
export function fsrBitOf(kind: 'translation' | 'permission' | 'access-flag' | 'address-size'): number {
  return kind === 'translation' ? FSR_TF : kind === 'permission' ? FSR_APF : kind === 'access-flag' ? FSR_AFF : FSR_ASF;
}
