import { SZ_1M, SZ_16M } from '@vcm/core';
import { WALKTHROUGHS, findWalkthrough } from '@vcm/reference/browser';
import { describe, expect, it } from 'vitest';
import { livePlatformAt, recordWalkthrough } from './session.js';

describe('recordWalkthrough', () => {
  const w = findWalkthrough('video-playback')!;
  const run = recordWalkthrough(w);

  it('records every step the CLI prints, each with the state after it', () => {
    expect(run.report.status).toBe('passed');
    expect(run.steps.length).toBeGreaterThan(20);
    expect(run.steps[0]!.cCall).toBe('vcm_sys_init();');
    expect(run.steps.every((s) => s.state !== undefined)).toBe(true);
  });

  it('the state after vcm_back(res_16M, buf_frame) maps the whole 16 MiB frame in the decoder context, and nothing of it before', () => {
    const i = run.steps.findIndex((s) => s.cCall === 'vcm_back(res_16M, buf_frame);');
    const base = (run.report.data['addresses'] as { base16M: number }).base16M;
    const sectionsIn = (k: number): number =>
      run.steps[k]!.state!.contexts.filter((c) => c.name === 'vcodec_a_mm1').flatMap((c) => c.dump?.leaves ?? []).filter((l) => l.va >= base && l.va < base + SZ_16M).reduce((n, l) => n + l.size / SZ_1M, 0);
    expect(sectionsIn(i)).toBe(16);
    expect(sectionsIn(i - 1)).toBe(0);
  });

  it('livePlatformAt stops after the step asked for: the same graph as the recorded state', () => {
    const i = run.steps.findIndex((s) => s.cCall === 'vcm_back(res_16M, buf_frame);');
    const platform = livePlatformAt(w, i)!;
    expect(platform.vcmm.snapshot()).toEqual(run.steps[i]!.state!.graph);
    expect(livePlatformAt(w, i - 1)!.vcmm.snapshot()).toEqual(run.steps[i - 1]!.state!.graph);
  });
});

describe('every walk-through of the reference app runs in the explorer', () => {
  // smmu drives a bare Smmu and tlb-study builds one platform per measurement, none of them in a step: their steps have no state.
  const withPlatform = new Set(['memory', 'walkthrough', 'three-way', 'video-playback', 'userspace', 'migration']);
  it.each(WALKTHROUGHS.map((w) => [w.id, w] as const))('%s: passes its checks, with a state after every step once a step built the platform', (id, w) => {
    const run = recordWalkthrough(w);
    expect(run.report.checks.filter((c) => !c.pass)).toEqual([]);
    expect(run.steps.length).toBe(run.report.steps.length);
    const first = run.steps.findIndex((s) => s.state !== undefined);
    if (!withPlatform.has(id)) return expect(first).toBe(-1);
    expect(first).toBe(0);
    expect(run.steps.every((s) => s.state !== undefined)).toBe(true);
  });
});
