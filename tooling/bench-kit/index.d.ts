/** One figure a package reports: written to bench/results.json. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

/** A figure and the goal its issue names, for the printed table. */
export interface BenchFigure extends BenchResult {
  goal?: { op: '>=' | '<='; value: number };
  note?: string;
}

export interface OpsCase {
  /** result name, e.g. `alloc-free-4k-ops-per-s` */
  name: string;
  /** one operation; tinybench measures it and reports operations per second */
  fn: () => unknown;
  /** runs once before measuring (not timed) */
  setup?: () => unknown;
  /** multiply tinybench's ops/s by this (e.g. items per call); default 1 */
  scale?: number;
  unit?: string;
  goal?: { op: '>=' | '<='; value: number };
  note?: string;
  /** tinybench time budget in ms; default 500 */
  time?: number;
}

/** Measure operations per second of `fn` with tinybench. */
export function measureOps(c: OpsCase): Promise<BenchFigure>;

/** Time `fn` (ms), best of `runs` after one warm-up run; garbage is collected before each run when `gc` is exposed. */
export function bestTimeMs(fn: () => unknown, runs?: number): number;

/** `<packageDir>/bench/results.json` (tracked) when `argv` has `--record`, else `<packageDir>/bench/last-run.json` (ignored by git). */
export function resultsFile(packageDir: string, argv?: readonly string[]): string;

/** Print the table and write the figures to `resultsFile(packageDir)`. Exits non-zero never: goals are reported, not asserted. */
export function report(packageDir: string, figures: BenchFigure[]): void;

/** `value` as a multiple of `floor`: value / floor when lower is better (times), floor / value when higher is (rates). */
export function timesFloor(value: number, floor: number, better: 'lower' | 'higher'): number;

export interface FloorCase {
  /** the unit of the floor and of every figure, e.g. `ns/PTE`, `MiB/s` */
  unit: string;
  /** `lower` for times (ns per operation, ms), `higher` for rates (operations or bytes per second) */
  better: 'lower' | 'higher';
  /** a plain typed-array loop doing the same work, e.g. `{ name: 'typed-array-floor-ns-per-word', … }` */
  floor: { name: string; note: string; measure: () => number | Promise<number> };
  figures: Array<{ name: string; measure: () => number | Promise<number>; goal?: { op: '>=' | '<='; value: number }; note?: string }>;
}

/**
 * Measure the floor, every figure, then the floor again (its better run is
 * kept), and report the floor, then each figure followed by
 * `<figure>-x-floor`: how many times the floor's cost it is.
 */
export function againstFloor(c: FloorCase): Promise<BenchFigure[]>;

/**
 * The floor of a copy of `bytes` (a multiple of 1 MiB) through 4 KiB pages, in MiB/s: per page a missing
 * lookup, a two-level walk and a fill of a 32-entry TLB in typed arrays, then the page's 4 KiB copied
 * (`read`: into a fresh buffer; `write`: from the caller's buffer). Best of `runs` (default 15).
 */
export function pageCopyFloorMiBPerS(bytes: number, direction: 'read' | 'write', runs?: number): number;

/** MiB per second of `fn`, which moves `bytes` each call: the best of `runs` (default 15) after a warm-up of five calls. */
export function bestMiBPerS(bytes: number, fn: () => unknown, runs?: number): number;
