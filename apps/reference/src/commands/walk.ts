/**
 * `vcm-ref walk (<scenario> | --board f) (--ctx NAME | --cpu) <va> [--json]`
 * (docs/scenarios.md#walks): the walk the device's MMU does for one input
 * address after the scenario's set-up, the way gdb-pt-dump's `pt -walk`
 * shows it — each level's entry address, the table it is in, the
 * descriptor and what it meant, then the leaf (physical address,
 * attributes, the buffer it belongs to) or the fault and why.
 *
 * Exit codes: 0 the walk was shown (a fault is an answer, not an error);
 * 2 bad usage, an invalid scenario or board, an unknown or idle context, an
 * address that is not a 32-bit input address.
 */
import { formatSize, hex } from '@vcm/core';
import { describeAttributes, walkDevice } from '@vcm/scenario';
import type { WalkTrace } from '@vcm/scenario';
import { UsageError } from '../board.js';
import { asUsage, setUpFrom, targetFrom } from './dump.js';
import type { DeviceOptions, SetUpSource } from './dump.js';

/** `0x1000_0000`, `0x10000000` or decimal: the input address; `UsageError` otherwise. */
export function parseAddress(text: string): number {
  const clean = text.replace(/_/g, '');
  const n = /^0x[0-9a-f]+$/i.test(clean) ? Number(clean) : /^[0-9]+$/.test(clean) ? Number(clean) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffff_ffff) {
    throw new UsageError(`<va>: ${JSON.stringify(text)} is not a 32-bit input address (allowed: 0 .. 0xffff_ffff, hex with 0x or decimal, e.g. 0x1000_1234)`);
  }
  return n;
}

const word = (s: { descriptor: number; descriptorHigh: number }, long: boolean): string =>
  long ? `0x${s.descriptorHigh.toString(16).padStart(8, '0')}_${s.descriptor.toString(16).padStart(8, '0')}` : hex(s.descriptor);

export function renderWalkText(w: WalkTrace, src: SetUpSource): string {
  const long = w.format === 'armLpae4k';
  const who = w.kind === 'cpu' ? `the CPU ${w.device}` : `context ${w.device}`;
  const lines = [`Walk of ${hex(w.va)} by ${who} (${w.format}), ${src.scenario === null ? `board ${src.board} as built` : `scenario ${src.scenario} on board ${src.board}`}`];
  lines.push(w.base === null ? '  no base register translates this address' : `  through ${w.base}`);
  for (const s of w.steps) {
    lines.push(`  level ${s.level}  entry ${hex(s.entryPa)} (table ${hex(s.tablePa)} [${s.index}])  descriptor ${word(s, long)}`);
    lines.push(`           ${s.meaning}`);
  }
  if (w.leaf !== null) {
    lines.push(`  → ${hex(w.pa!)}  (a ${formatSize(w.leaf.size)} leaf at level ${w.leaf.level}: ${hex(w.leaf.va)} → ${hex(w.leaf.pa)})`);
    lines.push(`    ${describeAttributes(w.leaf.attributes)}${w.leaf.label === null ? '' : `  ${w.leaf.label}`}`);
  } else {
    lines.push(`  → ${w.fault!.kind} fault at level ${w.fault!.level}: ${w.fault!.why}`);
  }
  return `${lines.join('\n')}\n`;
}

export function walkJson(w: WalkTrace, src: SetUpSource): unknown {
  return {
    board: src.board,
    scenario: src.scenario,
    ...w,
    va: hex(w.va),
    pa: w.pa === null ? null : hex(w.pa),
    steps: w.steps.map((s) => ({ ...s, entryPa: hex(s.entryPa), tablePa: hex(s.tablePa), descriptor: hex(s.descriptor), descriptorHigh: hex(s.descriptorHigh) })),
    leaf: w.leaf === null ? null : { ...w.leaf, va: hex(w.leaf.va), pa: hex(w.leaf.pa) },
    fault: w.fault === null ? null : { ...w.fault, entryPa: w.fault.entryPa < 0 ? null : hex(w.fault.entryPa) },
  };
}

/** `walk`: the text (or JSON) for stdout. */
export function walkCommand(file: string | undefined, vaText: string, opts: DeviceOptions & { readonly json?: boolean }): string {
  const target = targetFrom(opts);
  const va = parseAddress(vaText);
  const src = setUpFrom(file, opts);
  const w = asUsage(() => walkDevice(src.setUp, target, va, { activateIdle: src.scenario === null }));
  return opts.json === true ? `${JSON.stringify(walkJson(w, src), null, 2)}\n` : renderWalkText(w, src);
}
