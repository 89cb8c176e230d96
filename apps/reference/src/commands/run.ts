/**
 * `vcm-ref run <scenario>`: a scenario file (YAML or JSON, docs/scenarios.md)
 * run on its board with `@vcm/scenario`; a text report with tables and a
 * chart, or with `--json` one JSON document and nothing else on stdout.
 * A `board` that names a file (not a preset) is read here, relative to the
 * scenario file, before the engine sees it — the engine reads no files.
 *
 * Exit codes: 0 every expectation held; 1 one did not; 2 the file is
 * unreadable or invalid (the message names the path in the file and the
 * closest valid name), printed on stderr before anything reaches stdout.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { formatSize, hex, isVcmError } from '@vcm/core';
import { BOARD_PRESETS, parseScenarioText, runScenario, runSweep, validateScenario } from '@vcm/scenario';
import type { CacheCounts, CheckedScenario, CountersOut, DeviceTiming, ScenarioReport, SmmuTotals, SweepReport } from '@vcm/scenario';
import { UsageError } from '../board.js';
import { renderChart } from '../chart.js';
import { percent } from '../format.js';
import type { Progress } from '../progress.js';
import { renderTable } from '../render-text.js';
import type { Style } from '../style.js';
import { runSweepOnWorkers, sweepThreads } from './sweep-workers.js';

/** A scenario file read and checked: the value (a board file put in place) and the checked scenario made from it. */
export interface LoadedScenario {
  readonly value: unknown;
  readonly checked: CheckedScenario;
}

/** Read, parse and check a scenario file; `UsageError` (exit 2) with the file and the path in it on any problem. */
export function loadScenarioFile(file: string): LoadedScenario {
  const read = (path: string, what: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  };
  try {
    const value = parseScenarioText(read(file, 'scenario file'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const board = (value as Record<string, unknown>)['board'];
      if (typeof board === 'string' && !(BOARD_PRESETS as readonly string[]).includes(board) && /[/\\]|\.json$/i.test(board)) {
        const path = resolve(dirname(file), board);
        let json: unknown;
        try {
          json = JSON.parse(read(path, 'board file'));
        } catch (e) {
          if (e instanceof UsageError) throw new UsageError(`invalid scenario ${file}: board: ${e.message}`);
          throw new UsageError(`invalid scenario ${file}: board: the board file ${path} is not JSON: ${(e as Error).message}`);
        }
        (value as Record<string, unknown>)['board'] = json;
      }
    }
    return { value, checked: validateScenario(value) };
  } catch (e) {
    if (isVcmError(e)) throw new UsageError(`invalid scenario ${file}: ${e.message.replace(/^EINVAL: /, '')}`);
    throw e;
  }
}

/** `loadScenarioFile`'s checked scenario. */
export function loadScenario(file: string): CheckedScenario {
  return loadScenarioFile(file).checked;
}

/** `--jobs`: a whole number of threads from 1, or the available cores when absent. */
export function parseJobs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,3}$/.test(text)) throw new UsageError(`--jobs ${JSON.stringify(text)}: not a number of threads (allowed: a whole number from 1 to 9999; 1 runs a sweep's points one after another)`);
  return Number(text);
}

/**
 * Run the scenario, or its sweep — on worker threads when more than one
 * can be used (`jobs`, default the available cores), else serially; the
 * report, and whether every expectation held.
 */
export async function runScenarioFile(loaded: LoadedScenario, progress: Progress, jobs?: number): Promise<{ report: ScenarioReport | SweepReport; ok: boolean }> {
  const { checked } = loaded;
  const update = (label: string, done: number, total: number): void => progress.update(`${checked.scenario.name}: ${label}`, done, total);
  let report: ScenarioReport | SweepReport;
  try {
    if (checked.points.length === 0) report = runScenario(checked, { progress: update });
    else {
      const threads = sweepThreads(checked.points.length, jobs);
      report = threads > 1 ? await runSweepOnWorkers(loaded.value, checked, threads, { update, done: () => undefined }) : runSweep(checked, { progress: update });
    }
  } catch (e) {
    // Setting the scenario up can still fail on the platform (the memtypes run dry across buffers): invalid input, exit 2.
    if (isVcmError(e)) throw new UsageError(`scenario ${checked.scenario.name}: ${e.message.replace(/^EINVAL: /, '')}`);
    throw e;
  } finally {
    progress.done();
  }
  return { report, ok: report.ok };
}

