/**
 * The root README's "Model your own system" shows a scenario file, the
 * command and the report it prints: the built CLI runs that very file and
 * must print that very report (the README-example check runs only ts/js
 * blocks, so this one is checked here).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

/** The body of the first ```lang fence after `from` in `text`. */
function fence(text: string, lang: string, from: number): { body: string; end: number } {
  const open = text.indexOf(`\n\`\`\`${lang}\n`, from);
  if (open < 0) throw new Error(`no \`\`\`${lang} block after offset ${from}`);
  const start = open + lang.length + 5;
  const close = text.indexOf('\n```\n', start - 1);
  return { body: text.slice(start, close + 1), end: close + 4 };
}

describe('README: Model your own system', () => {
  it('the scenario shown, run with the command shown, prints the report shown', () => {
    const at = readme.indexOf('\n## Model your own system\n');
    expect(at).toBeGreaterThan(0);
    const scenario = fence(readme, 'yaml', at);
    const command = fence(readme, 'sh', scenario.end);
    const shown = fence(readme, 'text', command.end);
    expect(command.body).toBe('pnpm start run my-system.yaml\n');
    const dir = mkdtempSync(join(tmpdir(), 'vcm-readme-'));
    writeFileSync(join(dir, 'my-system.yaml'), scenario.body);
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env['FORCE_COLOR'];
    const r = spawnSync(process.execPath, [cli, 'run', 'my-system.yaml'], { cwd: dir, encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(shown.body);
  });
});
