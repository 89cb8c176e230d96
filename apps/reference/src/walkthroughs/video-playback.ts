/**
 * `video-playback`: seed 004's 13-step call flow. A 128 MiB device region
 * `vcm_out` is associated with the video decoder's and the display engine's
 * SMMUs (different page-table formats); two 64 KiB-contiguous buffers are
 * walked with `vcm_get_next_phys_addr` to program a scatter-gather DMA
 * engine that fills them with a compressed-stream stand-in; the decoder
 * reads them through its IOMMU and writes a 16 MiB frame; the display
 * engine scans the frame out through its own IOMMU and the CPU reads it
 * through the kernel VCM. Checksums must agree at every hop.
 *
 * Step 7 of the seed reserves 8*SZ_64K for the 2*SZ_64K allocation of step
 * 4; the API refuses to back a reservation of another length
 * (docs/decisions.md#seed-004-step-7-a-reservation-longer-than-its-backing),
 * and this walk-through shows that answer
 * before reserving the matching length.
 */
import { SZ_128M, SZ_16M, SZ_64K, VCM_64KB, VCM_ALIGN_16M, VCM_ALIGN_64K, VCM_MEMTYPE_0, VCM_PREBUILT_KERNEL } from '@vcm/core';
import { createVcmCompat } from '@vcm/core/compat';
import type { Box } from '@vcm/core/compat';
import { deriveBytes, fillBytes } from '@vcm/scenario';
import { aligned, bytesEqual, digest, eqHex, eqNum, eqText, fnv1a, holds, inside } from '../checks.js';
import { errnoResult, formatSize, hex } from '../format.js';
import { buildBoardPlatform } from '../platform.js';
import { contextFor, leavesIn, safe, showPhysmem, showRes, showVcm } from './common.js';
import { dumpText } from './smmu.js';
import type { Walkthrough } from './types.js';

const STREAM = 2 * SZ_64K;

/**
 * The decoder's stand-in for decoding: the frame derived from the stream it read, and the
 * stand-in stream itself — @vcm/scenario's data functions, so the seed-004 scenario
 * (examples/scenarios/video-playback.yaml) moves and checksums the same bytes.
 */
const decode = (stream: Uint8Array, frameLen: number): Uint8Array => deriveBytes(stream, frameLen);

