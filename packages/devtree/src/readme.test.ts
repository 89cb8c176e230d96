import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateBoard } from './validate-board.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README board reference', () => {
  it('the example board file validates', () => {
    // The README shows examples/boards/small.json as it is: plain JSON, as --board reads it.
    const block = /```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    expect(block).toBe(readFileSync(new URL('../../../examples/boards/small.json', import.meta.url), 'utf8'));
    const board = validateBoard(JSON.parse(block!));
    expect(board.smmus[0]!.contexts).toEqual([
      { name: 'vcodec_a_mm1', bank: 0 },
      { name: 'vcodec_a_stream', bank: 1 },
    ]);
  });

  it('the error examples are the messages the validator gives', () => {
    const shown = readme.split('\n').filter((l) => l.startsWith('EINVAL: board.'));
    expect(shown.length).toBeGreaterThanOrEqual(3);
    // Each quoted message names a JSON path the validator produces for that class (see validate-board.test.ts).
    for (const line of shown) expect(line).toMatch(/^EINVAL: board\.[\w.[\]]+: .+ \(allowed: .+\)$/);
  });
});
