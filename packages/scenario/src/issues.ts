/**
 * Scenario errors (docs/scenarios.md#errors): one `VcmError` `EINVAL` per
 * problem, in the message form boards use (docs/boards.md#errors) —
 * `<path>: <value> <problem> (allowed: <allowed>)` — where the path is the
 * place in the scenario file (`buffers[2].image.format`) and a mistyped
 * name or key gets "did you mean" with the closest valid names
 * (`@vcm/devtree`'s `closestNames`). `details` are `{ path, value, allowed }`.
 */
import { VcmError, hex } from '@vcm/core';
import { closestNames } from '@vcm/devtree';
import type * as z from 'zod';

/** `buffers[2].image.format` from `['buffers', 2, 'image', 'format']`; the root is `(scenario)`. */
export function pathOf(keys: readonly PropertyKey[]): string {
  let out = '';
  for (const k of keys) out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`;
  return out === '' ? '(scenario)' : out;
}

/** How a value is shown in a message: strings quoted, large numbers also in hex, containers by kind. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0x10000 ? `${value} (${hex(value)})` : String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'boolean' || typeof value === 'bigint' || value === undefined ? String(value) : `a ${typeof value}`;
}

function quoteList(items: readonly string[]): string {
  return items.map((s) => JSON.stringify(s)).join(', ');
}

/** " (did you mean "x"?)" when a known name is close to `wanted`, else "". */
export function didYouMean(wanted: unknown, known: Iterable<string>): string {
  if (typeof wanted !== 'string') return '';
  const near = closestNames(wanted, known, 2);
  return near.length > 0 ? `; did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?` : '';
}

/** The error for a bad value at `path`. */
export function scenarioError(path: string, value: unknown, problem: string, allowed: string): VcmError {
  const detail = value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' ? value : Array.isArray(value) ? 'array' : typeof value;
  return new VcmError('EINVAL', `${path}: ${value === undefined ? 'missing' : show(value)} ${problem} (allowed: ${allowed})`, { path, value: detail, allowed });
}

/** A required key that is absent. */
export function missingError(path: string, required: string): VcmError {
  return new VcmError('EINVAL', `${path}: missing (required: ${required})`, { path, value: undefined, allowed: required });
}

/** A name that must be one of `known` (a device, a buffer, a space). */
export function unknownName(path: string, value: string, what: string, known: readonly string[]): VcmError {
  return scenarioError(path, value, `is not ${what}${didYouMean(value, known)}`, known.length > 0 ? quoteList(known) : 'none: the scenario defines none');
}

// ---- following a path through the definition ------------------------------------

interface Def {
  readonly type: string;
  readonly shape?: Readonly<Record<string, z.core.$ZodType>>;
  readonly element?: z.core.$ZodType;
  readonly innerType?: z.core.$ZodType;
  readonly in?: z.core.$ZodType;
  readonly options?: readonly z.core.$ZodType[];
  readonly discriminator?: string;
  readonly entries?: Readonly<Record<string, string>>;
  readonly values?: readonly unknown[];
}

function defOf(schema: z.core.$ZodType): Def {
  return schema._zod.def;
}

/** The schema itself once optional/default/pipe wrappers are taken off. */
function bare(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema;
  for (;;) {
    const d = defOf(s);
    if ((d.type === 'optional' || d.type === 'default' || d.type === 'nullable' || d.type === 'prefault') && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

/** The object option of a (discriminated) union that `value` meant, if one can be told. */
function objectOption(schema: z.core.$ZodType, value: unknown): z.core.$ZodType | undefined {
  const d = defOf(schema);
  const objects = (d.options ?? []).map(bare).filter((o) => defOf(o).type === 'object' || defOf(o).type === 'union');
  if (objects.length === 1) return objects[0]!;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const o of objects) {
    const od = defOf(o);
    if (od.type === 'union') {
      const inner = objectOption(o, value);
      if (inner !== undefined) return inner;
      continue;
    }
    const kind = od.shape?.['kind'];
    if (kind === undefined) return o;
    if (literalValues(kind).includes((value as Record<string, unknown>)['kind'])) return o;
  }
  return undefined;
}

/** The object options of a union, nested unions flattened. */
function unionObjects(schema: z.core.$ZodType): z.core.$ZodType[] {
  const s = bare(schema);
  const d = defOf(s);
  if (d.type === 'object') return [s];
  if (d.type === 'union') return (d.options ?? []).flatMap(unionObjects);
  return [];
}

function literalValues(schema: z.core.$ZodType): unknown[] {
  const d = defOf(bare(schema));
  return d.type === 'literal' ? [...(d.values ?? [])] : [];
}

/** The schema under `keys` (and the value there), following objects, arrays and unions. */
function schemaAt(root: z.core.$ZodType, data: unknown, keys: readonly PropertyKey[]): z.core.$ZodType | undefined {
  let schema: z.core.$ZodType | undefined = root;
  let value = data;
  for (const key of keys) {
    if (schema === undefined) return undefined;
    let s = bare(schema);
    if (defOf(s).type === 'union') s = objectOption(s, value) ?? s;
    const d = defOf(s);
    if (d.type === 'object') schema = typeof key === 'string' ? d.shape?.[key] : undefined;
    else if (d.type === 'array') schema = d.element;
    else if (d.type === 'record') schema = undefined;
    else schema = undefined;
    value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return schema;
}

function enumValues(schema: z.core.$ZodType | undefined): string[] {
  if (schema === undefined) return [];
  const s = bare(schema);
  const d = defOf(s);
  if (d.type === 'enum') return Object.values(d.entries ?? {});
  if (d.type === 'union') return (d.options ?? []).flatMap((o) => enumValues(o));
  if (d.type === 'literal') return (d.values ?? []).filter((v): v is string => typeof v === 'string');
  return [];
}

function objectKeys(schema: z.core.$ZodType | undefined, value: unknown): string[] {
  if (schema === undefined) return [];
  let s = bare(schema);
  if (defOf(s).type === 'union') s = objectOption(s, value) ?? s;
  return Object.keys(defOf(s).shape ?? {});
}

function valueAt(data: unknown, keys: readonly PropertyKey[]): unknown {
  let v = data;
  for (const k of keys) v = typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** The words of one zod issue. */
export function issueError(root: z.core.$ZodType, data: unknown, issue: z.core.$ZodIssue): VcmError {
  const keys = issue.path;
  const value = valueAt(data, keys);
  const here = schemaAt(root, data, keys);
  const description = here === undefined ? undefined : descriptionOf(here);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]!;
      const allowed = objectKeys(here, value);
      return scenarioError(pathOf([...keys, key]), key, `is not a key here${didYouMean(key, allowed)}`, quoteList(allowed));
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => (typeof v === 'string' ? v : String(v)));
      return scenarioError(pathOf(keys), value, `is not a known value${didYouMean(value, allowed)}`, quoteList(allowed));
    }
    case 'invalid_union': {
      const disc = (issue as { discriminator?: string }).discriminator;
      if (disc !== undefined) {
        // zod reports a discriminator it does not know at the discriminator's own path, with the options.
        const atKind = keys.at(-1) === disc ? keys : [...keys, disc];
        const listed = (issue as { options?: readonly unknown[] }).options;
        const kinds = (listed ?? (here === undefined ? [] : unionObjects(here)).flatMap((o) => literalValues(defOf(o).shape?.[disc] ?? o))).map(String);
        const meant = valueAt(data, atKind);
        return scenarioError(pathOf(atKind), meant, `is not a known ${disc}${didYouMean(meant, kinds)}`, quoteList(kinds));
      }
      // A name where a name or an object is allowed (a pattern, a board): name the names.
      const names = enumValues(here);
      if (typeof value === 'string' && names.length > 0) {
        return scenarioError(pathOf(keys), value, `is not a known name${didYouMean(value, names)}`, `${quoteList(names)}${description ? `, or ${description}` : ''}`);
      }
      // An object where a name or an object is allowed: report the problem of the object option.
      const options = defOf(bare(here ?? root)).options ?? [];
      const index = typeof value === 'object' && value !== null ? options.findIndex((o) => ['object', 'union', 'record'].includes(defOf(bare(o)).type)) : -1;
      const inner = index >= 0 ? issue.errors[index]?.[0] : undefined;
      if (inner !== undefined) return issueError(root, data, { ...inner, path: [...keys, ...inner.path] });
      return scenarioError(pathOf(keys), value, 'is not valid here', description ?? 'see scenario.schema.json');
    }
    case 'invalid_type':
      if (value === undefined) return missingError(pathOf(keys), `${article(issue.expected)}${description ? `: ${description}` : ''}`);
      return scenarioError(pathOf(keys), value, `is not ${article(issue.expected)}`, description ?? issue.expected);
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
      const what = issue.origin === 'array' ? `${Array.isArray(value) ? value.length : 0} entries` : issue.origin === 'string' ? 'a string of that length' : 'out of range';
      return scenarioError(pathOf(keys), value, issue.origin === 'array' ? `has ${what}` : `is ${what}`, `${bound}${issue.origin === 'array' ? ' entries' : ''}`);
    }
    case 'invalid_format':
      return scenarioError(pathOf(keys), value, 'is not in a valid form', description ?? issue.message);
    default:
      return scenarioError(pathOf(keys), value, `is refused: ${issue.message}`, description ?? 'see scenario.schema.json');
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

function descriptionOf(schema: z.core.$ZodType): string | undefined {
  const own = (schema as unknown as { description?: unknown }).description;
  if (typeof own === 'string') return lowerFirst(own);
  const inner = bare(schema) as unknown as { description?: unknown };
  return typeof inner.description === 'string' ? lowerFirst(inner.description) : undefined;
}

function lowerFirst(text: string): string {
  return text.replace(/\.$/, '').replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase());
}

/** The keys the definition allows in the object at `keys` of `data` (for sweeps over fields not written). */
export function keysAt(root: z.core.$ZodType, data: unknown, keys: readonly PropertyKey[]): string[] {
  return objectKeys(schemaAt(root, data, keys), valueAt(data, keys));
}
