/**
 * Host memory per simulated GiB mapped with 4 KiB pages, in a process of
 * its own (run by `bench/scaling.ts` with `--expose-gc`, so that nothing
 * else lives in the heap it measures). For each format: 2 GiB mapped as
 * 524,288 4 KiB pages with one bulk `mapRange` on product RAM
 * (`@vcm/physalloc`), the growth of heap + array buffers after a full
 * collection, beside the page tables' bytes and the simulated RAM the map
 * touched. Prints one JSON line per format.
 */
import { SZ_1G, SZ_1M, SZ_4K, SZ_64M, SZ_8M, VCM_READ, VCM_WB_WA, VCM_WRITE } from '@vcm/core';
import { createPhysicalSystem } from '@vcm/physalloc';
import type { PageTable, PageTableFormat } from '../src/format.js';
import { armLpae4k, armV7Short } from '../src/formats/index.js';

const PROT = VCM_READ | VCM_WRITE | VCM_WB_WA;
/** Simulated GiB mapped: the table region (8 MiB) holds LPAE's 4 MiB of tables for 2 GiB. */
const GIB = 2;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('host-memory.ts needs node --expose-gc');

/** Heap plus array buffers (external counts them) after two full collections. */
function hostBytes(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

function board(): ReturnType<typeof createPhysicalSystem> {
  return createPhysicalSystem({
    banks: [{ name: 'ddr', base: 0x8000_0000, size: SZ_64M }],
    pools: [{ name: 'ddr-4k', bank: 'ddr', base: 0x8000_0000, blockSize: SZ_4K, count: 256 }],
    memtypes: [{ id: 1, name: 'VCM_MEMTYPE_0', pools: ['ddr-4k'] }],
    tableRegion: { base: 0x8000_0000 + SZ_64M - SZ_8M, size: SZ_8M },
  });
}

function measure(format: PageTableFormat): void {
  // Warm-up in a table of its own: V8's compiled code for the map loop is a
  // cost once per process, not per GiB mapped. It has a board of its own,
  // so the measured map touches only fresh RAM pages.
  const other = board();
  format.create(other.memory, other.allocator).mapRange(0x4000_0000, 0x1000, 64 * SZ_1M, PROT);
  const { memory, allocator } = board();
  // Touched RAM is counted in pages: hostBytes() is the host chunks the pages are carved from, up to one chunk more.
  const touchedPages = (): number => memory.stats().banks.reduce((n, b) => n + b.touchedPages, 0);
  const touchedBefore = touchedPages();
  const before = hostBytes();
  const pt: PageTable = format.create(memory, allocator);
  // pa - va is not a multiple of 64 KiB: every leaf is a 4 KiB page.
  pt.mapRange(0x4000_0000, 0x1000, GIB * SZ_1G, PROT);
  const after = hostBytes();
  const point = { format: format.name === 'armLpae4k' ? 'arm-lpae-4k' : 'arm-v7-short', gib: GIB, hostBytes: after - before, tableBytes: pt.tableBytes, touchedBytes: (touchedPages() - touchedBefore) * 4096 };
  console.log(JSON.stringify(point));
  pt.destroy();
}

measure(armV7Short);
measure(armLpae4k);
