/**
 * Runs a walk-through of the reference app in the page, step by step. A
 * `Recorder` subclass sees every step the walk-through records (the seed's
 * C call, the TypeScript call, the result) and captures the platform's state
 * right after it, so each step has its own `StepState`. The platform is the
 * value of the walk-through's first step (`vcm_sys_init`, which builds it).
 *
 * `livePlatformAt` runs the walk-through again and stops right after step
 * `n`: the walk view then asks the live hardware (`ctx.walk`, `cpu.walk`)
 * at exactly that step. Walk-throughs are deterministic, so the second run
 * reaches the same state.
 */
import { Vcmm } from '@vcm/core';
import { msm8x60Board, validateBoard } from '@vcm/devtree';
import type { BoardDescription, Platform } from '@vcm/devtree';
import { Recorder, checkNeeds, silentProgress } from '@vcm/reference/browser';
import type { BoardChoice, Step, Walkthrough, WalkthroughReport } from '@vcm/reference/browser';
import { captureState } from './capture.js';
import type { StepState } from './state.js';

export interface RecordedStep extends Step {
  /** 0-based position in the walk-through. */
  readonly index: number;
  /** The platform after the step; `undefined` before a platform exists. */
  readonly state: StepState | undefined;
}

export interface WalkthroughRun {
  readonly walkthrough: Walkthrough;
  readonly steps: readonly RecordedStep[];
  readonly report: WalkthroughReport;
}

function isPlatform(v: unknown): v is Platform {
  return typeof v === 'object' && v !== null && (v as { vcmm?: unknown }).vcmm instanceof Vcmm && 'tree' in v && 'smmus' in v && 'cpu' in v;
}

/** Thrown after the step the caller wanted to stop at; never escapes this module. */
class StopHere extends Error {
  override readonly name = 'StopHere';
}

/** A recorder that captures the platform after every step and can stop after one. */
class CapturingRecorder extends Recorder {
  platform: Platform | undefined;
  readonly states: (StepState | undefined)[] = [];
  readonly #stopAfter: number | undefined;
  readonly #capture: boolean;

  constructor(w: Walkthrough, options: { stopAfter?: number; capture: boolean }) {
    super({ id: w.id, title: w.title, source: w.source, summary: w.summary }, false);
    this.#stopAfter = options.stopAfter;
    this.#capture = options.capture;
  }

  #after(value: unknown): void {
    if (this.platform === undefined && isPlatform(value)) this.platform = value;
    this.states.push(this.#capture && this.platform !== undefined ? captureState(this.platform) : undefined);
    if (this.#stopAfter !== undefined && this.states.length > this.#stopAfter) throw new StopHere();
  }

  override step<T>(cCall: string, ran: string, call: () => T, show: (value: T) => string, note?: string): T {
    let value: T;
    try {
      value = super.step(cCall, ran, call, show, note);
    } catch (e) {
      this.#after(undefined); // the failed step was recorded: it has a state too
      throw e;
    }
    this.#after(value);
    return value;
  }

  override note(cCall: string, ran: string, result: string, note?: string): void {
    super.note(cCall, ran, result, note);
    this.#after(undefined);
  }
}

/** The board the walk-throughs run on in the CLI by default. */
export function boardChoice(description: BoardDescription = msm8x60Board(), source = 'built-in preset msm8x60Board()'): BoardChoice {
  const board = validateBoard(description);
  return { name: board.name, source, description, board };
}

function runContext(w: Walkthrough, board: BoardChoice): Parameters<Walkthrough['run']>[1] {
  const needs = checkNeeds(board.board, w.needs);
  if (!needs.ok) throw new Error(`${w.id} cannot run on ${board.name}: ${needs.reasons.join('; ')}`);
  return { board, verbose: false, inject: undefined, progress: silentProgress, contexts: needs.contexts };
}

/** Run the whole walk-through, capturing the state after every step. */
export function recordWalkthrough(w: Walkthrough, board: BoardChoice = boardChoice()): WalkthroughRun {
  const rec = new CapturingRecorder(w, { capture: true });
  try {
    w.run(rec, runContext(w, board));
  } catch (e) {
    rec.fail(e);
  }
  const report = rec.finish();
  const steps = report.steps.map((s, index) => ({ ...s, index, state: rec.states[index] }));
  return { walkthrough: w, steps, report };
}

/** The live platform right after step `n` (0-based), by running the walk-through again up to it. */
export function livePlatformAt(w: Walkthrough, n: number, board: BoardChoice = boardChoice()): Platform | undefined {
  const rec = new CapturingRecorder(w, { stopAfter: n, capture: false });
  try {
    w.run(rec, runContext(w, board));
  } catch (e) {
    if (!(e instanceof StopHere)) rec.fail(e);
  }
  return rec.platform;
}
