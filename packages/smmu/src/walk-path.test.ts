/**
 * A walk from a start point (docs/hardware.md#translation-caches): what a
 * walk cache gives back lets the walk start below the top level; it reads
 * every remaining descriptor from RAM, traces them, and finds what the walk
 * from the top finds.
 */
import { describe, expect, it } from 'vitest';
import { SZ_4K, VCM_READ, VCM_WB_WA, VCM_WRITE } from '@vcm/core';
import { codeOf } from '@vcm/test-kit';
import type { PageTableFormat, WalkStep } from './format.js';
import { armLpae4k, armV7Short } from './formats/index.js';
import { TestRam } from './formats/test-ram.js';
import { createWalkPath } from './walk-path.js';

const RW = VCM_READ | VCM_WRITE | VCM_WB_WA;

for (const [format, levels, spans] of [
  [armV7Short, [1], [20]],
  [armLpae4k, [1, 2], [30, 21]],
] as const) {
  describe(`${format.name}: the walk from a start point`, () => {
    function table(f: PageTableFormat) {
      const ram = new TestRam();
      const pt = f.create(ram, ram);
      pt.map(0x1234_5000, 0x4567_8000, SZ_4K, RW);
      return { ram, pt };
    }

    it('reports the table descriptors it followed and the reads it made', () => {
      const { ram, pt } = table(format);
      const from = createWalkPath();
      const trace: WalkStep[] = [];
      const top = format.walk(ram, pt.walkConfig, 0x1234_5678, trace, from);
      expect(top).toMatchObject({ pa: 0x4567_8678 });
      expect(from.reads).toBe(trace.length);
      expect(from.tables).toBe(levels.length);
      expect([...from.tableLevel.subarray(0, from.tables)]).toEqual([...levels]);
      expect([...from.tableSpanLog2.subarray(0, from.tables)]).toEqual([...spans]);
      // Each followed table is where the next level's descriptor was read.
      for (let i = 0; i < from.tables; i++) {
        const next = trace[i + 1]!;
        expect(next.entryPa - from.tablePa[i]!).toBeGreaterThanOrEqual(0);
        expect(next.entryPa - from.tablePa[i]!).toBeLessThan(4096);
      }
    });

    it('from each followed table, finds the same leaf with the remaining reads only, traced', () => {
      const { ram, pt } = table(format);
      const from = createWalkPath();
      const full: WalkStep[] = [];
      const top = format.walk(ram, pt.walkConfig, 0x1234_5678, full, from);
      const tables = from.tables;
      const starts = Array.from({ length: tables }, (_, i) => [from.tableLevel[i]! + 1, from.tablePa[i]!, from.tableAttrs[i]!] as const);
      for (const [level, tablePa, attrs] of starts) {
        from.startLevel = level;
        from.startTable = tablePa;
        from.startAttrs = attrs;
        const trace: WalkStep[] = [];
        expect(format.walk(ram, pt.walkConfig, 0x1234_5678, trace, from)).toEqual(top);
        expect(trace).toEqual(full.filter((s) => s.level >= level));
        expect(from.reads).toBe(trace.length);
      }
    });

    it('refuses what is not a path, or a start point the format cannot walk from (EINVAL)', () => {
      const { ram, pt } = table(format);
      expect(codeOf(() => format.walk(ram, pt.walkConfig, 0, undefined, {} as never))).toBe('EINVAL');
      const from = createWalkPath();
      from.startLevel = 7;
      expect(codeOf(() => format.walk(ram, pt.walkConfig, 0, undefined, from))).toBe('EINVAL');
      from.startLevel = 2;
      from.startTable = 0x123;
      expect(codeOf(() => format.walk(ram, pt.walkConfig, 0, undefined, from))).toBe('EINVAL');
    });
  });
}
