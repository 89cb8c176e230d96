// Shared benchmark plumbing: every package writes bench/results.json as an
// array of { name, value, unit } and prints a table beside its goals.
// Goals are reported, never asserted (speed is measured, not tested:
// CONTRIBUTING.md#benchmarks).
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';

export async function measureOps(c) {
  c.setup?.();
  const bench = new Bench({ time: c.time ?? 500, warmupTime: 100 });
  bench.add(c.name, c.fn);
  await bench.run();
  const task = bench.tasks[0];
  const hz = task?.result?.throughput?.mean ?? task?.result?.hz ?? 0;
  const value = Math.round(hz * (c.scale ?? 1));
  const out = { name: c.name, value, unit: c.unit ?? 'ops/s' };
  if (c.goal) out.goal = c.goal;
  if (c.note) out.note = c.note;
  return out;
}

// With --expose-gc (the packages' `bench` scripts pass it), collect garbage
// before each timed run so that a collection of earlier runs' garbage does
// not land inside the one being timed.
const collect = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};

export function bestTimeMs(fn, runs = 5) {
  fn();
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    collect();
    const t0 = process.hrtime.bigint();
    fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1e6;
    if (dt < best) best = dt;
  }
  return best;
}

function meets(f) {
  if (!f.goal) return '';
  const ok = f.goal.op === '>=' ? f.value >= f.goal.value : f.value <= f.goal.value;
  return ok ? 'yes' : 'NO';
}

export function report(packageDir, figures) {
  const rows = figures.map((f) => ({
    name: f.name,
    value: Number.isInteger(f.value) ? f.value.toLocaleString('en-US') : f.value.toFixed(3),
    unit: f.unit,
    goal: f.goal ? `${f.goal.op} ${f.goal.value.toLocaleString('en-US')}` : '',
    met: meets(f),
    note: f.note ?? '',
  }));
  console.table(rows);
  const dir = join(packageDir, 'bench');
  mkdirSync(dir, { recursive: true });
  const results = figures.map(({ name, value, unit }) => ({ name, value, unit }));
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  console.log(`wrote ${join(dir, 'results.json')}`);
}
