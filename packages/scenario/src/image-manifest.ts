/**
 * Loadable page-table images (docs/scenarios.md#page-table-images): the
 * tables of a dump as one binary image per run of tables that lie back to
 * back in RAM, and a manifest of their physical addresses, the registers
 * to load them with and the leaves they hold — what a boot loader or a
 * driver would load, and what `vcm-ref verify` loads into QEMU's MMU
 * (`tooling/qemu-mmu-oracle`) to check that every mapped page translates
 * to the physical address the manifest lists.
 *
 * In the JSON, addresses and register words are hex strings (`"0x63004000"`);
 * `parseManifest` reads hex strings and plain integers alike.
 */
import { VcmError, hex } from '@vcm/core';
import type { DumpLeaf, OracleRegime, PageTableDump } from './dump.js';
import { tableRuns } from './page-tables.js';

/** What `manifest.json` says it is, so `vcm-ref verify` refuses any other JSON file. */
export const MANIFEST_KIND = 'vcm-page-tables';
/** The manifest layout's version; a reader refuses one it does not know. */
export const MANIFEST_VERSION = 1;
/** The manifest's file name in a dump directory. */
export const MANIFEST_FILE = 'manifest.json';

/** One loadable image: a run of adjacent page tables written to one file, and where it goes in physical memory. */
export interface ManifestImage {
  /** File name in the dump directory. */
  readonly file: string;
  readonly pa: number;
  readonly bytes: number;
  /** How many tables the image holds. */
  readonly tables: number;
}

/** What a `dump --format bin` directory holds besides its images: the board, the device, its registers per address range, the images and every leaf. */
export interface PageTableManifest {
  readonly kind: typeof MANIFEST_KIND;
  readonly version: typeof MANIFEST_VERSION;
  readonly board: string;
  readonly scenario: string | null;
  readonly device: string;
  readonly deviceKind: 'context' | 'cpu';
  readonly format: 'short' | 'lpae';
  /** The device's registers, raw, by name. */
  readonly registers: Readonly<Record<string, number>>;
  /** The register values QEMU's MMU is loaded with, each for its part of the input space. */
  readonly regimes: readonly OracleRegime[];
  readonly images: readonly ManifestImage[];
  readonly leaves: readonly Omit<DumpLeaf, 'base'>[];
}

/** The images of a dump and their manifest; the caller writes `images[i].bytes` to `images[i].file` and the manifest to `MANIFEST_FILE`. */
export function binImages(dump: PageTableDump, meta: { readonly board: string; readonly scenario: string | null }): { manifest: PageTableManifest; images: { file: string; bytes: Uint8Array }[] } {
  const runs = tableRuns(dump.tables);
  const images = runs.map((r) => ({ file: `table-${r.pa.toString(16).padStart(8, '0')}.bin`, bytes: r.bytes }));
  const manifest: PageTableManifest = {
    kind: MANIFEST_KIND,
    version: MANIFEST_VERSION,
    board: meta.board,
    scenario: meta.scenario,
    device: dump.device,
    deviceKind: dump.kind,
    format: dump.format === 'armLpae4k' ? 'lpae' : 'short',
    registers: dump.registers.raw,
    regimes: dump.oracle,
    images: runs.map((r, i) => ({ file: images[i]!.file, pa: r.pa, bytes: r.bytes.length, tables: r.tables })),
    leaves: dump.leaves.map((l) => ({ level: l.level, va: l.va, size: l.size, pa: l.pa, entrySpan: l.entrySpan })),
  };
  return { manifest, images };
}

const HEX_KEYS = new Set(['pa', 'va', 'size', 'entrySpan', 'start', 'end', 'ttbcr', 'ttbr0', 'ttbr0High', 'ttbr1', 'ttbr1High', 'mair0', 'mair1', 'dacr']);

