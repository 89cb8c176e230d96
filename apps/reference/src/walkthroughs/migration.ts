/**
 * `migration`: the design document's promise that a VCMM "enables new
 * features like system-wide memory migration", on seed 004's video
 * pipeline (docs/migration.md). The 16 MiB frame, mapped by the video
 * decoder and the display engine through SMMUs of different page-table
 * formats and by the kernel VCM, moves from SMI to EBI while the display
 * engine keeps scanning out: its access during the move stalls and
 * completes after it. Every mapper reads the same bytes at the same device
 * addresses afterwards, and the TLB counters show the invalidations. A
 * buffer behind a one-to-one VCM is refused with the reason; a compaction
 * makes room for a `VCM_PHYS_CONT` request that failed before it; the SMI
 * bank is evacuated and what must stay is named.
 */
import { SZ_128M, SZ_16M, SZ_1M, SZ_4K, SZ_8M, VCM_ALIGN_16M, VCM_MEMTYPE_0, VCM_MEMTYPE_2, VCM_PHYS_CONT, VCM_PREBUILT_KERNEL, VCM_READ, VCM_WRITE, VcmError } from '@vcm/core';
import type { Device, MigrationReport, MigrationStep, Physmem } from '@vcm/core';
import { createVcmCompat } from '@vcm/core/compat';
import { fillBytes } from '@vcm/scenario';
import { bytesEqual, eqHex, eqNum, eqText, holds } from '../checks.js';
import { errnoResult, formatSize, hex } from '../format.js';
import { buildBoardPlatform } from '../platform.js';
import { contextFor, safe, showPhysmem, showRes, showVcm } from './common.js';
import type { Walkthrough } from './types.js';

const RW = VCM_READ | VCM_WRITE;
/** The compaction's buffers: four 4 MiB VCM_PHYS_CONT allocations fill EBI's 16 MiB contiguous pool. */
const CONT = 4 * SZ_1M;

/** Where a physical address lies: the bank's name. */
function bankOf(banks: readonly { name: string; base: number; size: number }[], pa: number): string {
  return banks.find((b) => pa >= b.base && pa < b.base + b.size)?.name ?? 'no bank';
}

function showMove(r: MigrationReport, banks: readonly { name: string; base: number; size: number }[]): string {
  const side = (chunks: readonly { pa: number; len: number }[]): string => `${chunks.length} chunk(s) from ${hex(chunks[0]!.pa)} (${bankOf(banks, chunks[0]!.pa)})`;
  return `${r.physmem.label}: ${side(r.from.chunks)} → ${side(r.to.chunks)}; ${r.remaps} mapping(s) rewritten, ${formatSize(r.bytesCopied)} copied, ${r.stalls} stalled access(es)`;
}

