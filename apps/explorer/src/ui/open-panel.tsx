/**
 * Opening something: a walk-through, a shipped scenario, or a scenario file
 * dropped on the page or pasted. A board file is checked by `@vcm/devtree`
 * and a scenario by `@vcm/scenario`; what they refuse is shown at its path
 * with the validator's message and suggestion.
 */
import type { JSX } from 'preact';
import { validateBoard } from '@vcm/devtree';
import { WALKTHROUGHS } from '@vcm/reference/browser';
import { useState } from 'preact/hooks';
import type { Source } from '../model/url.js';
import { SHIPPED_SCENARIOS, checkScenarioText, openError } from './scenarios.js';
import type { OpenError } from './scenarios.js';

/** A pasted or dropped text is a board when it is JSON with a top-level `smmus` or `memory` and no scenario sections. */
function looksLikeBoard(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && ('smmus' in v || 'memory' in v) && !('buffers' in v) && !('traffic' in v);
  } catch {
    return false;
  }
}

export function OpenPanel({ source, onOpen }: { source: Source; onOpen: (s: Source) => void }): JSX.Element {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<(OpenError & { what: string }) | undefined>(undefined);
  const [ok, setOk] = useState<string | undefined>(undefined);
  const current = source.kind === 'walkthrough' ? `w:${source.id}` : source.kind === 'scenario' ? `sc:${source.name}` : 'text';

  const load = (t: string): void => {
    setOk(undefined);
    if (looksLikeBoard(t)) {
      try {
        const b = validateBoard(JSON.parse(t));
        setProblem(undefined);
        setOk(`board "${b.name}" is valid: ${b.smmus.length} SMMU(s), ${b.memory.banks.length} bank(s)`);
      } catch (e) {
        setProblem({ what: 'board', ...openError(e) });
      }
      return;
    }
    try {
      checkScenarioText(t);
    } catch (e) {
      setProblem({ what: 'scenario', ...openError(e) });
      return;
    }
    setProblem(undefined);
    onOpen({ kind: 'text', text: t });
  };

  return (
    <div class="open-panel">
      <label>
        open{' '}
        <select
          data-testid="open"
          value={current}
          onChange={(e) => {
            const v = (e.target as HTMLSelectElement).value;
            if (v.startsWith('w:')) onOpen({ kind: 'walkthrough', id: v.slice(2) });
            else if (v.startsWith('sc:')) onOpen({ kind: 'scenario', name: v.slice(3) });
          }}
        >
          <optgroup label="walk-throughs">
            {WALKTHROUGHS.map((w) => (
              <option key={w.id} value={`w:${w.id}`}>
                {w.id}
              </option>
            ))}
          </optgroup>
          <optgroup label="scenarios">
            {[...SHIPPED_SCENARIOS.keys()].map((n) => (
              <option key={n} value={`sc:${n}`}>
                {n}
              </option>
            ))}
          </optgroup>
          {source.kind === 'text' && <option value="text">(scenario from a file)</option>}
        </select>
      </label>
      <details class="paste">
        <summary>paste or drop a scenario or board file</summary>
        <textarea
          data-testid="paste"
          value={text}
          rows={8}
          cols={60}
          placeholder="YAML or JSON scenario, or a JSON board file; or drop a file here"
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          onDragOver={(e) => e.preventDefault()}
          onDrop={(e) => {
            e.preventDefault();
            const f = e.dataTransfer?.files[0];
            if (f !== undefined)
              void f.text().then((t) => {
                setText(t);
                load(t);
              });
          }}
        />
        <button type="button" data-testid="paste-open" onClick={() => load(text)}>
          check and open
        </button>
        {problem !== undefined && (
          <p class="error" role="alert" data-testid="validation-error">
            invalid {problem.what} at <strong data-testid="validation-path">{problem.path}</strong>: {problem.message}
          </p>
        )}
        {ok !== undefined && <p data-testid="validation-ok">{ok}</p>}
      </details>
    </div>
  );
}
