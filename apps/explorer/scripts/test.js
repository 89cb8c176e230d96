// `pnpm test` of the explorer: the model's unit tests (vitest), then a fresh
// static build and the browser tests (Playwright, Debian's Chromium) against
// it on a free port. Both counts go into test-results.json, which the root
// `pnpm test` sums (tooling/test-runner). Exit status 1 if anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '..');
const results = join(dir, 'test-results.json');
const browserResults = join(dir, 'test-artifacts', 'playwright.json');

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: dir, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

/** A TCP port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

rmSync(browserResults, { force: true });
const unit = run('npx', ['vitest', 'run']);
const unitCounts = existsSync(results) ? JSON.parse(readFileSync(results, 'utf8')) : { numPassedTests: 0, numFailedTests: 1, numPendingTests: 0, numTodoTests: 0 };

const build = run('npx', ['vite', 'build', '--logLevel', 'warn']);
let browser = build;
if (build === 0) browser = run('npx', ['playwright', 'test'], { EXPLORER_PORT: String(await freePort()) });
const stats = existsSync(browserResults) ? JSON.parse(readFileSync(browserResults, 'utf8')).stats : undefined;

const merged = {
  ...unitCounts,
  numPassedTests: (unitCounts.numPassedTests ?? 0) + (stats?.expected ?? 0),
  // A build or browser run that died before reporting counts as one failure.
  numFailedTests: (unitCounts.numFailedTests ?? 0) + (stats === undefined ? (browser === 0 ? 0 : 1) : stats.unexpected + stats.flaky),
  numPendingTests: (unitCounts.numPendingTests ?? 0) + (stats?.skipped ?? 0),
};
writeFileSync(results, JSON.stringify(merged));
process.exit(unit === 0 && build === 0 && browser === 0 ? 0 : 1);
