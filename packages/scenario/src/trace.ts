/**
 * Memory traces of a scenario's traffic (docs/scenarios.md#memory-traces):
 * every physical memory access the runner's traffic makes — each burst,
 * each piece of a transfer of real bytes, and each descriptor read of a
 * table walk — in the order it makes them, through `RunOptions.onAccess`
 * (the SMMU's own observers, `StreamOptions.onAccess` and
 * `TransferOptions.onAccess`; the CPU's and direct devices' accesses from
 * the runner's loop), and the two line formats `vcm-ref trace`
 * writes: DRAMSys's `.stl` trace-player syntax and CSV.
 */
import { VcmError } from '@vcm/core';
import { runScenario } from './runner.js';
import type { RunOptions, ScenarioReport } from './runner.js';
import type { CheckedScenario } from './validate.js';

/** One access of the trace. */
export interface TracedAccess {
  readonly device: string;
  readonly pa: number;
  readonly bytes: number;
  readonly write: boolean;
  /** A descriptor read of a table walk (else a data burst). */
  readonly walk: boolean;
  /** The cycle on the device's SMMU clock; null where there is no timing (untimed SMMUs, the CPU, direct devices). */
  readonly cycle: number | null;
}

/** The formats `vcm-ref trace` writes: DRAMSys's `.stl` lines or CSV with a header. */
export const TRACE_FORMATS = ['stl', 'csv'] as const;

/** What a traced run counted: the report, and the lines it gave. */
export interface TraceSummary {
  readonly report: ScenarioReport;
  /** Data bursts traced (the report's accesses, summed over devices). */
  readonly data: number;
  /** Descriptor reads of walks traced. */
  readonly walkReads: number;
  /** Whether any access had a cycle. */
  readonly timed: boolean;
}

/**
 * Run `checked` (its base scenario, not a sweep) and give every access to
 * `sink` in order: streamed bursts, the pieces of transfers that move real
 * bytes (`data`), and the descriptor reads of their walks.
 */
export function traceScenario(checked: CheckedScenario, sink: (access: TracedAccess) => void, options: Pick<RunOptions, 'onSetUp' | 'progress'> = {}): TraceSummary {
  if (typeof sink !== 'function') throw new VcmError('EINVAL', `traceScenario: sink must be a function (access) => void, got ${sink === null ? 'null' : typeof sink}`, { param: 'sink' });
  let data = 0;
  let walkReads = 0;
  let timed = false;
  const report = runScenario(checked, {
    ...options,
    onAccess: (device, pa, bytes, write, walk, cycle) => {
      if (walk) walkReads++;
      else data++;
      if (cycle !== null) timed = true;
      sink({ device, pa, bytes, write, walk, cycle });
    },
  });
  return { report, data, walkReads, timed };
}

/**
 * One line of a DRAMSys `.stl` trace (DRAMSys `configs/README.md`, "STL
 * Traces"; its `StlPlayer` reads `<cycle>: [(<length>)] <read|write>
 * <hex address>`, whitespace-separated): `<cycle>:\t<read|write>\t0x<pa>`.
 * `index` (the access's place in the trace) stands for the cycle where
 * there is no timing: one access per cycle of the player.
 */
export function stlLine(a: TracedAccess, index: number): string {
  return `${a.cycle ?? index}:\t${a.write ? 'write' : 'read'}\t0x${a.pa.toString(16)}`;
}

/** The CSV header: one column per field, the cycle empty where there is no timing. */
export const CSV_HEADER = 'index,cycle,device,kind,access,pa,bytes';

/** One access as a CSV row under `CSV_HEADER`, numbered `index`. */
export function csvLine(a: TracedAccess, index: number): string {
  return `${index},${a.cycle ?? ''},${a.device},${a.walk ? 'walk' : 'data'},${a.write ? 'write' : 'read'},0x${a.pa.toString(16)},${a.bytes}`;
}