function chunkText(chunks: readonly { pa: number; len: number }[]): string {
  const by = new Map<number, number>();
  for (const c of chunks) by.set(c.len, (by.get(c.len) ?? 0) + 1);
  const mix = [...by].map(([len, n]) => `${n} × ${formatSize(len)}`).join(' + ');
  return `${mix}, first at ${hex(chunks[0]?.pa ?? 0)}`;
}

function renderRun(r: ScenarioReport, s: Style): string[] {
  const lines: string[] = [s.bold(`Scenario ${r.scenario} on board ${r.board}`) + s.dim(` (seed ${r.seed}${r.simulatedSeconds > 0 ? `, ${r.simulatedSeconds.toFixed(3)} s simulated` : ''})`), ''];
  lines.push(
    ...renderTable({
      title: 'Buffers (vcm_phys_alloc): the physical chunks of each',
      columns: ['buffer', 'memtype', 'bytes', 'allocated', 'chunks', 'contiguous'],
      numeric: [2, 3],
      rows: r.buffers.map((b) => [`${b.name}#${b.instance}`, b.memtype, b.bytes, b.allocBytes, chunkText(b.chunks), b.contiguous ? 'yes' : 'no']),
    }),
    '',
  );
  lines.push(
    ...renderTable({
      title: 'Spaces (VCMs), their devices, page tables and reservations',
      columns: ['space', 'kind', 'range', 'devices', 'page tables', 'reservations'],
      rows: r.spaces.map((sp) => [
        sp.name,
        sp.kind,
        `${hex(sp.start)} + ${formatSize(sp.len)}`,
        sp.devices.join(', '),
        sp.pageTableBytes === null ? "CPU's own" : formatSize(sp.pageTableBytes),
        sp.reservations.map((x) => `${x.buffer}#${x.instance}@${hex(x.devAddr)}`).join(' '),
      ]),
    }),
    '',
  );
  if (r.traffic.length > 0) {
    // Cycle columns only when a timed SMMU counted cycles (the report has them only then).
    const timed = r.devices.some((d) => d.cycles !== undefined);
    const cycles = (c: CountersOut): (string | number)[] => (timed ? [c.cycles ?? '—', c.stallCycles ?? '—'] : []);
    const cycleColumns = timed ? ['cycles', 'stall cycles'] : [];
    lines.push(
      ...renderTable({
        title: 'Traffic',
        columns: ['device', 'buffers', 'access', 'pattern', 'frames', 'accesses', 'bytes', 'misses', 'walks', 'faults', ...cycleColumns],
        numeric: [4, 5, 6, 7, 8, 9, 10, 11],
        rows: r.traffic.map((t) => [t.device, t.buffers.join(', '), t.access, t.pattern, t.frames, t.accesses, t.bytes, t.misses, t.walks, t.faults, ...cycles(t)]),
      }),
      '',
      ...renderTable({
        title: 'Devices: translation-cache counters',
        columns: ['device', 'kind', 'TLB of', 'accesses', 'hits', 'misses', 'walks', 'hit rate', 'faults', ...cycleColumns],
        numeric: [3, 4, 5, 6, 7, 8, 9, 10],
        rows: r.devices.map((d) => [d.name, d.kind, d.smmu ?? (d.kind === 'cpu' ? d.name : '—'), d.accesses, d.hits, d.misses, d.walks, d.accesses > 0 ? percent(d.hits / d.accesses) : '—', d.faults, ...cycles(d)]),
      }),
      '',
      ...renderChart({ title: 'Misses per device', unit: 'misses', logScale: true, bars: r.devices.map((d) => ({ label: d.name, value: d.misses })) }),
      '',
      ...renderTiming(r),
    );
  }
  if (r.tlbs.length > 0) {
    lines.push(
      ...renderTable({
        title: 'TLBs (each SMMU has one, shared by its contexts)',
        columns: ['TLB', 'entries', 'policy', 'hits', 'misses', 'walks', 'evictions'],
        numeric: [1, 3, 4, 5, 6],
        rows: r.tlbs.map((t) => [t.name, t.entries, t.policy, t.hits, t.misses, t.walks, t.evictions]),
      }),
      '',
    );
  }
  const used = r.pools.block.filter((p) => p.inUse > 0);
  lines.push(
    ...renderTable({
      title: `Pools in use (page tables: ${formatSize(r.pools.pageTableBytes)})`,
      columns: ['pool', 'block', 'in use', 'free', 'of'],
      numeric: [2, 3, 4],
      rows: [
        ...used.map((p) => [p.name, formatSize(p.blockSize), p.inUse, p.free, p.total]),
        ...r.pools.contiguous.filter((p) => p.inUseBytes > 0).map((p) => [p.name, 'contiguous', formatSize(p.inUseBytes), `${formatSize(p.size - p.inUseBytes)} (largest ${formatSize(p.largestFree)}, ${p.freeExtents} extents)`, formatSize(p.size)]),
      ],
    }),
    '',
  );
  if (r.faults.length > 0) {
    lines.push(s.yellow(`Faults (${r.faults.length})`), ...r.faults.slice(0, 10).map((f) => `  ${f.device} frame ${f.frame} ${f.buffer}: ${f.message}`), '');
  }
  lines.push(...renderExpectations(r.expectations, s));
  return lines;
}

