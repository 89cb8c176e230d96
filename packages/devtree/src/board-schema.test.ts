import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { boardSchema } from './board-schema.js';
import { FORMAT_NAMES } from './board.js';

describe('board.schema.json', () => {
  it('is the published copy of boardSchema (regenerate with `pnpm schema`)', () => {
    const file: unknown = JSON.parse(readFileSync(new URL('../board.schema.json', import.meta.url), 'utf8'));
    expect(file).toEqual(JSON.parse(JSON.stringify(boardSchema)));
  });

  it('names the formats the validator accepts and forbids unknown keys everywhere', () => {
    expect(boardSchema.$defs.smmu.properties.format.enum).toEqual(FORMAT_NAMES);
    const objects = [boardSchema, ...Object.values(boardSchema.$defs)].filter((d) => 'properties' in d);
    for (const d of objects) expect((d as { additionalProperties?: unknown }).additionalProperties).toBe(false);
  });

  it('accepts both address spellings', () => {
    const [num, str] = boardSchema.$defs.address.oneOf;
    expect(num.type).toBe('integer');
    const re = new RegExp(str.pattern);
    expect(re.test('0x3800_0000')).toBe(true);
    expect(re.test('0x38000000')).toBe(true);
    expect(re.test('0x_38')).toBe(false);
    expect(re.test('38000000')).toBe(false);
  });
});
