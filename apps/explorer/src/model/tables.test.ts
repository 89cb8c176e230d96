import { SZ_16M, SZ_1M } from '@vcm/core';
import { findWalkthrough } from '@vcm/reference/browser';
import { describe, expect, it } from 'vitest';
import { recordWalkthrough } from './session.js';
import { changedRanges, leavesOf, rangeKey, tableChoices } from './tables.js';

describe('the page-table view of a walk-through, from dumpPageTables', () => {
  const run = recordWalkthrough(findWalkthrough('video-playback')!);
  const at = run.steps.findIndex((s) => s.cCall === 'vcm_back(res_16M, buf_frame);');
  const base = (run.report.data['addresses'] as { base16M: number }).base16M;
  const choicesAt = (k: number) => tableChoices(run.steps[k]!.state!);

  it('after vcm_back of the 16 MiB frame, the decoder TTBR0 has one new range of 16 MiB at the CLI address, labelled with its reservation, of sixteen 1 MiB level-1 leaves', () => {
    const now = choicesAt(at).find((c) => c.key === 'vcodec_a_mm1/TTBR0')!;
    const before = choicesAt(at - 1).find((c) => c.key === 'vcodec_a_mm1/TTBR0')!;
    const range = now.ranges.find((r) => r.va === base)!;
    expect([range.size, range.level, range.label]).toEqual([SZ_16M, 1, expect.stringMatching(/^reservation #\d+ \(VCM #\d+\)$/)]);
    expect(changedRanges(before, now)).toEqual(new Set([rangeKey(range)]));
    const leaves = leavesOf(now.dump, range);
    expect(leaves.reduce((n, l) => n + l.size, 0)).toBe(SZ_16M);
    expect(leaves.every((l) => l.entrySpan === SZ_1M)).toBe(true);
    expect(before.ranges.some((r) => r.va < base + SZ_16M && base < r.va + r.size)).toBe(false);
  });

  it('at every step, every leaf of every choice lies in exactly one of its ranges, and the ranges add up to the leaves', () => {
    for (const step of run.steps) {
      for (const c of tableChoices(step.state!)) {
        const leaves = c.dump.leaves.filter((l) => l.base === c.base);
        const grouped = c.ranges.flatMap((r) => leavesOf(c.dump, r));
        expect(grouped.length).toBe(leaves.length);
        expect(new Set(grouped.map((l) => `${l.level}:${l.va}`)).size).toBe(leaves.length);
        expect(c.ranges.reduce((n, r) => n + r.size, 0)).toBe(leaves.reduce((n, l) => n + l.size, 0));
      }
    }
  });

  it('the CPU has a choice per base its registers enable, its kernel table (TTBR1) holding the linear map, labelled so', () => {
    const state = run.steps[at]!.state!;
    const cpu = choicesAt(at).filter((c) => c.device === state.cpu!.name);
    expect(cpu.map((c) => c.base)).toEqual(state.cpu!.dump.regimes.map((g) => g.base));
    expect(cpu.map((c) => c.base)).toContain('TTBR1');
    const kernel = cpu.find((c) => c.base === 'TTBR1')!;
    expect(kernel.ranges.some((r) => r.label === 'linear map')).toBe(true);
    expect(kernel.tables[0]!.level).toBe(1);
  });
});
