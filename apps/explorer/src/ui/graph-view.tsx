/** The mapping graph, placed by dagre and drawn as SVG; what the step changed is outlined. */
import type { JSX } from 'preact';
import { line, curveBasis } from 'd3-shape';
import { useEffect, useMemo } from 'preact/hooks';
import { buildGraph, graphChanges } from '../model/graph.js';
import type { NodeKind } from '../model/graph.js';
import { placeGraph } from '../model/layout.js';
import type { StepState } from '../model/state.js';
import { CHANGED, OKABE_ITO } from './palette.js';

const FILL: Readonly<Record<NodeKind, string>> = {
  device: OKABE_ITO.orange,
  association: OKABE_ITO.yellow,
  vcm: OKABE_ITO.skyBlue,
  reservation: OKABE_ITO.bluishGreen,
  physmem: OKABE_ITO.reddishPurple,
  chunks: '#f2d4e5',
  pool: '#cfe8f7',
  bank: '#d9d9d9',
};

const path = line<{ x: number; y: number }>()
  .x((p) => p.x)
  .y((p) => p.y)
  .curve(curveBasis);

declare global {
  interface Window {
    /** Milliseconds from navigation start to the first drawn graph (read by the end-to-end test). */
    vcmFirstGraphMs?: number;
  }
}

export function GraphView({ state, prev }: { state: StepState | undefined; prev: StepState | undefined }): JSX.Element {
  const graph = useMemo(() => (state === undefined ? undefined : buildGraph(state)), [state]);
  const placed = useMemo(() => (graph === undefined ? undefined : placeGraph(graph)), [graph]);
  const changed = useMemo(() => (graph === undefined ? new Set<string>() : graphChanges(prev === undefined ? undefined : buildGraph(prev), graph)), [graph, prev]);
  useEffect(() => {
    if (placed !== undefined && window.vcmFirstGraphMs === undefined) {
      requestAnimationFrame(() => {
        window.vcmFirstGraphMs ??= performance.now();
      });
    }
  }, [placed]);
  if (graph === undefined || placed === undefined) return <p>No platform yet: step forward.</p>;
  if (graph.nodes.length === 0) return <p data-testid="graph-empty">The graph is empty: no VCM or physical allocation yet.</p>;
  return (
    <div class="graph-wrap">
      <svg data-testid="graph" class="graph" viewBox={`0 0 ${placed.width} ${placed.height}`} width={placed.width} height={placed.height} role="img" aria-label="mapping graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#555" />
          </marker>
        </defs>
        {graph.edges.map((e) => {
          const p = placed.edges.get(e.id);
          if (p === undefined) return null;
          const isNew = changed.has(e.id);
          return (
            <g key={e.id} class={`edge${isNew ? ' changed' : ''}`} data-edge={e.id} data-from={e.from} data-to={e.to} data-changed={isNew ? 'true' : 'false'} {...Object.fromEntries(Object.entries(e.data).map(([k, v]) => [`data-${k.toLowerCase()}`, String(v)]))}>
              <path d={path(p.points as { x: number; y: number }[]) ?? ''} fill="none" stroke={isNew ? CHANGED : '#555'} stroke-width={isNew ? 3 : 1.2} marker-end="url(#arrow)" />
              {e.label !== '' && (
                <text x={p.labelX} y={p.labelY + 4} text-anchor="middle" class="edge-label">
                  {e.label}
                </text>
              )}
            </g>
          );
        })}
        {graph.nodes.map((n) => {
          const p = placed.nodes.get(n.id);
          if (p === undefined) return null;
          const isNew = changed.has(n.id);
          return (
            <g key={n.id} class={`node ${n.kind}${isNew ? ' changed' : ''}`} data-node={n.id} data-changed={isNew ? 'true' : 'false'} transform={`translate(${p.x - p.width / 2},${p.y - p.height / 2})`}>
              <title>{`${n.label}: ${n.detail}`}</title>
              <rect width={p.width} height={p.height} rx={6} fill={FILL[n.kind]} stroke={isNew ? CHANGED : '#333'} stroke-width={isNew ? 4 : 1} stroke-dasharray={isNew ? '6 3' : undefined} />
              <text x={8} y={17} class="node-label">
                {n.label}
              </text>
              <text x={8} y={34} class="node-detail">
                {n.detail}
              </text>
            </g>
          );
        })}
      </svg>
      <p class="legend">
        {(Object.keys(FILL) as NodeKind[]).map((k) => (
          <span key={k}>
            <i style={{ background: FILL[k] }} /> {k}
          </span>
        ))}
        <span>
          <i style={{ border: `3px dashed ${CHANGED}` }} /> changed by this step
        </span>
      </p>
    </div>
  );
}
