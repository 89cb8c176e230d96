// Writes board.schema.json from src/board-schema.ts (the one source of truth);
// src/board-schema.test.ts fails when the two differ.
import { writeFileSync } from 'node:fs';
import { boardSchema } from '../src/board-schema.js';

writeFileSync(new URL('../board.schema.json', import.meta.url), `${JSON.stringify(boardSchema, null, 2)}\n`);
