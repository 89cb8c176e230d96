/**
 * Runs a scenario off the page's thread: a sweep (tlb-study's) takes
 * seconds, which would freeze the page. Receives the scenario's text and
 * the shipped board files, posts progress lines while it runs, then the run
 * (plain data, `src/model/scenario-run.ts`) or the validation error.
 */
import { runScenarioText } from '../model/scenario-run.js';
import type { ScenarioRequest, ScenarioReply } from './protocol.js';

const scope = self as unknown as { onmessage: ((e: MessageEvent<ScenarioRequest>) => void) | null; postMessage(message: ScenarioReply): void };

scope.onmessage = (e) => {
  const { id, text, boards } = e.data;
  try {
    const out = runScenarioText(text, new Map(Object.entries(boards)), (line) => scope.postMessage({ id, kind: 'progress', line }));
    scope.postMessage('error' in out ? { id, kind: 'error', error: out.error } : { id, kind: 'done', run: out.run });
  } catch (err) {
    // A defect, not a validation error: shown as what it is.
    scope.postMessage({ id, kind: 'error', error: { path: '(run)', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) } });
  }
};
