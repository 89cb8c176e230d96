import { readFileSync } from 'node:fs';
import { hex, isVcmError } from '@vcm/core';
import type { SmmuContext } from '@vcm/smmu';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dumpPageTables, setUpBoard, setUpScenario, walkDevice } from './dump.js';
import type { PageTableDump } from './dump.js';
import { runScenario } from './runner.js';
import type { ScenarioReport, ScenarioSetUp } from './runner.js';
import { parseScenario, validateScenario } from './validate.js';

const SZ_4K = 0x1000;
const SZ_1M = 0x10_0000;

const playback = parseScenario(readFileSync(new URL('../../../examples/scenarios/video-playback.yaml', import.meta.url), 'utf8'));

/** Run a scenario's set-up only: the report (addresses, chunks) and the platform it left. */
function setUpWithReport(scenario: unknown): { report: ScenarioReport; setUp: ScenarioSetUp } {
  let setUp: ScenarioSetUp | undefined;
  const report = runScenario(validateScenario(scenario), { traffic: false, onSetUp: (s) => (setUp = s) });
  return { report, setUp: setUp! };
}

/** The physical address of byte `offset` of buffer instance `name#instance`, from the runner's chunk list. */
function paOf(report: ScenarioReport, name: string, instance: number, offset: number): number {
  const b = report.buffers.find((x) => x.name === name && x.instance === instance)!;
  let at = offset;
  for (const c of b.chunks) {
    if (at < c.len) return c.pa + at;
    at -= c.len;
  }
  throw new Error(`offset ${offset} is past ${name}#${instance}`);
}

/** Every table entry the walks of the dump's leaves read lies in a dumped table, holding the descriptor the walk read. */
function expectWalksInsideTables(setUp: ScenarioSetUp, d: PageTableDump, walk: (va: number) => { steps: readonly { entryPa: number; descriptor: number; descriptorHigh: number }[] }): void {
  for (const leaf of d.leaves) {
    for (const s of walk(leaf.va).steps) {
      const t = d.tables.find((x) => s.entryPa >= x.pa && s.entryPa < x.pa + x.bytes.length);
      expect(t, `entry ${s.entryPa.toString(16)} of the walk of ${leaf.va.toString(16)}`).toBeDefined();
      const view = new DataView(t!.bytes.buffer, t!.bytes.byteOffset);
      expect(view.getUint32(s.entryPa - t!.pa, true)).toBe(s.descriptor);
      if (d.format === 'armLpae4k') expect(view.getUint32(s.entryPa - t!.pa + 4, true)).toBe(s.descriptorHigh);
    }
  }
  // And the bytes are RAM's.
  for (const t of d.tables) expect(t.bytes).toEqual(setUp.platform.memory.read(t.pa, t.bytes.length));
}

