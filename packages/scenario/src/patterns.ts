/**
 * Traffic patterns (docs/scenarios.md#traffic-patterns): the order in which a
 * device touches one buffer of `bytes` bytes, as runs of consecutive bytes
 * that the runner replays in bursts. Offsets are from the buffer's start.
 *
 *   sequential  one run over the whole buffer
 *   rotated     column strips of `strip` bytes, each read down every row
 *               (a 90° rotation; rows `row` bytes apart)
 *   tiles       tiles of `width` bytes × `height` rows, left to right, top
 *               to bottom (a tiled decoder or GPU)
 *   strided     one burst every `stride` bytes
 *   random      `accesses` bursts at burst-aligned offsets from a seeded
 *               xorshift32 sequence
 */
import type { PatternSpec, TrafficSpec } from './definition.js';

/** A run of consecutive bytes: `[offset, offset + len)`. */
export type Run = readonly [offset: number, len: number];

/** The pattern of a traffic entry in its object form. */
export function patternOf(t: TrafficSpec): PatternSpec {
  if (typeof t.pattern !== 'string') return t.pattern;
  switch (t.pattern) {
    case 'rotated':
      return { kind: 'rotated', strip: 1024 };
    case 'tiles':
      return { kind: 'tiles', width: 256, height: 16 };
    case 'strided':
      return { kind: 'strided', stride: 4096 };
    case 'random':
      return { kind: 'random' };
    default:
      return { kind: 'sequential' };
  }
}

/** xorshift32 (Marsaglia 2003): deterministic, seedable, no state outside. */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Calls `visit(offset, len)` for each run of `pattern` over a buffer of `bytes` bytes with rows `row` bytes apart. */
export function forEachRun(pattern: PatternSpec, bytes: number, row: number, burst: number, seed: number, visit: (offset: number, len: number) => void): void {
  switch (pattern.kind) {
    case 'sequential':
      visit(0, bytes);
      return;
    case 'rotated': {
      const rows = Math.floor(bytes / row);
      for (let col = 0; col < row; col += pattern.strip) {
        const len = Math.min(pattern.strip, row - col);
        for (let r = 0; r < rows; r++) visit(r * row + col, len);
      }
      return;
    }
    case 'tiles': {
      const rows = Math.floor(bytes / row);
      for (let ty = 0; ty < rows; ty += pattern.height) {
        for (let tx = 0; tx < row; tx += pattern.width) {
          const w = Math.min(pattern.width, row - tx);
          for (let y = ty; y < Math.min(ty + pattern.height, rows); y++) visit(y * row + tx, w);
        }
      }
      return;
    }
    case 'strided':
      for (let off = 0; off < bytes; off += pattern.stride) visit(off, Math.min(burst, bytes - off));
      return;
    case 'random': {
      const next = xorshift32(pattern.seed ?? seed);
      const slots = Math.max(1, Math.floor(bytes / burst));
      const n = pattern.accesses ?? slots;
      for (let i = 0; i < n; i++) visit((next() % slots) * burst, Math.min(burst, bytes));
      return;
    }
  }
}
