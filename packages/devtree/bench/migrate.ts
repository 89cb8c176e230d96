/**
 * `migrate-16m-three-mappers-ms`: seed 004's 16 MiB frame, mapped by the
 * video decoder (short-descriptor SMMU), the display engine (LPAE SMMU) and
 * the kernel VCM, moved between SMI and EBI (docs/migration.md). Reported
 * beside its floor — a plain typed-array copy of 16 MiB, the least any move
 * of the bytes costs — and with the share of the move spent copying and
 * rewriting tables, timed at the steps `options.during` is told of. Lives
 * here because core's own benchmarks cannot reach an SMMU
 * (docs/architecture.md#packages-and-the-direction-of-imports).
 */
import { againstFloor, bestTimeMs } from '@vcm/bench-kit';
import type { BenchFigure } from '@vcm/bench-kit';
import { SZ_128M, SZ_16M, VCM_ALIGN_16M, VCM_MEMTYPE_0, VCM_MEMTYPE_2, VCM_PREBUILT_KERNEL } from '@vcm/core';
import type { MigrationStep } from '@vcm/core';
import { buildPlatform, msm8x60Board } from '../src/index.js';

/** Where a move's time went: breaking the mappings, copying, making them again, and the rest (allocation, commit, freeing). */
interface Phases {
  total: number;
  unmap: number;
  copy: number;
  map: number;
}

export async function migrationFigures(): Promise<BenchFigure[]> {
  const p = buildPlatform(msm8x60Board());
  const dec = p.tree.getCtxInstance('vcodec_a_mm1');
  const disp = p.tree.getCtxInstance('mdp0_port0');
  const out = p.vcmm.create(0x1000, SZ_128M);
  for (const ctx of [dec, disp]) out.assoc(ctx).activate();
  const frame = p.vcmm.physAlloc(VCM_MEMTYPE_0, SZ_16M, 0);
  out.reserve(SZ_16M, VCM_ALIGN_16M).back(frame);
  p.vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL).reserve(SZ_16M, 0).back(frame);
  // Every byte touched, so the copy moves real pages (untouched RAM is not backed).
  const base = out.reservations[0]!.devAddr;
  dec.dma.write(base, new Uint8Array(SZ_16M).fill(0x5a));

  let last: Phases = { total: 0, unmap: 0, copy: 0, map: 0 };
  const move = (): void => {
    const marks: Partial<Record<MigrationStep['step'], number>> = {};
    const t0 = performance.now();
    p.vcmm.migrate(frame, {
      memtype: frame.memtype === VCM_MEMTYPE_0 ? VCM_MEMTYPE_2 : VCM_MEMTYPE_0,
      during: (s) => {
        marks[s.step] = performance.now();
      },
    });
    const t1 = performance.now();
    last = { total: t1 - t0, unmap: marks.quiesced! - marks.allocated!, copy: marks.copied! - marks.quiesced!, map: marks.remapped! - marks.copied! };
  };

  const src = new Uint8Array(SZ_16M).fill(0xa5);
  const dst = new Uint8Array(SZ_16M);
  const figures = await againstFloor({
    unit: 'ms',
    better: 'lower',
    floor: { name: 'typed-array-copy-16m-ms', note: 'Uint8Array.set of 16 MiB, best of 20', measure: () => bestTimeMs(() => dst.set(src), 20) },
    figures: [
      {
        name: 'migrate-16m-three-mappers-ms',
        measure: () => bestTimeMs(move, 10),
        note: 'vcmm.migrate of a 16 MiB frame SMI ↔ EBI, mapped by a short-descriptor SMMU, an LPAE SMMU and the kernel VCM; best of 10',
      },
    ],
  });

  // The shares from the fastest of 10 further moves.
  let best: Phases | undefined;
  for (let i = 0; i < 10; i++) {
    move();
    if (best === undefined || last.total < best.total) best = last;
  }
  const b = best!;
  const pct = (n: number): number => Math.round((1000 * n) / b.total) / 10;
  figures.push(
    { name: 'migrate-16m-three-mappers-copy-share-pct', value: pct(b.copy), unit: '%', note: `the copy: ${b.copy.toFixed(2)} of ${b.total.toFixed(2)} ms` },
    {
      name: 'migrate-16m-three-mappers-tables-share-pct',
      value: pct(b.unmap + b.map),
      unit: '%',
      note: `rewriting tables: break ${b.unmap.toFixed(2)} ms + make ${b.map.toFixed(2)} ms, invalidations included; the rest is allocating, committing and freeing`,
    },
  );
  return figures;
}
