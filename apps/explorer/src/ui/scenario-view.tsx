/** A scenario's run: per-device counters, the TLBs, the expectations, and the sweep chart (one point per sweep point). */
import type { JSX } from 'preact';
import type { ScenarioResult } from './session.js';
import type { Series } from './line-chart.js';
import { LineChart } from './line-chart.js';

function sweepSeries(result: ScenarioResult): { series: Series[]; field: string; ticks: { x: number; label: string }[] } | undefined {
  const sweep = result.sweep;
  if (sweep === undefined) return undefined;
  const field = sweep.fields[sweep.fields.length - 1]!;
  const values: string[] = [...new Set(sweep.points.map((p) => String(p.values[field])))];
  const groups = new Map<string, Series['points'][number][]>();
  for (const p of sweep.points) {
    const rest = sweep.fields.slice(0, -1).map((f) => `${f} = ${String(p.values[f])}`).join(', ') || 'misses';
    const x = values.indexOf(String(p.values[field]));
    const misses = p.devices.reduce((n, d) => n + d.misses, 0);
    const list = groups.get(rest) ?? [];
    groups.set(rest, list);
    list.push({ x, y: misses, label: `${sweep.fields.map((f) => `${f} = ${String(p.values[f])}`).join(', ')}: ${misses} misses` });
  }
  return { series: [...groups].map(([name, points]) => ({ name, points })), field, ticks: values.map((v, i) => ({ x: i, label: v })) };
}

export function ScenarioView({ result }: { result: ScenarioResult }): JSX.Element {
  const { report } = result;
  const chart = sweepSeries(result);
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
          </tr>
        </thead>
        <tbody>
          {report.devices.map((d) => (
            <tr key={d.name}>
              <td>{d.name}</td>
              <td>{d.accesses}</td>
              <td>{d.bytes}</td>
              <td>{d.hits}</td>
              <td>{d.misses}</td>
              <td>{d.walks}</td>
              <td>{d.faults}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>expectations</h3>
      <ul>
        {report.expectations.map((x) => (
          <li key={x.name} class={x.ok ? 'pass' : 'fail'}>
            {x.ok ? '✔' : '✘'} {x.name}: expected {x.expected}, got {x.actual}
          </li>
        ))}
      </ul>
      {chart !== undefined && result.sweep !== undefined && (
        <>
          <h3>sweep: misses by {chart.field}</h3>
          <div data-testid="sweep-chart" data-points={result.sweep.points.length}>
            <LineChart testId="sweep" series={chart.series} xLabel={chart.field} yLabel="TLB misses (all devices)" xTicks={chart.ticks} />
          </div>
        </>
      )}
    </section>
  );
}