export const migration: Walkthrough = {
  id: 'migration',
  title: 'Migration: the frame moves from SMI to EBI while every device keeps its address',
  source: 'seed 000 ("enables new features like system-wide memory migration") on seed 004\'s call flow',
  summary:
    'Because every mapping goes through the VCMM, it knows each reservation a physical allocation backs — in the decoder\'s and the display engine\'s IOMMU tables (two formats) and in the kernel\'s page table — and can move the memory under them: break every mapping, copy, make them again at the same device addresses, free the old blocks. The display engine scans out during the move; its access stalls and completes afterwards. What cannot move (a buffer whose device address is its physical address) is refused with the reason, and two policies built on the move are shown: a compaction that makes room for a contiguous request, and evacuating the SMI bank.',
  needs: {
    contexts: ['decoder', 'display'],
    cpu: true,
    directDevice: true,
    memtypes: [
      { memtype: VCM_MEMTYPE_0, allocations: [{ bytes: SZ_16M }], contiguousBytes: SZ_1M },
      { memtype: VCM_MEMTYPE_2, allocations: [{ bytes: SZ_16M }], contiguousBytes: 4 * CONT },
    ],
  },
  run(rec, run) {
    const decChoice = contextFor(run, 'decoder');
    const dispChoice = contextFor(run, 'display');
    const platform = rec.step('vcm_sys_init();', `buildPlatform(${run.board.name})`, () => buildBoardPlatform(run.board), (p) => `${Object.keys(p.smmus).length} SMMUs`);
    const { vcmm, tree, memory, cpu } = platform;
    const banks = memory.banks;
    const compat = createVcmCompat(vcmm);
    const dec = tree.getCtxInstance(decChoice.context);
    const disp = tree.getCtxInstance(dispChoice.context);

    rec.stage("Seed 004's frame: one 16 MiB buffer, three mappers");
    const vcmOut = rec.step('vcm_out = vcm_create(0x1000, SZ_128M);', 'vcmm.create(0x1000, 128 MiB)', () => vcmm.create(0x1000, SZ_128M), showVcm);
    for (const ctx of [dec, disp]) {
      const a = rec.step(`avcm = vcm_assoc(vcm_out, ${ctx.name}, 0);`, `vcmOut.assoc(${ctx.name}, 0)`, () => vcmOut.assoc(ctx, 0), () => `↔ ${ctx.name} (SMMU ${ctx.smmu.name}, ${ctx.smmu.format.name})`);
      rec.step('vcm_activate(avcm);', 'avcm.activate()', () => a.activate(), () => '0');
    }
    const frame = rec.step('buf_frame = vcm_phys_alloc(MT0, SZ_16M, 0);', 'vcmm.physAlloc(VCM_MEMTYPE_0, 16 MiB, 0)', () => vcmm.physAlloc(VCM_MEMTYPE_0, SZ_16M, 0), showPhysmem);
    const res16M = rec.step('res_16M = vcm_reserve(vcm_out, SZ_16M, VCM_ALIGN_16M);', 'vcmOut.reserve(16 MiB, VCM_ALIGN_16M)', () => vcmOut.reserve(SZ_16M, VCM_ALIGN_16M | RW), showRes);
    rec.step('vcm_back(res_16M, buf_frame);', 'res16M.back(frame)', () => res16M.back(frame), () => '0');
    const cpuVcm = rec.step('cpu_vcm = vcm_create_from_prebuilt(VCM_PREBUILT_KERNEL);', 'vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL)', () => vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL), showVcm);
    const resCpu = rec.step('res_cpu_16M = vcm_reserve(cpu_vcm, SZ_16M, 0);', 'cpuVcm.reserve(16 MiB, 0)', () => cpuVcm.reserve(SZ_16M, 0), showRes);
    rec.step('vcm_back(res_cpu_16M, buf_frame);', 'resCpu.back(frame)', () => resCpu.back(frame), () => '0');
    const base = res16M.devAddr;
    const kbase = resCpu.devAddr;
    const picture = fillBytes(SZ_16M, 7);
    rec.step('/* the decoder writes a decoded frame */', `${dec.name}.dma.write(${hex(base)}, 16 MiB)`, () => dec.dma.write(base, picture), () => `16 MiB in ${bankOf(banks, frame.chunks()[0]!.pa)}`);
    const shownBefore = rec.step('/* the display engine scans it out */', `${disp.name}.dma.read(${hex(base)}, 16 MiB)`, () => disp.dma.read(base, SZ_16M), () => 'read through its own table');
    const seenBefore = rec.step('/* the kernel reads it */', `${cpu.name}.read(${hex(kbase)}, 16 MiB)`, () => cpu.read(kbase, SZ_16M), () => 'through the kernel page table');
    const paBefore = safe(() => vcmm.devAddrToPhysAddr(disp, base));
    const tlbs = (): number[] => [dec.smmu.tlb.stats().invalidations, disp.smmu.tlb.stats().invalidations, cpu.tlb.stats().invalidations];
    const invalBefore = tlbs();

    rec.stage('A fault handler for each device: a stalled access retries');
    for (const d of [dec, disp, cpu] as Device[]) {
      rec.step(`vcm_hook(${d.name}, handler, NULL);`, `vcmm.hook(${d.name}, () => 'retry')`, () => vcmm.hook(d, () => 'retry'), () => '0');
    }

    rec.stage('The move: SMI → EBI, the display engine scanning out meanwhile');
    const steps: string[] = [];
    let scanned: Uint8Array | undefined;
    const report = rec.step(
      'vcm_phys_migrate(buf_frame, MT2, 0);',
      "vcmm.migrate(frame, { memtype: VCM_MEMTYPE_2, onAccess: 'stall', during })",
      () =>
        vcmm.migrate(frame, {
          memtype: VCM_MEMTYPE_2,
          onAccess: 'stall',
          during: (s: MigrationStep) => {
            steps.push(s.step === 'remapped' ? `remapped ${s.reservation.label} in ${s.driver} space ${s.space}` : s.step);
            // The display engine keeps scanning a line while the mappings are broken.
            if (s.step === 'quiesced') scanned = disp.dma.read(base, 4 * SZ_4K);
          },
        }),
      (r) => showMove(r, banks),
      'vcm_phys_migrate is this project\'s addition to vcm.h. The display engine\'s read of the first line faults on the broken mapping; its handler answers retry, and the retry completes after the move.',
    );
    rec.table({
      title: 'The steps of the move, as options.during saw them',
      columns: ['#', 'step'],
      rows: steps.map((s, i) => [i + 1, s]),
      note: `The display engine's read at 'quiesced' stalled; the copy and the ${report.remaps} remaps ran while it waited, and its retry completed after them.`,
    });

    rec.stage('After the move: same addresses, same bytes, new memory');
    const decAfter = rec.step('/* the decoder reads its output back */', `${dec.name}.dma.read(${hex(base)}, 16 MiB)`, () => dec.dma.read(base, SZ_16M), () => `through ${dec.smmu.format.name}`);
    const dispAfter = rec.step('/* the display engine scans out again */', `${disp.name}.dma.read(${hex(base)}, 16 MiB)`, () => disp.dma.read(base, SZ_16M), () => `through ${disp.smmu.format.name}`);
    const cpuAfter = rec.step('/* the kernel reads it */', `${cpu.name}.read(${hex(kbase)}, 16 MiB)`, () => cpu.read(kbase, SZ_16M), () => 'through the kernel page table');
    const paAfter = safe(() => vcmm.devAddrToPhysAddr(disp, base));
    rec.note('vcm_dev_addr_to_phys_addr(disp, base_16M);', `vcmm.devAddrToPhysAddr(${disp.name}, ${hex(base)})`, `${hex(paBefore ?? 0)} (${bankOf(banks, paBefore ?? 0)}) before, ${hex(paAfter ?? 0)} (${bankOf(banks, paAfter ?? 0)}) after`);
    const invalAfter = tlbs();
    rec.table({
      title: 'TLB invalidations (the break of each mapping completes before the copy)',
      columns: ['TLB', 'before', 'after'],
      numeric: [1, 2],
      rows: [
        [`SMMU ${dec.smmu.name} (${dec.name})`, invalBefore[0]!, invalAfter[0]!],
        [`SMMU ${disp.smmu.name} (${disp.name})`, invalBefore[1]!, invalAfter[1]!],
        [`${cpu.name}`, invalBefore[2]!, invalAfter[2]!],
      ],
    });

    rec.stage('What cannot move: a buffer whose device address is its physical address');
    const contPa = vcmm.contMemtypePa(VCM_MEMTYPE_0);
    const vcmOne = rec.step('vcm_onetoone = vcm_create(cont_pa, cont_len);', `vcmm.create(${hex(contPa)}, ${formatSize(vcmm.contMemtypeLen(VCM_MEMTYPE_0))})`, () => vcmm.create(contPa, vcmm.contMemtypeLen(VCM_MEMTYPE_0)), showVcm);
    const dma: Device = Object.values(platform.directDevices)[0]!;
    rec.step(`vcm_activate(vcm_assoc(vcm_onetoone, ${dma.name}, 0));`, `vcmOne.assoc(${dma.name}).activate()`, () => vcmOne.assoc(dma).activate(), () => '0');
    const ringPm = rec.step('ring = vcm_phys_alloc(MT0, SZ_1M, VCM_PHYS_CONT);', 'vcmm.physAlloc(VCM_MEMTYPE_0, 1 MiB, VCM_PHYS_CONT)', () => vcmm.physAlloc(VCM_MEMTYPE_0, SZ_1M, VCM_PHYS_CONT), showPhysmem);
    const ringRes = rec.step('res_ring = vcm_reserve(vcm_onetoone, SZ_1M, 0);', 'vcmOne.reserve(1 MiB, 0)', () => vcmOne.reserve(SZ_1M, 0), showRes);
    rec.step('vcm_back(res_ring, ring);', 'ringRes.back(ring)', () => ringRes.back(ringPm), () => `0: device address ${hex(ringRes.devAddr)} = physical`);
    const refused = compat.vcm_phys_migrate(ringPm, VCM_MEMTYPE_2, 0);
    const why = compat.lastError?.message ?? '';
    rec.note('vcm_phys_migrate(ring, MT2, 0);', 'compat.vcm_phys_migrate(ring, VCM_MEMTYPE_2, 0)', `${errnoResult(refused)}: ${why}`);

    rec.stage('Compaction: making room for a contiguous request that failed');
    const cont: Physmem[] = [];
    for (let i = 0; i < 4; i++) {
      cont.push(rec.step(`cont[${i}] = vcm_phys_alloc(MT2, SZ_4M, VCM_PHYS_CONT);`, `vcmm.physAlloc(VCM_MEMTYPE_2, 4 MiB, VCM_PHYS_CONT)`, () => vcmm.physAlloc(VCM_MEMTYPE_2, CONT, VCM_PHYS_CONT), showPhysmem));
    }
    // The third buffer is mapped by the display engine: compaction must keep its device address.
    const resC = rec.step('res_c = vcm_reserve(vcm_out, SZ_4M, 0);', 'vcmOut.reserve(4 MiB, 0)', () => vcmOut.reserve(CONT, RW), showRes);
    rec.step('vcm_back(res_c, cont[2]);', 'resC.back(cont[2])', () => resC.back(cont[2]!), () => '0');
    const overlay = fillBytes(CONT, 11);
    disp.dma.write(resC.devAddr, overlay);
    rec.step('vcm_phys_free(cont[1]); vcm_phys_free(cont[3]);', 'cont[1].free(); cont[3].free()', () => (cont[1]!.free(), cont[3]!.free()), () => `0: 8 MiB free in two 4 MiB holes`);
    const failed = compat.vcm_phys_alloc(VCM_MEMTYPE_2, SZ_8M, VCM_PHYS_CONT);
    const failedCode = compat.lastError instanceof VcmError ? compat.lastError.code : undefined;
    rec.note('vcm_phys_alloc(MT2, SZ_8M, VCM_PHYS_CONT);', 'compat.vcm_phys_alloc(VCM_MEMTYPE_2, 8 MiB, VCM_PHYS_CONT)', `${failed === null ? 'NULL' : 'a physmem'}: ${compat.lastError?.message ?? ''}`);
    const resCAddr = resC.devAddr;
    const compaction = rec.step(
      '/* compaction */',
      'vcmm.compact(VCM_MEMTYPE_2, { contiguous: 8 MiB })',
      () => vcmm.compact(VCM_MEMTYPE_2, { contiguous: SZ_8M }),
      (r) => `${r.satisfied ? 'room made' : 'no room'}: ${r.moved.map((m) => showMove(m, banks)).join('; ') || 'nothing moved'}`,
    );
    const big = rec.tryStep('big = vcm_phys_alloc(MT2, SZ_8M, VCM_PHYS_CONT);', 'vcmm.physAlloc(VCM_MEMTYPE_2, 8 MiB, VCM_PHYS_CONT)', () => vcmm.physAlloc(VCM_MEMTYPE_2, SZ_8M, VCM_PHYS_CONT), showPhysmem);
    const overlayAfter = disp.dma.read(resC.devAddr, CONT);

    rec.stage('Evacuating SMI before powering it down');
    const smi = bankOf(banks, report.from.chunks[0]!.pa);
    const evac = rec.step(
      `/* everything movable out of ${smi} */`,
      `vcmm.evacuate(${JSON.stringify(smi)}, { memtype: VCM_MEMTYPE_2 })`,
      () => vcmm.evacuate(smi, { memtype: VCM_MEMTYPE_2 }),
      (r) => `${r.moved.length} moved; staying: ${r.unmovable.map((u) => `${u.physmem.label} (${u.code}: ${u.reason})`).join('; ') || 'nothing'}`,
    );
    const stillInSmi = vcmm.physmems.filter((p) => p.chunks().some((c) => bankOf(banks, c.pa) === smi));

    // ---- checks ----
    rec.check(bytesEqual('before the move: the display engine scans out what the decoder wrote', picture, shownBefore));
    rec.check(bytesEqual('before the move: the kernel reads it too', picture, seenBefore));
    rec.check(eqText('the frame started in SMI (VCM_MEMTYPE_0) and is now in EBI (VCM_MEMTYPE_2)', `${bankOf(banks, report.from.chunks[0]!.pa)} → ${bankOf(banks, frame.chunks()[0]!.pa)}`, `${bankOf(banks, paBefore ?? 0)} → ${bankOf(banks, paAfter ?? 0)}`));
    rec.check(eqNum('the frame is in memtype 2 now', VCM_MEMTYPE_2, frame.memtype));
    rec.check(holds('the physmem is the same handle: res_16M and res_cpu_16M are backed by it', res16M.physmem === frame && resCpu.physmem === frame, 'the same object', res16M.physmem === frame ? 'the same object' : 'another object'));
    rec.check(eqHex('the decoder and the display engine keep base_16M', base, res16M.devAddr));
    rec.check(eqHex('the kernel keeps base_cpu_16M', kbase, resCpu.devAddr));
    rec.check(eqNum('three mappings rewritten: two SMMU formats and the kernel table', 3, report.remaps));
    rec.check(bytesEqual('after: the decoder reads the same frame at the same address', picture, decAfter));
    rec.check(bytesEqual('after: the display engine reads the same frame at the same address', picture, dispAfter));
    rec.check(bytesEqual('after: the kernel reads the same frame at the same address', picture, cpuAfter));
    rec.check(eqNum('the scan-out during the move stalled once', 1, report.stalls));
    rec.check(bytesEqual('the stalled scan-out completed after the move with the right bytes', picture.subarray(0, 4 * SZ_4K), scanned ?? new Uint8Array(0)));
    rec.check(holds('every TLB invalidated the moved range', invalAfter.every((n, i) => n > invalBefore[i]!), 'all three counters rose', invalAfter.map((n, i) => `${invalBefore[i]!}→${n}`).join(', ')));
    rec.check(eqNum('the one-to-one buffer is refused: -EBUSY', -16, refused));
    rec.check(holds('the refusal names the reason and the reservation', why.includes('one-to-one') && why.includes(ringRes.label), `mentions one-to-one and ${ringRes.label}`, why));
    rec.check(holds('before the compaction the 8 MiB VCM_PHYS_CONT request failed (ENOMEM)', failed === null && failedCode === 'ENOMEM', 'NULL (ENOMEM)', failed === null ? `NULL (${failedCode ?? '?'})` : 'a physmem'));
    rec.check(holds('the compaction made room', compaction.satisfied && compaction.moved.length > 0, 'satisfied, something moved', `${compaction.satisfied ? 'satisfied' : 'not satisfied'}, ${compaction.moved.length} moved`));
    rec.check(holds('after it the 8 MiB VCM_PHYS_CONT request succeeds', big !== undefined && big.len === SZ_8M, '8 MiB', big === undefined ? 'failed' : formatSize(big.len)));
    rec.check(eqHex('a compacted buffer keeps its device address', resCAddr, resC.devAddr));
    rec.check(bytesEqual('and its bytes', overlay, overlayAfter));
    rec.check(holds('evacuating SMI leaves only what cannot move, each with its reason', stillInSmi.every((p) => evac.unmovable.some((u) => u.physmem === p)), 'only unmovable allocations', stillInSmi.map((p) => p.label).join(', ') || 'none'));
    rec.set('migration', {
      from: report.from.chunks.map((c) => ({ pa: c.pa, len: c.len })),
      to: report.to.chunks.map((c) => ({ pa: c.pa, len: c.len })),
      steps,
      invalidations: { before: invalBefore, after: invalAfter },
      compaction: compaction.moved.map((m) => ({ physmem: m.physmem.id, from: m.from.chunks[0]!.pa, to: m.to.chunks[0]!.pa })),
      evacuation: { moved: evac.moved.map((m) => m.physmem.id), unmovable: evac.unmovable.map((u) => ({ physmem: u.physmem.id, code: u.code })) },
    });
  },
};