describe('dumpPageTables on the seed-004 scenario', () => {
  const setUp = setUpScenario(playback);
  const ctxOf = (name: string): SmmuContext => setUp.platform.tree.getCtxInstance(name);

  it('short format (vcodec_a_mm1): the 16 KiB level-1 table at TTBR0, one level-2 table, the frame as one supersection labelled with its buffer', () => {
    const d = dumpPageTables(setUp, { kind: 'context', name: 'vcodec_a_mm1' });
    const ctx = ctxOf('vcodec_a_mm1');
    expect(d).toMatchObject({ device: 'vcodec_a_mm1', kind: 'context', smmu: 'vcodec_a', format: 'armV7Short' });
    expect(d.tables.map((t) => [t.base, t.level, t.bytes.length])).toEqual([
      ['TTBR0', 1, 16384],
      ['TTBR0', 2, 1024],
    ]);
    expect(d.tables[0]!.pa).toBe(ctx.registers.ttbr0 & ~0x3fff);
    const frame = setUp.spaces.find((s) => s.name === 'vcm_out')!.reservations.find((r) => r.buffer === 'frame')!;
    const range = d.ranges.find((r) => r.label === 'frame#0 (vcm_out)')!;
    expect(range).toMatchObject({ base: 'TTBR0', level: 1, va: frame.devAddr, size: 16 * SZ_1M, pageSize: 16 * SZ_1M, pages: 1 });
    expect(range.attributes).toMatchObject({ read: true, write: true, execute: false, user: true, nonSecure: true, global: false, cache: 'uncached', attrIndex: null, shareability: 'shareable', contiguous: false });
    const stream = d.ranges.find((r) => r.label === 'stream#0 (vcm_out)')!;
    expect(stream).toMatchObject({ level: 2, pageSize: 64 * 1024, pages: 2 });
    expectWalksInsideTables(setUp, d, (va) => ctx.walk(va));
  });

  it('LPAE (mdp0_port0): level 1 of 4 entries, the frame in eight 2 MiB blocks, the stream in hinted 64 KiB runs; AttrIndx and the MAIR byte it selects', () => {
    const d = dumpPageTables(setUp, { kind: 'context', name: 'mdp0_port0' });
    const ctx = ctxOf('mdp0_port0');
    expect(d.tables.map((t) => [t.level, t.bytes.length])).toEqual([
      [1, 32],
      [2, 4096],
      [3, 4096],
    ]);
    expect(d.tables[0]!.pa).toBe(ctx.registers.ttbr0);
    const frame = d.ranges.find((r) => r.label === 'frame#0 (vcm_out)')!;
    expect(frame).toMatchObject({ level: 2, size: 16 * SZ_1M, pageSize: 2 * SZ_1M, pages: 8 });
    expect(frame.attributes).toMatchObject({ cache: 'uncached', attrIndex: 0, mair: 0x44, shareability: 'outer', contiguous: false });
    const stream = d.ranges.find((r) => r.label === 'stream#0 (vcm_out)')!;
    expect(stream).toMatchObject({ level: 3, size: 128 * 1024, pageSize: SZ_4K, pages: 32 });
    expect(stream.attributes.contiguous).toBe(true);
    // A hinted run is one leaf of 16 entries, checked entry by entry by verify.
    expect(d.leaves.filter((l) => l.level === 3)).toEqual([
      expect.objectContaining({ size: 64 * 1024, entrySpan: SZ_4K }),
      expect.objectContaining({ size: 64 * 1024, entrySpan: SZ_4K }),
    ]);
    expectWalksInsideTables(setUp, d, (va) => ctx.walk(va));
  });

  it('the CPU: TTBR1 (the kernel) only, no process; the linear map and the kernel reservations labelled', () => {
    const d = dumpPageTables(setUp, { kind: 'cpu' });
    expect(d.regimes).toEqual([{ base: 'TTBR1', start: 0xc000_0000, end: 2 ** 32 }]);
    expect(d.ranges.map((r) => r.label)).toEqual(['linear map', 'frame#0 (kernel)', 'stream#0 (kernel)']);
    const linear = d.ranges[0]!;
    expect(linear).toMatchObject({ va: 0xc000_0000, size: 512 * SZ_1M, pa: [{ pa: 0x4000_0000, len: 512 * SZ_1M }] });
    expect(linear.attributes).toMatchObject({ user: false, global: true, execute: true, cache: 'wb-wa' });
    expectWalksInsideTables(setUp, d, (va) => setUp.platform.cpu.walk(va));
  });

  it('ranges add up: every leaf in exactly one range, physical runs as long as the range', () => {
    for (const target of [{ kind: 'context', name: 'vcodec_a_mm1' }, { kind: 'context', name: 'mdp0_port0' }, { kind: 'cpu' }] as const) {
      const d = dumpPageTables(setUp, target);
      const leafBytes = d.leaves.reduce((n, l) => n + l.size, 0);
      expect(d.ranges.reduce((n, r) => n + r.size, 0)).toBe(leafBytes);
      for (const r of d.ranges) expect(r.pa.reduce((n, x) => n + x.len, 0)).toBe(r.size);
    }
  });

  it('refuses an unknown context with the closest names, an idle one with the active ones, a bad target — and changes nothing', () => {
    const before = JSON.stringify(setUp.platform.snapshot());
    const fail = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(isVcmError(e, 'EINVAL')).toBe(true);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(fail(() => dumpPageTables(setUp, { kind: 'context', name: 'mdp0_prot0' }))).toMatch(/"mdp0_prot0" is not an SMMU context of board "msm8x60"; did you mean "mdp0_port0"/);
    expect(fail(() => dumpPageTables(setUp, { kind: 'context', name: 'rot_src' }))).toMatch(/context "rot_src" is not active.*allowed: vcodec_a_mm1, mdp0_port0/);
    expect(fail(() => dumpPageTables(setUp, { kind: 'gpu' } as never))).toMatch(/target must be/);
    for (const va of [-1, 0.5, Number.NaN, 2 ** 32]) expect(fail(() => walkDevice(setUp, { kind: 'cpu' }, va))).toMatch(/va/);
    expect(JSON.stringify(setUp.platform.snapshot())).toBe(before);
  });
});

