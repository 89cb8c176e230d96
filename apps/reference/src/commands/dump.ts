/**
 * `vcm-ref dump (<scenario> | --board f) (--ctx NAME | --cpu) [--format
 * text|json|bin] [--out dir]` (docs/scenarios.md#page-table-images): the
 * page tables of one SMMU context or of the CPU after the scenario's
 * set-up (allocations, spaces, mappings; no traffic), or on a board's
 * fresh platform. `text` is ptdump-style, `json` every table's bytes and
 * the registers raw and decoded, `bin` one loadable image per run of
 * tables plus `manifest.json` (what `vcm-ref verify` checks in QEMU).
 *
 * Exit codes: 0 done; 2 bad usage, an invalid scenario or board, an unknown
 * or idle context (nothing reaches stdout then).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatSize, hex, isVcmError } from '@vcm/core';
import { MANIFEST_FILE, binImages, describeAttributes, dumpPageTables, manifestJson, setUpBoard, setUpScenario } from '@vcm/scenario';
import type { DumpTarget, PageTableDump, ScenarioSetUp } from '@vcm/scenario';
import { UsageError, loadBoardFile } from '../board.js';
import { loadScenario } from './run.js';

/** The options `dump` and `walk` share: where the platform comes from and which device. */
export interface DeviceOptions {
  readonly board?: string;
  readonly ctx?: string;
  readonly cpu?: boolean;
}

/** A platform set up from a scenario, or a board's fresh platform; what it is called in headings and manifests. */
export interface SetUpSource {
  readonly setUp: ScenarioSetUp;
  readonly board: string;
  readonly scenario: string | null;
}

/** `EINVAL` from the engine (an unknown context, a refusal while setting up) is bad input: exit 2. */
export function asUsage<T>(body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (isVcmError(e)) throw new UsageError(e.message.replace(/^EINVAL: /, ''));
    throw e;
  }
}

/** Set up `<scenario>` or `--board f` (exactly one). */
export function setUpFrom(file: string | undefined, opts: DeviceOptions): SetUpSource {
  if (file !== undefined && opts.board !== undefined) {
    throw new UsageError('give a scenario file or --board, not both (a scenario names its board in its "board" key)');
  }
  if (file !== undefined) {
    const checked = loadScenario(file);
    const setUp = asUsage(() => setUpScenario(checked));
    return { setUp, board: setUp.platform.board.name, scenario: checked.scenario.name };
  }
  if (opts.board === undefined) throw new UsageError('give a scenario file (e.g. examples/scenarios/video-playback.yaml) or --board <file.json>');
  const choice = loadBoardFile(opts.board);
  return { setUp: asUsage(() => setUpBoard(choice.description)), board: choice.name, scenario: null };
}

/** `--ctx NAME` or `--cpu` (exactly one). */
export function targetFrom(opts: DeviceOptions): DumpTarget {
  if (opts.cpu === true && opts.ctx !== undefined) throw new UsageError('give --ctx <name> or --cpu, not both');
  if (opts.cpu === true) return { kind: 'cpu' };
  if (opts.ctx === undefined) throw new UsageError('which tables? give --ctx <context name> (an SMMU context of the board, e.g. mdp0_port0) or --cpu');
  return { kind: 'context', name: opts.ctx };
}

export const DUMP_FORMATS = ['text', 'json', 'bin'] as const;

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

function heading(d: PageTableDump, src: SetUpSource): string {
  const who = d.kind === 'cpu' ? `the CPU ${d.device}` : `context ${d.device} (SMMU ${d.smmu}, bank ${d.bank})`;
  return `Page tables of ${who}, ${d.format}, ${src.scenario === null ? `board ${src.board} as built` : `scenario ${src.scenario} on board ${src.board}`}`;
}

/** `name=value` for numbers, the name alone for true booleans, nested objects in braces: a decoded register in one line. */
function fieldsText(v: unknown): string {
  if (typeof v === 'number') return v > 9 ? hex(v) : String(v);
  if (Array.isArray(v)) {
    // DACR: sixteen domains; say how many of each kind.
    const counts = new Map<string, number>();
    for (const x of v) counts.set(String(x), (counts.get(String(x)) ?? 0) + 1);
    return [...counts].map(([k, n]) => `${n}×${k}`).join(',');
  }
  if (typeof v === 'object' && v !== null) {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v)) {
      if (x === false) continue;
      parts.push(x === true ? k : `${k}=${fieldsText(x)}`);
    }
    return `{${parts.join(' ')}}`;
  }
  return String(v);
}

function paText(runs: PageTableDump['ranges'][number]['pa']): string {
  const one = (r: { pa: number; len: number }): string => `${hex(r.pa)}-${hex(r.pa + r.len - 1)}`;
  if (runs.length === 1) return one(runs[0]!);
  const shown = runs.slice(0, 3).map(one).join(', ');
  return `${runs.length} runs: ${shown}${runs.length > 3 ? `, … (${runs.length - 3} more)` : ''}`;
}

