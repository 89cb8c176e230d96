/**
 * The page-table formats of `@vcm/smmu` as values (`PageTableFormat`,
 * format.ts): drivers and the CPU overlay pick one and never see a
 * descriptor bit themselves.
 */
export { armV7Short } from './short-descriptor.js';
export { armLpae4k, LPAE_MAIR, LPAE_MAIR0, LPAE_MAIR1, LPAE_ATTR_INDEX } from './lpae.js';
