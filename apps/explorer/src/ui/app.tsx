/**
 * The explorer: what is open (a walk-through or a scenario), its steps, the
 * current step's calls and result, and the views of the platform after it.
 * The location (source, step, view) lives in the URL's hash; the arrow keys
 * (or j/k, Home/End) step.
 */
import type { JSX } from 'preact';
import { WALKTHROUGHS, findWalkthrough } from '@vcm/reference/browser';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { VIEWS, decodeLocation, encodeLocation } from '../model/url.js';
import type { Location, Source, View } from '../model/url.js';
import { CachesView } from './caches-view.js';
import { GraphView } from './graph-view.js';
import { MemoryView } from './memory-view.js';
import { OpenPanel } from './open-panel.js';
import { ScenarioView } from './scenario-view.js';
import { checkSource, runInWorker, scenarioSession } from './scenarios.js';
import type { OpenError } from './scenarios.js';
import type { CheckedScenario, ScenarioReport, SweepReport } from '@vcm/scenario';
import type { Session } from './session.js';
import { walkthroughSession } from './session.js';
import { StepDetail, StepList } from './steps.js';
import { TablesView } from './tables-view.js';
import { WalkView } from './walk-view.js';

const VIEW_NAMES: Readonly<Record<View, string>> = { graph: 'Mapping graph', tables: 'Page tables', walk: 'Walk', memory: 'Physical memory', caches: 'Translation caches', scenario: 'Scenario run' };

type Opened =
  | { readonly session: Session; readonly error?: undefined; readonly pending?: undefined }
  | { readonly session?: undefined; readonly error: OpenError; readonly pending?: undefined }
  | { readonly session?: undefined; readonly error?: undefined; readonly pending: { readonly text: string; readonly checked: CheckedScenario } };

/** A walk-through runs at once (milliseconds); a scenario is checked here and run by the worker. */
function open(source: Source): Opened {
  if (source.kind === 'walkthrough') {
    const w = findWalkthrough(source.id);
    if (w === undefined) return { error: { path: 'walk-through', message: `no walk-through "${source.id}"; allowed: ${WALKTHROUGHS.map((x) => x.id).join(', ')}` } };
    return { session: walkthroughSession(w) };
  }
  const checked = checkSource(source);
  return 'error' in checked ? { error: checked.error } : { pending: checked };
}

declare global {
  interface Window {
    /** The last scenario run the worker returned (read by the end-to-end test). */
    vcmScenarioRun?: { readonly name: string; readonly report: ScenarioReport; readonly sweep: SweepReport | undefined; readonly ms: number };
  }
}

/** A scenario's run in the worker: its progress line, then the session or the error. */
interface Job {
  readonly key: string;
  readonly progress: string;
  readonly session?: Session;
  readonly error?: OpenError;
}

function useScenarioJob(key: string, opened: Opened): Job | undefined {
  const [job, setJob] = useState<Job | undefined>(undefined);
  useEffect(() => {
    const pending = opened.pending;
    if (pending === undefined) return undefined;
    setJob({ key, progress: 'starting the scenario worker' });
    const t0 = performance.now();
    const { result, cancel } = runInWorker(pending.text, (line) => setJob((j) => (j?.key === key && j.session === undefined ? { key, progress: line } : j)));
    let current = true;
    void result.then((r) => {
      if (!current) return;
      if ('error' in r) return setJob({ key, progress: '', error: r.error });
      const ms = Math.round(performance.now() - t0);
      window.vcmScenarioRun = { name: r.run.name, report: r.run.report, sweep: r.run.sweep, ms };
      setJob({ key, progress: `ran in ${ms} ms in a worker`, session: scenarioSession(r.run, pending.checked) });
    });
    return () => {
      current = false;
      cancel();
    };
  }, [key]);
  return job?.key === key ? job : undefined;
}

