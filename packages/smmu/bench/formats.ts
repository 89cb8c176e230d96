/**
 * Page-table format figures: bulk `mapRange` of
 * 256 MiB as 4 KiB pages in both formats, against the floor of a plain
 * `Uint32Array` write loop of the same count (about 1.5 ns a descriptor
 * on these machines), plus bulk unmap and a single walk.
 * `bench/index.ts` calls `formatFigures()`.
 *
 * The RAM and the table memory are the product's (`@vcm/physalloc`'s
 * `PhysicalRam` and `PhysAllocator` on the MSM8x60 preset), so a map figure
 * is what a user pays: the descriptor stores plus taking and first touching
 * the level-2/3 table memory the range needs. A fresh board per run keeps
 * every run's table memory untouched.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchFigure } from '@vcm/bench-kit';
import { againstFloor, bestTimeMs, timesFloor } from '@vcm/bench-kit';
import { SZ_256M, SZ_4K, VCM_READ, VCM_WB_WA, VCM_WRITE } from '@vcm/core';
import type { PageTable, PageTableFormat } from '../src/format.js';
import { armLpae4k, armV7Short } from '../src/formats/index.js';
import { msm8x60Memory } from '@vcm/physalloc';

const LEN = SZ_256M;
const PTES = LEN / SZ_4K;
const PROT = VCM_READ | VCM_WRITE | VCM_WB_WA;
/** va 0 / pa 0x8000_1000: aligned for 4 KiB only (va - pa is not a multiple of 64 KiB or 2 MiB), so every step is a 4 KiB page. */
const VA = 0;
const PA = 0x8000_1000;
/**
 * Best of 15: a run on a fresh board is the one the figure means, but the
 * first few also pay V8's compilation of the map loop and the host's first
 * touch of memory the process has not used before (tens of microseconds a
 * 4 KiB page on a virtual machine); docs/performance.md#noise-and-how-the-figures-are-taken.
 */
const RUNS = 15;

/** Fresh empty tables, made before timing so that only `mapRange` is timed. */
function freshTables(format: PageTableFormat, n: number): PageTable[] {
  const out: PageTable[] = [];
  for (let i = 0; i < n; i++) {
    const { memory, allocator } = msm8x60Memory();
    out.push(format.create(memory, allocator));
  }
  return out;
}

/** The fastest of a series of fresh-board maps (ns per descriptor) and the host page faults the process took during it. */
interface FreshMap {
  readonly nsPerPte: number;
  readonly hostFaults: number;
}

/** The fastest of `runs` maps, each on a board made just before it, garbage collected first (`bestTimeMs` does the same). */
function freshMaps(format: PageTableFormat, runs: number): FreshMap {
  const collect = (globalThis as { gc?: () => void }).gc;
  let best = Infinity;
  let hostFaults = 0;
  for (let r = 0; r < runs; r++) {
    collect?.();
    const pt = freshTables(format, 1)[0]!;
    const faults = process.resourceUsage().minorPageFault;
    const t0 = process.hrtime.bigint();
    pt.mapRange(VA, PA, LEN, PROT);
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns < best) {
      best = ns;
      hostFaults = process.resourceUsage().minorPageFault - faults;
    }
  }
  return { nsPerPte: best / PTES, hostFaults };
}

/** Per format: the first `RUNS` maps (cold) and the measured ones after them. */
const freshRounds = new Map<string, { cold: FreshMap; warm: FreshMap }>();

/**
 * A map on a fresh board: `RUNS` fresh boards, then the figure, the best of
 * `2 × RUNS` more (a map with its collection is long enough to be
 * interrupted on a shared machine where the floor's short loop is not). The
 * first `RUNS` pay V8's compilation of the map loop
 * and, until V8 has freed the garbage of earlier boards, the host's first
 * touch of new memory for every RAM page the map materialises (on these
 * virtual machines 20-30 µs a 4 KiB page, 20-30 ns a descriptor for the
 * whole map); the later ones map into fresh boards whose table memory the
 * host allocator takes from memory the process freed, as in a process that
 * has run for a while (docs/performance.md#the-hosts-first-touch). Both
 * are reported, with the page faults of their fastest run.
 */
function mapNsPerPte(format: PageTableFormat): number {
  const cold = freshMaps(format, RUNS);
  const warm = freshMaps(format, 2 * RUNS);
  freshRounds.set(format.name, { cold, warm });
  return warm.nsPerPte;
}

