/**
 * From `vcm.h` reservation attributes to the `prot` word a page-table
 * format takes (docs/attributes.md). The format accepts the header's bits
 * [9:0] (cache policy, secure, supervisor, user, execute, write, read) plus
 * its own extras; core's attribute words also carry the reservation
 * alignment field (bits [14:10]), which is placement, not protection, and
 * is dropped here.
 */
import { VCM_ACCESS_MASK, VCM_ALIGN_MASK, VCM_ALIGN_SHIFT, VCM_READ, VCM_WRITE, checkAttr } from '@vcm/core';
import { PROT_GLOBAL, PROT_PRIV } from './format.js';

/** The header's protection bits: cache policy [3:0] … read 9. */
export const VCM_PROT_BITS = 0x3ff;

/** Every bit `protOfAttr` accepts: the protection bits, the alignment field, the two format extras. */
const ATTR_BITS = VCM_PROT_BITS | (VCM_ALIGN_MASK << VCM_ALIGN_SHIFT) | PROT_GLOBAL | PROT_PRIV;

/**
 * `prot` for `attr`; with none of read/write/execute set, access is
 * read+write (docs/api.md#vcmh-mapping, seed 004 step 7). An attribute word
 * with other bits, or not a 32-bit word at all, is `EINVAL`.
 */
export function protOfAttr(attr: number): number {
  const a = checkAttr('protOfAttr', 'attr', attr, ATTR_BITS);
  let prot = a & (VCM_PROT_BITS | PROT_GLOBAL | PROT_PRIV);
  if ((prot & VCM_ACCESS_MASK) === 0) prot |= VCM_READ | VCM_WRITE;
  return prot;
}
