/**
 * The one error type of the project (docs/rules.md#errors). `code` is the
 * errno name the header documents for the case; `errno` its Linux value, so
 * the compat face can return `-err.errno` exactly as `vcm.h` does.
 */

/** Linux errno values of the codes `vcm.h` documents (docs/api.md#errors-and-return-codes). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
} as const;

/** The errno name of a failure, one of the codes `vcm.h` documents for its functions. */
export type VcmErrorCode = keyof typeof ERRNO;

/** Structured facts about the failure: the parameter, the value, what was expected. */
export type VcmErrorDetails = Readonly<Record<string, unknown>>;

/**
 * The brand every `VcmError` carries, under a registry symbol
 * (`Symbol.for`) so that two copies of `@vcm/core` in one program — a
 * package manager that could not dedupe it, a bundle next to an install —
 * still recognise each other's errors. A class identity check alone would
 * answer false for an error from the other copy, and `isVcmError(e,
 * 'EFAULT')` would then miss a real fault (docs/rules.md#errors).
 */
const VCM_ERROR_BRAND: unique symbol = Symbol.for('@vcm/core:VcmError');

const ERROR_CODES: ReadonlySet<string> = new Set(Object.keys(ERRNO));

function isBranded(value: unknown): value is VcmError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { [VCM_ERROR_BRAND]?: unknown; code?: unknown };
  return v[VCM_ERROR_BRAND] === true && typeof v.code === 'string' && ERROR_CODES.has(v.code);
}

/**
 * The one error every package throws (docs/rules.md#errors): `code` is the
 * errno name `vcm.h` documents for the case, `errno` its Linux value (so the
 * compat face can return `-err.errno` as the C functions do), and `details`
 * the parameter, value and expectation that the message spells out. A call
 * that throws it has changed nothing (docs/rules.md#atomicity).
 *
 * `instanceof VcmError` and {@link isVcmError} recognise errors thrown by any
 * copy of `@vcm/core` loaded in the same program, not only this one.
 */
export class VcmError extends Error {
  override readonly name = 'VcmError';
  /** The errno name of the failure (`EINVAL`, `EBUSY`, …). */
  readonly code: VcmErrorCode;
  /** What was wrong, as data: the parameter, the value given, what would be right. */
  readonly details: VcmErrorDetails;

  /** `message` says what was wrong and what would be right; it is prefixed with `code`. */
  constructor(code: VcmErrorCode, message: string, details: VcmErrorDetails = {}) {
    super(`${code}: ${message}`);
    this.code = code;
    this.details = details;
  }

  /** The positive Linux errno of `code` (`EINVAL` → 22). */
  get errno(): number {
    return ERRNO[this.code];
  }

  /**
   * `e instanceof VcmError` by brand rather than by prototype chain, so an
   * error from another copy of `@vcm/core` passes. A subclass keeps the
   * ordinary prototype test: only `VcmError` itself is widened.
   */
  static override [Symbol.hasInstance](value: unknown): value is VcmError {
    if (this !== VcmError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return isBranded(value);
  }
}

// On the prototype, not declared on the class: the brand is a protocol
// between copies of this module, not part of the type users see.
Object.defineProperty(VcmError.prototype, VCM_ERROR_BRAND, { value: true });

/**
 * True when `e` is a `VcmError` — from this or any other copy of
 * `@vcm/core` — optionally with the given code.
 */
export function isVcmError(e: unknown, code?: VcmErrorCode): e is VcmError {
  return isBranded(e) && (code === undefined || e.code === code);
}

/** Format an address the way every message in the project does: `0x3800_0000`. */
export function hex(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const neg = n < 0;
  const digits = Math.abs(Math.trunc(n)).toString(16).padStart(8, '0');
  const grouped = digits.replace(/\B(?=(?:[0-9a-f]{4})+$)/g, '_');
  return `${neg ? '-' : ''}0x${grouped}`;
}

/** Human size: 4 KiB, 1 MiB, 2 MiB + 4 KiB style is left to callers; this prints the largest exact unit. */
export function formatSize(bytes: number): string {
  const units: Array<[number, string]> = [
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ];
  for (const [unit, name] of units) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit} ${name}`;
  }
  for (const [unit, name] of units) {
    if (bytes >= unit) return `${(bytes / unit).toFixed(2)} ${name}`;
  }
  return `${bytes} B`;
}
