/**
 * Runs walk-throughs and assembles the run report. Each walk-through gets a
 * fresh `Recorder`; an error escaping it becomes a failing check, so one
 * broken walk-through never hides the others' results.
 */
import { Recorder } from './recorder.js';
import { summarize } from './report.js';
import type { RunReport, WalkthroughReport } from './report.js';
import type { RunContext, Walkthrough } from './walkthroughs/types.js';

export const INTRO =
  'What you are looking at: vcm-ref replays the call sequences of the 2010 Virtual Contiguous Memory Manager design (Documentation/vcm.txt and the video-playback call flow posted to LKML) on a simulated system-on-chip — RAM with block pools, Qualcomm-style SMMUs whose ARM page tables are real descriptors in that RAM behind a finite shared TLB, and a CPU with its own page table. Each numbered step shows the C call from the source document, the TypeScript call that ran it ("ran") and what it answered ("got"), addresses in hex and sizes in KiB/MiB. Devices move real bytes by DMA through their IOMMUs and the CPU reads them back through its own mapping; every walk-through ends with named checks (bytes equal, addresses as documented, counters as expected), and the run ends with a summary of all checks and exits non-zero if any fails.';

export function runWalkthrough(w: Walkthrough, ctx: RunContext): WalkthroughReport {
  const rec = new Recorder({ id: w.id, title: w.title, source: w.source, summary: w.summary }, ctx.verbose);
  try {
    w.run(rec, ctx);
  } catch (e) {
    rec.fail(e);
  } finally {
    ctx.progress.done();
  }
  return rec.finish();
}

export function runAll(walkthroughs: readonly Walkthrough[], ctx: RunContext): RunReport {
  const started = performance.now();
  const reports = walkthroughs.map((w, i) => {
    ctx.progress.update(`walk-through ${w.id}`, i, walkthroughs.length);
    return runWalkthrough(w, ctx);
  });
  const summary = summarize(reports, Math.round(performance.now() - started));
  return {
    tool: 'vcm-ref',
    board: { name: ctx.board.name, source: ctx.board.source },
    intro: INTRO,
    walkthroughs: reports,
    summary,
    ok: summary.failed === 0 && reports.length > 0,
  };
}