/** The manifest as JSON text: addresses, sizes and register words in hex. */
export function manifestJson(manifest: PageTableManifest): string {
  // Register names are upper case (TTBCR, MAIR0): their words are hex too.
  const replacer = (key: string, value: unknown): unknown => (typeof value === 'number' && (HEX_KEYS.has(key) || /^[A-Z][A-Z0-9_]*$/.test(key)) ? `0x${value.toString(16)}` : value);
  return `${JSON.stringify(manifest, replacer, 2)}\n`;
}

function bad(path: string, value: unknown, allowed: string): VcmError {
  let shown: string;
  if (typeof value === 'string') shown = JSON.stringify(value);
  else if (value === undefined) shown = 'missing';
  else if (value === null) shown = 'null';
  else if (Array.isArray(value)) shown = 'an array';
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') shown = String(value);
  else shown = `a ${typeof value}`;
  return new VcmError('EINVAL', `${MANIFEST_FILE}: ${path}: ${shown} (allowed: ${allowed})`, { path, allowed });
}

function num(path: string, value: unknown, max = 2 ** 40): number {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^(0x[0-9a-f_]+|[0-9]+)$/i.test(value)) n = Number(value.replace(/_/g, ''));
  if (n === undefined || !Number.isSafeInteger(n) || n < 0 || n > max) throw bad(path, value, `an integer 0..${hex(max)}, as a number or a hex string "0x…"`);
  return n;
}

function obj(path: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(path, value, 'an object');
  return value as Record<string, unknown>;
}

function list(path: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw bad(path, value, 'an array');
  return value;
}

const WORD = 0xffff_ffff;

/** Read a manifest (parsed JSON); `EINVAL` naming the path of the first bad value. */
export function parseManifest(json: unknown): PageTableManifest {
  const m = obj('(manifest)', json);
  if (m['kind'] !== MANIFEST_KIND) throw bad('kind', m['kind'], JSON.stringify(MANIFEST_KIND));
  if (m['version'] !== MANIFEST_VERSION) throw bad('version', m['version'], String(MANIFEST_VERSION));
  const format = m['format'];
  if (format !== 'short' && format !== 'lpae') throw bad('format', format, '"short", "lpae"');
  const str = (key: string): string => {
    if (typeof m[key] !== 'string') throw bad(key, m[key], 'a string');
    return m[key];
  };
  const deviceKind = m['deviceKind'];
  if (deviceKind !== 'context' && deviceKind !== 'cpu') throw bad('deviceKind', deviceKind, '"context", "cpu"');
  const registers: Record<string, number> = {};
  for (const [k, v] of Object.entries(obj('registers', m['registers']))) registers[k] = num(`registers.${k}`, v, WORD);
  const regimes = list('regimes', m['regimes']).map((x, i): OracleRegime => {
    const at = `regimes[${i}]`;
    const g = obj(at, x);
    const f = g['format'];
    if (f !== format) throw bad(`${at}.format`, f, JSON.stringify(format));
    const bool = (key: string): boolean => {
      if (typeof g[key] !== 'boolean') throw bad(`${at}.${key}`, g[key], 'true, false');
      return g[key];
    };
    const start = num(`${at}.start`, g['start'], 2 ** 32);
    const end = num(`${at}.end`, g['end'], 2 ** 32);
    if (end <= start) throw bad(`${at}.end`, g['end'], `above start ${hex(start)}`);
    return {
      start,
      end,
      format,
      ttbcr: num(`${at}.ttbcr`, g['ttbcr'], WORD),
      ttbr0: num(`${at}.ttbr0`, g['ttbr0'], WORD),
      ttbr0High: num(`${at}.ttbr0High`, g['ttbr0High'], WORD),
      ttbr1: num(`${at}.ttbr1`, g['ttbr1'], WORD),
      ttbr1High: num(`${at}.ttbr1High`, g['ttbr1High'], WORD),
      mair0: num(`${at}.mair0`, g['mair0'], WORD),
      mair1: num(`${at}.mair1`, g['mair1'], WORD),
      dacr: num(`${at}.dacr`, g['dacr'], WORD),
      afe: bool('afe'),
      tre: bool('tre'),
    };
  });
  if (regimes.length === 0) throw bad('regimes', [], 'at least one register configuration');
  const images = list('images', m['images']).map((x, i): ManifestImage => {
    const at = `images[${i}]`;
    const g = obj(at, x);
    const file = g['file'];
    // A plain file name: the image lies beside the manifest, never elsewhere.
    if (typeof file !== 'string' || !/^[\w.-]+\.bin$/.test(file)) throw bad(`${at}.file`, file, 'a file name in the dump directory, e.g. "table-63004000.bin"');
    return { file, pa: num(`${at}.pa`, g['pa']), bytes: num(`${at}.bytes`, g['bytes'], 2 ** 32), tables: num(`${at}.tables`, g['tables'], 2 ** 20) };
  });
  const leaves = list('leaves', m['leaves']).map((x, i) => {
    const at = `leaves[${i}]`;
    const g = obj(at, x);
    const leaf = { level: num(`${at}.level`, g['level'], 3), va: num(`${at}.va`, g['va'], WORD), size: num(`${at}.size`, g['size'], 2 ** 32), pa: num(`${at}.pa`, g['pa']), entrySpan: num(`${at}.entrySpan`, g['entrySpan'], 2 ** 30) };
    if (leaf.entrySpan === 0 || leaf.size % leaf.entrySpan !== 0 || leaf.va + leaf.size > 2 ** 32) throw bad(`${at}.size`, g['size'], 'a whole number of entrySpan inside the 32-bit input space');
    return leaf;
  });
  return { kind: MANIFEST_KIND, version: MANIFEST_VERSION, board: str('board'), scenario: m['scenario'] === null ? null : str('scenario'), device: str('device'), deviceKind, format, registers, regimes, images, leaves };
}

