/**
 * `tlb-study`: seed 000 claims that 1 MiB and 64 KiB mappings (instead of
 * 4 KiB) cut IOMMU TLB misses for streamed multimedia. Measured here: one
 * 16 MiB frame read by the display engine through its SMMU, mapped with
 * 4 KiB, 64 KiB, 1 MiB and 16 MiB pages and with the mix the max-munch
 * allocator actually hands out, across TLB sizes of 8 to 128 entries.
 *
 * Two access patterns: the plain scan-out (sequential, 256-byte bursts) and
 * a rotated scan-out (the frame read in 1 KiB-wide column strips, row
 * after row, as a 90° rotation reads it), where the working set of
 * translations — not just the page count — decides the misses.
 *
 * Then the same sequential scan-out in the LPAE format the display engine
 * uses on the MSM8x60 board, mapped through the VCM API (so the driver's
 * `mapRange` writes the tables): 4 KiB pages, 64 KiB runs of pages with
 * the contiguous hint (one TLB entry each, docs/attributes.md#the-lpae-contiguous-hint)
 * and 2 MiB blocks.
 *
 * Then what those misses cost (perf-study.ts, docs/performance-study.md):
 * NV12 frames at 1080p and 4K scanned out and decoded through SMMUs with
 * the msm8x60, MMU-500 and MMU-600 translation caches, in cycles against
 * the frame deadline at 30 and 60 fps.
 */
import { SZ_16M, SZ_1M, SZ_2M, SZ_4K, SZ_64K, VCM_1MB, VCM_4KB, VCM_64KB, VCM_ALL, VCM_MEMTYPE_0, VCM_READ, VCM_START, VCM_WRITE } from '@vcm/core';
import type { PhysChunk } from '@vcm/core';
import { buildPlatform } from '@vcm/devtree';
import { Smmu, armV7Short } from '@vcm/smmu';
import type { SmmuContext } from '@vcm/smmu';
import type { BoardChoice } from '../board.js';
import { eqNum, holds } from '../checks.js';
import { displaySmmu, normalisedBoard } from '../devices.js';
import { formatSize, hex, percent } from '../format.js';
import { buildBoardPlatform } from '../platform.js';
import { CACHE_SETUPS, DEFAULT_FRAMES, FRAMES, MAPPINGS, MAX_FRAMES, TRAFFIC, headroomTable, perfChart, perfChecks, perfTable, runPerfStudy } from './perf-study.js';
import type { Walkthrough } from './types.js';

export const TLB_SIZES = [8, 16, 32, 64, 128] as const;
const FRAME = SZ_16M;
const FRAME_VA = 0x1000_0000;
/** Rotated scan-out geometry: 2048 × 2048 pixels of 4 bytes, rows 8 KiB apart, read in 1 KiB (256-pixel) strips. */
const ROW_BYTES = 8192;
const ROWS = FRAME / ROW_BYTES;
const STRIP = 1024;
/** Bytes per DMA access: a 16-beat burst of 16 bytes. */
const BURST = 256;

interface Mapping {
  readonly label: string;
  /** [pa, len] pieces in VA order, each mapped with one page of its length. */
  readonly pieces: readonly { readonly pa: number; readonly len: number }[];
}

interface Measurement {
  readonly mapping: string;
  readonly pattern: 'sequential' | 'rotated';
  readonly tlbEntries: number;
  readonly leaves: number;
  readonly accesses: number;
  readonly hits: number;
  readonly misses: number;
  readonly walks: number;
  readonly hitRate: number;
}

function uniform(label: string, base: number, page: number): Mapping {
  const pieces = [];
  for (let off = 0; off < FRAME; off += page) pieces.push({ pa: base + off, len: page });
  return { label, pieces };
}

function mapAll(ctx: SmmuContext, m: Mapping): void {
  ctx.updateStart();
  let va = FRAME_VA;
  for (const p of m.pieces) {
    ctx.map(p.pa, va, p.len, VCM_READ | VCM_WRITE);
    va += p.len;
  }
  ctx.updateDone();
}

function unmapAll(ctx: SmmuContext, m: Mapping): void {
  ctx.updateStart();
  let va = FRAME_VA;
  for (const p of m.pieces) {
    ctx.unmap(va, p.len);
    va += p.len;
  }
  ctx.updateDone();
}

