/**
 * What a sweep's chart can show (docs/scenarios.md#timing): the TLB misses
 * of all devices, and for each device a timed SMMU clocked, its slowest
 * frame against the frame period, its stall cycles and the bandwidth it
 * sustained against what its frame rate needs. A chart has one point per
 * sweep point: x is the last axis's value, and one line per combination of
 * the other axes.
 */
import type { SweepReport } from '@vcm/scenario';

type Row = SweepReport['points'][number];

export interface SweepFigure {
  readonly id: string;
  readonly label: string;
  /** The figure at one sweep point; null where the point has none (the device untimed there). */
  value(row: Row): number | null;
  /** A bound to draw with it (the frame period for a frame time, the bandwidth the frame rate needs); null: none. */
  reference(row: Row): number | null;
  readonly referenceLabel: string | null;
}

export interface SweepSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number; readonly reference: number | null; readonly label: string }[];
}

export interface SweepChart {
  readonly field: string;
  readonly ticks: readonly { readonly x: number; readonly label: string }[];
  readonly series: readonly SweepSeries[];
  /** Sweep points without the figure (not drawn). */
  readonly missing: number;
}

const device = (row: Row, name: string) => row.devices.find((d) => d.name === name);

/** The figures a sweep has: misses always; the timing figures of every device that has timing at some point. */
export function sweepFigures(sweep: SweepReport): SweepFigure[] {
  const out: SweepFigure[] = [{ id: 'misses', label: 'TLB misses (all devices)', value: (r) => r.devices.reduce((n, d) => n + d.misses, 0), reference: () => null, referenceLabel: null }];
  const timed = [...new Set(sweep.points.flatMap((p) => p.devices.filter((d) => d.timing !== undefined).map((d) => d.name)))];
  for (const name of timed) {
    const framed = sweep.points.some((p) => device(p, name)?.timing?.frame != null);
    if (framed) {
      out.push({
        id: `frame:${name}`,
        label: `${name}: slowest frame (ms)`,
        value: (r) => {
          const f = device(r, name)?.timing?.frame;
          return f == null ? null : f.worstSeconds * 1e3;
        },
        reference: (r) => {
          const f = device(r, name)?.timing?.frame;
          return f == null ? null : f.periodSeconds * 1e3;
        },
        referenceLabel: 'frame period (deadline)',
      });
    }
    out.push({ id: `stall:${name}`, label: `${name}: stall cycles`, value: (r) => device(r, name)?.timing?.stallCycles ?? null, reference: () => null, referenceLabel: null });
    out.push({
      id: `bandwidth:${name}`,
      label: framed ? `${name}: slowest frame's bandwidth (GB/s)` : `${name}: bandwidth (GB/s)`,
      value: (r) => {
        const t = device(r, name)?.timing;
        const b = t?.frame != null ? t.frame.achievedBytesPerSecond : t?.achievedBytesPerSecond;
        return b == null ? null : b / 1e9;
      },
      reference: (r) => {
        const f = device(r, name)?.timing?.frame;
        return f == null ? null : f.requiredBytesPerSecond / 1e9;
      },
      referenceLabel: framed ? 'bandwidth the frame rate needs' : null,
    });
  }
  return out;
}

/** The default figure: the slowest frame of the device closest to (or past) its deadline, else the misses. */
export function defaultFigure(sweep: SweepReport, figures: readonly SweepFigure[]): SweepFigure {
  let best: { figure: SweepFigure; ratio: number } | undefined;
  for (const f of figures) {
    if (!f.id.startsWith('frame:')) continue;
    for (const p of sweep.points) {
      const v = f.value(p);
      const ref = f.reference(p);
      if (v === null || ref === null || ref <= 0) continue;
      if (best === undefined || v / ref > best.ratio) best = { figure: f, ratio: v / ref };
    }
  }
  return best?.figure ?? figures[0]!;
}

/** A sweep field as a legend names it: its last two parts (`caches.timing.memoryAccess` → `timing.memoryAccess`); the full path is in the tooltip. */
export const shortField = (field: string): string => field.split('.').slice(-2).join('.');

const show = (v: unknown): string => (typeof v === 'number' && Number.isInteger(v) && v >= 0x1000 ? `0x${v.toString(16)}` : String(v));

/** The chart of one figure: one point per sweep point that has it. */
export function sweepChart(sweep: SweepReport, figure: SweepFigure): SweepChart {
  const field = sweep.fields[sweep.fields.length - 1]!;
  const values = [...new Set(sweep.points.map((p) => show(p.values[field])))];
  const groups = new Map<string, SweepSeries['points'][number][]>();
  let missing = 0;
  for (const p of sweep.points) {
    const y = figure.value(p);
    if (y === null) {
      missing++;
      continue;
    }
    const name = sweep.fields.slice(0, -1).map((f) => `${shortField(f)} = ${show(p.values[f])}`).join(', ') || figure.label;
    const list = groups.get(name) ?? [];
    groups.set(name, list);
    const reference = figure.reference(p);
    const where = sweep.fields.map((f) => `${f} = ${show(p.values[f])}`).join(', ');
    list.push({ x: values.indexOf(show(p.values[field])), y, reference, label: `${where}: ${Number(y.toPrecision(4))}${reference === null ? '' : ` (${figure.referenceLabel ?? 'bound'} ${Number(reference.toPrecision(4))})`}` });
  }
  return { field, ticks: values.map((v, i) => ({ x: i, label: v })), series: [...groups].map(([name, points]) => ({ name, points })), missing };
}
