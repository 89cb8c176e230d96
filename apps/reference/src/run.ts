/**
 * Runs walk-throughs and assembles the run report. Before a walk-through
 * runs, its declared needs are checked against the board: one the board
 * cannot serve is reported as skipped with the reasons and never started.
 * Each walk-through that runs gets a fresh `Recorder`; an error escaping it
 * becomes a failing check, so one broken walk-through never hides the
 * others' results.
 */
import { checkNeeds } from './needs.js';
import { Recorder } from './recorder.js';
import { summarize } from './report.js';
import type { RunReport, WalkthroughReport } from './report.js';
import type { RunContext, Walkthrough } from './walkthroughs/types.js';

export const INTRO =
  'What you are looking at: vcm-ref replays the call sequences of the 2010 Virtual Contiguous Memory Manager design (Documentation/vcm.txt and the video-playback call flow posted to LKML) on a simulated system-on-chip — RAM with block pools, Qualcomm-style SMMUs whose ARM page tables are real descriptors in that RAM behind a finite shared TLB, and a CPU with its own page table. Each numbered step shows the C call from the source document, the TypeScript call that ran it ("ran") and what it answered ("got"), addresses in hex and sizes in KiB/MiB. Devices move real bytes by DMA through their IOMMUs and the CPU reads them back through its own mapping; every walk-through ends with named checks (bytes equal, addresses as documented, counters as expected), and the run ends with a summary of all checks and exits non-zero if any fails. A walk-through that needs something the board lacks is skipped, with the reason.';

/** Everything a run shares; the contexts of each walk-through's roles are added per walk-through. */
export type RunOptions = Omit<RunContext, 'contexts'>;

function skippedReport(w: Walkthrough, reasons: readonly string[]): WalkthroughReport {
  return {
    id: w.id,
    title: w.title,
    source: w.source,
    summary: w.summary,
    status: 'skipped',
    skipReasons: reasons,
    steps: [],
    figures: [],
    tables: [],
    charts: [],
    details: [],
    checks: [],
    data: {},
    durationMs: 0,
  };
}

export function runWalkthrough(w: Walkthrough, options: RunOptions): WalkthroughReport {
  const needs = checkNeeds(options.board.board, w.needs);
  if (!needs.ok) return skippedReport(w, needs.reasons);
  const rec = new Recorder({ id: w.id, title: w.title, source: w.source, summary: w.summary }, options.verbose);
  try {
    w.run(rec, { ...options, contexts: needs.contexts });
  } catch (e) {
    rec.fail(e);
  } finally {
    options.progress.done();
  }
  return rec.finish();
}

export function runAll(walkthroughs: readonly Walkthrough[], options: RunOptions): RunReport {
  const started = performance.now();
  const reports = walkthroughs.map((w, i) => {
    options.progress.update(`walk-through ${w.id}`, i, walkthroughs.length);
    return runWalkthrough(w, options);
  });
  const summary = summarize(reports, Math.round(performance.now() - started));
  return {
    tool: 'vcm-ref',
    board: { name: options.board.name, source: options.board.source },
    intro: INTRO,
    walkthroughs: reports,
    summary,
    ok: summary.failed === 0,
  };
}
