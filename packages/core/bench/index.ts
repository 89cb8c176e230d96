/**
 * Benchmarks of @vcm/core. Run with `pnpm bench` (`--record` writes
 * bench/results.json). Goals are reported, never asserted.
 *
 * The physical side is the test RAM and allocator of src/test-platform.ts
 * (core depends on nothing of ours, so not on @vcm/physalloc).
 */
import { bestTimeMs, measureOps, report, type BenchFigure } from '@vcm/bench-kit';
import { fileURLToPath } from 'node:url';
import {
  SZ_16M,
  SZ_1G,
  SZ_1M,
  SZ_4K,
  VCM_MEMTYPE_0,
  VCM_MEMTYPE_1,
  VCM_PHYS_CONT,
  RangeAllocator,
  Vcmm,
  createDirectDevice,
  directDriver,
  type PhysAllocation,
  type PhysicalAllocator,
  type Reservation,
} from '../src/index.js';
import { TestAllocator, TestLogger, TestMemory } from '../src/test-platform.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** A small deterministic PRNG (mulberry32) so every run measures the same layout. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Sizes 4 KiB … 16 MiB, 4 KiB · 2^k with P(k) ∝ 2^-k: small buffers are
 * common, large ones rare, so 10,000 of them fit in a 1 GiB VCM (the mean is
 * about 26 KiB) while every natural alignment (4 KiB, 64 KiB, 1 MiB) occurs.
 */
function sizeSampler(rand: () => number): () => number {
  return () => {
    let k = 0;
    while (k < 12 && rand() < 0.5) k++;
    return SZ_4K * 2 ** k;
  };
}

function system(allocator: PhysicalAllocator & { banks(): ReturnType<TestAllocator['banks']> }): Vcmm {
  // The shared direct driver, whose devices `createDirectDevice` makes: a Vcmm accepts only its own drivers' devices.
  return new Vcmm({ memory: new TestMemory(allocator.banks()), allocator, logger: new TestLogger(), drivers: [directDriver] });
}

/** Hands out contiguous allocations of memtype 1 as 1 MiB chunks, like a 1 MiB block pool would. */
class ChunkedAllocator extends TestAllocator {
  override allocate(memtype: number, len: number, attr: number): PhysAllocation {
    const a = super.allocate(memtype, len, attr);
    const first = a.chunks[0];
    if (!first || a.chunks.length !== 1 || len % SZ_1M !== 0) return a;
    const chunks = Array.from({ length: len / SZ_1M }, (_, i) => ({ pa: first.pa + i * SZ_1M, len: SZ_1M, blockSize: SZ_1M }));
    const split = { ...a, chunks };
    this.origin.set(split, a);
    return split;
  }
  override free(allocation: PhysAllocation): void {
    super.free(this.origin.get(allocation) ?? allocation);
  }
  private readonly origin = new Map<PhysAllocation, PhysAllocation>();
}

const figures: BenchFigure[] = [];

// ---- reserve + unreserve with 10,000 live reservations -------------------------
{
  const vcmm = system(new TestAllocator());
  const vcm = vcmm.create(0, SZ_1G);
  const rand = prng(1);
  const size = sizeSampler(rand);
  const live: Reservation[] = [];
  while (live.length < 10_000) live.push(vcm.reserve(size()));
  const sizes = Array.from({ length: 4096 }, size);
  let i = 0;
  figures.push(
    await measureOps({
      name: 'reserve-unreserve-10k-live-ops-per-s',
      fn: () => {
        vcm.reserve(sizes[i++ & 4095] as number).unreserve();
      },
      goal: { op: '>=', value: 1_000_000 },
      note: '1 GiB VCM, 10,000 live reservations 4 KiB-16 MiB, natural alignment; one op = reserve + unreserve',
    }),
  );
}

// ---- the free-extent tree alone: 10,000 free extents ---------------------------
{
  // A 1 GiB range from 0x400 cut into 20,000 live 16 KiB blocks with every
  // other one returned: 10,001 free extents. A 4 KiB page-aligned request
  // lands in the first one, [0x400, 0x5000), after its unaligned head: a
  // split into two free pieces (an insert) that the free merges back (a
  // removal). A 1 MiB-aligned request passes every hole to the free tail.
  const ranges = new RangeAllocator(0x400, SZ_1G);
  const blocks: number[] = [];
  for (let n = 0; n < 20_000; n++) blocks.push(ranges.allocate(4 * SZ_4K, SZ_4K) as number);
  for (let n = 0; n < 20_000; n += 2) ranges.free(blocks[n] as number, 4 * SZ_4K);
  if (ranges.freeExtentCount !== 10_001) throw new Error(`expected 10,001 free extents, got ${ranges.freeExtentCount}`);
  figures.push(
    await measureOps({
      name: 'range-allocator-4k-10k-extents-ops-per-s',
      fn: () => {
        for (let r = 0; r < 100; r++) ranges.free(ranges.allocate(SZ_4K, SZ_4K) as number, SZ_4K);
      },
      scale: 100,
      note: 'RangeAllocator: 4 KiB page-aligned allocate + free among 10,001 free extents',
    }),
  );
  figures.push(
    await measureOps({
      name: 'range-allocator-1m-aligned-10k-extents-ops-per-s',
      fn: () => {
        for (let r = 0; r < 100; r++) ranges.free(ranges.allocate(SZ_1M, SZ_1M) as number, SZ_1M);
      },
      scale: 100,
      note: 'RangeAllocator: 1 MiB aligned to 1 MiB past 10,000 holes, + free',
    }),
  );
}

