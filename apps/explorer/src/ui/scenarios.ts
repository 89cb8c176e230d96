/**
 * Scenarios in the explorer: the shipped ones (examples/scenarios, bundled
 * at build time) or a file's text. The text is checked here, on the page,
 * so a validation error shows at once at its path; the run itself — the
 * traffic and every sweep point, seconds for a sweep — happens in a Web
 * Worker (`src/worker/scenario-worker.ts`) that reports progress lines, so
 * the page never freezes.
 */
import type { Platform } from '@vcm/devtree';
import { runScenario } from '@vcm/scenario';
import type { CheckedScenario } from '@vcm/scenario';
import { checkScenarioText as check, openError } from '../model/scenario-run.js';
import type { OpenError, ScenarioRun } from '../model/scenario-run.js';
import type { Source } from '../model/url.js';
import type { ScenarioReply, ScenarioRequest } from '../worker/protocol.js';
import type { Session } from './session.js';

export { openError };
export type { OpenError };

const files = import.meta.glob<string>('../../../../examples/scenarios/*.yaml', { query: '?raw', import: 'default', eager: true });
const boardFiles = import.meta.glob<string>('../../../../examples/boards/*.json', { query: '?raw', import: 'default', eager: true });

/** The shipped board files by file name (`imx8qm-like.json`). */
export const SHIPPED_BOARDS: ReadonlyMap<string, string> = new Map(Object.entries(boardFiles).map(([path, text]) => [path.replace(/^.*\//, ''), text]));

/** The shipped scenarios by name (the file name without `.yaml`). */
export const SHIPPED_SCENARIOS: ReadonlyMap<string, string> = new Map(Object.entries(files).map(([path, text]) => [path.replace(/^.*\//, '').replace(/\.yaml$/, ''), text]));

/** Parse and check a scenario's text, a `board` file name taken from the shipped board files. */
export function checkScenarioText(text: string): CheckedScenario {
  return check(text, SHIPPED_BOARDS);
}

/** The scenario a source names, checked: its text and the checked scenario, or the error at its path. */
export function checkSource(source: Exclude<Source, { kind: 'walkthrough' }>): { text: string; checked: CheckedScenario } | { error: OpenError } {
  const text = source.kind === 'scenario' ? SHIPPED_SCENARIOS.get(source.name) : source.text;
  if (text === undefined) return { error: { path: 'scenario', message: `no shipped scenario "${source.kind === 'scenario' ? source.name : ''}"; allowed: ${[...SHIPPED_SCENARIOS.keys()].join(', ')}` } };
  try {
    return { text, checked: checkScenarioText(text) };
  } catch (e) {
    return { error: openError(e) };
  }
}

let nextId = 1;

/**
 * Run a scenario's text in a Web Worker. `onProgress` gets its progress
 * lines; the promise the run or the error. `cancel` ends the worker (the
 * page opened something else).
 */
export function runInWorker(text: string, onProgress: (line: string) => void): { result: Promise<{ run: ScenarioRun } | { error: OpenError }>; cancel: () => void } {
  const worker = new Worker(new URL('../worker/scenario-worker.ts', import.meta.url), { type: 'module', name: 'scenario' });
  const id = nextId++;
  const result = new Promise<{ run: ScenarioRun } | { error: OpenError }>((resolve) => {
    worker.onmessage = (e: MessageEvent<ScenarioReply>) => {
      const m = e.data;
      if (m.id !== id) return;
      if (m.kind === 'progress') return onProgress(m.line);
      worker.terminate();
      resolve(m.kind === 'done' ? { run: m.run } : { error: m.error });
    };
    worker.onerror = (e) => {
      worker.terminate();
      resolve({ error: { path: '(worker)', message: `the scenario worker failed: ${e.message}` } });
    };
  });
  const request: ScenarioRequest = { id, text, boards: Object.fromEntries(SHIPPED_BOARDS) };
  worker.postMessage(request);
  return { result, cancel: () => worker.terminate() };
}

/**
 * A scenario's run as a session. The walk view and the page tables' slots
 * ask the live platform, which the worker cannot send: it is set up again
 * here when asked — the set-up alone for step 0, the whole run for step 1 —
 * and kept for the next question.
 */
export function scenarioSession(run: ScenarioRun, checked: CheckedScenario): Session {
  const live = new Map<number, Platform | undefined>();
  const platformAt = (n: number): Platform | undefined => {
    let platform: Platform | undefined;
    runScenario(checked, { traffic: n >= 1, onSetUp: (s) => void (platform = s.platform) });
    return platform;
  };
  return {
    title: `Scenario ${run.name}`,
    summary: run.description,
    board: run.board,
    steps: run.steps,
    checks: run.report.expectations.map((x) => ({ name: x.name, pass: x.ok })),
    livePlatform(n) {
      if (!live.has(n)) live.set(n, platformAt(n));
      return live.get(n);
    },
    scenario: { report: run.report, sweep: run.sweep },
  };
}
