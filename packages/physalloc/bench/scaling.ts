/**
 * Scaling with live physical allocations: `bench/index.ts` calls
 * `allocationScalingFigures()`.
 *
 * n physical allocations of 4 KiB (MEMTYPE_0 on a board with 16,384 4 KiB
 * blocks), each backing one reservation of one VCM, are live; one
 * operation is the whole life of one more: `vcm_phys_alloc` +
 * `vcm_reserve` + `vcm_back` + `vcm_unback` + `vcm_unreserve` +
 * `vcm_phys_free`. Every structure on that path (the block pool's free
 * list, the allocator's live set, the graph's reverse map, the VCM's
 * free-extent tree) must cost the same or a logarithm more as n grows:
 * the curve's largest point may cost at most twice its smallest
 * (docs/performance.md#scaling).
 */
import { bestTimeMs } from '@vcm/bench-kit';
import type { BenchFigure } from '@vcm/bench-kit';
import { SZ_1G, SZ_4K, SZ_64M, VCM_MEMTYPE_0, Vcmm, directDriver } from '@vcm/core';
import type { Physmem, Reservation } from '@vcm/core';
import { createPhysicalSystem } from '../src/index.js';

const POINTS = [1, 10, 100, 1_000, 10_000];
const OPS = 2_000;

/** A board whose only memtype is 16,384 blocks of 4 KiB (64 MiB), and a Vcmm over it. */
function system(): Vcmm {
  const { memory, allocator } = createPhysicalSystem({
    banks: [{ name: 'ddr', base: 0x8000_0000, size: SZ_64M + SZ_4K * 256 }],
    pools: [{ name: 'ddr-4k', bank: 'ddr', base: 0x8000_0000, blockSize: SZ_4K, count: SZ_64M / SZ_4K }],
    memtypes: [{ id: VCM_MEMTYPE_0, name: 'VCM_MEMTYPE_0', pools: ['ddr-4k'] }],
    tableRegion: { base: 0x8000_0000 + SZ_64M, size: SZ_4K * 256 },
  });
  return new Vcmm({ memory, allocator, drivers: [directDriver], logger: { warn() {} } });
}

/** ns per operation at each point, and the largest point over the smallest. */
export function allocationScalingFigures(): BenchFigure[] {
  const figures: BenchFigure[] = [];
  const perOp: number[] = [];
  for (const n of POINTS) {
    const vcmm = system();
    const vcm = vcmm.create(0x1000_0000, SZ_1G);
    const live: Array<{ pm: Physmem; res: Reservation }> = [];
    for (let i = 0; i < n; i++) {
      const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K);
      const res = vcm.reserve(SZ_4K);
      res.back(pm);
      live.push({ pm, res });
    }
    const ms = bestTimeMs(() => {
      for (let i = 0; i < OPS; i++) {
        const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K);
        const res = vcm.reserve(SZ_4K);
        res.back(pm);
        res.unback();
        res.unreserve();
        pm.free();
      }
    }, 15);
    if (vcmm.physmems.length !== n) throw new Error(`allocation scaling: expected ${n} live allocations after the runs`);
    const ns = Math.round(((ms * 1e6) / OPS) * 10) / 10;
    perOp.push(ns);
    figures.push({
      name: `scaling-phys-alloc-back-${n}-live-ns-per-op`,
      value: ns,
      unit: 'ns/op',
      note: `phys_alloc 4 KiB + reserve + back + unback + unreserve + phys_free beside ${n.toLocaleString('en-US')} live allocations each backing one reservation`,
    });
  }
  figures.push({
    name: 'scaling-phys-alloc-back-largest-x-smallest',
    value: Math.round(((perOp.at(-1) as number) / (perOp[0] as number)) * 100) / 100,
    unit: 'x',
    goal: { op: '<=', value: 2 },
    note: `cost per operation at ${POINTS.at(-1)!.toLocaleString('en-US')} live allocations over the cost at ${POINTS[0]}, measured in the same run`,
  });
  return figures;
}