export function App(): JSX.Element {
  const [loc, setLoc] = useState<Location>(() => decodeLocation(location.hash));
  const sourceKey = JSON.stringify(loc.source);
  // Keyed by the source's value, not its object: stepping must not run the walk-through again.
  const opened = useMemo(() => open(loc.source), [sourceKey]);
  const job = useScenarioJob(sourceKey, opened);
  const session = opened.session ?? job?.session;
  const openFailure = opened.error ?? job?.error;
  const total = session?.steps.length ?? 0;
  const step = Math.min(loc.step, Math.max(0, total - 1));
  const views = VIEWS.filter((v) => v !== 'scenario' || session?.scenario !== undefined);
  const view = views.includes(loc.view) ? loc.view : 'graph';

  const go = (next: Partial<Location>): void => setLoc((l) => ({ ...l, ...next }));

  useEffect(() => {
    // While a scenario runs there are no steps yet: the URL keeps the step it asked for.
    if (session === undefined) return;
    const hash = encodeLocation({ source: loc.source, step, view });
    if (location.hash !== hash) history.replaceState(null, '', hash);
  }, [loc.source, step, view, session]);

  useEffect(() => {
    const onHash = (): void => setLoc(decodeLocation(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement | null;
      if (t !== null && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return;
      // Shift+arrows pan the graph; a modifier is never a step.
      if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
      let next: number | undefined;
      if (e.key === 'ArrowRight' || e.key === 'ArrowDown' || e.key === 'j') next = step + 1;
      else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp' || e.key === 'k') next = step - 1;
      else if (e.key === 'Home') next = 0;
      else if (e.key === 'End') next = total - 1;
      if (next === undefined) return;
      e.preventDefault();
      go({ step: Math.max(0, Math.min(total - 1, next)) });
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [step, total]);

  const current = session?.steps[step];
  const prev = step > 0 ? session?.steps[step - 1]?.state : undefined;
  return (
    <div class="app">
      <header>
        <h1>vcm explorer</h1>
        <OpenPanel source={loc.source} onOpen={(source) => setLoc({ source, step: 0, view: source.kind === 'walkthrough' ? view : 'scenario' })} />
      </header>
      {openFailure !== undefined && (
        <p class="error" role="alert" data-testid="open-error">
          <strong data-testid="open-error-path">{openFailure.path}</strong>: {openFailure.message}
        </p>
      )}
      {job !== undefined && job.error === undefined && (
        <p class="progress" role="status" aria-live="polite" data-testid="scenario-progress" data-done={job.session === undefined ? 'false' : 'true'}>
          {job.session === undefined ? '⏳ ' : ''}scenario: {job.progress}
        </p>
      )}
      {session !== undefined && (
        <main>
          <aside>
            <h2 data-testid="title">{session.title}</h2>
            <p class="summary">{session.summary}</p>
            <p class="board">board: {session.board}</p>
            <div class="nav">
              <button type="button" data-testid="prev" onClick={() => go({ step: Math.max(0, step - 1) })} disabled={step === 0} aria-label="previous step (←)">
                ◀
              </button>
              <button type="button" data-testid="next" onClick={() => go({ step: Math.min(total - 1, step + 1) })} disabled={step >= total - 1} aria-label="next step (→)">
                ▶
              </button>
              <span class="hint">← → or j k to step</span>
            </div>
            <StepList steps={session.steps} current={step} onSelect={(n) => go({ step: n })} />
          </aside>
          <div class="content">
            <StepDetail step={current} total={total} />
            {session.steps.every((s) => s.state === undefined) && (
              <p class="note" data-testid="no-platform">
                This walk-through builds its hardware outside its recorded steps (a bare SMMU, or a platform per measurement), so the views have no platform to show; its steps, calls and results are all here.
              </p>
            )}
            <nav class="tabs" role="tablist">
              {views.map((v) => (
                <button key={v} type="button" role="tab" data-view={v} aria-selected={v === view} class={v === view ? 'active' : ''} onClick={() => go({ view: v })}>
                  {VIEW_NAMES[v]}
                </button>
              ))}
            </nav>
            <div class="view" data-testid={`view-${view}`}>
              {view === 'graph' && <GraphView state={current?.state} prev={prev} />}
              {view === 'tables' && <TablesView session={session} step={step} state={current?.state} prev={prev} />}
              {view === 'walk' && <WalkView session={session} step={step} />}
              {view === 'memory' && <MemoryView state={current?.state} prev={prev} />}
              {view === 'caches' && <CachesView session={session} step={step} />}
              {view === 'scenario' && session.scenario !== undefined && <ScenarioView result={session.scenario} />}
            </div>
          </div>
        </main>
      )}
    </div>
  );
}
