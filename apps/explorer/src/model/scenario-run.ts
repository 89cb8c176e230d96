/**
 * A scenario as the explorer runs it: validated by `@vcm/scenario` (errors
 * at their path, with the suggestion), run once with its traffic, and — for
 * a scenario with a sweep — every point of the sweep. The run is two steps:
 * the set-up (buffers, spaces, mappings: `RunOptions.onSetUp`) and the
 * traffic, each with the platform's state after it.
 *
 * Everything `runScenarioText` returns is plain data, so the page runs it in
 * a Web Worker (`src/worker/scenario-worker.ts`: a sweep takes seconds) and
 * gets the same result it would get running it itself.
 */
import { isVcmError } from '@vcm/core';
import { BOARD_PRESETS, parseScenarioText, runScenario, runSweep, validateScenario } from '@vcm/scenario';
import type { CheckedScenario, ScenarioReport, ScenarioSetUp, SweepReport } from '@vcm/scenario';
import { captureState } from './capture.js';
import type { RecordedStep } from './session.js';

export interface OpenError {
  readonly path: string;
  readonly message: string;
}

/** A validation error as the explorer shows it: the path of the bad value, and the message (which carries the suggestion). */
export function openError(e: unknown): OpenError {
  if (isVcmError(e)) {
    const p = e.details['path'] ?? e.details['param'];
    return { path: typeof p === 'string' ? p : '(file)', message: e.message };
  }
  return { path: '(file)', message: e instanceof Error ? e.message : String(e) };
}

/**
 * Parse and check a scenario's text. A `board` naming a file (not a preset)
 * is taken from `boards` (file name → text) by its file name, as `vcm-ref
 * run` reads it next to the scenario; any other file name is the
 * validator's error at `board`.
 */
export function checkScenarioText(text: string, boards: ReadonlyMap<string, string>): CheckedScenario {
  const value = parseScenarioText(text);
  if (typeof value === 'object' && value !== null) {
    const board = (value as Record<string, unknown>)['board'];
    if (typeof board === 'string' && !(BOARD_PRESETS as readonly string[]).includes(board)) {
      const file = boards.get(board.replace(/^.*[/\\]/, ''));
      if (file !== undefined) (value as Record<string, unknown>)['board'] = JSON.parse(file) as unknown;
    }
  }
  return validateScenario(value);
}

/** What opening a scenario gives: plain data only (it crosses from the worker to the page). */
export interface ScenarioRun {
  readonly name: string;
  readonly description: string;
  readonly board: string;
  readonly report: ScenarioReport;
  readonly sweep: SweepReport | undefined;
  readonly steps: readonly RecordedStep[];
}

/** One line about how far a run is, e.g. "traffic: frame 12 of 60". */
export type ProgressLine = (line: string) => void;

function setUpSummary(s: ScenarioSetUp): string {
  return s.spaces.map((sp) => `${sp.name} (${sp.kind}, ${sp.devices.join(', ') || 'no device'}): ${sp.reservations.length} reservation${sp.reservations.length === 1 ? '' : 's'}`).join('; ');
}

/** Run a checked scenario and its sweep, capturing the platform after the set-up and after the traffic. */
export function runChecked(checked: CheckedScenario, progress: ProgressLine = () => undefined): ScenarioRun {
  let setUp: { summary: string; state: RecordedStep['state']; setUp: ScenarioSetUp } | undefined;
  const report = runScenario(checked, {
    onSetUp: (s) => {
      setUp = { summary: setUpSummary(s), state: captureState(s.platform, s), setUp: s };
      progress('set up; running the traffic');
    },
    progress: (label, done, total) => progress(`traffic: ${label} (${done} of ${total})`),
  });
  const after = setUp === undefined ? undefined : captureState(setUp.setUp.platform, setUp.setUp);
  const sweep =
    checked.points.length > 0
      ? runSweep(checked, { progress: (label, done, total) => progress(done === total ? `sweep: all ${total} points run` : `sweep: ${label} of ${total}`) })
      : undefined;
  const name = checked.scenario.name;
  const steps: RecordedStep[] = [
    { index: 0, cCall: '/* set-up: vcm_phys_alloc, vcm_create, vcm_assoc, vcm_activate, vcm_reserve, vcm_back */', ran: `runScenario(${name}) — set-up`, result: setUp?.summary ?? 'no set-up', ok: true, state: setUp?.state },
    {
      index: 1,
      cCall: '/* device traffic */',
      ran: `runScenario(${name}) — traffic`,
      result: `${report.traffic.length} traffic stream${report.traffic.length === 1 ? '' : 's'}, ${report.devices.reduce((n, d) => n + d.misses, 0)} misses, ${report.faults.length} fault${report.faults.length === 1 ? '' : 's'}; expectations ${report.ok ? 'all met' : 'NOT all met'}`,
      ok: report.ok,
      state: after,
    },
  ];
  return { name, description: (checked.scenario as { readonly description?: string }).description ?? '', board: report.board, report, sweep, steps };
}

/** Check and run a scenario's text: the run, or the validation error at its path. */
export function runScenarioText(text: string, boards: ReadonlyMap<string, string>, progress?: ProgressLine): { run: ScenarioRun } | { error: OpenError } {
  let checked: CheckedScenario;
  try {
    checked = checkScenarioText(text, boards);
  } catch (e) {
    return { error: openError(e) };
  }
  return { run: runChecked(checked, progress) };
}