/** One LPAE row: how the frame was placed against its physical block and what the stream cost. */
interface LpaeRow {
  readonly mapping: string;
  readonly devAddr: number;
  readonly accesses: number;
  readonly misses: number;
  readonly walks: number;
}

/**
 * The sequential scan-out on the display SMMU in the LPAE format with a
 * 32-entry TLB, mapped through the VCM API. The device address of the
 * frame decides the leaves the driver's `mapRange` writes against the
 * 16 MiB-aligned physical block: 4 KiB off a 64 KiB boundary gives 4 KiB
 * pages; 64 KiB off a 2 MiB boundary gives 64 KiB runs with the contiguous
 * hint; aligned gives 2 MiB blocks (a 32 MiB hinted run does not fit in
 * the 16 MiB frame). Undefined when the board has no SMMU, or no 16 MiB
 * block to give.
 */
function lpaeScanOut(choice: BoardChoice, smmuName: string | undefined, memtype: number): LpaeRow[] | undefined {
  if (smmuName === undefined) return undefined;
  const description = {
    ...choice.description,
    smmus: choice.description.smmus.map((s) => (s.name === smmuName ? { ...s, format: 'armLpae4k' as const, tlb: { policy: 'lru' as const, ...s.tlb, entries: 32 } } : s)),
  };
  const p = buildPlatform(description);
  const spec = p.board.smmus.find((s) => s.name === smmuName);
  const ctxName = spec?.contexts[0]?.name;
  if (ctxName === undefined) return undefined;
  const dev = p.tree.getCtxInstance(ctxName);
  const frame = p.vcmm.physAlloc(memtype, FRAME, 0);
  const chunks = [...frame.chunks()];
  if (chunks.length !== 1 || chunks[0]!.pa % FRAME !== 0) return undefined;
  const rows: LpaeRow[] = [];
  for (const [mapping, offset] of [
    ['4 KiB pages', SZ_4K],
    ['64 KiB hinted runs', SZ_64K],
    ['2 MiB blocks', 0],
  ] as const) {
    const vcm = p.vcmm.create(FRAME_VA + offset, 2 * FRAME);
    const res = vcm.reserveAt(VCM_START, FRAME);
    const avcm = vcm.assoc(dev, 0);
    avcm.activate();
    res.back(frame);
    dev.smmu.resetCaches();
    const seq = dev.dma.stream(res.devAddr, FRAME, { burst: BURST });
    rows.push({ mapping, devAddr: res.devAddr, accesses: seq.accesses, misses: seq.misses, walks: seq.walks });
    res.unback();
    avcm.deactivate();
    avcm.deassoc();
    res.unreserve();
    vcm.free();
  }
  return rows;
}