const ms = (seconds: number): string => (seconds * 1e3).toFixed(3);
const gbps = (bytesPerSecond: number | null): string => (bytesPerSecond === null ? '—' : (bytesPerSecond / 1e9).toFixed(2));
const cacheText = (c: CacheCounts | null | undefined): string => (c === null || c === undefined ? 'off' : `${c.lookups} / ${c.hits} / ${c.misses}`);

/** A translation-time bucket's label: "0", "1", "2–3", "4–7" … cycles. */
function bucketLabel(b: DeviceTiming['translationCycles'][number]): string {
  return b.min === b.max ? String(b.min) : `${b.min}–${b.max}`;
}

/** Timing, caches per device and per SMMU, and the PMCG events (docs/scenarios.md#timing); nothing on a run without SMMU contexts. */
function renderTiming(r: ScenarioReport): string[] {
  const lines: string[] = [];
  const timed = r.devices.filter((d): d is typeof d & { timing: DeviceTiming } => d.timing !== undefined);
  if (timed.length > 0) {
    lines.push(
      ...renderTable({
        title: 'Timing on clocked SMMUs: the slowest frame against its period, bandwidth achieved against what the frame rate needs',
        columns: ['device', 'MHz', 'cycles', 'stall cycles', 'walk reads', 'prefetches', 'frames', 'slowest ms', 'period ms', 'GB/s achieved', 'GB/s needed', 'deadline'],
        numeric: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        rows: timed.map((d) => {
          const t = d.timing;
          const f = t.frame;
          return [
            d.name,
            t.clockMHz,
            t.cycles,
            t.stallCycles,
            t.walkMemoryAccesses,
            t.prefetches,
            f?.frames ?? '—',
            f === null ? ms(t.seconds) : ms(f.worstSeconds),
            f === null ? '—' : ms(f.periodSeconds),
            gbps(f === null ? t.achievedBytesPerSecond : f.achievedBytesPerSecond),
            f === null ? '—' : gbps(f.requiredBytesPerSecond),
            f === null ? '— (no fps)' : f.deadlineMet ? 'met' : 'missed',
          ];
        }),
      }),
      '',
    );
    for (const d of timed) {
      lines.push(
        ...renderChart({ title: `Translation time of ${d.name}'s accesses`, unit: 'accesses per bucket of cycles', logScale: true, bars: d.timing.translationCycles.map((b) => ({ label: `${bucketLabel(b)} cycles`, value: b.count })) }),
        '',
      );
    }
  }
  const contexts = r.devices.filter((d) => d.caches !== undefined);
  // With one TLB per SMMU and nothing else (the seed's SMMU), the TLB table below says it all; the cache tables appear once a hierarchy does.
  const hierarchy = r.smmus.some((m) => m.microTlb !== null || m.walkCache !== null || m.prefetches > 0);
  if (contexts.length > 0 && hierarchy) {
    lines.push(
      ...renderTable({
        title: 'Translation caches per device, its streams (lookups / hits / misses)',
        columns: ['device', 'SMMU', 'micro-TLB', 'main TLB', 'walk cache'],
        rows: contexts.map((d) => [d.name, d.smmu ?? '—', cacheText(d.caches?.microTlb), cacheText(d.caches?.mainTlb), cacheText(d.caches?.walkCache)]),
      }),
      '',
      ...renderTable({
        title: 'Translation caches per SMMU, all traffic (lookups / hits / misses)',
        columns: ['SMMU', 'model', 'MHz', 'micro-TLBs', 'main TLB', 'walk cache', 'prefetches'],
        numeric: [2, 6],
        rows: r.smmus.map((m: SmmuTotals) => [m.name, m.model, m.clockMHz, cacheText(m.microTlb), cacheText(m.mainTlb), cacheText(m.walkCache), m.prefetches]),
      }),
      '',
    );
  }
  if (contexts.length > 0) {
    lines.push(
      ...renderTable({
        title: 'PMCG events per SMMU and per context',
        columns: ['SMMU / context', 'cycles', 'transaction', 'tlb_miss', 'config_cache_miss', 'trans_table_walk_access', 'config_struct_access'],
        numeric: [1, 2, 3, 4, 5, 6],
        rows: [
          ...r.smmus.map((m) => ({ name: m.name, e: m.events })),
          ...contexts.map((d) => ({ name: `  ${d.name}`, e: d.events! })),
        ].map(({ name, e }) => [name, e.cycles, e.transaction, e.tlb_miss, e.config_cache_miss, e.trans_table_walk_access, e.config_struct_access]),
      }),
      '',
    );
  }
  return lines;
}

