/**
 * From `vcm.h` reservation attributes to the `prot` word a page-table
 * format takes. The format accepts the header's bits [9:0] (cache policy,
 * secure, supervisor, user, execute, write, read) plus its own extras; core's
 * attribute words also carry the reservation alignment field (bits [14:10]),
 * which is placement, not protection, and is dropped here.
 */
import { VCM_ACCESS_MASK, VCM_READ, VCM_WRITE } from '@vcm/core';
import { PROT_GLOBAL, PROT_PRIV } from './format.js';

/** The header's protection bits: cache policy [3:0] … read 9. */
export const VCM_PROT_BITS = 0x3ff;

/** `prot` for `attr`; with none of read/write/execute set, access is read+write (seed 004 step 7; docs/decisions.md#a-reservation-with-no-access-bits-is-readwrite). */
export function protOfAttr(attr: number): number {
  let prot = attr & (VCM_PROT_BITS | PROT_GLOBAL | PROT_PRIV);
  if ((prot & VCM_ACCESS_MASK) === 0) prot |= VCM_READ | VCM_WRITE;
  return prot;
}