describe('walkDevice', () => {
  const setUp = setUpScenario(playback);

  it('gives the hardware walk with the table and index of each entry, and the leaf with its buffer', () => {
    const ctx: SmmuContext = setUp.platform.tree.getCtxInstance('vcodec_a_mm1');
    const stream = setUp.spaces.find((s) => s.name === 'vcm_out')!.reservations.find((r) => r.buffer === 'stream')!;
    const va = stream.devAddr + 0x1_2345;
    const w = walkDevice(setUp, { kind: 'context', name: 'vcodec_a_mm1' }, va);
    const hw = ctx.walk(va);
    expect(w.steps.map(({ level, entryPa, descriptor, descriptorHigh }) => ({ level, entryPa, descriptor, descriptorHigh }))).toEqual(hw.steps);
    expect(w.pa).toBe(hw.pa);
    expect(w.steps[0]).toMatchObject({ tablePa: ctx.registers.ttbr0 & ~0x3fff, index: va >>> 20 });
    expect(w.steps[0]!.meaning).toBe(`table descriptor: the level-2 table at ${hex(w.steps[1]!.tablePa)}`);
    expect(w.steps[1]).toMatchObject({ index: (va >>> 12) & 0xff });
    expect(w.steps[1]!.meaning).toMatch(/^leaf: 64 KiB large page/);
    expect(w.leaf).toMatchObject({ size: 0x1_0000, label: 'stream#0 (vcm_out)' });
    expect(w.fault).toBeNull();
  });

  it('an unmapped address: the invalid entry and a translation fault', () => {
    const w = walkDevice(setUp, { kind: 'context', name: 'mdp0_port0' }, 0x7000_0000);
    expect(w.leaf).toBeNull();
    expect(w.pa).toBeNull();
    expect(w.fault).toMatchObject({ kind: 'translation', level: 1, why: 'no valid descriptor at level 1' });
    expect(w.steps).toHaveLength(1);
    expect(w.steps[0]!.meaning).toBe('invalid (a translation fault)');
  });

  it('the CPU below PAGE_OFFSET with no process: nothing is read', () => {
    const w = walkDevice(setUp, { kind: 'cpu' }, 0x1000);
    expect(w).toMatchObject({ base: null, steps: [], leaf: null, fault: { kind: 'translation', level: 1, entryPa: -1 } });
  });
});

describe('a board without a scenario', () => {
  it('activates the context on its empty own table: one level-1 table, no leaf', () => {
    const setUp = setUpBoard(JSON.parse(readFileSync(new URL('../../../examples/boards/imx8qm-like.json', import.meta.url), 'utf8')));
    const d = dumpPageTables(setUp, { kind: 'context', name: 'dpu_0' }, { activateIdle: true });
    expect(d.format).toBe('armLpae4k');
    expect(d.tables).toHaveLength(1);
    expect(d.tables[0]!.bytes.every((b) => b === 0)).toBe(true);
    expect(d.leaves).toEqual([]);
  });
});

