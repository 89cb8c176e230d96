// `pnpm bench [--record] [turbo options]`: every package's benchmarks, one
// package at a time (they time things; running two at once would skew both).
// `--record` goes through to each package's bench script, which then writes
// the tracked bench/results.json; everything else is turbo's (`--filter=…`).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const args = process.argv.slice(2);
const record = args.includes('--record');
const turboArgs = args.filter((a) => a !== '--record');
const run = spawnSync('pnpm', ['exec', 'turbo', 'run', 'bench', '--concurrency=1', ...turboArgs, ...(record ? ['--', '--record'] : [])], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
