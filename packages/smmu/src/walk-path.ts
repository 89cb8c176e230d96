/**
 * A walk's start point and the table descriptors it followed: what a walk
 * cache holds and gives back (docs/hardware.md#translation-caches). A walk
 * normally starts at the top level from the TTBR; given a `WalkPath` whose
 * `startLevel` is set, it starts lower, at the table a walk cache remembered,
 * and still reads every remaining descriptor from RAM (and traces them).
 * Either way it reports the table descriptors it followed, so the caller
 * can fill its walk cache, and how many descriptors it read.
 *
 * Caller-owned and reused: a walk through it allocates nothing more.
 */
import { VcmError, hex } from '@vcm/core';

/** Table descriptors a walk can follow: short 1 (level 1), LPAE 2 (levels 1 and 2). */
const MAX_TABLES = 3;
const BRAND: unique symbol = Symbol('vcm.walkPath');

/** In: where a walk starts. Out: what it read and which table descriptors it followed. */
export interface WalkPath {
  /**
   * In: 0 to start at the top level from the TTBR (the ordinary walk); else
   * the level to start at (short: 2; LPAE: 2 or 3, below the level the
   * region's walk starts at), reading `startTable`.
   */
  startLevel: number;
  /** In: the physical address of the table at `startLevel` (what a followed table descriptor reported in `tablePa`). */
  startTable: number;
  /** In: the table attributes accumulated above `startLevel` (what the same descriptor reported in `tableAttrs`). */
  startAttrs: number;
  /** Out: descriptors read from RAM by the last walk. */
  reads: number;
  /** Out: table descriptors the last walk followed (entries 0 … tables−1 below are valid). */
  tables: number;
  /** Out: the level each followed table descriptor was read at. */
  readonly tableLevel: Int32Array;
  /** Out: log2 of the input range each followed table descriptor covers (short level 1: 20; LPAE level 1: 30, level 2: 21). */
  readonly tableSpanLog2: Int32Array;
  /** Out: the physical address of the next-level table it points at. */
  readonly tablePa: Float64Array;
  /**
   * Out: the attributes accumulated through it, which a walk starting below
   * it needs (short: the level-1 descriptor itself — NS, PXN, domain; LPAE:
   * the OR of the table descriptors' high words — NSTable, APTable, XNTable,
   * PXNTable).
   */
  readonly tableAttrs: Uint32Array;
  readonly [BRAND]: true;
}

/** A fresh path: start at the top, nothing recorded yet. */
export function createWalkPath(): WalkPath {
  return {
    startLevel: 0,
    startTable: 0,
    startAttrs: 0,
    reads: 0,
    tables: 0,
    tableLevel: new Int32Array(MAX_TABLES),
    tableSpanLog2: new Int32Array(MAX_TABLES),
    tablePa: new Float64Array(MAX_TABLES),
    tableAttrs: new Uint32Array(MAX_TABLES),
    [BRAND]: true,
  };
}

/** @internal Is `from` a path `createWalkPath` made (the one cheap test on the walk's path)? */
export function isWalkPath(from: unknown): from is WalkPath {
  return typeof from === 'object' && from !== null && (from as { [BRAND]?: unknown })[BRAND] === true;
}

/** @internal Record one followed table descriptor (the formats' walks call it). */
export function recordTable(from: WalkPath, level: number, spanLog2: number, tablePa: number, attrs: number): void {
  const i = from.tables++;
  from.tableLevel[i] = level;
  from.tableSpanLog2[i] = spanLog2;
  from.tablePa[i] = tablePa;
  from.tableAttrs[i] = attrs;
}

/** @internal The EINVAL for a `from` argument that is not a path, or a start point the format cannot walk from. */
export function walkPathError(format: string, from: unknown, why?: string): VcmError {
  const where = `${format}.walk`;
  if (!isWalkPath(from)) {
    const got = from === null ? 'null' : Array.isArray(from) ? 'an array' : typeof from;
    return new VcmError('EINVAL', `${where}: from must be a WalkPath made by createWalkPath(), or undefined for a walk from the top, got ${got}`, {
      param: 'from',
      value: got,
      expected: 'WalkPath',
    });
  }
  return new VcmError('EINVAL', `${where}: from.startLevel ${String(from.startLevel)} with table ${typeof from.startTable === 'number' ? hex(from.startTable) : typeof from.startTable}: ${why ?? 'not a start point'}`, {
    param: 'from',
    value: from.startLevel,
    expected: why ?? 'a start point a walk reported',
  });
}
