/**
 * The predicate behind `checkPowerOfTwo` (validate.ts), apart so that a
 * caller checking a list can test each element without building the
 * element's name for an error it will not raise. Internal: not exported
 * from the package.
 */

/** Is `value` a power of two from `min` to `max` (safe integers)? */
export function isPowerOfTwoIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max && isPowerOfTwo(value);
}

/** For a positive safe integer: bit test while it fits 32 bits, exact float arithmetic above. */
function isPowerOfTwo(x: number): boolean {
  return x <= 0x4000_0000 ? (x & (x - 1)) === 0 : 2 ** Math.round(Math.log2(x)) === x;
}