export const tlbStudy: Walkthrough = {
  id: 'tlb-study',
  title: 'Do 64 KiB and 1 MiB mappings cut IOMMU TLB misses? Measured.',
  source: 'seed 000 "Physical Memory Allocation and Reservation Backing" (the TLB claim)',
  summary:
    'vcm.txt says IOMMUs have small TLBs, so a buffer mapped with few large pages keeps a streaming multimedia block from "continually fetching new translations". Here the display engine reads one 16 MiB frame through its SMMU, mapped five ways (all 4 KiB, all 64 KiB, all 1 MiB, one 16 MiB supersection, and the mix max munch hands out when the 16 MiB block is not allowed), through TLBs of 8 to 128 entries. Every miss is a table walk that reads descriptors from RAM. The sequential scan-out misses once per page whatever the TLB size; a rotated scan-out (column strips) shows where TLB size matters too. Then what a miss costs: NV12 frames at 1080p and 4K, scanned out by the display engine (raster and rotated) and written by the decoder, through SMMUs with the msm8x60, MMU-500 and MMU-600 translation caches (micro-TLB, main TLB, walk cache on and off, prefetch), in cycles, bandwidth and a verdict against the frame deadline.',
  needs: {
    // The uniform mappings need the frame as one 16 MiB block; the mix is 16 MiB of 1 MiB, 64 KiB and 4 KiB blocks.
    memtypes: [{ memtype: VCM_MEMTYPE_0, blockSizes: [SZ_16M], allocations: [{ bytes: FRAME, blockSizes: [SZ_16M] }, { bytes: FRAME, blockSizes: [SZ_1M, SZ_64K, SZ_4K] }] }],
  },
  frames: { max: MAX_FRAMES, help: `frames per row of the performance study (default ${DEFAULT_FRAMES}: the cold first frame; more add frames with the caches warm)` },
  run(rec, run) {
    const board = normalisedBoard(run.board);
    const spec = displaySmmu(board);
    const { memory, allocator } = buildBoardPlatform(run.board);
    const memtype = allocator.memtypes.includes(VCM_MEMTYPE_0) ? VCM_MEMTYPE_0 : allocator.memtypes[0]!;
    const policy = spec?.tlb.policy ?? 'lru';
    const smmuName = spec?.name ?? 'mdp';
    const ctxName = spec?.contexts[0]?.name ?? 'mdp_port0';

    const frame = rec.step(
      'buf_frame = vcm_phys_alloc(MT0, SZ_16M, VCM_ALL);',
      `allocator.allocate(${memtype}, 16 MiB, VCM_ALL)`,
      () => allocator.allocate(memtype, FRAME, VCM_ALL),
      (a) => `${a.chunks.length} chunk(s); first ${hex(a.chunks[0]!.pa)} (${formatSize(a.chunks[0]!.blockSize)} block)`,
      'Uniform 4 KiB … 16 MiB mappings need one physically contiguous, 16 MiB-aligned frame: the memtype\'s 16 MiB block.',
    );
    const contiguous16M = frame.chunks.length === 1 && frame.chunks[0]!.pa % SZ_16M === 0;
    const mix = rec.step(
      'buf_mix = vcm_phys_alloc(MT0, SZ_16M, VCM_1MB | VCM_64KB | VCM_4KB);',
      `allocator.allocate(${memtype}, 16 MiB, VCM_1MB | VCM_64KB | VCM_4KB)`,
      () => allocator.allocate(memtype, FRAME, VCM_1MB | VCM_64KB | VCM_4KB),
      (a) => {
        const by = new Map<number, number>();
        for (const c of a.chunks) by.set(c.blockSize, (by.get(c.blockSize) ?? 0) + 1);
        return [...by].map(([s, n]) => `${n} × ${formatSize(s)}`).join(' + ');
      },
      'The page-selection bits leave out the 16 MiB block, so max munch takes every 1 MiB block, then 64 KiB blocks, then 4 KiB blocks: the mix a real frame gets once the big block is taken.',
    );
    const mixChunks: readonly PhysChunk[] = mix.chunks;
    rec.set('mix', mixChunks.reduce<Record<string, number>>((acc, c) => ({ ...acc, [formatSize(c.blockSize)]: (acc[formatSize(c.blockSize)] ?? 0) + 1 }), {}));

    const mappings: Mapping[] = [];
    if (contiguous16M) {
      const base = frame.chunks[0]!.pa;
      mappings.push(uniform('4 KiB pages', base, SZ_4K), uniform('64 KiB pages', base, SZ_64K), uniform('1 MiB sections', base, SZ_1M), uniform('16 MiB supersection', base, SZ_16M));
    }
    mappings.push({ label: 'max-munch mix', pieces: mixChunks.map((c) => ({ pa: c.pa, len: c.blockSize })) });

    const results: Measurement[] = [];
    const total = TLB_SIZES.length * mappings.length;
    let done = 0;
    for (const entries of TLB_SIZES) {
      const smmu = new Smmu({ name: smmuName, base: spec?.base ?? 0x0400_0000, irq: spec?.irq ?? 0, contextBanks: 1, tlb: { entries, policy }, format: armV7Short, memory, tableAllocator: allocator });
      const ctx = smmu.createContext(0, { name: ctxName });
      ctx.bind(smmu);
      ctx.activate();
      for (const m of mappings) {
        run.progress.update(`tlb-study: ${m.label}, ${entries}-entry TLB`, done++, total);
        mapAll(ctx, m);
        smmu.resetCaches();
        const seq = ctx.dma.stream(FRAME_VA, FRAME, { burst: BURST });
        results.push({ mapping: m.label, pattern: 'sequential', tlbEntries: entries, leaves: m.pieces.length, ...seq, hitRate: seq.hits / seq.accesses });
        smmu.resetCaches();
        let accesses = 0;
        let hits = 0;
        let misses = 0;
        let walks = 0;
        for (let col = 0; col < ROW_BYTES; col += STRIP) {
          for (let row = 0; row < ROWS; row++) {
            const r = ctx.dma.stream(FRAME_VA + row * ROW_BYTES + col, STRIP, { burst: BURST });
            accesses += r.accesses;
            hits += r.hits;
            misses += r.misses;
            walks += r.walks;
          }
        }
        results.push({ mapping: m.label, pattern: 'rotated', tlbEntries: entries, leaves: m.pieces.length, accesses, hits, misses, walks, hitRate: hits / accesses });
        unmapAll(ctx, m);
      }
      ctx.deactivate();
      ctx.deinit();
    }
    run.progress.done();

    rec.note(
      `/* ${smmuName}: stream the frame at ${hex(FRAME_VA)} */`,
      `ctx.dma.stream(${hex(FRAME_VA)}, 16 MiB, { burst: ${BURST} }) and the rotated strips, per mapping and TLB size`,
      `${results.length} runs; ${policy.toUpperCase()} replacement`,
      spec?.format === 'armLpae4k'
        ? `${smmuName} uses the LPAE format on this board (4 KiB, 2 MiB, 1 GiB pages); the study first uses the seed's SMMU format (ARMv7 short: 4 KiB, 64 KiB, 1 MiB, 16 MiB) to measure the page sizes the seed names, then LPAE with its contiguous hint below.`
        : undefined,
    );

    for (const pattern of ['sequential', 'rotated'] as const) {
      const rows = mappings.map((m) => {
        const runs = TLB_SIZES.map((e) => results.find((r) => r.mapping === m.label && r.pattern === pattern && r.tlbEntries === e)!);
        const r32 = runs[TLB_SIZES.indexOf(32)]!;
        return [m.label, m.pieces.length, r32.accesses, ...runs.map((r) => r.misses), r32.walks, percent(r32.hitRate)];
      });
      rec.table({
        title:
          pattern === 'sequential'
            ? `Sequential scan-out of the 16 MiB frame (${BURST}-byte bursts): misses by TLB size (entries)`
            : `Rotated scan-out (${formatSize(STRIP)}-wide column strips down ${ROWS} rows ${formatSize(ROW_BYTES)} apart): misses by TLB size (entries)`,
        columns: ['mapping', 'leaves', 'accesses', ...TLB_SIZES.map((e) => `TLB ${e}`), 'walks@32', 'hits@32'],
        numeric: [1, 2, 3, 4, 5, 6, 7, 8, 9],
        rows,
        note:
          pattern === 'sequential'
            ? 'Each leaf (page) is touched once, in order, so every page costs exactly one miss and one table walk whatever the TLB size: only the page size matters.'
            : 'Each strip revisits every row, so the translations a strip needs must stay in the TLB until the next strip: 1 MiB sections (16 of them) fit from 16 entries up; 4 KiB and 64 KiB pages never fit and every strip walks again.',
      });
    }
    const at32 = (p: Measurement['pattern']): Measurement[] => results.filter((r) => r.pattern === p && r.tlbEntries === 32);
    rec.chart({ title: 'Misses, sequential scan-out, 32-entry TLB', unit: 'misses', logScale: true, bars: at32('sequential').map((r) => ({ label: r.mapping, value: r.misses })) });
    rec.chart({ title: 'Misses, rotated scan-out, 32-entry TLB', unit: 'misses', logScale: true, bars: at32('rotated').map((r) => ({ label: r.mapping, value: r.misses })) });
    rec.set('results', results);

    // ---- checks ----
    const find = (mapping: string, pattern: Measurement['pattern'], entries: number): Measurement | undefined =>
      results.find((r) => r.mapping === mapping && r.pattern === pattern && r.tlbEntries === entries);
    if (contiguous16M) {
      for (const [label, expected] of [
        ['4 KiB pages', 4096],
        ['64 KiB pages', 256],
        ['1 MiB sections', 16],
        ['16 MiB supersection', 1],
      ] as const) {
        rec.check(eqNum(`sequential 16 MiB through a 32-entry TLB, ${label}: one miss per page`, expected, find(label, 'sequential', 32)?.misses ?? -1));
      }
      const r8 = find('1 MiB sections', 'rotated', 8)?.misses ?? -1;
      const r16 = find('1 MiB sections', 'rotated', 16)?.misses ?? -1;
      rec.check(eqNum(`rotated, 1 MiB sections, 8 entries: 16 sections cycle through 8 slots, each of the ${ROW_BYTES / STRIP} strips misses them all`, 16 * (ROW_BYTES / STRIP), r8));
      rec.check(eqNum('rotated, 1 MiB sections, 16 entries: the 16 sections fit, only the first strip misses', 16, r16));
    } else {
      rec.check(holds('a 16 MiB-aligned contiguous frame for the uniform mappings', false, 'one 16 MiB block', `${frame.chunks.length} chunk(s)`));
    }
    rec.check(eqNum('sequential, max-munch mix: one miss per chunk', mixChunks.length, find('max-munch mix', 'sequential', 32)?.misses ?? -1));
    const seqFlat = mappings.every((m) => new Set(results.filter((r) => r.mapping === m.label && r.pattern === 'sequential').map((r) => r.misses)).size === 1);
    rec.check(holds('sequential misses do not depend on TLB size (each page is used once, in order)', seqFlat, 'equal across 8…128 entries', seqFlat ? 'equal' : 'differ'));
    const everyMissWalks = results.every((r) => r.walks === r.misses);
    rec.check(holds('every miss is one table walk', everyMissWalks, 'walks = misses in every run', everyMissWalks ? 'walks = misses' : 'differ'));
    if (policy === 'lru') {
      // LRU is a stack algorithm: a bigger TLB never misses more (no Belady anomaly).
      const monotone = mappings.every((m) => {
        const xs = TLB_SIZES.map((e) => find(m.label, 'rotated', e)?.misses ?? Infinity);
        return xs.every((x, i) => i === 0 || x <= xs[i - 1]!);
      });
      rec.check(holds('rotated: a bigger LRU TLB never misses more', monotone, 'non-increasing misses from 8 to 128 entries', monotone ? 'non-increasing' : 'rises somewhere'));
    }
    const byPage = TLB_SIZES.every((e) => {
      const xs = mappings.filter((m) => m.label !== 'max-munch mix').map((m) => find(m.label, 'rotated', e)?.misses ?? Infinity);
      return xs.every((x, i) => i === 0 || x <= xs[i - 1]!);
    });
    rec.check(holds('rotated: larger pages never miss more (the seed\'s claim)', byPage, 'non-increasing misses 4 KiB → 16 MiB at every TLB size', byPage ? 'non-increasing' : 'rises somewhere'));

    // ---- LPAE: the display engine's own format, mapped through the VCM API ----
    const lpae = rec.step(
      `/* ${smmuName} in LPAE, 32-entry TLB: vcm_create, vcm_reserve(VCM_START), vcm_assoc, vcm_activate, vcm_back(buf_frame) */`,
      'buildPlatform(board with the display SMMU in armLpae4k), then per device address: vcmm.create, reserveAt(VCM_START, 16 MiB), assoc(display).activate(), back(frame), dma.stream',
      () => lpaeScanOut(run.board, spec?.name, memtype),
      (rows) => (rows === undefined ? 'skipped: no SMMU, or no 16 MiB block' : rows.map((r) => `${r.mapping} at ${hex(r.devAddr)}: ${r.misses} misses`).join('; ')),
      'LPAE has 4 KiB pages and 2 MiB blocks; its contiguous hint (bit 52) lets 16 aligned pages of one 64 KiB physical run share one TLB entry. The driver maps with mapRange, which sets the hint on every whole run.',
    );
    if (lpae !== undefined) {
      rec.table({
        title: `LPAE (the display engine's format): sequential scan-out of the 16 MiB frame, ${BURST}-byte bursts, 32-entry TLB`,
        columns: ['mapping', 'device address', 'TLB entries filled', 'accesses', 'misses', 'walks'],
        numeric: [2, 3, 4, 5],
        rows: lpae.map((r) => [r.mapping, hex(r.devAddr), r.misses, r.accesses, r.misses, r.walks]),
        note: 'The device address sets the leaves against the 16 MiB-aligned block: 4 KiB off a 64 KiB boundary gives 4 KiB pages, 64 KiB off a 2 MiB boundary gives hinted 64 KiB runs, aligned gives 2 MiB blocks. A hinted run is one TLB entry, so 64 KiB costs what the short format\'s large pages cost.',
      });
      rec.set('lpae', lpae);
      for (const [mapping, expected, why] of [
        ['4 KiB pages', FRAME / SZ_4K, 'one miss per 4 KiB page'],
        ['64 KiB hinted runs', FRAME / SZ_64K, 'one miss per 64 KiB run: the contiguous hint makes 16 pages one TLB entry'],
        ['2 MiB blocks', FRAME / SZ_2M, 'one miss per 2 MiB block'],
      ] as const) {
        rec.check(eqNum(`LPAE, sequential 16 MiB through a 32-entry TLB, ${mapping}: ${why}`, expected, lpae.find((r) => r.mapping === mapping)?.misses ?? -1));
      }
    }
    if (contiguous16M && lpae !== undefined) {
      // The figures the performance study builds on, all at once: one miss per leaf (a hinted run is one) on the seed's SMMU.
      const want = [...[SZ_4K, SZ_64K, SZ_1M, SZ_16M].map((p) => FRAME / p), ...[SZ_4K, SZ_64K, SZ_2M].map((p) => FRAME / p)];
      const got = [
        ...['4 KiB pages', '64 KiB pages', '1 MiB sections', '16 MiB supersection'].map((m) => find(m, 'sequential', 32)?.misses ?? -1),
        ...['4 KiB pages', '64 KiB hinted runs', '2 MiB blocks'].map((m) => lpae.find((r) => r.mapping === m)?.misses ?? -1),
      ];
      const show = (xs: readonly number[]): string => `${xs.slice(0, 4).join('/')} short, ${xs.slice(4).join('/')} LPAE`;
      rec.check(holds('the sequential 16 MiB numbers of today still hold (32-entry TLB, 4 KiB … 16 MiB short, 4 KiB, hinted 64 KiB, 2 MiB LPAE)', want.every((x, i) => x === got[i]), show(want), show(got)));
    }

    // ---- what a miss costs: the performance study (docs/performance-study.md) ----
    const frames = run.frames ?? DEFAULT_FRAMES;
    const study = rec.step(
      '/* the display engine reads and the decoder writes NV12 frames through SMMUs with translation caches */',
      `runPerfStudy(${FRAMES.map((f) => f.name).join(' and ')} NV12 × ${CACHE_SETUPS.length} cache set-ups × ${MAPPINGS.length} mappings × ${TRAFFIC.length} traffics, ${frames} frame${frames === 1 ? '' : 's'} per row)`,
      () => runPerfStudy(buildBoardPlatform(run.board), memtype, frames, run.progress),
      (s) =>
        `${s.rows.length} rows; ${s.geometry.map((g) => `${g.name} ${g.width}×${g.height}: stride ${g.stride}, ${g.scanlines} + ${g.scanlines / 2} rows, ${g.bytes} bytes`).join('; ')}${s.skipped.length > 0 ? `; left out: ${s.skipped.join('; ')}` : ''}`,
      frames === DEFAULT_FRAMES
        ? `${DEFAULT_FRAMES} frame per row, from empty caches: the slowest frame. vcm-ref tlb-study --frames N runs N frames per row (up to ${MAX_FRAMES}), the caches warm after the first; the verdict is always the slowest frame's.`
        : `${frames} frames per row; the caches stay warm from frame to frame and the verdict is the slowest frame's.`,
    );
    for (const frame of FRAMES) for (const traffic of TRAFFIC) rec.table(perfTable(study, frame, traffic, 60));
    rec.table(headroomTable(study, 8));
    for (const frame of FRAMES) rec.chart(perfChart(study, frame, 60, ['msm8x60', 'mmu-600']));
    rec.set('performance', study);
    for (const c of perfChecks(study)) rec.check(c);
    const expectedRows = FRAMES.length * CACHE_SETUPS.length * MAPPINGS.length * TRAFFIC.length;
    rec.check(holds('the performance study measured every frame × cache set-up × mapping × traffic', study.rows.length === expectedRows, `${expectedRows} rows`, `${study.rows.length} rows${study.skipped.length > 0 ? ` (${study.skipped.join('; ')})` : ''}`));
  },
};
