import { findWalkthrough } from '@vcm/reference/browser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGraph } from './graph.js';
import { fitTransform, labelSize, placeGraph } from './layout.js';
import { recordWalkthrough } from './session.js';

interface Box {
  readonly id: string;
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

const overlap = (a: Box, b: Box): boolean => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

describe('placeGraph', () => {
  const run = recordWalkthrough(findWalkthrough('video-playback')!);
  const at = run.steps.findIndex((s) => s.cCall === 'vcm_back(res_16M, buf_frame);');
  const graph = buildGraph(run.steps[at]!.state!);
  const placed = placeGraph(graph);

  it('at the vcm_back of the 16 MiB frame, no edge label overlaps another label or a node, and every box lies inside the placement', () => {
    const boxes: Box[] = [];
    for (const n of placed.nodes.values()) boxes.push({ id: n.id, x0: n.x - n.width / 2, y0: n.y - n.height / 2, x1: n.x + n.width / 2, y1: n.y + n.height / 2 });
    for (const e of graph.edges) {
      const p = placed.edges.get(e.id)!;
      if (e.label === '') continue;
      // The box the label is drawn in: its text's size, centred where dagre put it.
      const { width, height } = labelSize(e.label);
      expect([p.labelWidth, p.labelHeight]).toEqual([width, height]);
      boxes.push({ id: `label ${e.label}`, x0: p.labelX - width / 2, y0: p.labelY - height / 2, x1: p.labelX + width / 2, y1: p.labelY + height / 2 });
    }
    expect(boxes.length).toBeGreaterThan(graph.nodes.length);
    const clashes: string[] = [];
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) if (overlap(boxes[i]!, boxes[j]!)) clashes.push(`${boxes[i]!.id} × ${boxes[j]!.id}`);
    expect(clashes).toEqual([]);
    for (const b of boxes) {
      expect(b.x0).toBeGreaterThanOrEqual(0);
      expect(b.y0).toBeGreaterThanOrEqual(0);
      expect(b.x1).toBeLessThanOrEqual(placed.width);
      expect(b.y1).toBeLessThanOrEqual(placed.height);
    }
  });

  it('lays the layers out top to bottom: devices above associations above the VCM above reservations above physmems above chunks above pools above banks', () => {
    const order = ['device', 'association', 'vcm', 'reservation', 'physmem', 'chunks', 'pool', 'bank'];
    const ys = order.map((kind) => graph.nodes.filter((n) => n.kind === kind).map((n) => placed.nodes.get(n.id)!.y));
    for (const list of ys) expect(list.length).toBeGreaterThan(0);
    for (let i = 1; i < ys.length; i++) expect(Math.min(...ys[i]!)).toBeGreaterThan(Math.max(...ys[i - 1]!));
  });
});

describe('fitTransform', () => {
  it('puts the whole placement inside the pane, centred, never scaled past maxScale', () => {
    const dim = fc.double({ min: 1, max: 5000, noNaN: true });
    fc.assert(
      fc.property(dim, dim, dim, dim, fc.double({ min: 0.1, max: 4, noNaN: true }), (w, h, pw, ph, max) => {
        const f = fitTransform({ width: w, height: h }, pw, ph, max);
        expect(f.k).toBeLessThanOrEqual(max);
        expect(f.k).toBeCloseTo(Math.min(max, pw / w, ph / h), 9);
        expect(f.x).toBeGreaterThanOrEqual(-1e-6);
        expect(f.y).toBeGreaterThanOrEqual(-1e-6);
        expect(f.x + f.k * w).toBeLessThanOrEqual(pw + 1e-6);
        expect(f.y + f.k * h).toBeLessThanOrEqual(ph + 1e-6);
        expect(f.x + f.k * w / 2).toBeCloseTo(pw / 2, 6);
      }),
    );
  });

  it('an empty placement or pane gets the identity', () => {
    expect(fitTransform({ width: 0, height: 10 }, 100, 100)).toEqual({ k: 1, x: 0, y: 0 });
    expect(fitTransform({ width: 10, height: 10 }, 0, 100)).toEqual({ k: 1, x: 0, y: 0 });
  });
});
