/** A small SVG line chart (d3-scale for the axes, d3-shape for the lines); every point is a circle a reader can hover. */
import type { JSX } from 'preact';
import { scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { OKABE_ITO } from './palette.js';

export interface Series {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number; readonly label: string }[];
  /** A bound drawn with the data (a deadline): a dashed line without point markers. */
  readonly bound?: boolean;
}

/** Past the palette's seven colours a series repeats a colour, so it is dotted as well: never told apart by colour alone. */
const dash = (i: number): string | undefined => (i >= COLOURS.length ? '2 3' : undefined);

const COLOURS = [OKABE_ITO.blue, OKABE_ITO.vermillion, OKABE_ITO.bluishGreen, OKABE_ITO.orange, OKABE_ITO.reddishPurple, OKABE_ITO.skyBlue, OKABE_ITO.black];

export function LineChart({ series, xLabel, yLabel, marker, testId, xTicks }: { series: readonly Series[]; xLabel: string; yLabel: string; marker?: number; testId: string; xTicks?: readonly { x: number; label: string }[] }): JSX.Element {
  const W = 560;
  const H = 220;
  const M = { l: 56, r: 12, t: 10, b: 40 };
  const all = series.flatMap((s) => s.points);
  const x = scaleLinear()
    .domain([Math.min(0, ...all.map((p) => p.x)), Math.max(1, ...all.map((p) => p.x))])
    .range([M.l, W - M.r]);
  const y = scaleLinear()
    .domain([0, Math.max(1, ...all.map((p) => p.y))])
    .nice()
    .range([H - M.b, M.t]);
  const path = line<{ x: number; y: number }>()
    .x((p) => x(p.x))
    .y((p) => y(p.y));
  const ticks = xTicks ?? x.ticks(8).map((t) => ({ x: t, label: String(t) }));
  return (
    <figure class="chart">
      <svg data-testid={testId} width={W} height={H} role="img" aria-label={`${yLabel} by ${xLabel}`}>
        <line x1={M.l} x2={W - M.r} y1={H - M.b} y2={H - M.b} stroke="#333" />
        <line x1={M.l} x2={M.l} y1={M.t} y2={H - M.b} stroke="#333" />
        {y.ticks(5).map((t) => (
          <g key={t}>
            <line x1={M.l - 4} x2={M.l} y1={y(t)} y2={y(t)} stroke="#333" />
            <text x={M.l - 6} y={y(t) + 4} text-anchor="end" class="tick">
              {t}
            </text>
          </g>
        ))}
        {ticks.map((t) => (
          <text key={t.x} x={x(t.x)} y={H - M.b + 14} text-anchor="middle" class="tick">
            {t.label}
          </text>
        ))}
        <text x={(M.l + W - M.r) / 2} y={H - 6} text-anchor="middle" class="axis-label">
          {xLabel}
        </text>
        <text x={12} y={(M.t + H - M.b) / 2} transform={`rotate(-90 12 ${(M.t + H - M.b) / 2})`} text-anchor="middle" class="axis-label">
          {yLabel}
        </text>
        {marker !== undefined && <line x1={x(marker)} x2={x(marker)} y1={M.t} y2={H - M.b} stroke={OKABE_ITO.black} stroke-dasharray="3 3" />}
        {series.map((s, i) => (
          <g key={s.name} data-series={s.name}>
            <path d={path([...s.points]) ?? ''} fill="none" stroke={s.bound === true ? OKABE_ITO.black : COLOURS[i % COLOURS.length]} stroke-width={1.5} stroke-dasharray={s.bound === true ? '6 4' : dash(i)} />
            {s.bound !== true &&
              s.points.map((p, j) => (
                <circle key={j} data-testid={`${testId}-point`} data-y={p.y} cx={x(p.x)} cy={y(p.y)} r={3.5} fill={COLOURS[i % COLOURS.length]}>
                  <title>{p.label}</title>
                </circle>
              ))}
          </g>
        ))}
      </svg>
      <figcaption>
        {series.map((s, i) => (
          <span key={s.name} class="key">
            <i style={s.bound === true ? { border: 'none', borderTop: `2px dashed ${OKABE_ITO.black}` } : dash(i) !== undefined ? { border: 'none', borderTop: `3px dotted ${COLOURS[i % COLOURS.length]}` } : { background: COLOURS[i % COLOURS.length] }} /> {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
