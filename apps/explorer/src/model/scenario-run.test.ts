import { readFileSync } from 'node:fs';
import { parseScenario, runScenario } from '@vcm/scenario';
import { describe, expect, it } from 'vitest';
import { runScenarioText } from './scenario-run.js';

const text = readFileSync(new URL('../../../../examples/scenarios/video-playback.yaml', import.meta.url), 'utf8');

describe('runScenarioText (what the scenario worker runs)', () => {
  const lines: string[] = [];
  const out = runScenarioText(text, new Map(), (l) => lines.push(l));

  it('gives the report runScenario gives, as plain data a worker can post (structured clone keeps it whole)', () => {
    if (!('run' in out)) throw new Error(`refused: ${out.error.message}`);
    expect(out.run.report).toEqual(runScenario(parseScenario(text)));
    expect(structuredClone(out.run)).toEqual(out.run);
    expect(out.run.steps.map((s) => s.state !== undefined)).toEqual([true, true]);
  });

  it('reports progress lines, the set-up first and the traffic up to its end', () => {
    expect(lines[0]).toBe('set up; running the traffic');
    expect(lines.at(-1)).toMatch(/^traffic: .*\((\d+) of \1\)$/);
  });

  it('a bad value is the validator\'s error at its path, and nothing runs', () => {
    const calls: string[] = [];
    const bad = runScenarioText(text.replace('access: write', 'access: wirte'), new Map(), (l) => calls.push(l));
    expect('error' in bad && bad.error.path).toMatch(/access$/);
    expect(calls).toEqual([]);
  });
});
