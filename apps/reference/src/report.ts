/**
 * The report model: what a walk-through returns and what the renderers
 * print. Walk-throughs never print; they record steps (the seed's C call
 * beside what ran and its result) and named checks, so the text and the
 * `--json` output are two views of one value.
 */

/** One call of a walk-through: the seed's C line, what this implementation ran, what came back. */
export interface Step {
  /** The seed's C call, literally (or `—` where the seed has no call for it, e.g. device traffic). */
  readonly cCall: string;
  /** The TypeScript call that ran (object API or `@vcm/core/compat`). */
  readonly ran: string;
  /** What it answered: addresses in hex, sizes in KiB/MiB. */
  readonly result: string;
  /** Heading of the stage the step belongs to ("Stage 1: …"), when the seed has stages. */
  readonly stage?: string;
  /** Where the seed and the API part ways, or anything a reader must not miss. */
  readonly note?: string;
  /** False when the call threw where the walk-through did not expect it to. */
  readonly ok: boolean;
}

/** A named assertion about the run: bytes equal, an address as documented, a counter as expected. */
export interface Check {
  readonly name: string;
  readonly pass: boolean;
  readonly expected: string;
  readonly actual: string;
}

export type Cell = string | number;

export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  /** Column indexes to right-align (numbers). */
  readonly numeric?: readonly number[];
  readonly note?: string;
}

export interface BarChart {
  readonly title: string;
  readonly unit: string;
  /** Bars are drawn on a log10 scale when the values span orders of magnitude. */
  readonly logScale: boolean;
  readonly bars: readonly { readonly label: string; readonly value: number }[];
  /** A line drawn across every bar at this value (a frame deadline), named in a line under the bars. */
  readonly marker?: { readonly label: string; readonly value: number };
}

/** A page-table dump or state snapshot, shown only with `--verbose`. */
export interface Detail {
  readonly title: string;
  readonly text: string;
  readonly data?: unknown;
}

/** `skipped`: the board lacks something the walk-through needs (`skipReasons` says what); nothing ran. */
export type WalkthroughStatus = 'passed' | 'failed' | 'skipped';

export interface WalkthroughReport {
  /** The subcommand name. */
  readonly id: string;
  readonly status: WalkthroughStatus;
  /** Why the walk-through was skipped: one sentence per thing the board lacks. Empty unless skipped. */
  readonly skipReasons: readonly string[];
  readonly title: string;
  /** Which seed section it replays. */
  readonly source: string;
  /** One paragraph: what this walk-through shows. */
  readonly summary: string;
  readonly steps: readonly Step[];
  /** Preformatted text always shown (e.g. the device tree). */
  readonly figures: readonly Detail[];
  readonly tables: readonly Table[];
  readonly charts: readonly BarChart[];
  readonly details: readonly Detail[];
  readonly checks: readonly Check[];
  /** Plain data for programs (addresses, counters); the same values the steps print. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly durationMs: number;
}

export interface RunReport {
  readonly tool: 'vcm-ref';
  readonly board: { readonly name: string; readonly source: string };
  readonly intro: string;
  readonly walkthroughs: readonly WalkthroughReport[];
  readonly summary: {
    readonly walkthroughs: number;
    /** Walk-throughs by status: every check passed, a check failed, skipped for the board. */
    readonly passedWalkthroughs: number;
    readonly failedWalkthroughs: number;
    readonly skippedWalkthroughs: number;
    /** `id: reason` for every skipped walk-through. */
    readonly skipped: readonly string[];
    readonly checks: number;
    readonly passed: number;
    readonly failed: number;
    readonly failedChecks: readonly string[];
    readonly durationMs: number;
  };
  readonly ok: boolean;
}

/** Sum the checks of every walk-through into the closing summary. */
export function summarize(walkthroughs: readonly WalkthroughReport[], durationMs: number): RunReport['summary'] {
  let checks = 0;
  let passed = 0;
  const failedChecks: string[] = [];
  const skipped: string[] = [];
  const byStatus = { passed: 0, failed: 0, skipped: 0 };
  for (const w of walkthroughs) {
    byStatus[w.status]++;
    for (const r of w.skipReasons) skipped.push(`${w.id}: ${r}`);
    for (const c of w.checks) {
      checks++;
      if (c.pass) passed++;
      else failedChecks.push(`${w.id}: ${c.name}`);
    }
  }
  return {
    walkthroughs: walkthroughs.length,
    passedWalkthroughs: byStatus.passed,
    failedWalkthroughs: byStatus.failed,
    skippedWalkthroughs: byStatus.skipped,
    skipped,
    checks,
    passed,
    failed: checks - passed,
    failedChecks,
    durationMs,
  };
}
