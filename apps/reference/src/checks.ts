/**
 * Check helpers. Byte equality is decided by length plus a checksum
 * (FNV-1a, 32 bit) so the report can print both sides of a 16 MiB
 * comparison in one line; a full byte compare backs it up, so a checksum
 * collision cannot make a check pass.
 */
import { formatSize, hex } from './format.js';
import { fnv1a } from '@vcm/scenario';
import type { Check } from './report.js';

/** FNV-1a over the bytes (32 bits): the scenario runner's checksum, so walk-throughs and scenarios print the same numbers. */
export { fnv1a };

/** `fnv1a 0x1234_5678 over 16 MiB`. */
export function digest(bytes: Uint8Array): string {
  return `fnv1a ${hex(fnv1a(bytes))} over ${formatSize(bytes.length)}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // Compare 4 bytes at a time where both views allow it.
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && a.length % 4 === 0) {
    const wa = new Uint32Array(a.buffer, a.byteOffset, a.length / 4);
    const wb = new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
    for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function bytesEqual(name: string, expected: Uint8Array, actual: Uint8Array): Check {
  return { name, pass: sameBytes(expected, actual), expected: digest(expected), actual: digest(actual) };
}

export function eqHex(name: string, expected: number | undefined, actual: number | undefined): Check {
  const show = (v: number | undefined): string => (v === undefined ? 'unmapped' : hex(v));
  return { name, pass: expected !== undefined && expected === actual, expected: show(expected), actual: show(actual) };
}

export function eqNum(name: string, expected: number, actual: number, unit = ''): Check {
  const show = (v: number): string => `${v}${unit}`;
  return { name, pass: expected === actual, expected: show(expected), actual: show(actual) };
}

export function eqSize(name: string, expected: number, actual: number): Check {
  return { name, pass: expected === actual, expected: formatSize(expected), actual: formatSize(actual) };
}

export function eqText(name: string, expected: string, actual: string): Check {
  return { name, pass: expected === actual, expected, actual };
}

/** A predicate check; `expected` says in words what should hold. */
export function holds(name: string, pass: boolean, expected: string, actual: string): Check {
  return { name, pass, expected, actual };
}

/** `addr` is a multiple of `align`. */
export function aligned(name: string, addr: number, align: number): Check {
  return { name, pass: addr % align === 0, expected: `multiple of ${formatSize(align)}`, actual: hex(addr) };
}

/** [addr, addr+len) lies inside [start, start+len). */
export function inside(name: string, addr: number, len: number, start: number, spanLen: number): Check {
  return {
    name,
    pass: addr >= start && addr + len <= start + spanLen,
    expected: `inside ${hex(start)}..${hex(start + spanLen - 1)}`,
    actual: `${hex(addr)}..${hex(addr + len - 1)}`,
  };
}
