/**
 * The mapping graph, placed by dagre and drawn as SVG; what the step changed
 * is outlined. The drawing is scaled to fit its pane (`fitTransform`) and
 * zooms and pans with d3-zoom: the wheel and dragging, or with the graph
 * focused + and − to zoom, Shift+arrows to pan, 0 to fit again.
 */
import type { JSX } from 'preact';
import { select } from 'd3-selection';
import { line, curveBasis } from 'd3-shape';
import { zoom, zoomIdentity } from 'd3-zoom';
import type { ZoomBehavior, ZoomTransform } from 'd3-zoom';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { buildGraph, graphChanges } from '../model/graph.js';
import type { NodeKind } from '../model/graph.js';
import { fitTransform, placeGraph } from '../model/layout.js';
import type { Placement } from '../model/layout.js';
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

/** Letters drawn at most this much larger than their size: a small graph is not blown up. */
const MAX_FIT_SCALE = 1.25;
const PAN_STEP_PX = 60;

/** d3-zoom on the SVG: the transform it holds, and fitting the placement into the pane (on a new placement and when the pane resizes). */
function useZoom(svgRef: { current: SVGSVGElement | null }, placed: Placement | undefined): { transform: ZoomTransform; behaviour: ZoomBehavior<SVGSVGElement, unknown> | undefined; fit: () => void } {
  const [transform, setTransform] = useState<ZoomTransform>(zoomIdentity);
  const behaviour = useRef<ZoomBehavior<SVGSVGElement, unknown> | undefined>(undefined);
  const fit = (): void => {
    const svg = svgRef.current;
    if (svg === null || placed === undefined || behaviour.current === undefined) return;
    const f = fitTransform(placed, svg.clientWidth, svg.clientHeight, MAX_FIT_SCALE);
    behaviour.current.transform(select(svg), zoomIdentity.translate(f.x, f.y).scale(f.k));
  };
  const hasSvg = placed !== undefined;
  useEffect(() => {
    const svg = svgRef.current;
    if (svg === null) return undefined;
    const z = zoom<SVGSVGElement, unknown>()
      .scaleExtent([0.05, 8])
      .on('zoom', (e: { transform: ZoomTransform }) => setTransform(e.transform));
    behaviour.current = z;
    select(svg).call(z);
    return () => {
      select(svg).on('.zoom', null);
      behaviour.current = undefined;
    };
  }, [hasSvg]);
  useEffect(() => {
    fit();
    const svg = svgRef.current;
    if (svg === null) return undefined;
    const observer = new ResizeObserver(() => fit());
    observer.observe(svg);
    return () => observer.disconnect();
  }, [placed]);
  return { transform, behaviour: behaviour.current, fit };
}

export function GraphView({ state, prev }: { state: StepState | undefined; prev: StepState | undefined }): JSX.Element {
  const graph = useMemo(() => (state === undefined ? undefined : buildGraph(state)), [state]);
  const placed = useMemo(() => (graph === undefined || graph.nodes.length === 0 ? undefined : placeGraph(graph)), [graph]);
  const changed = useMemo(() => (graph === undefined ? new Set<string>() : graphChanges(prev === undefined ? undefined : buildGraph(prev), graph)), [graph, prev]);
  const svgRef = useRef<SVGSVGElement>(null);
  const { transform, behaviour, fit } = useZoom(svgRef, placed);
  useEffect(() => {
    // The first graph drawn, empty or not (a walk-through's first step has no VCM yet).
    if (graph !== undefined && window.vcmFirstGraphMs === undefined) {
      requestAnimationFrame(() => {
        window.vcmFirstGraphMs ??= performance.now();
      });
    }
  }, [graph]);
  if (graph === undefined) return <p>No platform yet: step forward.</p>;
  if (placed === undefined) return <p data-testid="graph-empty">The graph is empty: no VCM or physical allocation yet.</p>;
  const zoomBy = (factor: number): void => {
    if (svgRef.current !== null && behaviour !== undefined) behaviour.scaleBy(select(svgRef.current), factor);
  };
  const panBy = (dx: number, dy: number): void => {
    if (svgRef.current !== null && behaviour !== undefined) behaviour.translateBy(select(svgRef.current), dx / transform.k, dy / transform.k);
  };
  const onKey = (e: KeyboardEvent): void => {
    let done = true;
    if (e.key === '+' || e.key === '=') zoomBy(1.25);
    else if (e.key === '-' || e.key === '_') zoomBy(0.8);
    else if (e.key === '0') fit();
    else if (e.shiftKey && e.key === 'ArrowLeft') panBy(PAN_STEP_PX, 0);
    else if (e.shiftKey && e.key === 'ArrowRight') panBy(-PAN_STEP_PX, 0);
    else if (e.shiftKey && e.key === 'ArrowUp') panBy(0, PAN_STEP_PX);
    else if (e.shiftKey && e.key === 'ArrowDown') panBy(0, -PAN_STEP_PX);
    else done = false;
    if (done) e.preventDefault();
  };
  return (
    <div class="graph-wrap">
      <div class="graph-tools">
        <button type="button" data-testid="zoom-in" onClick={() => zoomBy(1.25)} aria-label="zoom in (+)">
          +
        </button>
        <button type="button" data-testid="zoom-out" onClick={() => zoomBy(0.8)} aria-label="zoom out (−)">
          −
        </button>
        <button type="button" data-testid="zoom-fit" onClick={fit} aria-label="fit the graph to the pane (0)">
          fit
        </button>
        <span class="hint">wheel or + − to zoom, drag or Shift+arrows to pan, 0 to fit</span>
      </div>
      <svg ref={svgRef} data-testid="graph" class="graph" tabindex={0} onKeyDown={onKey} data-scale={transform.k.toFixed(3)} role="img" aria-label="mapping graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#555" />
          </marker>
        </defs>
        <g transform={transform.toString()}>
        {graph.edges.map((e) => {
          const p = placed.edges.get(e.id);
          if (p === undefined) return null;
          const isNew = changed.has(e.id);
          return (
            <g key={e.id} class={`edge${isNew ? ' changed' : ''}`} data-edge={e.id} data-from={e.from} data-to={e.to} data-changed={isNew ? 'true' : 'false'} {...Object.fromEntries(Object.entries(e.data).map(([k, v]) => [`data-${k.toLowerCase()}`, String(v)]))}>
              <path d={path(p.points as { x: number; y: number }[]) ?? ''} fill="none" stroke={isNew ? CHANGED : '#555'} stroke-width={isNew ? 3 : 1.2} marker-end="url(#arrow)" />
              {e.label !== '' && (
                <g class="edge-label" data-label-for={e.id}>
                  <rect x={p.labelX - p.labelWidth / 2} y={p.labelY - p.labelHeight / 2} width={p.labelWidth} height={p.labelHeight} rx={3} fill="#fff" stroke={isNew ? CHANGED : '#bbb'} stroke-width={isNew ? 1.5 : 0.8} />
                  <text x={p.labelX} y={p.labelY + 3.5} text-anchor="middle">
                    {e.label}
                  </text>
                </g>
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
        </g>
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
