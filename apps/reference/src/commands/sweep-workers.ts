/**
 * A scenario's sweep spread over worker threads (`node:worker_threads`):
 * the engine stays free of Node (`@vcm/scenario` runs in a browser too), so
 * the threads live here. Each worker checks the scenario once and runs the
 * point indices it is handed, one at a time, the next going to whichever
 * worker is free; the rows are put back in cross-product order, so the
 * report is the one `runSweep` makes serially (points share nothing:
 * each runs on its own fresh platform).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { VcmError } from '@vcm/core';
import type { VcmErrorCode } from '@vcm/core';
import { sweepReport } from '@vcm/scenario';
import type { CheckedScenario, SweepReport, SweepRow } from '@vcm/scenario';
import type { Progress } from '../progress.js';
import type { PointAnswer, PointRequest } from './sweep-worker.js';

/** How many threads a sweep of `points` points uses: the requested number (default: the available cores), at most one per point. */
export function sweepThreads(points: number, requested: number | undefined): number {
  return Math.max(1, Math.min(requested ?? availableParallelism(), points));
}

/** Run every point of `checked`'s sweep on `threads` worker threads; `value` is the scenario as `checked` was made from it. */
export async function runSweepOnWorkers(value: unknown, checked: CheckedScenario, threads: number, progress: Progress): Promise<SweepReport> {
  const total = checked.points.length;
  const rows = new Array<SweepRow | undefined>(total);
  let next = 0;
  let done = 0;
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (e: unknown): void => {
        if (failed) return;
        failed = true;
        reject(e instanceof Error ? e : new Error(String(e)));
      };
      const hand = (w: Worker): void => {
        const request: PointRequest = next < total ? next++ : null;
        w.postMessage(request);
      };
      for (let t = 0; t < threads; t++) {
        const w = new Worker(new URL('./sweep-worker.js', import.meta.url), { workerData: { value } });
        workers.push(w);
        w.on('message', (a: PointAnswer) => {
          if ('error' in a) {
            fail(a.error.vcm ? new VcmError(a.error.code as VcmErrorCode, a.error.message.replace(/^[A-Z]+: /, '')) : new Error(`sweep point ${a.index + 1}: ${a.error.message}`));
            return;
          }
          rows[a.index] = a.row;
          done++;
          progress.update(`sweep point ${a.index + 1} on ${threads} threads`, done, total);
          if (done === total) resolve();
          else hand(w);
        });
        w.on('error', fail);
        w.on('exit', (code) => {
          if (code !== 0) fail(new Error(`a sweep worker thread exited with code ${code}`));
        });
        hand(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return sweepReport(checked, rows as SweepRow[]);
}
