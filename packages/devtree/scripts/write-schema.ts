// Writes board.schema.json (the JSON Schema generated from the one definition
// in src/board.ts) and the generated field table of docs/boards.md;
// src/board-schema.test.ts and src/board-docs.test.ts fail when either is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { boardSchema } from '../src/board-schema.js';
import { withFieldTable } from '../src/board-docs.js';

writeFileSync(new URL('../board.schema.json', import.meta.url), `${JSON.stringify(boardSchema, null, 2)}\n`);

const docs = new URL('../../../docs/boards.md', import.meta.url);
writeFileSync(docs, withFieldTable(readFileSync(docs, 'utf8')));