// ---- back + unback of 16 MiB on a one-to-one VCM --------------------------------
{
  const allocator = new ChunkedAllocator({ memtype1: 32 * SZ_1M });
  const vcmm = system(allocator);
  const vcm = vcmm.create(vcmm.contMemtypePa(VCM_MEMTYPE_1), vcmm.contMemtypeLen(VCM_MEMTYPE_1));
  const dev = createDirectDevice('dma');
  vcm.assoc(dev).activate();
  const pm = vcmm.physAlloc(VCM_MEMTYPE_1, SZ_16M, VCM_PHYS_CONT);
  if (pm.chunks().length !== 16) throw new Error('expected 16 chunks');
  const res = vcm.reserve(SZ_16M);
  figures.push(
    await measureOps({
      name: 'back-unback-16m-direct-ops-per-s',
      fn: () => {
        res.back(pm);
        res.unback();
      },
      goal: { op: '>=', value: 200_000 },
      note: '16 MiB physmem of 16 × 1 MiB chunks, one-to-one VCM with an active direct device; one op = back + unback',
    }),
  );
}

// ---- reverse lookup with 10,000 backed reservations --------------------------------
{
  const vcmm = system(new TestAllocator({ memtype0: 64 * SZ_1M }));
  const vcm = vcmm.create(0, SZ_1G);
  const pas: number[] = [];
  for (let n = 0; n < 10_000; n++) {
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K);
    vcm.reserve(SZ_4K).back(pm);
    pas.push((pm.chunks()[0] as { pa: number }).pa + 0x10);
  }
  const rand = prng(7);
  const probes = Array.from({ length: 4096 }, () => pas[Math.floor(rand() * pas.length)] as number);
  let i = 0;
  let sink = 0;
  figures.push(
    await measureOps({
      name: 'phys-num-res-ops-per-s',
      fn: () => {
        sink += vcmm.physNumRes(probes[i++ & 4095] as number);
      },
      goal: { op: '>=', value: 5_000_000 },
      note: 'vcm_get_phys_num_res with 10,000 backed reservations',
    }),
  );
  if (sink === 0) throw new Error('reverse map found nothing');
}

// ---- scaling: reserve + unreserve with 10^2 … 10^5 live reservations in one VCM ----
{
  // One VCM of 2 GiB; N live reservations of 4 KiB … 64 KiB (4 KiB · 2^k,
  // P(k) ∝ 2^-k, mean about 12 KiB, so 10^5 of them fit), then the cost of a
  // reserve + unreserve of the same sizes among them. The free-extent tree is
  // O(log n): the curve may rise by the few extra levels, not with n.
  const points = [100, 1_000, 10_000, 100_000];
  const OPS = 4096;
  const perOp: number[] = [];
  for (const n of points) {
    const vcmm = system(new TestAllocator());
    const vcm = vcmm.create(0, 2 * SZ_1G);
    const rand = prng(2);
    const size = (): number => {
      let k = 0;
      while (k < 4 && rand() < 0.5) k++;
      return SZ_4K * 2 ** k;
    };
    const live: Reservation[] = [];
    while (live.length < n) live.push(vcm.reserve(size()));
    const sizes = Array.from({ length: OPS }, size);
    const ms = bestTimeMs(() => {
      for (let i = 0; i < OPS; i++) vcm.reserve(sizes[i] as number).unreserve();
    }, 15);
    const ns = Math.round(((ms * 1e6) / OPS) * 10) / 10;
    perOp.push(ns);
    figures.push({ name: `scaling-reserve-unreserve-${n}-live-ns-per-op`, value: ns, unit: 'ns/op', note: `one reserve + unreserve (4-64 KiB, natural alignment) in a 2 GiB VCM holding ${n.toLocaleString('en-US')} live reservations` });
  }
  figures.push({
    name: 'scaling-reserve-unreserve-largest-x-smallest',
    value: Math.round(((perOp.at(-1) as number) / (perOp[0] as number)) * 100) / 100,
    unit: 'x',
    goal: { op: '<=', value: 2 },
    note: 'cost per operation at 10^5 live reservations over the cost at 10^2, measured in the same run',
  });
}

report(packageDir, figures);
