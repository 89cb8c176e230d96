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

/** Print the table and write `<packageDir>/bench/results.json`. Exits non-zero never: goals are reported, not asserted. */
export function report(packageDir: string, figures: BenchFigure[]): void;
