/**
 * tlb-study's performance study (docs/performance-study.md): the frame
 * sizes, every row in `--json` with its numbers, the named checks passing on
 * the study's data and failing on data that breaks them, the verdict's
 * boundary, and `frames` reaching every row.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultBoard } from '../board.js';
import { silentProgress } from '../progress.js';
import { renderJson } from '../render-json.js';
import type { RunReport, WalkthroughReport } from '../report.js';
import { runWalkthrough } from '../run.js';
import { CACHE_SETUPS, FRAMES, MAPPINGS, TRAFFIC, findRow, headroomTable, nv12Frame, perfChecks, perfTable, verdictsFor } from './perf-study.js';
import type { PerfRow, PerfStudy } from './perf-study.js';
import { tlbStudy } from './tlb-study.js';

describe('NV12 frames as the iris/Venus decoder lays them out', () => {
  it('1080p: stride 1920, 1088 + 544 rows, 3,133,440 bytes (765 pages)', () => {
    expect(nv12Frame('1080p', 1920, 1080)).toEqual({ name: '1080p', width: 1920, height: 1080, stride: 1920, scanlines: 1088, bytes: 3_133_440, allocated: 765 * 4096 });
  });

  it('4K: stride 3840, 2176 + 1088 rows, 12,533,760 bytes (3060 pages)', () => {
    expect(nv12Frame('4K', 3840, 2160)).toEqual({ name: '4K', width: 3840, height: 2160, stride: 3840, scanlines: 2176, bytes: 12_533_760, allocated: 3060 * 4096 });
  });

  it('a width off the 128-byte grid gets a wider stride, a height off the 32-row grid more scanlines', () => {
    const f = nv12Frame('1080p', 1366, 770);
    expect([f.stride, f.scanlines, f.bytes, f.allocated]).toEqual([1408, 800, 1408 * 1200, Math.ceil((1408 * 1200) / 4096) * 4096]);
  });
});

describe('the verdict', () => {
  it('meets exactly at the deadline and misses one cycle past it', () => {
    const bytes = FRAMES[1]!.bytes;
    expect(verdictsFor(bytes, 1 / 60).map((v) => [v.fps, v.meets, v.requiredBytesPerSecond])).toEqual([
      [30, true, bytes * 30],
      [60, true, bytes * 60],
    ]);
    expect(verdictsFor(bytes, 1 / 60 + 1 / 500e6).map((v) => v.meets)).toEqual([true, false]);
    expect(verdictsFor(bytes, 1 / 30 + 1 / 500e6).map((v) => v.meets)).toEqual([false, false]);
  });
});

describe('tlb-study with --frames 2', () => {
  let report: WalkthroughReport;
  let study: PerfStudy;
  beforeAll(() => {
    const run: RunReport = { tool: 'vcm-ref', board: { name: 'msm8x60', source: 'built-in' }, intro: '', walkthroughs: [], summary: { passed: 0, failed: 0, skipped: 0, checks: 0, failedChecks: 0, durationMs: 0 } as unknown as RunReport['summary'], ok: true };
    report = runWalkthrough(tlbStudy, { board: defaultBoard(), verbose: false, inject: undefined, progress: silentProgress, frames: 2 });
    // What --json prints: the report through its renderer and back.
    const json = JSON.parse(renderJson({ ...run, walkthroughs: [report] })) as RunReport;
    study = json.walkthroughs[0]!.data['performance'] as PerfStudy;
  }, 120_000);

  it('passes every check, walk caches, larger pages and today\'s numbers among them', () => {
    expect(report.checks.filter((c) => !c.pass)).toEqual([]);
    const names = report.checks.map((c) => c.name);
    for (const name of ['turning walk caches on never increases walk memory accesses', 'a larger page never costs more cycles', /^the sequential 16 MiB numbers of today still hold/]) {
      expect(names.some((n) => (typeof name === 'string' ? n === name : name.test(n)))).toBe(true);
    }
  });

  it('--json has a row for every frame × cache set-up × mapping × traffic, each with every number', () => {
    expect(study.frames).toBe(2);
    expect(study.skipped).toEqual([]);
    expect(study.rows).toHaveLength(FRAMES.length * CACHE_SETUPS.length * MAPPINGS.length * TRAFFIC.length);
    for (const f of FRAMES) {
      for (const s of CACHE_SETUPS) {
        for (const m of MAPPINGS) {
          for (const t of TRAFFIC) {
            const r = findRow(study.rows, f.name, t.name, m.name, s.name);
            expect(r, `${f.name} ${t.name} ${m.name} ${s.name}`).toBeDefined();
            expect(r!.frames).toBe(2);
            expect(r!.frameCycles).toHaveLength(2);
            expect(r!.cycles).toBe(r!.frameCycles[0]! + r!.frameCycles[1]!);
            expect(r!.bytesPerFrame).toBe(f.bytes);
            for (const n of [r!.accesses, r!.tlbMisses, r!.walks, r!.walkMemoryAccesses, r!.cycles, r!.stallCycles, r!.clockMHz, r!.worstFrameSeconds, r!.achievedBytesPerSecond]) expect(Number.isFinite(n)).toBe(true);
            expect(r!.verdicts.map((v) => v.fps)).toEqual([30, 60]);
            // A cache is null exactly when the set-up has it off.
            expect(r!.walkCache === null).toBe(!s.walkCache);
            expect(r!.microTlb === null).toBe(s.model === 'msm8x60');
          }
        }
      }
    }
  });

  it('a raster frame walks once per leaf in a cold TLB: 765 and 3060 on 4 KiB pages of the seed\'s TLB, per frame', () => {
    for (const [frame, pages] of [['1080p', 765], ['4K', 3060]] as const) {
      const r = findRow(study.rows, frame, 'scan-out', '4 KiB pages', 'msm8x60')!;
      // 32 entries hold none of the previous frame's pages by the time the next frame needs them.
      expect([r.tlbMisses, r.walks, r.walkMemoryAccesses]).toEqual([2 * pages, 2 * pages, 2 * 2 * pages]);
    }
  });

  it('prints the 1080p60 and 4K60 tables, one per traffic, and a chart per frame with the 60 fps deadline', () => {
    const titles = report.tables.map((t) => t.title);
    for (const f of FRAMES) for (const t of TRAFFIC) expect(titles.some((x) => x.startsWith(`${f.name}60 ${t.name} (`))).toBe(true);
    const charts = report.charts.filter((c) => c.marker !== undefined);
    expect(charts.map((c) => c.title)).toEqual(['1080p60 rotated scan-out, slowest frame', '4K60 rotated scan-out, slowest frame']);
    expect(charts.every((c) => c.marker!.value === 16.67)).toBe(true);
  });

  it('a table row per mapping and set-up, its verdict the row\'s own', () => {
    const t = perfTable(study, FRAMES[1]!, TRAFFIC[1]!, 60);
    expect(t.rows).toHaveLength(MAPPINGS.length * CACHE_SETUPS.length);
    const r = findRow(study.rows, '4K', 'rotated scan-out', '4 KiB pages', 'msm8x60')!;
    expect(t.rows[0]!.slice(0, 2)).toEqual(['4 KiB pages', 'msm8x60']);
    expect(t.rows[0]![3]).toBe(r.mainTlb!.misses);
    expect(t.rows[0]![10]).toBe(r.verdicts[1]!.meets ? 'meets' : 'MISSES');
    const h = headroomTable(study, 8);
    expect(h.rows).toHaveLength(8);
    const ms = h.rows.map((x) => Number(x[4]));
    expect([...ms].sort((a, b) => b - a)).toEqual(ms);
  });

  describe('the checks fail on data that breaks them', () => {
    const failing = (rows: readonly PerfRow[]): string[] => perfChecks({ ...study, rows }).filter((c) => !c.pass).map((c) => c.name);
    const edit = (pick: (r: PerfRow) => boolean, change: Partial<PerfRow>): PerfRow[] => study.rows.map((r) => (pick(r) ? { ...r, ...change } : r));

    it('the study\'s own rows pass all of them', () => {
      expect(failing(study.rows)).toEqual([]);
    });

    it('a walk cache that reads more descriptors', () => {
      const on = findRow(study.rows, '4K', 'scan-out', '4 KiB pages', 'mmu-600')!;
      const off = findRow(study.rows, '4K', 'scan-out', '4 KiB pages', 'mmu-600 − walk cache')!;
      expect(failing(edit((r) => r === on, { walkMemoryAccesses: off.walkMemoryAccesses + 1 }))).toEqual(['turning walk caches on never increases walk memory accesses']);
    });

    it('a larger page that costs more cycles', () => {
      const small = findRow(study.rows, '1080p', 'rotated scan-out', '64 KiB pages', 'mmu-500')!;
      const rows = edit((r) => r.frame === '1080p' && r.traffic === 'rotated scan-out' && r.mapping === '1 MiB sections' && r.caches === 'mmu-500', { cycles: small.cycles + 1 });
      expect(failing(rows)).toEqual(['a larger page never costs more cycles']);
    });

    it('a cache whose hits and misses do not add up, a verdict against its numbers, a write that misses differently', () => {
      const r0 = findRow(study.rows, '4K', 'decoder write', 'max-munch mix', 'mmu-600')!;
      const rows = edit((r) => r === r0, { mainTlb: { ...r0.mainTlb!, hits: r0.mainTlb!.hits + 1 }, verdicts: r0.verdicts.map((v) => ({ ...v, meets: !v.meets })), tlbMisses: r0.tlbMisses + 1 });
      expect(failing(rows)).toEqual([
        'a walk cache shortens walks but never changes which accesses walk (TLB misses equal on and off)',
        'at every cache in every row, hits + misses = lookups',
        "the decoder's raster write misses exactly as often as the raster scan-out reads",
        "every verdict is the slowest frame's cycles ÷ clock against 1/fps",
      ]);
    });

    it('no rows at all', () => {
      expect(failing([])).toEqual([
        'turning walk caches on never increases walk memory accesses',
        'a walk cache shortens walks but never changes which accesses walk (TLB misses equal on and off)',
        'a larger page never costs more cycles',
        "the decoder's raster write misses exactly as often as the raster scan-out reads",
      ]);
    });
  });
});
