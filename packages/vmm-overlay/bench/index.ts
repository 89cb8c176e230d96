/**
 * Benchmarks of the CPU overlay:
 * - cpu-copy-16m-mb-per-s and cpu-write-16m-mib-per-s: the CPU reads and
 *   writes a 16 MiB buffer mapped with 4 KiB pages through the kernel VCM
 *   (every page a TLB miss and a table walk in RAM), each beside a floor of
 *   the same run doing that work in typed arrays (`pageCopyFloorMiBPerS`,
 *   docs/performance.md#the-data-path) and its ratio; ram-copy-16m-mb-per-s
 *   is the same bytes copied straight out of physical RAM;
 * - back-16m-kernel-ms: backing a 16 MiB physmem into the kernel VCM
 *   (natural alignment: 1 MiB sections), and the same with 4 KiB pages.
 */
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { againstFloor, bestMiBPerS, bestTimeMs, measureOps, pageCopyFloorMiBPerS, report } from '@vcm/bench-kit';
import type { BenchFigure } from '@vcm/bench-kit';
import { SZ_16M, SZ_4K, VCM_ALIGN_4K, VCM_MEMTYPE_2, VCM_PREBUILT_KERNEL, VCM_READ, VCM_WB_WA, VCM_WRITE, Vcmm } from '@vcm/core';
import type { Physmem, Reservation } from '@vcm/core';
import { EBI_BASE, EBI_KERNEL_END, msm8x60Memory } from '@vcm/physalloc';
import { Vmm } from '../src/index.js';

const MIB = 1024 * 1024;
const ATTR = VCM_READ | VCM_WRITE | VCM_WB_WA;

function platform() {
  const { memory, allocator } = msm8x60Memory();
  const vmm = new Vmm({ memory, allocator, kernelRam: [{ base: EBI_BASE, size: EBI_KERNEL_END - EBI_BASE }] });
  const vcmm = new Vcmm({ memory, allocator, prebuilt: vmm.prebuilt, logger: { warn: () => undefined } });
  const kernel = vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
  kernel.assoc(vmm.cpu, 0).activate();
  // One 16 MiB block of EBI carve-out: physically contiguous, 16 MiB aligned.
  const physmem = vcmm.physAlloc(VCM_MEMTYPE_2, SZ_16M, 0);
  return { memory, vmm, vcmm, kernel, physmem };
}

/** Best time of `back` alone (the unback after each run is not timed). */
function bestBackMs(res: Reservation, physmem: Physmem, runs: number): number {
  let best = Infinity;
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    res.back(physmem);
    const t = performance.now() - t0;
    res.unback();
    if (i > 0 && t < best) best = t;
  }
  return best;
}

async function main(): Promise<void> {
  const figures: BenchFigure[] = [];
  const p = platform();

  // A 4 KiB reservation (and its guard page) first, so that the 16 MiB one
  // placed with 4 KiB alignment sits 8 KiB past a 64 KiB boundary while its
  // physical memory is 16 MiB aligned: only 4 KiB pages can map it.
  p.kernel.reserve(SZ_4K, ATTR);
  const paged = p.kernel.reserve(SZ_16M, ATTR | VCM_ALIGN_4K);
  paged.back(p.physmem);
  const sizes = new Set<number>();
  for (let off = 0; off < SZ_16M; off += SZ_4K) sizes.add(p.vmm.cpu.walk(paged.devAddr + off).leaf?.size ?? 0);
  if (sizes.size !== 1 || !sizes.has(SZ_4K)) throw new Error(`expected 4 KiB pages only, got sizes ${[...sizes].join(', ')}`);
  const pa = p.physmem.chunks()[0]?.pa ?? 0;
  // Touch every page (untouched RAM reads as zeros without a copy) and check the bytes come back.
  const bytes = new Uint8Array(SZ_16M);
  for (let i = 0; i < SZ_16M; i++) bytes[i] = (i * 31 + (i >>> 12)) & 0xff;
  p.vmm.cpu.write(paged.devAddr, bytes);
  if (!Buffer.from(p.vmm.cpu.read(paged.devAddr, SZ_16M)).equals(Buffer.from(bytes))) throw new Error('the CPU read back other bytes');

  p.vmm.cpu.tlb.resetStats();
  p.vmm.cpu.read(paged.devAddr, SZ_16M);
  const tlb = p.vmm.cpu.tlb.stats();

  figures.push(
    ...(await againstFloor({
      unit: 'MiB/s',
      better: 'higher',
      floor: {
        name: 'cpu-read-floor-mib-per-s',
        note: '16 MiB in typed arrays: per 4 KiB page a missing lookup, a two-level walk, a fill, and the page copied into a fresh buffer',
        measure: () => pageCopyFloorMiBPerS(SZ_16M, 'read'),
      },
      figures: [
        {
          name: 'cpu-copy-16m-mb-per-s',
          measure: () => bestMiBPerS(SZ_16M, () => p.vmm.cpu.read(paged.devAddr, SZ_16M)),
          goal: { op: '>=', value: 1000 },
          note: `cpu.read of 16 MiB over 4 KiB pages: ${tlb.misses} TLB misses, ${tlb.walks} walks per copy`,
        },
      ],
    })),
    ...(await againstFloor({
      unit: 'MiB/s',
      better: 'higher',
      floor: {
        name: 'cpu-write-floor-mib-per-s',
        note: "16 MiB in typed arrays: per 4 KiB page a missing lookup, a two-level walk, a fill, and the page copied from the caller's buffer",
        measure: () => pageCopyFloorMiBPerS(SZ_16M, 'write'),
      },
      figures: [
        {
          name: 'cpu-write-16m-mib-per-s',
          measure: () => bestMiBPerS(SZ_16M, () => p.vmm.cpu.write(paged.devAddr, bytes)),
          note: 'cpu.write of the same 16 MiB over 4 KiB pages',
        },
      ],
    })),
  );
  const into = new Uint8Array(SZ_16M);
  figures.push(
    await measureOps({
      name: 'ram-copy-16m-mb-per-s',
      fn: () => p.memory.readInto(pa, into),
      scale: SZ_16M / MIB,
      unit: 'MiB/s',
      note: 'floor: the same 16 MiB copied straight out of physical RAM into a preallocated buffer (no translation, no allocation)',
      time: 1500,
    }),
  );
  paged.unback();

  const natural = p.kernel.reserve(SZ_16M, ATTR);
  natural.back(p.physmem);
  const leaf = p.vmm.cpu.walk(natural.devAddr).leaf?.size ?? 0;
  natural.unback();
  figures.push({
    name: 'back-16m-kernel-ms',
    value: bestBackMs(natural, p.physmem, 30),
    unit: 'ms',
    goal: { op: '<=', value: 2 },
    note: `natural alignment (VA ${natural.devAddr.toString(16)}): ${SZ_16M / leaf} leaves of ${leaf / MIB} MiB`,
  });
  figures.push({
    name: 'back-16m-kernel-4k-pages-ms',
    value: bestBackMs(paged, p.physmem, 10),
    unit: 'ms',
    note: '4096 small-page descriptors',
  });
  figures.push({
    name: 'vmm-create-ms',
    value: bestTimeMs(() => platform(), 5),
    unit: 'ms',
    note: 'MSM8x60 system + VMM (512 linear-map sections) + Vcmm + kernel VCM + 16 MiB physmem',
  });

  report(fileURLToPath(new URL('..', import.meta.url)), figures);
}

await main();
