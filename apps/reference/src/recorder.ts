/**
 * Builds a `WalkthroughReport` while a walk-through runs. A step that throws
 * where the walk-through did not expect it is recorded (ok: false, with the
 * error's code and message) and ends the walk-through with a failing check,
 * so a broken invariant is reported, never swallowed.
 */
import { isVcmError } from '@vcm/core';
import type { BarChart, Check, Detail, Step, Table, WalkthroughReport } from './report.js';

/** Thrown by `Recorder.step` after it recorded an unexpected failure; the runner ends the walk-through. */
export class WalkthroughAborted extends Error {
  override readonly name = 'WalkthroughAborted';
}

export interface WalkthroughInfo {
  readonly id: string;
  readonly title: string;
  readonly source: string;
  readonly summary: string;
}

export function describeError(e: unknown): string {
  if (isVcmError(e)) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

export class Recorder {
  readonly #info: WalkthroughInfo;
  readonly #verbose: boolean;
  readonly #steps: Step[] = [];
  readonly #checks: Check[] = [];
  readonly #tables: Table[] = [];
  readonly #charts: BarChart[] = [];
  readonly #details: Detail[] = [];
  readonly #figures: Detail[] = [];
  readonly #data: Record<string, unknown> = {};
  #stage: string | undefined;
  readonly #started = performance.now();

  constructor(info: WalkthroughInfo, verbose: boolean) {
    this.#info = info;
    this.#verbose = verbose;
  }

  get verbose(): boolean {
    return this.#verbose;
  }

  /** Steps after this belong to the named stage of the seed. */
  stage(name: string): void {
    this.#stage = name;
  }

  #push(step: Omit<Step, 'stage'>): void {
    this.#steps.push(this.#stage === undefined ? step : { ...step, stage: this.#stage });
  }

  /**
   * Run one call. `show` turns its value into the printed result. If the call
   * throws, the failure is recorded and the walk-through ends
   * (`WalkthroughAborted`).
   */
  step<T>(cCall: string, ran: string, call: () => T, show: (value: T) => string, note?: string): T {
    let value: T;
    try {
      value = call();
    } catch (e) {
      const result = `threw ${describeError(e)}`;
      this.#push(note === undefined ? { cCall, ran, result, ok: false } : { cCall, ran, result, note, ok: false });
      this.check({ name: `${ran} succeeds`, pass: false, expected: 'no error', actual: result });
      throw new WalkthroughAborted(result, { cause: e });
    }
    const result = show(value);
    this.#push(note === undefined ? { cCall, ran, result, ok: true } : { cCall, ran, result, note, ok: true });
    return value;
  }

  /**
   * Like `step`, but a failure is recorded (a failing check) and the
   * walk-through goes on, so the checks after it report what the failure
   * broke. Returns `undefined` when the call threw.
   */
  tryStep<T>(cCall: string, ran: string, call: () => T, show: (value: T) => string, note?: string): T | undefined {
    try {
      return this.step(cCall, ran, call, show, note);
    } catch (e) {
      if (e instanceof WalkthroughAborted) return undefined;
      throw e;
    }
  }

  /** Record a step whose result is already known (a call that answers an errno, device traffic …). */
  note(cCall: string, ran: string, result: string, note?: string): void {
    this.#push(note === undefined ? { cCall, ran, result, ok: true } : { cCall, ran, result, note, ok: true });
  }

  check(check: Check): boolean {
    this.#checks.push(check);
    return check.pass;
  }

  table(table: Table): void {
    this.#tables.push(table);
  }

  chart(chart: BarChart): void {
    this.#charts.push(chart);
  }

  /** Preformatted text shown in every view (the device tree as the seed draws it). */
  figure(title: string, text: string): void {
    this.#figures.push({ title, text });
  }

  /** A page-table dump or snapshot; kept only with `--verbose` (the thunk is not even called otherwise). */
  detail(title: string, text: () => string, data?: () => unknown): void {
    if (!this.#verbose) return;
    this.#details.push(data === undefined ? { title, text: text() } : { title, text: text(), data: data() });
  }

  set(key: string, value: unknown): void {
    this.#data[key] = value;
  }

  /** Record an unexpected error that escaped the walk-through as a failing check. */
  fail(e: unknown): void {
    if (e instanceof WalkthroughAborted) return; // already recorded by step()
    this.check({ name: 'walk-through runs to its end', pass: false, expected: 'no error', actual: describeError(e) });
  }

  finish(): WalkthroughReport {
    return {
      ...this.#info,
      status: this.#checks.every((c) => c.pass) ? 'passed' : 'failed',
      skipReasons: [],
      steps: this.#steps,
      figures: this.#figures,
      tables: this.#tables,
      charts: this.#charts,
      details: this.#details,
      checks: this.#checks,
      data: this.#data,
      durationMs: Math.round(performance.now() - this.#started),
    };
  }
}
