/**
 * Input checks at the public boundary (docs/rules.md#validation), shared by
 * every package so that a bad number reads the same everywhere: the call,
 * the parameter, the value, and what would be right. Each throws `EINVAL`.
 */
import { VcmError, formatSize, hex } from './errors.js';

function describe(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return String(value);
    return Number.isInteger(value) && value >= 0 ? `${value} (${hex(value)})` : String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  return typeof value;
}

function fail(where: string, param: string, value: unknown, expected: string): never {
  throw new VcmError('EINVAL', `${where}: ${param} must be ${expected}, got ${describe(value)}`, {
    param,
    value: typeof value === 'number' || typeof value === 'string' || value === null ? value : typeof value,
    expected,
  });
}

/** A non-negative safe integer (an address, an offset, a count). */
export function checkUint(where: string, param: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    fail(where, param, value, `an integer from 0 to ${max === Number.MAX_SAFE_INTEGER ? '2^53-1' : hex(max)}`);
  }
  return value;
}

/** A positive safe integer that is a multiple of `align` (a length). */
export function checkLength(where: string, param: string, value: unknown, align = 4096, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0 || value % align !== 0 || value > max) {
    const limit = max === Number.MAX_SAFE_INTEGER ? '' : ` up to ${formatSize(max)}`;
    fail(where, param, value, `a positive multiple of ${formatSize(align)}${limit}`);
  }
  return value;
}

/** A non-negative safe integer that is a multiple of `align` (an aligned address). */
export function checkAligned(where: string, param: string, value: unknown, align: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value % align !== 0 || value > max) {
    fail(where, param, value, `an address aligned to ${formatSize(align)}${max === Number.MAX_SAFE_INTEGER ? '' : ` at most ${hex(max)}`}`);
  }
  return value;
}

/** A 32-bit attribute word (`uint32_t attr`) whose bits outside `allowed` are clear. */
export function checkAttr(where: string, param: string, value: unknown, allowed = 0xffffffff): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    fail(where, param, value, 'a 32-bit attribute word');
  }
  const extra = (value & ~allowed) >>> 0;
  if (extra !== 0) fail(where, param, value, `made of the bits ${hex(allowed >>> 0)} (unknown bits ${hex(extra)})`);
  return value;
}

/** A power of two from `min` to `max` (an alignment, a granule). */
export function checkPowerOfTwo(where: string, param: string, value: unknown, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max || !isPowerOfTwo(value)) {
    fail(where, param, value, `a power of two from ${formatSize(min)} to ${max === Number.MAX_SAFE_INTEGER ? '2^52' : formatSize(max)}`);
  }
  return value;
}

/** For a positive safe integer: bit test while it fits 32 bits, exact float arithmetic above. */
function isPowerOfTwo(x: number): boolean {
  return x <= 0x4000_0000 ? (x & (x - 1)) === 0 : 2 ** Math.round(Math.log2(x)) === x;
}

/** One of a fixed set of values. */
export function checkOneOf<T>(where: string, param: string, value: unknown, allowed: readonly T[]): T {
  if (!Array.isArray(allowed)) {
    throw new VcmError('EINVAL', `checkOneOf: allowed must be the array of values ${String(where)} accepts for ${String(param)}, got ${describe(allowed)}`, { param: 'allowed' });
  }
  if (!allowed.includes(value)) fail(where, param, value, `one of ${allowed.map((v) => (typeof v === 'number' ? hex(v) : String(v))).join(', ')}`);
  return value as T;
}
