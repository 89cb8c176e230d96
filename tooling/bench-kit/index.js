// Shared benchmark plumbing: every package's bench/index.ts measures its
// figures ({ name, value, unit }) and calls report(), which prints a table
// beside the goals the package names. Goals are reported, never asserted
// (speed is measured, not tested).
//
// A plain `pnpm bench` leaves the working tree as it was: results go to
// bench/last-run.json, which git ignores. `pnpm bench --record` (run.js
// passes the flag through turbo to each package's script) writes the
// tracked bench/results.json instead, for a commit that records new figures.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/** The file `report` writes: the tracked record only when the run was asked to `--record`. */
export function resultsFile(packageDir, argv = process.argv) {
  return join(packageDir, 'bench', argv.includes('--record') ? 'results.json' : 'last-run.json');
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
  const file = resultsFile(packageDir);
  mkdirSync(dirname(file), { recursive: true });
  const results = figures.map(({ name, value, unit }) => ({ name, value, unit }));
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(`wrote ${file}${file.endsWith('results.json') ? '' : ' (untracked; `pnpm bench --record` writes bench/results.json)'}`);
}

// The floor: how fast the machine does the same work with nothing of ours in
// the way — a plain typed-array loop moving the same bytes or storing the
// same words. Measured in the same run as the figures it is set beside, so
// that a loaded or slow machine moves both and their ratio still says what
// the model costs.

/** `value` as a multiple of `floor`: how many times the floor's cost, whichever way the unit reads. */
export function timesFloor(value, floor, better) {
  const ratio = better === 'lower' ? value / floor : floor / value;
  return Math.round(ratio * 100) / 100;
}

export async function againstFloor(c) {
  const best = (a, b) => (c.better === 'lower' ? Math.min(a, b) : Math.max(a, b));
  // The floor before and after the figures; the better of the two, so that a
  // slow moment during one floor run does not flatter the figures.
  const before = await c.floor.measure();
  const measured = [];
  for (const f of c.figures) measured.push(await f.measure());
  const floor = best(before, await c.floor.measure());
  const out = [{ name: c.floor.name, value: floor, unit: c.unit, note: c.floor.note }];
  for (const [i, f] of c.figures.entries()) {
    const value = measured[i];
    const figure = { name: f.name, value, unit: c.unit };
    if (f.goal) figure.goal = f.goal;
    if (f.note) figure.note = f.note;
    out.push(figure);
    out.push({
      name: `${f.name}-x-floor`,
      value: timesFloor(value, floor, c.better),
      unit: 'x floor',
      note: `${f.name} costs this many times ${c.floor.name}, measured in the same run`,
    });
  }
  return out;
}

// The floor of a copy through 4 KiB pages (docs/performance.md#the-data-path):
// per page, the translation of a 32-entry TLB that misses on every page, in
// typed arrays — the slot from the page number, one tag compare, the two
// dependent descriptor loads of a two-level walk (a short-format level-1
// table and its level-2 tables in a Uint32Array standing for RAM), the fill
// — then the page's 4 KiB copied with Uint8Array.set: into a fresh buffer of
// `bytes` (a read returns one) or from the caller's buffer into the page (a
// write). Pages are carved 16 to a 64 KiB buffer, as the product RAM carves
// them. MiB per second, the best of `runs` after a warm-up.
const PAGE = 4096;
const L2_AT = 16 * 1024;
const FLOOR_VA = 0x1000_0000;

export function pageCopyFloorMiBPerS(bytes, direction, runs = 15) {
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % (256 * PAGE) !== 0) throw new RangeError(`pageCopyFloorMiBPerS: bytes must be a positive multiple of 1 MiB, got ${bytes}`);
  if (direction !== 'read' && direction !== 'write') throw new RangeError(`pageCopyFloorMiBPerS: direction must be 'read' or 'write', got ${String(direction)}`);
  const pages = bytes / PAGE;
  const ram = new Uint32Array((L2_AT + pages * 4) / 4);
  for (let i = 0; i < pages / 256; i++) ram[(FLOOR_VA >>> 20) + i] = (L2_AT + i * 1024) | 0b01;
  for (let p = 0; p < pages; p++) ram[L2_AT / 4 + p] = ((p * PAGE) | 0b10) >>> 0;
  const frames = [];
  for (let p = 0; p < pages; p += 16) {
    const chunk = new ArrayBuffer(16 * PAGE);
    for (let k = 0; k < 16; k++) frames.push(new Uint8Array(chunk, k * PAGE, PAGE));
  }
  const tags = new Int32Array(32).fill(-1);
  const pas = new Int32Array(32);
  const source = new Uint8Array(bytes).fill(0x5a);
  let sink = 0;
  const pass = () => {
    const out = direction === 'read' ? new Uint8Array(bytes) : source;
    for (let a = FLOOR_VA; a < FLOOR_VA + bytes; a += PAGE) {
      const vpn = a >>> 12;
      const s = vpn & 31;
      if (tags[s] !== vpn) {
        const l1 = ram[a >>> 20];
        const l2 = ram[((l1 & ~0x3ff) >>> 2) + (vpn & 0xff)];
        tags[s] = vpn;
        pas[s] = l2 & ~0xfff;
      }
      const frame = frames[pas[s] >>> 12];
      if (direction === 'read') out.set(frame, a - FLOOR_VA);
      else frame.set(out.subarray(a - FLOOR_VA, a - FLOOR_VA + PAGE));
    }
    sink += out[bytes - 1];
  };
  const rate = bestMiBPerS(bytes, pass, runs);
  if (sink === -1) console.log(sink);
  return rate;
}

// MiB per second of `fn`, which moves `bytes` each call: the best of `runs` after a warm-up of five calls.
export function bestMiBPerS(bytes, fn, runs = 15) {
  for (let i = 0; i < 5; i++) fn();
  return Math.round(bytes / (1024 * 1024) / (bestTimeMs(fn, runs) / 1000));
}
