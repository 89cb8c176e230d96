/**
 * Timing in scenario reports on a clocked SMMU, with figures worked out by
 * hand from docs/timing.md: a 64 KiB buffer of 4 KiB pages (short format,
 * two descriptor reads per walk) read in 64-byte bursts through a main TLB
 * of 1-cycle hits, nothing else on, 10-cycle descriptor reads and a 64-byte
 * port. Each page's first access walks: 1 + 2 × 10 = 21 cycles to
 * translate, 20 of them a stall behind the previous data beat (21 for the
 * very first); its 63 hits cost 1 cycle each, hidden behind the data. So a
 * page takes 21 + 63 = 84 cycles and the 16 pages 15 × 84 + 85 = 1345.
 */
import { describe, expect, it } from 'vitest';
import { msm8x60Board } from '@vcm/devtree';
import { runScenario } from './runner.js';
import { validateScenario } from './validate.js';

const CTX = 'vcodec_a_mm1';

function timedBoard(timing: Record<string, number> = {}, model?: string): Record<string, unknown> {
  const board = structuredClone(msm8x60Board()) as unknown as { smmus: Record<string, unknown>[] };
  const smmu = board.smmus.find((s) => s['name'] === 'vcodec_a')!;
  if (model !== undefined) smmu['model'] = model;
  smmu['caches'] = {
    microTlb: { enabled: false },
    walkCache: { enabled: false },
    prefetch: false,
    timing: { clockMHz: 2, microTlbHit: 0, mainTlbHit: 1, walkCacheHit: 0, memoryAccess: 10, maxWalks: 1, busBytesPerCycle: 64, ...timing },
  };
  return board;
}

function scenario(extra: Record<string, unknown> = {}, board: unknown = timedBoard()): Record<string, unknown> {
  return {
    name: 'timed',
    board,
    buffers: [{ name: 'buf', bytes: '64K', pages: ['4K'] }],
    // 4 KiB off a 64 KiB boundary: the driver cannot join the 4 KiB blocks into 64 KiB pages.
    spaces: [{ name: 'dev', start: '0x1000_1000', len: '1M', devices: [CTX] }],
    mappings: [{ buffer: 'buf', space: 'dev', at: 'start' }],
    traffic: [{ device: CTX, buffers: ['buf'], access: 'read', burst: 64, fps: 1000 }],
    ...extra,
  };
}

const device = (r: ReturnType<typeof runScenario>, name = CTX) => r.devices.find((d) => d.name === name)!;

