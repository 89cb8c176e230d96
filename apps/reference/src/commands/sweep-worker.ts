/**
 * One worker thread of `vcm-ref run`'s parallel sweep (sweep-workers.ts): it
 * checks the scenario it is given once, then runs each point index the main
 * thread sends and posts the row back. A point that fails posts the error's
 * code and message, which the main thread reports as the serial run would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isVcmError } from '@vcm/core';
import { runSweepPoint, validateScenario } from '@vcm/scenario';
import type { SweepRow } from '@vcm/scenario';

/** What the main thread sends: a point index, or null when there are no more. */
export type PointRequest = number | null;
/** What a worker posts for a point. */
export type PointAnswer = { readonly index: number; readonly row: SweepRow } | { readonly index: number; readonly error: { readonly vcm: boolean; readonly code: string; readonly message: string } };

const port = parentPort;
if (port !== null) {
  const checked = validateScenario((workerData as { value: unknown }).value);
  port.on('message', (index: PointRequest) => {
    if (index === null) {
      port.close();
      return;
    }
    let answer: PointAnswer;
    try {
      answer = { index, row: runSweepPoint(checked, index) };
    } catch (e) {
      answer = { index, error: isVcmError(e) ? { vcm: true, code: e.code, message: e.message } : { vcm: false, code: 'ERROR', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } };
    }
    port.postMessage(answer);
  });
}