function renderExpectations(expectations: ScenarioReport['expectations'], s: Style): string[] {
  if (expectations.length === 0) return ['No expectations.'];
  return [
    'Expectations',
    ...expectations.map((e) => `  ${e.ok ? s.green('✓') : s.red('✗')} ${e.name}: ${e.actual}${e.ok ? '' : s.red(` (expected ${e.expected})`)}`),
  ];
}

function renderSweep(r: SweepReport, s: Style): string[] {
  const devices = [...new Set(r.points.flatMap((p) => p.devices.map((d) => d.name)))];
  const lines = [s.bold(`Scenario ${r.scenario}: sweep of ${r.points.length} points`), ''];
  lines.push(
    ...renderTable({
      title: 'Misses (walks) per device at each point',
      columns: [...r.fields, ...devices, 'expectations'],
      numeric: devices.map((_, i) => r.fields.length + i),
      rows: r.points.map((p) => [
        ...r.fields.map((f) => JSON.stringify(p.values[f])),
        ...devices.map((n) => {
          const d = p.devices.find((x) => x.name === n);
          return d === undefined ? '—' : `${d.misses} (${d.walks})`;
        }),
        p.expectations.length === 0 ? '—' : p.ok ? 'all hold' : `${p.expectations.filter((e) => !e.ok).length} failed`,
      ]),
    }),
  );
  lines.push(...renderSweepTiming(r));
  return lines;
}

/** A point's label in a chart: its values, in axis order. */
function pointLabel(r: SweepReport, p: SweepReport['points'][number]): string {
  // The last two keys say what varies ("walkCache.enabled", "buffers[frame].pages") without the whole path.
  return r.fields.map((f) => `${f.split('.').slice(-2).join('.')}=${JSON.stringify(p.values[f])}`).join(' ');
}

/** Devices with timed frames: the slowest frame and walk reads at each point, and a chart per device, one bar per point, the deadline marked. */
function renderSweepTiming(r: SweepReport): string[] {
  const timed = [...new Set(r.points.flatMap((p) => p.devices.filter((d) => d.timing?.frame != null).map((d) => d.name)))];
  if (timed.length === 0) return [];
  const frameOf = (p: SweepReport['points'][number], n: string): DeviceTiming | undefined => p.devices.find((d) => d.name === n)?.timing;
  const lines = [
    '',
    ...renderTable({
      title: 'Slowest frame in ms (walk reads, deadline) per device at each point',
      columns: [...r.fields, ...timed],
      rows: r.points.map((p) => [
        ...r.fields.map((f) => JSON.stringify(p.values[f])),
        ...timed.map((n) => {
          const t = frameOf(p, n);
          const f = t?.frame;
          return t === undefined || f === null || f === undefined ? '—' : `${ms(f.worstSeconds)} (${t.walkMemoryAccesses}, ${f.deadlineMet ? 'met' : 'missed'})`;
        }),
      ]),
    }),
  ];
  for (const n of timed) {
    const periods = r.points.flatMap((p) => {
      const f = frameOf(p, n)?.frame;
      return f === null || f === undefined ? [] : [f.periodSeconds];
    });
    lines.push(
      '',
      ...renderChart({
        title: `${n}: slowest frame at each point`,
        unit: 'ms',
        logScale: false,
        bars: r.points.map((p) => {
          const f = frameOf(p, n)?.frame;
          return { label: pointLabel(r, p), value: f === null || f === undefined ? 0 : Number(ms(f.worstSeconds)) };
        }),
        marker: { label: 'the frame deadline', value: Number(ms(Math.min(...periods))) },
      }),
    );
  }
  return lines;
}

/** The text report. */
export function renderScenarioText(report: ScenarioReport | SweepReport, style: Style): string {
  const lines = 'points' in report ? renderSweep(report, style) : renderRun(report, style);
  lines.push('', report.ok ? style.green('Every expectation held.') : style.red('An expectation failed.'));
  return `${lines.join('\n')}\n`;
}
