/**
 * The TLB study's figures, pinned: on the seed's SMMU (`msm8x60`: one shared
 * TLB; micro-TLB, walk cache and prefetch off; every latency 0) the study
 * measures exactly what it measured before the translation caches and their
 * timing were built (docs/hardware.md#translation-caches). The numbers below
 * are that earlier run's.
 */
import { describe, expect, it } from 'vitest';
import { defaultBoard } from '../board.js';
import { silentProgress } from '../progress.js';
import { runWalkthrough } from '../run.js';
import { TLB_SIZES, tlbStudy } from './tlb-study.js';

/** [mapping, pattern, leaves, accesses, misses at 8, 16, 32, 64, 128 entries]; every miss is one walk, every other access a hit. */
const PINNED: ReadonlyArray<readonly [string, string, number, number, readonly number[]]> = [
  ['4 KiB pages', 'sequential', 4096, 65536, [4096, 4096, 4096, 4096, 4096]],
  ['4 KiB pages', 'rotated', 4096, 65536, [16384, 16384, 16384, 16384, 16384]],
  ['64 KiB pages', 'sequential', 256, 65536, [256, 256, 256, 256, 256]],
  ['64 KiB pages', 'rotated', 256, 65536, [2048, 2048, 2048, 2048, 2048]],
  ['1 MiB sections', 'sequential', 16, 65536, [16, 16, 16, 16, 16]],
  ['1 MiB sections', 'rotated', 16, 65536, [128, 16, 16, 16, 16]],
  ['16 MiB supersection', 'sequential', 1, 65536, [1, 1, 1, 1, 1]],
  ['16 MiB supersection', 'rotated', 1, 65536, [1, 1, 1, 1, 1]],
  ['max-munch mix', 'sequential', 1096, 65536, [1096, 1096, 1096, 1096, 1096]],
  ['max-munch mix', 'rotated', 1096, 65536, [4672, 4672, 4672, 4672, 4672]],
];

interface Row {
  readonly mapping: string;
  readonly pattern: string;
  readonly tlbEntries: number;
  readonly leaves: number;
  readonly accesses: number;
  readonly hits: number;
  readonly misses: number;
  readonly walks: number;
  readonly cycles: number;
  readonly stallCycles: number;
  readonly microTlb: unknown;
  readonly walkCache: unknown;
  readonly prefetches: number;
}

describe('tlb-study on the seed\'s SMMU: every figure as before the cache hierarchy', () => {
  const report = runWalkthrough(tlbStudy, { board: defaultBoard(), verbose: false, inject: undefined, progress: silentProgress });
  const results = report.data['results'] as readonly Row[];

  it('every check of the study passes', () => {
    expect(report.checks.filter((c) => !c.pass)).toEqual([]);
  });

  it('misses, hits and walks per mapping, pattern and TLB size', () => {
    const got = PINNED.map(([mapping, pattern]) => {
      const rows = TLB_SIZES.map((e) => results.find((r) => r.mapping === mapping && r.pattern === pattern && r.tlbEntries === e)!);
      return [mapping, pattern, rows[0]!.leaves, rows[0]!.accesses, rows.map((r) => r.misses)];
    });
    expect(got).toEqual(PINNED);
    for (const r of results) expect([r.walks, r.hits]).toEqual([r.misses, r.accesses - r.misses]);
  });

  it('no new cache took part and nothing was timed (the sequential streams report it)', () => {
    for (const r of results.filter((x) => x.pattern === 'sequential')) expect([r.cycles, r.stallCycles, r.microTlb, r.walkCache, r.prefetches]).toEqual([0, 0, null, null, 0]);
  });

  it('the max-munch mix and the LPAE rows', () => {
    expect(report.data['mix']).toEqual({ '1 MiB': 8, '64 KiB': 64, '4 KiB': 1024 });
    expect(report.data['lpae']).toEqual([
      { mapping: '4 KiB pages', devAddr: 0x1000_1000, accesses: 65536, misses: 4096, walks: 4096 },
      { mapping: '64 KiB hinted runs', devAddr: 0x1001_0000, accesses: 65536, misses: 256, walks: 256 },
      { mapping: '2 MiB blocks', devAddr: 0x1000_0000, accesses: 65536, misses: 8, walks: 8 },
    ]);
  });
});
