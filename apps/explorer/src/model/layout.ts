/**
 * Places the mapping graph with dagre (a Sugiyama-style layered layout),
 * top to bottom in the order of the graph's layers: devices, associations,
 * VCMs, reservations, physical allocations, chunks, pools, banks. Top to
 * bottom because a layer holds few nodes side by side while the chain is
 * eight layers long: laid left to right it is several panes wide.
 *
 * Edge labels are given their size, so dagre places each one as a node of
 * its own (dagre's `width`/`height`/`labelpos` edge labels) and no two
 * labels, nodes or labels and nodes overlap.
 */
import dagre from '@dagrejs/dagre';
import type { EdgeLabel, GraphLabel, NodeLabel } from '@dagrejs/dagre';
import type { MappingGraph } from './graph.js';

export interface PlacedNode {
  readonly id: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface PlacedEdge {
  readonly id: string;
  readonly points: readonly { x: number; y: number }[];
  /** The label's centre and the box dagre kept free for it. */
  readonly labelX: number;
  readonly labelY: number;
  readonly labelWidth: number;
  readonly labelHeight: number;
}

export interface Placement {
  readonly width: number;
  readonly height: number;
  readonly nodes: ReadonlyMap<string, PlacedNode>;
  readonly edges: ReadonlyMap<string, PlacedEdge>;
}

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 44;
/** Edge labels are drawn at 10 px: an advance of at most 6.2 px a character, plus a margin on each side. */
export const LABEL_FONT_PX = 10;
const LABEL_CHAR_PX = 6.2;
const LABEL_PAD_PX = 8;

export function labelSize(text: string): { width: number; height: number } {
  return text === '' ? { width: 0, height: 0 } : { width: Math.ceil(text.length * LABEL_CHAR_PX) + 2 * LABEL_PAD_PX, height: LABEL_FONT_PX + 6 };
}

export function placeGraph(graph: MappingGraph): Placement {
  const g = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 26, edgesep: 12, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of graph.edges) g.setEdge(e.from, e.to, { ...labelSize(e.label), labelpos: 'c' }, e.id);
  dagre.layout(g);
  const nodes = new Map<string, PlacedNode>();
  for (const id of g.nodes()) {
    const n = g.node(id);
    nodes.set(id, { id, x: n.x ?? 0, y: n.y ?? 0, width: n.width, height: n.height });
  }
  const edges = new Map<string, PlacedEdge>();
  for (const ref of g.edges()) {
    const e = g.edge(ref);
    const id = ref.name ?? `${ref.v}->${ref.w}`;
    const points = e.points ?? [];
    const mid = points[Math.floor(points.length / 2)] ?? { x: 0, y: 0 };
    edges.set(id, { id, points, labelX: e.x ?? mid.x, labelY: e.y ?? mid.y, labelWidth: e.width ?? 0, labelHeight: e.height ?? 0 });
  }
  const gg = g.graph();
  return { width: gg.width ?? 0, height: gg.height ?? 0, nodes, edges };
}

/** A zoom transform: screen = k · graph + (x, y). */
export interface Fit {
  readonly k: number;
  readonly x: number;
  readonly y: number;
}

/**
 * The transform that shows the whole placement in a pane of `paneWidth` ×
 * `paneHeight`, centred: scaled down to fit, never up past `maxScale` (a
 * small graph stays at its drawn size instead of growing huge letters).
 */
export function fitTransform(placement: { width: number; height: number }, paneWidth: number, paneHeight: number, maxScale = 1): Fit {
  if (placement.width <= 0 || placement.height <= 0 || paneWidth <= 0 || paneHeight <= 0) return { k: 1, x: 0, y: 0 };
  const k = Math.min(maxScale, paneWidth / placement.width, paneHeight / placement.height);
  return { k, x: (paneWidth - k * placement.width) / 2, y: (paneHeight - k * placement.height) / 2 };
}
