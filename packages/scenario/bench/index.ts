/**
 * Benchmarks of @vcm/scenario. Run with `pnpm bench` in this package
 * (`--record` writes bench/results.json). Goals are reported, never
 * asserted (CONTRIBUTING.md#benchmarks).
 *
 * Each figure has a floor measured in the same run: a plain typed-array
 * loop doing the work the scenario cannot avoid — one translation read
 * per burst, and every data byte filled, copied and checksummed once (written
 * bytes two frames at a time, as the runner fills them) — so
 * `<figure>-x-floor` says what the simulation costs on top.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { againstFloor, bestTimeMs, report } from '@vcm/bench-kit';
import type { BenchFigure } from '@vcm/bench-kit';
import { fnv1a, forEachRun, framesOf, parseScenarioText, patternOf, runScenario, runSweep, validateScenario } from '../src/index.js';
import type { CheckedScenario } from '../src/index.js';
import { fillChecksummed, fillChecksummedPair } from '../src/data.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const examples = new URL('../../../examples/', import.meta.url);
const figures: BenchFigure[] = [];

/** A shipped scenario, its board file read as vcm-ref reads it (relative to the scenario). */
function example(name: string, board?: string): unknown {
  const value = parseScenarioText(readFileSync(new URL(`scenarios/${name}`, examples), 'utf8')) as Record<string, unknown>;
  if (board !== undefined) value['board'] = JSON.parse(readFileSync(new URL(`boards/${board}`, examples), 'utf8'));
  return value;
}

/**
 * The floor of a scenario: its traffic's bursts, each one read of a flat
 * translation table indexed by the burst's 4 KiB page, and its data
 * traffic's bytes filled (writes: two frames in one pass, as the runner
 * does), copied and checksummed. In ms.
 */
function floorMs(checked: CheckedScenario): number {
  const table = new Float64Array(1 << 20);
  for (let i = 0; i < table.length; i++) table[i] = i * 4096;
  const work = checked.scenario.traffic.flatMap((t) =>
    t.buffers.map((b) => {
      const plan = checked.buffers.find((p) => p.spec.name === b)!;
      return { t, bytes: plan.bytes, row: t.row ?? plan.stride ?? 4096, frames: framesOf(checked.scenario, t) };
    }),
  );
  const ram = new Uint8Array(Math.max(...work.map((w) => w.bytes)));
  const scratch = [new Uint8Array(ram.length), new Uint8Array(ram.length)] as const;
  let sink = 0;
  return bestTimeMs(() => {
    for (const { t, bytes, row, frames } of work) {
      for (let f = 0; f < frames; f++) {
        if (t.data !== false) {
          if (t.access === 'read') {
            const copy = scratch[0].subarray(0, bytes);
            copy.set(ram.subarray(0, bytes));
            sink ^= fnv1a(copy);
            continue;
          }
          // Written bytes as the runner makes them: two frames filled and checksummed in one pass, each copied.
          const a = scratch[0].subarray(0, bytes);
          const b = scratch[1].subarray(0, bytes);
          if (f + 1 < frames) {
            const [sa, sb] = fillChecksummedPair(a, f, b, f + 1);
            ram.set(a);
            ram.set(b);
            sink ^= sa ^ sb;
            f++;
          } else {
            sink ^= fillChecksummed(a, f);
            ram.set(a);
          }
          continue;
        }
        forEachRun(patternOf(t), bytes, row, t.burst, checked.scenario.seed, (off, len) => {
          for (let a = off; a < off + len; a += t.burst) sink += table[(a >>> 12) & 0xfffff]!;
        });
      }
    }
    return sink;
  }, 3);
}

{
  // One simulated second of the 4K60 decode → display example: 60 frames of decoder writes and display
  // reads of 3840×2176 NV12 (12 MiB each, 256-byte bursts), the bitstream written by the CPU and read —
  // timed: the board's SMMU gets the MMU-600 caches and timing (its file leaves the model out, untimed).
  const value = example('decode-4k60.yaml', 'imx8qm-like.json') as { board: { smmus: Record<string, unknown>[] } };
  for (const smmu of value.board.smmus) smmu['model'] = 'mmu-600';
  const checked = validateScenario(value);
  const run = runScenario(checked);
  if (!run.devices.some((d) => d.timing !== undefined)) throw new Error('decode-4k60 ran untimed: no device has timing');
  const simulated = run.simulatedSeconds;
  figures.push(
    ...(await againstFloor({
      unit: 'sim s/s',
      better: 'higher',
      floor: {
        name: 'scenario-4k60-floor-sim-seconds-per-wall-second',
        note: 'the same bursts as reads of a flat translation array, the same data filled, copied and checksummed',
        measure: () => simulated / (floorMs(checked) / 1000),
      },
      figures: [
        {
          name: 'scenario-4k60-sim-seconds-per-wall-second',
          measure: () => simulated / (bestTimeMs(() => runScenario(checked), 3) / 1000),
          goal: { op: '>=', value: 2 },
          note: `examples/scenarios/decode-4k60.yaml on an MMU-600-model SMMU (timed): ${simulated} s simulated, platform built and run (best of 3)`,
        },
      ],
    })),
  );
}

{
  // 64 points: the TLB study's four device addresses (4 KiB, 64 KiB, 1 MiB, 16 MiB leaves) × eight TLB sizes × two policies.
  const value = example('tlb-study.yaml') as Record<string, unknown>;
  value['sweep'] = {
    axes: [
      { field: 'spaces[video].start', values: [0x1000_1000, 0x1001_0000, 0x1010_0000, 0x1000_0000] },
      { field: 'board.smmus[rot].tlb.entries', values: [4, 8, 16, 32, 64, 128, 256, 512] },
      { field: 'board.smmus[rot].tlb.policy', values: ['lru', 'fifo'] },
    ],
  };
  const checked = validateScenario(value);
  if (checked.points.length !== 64) throw new Error(`the sweep has ${checked.points.length} points, not 64`);
  figures.push(
    ...(await againstFloor({
      unit: 's',
      better: 'lower',
      floor: {
        name: 'scenario-sweep-64-points-floor-s',
        note: 'the bursts of all 64 points as reads of a flat translation array',
        measure: () => (64 * floorMs(checked.points[0]!.scenario)) / 1000,
      },
      figures: [
        {
          name: 'scenario-sweep-64-points-s',
          measure: () => bestTimeMs(() => runSweep(checked), 2) / 1000,
          note: 'tlb-study.yaml swept over 4 device addresses × 8 TLB sizes × 2 policies, runSweep on one thread (best of 2)',
        },
      ],
    })),
  );
}

report(packageDir, figures);
