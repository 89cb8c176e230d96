/**
 * `vcm-ref trace <scenario> [--format stl|csv] [--out file]`
 * (docs/scenarios.md#memory-traces): every physical memory access of the
 * scenario's traffic — data bursts, the pieces of transfers that move real
 * bytes, and table-walk descriptor reads — in the order the runner made them, as a DRAMSys `.stl` trace
 * (the default) or CSV, to stdout or a file. Lines are written as the run
 * makes them, in chunks, so a long trace never sits whole in memory.
 *
 * Exit codes: 0 written; 2 an unreadable or invalid scenario, before any
 * line is written.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { CSV_HEADER, csvLine, stlLine, traceScenario } from '@vcm/scenario';
import type { TraceSummary } from '@vcm/scenario';
import { asUsage } from './dump.js';
import { loadScenario } from './run.js';

export const TRACE_FORMATS = ['stl', 'csv'] as const;

export interface TraceCommandOptions {
  readonly format?: (typeof TRACE_FORMATS)[number];
  readonly out?: string;
}

/** Bytes gathered before a write. */
const CHUNK = 1 << 20;

/** Write the trace; returns what to print when done (stderr when the trace went to stdout). */
export function traceCommand(file: string, opts: TraceCommandOptions): { summary: string; toStdout: boolean } {
  const checked = loadScenario(file);
  const format = opts.format ?? 'stl';
  const path = opts.out === undefined ? undefined : resolve(opts.out);
  let fd: number | undefined;
  let pending = '';
  let index = 0;
  const flush = (): void => {
    if (pending.length === 0) return;
    // The file (or stdout) is opened at the first line: a refusal before the traffic leaves nothing behind.
    fd ??= path === undefined ? 1 : openSync(path, 'w');
    writeSync(fd, pending);
    pending = '';
  };
  const stl = format === 'stl';
  pending = stl
    ? `# vcm-ref trace of scenario ${checked.scenario.name} (DRAMSys STL: <cycle>: <read|write> <hex address>)\n`
    : `${CSV_HEADER}\n`;
  let t: TraceSummary;
  try {
    t = asUsage(() =>
      traceScenario(checked, (a) => {
        pending += `${stl ? stlLine(a, index) : csvLine(a, index)}\n`;
        index++;
        if (pending.length >= CHUNK) flush();
      }),
    );
    if (stl && !t.timed) pending += '# no SMMU of this board is clocked: each line\'s cycle is its place in the trace\n';
    flush();
  } finally {
    if (fd !== undefined && fd !== 1) closeSync(fd);
  }
  const what = `${t.data + t.walkReads} accesses (${t.data} data, ${t.walkReads} table-walk reads) of scenario ${checked.scenario.name}, ${t.timed ? 'with cycles from the clocked SMMUs' : 'untimed'}`;
  return { summary: path === undefined ? `vcm-ref trace: ${what}\n` : `${what} written to ${path}\n`, toStdout: path !== undefined };
}
