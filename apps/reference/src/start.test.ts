/**
 * `pnpm start …` from the repository root, exactly as the README tells a
 * new user to run it: the build goes to stderr so that `--json` on stdout
 * is one JSON document, a leading `--` (the npm habit) is passed on and
 * ignored, and a mistyped subcommand gets a suggestion and exit 2.
 *
 * pnpm itself would print its script banner (`> vcm-monorepo@ start …`)
 * on stdout before the script runs; the repository's `.npmrc` sets
 * `reporter=silent` so that it does not, and `pnpm start --json | jq` works
 * as written. Both forms are tested: plain and with `-s`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunReport } from './report.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
/** The build may have every package to compile on a busy machine. */
const BUILD_TIMEOUT = 600_000;

function pnpm(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  for (const k of ['CI', 'FORCE_COLOR', 'NO_COLOR', 'VCM_REF_FAULT_INJECT']) delete env[k];
  const r = spawnSync('pnpm', args, { cwd: root, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('pnpm start from the repository root', () => {
  it(
    'pnpm -s start --json: stdout is exactly one JSON document; the build went to stderr',
    () => {
      const r = pnpm(['-s', 'start', '--json', 'memory']);
      const report = JSON.parse(r.stdout) as RunReport;
      expect(report.walkthroughs.map((w) => w.id)).toEqual(['memory']);
      expect(r.stdout).not.toContain('Tasks:');
      expect(r.status).toBe(0);
    },
    BUILD_TIMEOUT,
  );

  it(
    'pnpm start --json: stdout is exactly one JSON document (no pnpm banner, no build output)',
    () => {
      const r = pnpm(['start', '--json', 'memory']);
      const report = JSON.parse(r.stdout) as RunReport;
      expect(report.summary.failed).toBe(0);
      expect(r.status).toBe(0);
    },
    BUILD_TIMEOUT,
  );

  it(
    'pnpm start -- --json memory: the -- pnpm passes on is ignored',
    () => {
      const r = pnpm(['-s', 'start', '--', '--json', 'memory']);
      expect((JSON.parse(r.stdout) as RunReport).walkthroughs.map((w) => w.id)).toEqual(['memory']);
      expect(r.status).toBe(0);
    },
    BUILD_TIMEOUT,
  );

  it(
    'pnpm start walkthroug: "did you mean walkthrough", exit 2',
    () => {
      const r = pnpm(['-s', 'start', 'walkthroug']);
      expect(r.stderr).toContain('(Did you mean walkthrough?)');
      expect(r.stdout).toBe('');
      expect(r.status).toBe(2);
    },
    BUILD_TIMEOUT,
  );

  it(
    'pnpm start --version prints the version',
    () => {
      const r = pnpm(['-s', 'start', '--version']);
      expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
      expect(r.status).toBe(0);
    },
    BUILD_TIMEOUT,
  );
});
