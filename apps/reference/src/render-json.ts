/**
 * The `--json` view: the whole run as one JSON document on stdout, the same
 * value the text renderer prints. `--verbose` details are included only when
 * asked for, as in the text view.
 */
import type { RunReport } from './report.js';

export function renderJson(report: RunReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
