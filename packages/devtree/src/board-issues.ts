/**
 * A zod issue of the board definition turned into the board error form
 * (`board-errors.ts`): the JSON path is followed through the definition to
 * the schema that refused the value, whose `Wording` says what was wrong
 * and what is allowed. Unknown keys get a "did you mean" when a known key
 * is close (`suggest.ts`).
 */
import type { VcmError } from '@vcm/core';
import type * as z from 'zod';
import { quoteList, wordingOf } from './board.js';
import { boardError, jsonPath, missingError } from './board-errors.js';
import { closestNames } from './suggest.js';

type Issue = z.core.$ZodIssue;

interface Place {
  readonly schema: z.core.$ZodType | undefined;
  readonly value: unknown;
  readonly parent: { readonly schema: z.core.$ZodType | undefined; readonly value: unknown } | undefined;
}

function isRecord(value: unknown): value is Readonly<Record<PropertyKey, unknown>> {
  return typeof value === 'object' && value !== null;
}

/** The schema and the value at `keys`, and their parent. */
function placeAt(root: z.core.$ZodType, data: unknown, keys: readonly PropertyKey[]): Place {
  let schema: z.core.$ZodType | undefined = root;
  let value = data;
  let parent: Place['parent'];
  for (const key of keys) {
    parent = { schema, value };
    schema = schema === undefined ? undefined : wordingOf(schema)?.child?.(key, value);
    value = isRecord(value) ? value[key] : undefined;
  }
  return { schema, value, parent };
}

/**
 * The error for the first zod issue of `data` against `root`. Issues inside
 * a union that says which option a value meant (a pool with "contiguous" is
 * a contiguous pool) are reported from that option.
 */
export function issueError(root: z.core.$ZodType, data: unknown, issue: Issue, prefix: readonly PropertyKey[] = []): VcmError {
  const keys = [...prefix, ...issue.path];
  const place = placeAt(root, data, keys);
  const wording = place.schema === undefined ? undefined : wordingOf(place.schema);

  if (issue.code === 'invalid_union' && wording?.branch !== undefined) {
    const inner = issue.errors[wording.branch(place.value)]?.[0];
    if (inner !== undefined) return issueError(root, data, inner, keys);
  }
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const near = closestNames(key, wording?.keys ?? [], 1);
    const hint = near.length > 0 ? `; did you mean ${quoteList(near)}?` : '';
    const facts = { code: issue.code, value: key };
    return boardError(jsonPath([...keys, key]), key, `${wording?.problem(facts) ?? 'is not a known key'}${hint}`, wording?.allowed(facts) ?? 'the keys of the board format');
  }
  const last = keys.at(-1);
  const parentWording = place.parent?.schema === undefined ? undefined : wordingOf(place.parent.schema);
  if (place.value === undefined && typeof last === 'string' && parentWording?.needs !== undefined && isRecord(place.parent?.value)) {
    return missingError(jsonPath(keys), parentWording.needs);
  }
  const facts = { code: issue.code, value: place.value };
  // Every schema of the definition is worded; zod's own message is the fallback for a gap.
  return boardError(jsonPath(keys), place.value, wording?.problem(facts) ?? `is refused: ${issue.message}`, wording?.allowed(facts) ?? 'see board.schema.json');
}
