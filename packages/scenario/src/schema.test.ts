import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IMAGE_FORMATS, PATTERN_KINDS } from './definition.js';
import { scenarioSchema } from './schema.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const schema: any = scenarioSchema;

describe('scenario.schema.json', () => {
  it('is the published copy of scenarioSchema (regenerate with `pnpm schema`)', () => {
    const file: unknown = JSON.parse(readFileSync(new URL('../scenario.schema.json', import.meta.url), 'utf8'));
    expect(file).toEqual(JSON.parse(JSON.stringify(schema)));
  });

  it('names the image formats and patterns the validator accepts, and forbids unknown keys', () => {
    expect(schema.$defs.image.properties.format.enum).toEqual(IMAGE_FORMATS);
    expect(schema.$defs.traffic.properties.pattern.anyOf[0].enum).toEqual(PATTERN_KINDS);
    for (const d of ['buffer', 'image', 'space', 'mapping', 'traffic', 'sweep']) expect(schema.$defs[d].additionalProperties, d).toBe(false);
    expect(schema.additionalProperties).toBe(false);
  });
});
