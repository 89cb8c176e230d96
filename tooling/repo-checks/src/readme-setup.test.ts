/**
 * The root README's set-up gives exactly the two commands a newcomer needs,
 * with nothing but Node 20 and npm: the reference app, and every test (the
 * command CI runs, `.ci/run` ends with it).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fences } from './readme-examples.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const ci = readFileSync(new URL('../../../.ci/run', import.meta.url), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README.md set-up', () => {
  it('gives the two set-up commands: the app and the tests', () => {
    const sh = fences(section('Set-up')).filter((f) => f.info[0] === 'sh');
    expect(sh.map((f) => f.body.join('\n').trim())).toEqual(['npm i -g pnpm@10.34.9 && pnpm install --reporter=default && pnpm start', 'pnpm test']);
  });

  it("is what CI runs: .ci/run installs pnpm 10.34.9 and ends with the README's test command", () => {
    expect(ci).toContain('pnpm@10.34.9');
    expect(ci.trimEnd().split('\n').at(-1)).toBe('pnpm test');
  });
});