export const videoPlayback: Walkthrough = {
  id: 'video-playback',
  title: 'Video playback: memory card → DMA → decoder → display, and the CPU',
  source: 'seed 004 (LKML reply to Andi Kleen: the 13-step call flow)',
  summary:
    'The concrete use case Zach Pfeffer gave on LKML: a DMA engine reads a video stream from a memory card into buffers described by a scatter-gather list; the video decoder reads them through its IOMMU and writes a 16 MiB frame that the display engine reads through another IOMMU with a different page-table format, while the kernel can also see it. One VCM (vcm_out) serves both IOMMUs; the same physical frame is mapped three times. Where the seed\'s own lengths disagree (step 7), the API\'s answer is shown.',
  needs: {
    contexts: ['decoder', 'display'],
    cpu: true,
    // Step 4's buffers are 64 KiB blocks (VCM_64KB); step 5's frame is any mix of blocks.
    memtypes: [{ memtype: VCM_MEMTYPE_0, blockSizes: [SZ_64K], allocations: [{ bytes: STREAM, blockSizes: [SZ_64K] }, { bytes: SZ_16M }] }],
  },
  run(rec, run) {
    const board = run.board.board;
    const decChoice = contextFor(run, 'decoder');
    const dispChoice = contextFor(run, 'display');
    const platform = rec.step('vcm_sys_init();', `buildPlatform(${run.board.name})`, () => buildBoardPlatform(run.board), (p) => `${Object.keys(p.smmus).length} SMMUs`);
    const { vcmm, tree, memory, cpu } = platform;
    const compat = createVcmCompat(vcmm);
    const videoDec = tree.getCtxInstance(decChoice.context);
    const disp = tree.getCtxInstance(dispChoice.context);

    rec.stage('1. A 128 MB region for the video decoder and the display engine, starting at 0x1000');
    const vcmOut = rec.step('vcm_out = vcm_create(0x1000, SZ_128M);', `vcmm.create(0x1000, 128 MiB)`, () => vcmm.create(0x1000, SZ_128M), showVcm);

    rec.stage("2. Associate it with the decoder's and the display engine's IOMMUs");
    const avcmDec = rec.step('avcm_dec = vcm_assoc(vcm_out, video_dec_dev, 0);', `vcmOut.assoc(${videoDec.name}, 0)`, () => vcmOut.assoc(videoDec, 0), () => `↔ ${videoDec.name} (SMMU ${videoDec.smmu.name}, ${videoDec.smmu.format.name})`);
    const avcmDisp = rec.step('avcm_disp = vcm_assoc(vcm_out, disp_dev, 0);', `vcmOut.assoc(${disp.name}, 0)`, () => vcmOut.assoc(disp, 0), () => `↔ ${disp.name} (SMMU ${disp.smmu.name}, ${disp.smmu.format.name})`);

    rec.stage('3. Program the underlying IOMMUs');
    rec.step('vcm_activate(avcm_dec);', 'avcmDec.activate()', () => avcmDec.activate(), () => `0: ${videoDec.name} TTBR0 = ${hex(vcmOut.pgtblPaFor(videoDec))}`, 'The seed leaves step 3 without a call; vcm_activate is what programs an IOMMU.');
    rec.step('vcm_activate(avcm_disp);', 'avcmDisp.activate()', () => avcmDisp.activate(), () => `0: ${disp.name} TTBR0 = ${hex(vcmOut.pgtblPaFor(disp))}${vcmOut.pgtblPaFor(disp) === vcmOut.pgtblPaFor(videoDec) ? ' (shared table)' : ' (its own table: another format)'}`);

    rec.stage('4. Two physical buffers for the DMA engine and the decoder, each 64 KB contiguous');
    const buf64k = rec.step('buf_64k = vcm_phys_alloc(MT0, 2*SZ_64K, VCM_64KB);', 'vcmm.physAlloc(VCM_MEMTYPE_0, 128 KiB, VCM_64KB)', () => vcmm.physAlloc(VCM_MEMTYPE_0, STREAM, VCM_64KB), showPhysmem);

    rec.stage('5. A 16 MB buffer for the decoder output and the display input');
    const bufFrame = rec.step('buf_frame = vcm_phys_alloc(MT0, SZ_16M);', 'vcmm.physAlloc(VCM_MEMTYPE_0, 16 MiB, 0 /* = VCM_ALL */)', () => vcmm.physAlloc(VCM_MEMTYPE_0, SZ_16M, 0), showPhysmem, 'The seed passes no attribute; attr 0 means VCM_ALL (any block size).');

    rec.stage('6. Program the DMA controller');
    const sg: { pa: number; len: number }[] = [];
    const lenBox: Box<number> = { value: 0 };
    let buf = compat.vcm_get_next_phys_addr(buf64k, null, lenBox);
    rec.note('buf = vcm_get_next_phys_addr(buf_64k, NULL, &len);', 'compat.vcm_get_next_phys_addr(buf64k, null, len)', `${hex(buf)}, len = ${formatSize(lenBox.value)}`);
    while (buf) {
      sg.push({ pa: buf, len: lenBox.value });
      const prev = buf;
      buf = compat.vcm_get_next_phys_addr(buf64k, prev, lenBox);
      rec.note(
        'buf = vcm_get_next_phys_addr(buf_64k, NULL, &len);',
        `compat.vcm_get_next_phys_addr(buf64k, ${hex(prev)}, len)`,
        buf ? `${hex(buf)}, len = ${formatSize(lenBox.value)}` : '0: no next physical address — the list is complete',
        sg.length === 1 ? 'The seed passes NULL inside the loop too, which would restart the walk forever; the header says to pass the current address, as here.' : undefined,
      );
    }
    rec.table({ title: 'Scatter-gather list programmed into the DMA engine', columns: ['#', 'physical address', 'length'], rows: sg.map((e, i) => [i, hex(e.pa), formatSize(e.len)]) });
    // The DMA engine has no IOMMU: it writes the stream straight to the physical addresses of the list.
    const stream = fillBytes(STREAM, 4);
    rec.step(
      '/* the DMA engine copies the stream from the memory card */',
      `for each list entry: memory.write(pa, stream[…]) (${sg.length} entries)`,
      () => {
        let off = 0;
        for (const e of sg) {
          memory.write(e.pa, stream.subarray(off, off + e.len));
          off += e.len;
        }
      },
      () => `${formatSize(STREAM)} of compressed-stream stand-in, ${digest(stream)}`,
    );

    rec.stage('7. Reserve the DMA buffers and the decoder output in vcm_out, aligned to their size');
    let res64k = rec.step('res_64k = vcm_reserve(vcm_out, 8*SZ_64K, VCM_ALIGN_64K);', 'vcmOut.reserve(512 KiB, VCM_ALIGN_64K)', () => vcmOut.reserve(8 * SZ_64K, VCM_ALIGN_64K), showRes, 'As the seed writes it: 8*SZ_64K, although step 4 allocated 2*SZ_64K.');
    const res16M = rec.step('res_16M = vcm_reserve(vcm_out, SZ_16M, VCM_ALIGN_16M);', 'vcmOut.reserve(16 MiB, VCM_ALIGN_16M)', () => vcmOut.reserve(SZ_16M, VCM_ALIGN_16M), showRes);

    rec.stage('8. Connect the reservations with the physical allocations');
    const mismatch = compat.vcm_back(res64k, buf64k);
    rec.note(
      'vcm_back(res_64k, buf_64k);',
      'compat.vcm_back(res64k /* 512 KiB */, buf64k /* 128 KiB */)',
      `${errnoResult(mismatch)}: ${compat.lastError?.message ?? ''}`,
      'The seed disagrees with itself: a 512 KiB reservation cannot be backed by 128 KiB. The API answers -EINVAL (lengths must match: docs/decisions.md#seed-004-step-7-a-reservation-longer-than-its-backing) and changes nothing; the walk-through reserves the matching length instead.',
    );
    rec.step('vcm_unreserve(res_64k);', 'res64k.unreserve()', () => res64k.unreserve(), () => '0');
    res64k = rec.step('res_64k = vcm_reserve(vcm_out, 2*SZ_64K, VCM_ALIGN_64K);', 'vcmOut.reserve(128 KiB, VCM_ALIGN_64K)', () => vcmOut.reserve(STREAM, VCM_ALIGN_64K), showRes);
    const r64 = res64k;
    const backed = compat.vcm_back(r64, buf64k);
    rec.note('vcm_back(res_64k, buf_64k);', 'compat.vcm_back(res64k, buf64k)', errnoResult(backed));
    rec.step('vcm_back(res_16M, buf_frame);', 'res16M.back(bufFrame)', () => res16M.back(bufFrame), () => `0: ${videoDec.name}: ${leavesIn(videoDec, res16M.devAddr, SZ_16M).text}; ${disp.name}: ${leavesIn(disp, res16M.devAddr, SZ_16M).text}`);

    rec.stage('9. Program the decoder and the display engine with IOMMU-side addresses');
    const base64k = rec.step('base_64k = vcm_get_dev_addr(res_64k);', 'res64k.devAddr', () => r64.devAddr, hex);
    const base16M = rec.step('base_16M = vcm_get_dev_addr(res_16M);', 'res16M.devAddr', () => res16M.devAddr, hex);

    rec.stage('10–13. A kernel mapping of the 16 MB buffer');
    const cpuVcm = rec.step('cpu_vcm = vcm_create_from_prebuilt(VCM_PREBUILT_KERNEL);', 'vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL)', () => vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL), showVcm);
    const resCpu16M = rec.step('res_cpu_16M = vcm_reserve(cpu_vcm, SZ_16M, 0);', 'cpuVcm.reserve(16 MiB, 0)', () => cpuVcm.reserve(SZ_16M, 0), showRes, 'attr 0: no access bits means read+write (docs/decisions.md#a-reservation-with-no-access-bits-is-readwrite).');
    rec.step('vcm_back(res_cpu_16M, buf_frame);', 'resCpu16M.back(bufFrame)', () => resCpu16M.back(bufFrame), () => '0: the kernel page table maps the frame too');
    const baseCpu16M = rec.step('base_cpu_16M = vcm_get_dev_addr(res_cpu_16M);', 'resCpu16M.devAddr', () => resCpu16M.devAddr, hex);
    rec.detail(`${videoDec.name} tables`, () => dumpText(videoDec));
    rec.detail(`${disp.name} tables`, () => dumpText(disp));

    rec.stage('Playback: data through every hop');
    const decIn = rec.tryStep('/* the decoder fetches the stream */', `${videoDec.name}.dma.read(${hex(base64k)}, 128 KiB)`, () => videoDec.dma.read(base64k, STREAM), (b) => digest(b));
    const frame = decode(decIn ?? new Uint8Array(STREAM), SZ_16M);
    rec.tryStep('/* the decoder writes the decoded frame */', `${videoDec.name}.dma.write(${hex(base16M)}, 16 MiB)`, () => (videoDec.dma.write(base16M, frame), true), () => digest(frame));
    run.progress.update('video-playback: scan-out', 1, 3);
    const scanned = rec.tryStep('/* the display engine scans it out */', `${disp.name}.dma.read(${hex(base16M)}, 16 MiB)`, () => disp.dma.read(base16M, SZ_16M), (b) => digest(b));
    run.progress.update('video-playback: kernel read', 2, 3);
    const seen = rec.tryStep('/* the kernel reads it */', `${cpu.name}.read(${hex(baseCpu16M)}, 16 MiB)`, () => cpu.read(baseCpu16M, SZ_16M), (b) => digest(b));

    // ---- checks ----
    rec.check(eqNum('mismatched vcm_back (8*SZ_64K res, 2*SZ_64K physmem) answers -EINVAL', -22, mismatch));
    rec.check(eqNum('matching vcm_back answers 0', 0, backed));
    rec.check(eqNum('vcm_get_next_phys_addr walks every chunk of buf_64k', buf64k.chunks().length, sg.length));
    rec.check(holds('each DMA buffer is 64 KiB contiguous (64 KiB-aligned, 64 KiB multiples)', sg.every((e) => e.pa % SZ_64K === 0 && e.len % SZ_64K === 0), 'all entries', sg.map((e) => `${hex(e.pa)}+${formatSize(e.len)}`).join(', ')));
    rec.check(eqNum('the list covers 2*SZ_64K', STREAM, sg.reduce((n, e) => n + e.len, 0)));
    rec.check(aligned('base_64k is aligned to 64 KiB (VCM_ALIGN_64K)', base64k, SZ_64K));
    rec.check(aligned('base_16M is aligned to 16 MiB (VCM_ALIGN_16M)', base16M, SZ_16M));
    rec.check(inside('base_64k lies in vcm_out', base64k, STREAM, 0x1000, SZ_128M));
    rec.check(inside('base_16M lies in vcm_out', base16M, SZ_16M, 0x1000, SZ_128M));
    // The seed's point is two formats; a board with only one can still run the flow, without this check.
    if (new Set(board.smmus.map((s) => s.format)).size > 1) {
      rec.check(eqText('the two IOMMUs use different page-table formats', 'different', videoDec.smmu.format.name !== disp.smmu.format.name ? 'different' : `both ${disp.smmu.format.name}`));
    }
    rec.check(eqHex('decoder and display translate base_16M to the same physical byte', safe(() => vcmm.devAddrToPhysAddr(videoDec, base16M + SZ_16M - 4)), safe(() => vcmm.devAddrToPhysAddr(disp, base16M + SZ_16M - 4))));
    rec.check(eqHex('vcm_translate(base_16M, vcm_out → cpu_vcm) = base_cpu_16M', baseCpu16M, safe(() => vcmm.translate(base16M, vcmOut, cpuVcm))));
    rec.check(bytesEqual('hop 1: the stream the DMA engine wrote = what the decoder read through its IOMMU', stream, decIn ?? new Uint8Array(0)));
    rec.check(bytesEqual('hop 2: the frame the decoder wrote = what the display engine scanned out', frame, scanned ?? new Uint8Array(0)));
    rec.check(bytesEqual('hop 3: the frame the decoder wrote = what the kernel read', frame, seen ?? new Uint8Array(0)));
    rec.check(eqNum('vcm_get_phys_num_res(frame) = 2 (vcm_out and the kernel VCM)', 2, vcmm.physNumRes(bufFrame.chunks()[0]!.pa)));
    rec.set('addresses', { vcmOut: { start: vcmOut.startAddr, len: vcmOut.len }, base64k, base16M, baseCpu16M, sg, frameChunks: bufFrame.chunks().map((c) => ({ pa: c.pa, len: c.len })) });
    rec.set('checksums', { stream: fnv1a(stream), decoderRead: decIn ? fnv1a(decIn) : null, frame: fnv1a(frame), displayRead: scanned ? fnv1a(scanned) : null, kernelRead: seen ? fnv1a(seen) : null });
  },
};
