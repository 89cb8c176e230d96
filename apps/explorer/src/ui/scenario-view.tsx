/**
 * A scenario's run: per-device counters, what each translation cache did
 * for each device, the timing of every device on a clocked SMMU (cycles,
 * stalls, bandwidth against what the frame rate needs, the deadline;
 * docs/scenarios.md#timing), the expectations, and for a scenario with a
 * sweep a chart of a chosen figure with one point per sweep point.
 */
import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { defaultFigure, sweepChart, sweepFigures } from '../model/sweep-figures.js';
import type { ScenarioResult } from './session.js';
import type { Series } from './line-chart.js';
import { LineChart } from './line-chart.js';

type DeviceRow = ScenarioResult['report']['devices'][number];
type Counts = { readonly lookups: number; readonly hits: number; readonly misses: number } | null | undefined;

const int = (n: number): string => n.toLocaleString('en-US');
const ms = (s: number): string => `${(s * 1e3).toPrecision(4)} ms`;
const gbps = (b: number | null): string => (b === null ? '—' : `${(b / 1e9).toPrecision(4)} GB/s`);
const rate = (c: Counts): string => (c == null ? 'off' : c.lookups === 0 ? '0 lookups' : `${int(c.hits)} / ${int(c.lookups)} hit (${((100 * c.hits) / c.lookups).toFixed(1)} %), ${int(c.misses)} missed`);

function CachesTable({ devices }: { devices: readonly DeviceRow[] }): JSX.Element | null {
  const rows = devices.filter((d) => d.caches !== undefined);
  if (rows.length === 0) return null;
  return (
    <>
      <h3>translation caches per device</h3>
      <table data-testid="scenario-caches">
        <thead>
          <tr>
            <th>device</th>
            <th>micro-TLB</th>
            <th>main TLB</th>
            <th>walk cache</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={d.name} data-device={d.name}>
              <td>{d.name}</td>
              <td>{rate(d.caches?.microTlb)}</td>
              <td>{rate(d.caches?.mainTlb)}</td>
              <td>{rate(d.caches?.walkCache)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function TimingTable({ devices }: { devices: readonly DeviceRow[] }): JSX.Element | null {
  const rows = devices.filter((d) => d.timing !== undefined);
  if (rows.length === 0) return null;
  return (
    <>
      <h3>timing</h3>
      <table data-testid="scenario-timing">
        <thead>
          <tr>
            <th>device</th>
            <th>clock</th>
            <th>cycles</th>
            <th>stall cycles</th>
            <th>walk reads</th>
            <th>bandwidth</th>
            <th>slowest frame / period</th>
            <th>its bandwidth / needed</th>
            <th>deadline</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => {
            const t = d.timing!;
            const f = t.frame;
            return (
              <tr key={d.name} data-device={d.name} data-cycles={t.cycles} data-stall-cycles={t.stallCycles} data-deadline-met={f === null ? '' : String(f.deadlineMet)}>
                <td>{d.name}</td>
                <td>{t.clockMHz} MHz</td>
                <td>{int(t.cycles)}</td>
                <td>
                  {int(t.stallCycles)}
                  {t.cycles > 0 ? ` (${((100 * t.stallCycles) / t.cycles).toFixed(1)} %)` : ''}
                </td>
                <td>{int(t.walkMemoryAccesses)}</td>
                <td>{gbps(t.achievedBytesPerSecond)}</td>
                <td>{f === null ? 'no frame rate' : `${ms(f.worstSeconds)} / ${ms(f.periodSeconds)}`}</td>
                <td>{f === null ? '—' : `${gbps(f.achievedBytesPerSecond)} / ${gbps(f.requiredBytesPerSecond)}`}</td>
                <td class={f === null ? '' : f.deadlineMet ? 'pass' : 'fail'}>{f === null ? '—' : f.deadlineMet ? '✔ met' : '✘ missed'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

function SweepChartView({ result }: { result: ScenarioResult }): JSX.Element | null {
  const sweep = result.sweep;
  const figures = useMemo(() => (sweep === undefined ? [] : sweepFigures(sweep)), [sweep]);
  const [id, setId] = useState<string | undefined>(undefined);
  if (sweep === undefined || figures.length === 0) return null;
  const figure = figures.find((f) => f.id === id) ?? defaultFigure(sweep, figures);
  const chart = sweepChart(sweep, figure);
  const series: Series[] = chart.series.map((s) => ({ name: s.name, points: s.points }));
  // The bound (deadline, needed bandwidth) where every point has the same one: one dashed line.
  const refs = new Set(chart.series.flatMap((s) => s.points.map((p) => p.reference)));
  const [ref] = refs;
  if (refs.size === 1 && ref !== null && ref !== undefined && figure.referenceLabel !== null) {
    series.push({ name: `${figure.referenceLabel}: ${Number(ref.toPrecision(4))}`, bound: true, points: chart.ticks.map((t) => ({ x: t.x, y: ref, label: figure.referenceLabel ?? '' })) });
  }
  return (
    <>
      <h3>
        sweep:{' '}
        <select data-testid="sweep-figure" value={figure.id} onChange={(e) => setId((e.target as HTMLSelectElement).value)}>
          {figures.map((f) => (
            <option key={f.id} value={f.id}>
              {f.label}
            </option>
          ))}
        </select>{' '}
        by {chart.field}
      </h3>
      <div data-testid="sweep-chart" data-points={sweep.points.length} data-figure={figure.id}>
        <LineChart testId="sweep" series={series} xLabel={chart.field} yLabel={figure.label} xTicks={chart.ticks} />
      </div>
      {chart.missing > 0 && <p class="note">{chart.missing} sweep point(s) have no value for this figure (the device is untimed there).</p>}
    </>
  );
}

export function ScenarioView({ result }: { result: ScenarioResult }): JSX.Element {
  const { report } = result;
  const timed = report.devices.some((d) => d.cycles !== undefined);
  return (
    <section class="scenario-view">
      <h3>devices</h3>
      <table data-testid="scenario-devices">
        <thead>
          <tr>
            <th>device</th>
            <th>accesses</th>
            <th>bytes</th>
            <th>hits</th>
            <th>misses</th>
            <th>walks</th>
            <th>faults</th>
            {timed && <th>cycles</th>}
            {timed && <th>stall cycles</th>}
          </tr>
        </thead>
        <tbody>
          {report.devices.map((d) => (
            <tr key={d.name}>
              <td>{d.name}</td>
              <td>{int(d.accesses)}</td>
              <td>{int(d.bytes)}</td>
              <td>{int(d.hits)}</td>
              <td>{int(d.misses)}</td>
              <td>{int(d.walks)}</td>
              <td>{int(d.faults)}</td>
              {timed && <td>{d.cycles === undefined ? '—' : int(d.cycles)}</td>}
              {timed && <td>{d.stallCycles === undefined ? '—' : int(d.stallCycles)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
      <TimingTable devices={report.devices} />
      <CachesTable devices={report.devices} />
      <h3>expectations</h3>
      <ul>
        {report.expectations.map((x) => (
          <li key={x.name} class={x.ok ? 'pass' : 'fail'}>
            {x.ok ? '✔' : '✘'} {x.name}: expected {x.expected}, got {x.actual}
          </li>
        ))}
      </ul>
      <SweepChartView result={result} />
    </section>
  );
}
