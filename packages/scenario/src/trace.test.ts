import { msm8x60Board } from '@vcm/devtree';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dumpPageTables } from './dump.js';
import type { ScenarioSetUp } from './runner.js';
import { CSV_HEADER, csvLine, stlLine, traceScenario } from './trace.js';
import type { TracedAccess } from './trace.js';
import { parseScenario, validateScenario } from './validate.js';
import { runScenario } from './runner.js';

/** DRAMSys's STL line as its StlPlayer reads it: `<cycle>: <read|write> <hex address>`, whitespace-separated. */
const STL = /^(\d+):\t(read|write)\t0x([0-9a-f]+)$/;

/** A small scenario: a short-format reader, an LPAE tiled writer, the CPU reading through the kernel's 4 KiB pages. */
function small(board: unknown = 'msm8x60', fps?: number): unknown {
  return {
    name: 'small-trace',
    board,
    buffers: [{ name: 'frame', memtype: 3, bytes: '256K', pages: ['4K'] }],
    spaces: [
      { name: 'dev', start: '0x1000_0000', len: '16M', devices: ['vcodec_a_mm1', 'mdp0_port0'] },
      { name: 'kernel', kind: 'kernel' },
    ],
    mappings: [
      { buffer: 'frame', space: 'dev' },
      { buffer: 'frame', space: 'kernel' },
    ],
    traffic: [
      { device: 'vcodec_a_mm1', buffers: ['frame'], access: 'read', burst: 256, ...(fps === undefined ? {} : { fps, frames: 2 }) },
      { device: 'mdp0_port0', buffers: ['frame'], access: 'write', pattern: { kind: 'tiles', width: 64, height: 16 }, row: '4K', burst: 64 },
      { device: 'cpu0', buffers: ['frame'], access: 'read', burst: 4096 },
    ],
  };
}

