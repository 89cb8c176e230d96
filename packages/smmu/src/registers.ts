/**
 * The register file of one context bank (docs/hardware.md#the-smmu:
 * per context TTBR0, TTBR1, TTBCR, fault status and fault address; banks sit
 * 4 KiB apart in the SMMU's register space). The values are kept in a
 * `Float64Array` so that a 40-bit LPAE table address fits in TTBR without a
 * bigint (docs/rules.md#numbers-and-addresses).
 */

/** Register slots of a bank, in the order of `BankRegisters.words`. */
export const REG_TTBR0 = 0;
export const REG_TTBR1 = 1;
export const REG_TTBCR = 2;
export const REG_SCTLR = 3;
export const REG_FSR = 4;
export const REG_FAR = 5;
export const REG_CONTEXTIDR = 6;
export const REGISTER_COUNT = 7;

/** The distance between two context banks in an SMMU's register space. */
export const CONTEXT_BANK_STRIDE = 0x1000;

/** SCTLR.M: translation enabled for the bank (set by activation). */
export const SCTLR_M = 1 << 0;
/** SCTLR.CFIE: context fault interrupt enable; set with M, since every fault calls the hooked handler. */
export const SCTLR_CFIE = 1 << 5;
/** SCTLR.CFCFG: stall on a context fault (the seed's retry/terminate model). */
export const SCTLR_CFCFG = 1 << 7;

/**
 * FSR bits, as the MSM8x60 IOMMU lays them out (Linux `msm_iommu_hw-8xxx.h`):
 * translation fault, access-flag fault, permission fault, TLB-miss fault,
 * multi-hit; SS while the transaction is stalled waiting for the handler;
 * MULTI when a second fault arrives while one is still outstanding.
 */
export const FSR_TF = 1 << 1;
export const FSR_AFF = 1 << 2;
export const FSR_APF = 1 << 3;
export const FSR_TLBMF = 1 << 4;
export const FSR_MHF = 1 << 7;
export const FSR_SS = 1 << 30;
export const FSR_MULTI = 2 ** 31;
/** Every fault-cause bit (what "a fault is outstanding" means). */
export const FSR_FAULT_MASK = FSR_TF | FSR_AFF | FSR_APF | FSR_TLBMF | FSR_MHF;

/** TTBCR.N occupies bits [2:0]. */
export const TTBCR_N_MASK = 0x7;

/** Plain-data view of a bank's registers. */
export interface BankRegisterValues {
  readonly ttbr0: number;
  readonly ttbr1: number;
  readonly ttbcr: number;
  readonly sctlr: number;
  readonly fsr: number;
  readonly far: number;
  readonly contextidr: number;
}

/** One bank's registers: typed-array storage with named accessors. */
export class BankRegisters {
  /** The raw register words (`REG_*` indices). */
  readonly words = new Float64Array(REGISTER_COUNT);

  get ttbr0(): number {
    return this.words[REG_TTBR0]!;
  }
  get ttbr1(): number {
    return this.words[REG_TTBR1]!;
  }
  get ttbcr(): number {
    return this.words[REG_TTBCR]!;
  }
  /** TTBCR.N: the split width. */
  get n(): number {
    return this.words[REG_TTBCR]! & TTBCR_N_MASK;
  }
  get sctlr(): number {
    return this.words[REG_SCTLR]!;
  }
  get fsr(): number {
    return this.words[REG_FSR]!;
  }
  get far(): number {
    return this.words[REG_FAR]!;
  }
  get contextidr(): number {
    return this.words[REG_CONTEXTIDR]!;
  }

  /** Copy another register image in (a context switch). */
  load(from: BankRegisters): void {
    this.words.set(from.words);
  }

  clear(): void {
    this.words.fill(0);
  }

  toJSON(): BankRegisterValues {
    return {
      ttbr0: this.ttbr0,
      ttbr1: this.ttbr1,
      ttbcr: this.ttbcr,
      sctlr: this.sctlr,
      fsr: this.fsr,
      far: this.far,
      contextidr: this.contextidr,
    };
  }
}

/** The FSR cause bit of a fault kind. */
export function fsrBitOf(kind: 'translation' | 'permission' | 'access-flag'): number {
  return kind === 'translation' ? FSR_TF : kind === 'permission' ? FSR_APF : FSR_AFF;
}
