/**
 * The data path: `dma.read` and `dma.write` of 4 MiB through 4 KiB pages on
 * an msm8x60 SMMU (one 32-entry LRU TLB, so every page misses, walks two
 * levels in RAM and fills) over the product's RAM (`@vcm/physalloc`), each
 * beside a floor measured in the same run that does the same work per page
 * in plain typed-array code (docs/performance.md#the-data-path):
 *
 * the translation as the stream's floor does it (the slot from the page
 * number, a tag compare that misses, two dependent descriptor loads, the
 * fill), then the page's 4 KiB copied between the caller's buffer and the
 * page's bytes — `pageCopyFloorMiBPerS` of `@vcm/bench-kit`, which the
 * CPU's copy is measured against too.
 */
import { againstFloor, bestMiBPerS, pageCopyFloorMiBPerS } from '@vcm/bench-kit';
import type { BenchFigure } from '@vcm/bench-kit';
import { SZ_4K, SZ_64M, VCM_READ, VCM_WRITE } from '@vcm/core';
import { createPhysicalSystem } from '@vcm/physalloc';
import { armV7Short } from '../src/formats/index.js';
import { Smmu } from '../src/smmu.js';

const LEN = 4 * 1024 * 1024;
const PAGES = LEN / SZ_4K;
const VA = 0x1000_0000;
const RUNS = 15;

/** An msm8x60 SMMU over product RAM with LEN bytes mapped as 4 KiB pages at VA, every page written once (so reads copy real pages). */
function activeContext(): { read: () => Uint8Array; write: (bytes: Uint8Array) => void } {
  const { memory, allocator } = createPhysicalSystem({
    banks: [{ name: 'ddr', base: 0x8000_0000, size: 2 * SZ_64M }],
    pools: [{ name: 'ddr-4k', bank: 'ddr', base: 0x8000_0000, blockSize: SZ_4K, count: 2 * PAGES }],
    memtypes: [{ id: 1, name: 'VCM_MEMTYPE_0', pools: ['ddr-4k'] }],
    tableRegion: { base: 0x8000_0000 + SZ_64M, size: SZ_64M },
  });
  const smmu = new Smmu({ name: 'bench', base: 0x0440_0000, irq: 1, contextBanks: 2, format: armV7Short, memory, tableAllocator: allocator, model: 'msm8x60' });
  const ctx = smmu.createContext(0);
  ctx.bind(smmu);
  ctx.activate();
  ctx.updateStart();
  // Every other physical page, so that no two pages are adjacent in RAM and the copy cannot run across them.
  for (let p = 0; p < PAGES; p++) ctx.map(0x8000_0000 + 2 * p * SZ_4K, VA + p * SZ_4K, SZ_4K, VCM_READ | VCM_WRITE);
  ctx.updateDone();
  const bytes = new Uint8Array(LEN);
  for (let i = 0; i < LEN; i++) bytes[i] = (i * 31 + (i >>> 12)) & 0xff;
  ctx.dma.write(VA, bytes);
  if (!Buffer.from(ctx.dma.read(VA, LEN)).equals(Buffer.from(bytes))) throw new Error('dma.read returned other bytes than dma.write stored');
  return { read: () => ctx.dma.read(VA, LEN), write: (b) => ctx.dma.write(VA, b) };
}

/** `dma-read-4m` and `dma-write-4m`, each beside its floor and `…-x-floor`. */
export async function dataPathFigures(): Promise<BenchFigure[]> {
  const port = activeContext();
  const source = new Uint8Array(LEN).fill(0x5a);
  return [
    ...(await againstFloor({
      unit: 'MiB/s',
      better: 'higher',
      floor: {
        name: 'dma-read-floor-mib-per-s',
        note: '4 MiB in typed arrays: per 4 KiB page a missing lookup, a two-level walk, a fill, and the page copied into a fresh 4 MiB buffer',
        measure: () => pageCopyFloorMiBPerS(LEN, 'read', RUNS),
      },
      figures: [
        {
          name: 'dma-read-4m-mib-per-s',
          measure: () => bestMiBPerS(LEN, () => port.read(), RUNS),
          note: 'ctx.dma.read of 4 MiB over 4 KiB pages (msm8x60: 1024 misses, walks and fills), product RAM; returns a fresh buffer',
        },
      ],
    })),
    ...(await againstFloor({
      unit: 'MiB/s',
      better: 'higher',
      floor: {
        name: 'dma-write-floor-mib-per-s',
        note: "4 MiB in typed arrays: per 4 KiB page a missing lookup, a two-level walk, a fill, and the page copied from the caller's buffer",
        measure: () => pageCopyFloorMiBPerS(LEN, 'write', RUNS),
      },
      figures: [
        {
          name: 'dma-write-4m-mib-per-s',
          measure: () => bestMiBPerS(LEN, () => port.write(source), RUNS),
          note: 'ctx.dma.write of 4 MiB over 4 KiB pages (msm8x60: 1024 misses, walks and fills), product RAM',
        },
      ],
    })),
  ];
}