describe('traceScenario (a .stl trace of a small scenario)', () => {
  it('has exactly one line per access the runner counted: every burst, and every descriptor read the SMMUs and the CPU made', () => {
    const lines: string[] = [];
    const seen: TracedAccess[] = [];
    let setUp: ScenarioSetUp | undefined;
    const t = traceScenario(
      validateScenario(small()),
      (a) => {
        lines.push(stlLine(a, seen.length));
        seen.push(a);
      },
      { onSetUp: (s) => (setUp = s) },
    );
    const counted = t.report.devices.reduce((n, d) => n + d.accesses, 0);
    expect(t.data).toBe(counted);
    // The SMMUs count their descriptor reads themselves (PMU trans_table_walk_access); the CPU's walks of the kernel's level-2 pages (4 or 64 KiB) read two descriptors each.
    const smmuReads = Object.values(setUp!.platform.smmus).reduce((n, s) => n + s.events().trans_table_walk_access, 0);
    const cpuWalks = t.report.devices.find((d) => d.name === 'cpu0')!.walks;
    expect(smmuReads).toBeGreaterThan(0);
    expect(cpuWalks).toBeGreaterThan(0);
    expect(t.walkReads).toBe(smmuReads + 2 * cpuWalks);
    expect(lines).toHaveLength(counted + smmuReads + 2 * cpuWalks);
    for (const l of lines) expect(l).toMatch(STL);
    // The untimed board: the line's place stands for the cycle.
    expect(t.timed).toBe(false);
    expect(lines.slice(0, 3).map((l) => Number(STL.exec(l)![1]))).toEqual([0, 1, 2]);
    // Data lines are the device's reads and writes; walk lines read where the device's dumped tables lie.
    expect(seen.filter((a) => !a.walk && a.device === 'mdp0_port0').every((a) => a.write)).toBe(true);
    for (const device of ['vcodec_a_mm1', 'mdp0_port0']) {
      const tables = dumpPageTables(setUp!, { kind: 'context', name: device }).tables;
      for (const a of seen.filter((x) => x.walk && x.device === device)) expect(tables.some((tb) => a.pa >= tb.pa && a.pa < tb.pa + tb.bytes.length)).toBe(true);
    }
    // The 256 KiB frame read in 256-byte bursts: 1,024 data lines from the decoder.
    expect(seen.filter((a) => !a.walk && a.device === 'vcodec_a_mm1')).toHaveLength(1024);
  });

  it('on a timed SMMU (mmu-500 at 500 MHz) each access has its cycle, and a frame at 30 fps starts no earlier than 1/30 s', () => {
    const board = msm8x60Board();
    const smmus = board.smmus.map((s) => (s.name === 'vcodec_a' ? { ...s, model: 'mmu-500' } : s));
    const seen: TracedAccess[] = [];
    const t = traceScenario(validateScenario(small({ ...board, smmus }, 30)), (a) => seen.push(a));
    expect(t.timed).toBe(true);
    const dec = seen.filter((a) => a.device === 'vcodec_a_mm1');
    expect(dec.every((a) => Number.isInteger(a.cycle) && a.cycle! >= 0)).toBe(true);
    const data = dec.filter((a) => !a.walk);
    expect(data).toHaveLength(2 * 1024);
    expect(data[1024]!.cycle).toBeGreaterThanOrEqual(Math.round(500e6 / 30));
    expect(data[1023]!.cycle).toBeLessThan(Math.round(500e6 / 30));
    // The untimed contexts and the CPU have none.
    expect(seen.filter((a) => a.device !== 'vcodec_a_mm1').every((a) => a.cycle === null)).toBe(true);
  });

  it('csv: a header and one row per access', () => {
    const a: TracedAccess = { device: 'mdp0_port0', pa: 0x3800_0040, bytes: 8, write: false, walk: true, cycle: null };
    expect(CSV_HEADER).toBe('index,cycle,device,kind,access,pa,bytes');
    expect(csvLine(a, 7)).toBe('7,,mdp0_port0,walk,read,0x38000040,8');
    expect(csvLine({ ...a, walk: false, write: true, cycle: 1234, bytes: 64 }, 8)).toBe('8,1234,mdp0_port0,data,write,0x38000040,64');
    expect(stlLine({ ...a, write: true, cycle: 1234 }, 8)).toBe('1234:\twrite\t0x38000040');
  });

  it('traces traffic that moves real bytes too: one data line per piece the runner counted, the walk reads before them', () => {
    const checked = parseScenario(readFileSync(new URL('../../../examples/scenarios/video-playback.yaml', import.meta.url), 'utf8'));
    const seen: TracedAccess[] = [];
    let setUp: ScenarioSetUp | undefined;
    const t = traceScenario(checked, (a) => seen.push(a), { onSetUp: (s) => (setUp = s) });
    expect(checked.scenario.traffic.some((x) => x.data !== undefined && x.data !== false)).toBe(true);
    const counted = t.report.devices.reduce((n, d) => n + d.accesses, 0);
    expect(t.data).toBe(counted);
    expect(seen.filter((a) => !a.walk)).toHaveLength(counted);
    // Every byte a device moved is in its data lines: a transfer's pieces add up to its bytes.
    for (const d of t.report.devices) {
      expect(seen.filter((a) => a.device === d.name && !a.walk).reduce((n, a) => n + a.bytes, 0)).toBe(d.bytes);
    }
    // The SMMUs' walk reads are all there (the CPU's come on top).
    const smmuReads = Object.values(setUp!.platform.smmus).reduce((n, s) => n + s.events().trans_table_walk_access, 0);
    const cpuReads = seen.filter((a) => a.walk && a.device === 'cpu0').length;
    expect(smmuReads).toBeGreaterThan(0);
    expect(t.walkReads).toBe(smmuReads + cpuReads);
    // The same run untraced: the same report, so tracing changed nothing it counts.
    expect(runScenario(checked)).toEqual(t.report);
  });
});
