/**
 * The JSON Schema (draft 2020-12) of a scenario, generated from the one
 * definition (`definition.ts`) by `z.toJSONSchema`. The package ships it as
 * `@vcm/scenario/scenario.schema.json` (written by `pnpm schema`; a test
 * fails when the file is stale), so editors complete and check scenario
 * files. `validateScenario` goes further (docs/scenarios.md#rules).
 */
import * as z from 'zod';
import { scenarioDescription } from './definition.js';

/** Where the schema says it lives. */
export const SCENARIO_SCHEMA_ID = 'https://vcm.invalid/scenario/scenario.schema.json';

function generate(): z.core.JSONSchema.BaseSchema {
  // The input side: what a user writes (sizes as strings or numbers, defaults optional).
  const generated = z.toJSONSchema(scenarioDescription, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' });
  return { $schema: generated.$schema ?? 'https://json-schema.org/draft/2020-12/schema', $id: SCENARIO_SCHEMA_ID, ...generated };
}

/** The schema object. */
export const scenarioSchema: z.core.JSONSchema.BaseSchema = generate();
