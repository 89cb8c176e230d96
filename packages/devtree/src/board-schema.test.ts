import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { boardSchema } from './board-schema.js';
import { VcmError } from '@vcm/core';
import { FORMAT_NAMES } from './board.js';
import { msm8x60Board } from './presets.js';
import { validateBoard } from './validate-board.js';

/** The generated schema, read without its JSON Schema type (the assertions say what each part must be). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const schema: any = boardSchema;

describe('board.schema.json', () => {
  it('is the published copy of boardSchema (regenerate with `pnpm schema`)', () => {
    const file: unknown = JSON.parse(readFileSync(new URL('../board.schema.json', import.meta.url), 'utf8'));
    expect(file).toEqual(JSON.parse(JSON.stringify(schema)));
  });

  it('names the formats the validator accepts and forbids unknown keys everywhere', () => {
    expect(schema.$defs.smmu.properties.format.enum).toEqual(FORMAT_NAMES);
    const objects = [schema, ...Object.values(schema.$defs as object)].filter((d) => 'properties' in d);
    for (const d of objects) expect((d as { additionalProperties?: unknown }).additionalProperties).toBe(false);
  });

  it('bounds numbers exactly as validateBoard does', () => {
    type Smmu = { contextBanks: number; tlb: { entries: number } };
    const smmu = schema.$defs.smmu.properties;
    const cases: ReadonlyArray<readonly [string, number, (s: Smmu, v: number) => void]> = [
      ['contextBanks', smmu.contextBanks.maximum, (s, v) => (s.contextBanks = v)],
      ['tlb.entries', smmu.tlb.properties.entries.maximum, (s, v) => (s.tlb.entries = v)],
    ];
    // The largest value the schema allows must validate, the next must not.
    for (const [key, max, set] of cases) {
      const ok = structuredClone(msm8x60Board()) as unknown as { smmus: Smmu[] };
      set(ok.smmus[0]!, max);
      expect(() => validateBoard(ok), key).not.toThrow();
      const bad = structuredClone(msm8x60Board()) as unknown as { smmus: Smmu[] };
      set(bad.smmus[0]!, max + 1);
      expect(() => validateBoard(bad), key).toThrow(VcmError);
    }
  });

  it('accepts both address spellings', () => {
    const [num, str] = schema.$defs.address.oneOf;
    expect(num.type).toBe('integer');
    const re = new RegExp(str.pattern);
    expect(re.test('0x3800_0000')).toBe(true);
    expect(re.test('0x38000000')).toBe(true);
    expect(re.test('0x_38')).toBe(false);
    expect(re.test('38000000')).toBe(false);
  });
});
