export * from './format.js';
export { createWalkPath } from './walk-path.js';
export type { WalkPath } from './walk-path.js';
export * from './formats/index.js';
export {
  BankRegisters,
  CONTEXT_BANK_STRIDE,
  FSR_AFF,
  FSR_APF,
  FSR_ASF,
  FSR_FAULT_MASK,
  FSR_MULTI,
  FSR_SS,
  FSR_TF,
  FSYNR0_IND,
  FSYNR0_PLVL_MASK,
  FSYNR0_WNR,
  REGISTER_COUNT,
  REGISTER_NAMES,
  REGISTER_OFFSETS,
  REG_CONTEXTIDR,
  REG_FAR,
  REG_FSR,
  REG_FSYNR0,
  REG_MAIR0,
  REG_MAIR1,
  REG_RESUME,
  REG_SCTLR,
  REG_TTBCR,
  REG_TTBR0,
  REG_TTBR0_HIGH,
  REG_TTBR1,
  REG_TTBR1_HIGH,
  RESUME_TERMINATE,
  SCTLR_AFE,
  SCTLR_CFCFG,
  SCTLR_CFIE,
  SCTLR_CFRE,
  SCTLR_M,
  SCTLR_TRE,
  TTBCR_EAE,
  TTBCR_EPD0,
  TTBCR_EPD1,
  TTBCR_IRGN0_SHIFT,
  TTBCR_IRGN1_SHIFT,
  TTBCR_ORGN0_SHIFT,
  TTBCR_ORGN1_SHIFT,
  TTBCR_PD0,
  TTBCR_PD1,
  TTBCR_SH0_SHIFT,
  TTBCR_SH1_SHIFT,
  TTBCR_T0SZ_MASK,
  TTBCR_T1SZ_SHIFT,
  TTBR_HIGH_ASID_SHIFT,
  TTBR_IRGN0,
  TTBR_NOS,
  TTBR_RGN_SHIFT,
  TTBR_S,
} from './registers.js';
export type { BankRegisterFields, BankRegisterValues, RegisterLayout } from './registers.js';
export * from './tlb.js';
export type { TranslationTable } from './translation-table.js';
export { ACCESS_READ, ACCESS_WRITE, ACCESS_EXECUTE } from './context-bank.js';
export type { ContextBank } from './context-bank.js';
export type { SmmuContext } from './context.js';
export { isSmmu, isSmmuContext } from './handles.js';
export type { ContextOptions, ContextSnapshot, ContextWalk, DumpEntry, InterruptHook, TableDump } from './context.js';
export type { AccessObserver, DmaPort, StreamCacheCounts, StreamOptions, StreamResult, TransferOptions } from './dma.js';
export { CACHE_POLICIES, SMMU_MODELS, SMMU_MODEL_NAMES } from './caches/config.js';
export type { CacheConfig, CacheGeometry, CacheOverrides, CachePolicy, SmmuModelName, TimingConfig } from './caches/config.js';
export { resolveCacheConfig } from './caches/resolve.js';
export type { CacheConfigInput } from './caches/resolve.js';
export type { CachesSnapshot } from './caches/hierarchy.js';
export type { PmuEvents } from './caches/events.js';
export type { HistogramBucket } from './caches/timing.js';
export type { WalkCacheEntry, WalkCacheStats } from './caches/walk-cache.js';
export { Smmu, DEFAULT_FAULT_RETRY_BUDGET, CONTEXT_ID_COUNT } from './smmu.js';
export type { SmmuOptions, SmmuSnapshot } from './smmu.js';
export { SmmuDriver, createSmmuDriver, MAX_SPLIT } from './driver.js';
export type { SmmuAddressSpace } from './driver.js';
export { protOfAttr, VCM_PROT_BITS } from './prot.js';
