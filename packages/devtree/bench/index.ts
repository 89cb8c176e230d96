/**
 * Benchmarks of @vcm/devtree. Run with `pnpm bench`
 * in this package (`--record` writes bench/results.json). Goals are reported, never
 * asserted (CONTRIBUTING.md#benchmarks).
 */
import { fileURLToPath } from 'node:url';
import { bestTimeMs, measureOps, report } from '@vcm/bench-kit';
import type { BenchFigure } from '@vcm/bench-kit';
import { SZ_1M } from '@vcm/core';
import { buildPlatform, msm8x60Board } from '../src/index.js';
import { migrationFigures } from './migrate.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const figures: BenchFigure[] = [];

// A whole MSM8x60: validation, RAM and pools, the VMM's kernel linear map
// (512 MiB as 1 MiB sections), 12 SMMUs with 25 bound contexts, the Vcmm.
const board = msm8x60Board();
figures.push({
  name: 'build-msm8x60-ms',
  value: bestTimeMs(() => buildPlatform(board), 20),
  unit: 'ms',
  goal: { op: '<=', value: 50 },
  note: 'buildPlatform(msm8x60Board()), best of 20',
});

{
  // One cycle as a PMEM user does it: open the node (its VCM made, associated
  // and activated), mmap 1 MiB (physical allocation, two reservations, two
  // backings: a section in the SMMU table and one in the process's), close
  // (all of it undone, the node's VCM taken down).
  const p = buildPlatform(msm8x60Board());
  const proc = p.vmm.createProcess('bench');
  figures.push(
    await measureOps({
      name: 'open-mmap-1m-close-ops-per-s',
      fn: () => {
        const h = p.dev.open('/dev/vcodec_a_mm1', proc);
        h.mmap(SZ_1M);
        h.close();
      },
      goal: { op: '>=', value: 20_000 },
      note: 'dev.open + mmap(1 MiB) + close on /dev/vcodec_a_mm1',
    }),
  );
  // With the node held open by a second handle: mmap + close of the cycle without the node VCM set-up.
  const keep = p.dev.open('/dev/vcodec_a_mm1', proc);
  figures.push(
    await measureOps({
      name: 'open-mmap-1m-close-warm-node-ops-per-s',
      fn: () => {
        const h = p.dev.open('/dev/vcodec_a_mm1', proc);
        h.mmap(SZ_1M);
        h.close();
      },
      note: 'the same cycle while another handle keeps the node VCM alive',
    }),
  );
  keep.close();
}

figures.push(...(await migrationFigures()));

report(packageDir, figures);
