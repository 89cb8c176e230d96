/**
 * What the explorer has open: a walk-through (its recorded steps) or a
 * scenario (its run, observed call by call). Either way a list of steps,
 * each with the platform's state after it, and a way to get the live
 * platform at a step for the walk view.
 */
import type { BoardChoice, Walkthrough } from '@vcm/reference/browser';
import type { Platform } from '@vcm/devtree';
import type { ScenarioReport, SweepReport } from '@vcm/scenario';
import { boardChoice, livePlatformAt, recordWalkthrough } from '../model/session.js';
import type { RecordedStep } from '../model/session.js';

export interface ScenarioResult {
  readonly report: ScenarioReport;
  readonly sweep: SweepReport | undefined;
}

export interface Session {
  readonly title: string;
  readonly summary: string;
  readonly board: string;
  readonly steps: readonly RecordedStep[];
  readonly checks: readonly { readonly name: string; readonly pass: boolean }[];
  /** The live platform right after step `n` (run again up to it). */
  livePlatform(n: number): Platform | undefined;
  readonly scenario?: ScenarioResult;
}

export function walkthroughSession(w: Walkthrough, board: BoardChoice = boardChoice()): Session {
  const run = recordWalkthrough(w, board);
  let cached: { n: number; platform: Platform | undefined } | undefined;
  return {
    title: w.title,
    summary: w.summary,
    board: board.name,
    steps: run.steps,
    checks: run.report.checks,
    livePlatform(n) {
      if (cached?.n !== n) cached = { n, platform: livePlatformAt(w, n, board) };
      return cached.platform;
    },
  };
}
