/**
 * The mapping graph of one step as nodes and edges: devices ↔ associations
 * ↔ VCMs ↔ reservations ↔ physical allocations ↔ chunks ↔ pools ↔ banks
 * (the objects of seed 000's "Mapping Graph"), with device addresses and
 * sizes on the edges. Ids are stable across steps (they are the graph's own
 * object ids), so comparing two steps' graphs tells what a call changed.
 */
import { formatSize, hex } from '@vcm/core';
import type { StepState } from './state.js';

export type NodeKind = 'device' | 'association' | 'vcm' | 'reservation' | 'physmem' | 'chunks' | 'pool' | 'bank';

export interface GraphNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly label: string;
  readonly detail: string;
}

export interface GraphEdge {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly label: string;
  /** Numbers the label shows, for tests and tooltips: a device address, a physical address, a size. */
  readonly data: Readonly<Record<string, number>>;
}

export interface MappingGraph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

interface Region {
  readonly id: string;
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly detail: string;
}

function regionsOf(state: StepState): Region[] {
  const pools: Region[] = state.phys.pools.map((p) => ({ id: `pool:${p.name}`, name: p.name, base: p.base, size: p.blockSize * p.total, detail: `block pool, ${p.total} × ${formatSize(p.blockSize)}` }));
  const cont: Region[] = state.phys.contiguous.map((p) => ({ id: `pool:${p.name}`, name: p.name, base: p.base, size: p.size, detail: `contiguous pool, ${formatSize(p.size)}` }));
  return [...pools, ...cont];
}

const within = (r: { base: number; size: number }, pa: number): boolean => pa >= r.base && pa < r.base + r.size;

export function buildGraph(state: StepState): MappingGraph {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const node = (n: GraphNode): void => void (nodes.has(n.id) || nodes.set(n.id, n));
  const edge = (from: string, to: string, label: string, data: Record<string, number> = {}): void => void edges.push({ id: `${from}->${to}`, from, to, label, data });
  const devices = new Map(state.devices.map((d) => [d.name, d]));

  for (const vcm of state.graph.vcms) {
    const vid = `vcm:${vcm.id}`;
    node({ id: vid, kind: 'vcm', label: `VCM #${vcm.id} (${vcm.type})`, detail: `${hex(vcm.startAddr)} + ${formatSize(vcm.len)}` });
    for (const a of vcm.associations) {
      const did = `dev:${a.dev}`;
      const d = devices.get(a.dev);
      node({ id: did, kind: 'device', label: a.dev, detail: d === undefined ? 'device' : d.kind === 'context' ? `context of SMMU ${d.smmu ?? ''}` : d.kind === 'cpu' ? 'the CPU' : 'direct-mapped device' });
      const aid = `assoc:${vcm.id}:${a.id}`;
      node({ id: aid, kind: 'association', label: `association #${a.id}`, detail: a.active ? 'active' : 'inactive' });
      edge(did, aid, a.active ? 'active' : 'inactive');
      edge(aid, vid, '');
    }
    for (const r of vcm.reservations) {
      const rid = `res:${r.id}`;
      node({ id: rid, kind: 'reservation', label: `reservation #${r.id}`, detail: r.devAddr === null ? `${formatSize(r.len)}, not placed` : `${hex(r.devAddr)} + ${formatSize(r.len)}` });
      edge(vid, rid, r.devAddr === null ? formatSize(r.len) : `${hex(r.devAddr)} · ${formatSize(r.len)}`, r.devAddr === null ? { len: r.len } : { devAddr: r.devAddr, len: r.len });
      if (r.physmem !== null) edge(rid, `pm:${r.physmem}`, `backs ${r.devAddr === null ? '' : hex(r.devAddr)} · ${formatSize(r.len)}`, r.devAddr === null ? { len: r.len } : { devAddr: r.devAddr, len: r.len });
    }
  }

  const regions = regionsOf(state);
  for (const p of state.graph.physmems) {
    const pid = `pm:${p.id}`;
    node({ id: pid, kind: 'physmem', label: `physmem #${p.id}`, detail: `memtype ${p.memtype}, ${formatSize(p.len)}${p.contiguous ? ', contiguous' : ''}` });
    // Chunks grouped by the pool they came from: one node per (allocation, pool).
    const groups = new Map<string, { pas: number[]; bytes: number; sizes: Map<number, number> }>();
    for (const c of p.chunks) {
      const region = regions.find((r) => within(r, c.pa));
      const key = region?.id ?? 'pool:?';
      const g = groups.get(key) ?? { pas: [], bytes: 0, sizes: new Map<number, number>() };
      groups.set(key, g);
      g.pas.push(c.pa);
      g.bytes += c.len;
      g.sizes.set(c.len, (g.sizes.get(c.len) ?? 0) + 1);
    }
    for (const [poolId, g] of groups) {
      const cid = `chunks:${p.id}:${poolId.slice('pool:'.length)}`;
      const mix = [...g.sizes].sort((a, b) => b[0] - a[0]).map(([s, n]) => `${n} × ${formatSize(s)}`).join(' + ');
      node({ id: cid, kind: 'chunks', label: `${g.pas.length} chunk${g.pas.length === 1 ? '' : 's'}`, detail: mix });
      edge(pid, cid, `${hex(Math.min(...g.pas))} · ${formatSize(g.bytes)}`, { pa: Math.min(...g.pas), len: g.bytes });
      const region = regions.find((r) => r.id === poolId);
      if (region !== undefined) {
        node({ id: region.id, kind: 'pool', label: region.name, detail: region.detail });
        edge(cid, region.id, '');
      }
    }
  }

  for (const r of regions) {
    if (!nodes.has(r.id)) continue;
    const bank = state.phys.banks.find((b) => within(b, r.base));
    if (bank === undefined) continue;
    node({ id: `bank:${bank.name}`, kind: 'bank', label: `bank ${bank.name}`, detail: `${hex(bank.base)} + ${formatSize(bank.size)}` });
    edge(r.id, `bank:${bank.name}`, `${hex(r.base)}`, { pa: r.base });
  }
  return { nodes: [...nodes.values()], edges };
}

/** What is new or different in `now` compared with `before` (node and edge ids). */
export function graphChanges(before: MappingGraph | undefined, now: MappingGraph): Set<string> {
  const changed = new Set<string>();
  if (before === undefined) return changed;
  const nodes = new Map(before.nodes.map((n) => [n.id, n]));
  const edges = new Map(before.edges.map((e) => [e.id, e]));
  for (const n of now.nodes) {
    const old = nodes.get(n.id);
    if (old === undefined || old.label !== n.label || old.detail !== n.detail) changed.add(n.id);
  }
  for (const e of now.edges) if (edges.get(e.id)?.label !== e.label) changed.add(e.id);
  return changed;
}
