/**
 * Benchmarks of @vcm/physalloc. Run with
 * `pnpm bench` in this package (`--record` writes bench/results.json). Goals are
 * reported, never asserted (CONTRIBUTING.md#benchmarks).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { againstFloor, bestTimeMs, measureOps, report } from '@vcm/bench-kit';
import type { BenchFigure } from '@vcm/bench-kit';
import { SZ_16M, SZ_1K, SZ_1M, SZ_4G, SZ_4K, SZ_64M, VCM_1MB, VCM_MEMTYPE_0, VCM_PHYS_CONT } from '@vcm/core';
import { ContiguousPool, PhysicalRam, createPhysicalSystem, msm8x60Memory } from '../src/index.js';
import { allocationScalingFigures } from './scaling.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const figures: BenchFigure[] = [];

// tinybench times each call; one call does REPS operations so that the
// timer's own cost does not dominate a ~50 ns operation.
const REPS = 100;

{
  const { allocator } = msm8x60Memory();
  figures.push(
    await measureOps({
      name: 'alloc-free-4k-ops-per-s',
      fn: () => {
        for (let i = 0; i < REPS; i++) allocator.free(allocator.allocate(VCM_MEMTYPE_0, SZ_4K, 0));
      },
      scale: REPS,
      goal: { op: '>=', value: 10_000_000 },
      note: 'one 4 KiB block allocated and freed (MEMTYPE_0)',
    }),
  );
  figures.push(
    await measureOps({
      name: 'alloc-free-1m-ops-per-s',
      fn: () => {
        for (let i = 0; i < REPS; i++) allocator.free(allocator.allocate(VCM_MEMTYPE_0, SZ_1M, 0));
      },
      scale: REPS,
      goal: { op: '>=', value: 2_000_000 },
      note: '1 MiB max munch (one 1 MiB block) and free',
    }),
  );
}

{
  // A board with enough 1 MiB blocks for a 16 MiB request made of them.
  const { allocator } = createPhysicalSystem({
    banks: [{ name: 'ddr', base: 0x8000_0000, size: SZ_64M }],
    pools: [
      { name: 'ddr-16m', bank: 'ddr', base: 0x8000_0000, blockSize: SZ_16M, count: 1 },
      { name: 'ddr-1m', bank: 'ddr', base: 0x8100_0000, blockSize: SZ_1M, count: 32 },
    ],
    memtypes: [{ id: 1, name: 'VCM_MEMTYPE_0', pools: ['ddr-16m', 'ddr-1m'] }],
    tableRegion: { base: 0x8300_0000, size: SZ_1M },
  });
  const reps = 10;
  figures.push(
    await measureOps({
      name: 'alloc-free-16m-from-1m-ops-per-s',
      fn: () => {
        for (let i = 0; i < reps; i++) allocator.free(allocator.allocate(1, SZ_16M, VCM_1MB));
      },
      scale: reps,
      goal: { op: '>=', value: 300_000 },
      note: '16 MiB with only 1 MiB blocks allowed: 16 chunks',
    }),
  );
}

{
  const { allocator } = msm8x60Memory();
  figures.push(
    await measureOps({
      name: 'alloc-free-cont-64k-aligned-ops-per-s',
      fn: () => {
        for (let i = 0; i < REPS; i++) allocator.free(allocator.allocate(VCM_MEMTYPE_0, 64 * SZ_1K, VCM_PHYS_CONT | (4 << 6)));
      },
      scale: REPS,
      note: 'VCM_PHYS_CONT, 64 KiB aligned to 64 KiB, from smi-cont',
    }),
  );
  figures.push(
    await measureOps({
      name: 'table-alloc-free-1k-ops-per-s',
      fn: () => {
        for (let i = 0; i < REPS; i++) allocator.freeTable(allocator.allocateTable(SZ_1K, SZ_1K), SZ_1K);
      },
      scale: REPS,
      note: 'a zero-filled 1 KiB level-2 table',
    }),
  );
}

{
  // The free-extent tree under load: a 64 MiB pool whose first 32 MiB are
  // 4 KiB pages with every other one free (4,096 one-page holes), so every
  // placement descends a tree of about 4,100 free extents. A 4 KiB request
  // lands in the lowest hole (splitting nothing, removing an extent, freeing
  // re-inserts it); a 64 KiB-aligned one passes every hole to the free tail.
  const pool = new ContiguousPool({ name: 'bench-cont', base: 0x8000_0000, size: SZ_64M });
  const pages: number[] = [];
  for (let i = 0; i < 8192; i++) pages.push(pool.allocate(SZ_4K));
  for (let i = 0; i < 8192; i += 2) pool.free(pages[i] as number);
  if (pool.freeExtentCount !== 4097) throw new Error(`expected 4097 free extents, got ${pool.freeExtentCount}`);
  figures.push(
    await measureOps({
      name: 'cont-alloc-free-4k-4k-holes-ops-per-s',
      fn: () => {
        for (let i = 0; i < REPS; i++) pool.free(pool.allocate(SZ_4K));
      },
      scale: REPS,
      note: '4 KiB from a contiguous pool with 4,097 free extents',
    }),
  );
  figures.push(
    await measureOps({
      name: 'cont-alloc-free-64k-aligned-4k-holes-ops-per-s',
      fn: () => {
        for (let i = 0; i < REPS; i++) pool.free(pool.allocate(64 * SZ_1K, 64 * SZ_1K));
      },
      scale: REPS,
      note: '64 KiB aligned to 64 KiB past 4,096 one-page holes',
    }),
  );
}

{
  // 64 MiB written and read back through PhysicalMemory. The figure counts
  // the 64 MiB once per write-then-read round trip (so bytes moved are twice
  // it). Steady state: the board's pages are already materialised (the
  // warm-up run does it); `readInto` reads into a reused buffer, as a
  // device model streaming through a buffer would.
  const data = new Uint8Array(SZ_64M);
  for (let i = 0; i < data.length; i += 4096) data[i] = (i >>> 12) & 0xff;
  const out = new Uint8Array(SZ_64M);
  const ram = new PhysicalRam({ banks: [{ name: 'ddr', base: 0x4000_0000, size: SZ_4G / 4 }] });
  const flat = new Uint8Array(SZ_64M);
  figures.push(
    ...(await againstFloor({
      unit: 'MiB/s',
      better: 'higher',
      // The floor: the same copies through one flat typed array.
      floor: {
        name: 'ram-write-read-floor-mb-per-s',
        note: 'one flat Uint8Array doing the same copies',
        measure: () => {
          const floorMs = bestTimeMs(() => {
            flat.set(data);
            out.set(flat);
          }, 5);
          return Math.round(64 / (floorMs / 1000));
        },
      },
      figures: [
        {
          name: 'ram-write-read-mb-per-s',
          measure: () => {
            const ms = bestTimeMs(() => {
              ram.write(0x4000_0000, data);
              ram.readInto(0x4000_0000, out);
            }, 5);
            if (out[SZ_64M - 4096] !== data[SZ_64M - 4096]) throw new Error('read back differs');
            return Math.round(64 / (ms / 1000));
          },
          goal: { op: '>=', value: 2000 },
          note: '64 MiB written through PhysicalMemory and read back',
        },
      ],
    })),
  );
  // Cold: a fresh board each time (page materialisation) and `read` (a fresh result array).
  const coldMs = bestTimeMs(() => {
    const fresh = new PhysicalRam({ banks: [{ name: 'ddr', base: 0x4000_0000, size: SZ_4G / 4 }] });
    fresh.write(0x4000_0000, data);
    fresh.read(0x4000_0000, SZ_64M);
  }, 3);
  figures.push({ name: 'ram-write-read-cold-mb-per-s', value: Math.round(64 / (coldMs / 1000)), unit: 'MiB/s', note: 'fresh board (first touch) and read() into a new array' });
}

{
  // Host memory of a 4 GiB board after touching 64 MiB spread over it.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const used = (): number => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = used();
  const ram = new PhysicalRam({ banks: [{ name: 'ddr', base: 0, size: SZ_4G }] });
  const page = new Uint8Array(4096).fill(0x5a);
  const pages = SZ_64M / 4096;
  const stride = SZ_4G / pages; // one touched page every 256 KiB
  for (let i = 0; i < pages; i++) ram.write(i * stride, page);
  const after = used();
  figures.push({
    name: 'ram-4gib-board-host-mib',
    value: Math.round(((after - before) / SZ_1M) * 10) / 10,
    unit: 'MiB',
    goal: { op: '<=', value: 100 },
    note: `4 GiB board, 64 MiB touched; hostBytes() = ${ram.hostBytes() / SZ_1M} MiB`,
  });
}

figures.push(...allocationScalingFigures());

report(packageDir, figures);