describe('dumps of random set-ups (property)', () => {
  const PAGES = [['all'], ['4K'], ['64K', '4K'], ['1M', '4K']] as const;
  const CACHE = ['uncached', 'wb-wa', 'wb-nwa', 'wt'] as const;
  it('every page of every reservation is one dumped leaf away from the runner\'s physical address, and each walk reads only dumped table bytes', () => {
    fc.assert(
      fc.property(
        // At most 4,000 KiB in all: memtype 3's 4 KiB pool holds 1,024 pages (4 MiB), and a buffer of 4 KiB pages only
        // (or smaller than its larger sizes) takes every page there; more is a set-up the board cannot hold.
        fc
          .array(fc.record({ kib: fc.integer({ min: 4, max: 2048 }), pages: fc.constantFrom(...PAGES), cache: fc.constantFrom(...CACHE), write: fc.boolean(), high: fc.boolean() }), { minLength: 1, maxLength: 4 })
          .filter((bs) => bs.reduce((sum, b) => sum + b.kib, 0) <= 4000),
        fc.boolean(),
        (buffers, split) => {
          const scenario = {
            name: 'prop',
            board: 'msm8x60',
            // Memtype 3 (EBI): pools of every block size.
            buffers: buffers.map((b, i) => ({ name: `b${i}`, memtype: 3, bytes: `${b.kib}K`, pages: [...b.pages] })),
            spaces: split
              ? [
                  { name: 'lo', start: '0x1000_0000', len: '128M', devices: ['rot_src', 'mdp1_port0'], split: 1, base: 'low' },
                  { name: 'hi', start: '0x9000_0000', len: '128M', devices: ['rot_src', 'mdp1_port0'], split: 1, base: 'high' },
                ]
              : [{ name: 'lo', start: '0x1000_0000', len: '128M', devices: ['rot_src', 'mdp1_port0'] }],
            mappings: buffers.map((b, i) => ({ buffer: `b${i}`, space: split && b.high ? 'hi' : 'lo', cache: b.cache, access: b.write ? ['read', 'write'] : ['read'] })),
            traffic: [],
          };
          const { report, setUp } = setUpWithReport(scenario);
          for (const name of ['rot_src', 'mdp1_port0']) {
            const ctx: SmmuContext = setUp.platform.tree.getCtxInstance(name);
            const d = dumpPageTables(setUp, { kind: 'context', name });
            const sorted = [...d.leaves].sort((a, b) => a.va - b.va);
            const leafAt = (va: number): (typeof sorted)[number] => {
              let lo = 0;
              let hi = sorted.length - 1;
              while (lo < hi) {
                const mid = (lo + hi + 1) >> 1;
                if (sorted[mid]!.va <= va) lo = mid;
                else hi = mid - 1;
              }
              const l = sorted[lo]!;
              expect(va >= l.va && va < l.va + l.size, `a leaf holds ${hex(va)}`).toBe(true);
              return l;
            };
            let mapped = 0;
            for (const s of report.spaces) {
              for (const r of s.reservations) {
                mapped += r.len;
                for (let off = 0; off < r.len; off += SZ_4K) {
                  const va = r.devAddr + off;
                  const leaf = leafAt(va);
                  expect(leaf.pa + (va - leaf.va)).toBe(paOf(report, r.buffer, r.instance, off));
                }
                const range = d.ranges.find((x) => r.devAddr >= x.va && r.devAddr < x.va + x.size)!;
                expect(range.label).toBe(`${r.buffer}#${r.instance} (${s.name})`);
                expect(range.attributes.write).toBe(buffers[Number(r.buffer.slice(1))]!.write);
                expect(range.attributes.cache).toBe(buffers[Number(r.buffer.slice(1))]!.cache);
              }
            }
            expect(d.leaves.reduce((n, l) => n + l.size, 0)).toBe(mapped);
            expect(d.regimes.map((g) => g.base)).toEqual(split ? ['TTBR0', 'TTBR1'] : ['TTBR0']);
            expectWalksInsideTables(setUp, d, (va) => ctx.walk(va));
          }
        },
      ),
      { numRuns: 8 },
    );
  });
});
