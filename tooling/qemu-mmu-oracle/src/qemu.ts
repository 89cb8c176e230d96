/**
 * Whether this machine can run the oracle. Without QEMU the conformance
 * tests are skipped, and say so on stderr; only then. With
 * `VCM_REQUIRE_QEMU=1` (CI sets it) a missing QEMU fails the suite instead.
 */
import { findQemu } from '../qemu-oracle.js';

/** The QEMU binary the suite uses, or null when none runs here. */
export const QEMU: string | null = findQemu();

const HOW = 'install it (Debian: apt-get install qemu-system-arm) or point QEMU_SYSTEM_ARM at a binary';

if (QEMU === null) {
  if (process.env.VCM_REQUIRE_QEMU === '1') {
    throw new Error(`QEMU conformance: VCM_REQUIRE_QEMU=1 but neither qemu-system-aarch64 nor qemu-system-arm runs here; ${HOW}`);
  }
  console.warn(`QEMU conformance: SKIPPED — neither qemu-system-aarch64 nor qemu-system-arm runs on this machine; ${HOW}`);
}

/** True when the QEMU tests must be skipped (QEMU is absent). */
export const NO_QEMU = QEMU === null;