/** The ptdump-style text: registers, tables, then per base register and level the grouped ranges. */
export function renderDumpText(d: PageTableDump, src: SetUpSource): string {
  const lines = [heading(d, src), '', 'Registers'];
  const decoded = d.registers.decoded as Record<string, unknown>;
  for (const [name, word] of Object.entries(d.registers.raw)) lines.push(`  ${name.padEnd(11)} ${hex(word)}`);
  lines.push(`  decoded     ${fieldsText(decoded)}`, '');
  const tableBytes = d.tables.reduce((n, t) => n + t.bytes.length, 0);
  lines.push(`Tables (${d.tables.length}, ${formatSize(tableBytes)})`);
  for (const t of d.tables) lines.push(`  ${t.base} level ${t.level}  ${hex(t.pa)}  ${formatSize(t.bytes.length).padStart(8)}  index from ${hex(t.va)}`);
  for (const g of d.regimes) {
    lines.push('', `${g.base}: ${hex(g.start)}..${hex(g.end - 1)}`);
    const mine = d.ranges.filter((r) => r.base === g.base);
    if (mine.length === 0) lines.push('  (no valid leaf)');
    for (const level of [...new Set(mine.map((r) => r.level))]) {
      lines.push(`  level ${level}`);
      for (const r of mine.filter((x) => x.level === level)) {
        const va = `${hex(r.va)}-${hex(r.va + r.size - 1)}`;
        const pages = `${formatSize(r.pageSize)} × ${r.pages}`;
        lines.push(`    ${va}  ${formatSize(r.size).padStart(9)}  -> ${paText(r.pa)}  ${pages}  ${describeAttributes(r.attributes)}${r.label === null ? '' : `  ${r.label}`}`);
      }
    }
  }
  if (d.faulting.length > 0) {
    lines.push('', `Valid descriptors a walk cannot use (${d.faulting.length})`);
    for (const f of d.faulting.slice(0, 20)) lines.push(`  ${f.base} ${hex(f.va)}: ${f.fault.fault} fault at level ${f.fault.level}, entry ${hex(f.fault.entryPa)}`);
  }
  lines.push('', `${d.leaves.length} leaves in ${d.ranges.length} ranges.`);
  return `${lines.join('\n')}\n`;
}

/** The JSON document: registers raw and decoded, every table with its bytes in hex, the ranges and leaves. */
export function dumpJson(d: PageTableDump, src: SetUpSource): unknown {
  return {
    board: src.board,
    scenario: src.scenario,
    device: d.device,
    kind: d.kind,
    smmu: d.smmu,
    bank: d.bank,
    format: d.format,
    registers: { raw: Object.fromEntries(Object.entries(d.registers.raw).map(([k, v]) => [k, hex(v)])), decoded: d.registers.decoded },
    regimes: d.regimes.map((g) => ({ base: g.base, start: hex(g.start), end: hex(g.end) })),
    tables: d.tables.map((t) => ({ base: t.base, level: t.level, pa: hex(t.pa), va: hex(t.va), length: t.bytes.length, bytes: toHex(t.bytes) })),
    ranges: d.ranges.map((r) => ({ ...r, va: hex(r.va), pa: r.pa.map((x) => ({ pa: hex(x.pa), len: x.len })) })),
    leaves: d.leaves.map((l) => ({ ...l, va: hex(l.va), pa: hex(l.pa) })),
    faulting: d.faulting.map((f) => ({ base: f.base, va: hex(f.va), fault: f.fault.fault, level: f.fault.level, entryPa: hex(f.fault.entryPa) })),
  };
}

export interface DumpCommandOptions extends DeviceOptions {
  readonly format?: (typeof DUMP_FORMATS)[number];
  readonly out?: string;
}

/** What `dump` writes: stdout text, or files in `--out`; returns stdout's text. */
export function dumpCommand(file: string | undefined, opts: DumpCommandOptions): string {
  const target = targetFrom(opts);
  const src = setUpFrom(file, opts);
  const d = asUsage(() => dumpPageTables(src.setUp, target, { activateIdle: src.scenario === null }));
  const format = opts.format ?? 'text';
  if (format === 'bin') {
    const dir = resolve(opts.out ?? `page-tables-${d.device}`);
    const { manifest, images } = binImages(d, src);
    mkdirSync(dir, { recursive: true });
    for (const im of images) writeFileSync(join(dir, im.file), im.bytes);
    writeFileSync(join(dir, MANIFEST_FILE), manifestJson(manifest));
    return `${images.length} table image(s) (${formatSize(images.reduce((n, im) => n + im.bytes.length, 0))}) and ${MANIFEST_FILE} with ${manifest.leaves.length} leaves written to ${dir}\n`;
  }
  const text = format === 'json' ? `${JSON.stringify(dumpJson(d, src), null, 2)}\n` : renderDumpText(d, src);
  if (opts.out === undefined) return text;
  const dir = resolve(opts.out);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `page-tables-${d.device}.${format === 'json' ? 'json' : 'txt'}`);
  writeFileSync(path, text);
  return `written to ${path}\n`;
}
