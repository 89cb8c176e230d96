/**
 * Scenarios in the explorer: the shipped ones (examples/scenarios, bundled
 * at build time) or a file's text, validated by `@vcm/scenario` (errors at
 * their path, with the suggestion) and run in the page. A scenario has two
 * steps: the set-up (buffers, spaces, mappings: `RunOptions.onSetUp`) and
 * the traffic; a scenario with a sweep also runs every point of it.
 */
import { isVcmError } from '@vcm/core';
import type { Platform } from '@vcm/devtree';
import { BOARD_PRESETS, parseScenarioText, runScenario, runSweep, validateScenario } from '@vcm/scenario';
import type { CheckedScenario } from '@vcm/scenario';
import { captureState } from '../model/capture.js';
import type { RecordedStep } from '../model/session.js';
import type { Source } from '../model/url.js';
import type { Session } from './session.js';

const files = import.meta.glob<string>('../../../../examples/scenarios/*.yaml', { query: '?raw', import: 'default', eager: true });
const boardFiles = import.meta.glob<string>('../../../../examples/boards/*.json', { query: '?raw', import: 'default', eager: true });

/** The shipped board files by file name (`imx8qm-like.json`). */
export const SHIPPED_BOARDS: ReadonlyMap<string, string> = new Map(Object.entries(boardFiles).map(([path, text]) => [path.replace(/^.*\//, ''), text]));

/** The shipped scenarios by name (the file name without `.yaml`). */
export const SHIPPED_SCENARIOS: ReadonlyMap<string, string> = new Map(Object.entries(files).map(([path, text]) => [path.replace(/^.*\//, '').replace(/\.yaml$/, ''), text]));

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
 * is taken from the shipped board files by its file name, as `vcm-ref run`
 * reads it next to the scenario; any other file name is the validator's
 * error at `board`.
 */
export function checkScenarioText(text: string): CheckedScenario {
  const value = parseScenarioText(text);
  if (typeof value === 'object' && value !== null) {
    const board = (value as Record<string, unknown>)['board'];
    if (typeof board === 'string' && !(BOARD_PRESETS as readonly string[]).includes(board)) {
      const file = SHIPPED_BOARDS.get(board.replace(/^.*[/\\]/, ''));
      if (file !== undefined) (value as Record<string, unknown>)['board'] = JSON.parse(file) as unknown;
    }
  }
  return validateScenario(value);
}

function setUpPlatform(checked: CheckedScenario): Platform | undefined {
  let platform: Platform | undefined;
  runScenario(checked, { traffic: false, onSetUp: (s) => void (platform = s.platform) });
  return platform;
}

export function scenarioSession(source: Exclude<Source, { kind: 'walkthrough' }>): { session: Session } | { error: OpenError } {
  const text = source.kind === 'scenario' ? SHIPPED_SCENARIOS.get(source.name) : source.text;
  if (text === undefined) return { error: { path: 'scenario', message: `no shipped scenario "${source.kind === 'scenario' ? source.name : ''}"; allowed: ${[...SHIPPED_SCENARIOS.keys()].join(', ')}` } };
  let checked: CheckedScenario;
  try {
    checked = checkScenarioText(text);
  } catch (e) {
    return { error: openError(e) };
  }
  let setUp: { platform: Platform; summary: string; state: RecordedStep['state'] } | undefined;
  const report = runScenario(checked, {
    onSetUp: (s) => {
      const summary = s.spaces.map((sp) => `${sp.name} (${sp.kind}, ${sp.devices.join(', ') || 'no device'}): ${sp.reservations.length} reservation${sp.reservations.length === 1 ? '' : 's'}`).join('; ');
      setUp = { platform: s.platform, summary, state: captureState(s.platform) };
    },
  });
  const after = setUp === undefined ? undefined : captureState(setUp.platform);
  const sweep = checked.points.length > 0 ? runSweep(checked) : undefined;
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
  return {
    session: {
      title: `Scenario ${name}`,
      summary: (checked.scenario as { readonly description?: string }).description ?? '',
      board: report.board,
      steps,
      checks: report.expectations.map((x) => ({ name: x.name, pass: x.ok })),
      livePlatform: (n) => (n === 0 ? setUpPlatform(checked) : setUp?.platform),
      scenario: { checked, report, sweep },
    },
  };
}