describe('timing in the report', () => {
  it('gives the cycles, stalls, walk reads and translation-time histogram docs/timing.md works out', () => {
    const d = device(runScenario(validateScenario(scenario())));
    expect(d).toMatchObject({ accesses: 1024, misses: 16, walks: 16, cycles: 1345, stallCycles: 21 + 15 * 20 });
    expect(d.timing).toMatchObject({ clockMHz: 2, cycles: 1345, stallCycles: 321, walkMemoryAccesses: 32, prefetches: 0, seconds: 1345 / 2e6 });
    expect(d.timing!.translationCycles).toEqual([
      { min: 1, max: 1, count: 1008 },
      { min: 16, max: 31, count: 16 },
    ]);
    expect(d.caches).toEqual({ microTlb: null, mainTlb: { lookups: 1024, hits: 1008, misses: 16 }, walkCache: null });
    expect(d.events).toEqual({ cycles: 1345, transaction: 1024, tlb_miss: 16, config_cache_miss: 0, trans_table_walk_access: 32, config_struct_access: 0 });
  });

  it('judges the slowest frame against the frame period: 1345 cycles are 0.6725 ms at 2 MHz (met), 1.345 ms at 1 MHz (missed)', () => {
    const at2 = device(runScenario(validateScenario(scenario()))).timing!.frame!;
    expect(at2).toMatchObject({ frames: 1, worstStart: 0, periodSeconds: 0.001, bytes: 65536, deadlineMet: true });
    expect(at2.worstSeconds).toBeCloseTo(0.0006725, 12);
    expect(at2.requiredBytesPerSecond).toBeCloseTo(65536 * 1000, 6);
    expect(at2.achievedBytesPerSecond).toBeCloseTo(65536 / 0.0006725, 3);
    const at1 = device(runScenario(validateScenario(scenario({}, timedBoard({ clockMHz: 1 }))))).timing!.frame!;
    expect(at1.worstSeconds).toBeCloseTo(0.001345, 12);
    expect(at1.deadlineMet).toBe(false);
    expect(at1.achievedBytesPerSecond!).toBeLessThan(at1.requiredBytesPerSecond);
  });

  it('sums the frames that start together (two entries of one device at one rate) into one frame', () => {
    const r = runScenario(
      validateScenario(
        scenario({
          traffic: [
            { device: CTX, buffers: ['buf'], access: 'read', burst: 64, fps: 1000, frames: 2 },
            { device: CTX, buffers: ['buf'], access: 'write', burst: 64, fps: 1000, frames: 2 },
          ],
        }),
      ),
    );
    const d = device(r);
    const f = d.timing!.frame!;
    expect(f.frames).toBe(2);
    expect(f.bytes).toBe(2 * 65536);
    // The cold read walks 16 pages (1345 cycles); then the 32-entry TLB holds them all, and 1024 hits take 1 + 1024 cycles.
    expect(f.worstStart).toBe(0);
    expect(f.worstSeconds).toBeCloseTo((1345 + 1025) / 2e6, 12);
    expect(d.timing!.cycles).toBe(1345 + 3 * 1025);
  });

  it('has no timing on an untimed SMMU, but the caches and events of every context', () => {
    const r = runScenario(validateScenario(scenario({ traffic: [{ device: CTX, buffers: ['buf'], access: 'read', burst: 64 }] }, 'msm8x60')));
    expect(r.devices.find((x) => x.name === CTX)).toMatchObject({ misses: 16, walks: 16 });
    const d = device(r);
    expect(d.timing).toBeUndefined();
    expect(d.cycles).toBeUndefined();
    expect(d.caches).toEqual({ microTlb: null, mainTlb: { lookups: 1024, hits: 1008, misses: 16 }, walkCache: null });
    expect(d.events!.trans_table_walk_access).toBe(32);
    expect(r.smmus).toEqual([
      {
        name: 'vcodec_a',
        model: 'msm8x60',
        clockMHz: 0,
        microTlb: null,
        mainTlb: { lookups: 1024, hits: 1008, misses: 16 },
        walkCache: null,
        prefetches: 0,
        events: { cycles: 0, transaction: 1024, tlb_miss: 16, config_cache_miss: 0, trans_table_walk_access: 32, config_struct_access: 0 },
      },
    ]);
  });

  it('counts every cache of a model that has them: the MMU-600 micro-TLB, main TLB and walk cache, lookups = hits + misses', () => {
    const board = structuredClone(msm8x60Board()) as unknown as { smmus: Record<string, unknown>[] };
    board.smmus.find((s) => s['name'] === 'vcodec_a')!['model'] = 'mmu-600';
    const r = runScenario(validateScenario(scenario({}, board)));
    const d = device(r);
    for (const c of [d.caches!.microTlb, d.caches!.mainTlb, d.caches!.walkCache, r.smmus[0]!.microTlb, r.smmus[0]!.mainTlb, r.smmus[0]!.walkCache]) {
      expect(c).not.toBeNull();
      expect(c!.lookups).toBe(c!.hits + c!.misses);
    }
    expect(d.caches!.microTlb!.lookups).toBe(1024);
    expect(d.timing!.clockMHz).toBe(800);
    expect(r.smmus[0]).toMatchObject({ model: 'mmu-600', clockMHz: 800 });
    expect(d.timing!.prefetches).toBeGreaterThan(0);
    expect(d.events!.trans_table_walk_access).toBe(d.timing!.walkMemoryAccesses);
  });
});