/**
 * Mapping into table memory the board has used before: map, unmap (the
 * emptied tables go back to the allocator, their RAM stays touched), then
 * time the same map again. The model's own cost without the host's first
 * touch of fresh memory.
 */
function remapNsPerPte(format: PageTableFormat): number {
  const { memory, allocator } = msm8x60Memory();
  const pt = format.create(memory, allocator);
  pt.mapRange(VA, PA, LEN, PROT);
  pt.unmapRange(VA, LEN);
  let best = Infinity;
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    pt.mapRange(VA, PA, LEN, PROT);
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns < best) best = ns;
    pt.unmapRange(VA, LEN);
  }
  return best / PTES;
}

function unmapNsPerPte(format: PageTableFormat): number {
  const tables = freshTables(format, RUNS + 1);
  for (const pt of tables) pt.mapRange(VA, PA, LEN, PROT);
  const ms = bestTimeMs(() => {
    const pt = tables.pop() as PageTable;
    pt.unmapRange(VA, LEN);
  }, RUNS);
  return (ms * 1e6) / PTES;
}

/** The walks' addresses: every third 4 KiB page of the 16 MiB `walkNs` maps, wrapping inside it (all mapped). */
const WALK_MASK = 0x00ff_f000;
/** Timed passes of 100,000 walks, the best kept. */
const WALK_RUNS = 9;

function walkNs(format: PageTableFormat): number {
  const { memory, allocator } = msm8x60Memory();
  const pt = format.create(memory, allocator);
  pt.mapRange(VA, PA, 16 * 0x10_0000, PROT);
  const n = 100_000;
  let sink = 0;
  const ms = bestTimeMs(() => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += pt.walk((i * 0x3000) & WALK_MASK)!.pa;
    sink += acc;
  }, WALK_RUNS);
  if (sink === -1) console.log(sink);
  return (ms * 1e6) / n;
}

/** The floor: the same number of 32-bit stores into a typed array, nothing else. */
function floorNsPerWord(): number {
  const words = new Uint32Array(PTES);
  let sink = 0;
  const ms = bestTimeMs(() => {
    let d = (PA & 0xfffff000) | 0xc7f;
    for (let i = 0; i < PTES; i++) {
      words[i] = d;
      d += SZ_4K;
    }
    sink += words[PTES - 1] as number;
  }, RUNS);
  if (sink === -1) console.log(sink);
  return (ms * 1e6) / PTES;
}

/**
 * The fresh floor: the same stores into memory of the kind a fresh board's
 * map writes, 4 KiB pages the run creates (`new ArrayBuffer(4096)` and a
 * word view each, 1,024 descriptors a page), as `PhysicalRam` materialised
 * table memory on first write before it carved pages from larger chunks.
 * It pays the host's allocation the way the model does, and garbage is
 * collected before each run as for the map figures; the warm floor above
 * pays neither (docs/performance.md#the-two-floors).
 */
function freshFloorNsPerWord(): number {
  const pages = PTES / 1024;
  let sink = 0;
  const ms = bestTimeMs(() => {
    let d = (PA & 0xfffff000) | 0xc7f;
    const kept: Uint32Array[] = [];
    for (let p = 0; p < pages; p++) {
      const words = new Uint32Array(new ArrayBuffer(4096));
      for (let i = 0; i < 1024; i++) {
        words[i] = d;
        d = (d + SZ_4K) | 0;
      }
      kept.push(words);
    }
    sink += kept[pages - 1]![1023] as number;
  }, RUNS);
  if (sink === -1) console.log(sink);
  return (ms * 1e6) / PTES;
}

/** The unmap floor: per word, the descriptor read, its type bits tested, and a zero stored (what an unmap does to each entry it clears); only the clearing is timed. */
function unmapFloorNsPerWord(): number {
  const words = new Uint32Array(PTES);
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r <= RUNS; r++) {
    let d = (PA & 0xfffff000) | 0xc7f;
    for (let i = 0; i < PTES; i++) {
      words[i] = d;
      d += SZ_4K;
    }
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < PTES; i++) if ((words[i]! & 3) !== 0) words[i] = 0;
    const ns = Number(process.hrtime.bigint() - t0);
    sink += words[PTES - 1] as number;
    // The first run warms the loop up.
    if (r > 0 && ns < best) best = ns;
  }
  if (sink === -1) console.log(sink);
  return best / PTES;
}

