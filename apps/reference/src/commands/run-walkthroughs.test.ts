/**
 * The shipped scenarios that replay a walk-through give that walk-through's
 * figures: both run through their real code paths (the scenario file read
 * by `loadScenario` and run by `@vcm/scenario`, the walk-through by
 * `runWalkthrough` on the default board) and their data are compared.
 */
import { fileURLToPath } from 'node:url';
import { parseSize, runScenario, runSweep } from '@vcm/scenario';
import type { ScenarioReport } from '@vcm/scenario';
import { describe, expect, it } from 'vitest';
import { defaultBoard } from '../board.js';
import { silentProgress } from '../progress.js';
import { runWalkthrough } from '../run.js';
import { tlbStudy } from '../walkthroughs/tlb-study.js';
import { videoPlayback } from '../walkthroughs/video-playback.js';
import { loadScenario } from './run.js';

const scenario = (file: string): string => fileURLToPath(new URL(`../../../../examples/scenarios/${file}`, import.meta.url));

function walkthroughData(w: typeof videoPlayback): Readonly<Record<string, unknown>> {
  const report = runWalkthrough(w, { board: defaultBoard(), verbose: false, inject: undefined, progress: silentProgress });
  expect(report.status).toBe('passed');
  return report.data;
}

interface VideoData {
  readonly addresses: {
    readonly vcmOut: { readonly start: number; readonly len: number };
    readonly base64k: number;
    readonly base16M: number;
    readonly baseCpu16M: number;
    readonly sg: readonly { readonly pa: number; readonly len: number }[];
    readonly frameChunks: readonly { readonly pa: number; readonly len: number }[];
  };
  readonly checksums: { readonly stream: number; readonly decoderRead: number; readonly frame: number; readonly displayRead: number; readonly kernelRead: number };
}

describe('examples/scenarios/video-playback.yaml and vcm-ref video-playback (seed 004)', () => {
  it('have the same addresses, chunk lists and checksums at every hop', () => {
    const w = walkthroughData(videoPlayback) as unknown as VideoData;
    const r: ScenarioReport = runScenario(loadScenario(scenario('video-playback.yaml')));
    expect(r.ok).toBe(true);
    const space = (name: string): ScenarioReport['spaces'][number] => r.spaces.find((s) => s.name === name)!;
    const devAddr = (sp: string, buffer: string): number => space(sp).reservations.find((x) => x.buffer === buffer)!.devAddr;
    const chunks = (buffer: string): ScenarioReport['buffers'][number]['chunks'] => r.buffers.find((b) => b.name === buffer)!.chunks;
    const sum = (device: string, buffer: string, access: 'read' | 'write'): number | undefined =>
      r.checksums.find((c) => c.device === device && c.buffer === buffer && c.access === access)?.fnv1a;

    expect({ start: space('vcm_out').start, len: space('vcm_out').len }).toEqual(w.addresses.vcmOut);
    expect(devAddr('vcm_out', 'stream')).toBe(w.addresses.base64k);
    expect(devAddr('vcm_out', 'frame')).toBe(w.addresses.base16M);
    expect(devAddr('kernel', 'frame')).toBe(w.addresses.baseCpu16M);
    expect(chunks('stream')).toEqual(w.addresses.sg);
    expect(chunks('frame')).toEqual(w.addresses.frameChunks);

    // The walk-through's DMA engine writes the stream; in the scenario the kernel does.
    expect(sum('cpu0', 'stream', 'write')).toBe(w.checksums.stream);
    expect(sum('vcodec_a_mm1', 'stream', 'read')).toBe(w.checksums.decoderRead);
    expect(sum('vcodec_a_mm1', 'frame', 'write')).toBe(w.checksums.frame);
    expect(sum('mdp0_port0', 'frame', 'read')).toBe(w.checksums.displayRead);
    expect(sum('cpu0', 'frame', 'read')).toBe(w.checksums.kernelRead);
  });
});

interface Measurement {
  readonly mapping: string;
  readonly pattern: 'sequential' | 'rotated';
  readonly tlbEntries: number;
  readonly accesses: number;
  readonly misses: number;
  readonly walks: number;
}

describe('examples/scenarios/tlb-study.yaml and vcm-ref tlb-study (seed 000)', () => {
  it('have the same miss table: page size by the space start, TLB size, sequential and rotated, and the LPAE rows', () => {
    const w = walkthroughData(tlbStudy) as unknown as { results: readonly Measurement[]; lpae: readonly { mapping: string; devAddr: number; accesses: number; misses: number; walks: number }[] };
    const r = runSweep(loadScenario(scenario('tlb-study.yaml')));
    expect(r.ok).toBe(true);
    // The device address of the 16 MiB-aligned frame decides the page the driver maps with.
    const shortFormat: Readonly<Record<number, string>> = { 0x1000_1000: '4 KiB pages', 0x1001_0000: '64 KiB pages', 0x1010_0000: '1 MiB sections', 0x1000_0000: '16 MiB supersection' };
    const lpae: Readonly<Record<number, string>> = { 0x1000_1000: '4 KiB pages', 0x1001_0000: '64 KiB hinted runs', 0x1000_0000: '2 MiB blocks' };
    const fromScenario: Measurement[] = [];
    const fromScenarioLpae: { mapping: string; devAddr: number; accesses: number; misses: number; walks: number }[] = [];
    for (const p of r.points) {
      const start = parseSize(p.values['spaces[video].start'] as string);
      const tlbEntries = p.values['board.smmus[rot].tlb.entries'] as number;
      const device = (name: string): ScenarioReport['devices'][number] => p.devices.find((d) => d.name === name)!;
      for (const [name, pattern] of [['rot_src', 'sequential'], ['rot_dst', 'rotated']] as const) {
        const d = device(name);
        fromScenario.push({ mapping: shortFormat[start]!, pattern, tlbEntries, accesses: d.accesses, misses: d.misses, walks: d.walks });
      }
      if (tlbEntries === 32 && lpae[start] !== undefined) {
        const d = device('mdp0_port0');
        fromScenarioLpae.push({ mapping: lpae[start], devAddr: start, accesses: d.accesses, misses: d.misses, walks: d.walks });
      }
    }
    const key = (m: Measurement): string => `${m.mapping} ${m.pattern} ${m.tlbEntries}`;
    const walkthroughRows = w.results.filter((m) => m.mapping !== 'max-munch mix').map((m) => ({ mapping: m.mapping, pattern: m.pattern, tlbEntries: m.tlbEntries, accesses: m.accesses, misses: m.misses, walks: m.walks }));
    expect(fromScenario.length).toBe(4 * 2 * 5);
    expect([...fromScenario].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...walkthroughRows].sort((a, b) => key(a).localeCompare(key(b))));
    const byMapping = (a: { mapping: string }, b: { mapping: string }): number => a.mapping.localeCompare(b.mapping);
    expect(fromScenarioLpae.sort(byMapping)).toEqual([...w.lpae].sort(byMapping));
  });
});
