/**
 * "Did you mean …": the closest known names to a mistyped one, so that
 * `getCtxInstance('vcodec_a_mm2')` can say `vcodec_a_mm1` or `vcodec_b_mm2`
 * instead of only `ENODEV`.
 */

import { VcmError, checkUint } from '@vcm/core';

/** Levenshtein distance (insert, delete, substitute each cost 1), two rows of a typed array. */
export function editDistance(a: string, b: string): number {
  checkText('editDistance', 'a', a);
  checkText('editDistance', 'b', b);
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * Up to `max` names closest to `wanted`, nearest first (ties in the order
 * given). Only names within a third of the longer name's length (at least
 * 2 edits) are offered: a suggestion that shares nothing helps no one.
 */
export function closestNames(wanted: string, names: Iterable<string>, max = 3): string[] {
  checkText('closestNames', 'wanted', wanted);
  if (typeof names !== 'object' || names === null || typeof (names as Partial<Iterable<string>>)[Symbol.iterator] !== 'function') {
    throw new VcmError('EINVAL', `closestNames: names must be an iterable of strings, got ${names === null ? 'null' : typeof names}`, { param: 'names' });
  }
  checkUint('closestNames', 'max', max, 1000);
  const scored: { name: string; d: number; i: number }[] = [];
  let i = 0;
  const lower = wanted.toLowerCase();
  for (const name of names) {
    checkText('closestNames', 'names[i]', name);
    const d = editDistance(lower, name.toLowerCase());
    const limit = Math.max(2, Math.ceil(Math.max(wanted.length, name.length) / 3));
    if (d <= limit) scored.push({ name, d, i });
    i++;
  }
  scored.sort((x, y) => x.d - y.d || x.i - y.i);
  return scored.slice(0, max).map((s) => s.name);
}

function checkText(where: string, param: string, value: unknown): void {
  if (typeof value !== 'string') {
    throw new VcmError('EINVAL', `${where}: ${param} must be a string, got ${value === null ? 'null' : typeof value}`, { param });
  }
}
