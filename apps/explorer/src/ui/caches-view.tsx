/**
 * Translation caches: each SMMU's TLB and the CPU's, their entries (tags,
 * page sizes, outputs) at this step with the new ones marked, and their
 * counters over every step of the session; every cache of the SMMU's
 * hierarchy (each bank's micro-TLB, the main TLB, the walk cache:
 * docs/hardware.md#translation-caches) with its counters and what this
 * step added to them, and the SMMU's PMCG events.
 */
import type { JSX } from 'preact';
import { formatSize, hex } from '@vcm/core';
import { TLB_GLOBAL } from '@vcm/smmu';
import type { TlbEntry } from '@vcm/smmu';
import { useState } from 'preact/hooks';
import type { Session } from './session.js';
import { LineChart } from './line-chart.js';

const entryKey = (e: TlbEntry): string => `${e.bank}:${e.contextId}:${e.va}:${e.size}:${e.pa}`;

export function CachesView({ session, step }: { session: Session; step: number }): JSX.Element {
  const state = session.steps[step]?.state;
  const prev = step > 0 ? session.steps[step - 1]?.state : undefined;
  const [name, setName] = useState<string | undefined>(undefined);
  if (state === undefined) return <p>No platform yet: step forward.</p>;
  const tlb = state.tlbs.find((t) => t.name === name) ?? state.tlbs.find((t) => t.stats.hits + t.stats.misses > 0) ?? state.tlbs[0];
  if (tlb === undefined) return <p>No translation cache on this board.</p>;
  const old = new Set(prev?.tlbs.find((t) => t.name === tlb.name)?.entries.map(entryKey) ?? []);
  const prevCaches = prev?.tlbs.find((t) => t.name === tlb.name)?.caches;
  const history = session.steps.map((s) => s.state?.tlbs.find((t) => t.name === tlb.name)?.stats);
  const counter = (k: 'hits' | 'misses' | 'walks' | 'evictions') => ({ name: k, points: history.flatMap((h, i) => (h === undefined ? [] : [{ x: i + 1, y: h[k], label: `step ${i + 1}: ${h[k]} ${k}` }])) });
  return (
    <section class="caches-view">
      <label>
        cache{' '}
        <select data-testid="tlb-choice" value={tlb.name} onChange={(e) => setName((e.target as HTMLSelectElement).value)}>
          {state.tlbs.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name} TLB ({t.stats.capacity} entries, {t.stats.policy})
            </option>
          ))}
        </select>
      </label>
      <p data-testid="tlb-stats">
        {tlb.stats.entries} of {tlb.stats.capacity} entries valid · {tlb.stats.hits} hits · {tlb.stats.misses} misses · {tlb.stats.walks} walks · {tlb.stats.evictions} evictions · {tlb.stats.invalidations} invalidated
      </p>
      <LineChart testId="tlb-counters" series={[counter('hits'), counter('misses'), counter('walks'), counter('evictions')]} xLabel="step" yLabel="count" marker={step + 1} />
      <table data-testid="cache-counters">
        <thead>
          <tr>
            <th>cache</th>
            <th>entries</th>
            <th>lookups</th>
            <th>hits</th>
            <th>misses</th>
            <th>evictions</th>
            <th>hit rate</th>
            <th>this step</th>
          </tr>
        </thead>
        <tbody>
          {tlb.caches.map((c) => {
            const was = prevCaches?.find((x) => x.name === c.name);
            const dHits = c.hits - (was?.hits ?? 0);
            const dMisses = c.misses - (was?.misses ?? 0);
            const moved = prev !== undefined && (dHits !== 0 || dMisses !== 0);
            return (
              <tr key={c.name} data-cache={c.name} data-lookups={c.lookups} data-hits={c.hits} data-misses={c.misses} class={moved ? 'changed' : ''}>
                <td>{c.name}</td>
                <td>
                  {c.entries} of {c.capacity}
                </td>
                <td>{c.lookups}</td>
                <td>{c.hits}</td>
                <td>{c.misses}</td>
                <td>{c.evictions}</td>
                <td>{c.lookups === 0 ? '—' : `${((100 * c.hits) / c.lookups).toFixed(1)} %`}</td>
                <td>{prev === undefined ? '' : `+${dHits} hits, +${dMisses} misses`}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {tlb.events !== null && (
        <p data-testid="pmu-events" class="events">
          PMCG events: {Object.entries(tlb.events).map(([k, v]) => `${k} ${v}`).join(' · ')}
        </p>
      )}
      <table data-testid="tlb-entries">
        <thead>
          <tr>
            <th>bank</th>
            <th>context id (tag)</th>
            <th>virtual</th>
            <th>page size</th>
            <th>physical</th>
            <th>perm</th>
          </tr>
        </thead>
        <tbody>
          {tlb.entries.map((e) => {
            const isNew = prev !== undefined && !old.has(entryKey(e));
            return (
              <tr key={entryKey(e)} class={isNew ? 'changed' : ''} data-changed={isNew ? 'true' : 'false'}>
                <td>{e.bank}</td>
                <td>{e.contextId === TLB_GLOBAL ? 'global' : e.contextId}</td>
                <td>
                  <code>{hex(e.va)}</code>
                </td>
                <td>{formatSize(e.size)}</td>
                <td>
                  <code>{hex(e.pa)}</code>
                </td>
                <td>{e.perm}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {tlb.entries.length === 0 && <p>No valid entries at this step.</p>}
    </section>
  );
}
