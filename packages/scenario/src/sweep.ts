/**
 * Sweeps (docs/scenarios.md#sweeps): a field path such as
 * `board.smmus[mdp].tlb.entries` names one value of the scenario as written
 * (keys, `[index]`, or `[name]` for the entry of a list whose `name` is
 * that); each point of the cross product of the axes' values is the
 * scenario with those fields replaced, validated and run on its own.
 */
import { didYouMean, scenarioError } from './issues.js';

type Segment = { readonly key: string } | { readonly index: number } | { readonly name: string };

const SEGMENT_RE = /([A-Za-z_$][A-Za-z0-9_$-]*)|\[([^\]]+)\]|(\.)/y;

/** The segments of a field path, or undefined when it is not one. */
export function parseFieldPath(field: string): Segment[] | undefined {
  const out: Segment[] = [];
  SEGMENT_RE.lastIndex = 0;
  let expectKey = true;
  while (SEGMENT_RE.lastIndex < field.length) {
    const m = SEGMENT_RE.exec(field);
    if (m === null) return undefined;
    if (m[1] !== undefined) {
      if (!expectKey) return undefined;
      out.push({ key: m[1] });
      expectKey = false;
    } else if (m[2] !== undefined) {
      if (out.length === 0) return undefined;
      out.push(/^[0-9]+$/.test(m[2]) ? { index: Number(m[2]) } : { name: m[2] });
    } else {
      if (expectKey) return undefined;
      expectKey = true;
    }
  }
  return out.length > 0 && !expectKey ? out : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Replace the field `field` of `root` (a plain value, changed in place) by
 * `value`. `where` is the path of the field text in the scenario, for
 * errors; `optionalKeys(containerPath)` lists keys that may be absent.
 */
export function setField(root: unknown, field: string, value: unknown, where: string, optionalKeys: (segments: readonly Segment[]) => readonly string[]): void {
  const segments = parseFieldPath(field);
  if (segments === undefined) {
    throw scenarioError(where, field, 'is not a field path', 'keys joined by ".", with [index] or [name] for list entries, e.g. "board.smmus[mdp].tlb.entries"');
  }
  let container: unknown = root;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    const shown = field;
    if ('key' in s) {
      if (!isObject(container)) throw scenarioError(where, shown, `names no field: before "${s.key}" there is no object`, 'a path to a field of the scenario');
      const known = [...new Set([...Object.keys(container), ...optionalKeys(segments.slice(0, i))])];
      if (!known.includes(s.key)) throw scenarioError(where, shown, `names no field: "${s.key}" is not a key there${didYouMean(s.key, known)}`, known.map((k) => JSON.stringify(k)).join(', '));
      if (last) container[s.key] = value;
      else {
        // A key the format allows but the file leaves out (a board's caches overrides): the path makes it.
        if (container[s.key] === undefined && 'key' in segments[i + 1]!) container[s.key] = {};
        container = container[s.key];
      }
    } else {
      if (!Array.isArray(container)) throw scenarioError(where, shown, 'names no field: an index or name is used where there is no list', 'a path to a field of the scenario');
      const list: unknown[] = container;
      let at: number;
      if ('index' in s) {
        at = s.index;
        if (at >= list.length) throw scenarioError(where, shown, `names no field: index ${at} is past the end of a list of ${list.length}`, `indices 0 to ${list.length - 1}`);
      } else {
        const names = list.map((e) => (isObject(e) && typeof e['name'] === 'string' ? e['name'] : '')).filter((n) => n !== '');
        at = list.findIndex((e) => isObject(e) && e['name'] === s.name);
        if (at < 0) throw scenarioError(where, shown, `names no field: no entry is named "${s.name}"${didYouMean(s.name, names)}`, names.map((n) => JSON.stringify(n)).join(', '));
      }
      if (last) list[at] = value;
      else container = list[at];
    }
  }
}

/** Every combination of the axes' values, first axis slowest. */
export function crossProduct<T>(axes: readonly (readonly T[])[]): T[][] {
  let out: T[][] = [[]];
  for (const values of axes) out = out.flatMap((prefix) => values.map((v) => [...prefix, v]));
  return out;
}

export type { Segment };