describe('deadline and walk-accesses expectations', () => {
  it('deadline holds at 2 MHz and fails at 1 MHz, saying the slowest frame and the period', () => {
    const expect_ = [{ name: 'in time', kind: 'deadline', device: CTX }];
    const ok = runScenario(validateScenario(scenario({ expect: expect_ })));
    expect(ok.expectations[0]).toMatchObject({ ok: true, actual: 'slowest frame 0.672 ms of 1.000 ms (met)' });
    const late = runScenario(validateScenario(scenario({ expect: expect_ }, timedBoard({ clockMHz: 1 }))));
    expect(late.expectations[0]).toMatchObject({ ok: false, expected: 'every frame within its period (1.000 ms)', actual: 'slowest frame 1.345 ms of 1.000 ms (missed)' });
    expect(late.ok).toBe(false);
  });

  it('walk-accesses compares the descriptor reads of the device\'s walks: 32', () => {
    const at = (n: number) => runScenario(validateScenario(scenario({ expect: [{ name: 'walk reads', kind: 'walk-accesses', device: CTX, atMost: n }] }))).expectations[0]!;
    expect(at(32)).toMatchObject({ ok: true, actual: '32' });
    expect(at(31)).toMatchObject({ ok: false, expected: '≤ 31 descriptor reads' });
  });

  it('refuses a deadline where frames take no seconds or have no period, and walk accesses of a device without a context', () => {
    const refused = (s: Record<string, unknown>): string => {
      try {
        validateScenario(s);
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(refused(scenario({ expect: [{ name: 'd', kind: 'deadline', device: CTX }] }, 'msm8x60'))).toMatch(
      /expect\[0\]\.device: "vcodec_a_mm1" is a context of SMMU "vcodec_a", which has no clock .*allowed: .*timed model/,
    );
    expect(refused(scenario({ traffic: [{ device: CTX, buffers: ['buf'], access: 'read' }], expect: [{ name: 'd', kind: 'deadline', device: CTX }] }))).toMatch(
      /expect\[0\]\.device: "vcodec_a_mm1" has no traffic with fps/,
    );
    const cpu = scenario({
      spaces: [{ name: 'dev', start: '0x1000_0000', len: '1M', devices: [CTX] }, { name: 'k', kind: 'kernel' }],
      mappings: [{ buffer: 'buf', space: 'dev' }, { buffer: 'buf', space: 'k' }],
      traffic: [{ device: 'cpu0', buffers: ['buf'], access: 'read' }],
      expect: [{ name: 'w', kind: 'walk-accesses', device: 'cpu0', atMost: 1 }],
    });
    expect(refused(cpu)).toMatch(/expect\[0\]\.device: "cpu0" has no SMMU context/);
    expect(refused(scenario({ expect: [{ name: 'd', kind: 'deadline', device: 'mdp0_port0' }] }))).toMatch(/expect\[0\]\.device: "mdp0_port0" is not a device with traffic/);
  });
});

describe('sweeps over cache and latency fields', () => {
  it('a field the board leaves out (caches.timing.memoryAccess of a preset) is swept, and each point runs with it', () => {
    const s = scenario({
      board: 'msm8x60',
      sweep: { axes: [{ field: 'board.smmus[vcodec_a].caches.timing.memoryAccess', values: [10, 20] }, { field: 'board.smmus[vcodec_a].caches.timing.clockMHz', values: [2] }, { field: 'board.smmus[vcodec_a].caches.timing.mainTlbHit', values: [1] }, { field: 'board.smmus[vcodec_a].caches.timing.busBytesPerCycle', values: [64] }] },
    });
    const checked = validateScenario(s);
    expect(checked.points).toHaveLength(2);
    const cycles = checked.points.map((p) => device(runScenario(p.scenario)).timing!.cycles);
    // Per page (1 + 2m) + 63 cycles, the last one's data beat after: m = 10 → 1345, m = 20 → 15 × 104 + 105.
    expect(cycles).toEqual([1345, 1665]);
  });

  it('sweeps a model and the walk cache on and off; a walk cache turned on with no entries (msm8x60 has none) is refused for that point', () => {
    const s = scenario({
      board: 'msm8x60',
      traffic: [{ device: CTX, buffers: ['buf'], access: 'read', burst: 64 }],
      sweep: { axes: [{ field: 'board.smmus[vcodec_a].model', values: ['mmu-500', 'mmu-600'] }, { field: 'board.smmus[vcodec_a].caches.walkCache.enabled', values: [false, true] }] },
    });
    const rows = validateScenario(s).points.map((p) => device(runScenario(p.scenario)));
    expect(rows.map((d) => d.timing?.clockMHz)).toEqual([500, 500, 800, 800]);
    expect(rows.map((d) => d.caches!.walkCache === null)).toEqual([true, false, true, false]);
    // The walk cache holds the level-1 table descriptor: every walk after the first reads one descriptor, not two.
    expect(rows[1]!.events!.trans_table_walk_access).toBeLessThan(rows[0]!.events!.trans_table_walk_access);
    expect(rows[3]!.events!.trans_table_walk_access).toBeLessThan(rows[2]!.events!.trans_table_walk_access);
    const msm = { ...s, sweep: { axes: [{ field: 'board.smmus[vcodec_a].caches.walkCache.enabled', values: [true] }] } };
    expect(() => validateScenario(msm)).toThrow(/sweep point \(board\.smmus\[vcodec_a\]\.caches\.walkCache\.enabled = true\): .*caches\.walkCache\.entries: 0/);
  });

  it('an unknown cache field is refused with its path and the closest names', () => {
    const refused = (field: string): string => {
      try {
        validateScenario(scenario({ board: 'msm8x60', sweep: { axes: [{ field, values: [1] }] } }));
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(refused('board.smmus[vcodec_a].caches.mainTlb.entriez')).toMatch(/sweep\.axes\[0\]\.field: .*"entriez" is not a key there.*"entries"/);
    expect(refused('board.smmus[vcodec_a].cache.mainTlb.entries')).toMatch(/"cache" is not a key there.*"caches"/);
    expect(refused('board.smmus[vcodec_a].caches.timing.memoryLatency')).toMatch(/"memoryLatency" is not a key there.*"memoryAccess"/);
    expect(refused('board.smmus[vcodec_x].model')).toMatch(/no entry is named "vcodec_x"/);
  });
});
