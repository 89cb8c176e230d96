/**
 * The root README's "A first look" example is real code: run it against the
 * built packages and compare with the output the README shows.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`## ${title}`);
  const end = readme.indexOf('\n## ', start + 1);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The `nth` fenced block whose info string is `lang` ('' for a bare fence). */
function fenced(text: string, lang: string, nth = 0): string {
  const blocks: Array<{ lang: string; body: string[] }> = [];
  let open: { lang: string; body: string[] } | undefined;
  for (const line of text.split('\n')) {
    if (open === undefined) {
      const m = /^```(\w*)$/.exec(line);
      if (m) open = { lang: m[1] ?? '', body: [] };
    } else if (line === '```') {
      blocks.push(open);
      open = undefined;
    } else {
      open.body.push(line);
    }
  }
  const block = blocks.filter((b) => b.lang === lang)[nth];
  if (block === undefined) throw new Error(`no \`\`\`${lang} block #${nth}`);
  return block.body.join('\n') + '\n';
}

describe('README.md', () => {
  it('"A first look" prints what the README says it prints', () => {
    const text = section('A first look');
    // The script must live inside the app so that @vcm/* resolve through its node_modules.
    const script = `${appDir}readme-first-look.tmp.mjs`;
    writeFileSync(script, fenced(text, 'js'));
    try {
      const out = execFileSync(process.execPath, [script], { encoding: 'utf8' });
      expect(out).toBe(fenced(text, ''));
    } finally {
      rmSync(script, { force: true });
    }
  });

  it('gives the two set-up commands: the app and the tests', () => {
    const setup = section('Set-up');
    expect(fenced(setup, 'sh', 0).trim()).toBe('npm i -g pnpm@10.34.9 && pnpm install && pnpm start');
    expect(fenced(setup, 'sh', 1).trim()).toBe('pnpm test');
  });
});
