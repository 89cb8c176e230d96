/**
 * Attribute aliasing is refused (docs/rules.md#aliasing). ARMv6/ARMv7 make it
 * unpredictable to map the same physical bytes with different memory types
 * or cache policies (the review thread of seed 002), so a backing whose
 * cache policy differs from any other mapping of the same bytes is an
 * `EINVAL` naming the existing mapping. Access permissions may differ.
 */
import { VCM_CACHE_POLICY } from './constants.js';
import { VcmError, hex } from './errors.js';
import { cachePolicyName, type Graph } from './graph.js';
import type { Run } from './address-spaces.js';
import type { Physmem } from './physmem.js';
import type { Reservation } from './reservation.js';

function overlaps(runs: readonly Run[], b: Physmem): boolean {
  for (const x of runs) {
    for (const y of b._runs) {
      if (x.pa < y.pa + y.len && y.pa < x.pa + x.len) return true;
    }
  }
  return false;
}

/**
 * Refuse a backing of `physmem` with reservation attribute `attr` when any
 * other mapping of the same bytes has another cache policy. `self` is left
 * out (the reservation whose attribute `setAttr` changes).
 *
 * Physmems from the allocator never overlap each other, so only the physmem
 * itself and `mapPhysAddr` wrappers need a look; a wrapper can overlap
 * anything, so backing with one checks every backing physmem.
 *
 * `runs` are the physical bytes to check, the physmem's own by default; a
 * migration passes the blocks it is about to move the physmem to.
 */
export function checkAliasing(g: Graph, where: string, physmem: Physmem, attr: number, self: Reservation | undefined, runs: readonly Run[] = physmem._runs): void {
  const policy = attr & VCM_CACHE_POLICY;
  const check = (q: Physmem): void => {
    for (const r of q._backs) {
      if (r === self) continue;
      const other = r._attr & VCM_CACHE_POLICY;
      if (other !== policy) {
        throw new VcmError(
          'EINVAL',
          `${where}: ${physmem.label} would alias ${r.label} in ${r.vcm.label} (${hex(r._addr)}, ${cachePolicyName(other)}) ` +
            `with ${cachePolicyName(policy)}; mappings of the same physical memory must share one cache policy (ARMv7 attribute aliasing)`,
          { physmem: physmem.id, reservation: r.id, vcm: r.vcm.id, existingPolicy: other, requestedPolicy: policy },
        );
      }
    }
  };
  check(physmem);
  const candidates = physmem.isMapped ? g.physmems : g.mappedPhysmemsBacking;
  for (const q of candidates as Set<Physmem>) {
    if (q !== physmem && q._backs.size > 0 && overlaps(runs, q)) check(q);
  }
  for (const source of g.aliasSources) {
    for (const run of runs) {
      for (const alias of source.findAliases(run.pa, run.len)) {
        if ((alias.cachePolicy & VCM_CACHE_POLICY) !== policy) {
          throw new VcmError(
            'EINVAL',
            `${where}: ${physmem.label} would alias ${alias.description} (${cachePolicyName(alias.cachePolicy)}) with ${cachePolicyName(policy)}; ` +
              `mappings of the same physical memory must share one cache policy (ARMv7 attribute aliasing)`,
            { physmem: physmem.id, alias: alias.description, aliasPa: alias.pa, aliasLen: alias.len, existingPolicy: alias.cachePolicy, requestedPolicy: policy },
          );
        }
      }
    }
  }
}
