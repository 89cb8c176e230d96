// Writes scenario.schema.json (the JSON Schema generated from the one
// definition in src/definition.ts); src/schema.test.ts fails when it is stale.
import { writeFileSync } from 'node:fs';
import { scenarioSchema } from '../src/schema.js';

writeFileSync(new URL('../scenario.schema.json', import.meta.url), `${JSON.stringify(scenarioSchema, null, 2)}\n`);
