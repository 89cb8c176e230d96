/**
 * Input checks at the public boundary (docs/rules.md#validation), shared by
 * every package so that a bad number reads the same everywhere: the call,
 * the parameter, the value, and what would be right. Each throws `EINVAL`.
 */
import { VcmError, formatSize, hex } from './errors.js';
import { isPowerOfTwoIn } from './power-of-two.js';

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
  if (!isPowerOfTwoIn(value, min, max)) {
    fail(where, param, value, `a power of two from ${formatSize(min)} to ${max === Number.MAX_SAFE_INTEGER ? '2^52' : formatSize(max)}`);
  }
  return value;
}

/** One of a fixed set of values. */
export function checkOneOf<T>(where: string, param: string, value: unknown, allowed: readonly T[]): T {
  if (!Array.isArray(allowed)) {
    throw new VcmError('EINVAL', `checkOneOf: allowed must be the array of values ${String(where)} accepts for ${String(param)}, got ${describe(allowed)}`, { param: 'allowed' });
  }
  if (!allowed.includes(value)) fail(where, param, value, `one of ${allowed.map((v) => (typeof v === 'number' ? hex(v) : String(v))).join(', ')}`);
  return value as T;
}

/**
 * An options bag (`options` of a call, or a nested bag such as an SMMU's
 * `tlb`): a plain object — its prototype `Object.prototype` or `null` — whose
 * own enumerable string keys are all in `keys`. A class instance (a handle
 * passed by mistake), an array or a primitive is refused rather than read as
 * "all defaults", and so is a misspelt key. Symbol keys name no option and
 * are left alone, as `Object.keys` leaves them. `undefined` is refused like
 * any other non-object: a call whose options may be left out defaults them
 * first. `shape` spells the bag in the message (default: every key optional,
 * `{ a?, b? }`). Returns the bag, for the caller to check each value.
 */
export function checkOptions(where: string, param: string, value: unknown, keys: readonly string[], shape?: string): Record<string, unknown> {
  if (!Array.isArray(keys)) {
    throw new VcmError('EINVAL', `checkOptions: keys must be the array of option names ${String(where)} accepts for ${String(param)}, got ${describe(keys)}`, { param: 'keys' });
  }
  const proto: unknown = typeof value === 'object' && value !== null ? Object.getPrototypeOf(value) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    const got = describeBag(value, proto);
    const expected = shape ?? `{ ${keys.map((k) => `${k}?`).join(', ')} }`;
    throw new VcmError('EINVAL', `${where}: ${param} must be a plain object ${expected}, got ${got}`, { param, value: got, expected });
  }
  const bag = value as Record<string, unknown>;
  for (const key of Object.keys(bag)) {
    if (!keys.includes(key)) {
      throw new VcmError('EINVAL', `${where}: ${param}.${key} is not an option (known: ${keys.join(', ')})`, { param: `${param}.${key}`, value: key, expected: keys.join(', ') });
    }
  }
  return bag;
}

/** What a value that is not a plain object is, for `checkOptions`' message: "null", "an array", "a Map instance", "the number 5". */
function describeBag(value: unknown, proto: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'number':
    case 'bigint':
      return `the ${typeof value} ${String(value)}`;
    case 'string':
      return `the string ${JSON.stringify(value)}`;
    case 'boolean':
      return String(value);
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  // The class an instance was made by, read from its prototype (an own `constructor` key of the value could say anything).
  const ctor: unknown = Object.hasOwn(proto as object, 'constructor') ? (proto as { constructor: unknown }).constructor : undefined;
  const name = typeof ctor === 'function' ? ctor.name : '';
  if (name === '' || name === 'Object') return 'an object whose prototype is not Object.prototype';
  return `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name} instance`;
}