/** One input address to translate and what the manifest says it must give. */
export interface PlannedTranslation {
  readonly va: number;
  readonly pa: number;
  /** Index of the leaf in `manifest.leaves`. */
  readonly leaf: number;
}

/**
 * What to translate, per regime: each leaf at the first byte of every
 * table entry it occupies (so each of the 16 copies of a large page,
 * supersection or hinted run is read) and at its last byte.
 */
export function verificationPlan(manifest: PageTableManifest): { regime: OracleRegime; translations: PlannedTranslation[] }[] {
  const plan = manifest.regimes.map((regime) => ({ regime, translations: [] as PlannedTranslation[] }));
  const add = (va: number, pa: number, leaf: number): void => {
    const slot = plan.find((p) => va >= p.regime.start && va < p.regime.end);
    if (slot === undefined) throw new VcmError('EINVAL', `${MANIFEST_FILE}: leaves[${leaf}]: ${hex(va)} is in no regime's range (allowed: inside a regime's [start, end))`, { path: `leaves[${leaf}]` });
    slot.translations.push({ va, pa, leaf });
  };
  manifest.leaves.forEach((l, i) => {
    for (let off = 0; off < l.size; off += l.entrySpan) add(l.va + off, l.pa + off, i);
    add(l.va + l.size - 1, l.pa + l.size - 1, i);
  });
  return plan.filter((p) => p.translations.length > 0);
}

/** The job `tooling/qemu-mmu-oracle` takes for a regime (its `OracleJob` without `vas`). */
export function oracleJob(regime: OracleRegime): Record<string, unknown> {
  if (regime.format === 'lpae') {
    const wide = (hi: number, lo: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);
    return { format: 'lpae', ttbcr: regime.ttbcr, ttbr0: wide(regime.ttbr0High, regime.ttbr0), ttbr1: wide(regime.ttbr1High, regime.ttbr1), mair0: regime.mair0, mair1: regime.mair1, tre: regime.tre };
  }
  return { format: 'short', ttbcr: regime.ttbcr, ttbr0: regime.ttbr0, ttbr1: regime.ttbr1, dacr: regime.dacr, afe: regime.afe, tre: regime.tre };
}
