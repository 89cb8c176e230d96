// `pnpm test`: everything CI checks, through turbo, in two phases — first
// the typecheck, lint and pack checks (publint, attw) of every package,
// then every package's vitest suite (repo-checks' among them runs every
// README example). It closes with one line per failed check and one count
// over all packages ("Tests: N passed, N failed, N skipped") so a reader —
// or CI — sees the whole monorepo's result at the end instead of the last
// package's. Any failure, check or test, makes the exit status 1.
//
// Arguments are passed to turbo: `pnpm test --filter=@vcm/smmu`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const turboArgs = process.argv.slice(2);

const phases = [
  // Only a failing check's log is worth printing; the count at the end says the rest passed.
  { tasks: ['typecheck', 'lint', 'check:pack'], logs: 'errors-only' },
  { tasks: ['test'], logs: 'full' },
];

/** The workspace packages that have a `test` script, as directories. */
function testedPackages() {
  const dirs = ['packages', 'apps', 'tooling'].flatMap((top) =>
    existsSync(join(root, top)) ? readdirSync(join(root, top)).map((d) => join(root, top, d)) : [],
  );
  return dirs.filter((dir) => {
    const manifest = join(dir, 'package.json');
    return existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test !== undefined;
  });
}

/** Run one turbo phase; returns the tasks that failed (`pkg#task`) as turbo's run summary records them. */
function runPhase({ tasks, logs }) {
  const runsDir = join(root, '.turbo', 'runs');
  const started = Date.now();
  const args = ['exec', 'turbo', 'run', ...tasks, '--continue', '--summarize', `--output-logs=${logs}`, ...turboArgs];
  const run = spawnSync('pnpm', args, { cwd: root, stdio: 'inherit' });
  const summaries = existsSync(runsDir)
    ? readdirSync(runsDir)
        .map((f) => join(runsDir, f))
        .filter((f) => f.endsWith('.json') && statSync(f).mtimeMs >= started - 1000)
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    : [];
  const failed = [];
  if (summaries[0] !== undefined) {
    const summary = JSON.parse(readFileSync(summaries[0], 'utf8'));
    for (const t of summary.tasks ?? []) if (t.execution && t.execution.exitCode !== 0) failed.push(t.taskId);
    rmSync(summaries[0], { force: true });
  }
  if (run.status !== 0 && failed.length === 0) failed.push(`turbo run ${tasks.join(' ')} (exit ${run.status ?? run.signal})`);
  return failed;
}

const tested = testedPackages();
const resultFile = (dir) => join(dir, 'test-results.json');
for (const dir of tested) rmSync(resultFile(dir), { force: true });

// A task both phases need (a build) fails in both: name it once.
const failedTasks = [...new Set(phases.flatMap(runPhase))];

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const dir of tested) {
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

// With turbo arguments (a --filter) some packages are not run at all: their
// missing results are expected then, not a failure.
const missingFails = missing.length > 0 && turboArgs.length === 0;
console.log('');
for (const task of failedTasks) {
  const [pkg, name] = task.split('#');
  console.log(name === undefined ? `FAILED: ${task}` : `FAILED: ${name} of ${pkg}`);
}
if (missingFails) console.log(`FAILED: no test results from ${missing.join(', ')}`);
else if (missing.length) console.log(`not run: ${missing.join(', ')}`);
if (failedTasks.length === 0 && !missingFails) console.log('typecheck, lint, check:pack: all passed');
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failedTasks.length === 0 && !missingFails && failed === 0 ? 0 : 1);
