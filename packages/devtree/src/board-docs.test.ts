import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VcmError } from '@vcm/core';
import { fieldTable, withFieldTable } from './board-docs.js';
import { msm8x60Board } from './presets.js';
import { validateBoard } from './validate-board.js';

const docs = readFileSync(new URL('../../../docs/boards.md', import.meta.url), 'utf8');

function messageOf(description: unknown): string {
  try {
    validateBoard(description);
  } catch (e) {
    expect(e).toBeInstanceOf(VcmError);
    return (e as VcmError).message;
  }
  throw new Error('validateBoard accepted a bad board');
}

describe('docs/boards.md', () => {
  it('holds the field table generated from the schema (regenerate with `pnpm schema`)', () => {
    expect(docs).toBe(withFieldTable(docs));
    expect(docs).toContain(fieldTable());
  });

  it('has a row for every key of the schema, with its bounds', () => {
    const table = fieldTable();
    for (const row of ['`smmus[].contextBanks` | integer 1–256 | yes', '`smmus[].tlb.entries` | integer 1–65536 | yes', '`cpus` | list of exactly 1 cpu | yes']) {
      expect(table).toContain(row);
    }
    expect(table).toContain('`memory.pools[].contiguous` | `true` | yes');
    expect(table).toContain('`smmus[].allowVirtualContexts` | boolean | no |');
  });

  it('quotes error messages exactly as the validator gives them', () => {
    const block = /## Errors[\s\S]*?```\n([\s\S]*?)```/.exec(docs)?.[1];
    const shown = block!.trim().split('\n');
    const format = structuredClone(msm8x60Board()) as unknown as { smmus: { format: string }[] };
    format.smmus[3]!.format = 'armV8';
    const align = structuredClone(msm8x60Board()) as unknown as { memory: { pools: { base: string }[] } };
    align.memory.pools[1]!.base = '0x3908_0000';
    const many = structuredClone(msm8x60Board()) as unknown as { smmus: { contexts: { name: string }[] }[] };
    many.smmus[0]!.contexts.push({ name: 'vcodec_a_mm3' });
    const key = structuredClone(msm8x60Board()) as unknown as { smmus: Record<string, unknown>[] };
    key.smmus[1]!['irqs'] = 97;
    expect(shown).toEqual([format, align, many, key].map(messageOf));
  });
});
