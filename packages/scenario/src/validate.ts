/**
 * Validation of a scenario (docs/scenarios.md#errors): the text (YAML or
 * JSON), then the structure from the one definition (`definition.ts`),
 * then the board, then the rules (`rules.ts`), then every sweep point. The
 * first problem is thrown as `VcmError` `EINVAL` with the path in the file
 * and, for a mistyped name, the closest valid names. The input is never
 * changed.
 */
import { VcmError } from '@vcm/core';
import { boardSchema } from '@vcm/devtree';
import type { Board } from '@vcm/devtree';
import { scenarioDescription } from './definition.js';
import type { Scenario } from './definition.js';
import { issueError, keysAt, scenarioError } from './issues.js';
import { parseScenarioText } from './parse-text.js';
import { checkRules, presetBoard, resolveBoard } from './rules.js';
import type { BufferPlan } from './rules.js';
import { crossProduct, setField } from './sweep.js';
import type { Segment } from './sweep.js';

/** A scenario ready to run: validated, its board resolved, its buffers sized, its sweep expanded. */
export interface CheckedScenario {
  readonly scenario: Scenario;
  /** The board as written (a preset expanded): what `buildPlatform` is given. */
  readonly boardDescription: unknown;
  readonly board: Board;
  readonly buffers: readonly BufferPlan[];
  /** The sweep's points (none without a sweep), each a whole checked scenario. */
  readonly points: readonly SweepPoint[];
}

/** One point of a sweep: the field values and the scenario they make. */
export interface SweepPoint {
  readonly values: Readonly<Record<string, unknown>>;
  readonly scenario: CheckedScenario;
}

function checkOne(input: unknown): Omit<CheckedScenario, 'points'> {
  const parsed = scenarioDescription.safeParse(input);
  if (!parsed.success) throw issueError(scenarioDescription, input, parsed.error.issues[0]!);
  const scenario = parsed.data;
  const { description, board } = resolveBoard(scenario.board);
  const buffers = checkRules(scenario, board);
  return { scenario, boardDescription: description, board, buffers };
}

/** A JSON Schema node, as far as board paths need it. */
interface SchemaNode {
  readonly $ref?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
}

/** The keys the board format allows at a path into the board (its published JSON Schema), set or not. */
function boardKeysAt(segments: readonly Segment[]): string[] {
  const defs = (boardSchema as { readonly $defs?: Readonly<Record<string, SchemaNode>> }).$defs ?? {};
  const deref = (n: SchemaNode | undefined): SchemaNode | undefined => (n?.$ref === undefined ? n : defs[n.$ref.replace('#/$defs/', '')]);
  let node = deref(boardSchema as SchemaNode);
  for (const s of segments) node = deref('key' in s ? node?.properties?.[s.key] : node?.items);
  return Object.keys(node?.properties ?? {});
}

function keysFor(input: unknown, segments: readonly Segment[]): string[] {
  if (segments.length === 0) return keysAt(scenarioDescription, input, []);
  if ('key' in segments[0]! && segments[0].key === 'board') return boardKeysAt(segments.slice(1));
  const keys = segments.map((s) => ('key' in s ? s.key : 0));
  return keysAt(scenarioDescription, input, keys);
}

function expandSweep(input: unknown, scenario: Scenario): SweepPoint[] {
  const sweep = scenario.sweep;
  if (sweep === undefined) return [];
  const size = sweep.axes.reduce((n, a) => n * a.values.length, 1);
  if (size > sweep.max) {
    throw scenarioError('sweep.axes', size, `points are more than sweep.max (${sweep.max})`, `at most ${sweep.max} points (the product of the axes' value counts), or a larger max up to 4096`);
  }
  return crossProduct(sweep.axes.map((a, i) => a.values.map((v) => ({ i, v })))).map((combo) => {
    const copy = structuredClone(input) as Record<string, unknown>;
    delete copy['sweep'];
    if (sweep.axes.some((a) => a.field === 'board' || a.field.startsWith('board.') || a.field.startsWith('board[')) && typeof copy['board'] === 'string') {
      copy['board'] = structuredClone(presetBoard(scenario.board as Parameters<typeof presetBoard>[0]));
    }
    const values: Record<string, unknown> = {};
    for (const { i, v } of combo) {
      const field = sweep.axes[i]!.field;
      setField(copy, field, structuredClone(v), `sweep.axes[${i}].field`, (segments) => keysFor(copy, segments));
      values[field] = v;
    }
    try {
      return { values, scenario: { ...checkOne(copy), points: [] } };
    } catch (e) {
      if (e instanceof VcmError) {
        const at = Object.entries(values).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ');
        throw new VcmError('EINVAL', `sweep point (${at}): ${e.message}`, { ...e.details, point: values });
      }
      throw e;
    }
  });
}

/** Check a scenario (a plain value, e.g. parsed JSON) and prepare it to run. Throws `VcmError` `EINVAL` at the first problem. */
export function validateScenario(input: unknown): CheckedScenario {
  const checked = checkOne(input);
  return { ...checked, points: expandSweep(input, checked.scenario) };
}

/** Parse a scenario file's text (YAML or JSON) and check it; a syntax error names its line and column. */
export function parseScenario(text: string): CheckedScenario {
  return validateScenario(parseScenarioText(text));
}
