/**
 * Validation and normalisation of the attribute words of `vcm.h` (seed 001):
 * reservation attributes, association attributes and physical-allocation
 * attributes. Bit values are the header's (docs/rules.md#attribute-values).
 */
import {
  SZ_1M,
  SZ_64K,
  VCM_ACCESS_MASK,
  VCM_ALIGNMENT_MASK,
  VCM_ALIGN_MASK,
  VCM_ALIGN_SHIFT,
  VCM_CACHE_POLICY,
  VCM_COHERENT,
  VCM_EXECUTE,
  VCM_PAGE_SEL_MASK,
  VCM_PHYS_CONT,
  VCM_READ,
  VCM_SECURE,
  VCM_SPLIT,
  VCM_SPLIT_MASK,
  VCM_SUPERVISOR,
  VCM_USER,
  VCM_USE_HIGH_BASE,
  VCM_USE_LOW_BASE,
  VCM_WRITE,
  naturalAlignment,
} from './constants.js';
import { VcmError, formatSize, hex } from './errors.js';
import { checkAttr } from './validate.js';

/** Every bit a reservation attribute may carry: access, cache policy, alignment order. */
export const RES_ATTR_BITS =
  VCM_READ | VCM_WRITE | VCM_EXECUTE | VCM_USER | VCM_SUPERVISOR | VCM_SECURE | VCM_CACHE_POLICY | (VCM_ALIGN_MASK << VCM_ALIGN_SHIFT);

/** Every bit an association attribute may carry. */
export const ASSOC_ATTR_BITS = VCM_SPLIT | VCM_USE_LOW_BASE | VCM_USE_HIGH_BASE | VCM_SPLIT_MASK;

/** Every bit a physical-allocation attribute may carry. */
export const PHYS_ATTR_BITS = VCM_PAGE_SEL_MASK | VCM_PHYS_CONT | VCM_COHERENT | VCM_ALIGNMENT_MASK;

/** The smallest alignment order a reservation may ask for: one page. */
const MIN_ALIGN_ORDER = 12;
const MAX_ALIGN_ORDER = 30;

/**
 * Validate a reservation attribute and return the stored form: with none of
 * read/write/execute set, access is read+write (seed 004 step 7;
 * docs/decisions.md#a-reservation-with-no-access-bits-is-readwrite).
 */
export function normaliseResAttr(where: string, attr: unknown): number {
  const a = checkAttr(where, 'attr', attr, RES_ATTR_BITS);
  const policy = a & VCM_CACHE_POLICY;
  if (policy > 3) {
    throw new VcmError(
      'EINVAL',
      `${where}: attr cache policy must be VCM_NOTCACHED (0), VCM_WB_WA (1), VCM_WB_NWA (2) or VCM_WT (3), got ${policy}`,
      { param: 'attr', value: a, cachePolicy: policy },
    );
  }
  const order = (a >>> VCM_ALIGN_SHIFT) & VCM_ALIGN_MASK;
  if (order !== 0 && (order < MIN_ALIGN_ORDER || order > MAX_ALIGN_ORDER)) {
    throw new VcmError(
      'EINVAL',
      `${where}: attr alignment order must be 0 (natural) or 12 (VCM_ALIGN_4K) to 30 (VCM_ALIGN_1GB), got ${order}`,
      { param: 'attr', value: a, alignOrder: order },
    );
  }
  return (a & VCM_ACCESS_MASK) === 0 ? (a | VCM_READ | VCM_WRITE) >>> 0 : a >>> 0;
}

/** The placement alignment of a reservation: the attribute's `VCM_ALIGN_*` or natural (docs/api.md#objects). */
export function reservationAlignment(len: number, attr: number): { align: number; explicit: boolean } {
  const order = (attr >>> VCM_ALIGN_SHIFT) & VCM_ALIGN_MASK;
  return order === 0 ? { align: naturalAlignment(len), explicit: false } : { align: 2 ** order, explicit: true };
}

/**
 * The header's `VCM_PERF_WARN`: an alignment below 1 MB for a buffer of 1 MB
 * or more (or below 64 KB for 64 KB or more) works but keeps the IOMMU from
 * using large pages. Returns the message, or undefined when there is nothing
 * to say.
 */
export function perfWarning(where: string, len: number, align: number): string | undefined {
  const wanted = len >= SZ_1M ? SZ_1M : len >= SZ_64K ? SZ_64K : 0;
  if (wanted === 0 || align >= wanted) return undefined;
  return (
    `${where}: VCM_PERF_WARN: a ${formatSize(len)} reservation aligned to only ${formatSize(align)} ` +
    `cannot use ${formatSize(wanted)} pages; use VCM_ALIGN_DEFAULT or at least ${formatSize(wanted)} alignment`
  );
}

/** Validate an association attribute (`VCM_SPLIT`, `VCM_USE_LOW_BASE`, `VCM_USE_HIGH_BASE`, `vcmSplitAttr(n)`). */
export function checkAssocAttr(where: string, attr: unknown): number {
  const a = checkAttr(where, 'attr', attr, ASSOC_ATTR_BITS);
  if (a & VCM_USE_LOW_BASE && a & VCM_USE_HIGH_BASE) {
    throw new VcmError('EINVAL', `${where}: attr sets both VCM_USE_LOW_BASE and VCM_USE_HIGH_BASE (${hex(a)}); an association uses one base register`, {
      param: 'attr',
      value: a,
    });
  }
  if (a & VCM_SPLIT_MASK && !(a & VCM_SPLIT)) {
    throw new VcmError('EINVAL', `${where}: attr has a split width (bits 4-8) without VCM_SPLIT (${hex(a)}); use vcmSplitAttr(n)`, {
      param: 'attr',
      value: a,
    });
  }
  return a >>> 0;
}

/** The base register an association uses: high with `VCM_USE_HIGH_BASE`, low otherwise. */
export function assocBase(attr: number): 'low' | 'high' {
  return attr & VCM_USE_HIGH_BASE ? 'high' : 'low';
}
