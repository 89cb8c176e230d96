/**
 * Seeded randomness for the conformance suite: every run prints or reports
 * its seed, and `VCM_QEMU_SEED=<n>` replays one exactly.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export interface Rng {
  readonly seed: number;
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A 32-bit unsigned integer. */
  u32(): number;
}

export function makeRng(seed: number): Rng {
  const g = xoroshiro128plus(seed);
  const int = (lo: number, hi: number): number => uniformInt(g, lo, hi);
  return {
    seed,
    int,
    chance: (p) => int(0, 999_999) < p * 1_000_000,
    pick: <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!,
    u32: () => int(0, 0xffff) * 0x10000 + int(0, 0xffff),
  };
}

/** The seed of this run: `VCM_QEMU_SEED` when set (to replay a failure), else a fresh one. */
export function runSeed(): number {
  const given = process.env.VCM_QEMU_SEED;
  if (given !== undefined && given !== '') {
    const n = Number(given);
    if (!Number.isSafeInteger(n)) throw new Error(`VCM_QEMU_SEED must be an integer, got ${given}`);
    return n;
  }
  return Math.floor(Math.random() * 2 ** 31);
}
