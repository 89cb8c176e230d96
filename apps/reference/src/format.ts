/**
 * How numbers look in every line the app prints (issue 7: "addresses in
 * hex, sizes in KiB/MiB"). Addresses use core's `hex` (`0x3800_0000`) so
 * they read like the library's own error messages.
 */
import { hex } from '@vcm/core';

export { hex };

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * A size as the seeds write it: `16 MiB`, `2 MiB + 4 KiB`, `128 KiB`.
 * Whole GiB/MiB/KiB parts joined by `+`; a remainder under 1 KiB in bytes.
 */
export function size(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return String(bytes);
  if (bytes === 0) return '0 B';
  const parts: string[] = [];
  let rest = bytes;
  for (const [unit, name] of [
    [GiB, 'GiB'],
    [MiB, 'MiB'],
    [KiB, 'KiB'],
  ] as const) {
    const n = Math.floor(rest / unit);
    if (n > 0) {
      parts.push(`${n} ${name}`);
      rest -= n * unit;
    }
  }
  if (rest > 0) parts.push(`${rest} B`);
  return parts.join(' + ');
}

/** `[0x1000_0000, 0x1100_0000)` style range with its size. */
export function range(start: number, len: number): string {
  return `${hex(start)}..${hex(start + len - 1)} (${size(len)})`;
}

/** A percentage with one decimal. */
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}

/** A C errno return (`-22`) with its name, as the compat face answers. */
export function errnoResult(ret: number): string {
  const names: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 11: 'EAGAIN', 12: 'ENOMEM', 14: 'EFAULT', 16: 'EBUSY', 19: 'ENODEV', 22: 'EINVAL' };
  if (ret >= 0) return String(ret);
  return `${ret} (-${names[-ret] ?? '?'})`;
}
