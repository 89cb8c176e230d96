/**
 * Random reservations made through the VCM API, shared by the context-bank
 * and the CPU conformance tests (docs/conformance.md#what-the-suite-covers).
 */
import {
  VCM_EXECUTE,
  VCM_PHYS_CONT,
  VCM_READ,
  VCM_SECURE,
  VCM_SUPERVISOR,
  VCM_USER,
  VCM_WRITE,
  VCM_1MB,
  VCM_4KB,
  VCM_64KB,
  VCM_ALL,
  isVcmError,
  vcmAlignAttr,
  vcmPhysAlignAttr,
} from '@vcm/core';
import type { Physmem, Reservation, Vcm } from '@vcm/core';
import type { Platform } from '@vcm/devtree';
import { MEMTYPES } from './conformance-board.js';
import type { Rng } from './rng.js';

const SZ_4K = 0x1000;
const SZ_64K = 0x1_0000;
const SZ_1M = 0x10_0000;
const SZ_16M = 0x100_0000;

/** A random reservation attribute: access bits (or none: read+write), user/supervisor, secure, cache policy, sometimes an alignment. */
export function randomResAttr(rng: Rng, withAlign: boolean): number {
  let attr = rng.int(0, 3);
  for (const bit of [VCM_READ, VCM_WRITE, VCM_EXECUTE, VCM_USER, VCM_SUPERVISOR]) if (rng.chance(0.5)) attr |= bit;
  if (rng.chance(0.15)) attr |= VCM_SECURE;
  if (withAlign && rng.chance(0.3)) attr |= vcmAlignAttr(rng.int(12, 24));
  return attr >>> 0;
}

function randomLength(rng: Rng): number {
  switch (rng.int(0, 9)) {
    case 0:
    case 1:
    case 2:
      return SZ_4K * rng.int(1, 20);
    case 3:
    case 4:
      return SZ_64K * rng.int(1, 20);
    case 5:
      return SZ_64K * rng.int(1, 4) + SZ_4K * rng.int(1, 15);
    case 6:
    case 7:
      return SZ_1M * rng.int(1, 6);
    case 8:
      return SZ_1M * rng.int(1, 3) + SZ_64K * rng.int(0, 15) + SZ_4K * rng.int(0, 15);
    default:
      return SZ_16M * rng.int(1, 2);
  }
}

function randomPhysAttr(rng: Rng, memtype: number): number {
  if (memtype === 1 && rng.chance(0.1)) return VCM_PHYS_CONT | (rng.chance(0.5) ? vcmPhysAlignAttr(2 ** rng.int(12, 20)) : 0);
  let attr = rng.pick([0, VCM_ALL, VCM_ALL, VCM_4KB | VCM_64KB | VCM_1MB, VCM_4KB | VCM_64KB, VCM_4KB]);
  if (rng.chance(0.2)) attr |= vcmPhysAlignAttr(rng.pick([SZ_4K, SZ_64K, SZ_1M]));
  return attr;
}

/** What the generator did, for the summary and the checks that it did something. */
export interface Counts {
  backed: number;
  unbacked: number;
  refusedSecureMix: number;
  /** physAlloc: ENOMEM. */
  noMemory: number;
  /** reserve: ENOMEM, or the allocator rounded past the VCM's size. */
  noSpace: number;
  attrChanges: number;
}

/**
 * Reserve and (mostly) back `count` random reservations in `vcm`. A refusal
 * the design prescribes is counted, and the system is left as the refusal
 * left it: ENOMEM (pools dry, or no room left in the VCM), EINVAL for a
 * short-format level-2 table that would mix secure and non-secure pages
 * (docs/attributes.md#secure). Anything else is a failure.
 */
export function populate(p: Platform, rng: Rng, vcm: Vcm, count: number, counts: Counts): void {
  for (let i = 0; i < count; i++) {
    const memtype = rng.pick(MEMTYPES);
    let pm: Physmem;
    const room = Math.floor((vcm.startAddr + vcm.len) / SZ_4K) * SZ_4K - Math.ceil(vcm.startAddr / SZ_4K) * SZ_4K;
    try {
      // No longer than the VCM's whole pages (a longer reservation is EINVAL, not a case worth a QEMU run).
      pm = p.vcmm.physAlloc(memtype, Math.min(randomLength(rng), room), randomPhysAttr(rng, memtype));
    } catch (e) {
      if (isVcmError(e, 'ENOMEM')) {
        counts.noMemory++;
        continue;
      }
      throw e;
    }
    if (pm.len > room) {
      // The allocator rounded up past what the VCM holds (page-size selection bits).
      pm.free();
      counts.noSpace++;
      continue;
    }
    let res: Reservation;
    try {
      res = vcm.reserve(pm.len, randomResAttr(rng, true));
    } catch (e) {
      pm.free();
      if (isVcmError(e, 'ENOMEM')) {
        counts.noSpace++;
        continue;
      }
      throw e;
    }
    if (rng.chance(0.12)) {
      pm.free();
      counts.unbacked++;
      continue;
    }
    try {
      res.back(pm);
      counts.backed++;
    } catch (e) {
      if (!isSecureMix(e)) throw e;
      counts.refusedSecureMix++;
      res.unreserve();
      pm.free();
    }
  }
}

export function isSecureMix(e: unknown): boolean {
  return isVcmError(e, 'EINVAL') && /secure/i.test(e.message);
}

