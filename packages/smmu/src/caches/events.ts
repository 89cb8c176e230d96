/**
 * Performance-monitor events as Arm's SMMUv3 PMCG names them and Linux's
 * `arm_smmuv3_pmu` driver exposes them (docs/hardware.md#translation-caches),
 * counted per SMMU and per virtual context:
 * - `cycles`: clock cycles of the SMMU's traffic, as the timing model counts
 *   them (docs/timing.md); 0 while the SMMU is untimed.
 * - `transaction`: translated transactions (a stream's bursts, a read's or
 *   write's pieces).
 * - `tlb_miss`: transactions that missed every TLB and walked (prefetches
 *   are not transactions).
 * - `config_cache_miss`: always 0 — a bank's configuration is its registers,
 *   there is no configuration cache to miss.
 * - `trans_table_walk_access`: descriptor reads of walks, prefetch walks included.
 * - `config_struct_access`: always 0 — no configuration structure (stream
 *   table, context descriptor) is read from memory.
 */

/** The events as plain data, under their PMCG names. */
export interface PmuEvents {
  readonly cycles: number;
  readonly transaction: number;
  readonly tlb_miss: number;
  readonly config_cache_miss: number;
  readonly trans_table_walk_access: number;
  readonly config_struct_access: number;
}

/** Counters of one SMMU or one context; public fields so hot loops bump them without calls. */
export class PmuCounters {
  cycles = 0;
  transaction = 0;
  tlbMiss = 0;
  transTableWalkAccess = 0;

  events(): PmuEvents {
    return {
      cycles: this.cycles,
      transaction: this.transaction,
      tlb_miss: this.tlbMiss,
      config_cache_miss: 0,
      trans_table_walk_access: this.transTableWalkAccess,
      config_struct_access: 0,
    };
  }

  reset(): void {
    this.cycles = 0;
    this.transaction = 0;
    this.tlbMiss = 0;
    this.transTableWalkAccess = 0;
  }
}
