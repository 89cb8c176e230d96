/**
 * The one shape of a board error (docs/boards.md#errors): a `VcmError`
 * `EINVAL` whose message starts with the JSON path of the bad value, shows
 * the value and says what is allowed, e.g.
 *
 *   board.smmus[3].format: "armV8" is not a known page-table format (allowed: "armV7Short", "armLpae4k")
 *
 * and whose `details` are `{ path, value, allowed }`.
 */
import { VcmError, hex } from '@vcm/core';

/** How a value is shown in a message: strings quoted, numbers also in hex, containers by kind. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0x10000 ? `${value} (${hex(value)})` : String(value);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'boolean' || typeof value === 'bigint' || value === undefined) return String(value);
  return `a ${typeof value}`;
}

/** What goes into `details.value`: plain JSON scalars as they are, containers by kind. */
function detailValue(value: unknown): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return Array.isArray(value) ? 'array' : typeof value;
}

export function boardError(path: string, value: unknown, problem: string, allowed: string): VcmError {
  return new VcmError('EINVAL', `${path}: ${show(value)} ${problem} (allowed: ${allowed})`, {
    path,
    value: detailValue(value),
    allowed,
  });
}

export function missingError(path: string, required: string): VcmError {
  return new VcmError('EINVAL', `${path}: missing (required: ${required})`, { path, value: undefined, allowed: required });
}

/** `board.smmus[1].contexts[0].name` from `['smmus', 1, 'contexts', 0, 'name']`. */
export function jsonPath(keys: readonly PropertyKey[]): string {
  let out = 'board';
  for (const k of keys) out += typeof k === 'number' ? `[${k}]` : `.${String(k)}`;
  return out;
}

/** `[0x3800_0000, 0x3c00_0000)`. */
export function range(base: number, size: number): string {
  return `[${hex(base)}, ${hex(base + size)})`;
}
