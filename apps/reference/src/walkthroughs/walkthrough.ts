/**
 * `walkthrough`: seed 000 "A Detailed Walk Through". Stage 1 reserves and
 * backs memory for a device (create, assoc, activate, reserve, phys_alloc,
 * back); Stage 2 maps the same physical memory into the kernel's prebuilt
 * VCM. Then the device writes by DMA through its SMMU and the CPU reads the
 * bytes back through the kernel's page table.
 */
import { SZ_16M, SZ_1M, SZ_4K, SZ_64K, VCM_ALL, VCM_MEMTYPE_0, VCM_PREBUILT_KERNEL, VCM_READ, VCM_WRITE, isVcmError } from '@vcm/core';
import type { SmmuContext } from '@vcm/smmu';
import { aligned, bytesEqual, eqHex, eqNum, inside } from '../checks.js';
import { formatSize, hex } from '../format.js';
import { corruptPte } from '../inject.js';
import { buildBoardPlatform } from '../platform.js';
import { chunkOffsets, contextFor, leavesIn, safe, showPhysmem, showRes, showVcm, tlbEntriesIn } from './common.js';
import { dumpText, pattern, walkText } from './smmu.js';
import type { Walkthrough } from './types.js';

const START = SZ_1M;
const LEN = SZ_16M * 8;
/** 2 MiB + 128 KiB + 16 KiB: max munch gives 2 × 1 MiB, 2 × 64 KiB and 4 × 4 KiB, so the table shows every leaf size a reservation of mixed blocks gets. */
const RES_LEN = 2 * SZ_1M + 2 * SZ_64K + 4 * SZ_4K;
const RW = VCM_READ | VCM_WRITE;

