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

export type VcmErrorCode = keyof typeof ERRNO;

/** Structured facts about the failure: the parameter, the value, what was expected. */
export type VcmErrorDetails = Readonly<Record<string, unknown>>;

export class VcmError extends Error {
  override readonly name = 'VcmError';
  readonly code: VcmErrorCode;
  readonly details: VcmErrorDetails;

  constructor(code: VcmErrorCode, message: string, details: VcmErrorDetails = {}) {
    super(`${code}: ${message}`);
    this.code = code;
    this.details = details;
  }

  /** The positive Linux errno of `code` (`EINVAL` → 22). */
  get errno(): number {
    return ERRNO[this.code];
  }
}

/** True when `e` is a `VcmError`, optionally with the given code. */
export function isVcmError(e: unknown, code?: VcmErrorCode): e is VcmError {
  return e instanceof VcmError && (code === undefined || e.code === code);
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
