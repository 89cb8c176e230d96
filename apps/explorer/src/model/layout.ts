/**
 * Places the mapping graph with dagre (a Sugiyama-style layered layout),
 * left to right in the order of the graph's layers: devices, associations,
 * VCMs, reservations, physical allocations, chunks, pools, banks.
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
  readonly labelX: number;
  readonly labelY: number;
}

export interface Placement {
  readonly width: number;
  readonly height: number;
  readonly nodes: ReadonlyMap<string, PlacedNode>;
  readonly edges: ReadonlyMap<string, PlacedEdge>;
}

export const NODE_WIDTH = 170;
export const NODE_HEIGHT = 44;

export function placeGraph(graph: MappingGraph): Placement {
  const g = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 90, edgesep: 10, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of graph.edges) g.setEdge(e.from, e.to, { width: e.label.length * 6.2, height: 14, labelpos: 'c' }, e.id);
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
    edges.set(id, { id, points, labelX: e.x ?? mid.x, labelY: e.y ?? mid.y });
  }
  const gg = g.graph();
  return { width: gg.width ?? 0, height: gg.height ?? 0, nodes, edges };
}