export const walkthrough: Walkthrough = {
  id: 'walkthrough',
  title: 'A detailed walk through: memory for a device, then for the kernel',
  source: 'seed 000 "A Detailed Walk Through" (Stage 1 and Stage 2)',
  summary:
    'Stage 1 creates a VCM, associates it with a device behind an SMMU and activates it (TTBR0 now points at the VCM\'s page table), reserves device addresses and backs them with a max-munch physical allocation: the page table gets 1 MiB sections, 64 KiB large pages and 4 KiB pages. Stage 2 maps the same physical memory into the kernel\'s prebuilt VCM (a vmalloc-area reservation in the CPU\'s page table). The device then writes a pattern by DMA and the CPU reads it back through its own mapping.',
  needs: {
    contexts: ['decoder'],
    cpu: true,
    // Max munch must hit RES_LEN exactly (1 MiB, 64 KiB and 4 KiB blocks): vcm_back wants equal lengths.
    memtypes: [{ memtype: VCM_MEMTYPE_0, blockSizes: [SZ_4K], allocations: [{ bytes: RES_LEN }] }],
  },
  run(rec, run) {
    const choice = contextFor(run, 'decoder');
    const platform = rec.step('vcm_sys_init();', `buildPlatform(${run.board.name})`, () => buildBoardPlatform(run.board), (p) => `${Object.keys(p.smmus).length} SMMUs, CPU ${p.cpu.name}`);
    const { vcmm, tree, memory, cpu } = platform;

    rec.stage('Stage 1: Map and Allocate Memory for a Device');
    const vcm = rec.step('vcm = vcm_create(start_addr, len);', `vcmm.create(${hex(START)}, ${formatSize(LEN)})`, () => vcmm.create(START, LEN), showVcm);
    const dev = rec.step<SmmuContext>(
      `dev = smmu_get_ctx_instance("${choice.context}");`,
      `tree.getCtxInstance('${choice.context}')`,
      () => tree.getCtxInstance(choice.context),
      (d) => `context ${d.name} of SMMU ${choice.smmu.name} (${choice.smmu.format})`,
      'Not in the walk-through itself: the seed\'s device tree is how a driver gets its dev_id.',
    );
    const avcm = rec.step('avcm = vcm_assoc(vcm, dev, attr);', `vcm.assoc(${dev.name}, 0)`, () => vcm.assoc(dev, 0), () => `association ${vcm.type} VCM ↔ ${dev.name}, inactive`);
    rec.step('ret = vcm_activate(avcm);', 'avcm.activate()', () => avcm.activate(), () => `0: ${dev.name} TTBR0 = ${hex(dev.toJSON().ttbr0Table ?? 0)}`);
    const res = rec.step('res = vcm_reserve(vcm, res_len, res_attr);', `vcm.reserve(${formatSize(RES_LEN)}, VCM_READ | VCM_WRITE)`, () => vcm.reserve(RES_LEN, RW), showRes);
    const physmem = rec.step('physmem = vcm_phys_alloc(memtype, len, phys_attr);', `vcmm.physAlloc(VCM_MEMTYPE_0, ${formatSize(RES_LEN)}, VCM_ALL)`, () => vcmm.physAlloc(VCM_MEMTYPE_0, RES_LEN, VCM_ALL), showPhysmem);
    rec.step('vcm_back(res, physmem);', 'res.back(physmem)', () => res.back(physmem), () => {
      const l = leavesIn(dev, res.devAddr, res.len);
      return `0: ${dev.name}'s table maps ${hex(res.devAddr)} with ${l.text}`;
    });
    rec.detail(`${dev.name} tables after Stage 1`, () => dumpText(dev), () => dev.dumpTables());
    rec.detail(`${dev.name} walk of ${hex(res.devAddr)} from its registers`, () => walkText(dev.walk(res.devAddr)), () => dev.walk(res.devAddr));

    rec.stage("Stage 2: Map the Device's Memory into the VMM's VCM region");
    const vcmVmm = rec.step('vcm_vmm = vcm_from_prebuilt(ext_vcm_id);', 'vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL)', () => vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL), showVcm);
    const avcmVmm = rec.step('avcm_vmm = vcm_assoc(vcm_vmm, dev_cpu, attr);', `vcmVmm.assoc(${cpu.name}, 0)`, () => vcmVmm.assoc(cpu, 0), () => `association ${vcmVmm.type} VCM ↔ ${cpu.name}`);
    rec.step('vcm_activate(avcm_vmm);', 'avcmVmm.activate()', () => avcmVmm.activate(), () => '0 (the kernel table is always live: activation only counts references)');
    const resVmm = rec.step('res_vmm = vcm_reserve(vcm_vmm, res_len, attr);', `vcmVmm.reserve(${formatSize(RES_LEN)}, VCM_READ | VCM_WRITE)`, () => vcmVmm.reserve(RES_LEN, RW), (r) => `${showRes(r)} (vmalloc area)`);
    rec.step('vcm_back(res_vmm, physmem);', 'resVmm.back(physmem)', () => resVmm.back(physmem), () => `0: kernel ${hex(resVmm.devAddr)} → the same ${physmem.chunks().length} chunks`);

    rec.stage('Device writes by DMA, the CPU reads it back');
    const smmu = dev.smmu;
    if (run.inject === 'corrupt-pte') {
      const c = corruptPte(memory, dev, res.devAddr);
      rec.note(
        '/* testing aid: a stray store hits the page table */',
        `memory.writeU32(${hex(c.entryPa)}, ${hex(c.after)})`,
        `level-${c.level} descriptor for ${hex(res.devAddr)}: ${hex(c.before)} → ${hex(c.after)} (invalid)`,
        '--inject corrupt-pte: the page table was changed behind the VCMM\'s back; the checks below must catch it.',
      );
    }
    smmu.resetCaches();
    const data = pattern(RES_LEN, 1);
    const wrote = rec.tryStep('/* the device writes its buffer by DMA */', `${dev.name}.dma.write(${hex(res.devAddr)}, ${formatSize(RES_LEN)})`, () => (dev.dma.write(res.devAddr, data), true), () => `${formatSize(RES_LEN)} written through ${smmu.name}`);
    const tlb = smmu.tlb.stats();
    const back = rec.step('/* the kernel reads it through vcm_get_dev_addr(res_vmm) */', `${cpu.name}.read(${hex(resVmm.devAddr)}, ${formatSize(RES_LEN)})`, () => cpu.read(resVmm.devAddr, RES_LEN), (b) => `${formatSize(b.length)} read`);

    // ---- checks ----
    rec.check(bytesEqual('bytes the device wrote = bytes the CPU read', data, back));
    rec.check(aligned('vcm_get_dev_addr(res) is naturally aligned (1 MiB for ≥ 1 MiB)', res.devAddr, SZ_1M));
    rec.check(inside('vcm_get_dev_addr(res) lies inside the VCM', res.devAddr, res.len, vcm.startAddr, vcm.len));
    const layout = platform.vmm.layout;
    rec.check(inside('vcm_get_dev_addr(res_vmm) lies in the vmalloc area', resVmm.devAddr, resVmm.len, layout.vmallocStart, layout.vmallocEnd - layout.vmallocStart));
    rec.check(eqHex('vcm_get_pgtbl_pa(vcm) = the TTBR0 the SMMU context holds', dev.toJSON().ttbr0Table ?? undefined, vcm.pgtblPa));
    for (const [off, pa] of chunkOffsets(physmem)) {
      let got: number | undefined;
      try {
        got = vcmm.devAddrToPhysAddr(dev, res.devAddr + off);
      } catch (e) {
        if (!isVcmError(e)) throw e;
      }
      rec.check(eqHex(`vcm_dev_addr_to_phys_addr(dev, res + ${hex(off)}) walks to its chunk`, pa, got));
    }
    rec.check(eqHex('the CPU page table maps res_vmm to the first chunk', physmem.chunks()[0]!.pa, safe(() => cpu.translate(resVmm.devAddr))));
    rec.check(eqHex('vcm_translate(res, vcm → vcm_vmm) = vcm_get_dev_addr(res_vmm)', resVmm.devAddr, safe(() => vcmm.translate(res.devAddr, vcm, vcmVmm))));
    rec.check(eqNum('vcm_get_phys_num_res(first chunk) = 2 (device and kernel)', 2, vcmm.physNumRes(physmem.chunks()[0]!.pa)));
    if (wrote !== undefined || run.inject === undefined) {
      const entries = tlbEntriesIn(dev, res.devAddr, res.len);
      rec.check(eqNum(`one TLB miss per leaf (a contiguous run is one) while the DMA streams through (${entries.text})`, entries.count, tlb.misses));
    }
    rec.set('addresses', { vcm: { start: vcm.startAddr, len: vcm.len }, res: res.devAddr, resVmm: resVmm.devAddr, pgtblPa: vcm.pgtblPa, chunks: physmem.chunks().map((c) => ({ pa: c.pa, len: c.len })) });
    rec.set('tlb', tlb);
    if (platform.warnings.length > 0) rec.set('warnings', platform.warnings);
    rec.detail('VCMM snapshot', () => JSON.stringify(vcmm.snapshot(), null, 2));
  },
};
