/** The list of steps and the current step's C call, TypeScript call and result. */
import type { JSX } from 'preact';
import type { RecordedStep } from '../model/session.js';

export function StepList({ steps, current, onSelect }: { steps: readonly RecordedStep[]; current: number; onSelect: (n: number) => void }): JSX.Element {
  let stage: string | undefined;
  return (
    <ol class="steps" aria-label="steps">
      {steps.map((s) => {
        const heading = s.stage !== undefined && s.stage !== stage ? s.stage : undefined;
        stage = s.stage;
        return (
          <li key={s.index} data-step={s.index} class={s.index === current ? 'current' : s.index > current ? 'later' : ''}>
            {heading !== undefined && <div class="stage">{heading}</div>}
            <button type="button" onClick={() => onSelect(s.index)} aria-current={s.index === current ? 'step' : undefined}>
              <span class="num">{s.index + 1}</span> <code>{s.cCall}</code>
            </button>
          </li>
        );
      })}
    </ol>
  );
}

export function StepDetail({ step, total }: { step: RecordedStep | undefined; total: number }): JSX.Element {
  if (step === undefined) return <section class="step-detail">No steps.</section>;
  return (
    <section class="step-detail" data-testid="step-detail" aria-live="polite">
      <div class="step-pos">
        step {step.index + 1} of {total}
        {step.stage !== undefined && <span class="stage-name"> · {step.stage}</span>}
      </div>
      <dl>
        <dt>C call (seed)</dt>
        <dd>
          <code data-testid="c-call">{step.cCall}</code>
        </dd>
        <dt>TypeScript</dt>
        <dd>
          <code data-testid="ts-call">{step.ran}</code>
        </dd>
        <dt>Result</dt>
        <dd class={step.ok ? '' : 'failed'} data-testid="result">
          {step.result}
        </dd>
        {step.note !== undefined && (
          <>
            <dt>Note</dt>
            <dd class="note">{step.note}</dd>
          </>
        )}
      </dl>
    </section>
  );
}
