/**
 * The JSON Schema (draft 2020-12) of a board description, generated from the
 * one definition (`board.ts`) by `z.toJSONSchema`. The package ships the
 * same object as `@vcm/devtree/board.schema.json` (written by
 * `pnpm schema`; a test fails when the file is stale), so editors can
 * complete and check board files. `validateBoard` goes further than the
 * schema can (docs/boards.md#rules).
 */
import * as z from 'zod';
import { boardDescription, jsonMeta } from './board.js';

/** Where the schema says it lives; boards in this repository point at the file by relative path. */
export const BOARD_SCHEMA_ID = 'https://vcm.invalid/devtree/board.schema.json';

function generate(): z.core.JSONSchema.BaseSchema {
  // The input side: what a user writes (addresses as hex strings or numbers, defaults optional).
  const generated = z.toJSONSchema(boardDescription, { metadata: jsonMeta, io: 'input', target: 'draft-2020-12' });
  return { $schema: generated.$schema ?? 'https://json-schema.org/draft/2020-12/schema', $id: BOARD_SCHEMA_ID, ...generated };
}

/** The schema object. Keys listed here are the only keys `validateBoard` accepts. */
export const boardSchema: z.core.JSONSchema.BaseSchema = generate();