/** One pass of the walk floor: `n` walks of `levels` dependent loads through `ram` (see `walkFloorNs`); returns the sum of the output addresses. */
function walkFloorPass(ram: Uint32Array, n: number, levels: number, shift: number): number {
  const mask = (1 << shift) - 1;
  // Summed into a local: a captured variable would box every addition.
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const va = (i * 0x3000) & WALK_MASK;
    const table = levels === 3 ? ram[ram[0]! + (va >>> 21)]! : ram[va >>> 20]!;
    acc += (ram[table + ((va >>> 12) & mask)]! & 0xfffff000) + (va & 0xfff);
  }
  return acc;
}

/**
 * The walk floor: per walk, `levels` dependent descriptor loads from a
 * `Uint32Array` standing for RAM (each level's entry gives the next table's
 * index) and the leaf's output address — the addresses `walkNs` asks, in
 * tables of 256 entries (short level 2) or 512 (LPAE levels 2 and 3), as
 * the formats' are.
 */
function walkFloorNs(levels: 2 | 3): number {
  const pages = (WALK_MASK + SZ_4K) / SZ_4K;
  const shift = levels === 2 ? 8 : 9;
  // [0]: the top table's one used entry (three levels); then the middle table; then the leaf tables.
  const middle = 16;
  const leaves = middle + 16;
  const ram = new Uint32Array(leaves + pages);
  for (let t = 0; t < pages >>> shift; t++) ram[(levels === 3 ? middle : 0) + t] = leaves + (t << shift);
  if (levels === 3) ram[0] = middle;
  for (let p = 0; p < pages; p++) ram[leaves + p] = ((PA + p * SZ_4K) & 0xfffff000) | 0b10;
  const n = 100_000;
  let sink = 0;
  const ms = bestTimeMs(() => (sink += walkFloorPass(ram, n, levels, shift)), WALK_RUNS);
  if (sink === -1) console.log(sink);
  return (ms * 1e6) / n;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * bench/store-loop.c, compiled with `gcc -O2` and run: the same descriptor
 * stores in C (`name → best ns per descriptor`). Empty when gcc is not on
 * the PATH or the build fails (the figures are then left out, and said so).
 */
function cStoreLoop(): Map<string, number> {
  const out = new Map<string, number>();
  if (spawnSync('gcc', ['--version']).status !== 0) {
    console.warn('formats: gcc not found, the C store loop figures are left out');
    return out;
  }
  const dir = mkdtempSync(join(tmpdir(), 'vcm-store-loop-'));
  try {
    const exe = join(dir, 'store-loop');
    const source = fileURLToPath(new URL('store-loop.c', import.meta.url));
    const cc = spawnSync('gcc', ['-O2', '-o', exe, source], { encoding: 'utf8' });
    if (cc.status !== 0) {
      console.warn(`formats: gcc -O2 store-loop.c failed, the C figures are left out\n${cc.stderr}`);
      return out;
    }
    const run = spawnSync(exe, [], { encoding: 'utf8' });
    for (const line of run.stdout.split('\n')) {
      const [name, value] = line.trim().split(/\s+/);
      if (name && value && Number.isFinite(Number(value))) out.set(name, Number(value));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export async function formatFigures(): Promise<BenchFigure[]> {
  // Each map figure beside the floor measured in the same run, and its `-x-floor` ratio.
  const mapping = await againstFloor({
    unit: 'ns/PTE',
    better: 'lower',
    floor: {
      name: 'typed-array-floor-ns-per-word',
      note: 'plain Uint32Array write loop of 65536 words (ns per word): the floor for bulk mapping',
      measure: () => round(floorNsPerWord()),
    },
    figures: [
      {
        name: 'map-256m-4k-ns-per-pte',
        measure: () => round(mapNsPerPte(armV7Short)),
        goal: { op: '<=', value: 10 },
        note: 'armV7Short mapRange of 256 MiB as 65536 4 KiB pages (va 0, pa 0x8000_1000)',
      },
      {
        name: 'lpae-map-256m-4k-ns-per-pte',
        measure: () => round(mapNsPerPte(armLpae4k)),
        note: 'armLpae4k mapRange of 256 MiB as 4 KiB pages (two 32-bit stores per PTE)',
      },
      {
        name: 'remap-256m-4k-ns-per-pte',
        measure: () => round(remapNsPerPte(armV7Short)),
        note: 'armV7Short mapRange of the same 256 MiB into table memory the board has touched before (map, unmap, map again): no first touch of host memory',
      },
      {
        name: 'lpae-remap-256m-4k-ns-per-pte',
        measure: () => round(remapNsPerPte(armLpae4k)),
        note: 'armLpae4k, the same',
      },
    ],
  });
  const fresh = round(freshFloorNsPerWord());
  const againstFresh: BenchFigure[] = [
    { name: 'typed-array-fresh-floor-ns-per-word', value: fresh, unit: 'ns/PTE', note: 'the same 65536 stores into 64 4 KiB ArrayBuffers created in the run, as a fresh board materialises its table memory (ns per word)' },
  ];
  for (const figure of ['map-256m-4k-ns-per-pte', 'lpae-map-256m-4k-ns-per-pte']) {
    const model = mapping.find((f) => f.name === figure)?.value;
    if (model !== undefined && fresh > 0) {
      againstFresh.push({ name: `${figure}-x-fresh-floor`, value: timesFloor(model, fresh, 'lower'), unit: 'x fresh floor', note: `${figure} against typed-array-fresh-floor-ns-per-word of the same run` });
    }
  }
  const firstTouch: BenchFigure[] = [];
  for (const [format, prefix] of [
    [armV7Short, ''],
    [armLpae4k, 'lpae-'],
  ] as const) {
    const rounds = freshRounds.get(format.name);
    if (rounds === undefined) continue;
    firstTouch.push(
      { name: `${prefix}map-256m-4k-host-faults`, value: rounds.warm.hostFaults, unit: 'faults', note: `minor page faults the process took during the fastest ${prefix}map-256m-4k run (0: no new host memory touched)` },
      { name: `${prefix}map-256m-4k-cold-ns-per-pte`, value: round(rounds.cold.nsPerPte), unit: 'ns/PTE', note: `${format.name}: the fastest of the first ${RUNS} fresh-board maps (compilation and the host's first touch of new memory included)` },
      { name: `${prefix}map-256m-4k-cold-host-faults`, value: rounds.cold.hostFaults, unit: 'faults', note: 'minor page faults during that run' },
    );
  }
  const c = cStoreLoop();
  const againstC: BenchFigure[] = [];
  for (const [cName, figure] of [
    ['c-store-loop-ns-per-pte', 'map-256m-4k-ns-per-pte'],
    ['c-lpae-store-loop-ns-per-pte', 'lpae-map-256m-4k-ns-per-pte'],
  ] as const) {
    const cValue = c.get(cName);
    const model = mapping.find((f) => f.name === figure)?.value;
    if (cValue === undefined || model === undefined || cValue <= 0) continue;
    againstC.push({ name: cName, value: cValue, unit: 'ns/PTE', note: 'bench/store-loop.c, gcc -O2: the same descriptor stores into warm memory, best of 50 (vectorised by the compiler)' });
    againstC.push({ name: `${figure}-x-c-loop`, value: timesFloor(model, cValue, 'lower'), unit: 'x C loop', note: `${figure} costs this many times ${cName}, measured in the same run` });
  }
  const unmapping = await againstFloor({
    unit: 'ns/PTE',
    better: 'lower',
    floor: {
      name: 'typed-array-unmap-floor-ns-per-word',
      note: 'per word of a Uint32Array of 65536: the descriptor read, its type bits tested, a zero stored',
      measure: () => round(unmapFloorNsPerWord()),
    },
    figures: [
      { name: 'unmap-256m-4k-ns-per-pte', measure: () => round(unmapNsPerPte(armV7Short)), note: 'armV7Short unmapRange of the same 256 MiB' },
      { name: 'lpae-unmap-256m-4k-ns-per-pte', measure: () => round(unmapNsPerPte(armLpae4k)), note: 'armLpae4k unmapRange of the same 256 MiB (the low word of each 64-bit descriptor tested)' },
    ],
  });
  const walking: BenchFigure[] = [];
  for (const [format, name, levels] of [
    [armV7Short, 'walk-4k-ns', 2],
    [armLpae4k, 'lpae-walk-4k-ns', 3],
  ] as const) {
    walking.push(
      ...(await againstFloor({
        unit: 'ns',
        better: 'lower',
        floor: {
          name: `${levels}-level-walk-floor-ns`,
          note: `${levels} dependent descriptor loads from a Uint32Array standing for RAM and the output address, per walk`,
          measure: () => round(walkFloorNs(levels)),
        },
        figures: [
          {
            name,
            measure: () => round(walkNs(format)),
            note: `${format.name} walk of a 4 KiB page (${levels} reads from RAM, one result object)`,
          },
        ],
      })),
    );
  }
  return [...mapping, ...againstFresh, ...firstTouch, ...againstC, ...unmapping, ...walking];
}
