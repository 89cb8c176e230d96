/**
 * How numbers look in every line the app prints: addresses and sizes with
 * core's own `hex` (`0x3800_0000`) and `formatSize` (`16 MiB`, `2192 KiB`),
 * so the app's steps read exactly like the library's error messages.
 */
import { formatSize, hex } from '@vcm/core';

export { formatSize, hex };

/** `0x1000_0000..0x10ff_ffff (16 MiB)`: first and last byte of a range, and its size. */
export function range(start: number, len: number): string {
  return `${hex(start)}..${hex(start + len - 1)} (${formatSize(len)})`;
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
