// `pnpm test`: build what the tests need and run every package's vitest
// suite through turbo, then print one closing line over all packages
// ("Tests: N passed, N failed, N skipped") so a reader — or CI — sees the
// whole monorepo's count at the end instead of the last package's.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const dirs = ['packages', 'apps', 'tooling'].flatMap((top) =>
  existsSync(join(root, top)) ? readdirSync(join(root, top)).map((d) => join(root, top, d)) : [],
);
const resultFile = (dir) => join(dir, 'test-results.json');
for (const dir of dirs) rmSync(resultFile(dir), { force: true });

const args = ['exec', 'turbo', 'run', 'test', '--output-logs=full', ...process.argv.slice(2)];
const run = spawnSync('pnpm', args, { cwd: root, stdio: 'inherit' });

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const dir of dirs) {
  if (!existsSync(join(dir, 'package.json'))) continue;
  const file = resultFile(dir);
  if (!existsSync(file)) {
    missing.push(dir.slice(root.length + 1));
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
if (missing.length) console.log(`no test results from: ${missing.join(', ')}`);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
