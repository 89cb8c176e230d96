/** Messages between the page and the scenario worker. */
import type { OpenError, ScenarioRun } from '../model/scenario-run.js';

/** Run this scenario text; `boards` are the shipped board files by file name. */
export interface ScenarioRequest {
  readonly id: number;
  readonly text: string;
  readonly boards: Readonly<Record<string, string>>;
}

export type ScenarioReply =
  | { readonly id: number; readonly kind: 'progress'; readonly line: string }
  | { readonly id: number; readonly kind: 'done'; readonly run: ScenarioRun }
  | { readonly id: number; readonly kind: 'error'; readonly error: OpenError };
