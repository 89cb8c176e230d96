/**
 * Scenario text to a plain value: YAML 1.2 (of which JSON is a subset), with
 * the `yaml` package. A syntax error, a duplicate key or an alias bomb is an
 * `EINVAL` naming the line and column (docs/scenarios.md#errors).
 */
import { VcmError } from '@vcm/core';
import { parseDocument } from 'yaml';

/** The plain value of a scenario file's text. */
export function parseScenarioText(text: string): unknown {
  if (typeof text !== 'string') {
    throw new VcmError('EINVAL', `parseScenario: text must be a string, got ${text === null ? 'null' : typeof text}`, { param: 'text', value: typeof text });
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const at = error.linePos?.[0];
    const where = at === undefined ? '' : `line ${at.line}, column ${at.col}: `;
    const reason = error.message.split('\n')[0] ?? error.message;
    throw new VcmError('EINVAL', `(scenario): ${where}not valid YAML or JSON: ${reason} (allowed: a YAML or JSON object, see scenario.schema.json)`, {
      path: '(scenario)',
      value: 'text',
      allowed: 'a YAML or JSON object',
      ...(at === undefined ? {} : { line: at.line, column: at.col }),
    });
  }
  return doc.toJS({ maxAliasCount: 100 });
}
