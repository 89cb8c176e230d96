/**
 * `three-way`: seed 000 "Mapping IOMMU, one-to-one and VMM Reservations".
 * One `VCM_PHYS_CONT` allocation of SZ_2M + SZ_4K is mapped by an IOMMU VCM
 * (`vcm_create(SZ_1K, SZ_16M)`, exactly as the seed writes it), by a
 * one-to-one VCM over the memtype's contiguous region (for a direct-mapped
 * DMA engine) and by the kernel's prebuilt VCM. Each of the three mappers
 * writes a pattern; the other two read it.
 */
import { SZ_16M, SZ_1K, SZ_2M, SZ_4K, VCM_MEMTYPE_0, VCM_PHYS_CONT, VCM_PREBUILT_KERNEL, VCM_READ, VCM_WRITE } from '@vcm/core';
import type { Device, PhysicalMemory, Vcmm } from '@vcm/core';
import { bytesEqual, eqHex, eqNum, inside } from '../checks.js';
import { formatSize, hex } from '../format.js';
import { buildBoardPlatform } from '../platform.js';
import { contextFor, leavesIn, safe, showPhysmem, showRes, showVcm } from './common.js';
import { pattern } from './smmu.js';
import type { Walkthrough } from './types.js';

const LEN = SZ_2M + SZ_4K;
const RW = VCM_READ | VCM_WRITE;

interface Mapper {
  readonly name: string;
  readonly addr: number;
  read(len: number): Uint8Array;
  write(bytes: Uint8Array): void;
  readonly how: string;
}

/**
 * A direct-mapped device has no MMU: its device address is the physical
 * address, so its DMA is a plain bus access — after asking the VCMM that the
 * address is mapped for it (the one-to-one "walk").
 */
function directMapper(vcmm: Vcmm, memory: PhysicalMemory, dev: Device, addr: number): Mapper {
  const pa = (): number => vcmm.devAddrToPhysAddr(dev, addr);
  return { name: dev.name, addr, how: 'bus access at the device address (= physical)', read: (len) => memory.read(pa(), len), write: (b) => memory.write(pa(), b) };
}

export const threeWay: Walkthrough = {
  id: 'three-way',
  title: 'One physical buffer, three mappers: IOMMU, one-to-one and the kernel',
  source: 'seed 000 "Mapping IOMMU, one-to-one and VMM Reservations"',
  summary:
    'A physically contiguous allocation of 2 MiB + 4 KiB is reserved and backed three times: in an IOMMU VCM (created, as the seed writes, with vcm_create(SZ_1K, SZ_16M)), in a one-to-one VCM spanning the memtype\'s contiguous region — the VCM for a device without an IOMMU, where a device address is a physical address — and in the kernel\'s prebuilt VCM. The IOMMU device, the direct-mapped DMA engine and the CPU each write a pattern that the other two read back.',
  needs: {
    contexts: ['decoder'],
    directDevice: true,
    cpu: true,
    // VCM_PHYS_CONT comes from the memtype's contiguous pool, which the one-to-one VCM spans.
    memtypes: [{ memtype: VCM_MEMTYPE_0, contiguousBytes: LEN }],
  },
  run(rec, run) {
    const choice = contextFor(run, 'decoder');
    const platform = rec.step('vcm_sys_init();', `buildPlatform(${run.board.name})`, () => buildBoardPlatform(run.board), (p) => `${Object.keys(p.smmus).length} SMMUs, ${Object.keys(p.directDevices).length} direct-mapped device(s)`);
    const { vcmm, memory, tree, cpu } = platform;
    const devIommu = tree.getCtxInstance(choice.context);

    const physmem = rec.step(
      'physmem = vcm_phys_alloc(memtype, SZ_2MB + SZ_4K, CONTIGUOUS);',
      `vcmm.physAlloc(VCM_MEMTYPE_0, ${formatSize(LEN)}, VCM_PHYS_CONT)`,
      () => vcmm.physAlloc(VCM_MEMTYPE_0, LEN, VCM_PHYS_CONT),
      showPhysmem,
      'The seed\'s CONTIGUOUS is the header\'s VCM_PHYS_CONT: the allocation comes from the memtype\'s contiguous pool.',
    );
    const physAddr = physmem.chunks()[0]!.pa;
    const vcmIommu = rec.step('vcm_iommu = vcm_create(SZ_1K, SZ_16M);', `vcmm.create(${hex(SZ_1K)}, 16 MiB)`, () => vcmm.create(SZ_1K, SZ_16M), showVcm, 'The start SZ_1K is not page-aligned; the VCM keeps it, and reservations are placed on page (here 1 MiB) boundaries inside it.');
    const contPa = vcmm.contMemtypePa(VCM_MEMTYPE_0);
    const contLen = vcmm.contMemtypeLen(VCM_MEMTYPE_0);
    const vcmOne = rec.step(
      'vcm_onetoone = vcm_create(phys_addr, phys_size);',
      `vcmm.create(vcmm.contMemtypePa(VCM_MEMTYPE_0) = ${hex(contPa)}, vcmm.contMemtypeLen(…) = ${formatSize(contLen)})`,
      () => vcmm.create(contPa, contLen),
      showVcm,
      'phys_addr/phys_size are the contiguous region of the memtype (vcm_get_cont_memtype_pa/len); a range equal to it makes a one-to-one VCM.',
    );
    const vcmVmm = rec.step('vcm_vmm = vcm_from_prebuit(ext_vcm_id);', 'vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL)', () => vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL), showVcm, 'The seed\'s spelling "vcm_from_prebuit" is a typo of vcm_create_from_prebuilt.');

    // The board's first direct-mapped device plays the DMA engine without an IOMMU.
    const devOne: Device = Object.values(platform.directDevices)[0]!;
    const avcmIommu = rec.step('avcm_iommu = vcm_assoc(vcm_iommu, dev_iommu, attr0);', `vcmIommu.assoc(${devIommu.name}, 0)`, () => vcmIommu.assoc(devIommu, 0), () => `↔ ${devIommu.name} (SMMU ${devIommu.smmu.name})`);
    const avcmOne = rec.step('avcm_onetoone = vcm_assoc(vcm_onetoone, dev_onetoone, attr1);', `vcmOne.assoc(${devOne.name}, 0)`, () => vcmOne.assoc(devOne, 0), () => `↔ ${devOne.name} (direct-mapped)`);
    const avcmVmm = rec.step('avcm_vmm = vcm_assoc(vcm_vmm, dev_cpu, attr2);', `vcmVmm.assoc(${cpu.name}, 0)`, () => vcmVmm.assoc(cpu, 0), () => `↔ ${cpu.name}`);
    rec.step('vcm_activate(avcm_iommu);', 'avcmIommu.activate()', () => avcmIommu.activate(), () => `0: ${devIommu.name} TTBR0 = ${hex(devIommu.toJSON().ttbr0Table ?? 0)}`);
    rec.step('vcm_activate(avcm_onetoone);', 'avcmOne.activate()', () => avcmOne.activate(), () => '0 (reference count only: no table)');
    rec.step('vcm_activate(avcm_vmm);', 'avcmVmm.activate()', () => avcmVmm.activate(), () => '0');

    const resIommu = rec.step('res_iommu = vcm_reserve(vcm_iommu, SZ_2MB + SZ_4K, attr);', `vcmIommu.reserve(${formatSize(LEN)}, VCM_READ | VCM_WRITE)`, () => vcmIommu.reserve(LEN, RW), showRes);
    const resOne = rec.step('res_onetoone = vcm_reserve(vcm_onetoone, SZ_2MB + SZ_4K, attr);', `vcmOne.reserve(${formatSize(LEN)}, VCM_READ | VCM_WRITE)`, () => vcmOne.reserve(LEN, RW), showRes);
    const resVmm = rec.step('res_vmm = vcm_reserve(vcm_vmm, SZ_2MB + SZ_4K, attr);', `vcmVmm.reserve(${formatSize(LEN)}, VCM_READ | VCM_WRITE)`, () => vcmVmm.reserve(LEN, RW), showRes);
    rec.step('vcm_back(res_iommu, physmem);', 'resIommu.back(physmem)', () => resIommu.back(physmem), () => `0: ${hex(resIommu.devAddr)} → ${hex(physAddr)} as ${leavesIn(devIommu, resIommu.devAddr, LEN).text}`);
    rec.step('vcm_back(res_onetoone, physmem);', 'resOne.back(physmem)', () => resOne.back(physmem), () => `0: vcm_get_dev_addr(res_onetoone) = ${hex(resOne.devAddr)}`);
    rec.step('vcm_back(res_vmm, physmem);', 'resVmm.back(physmem)', () => resVmm.back(physmem), () => `0: kernel ${hex(resVmm.devAddr)}`);

    const mappers: Mapper[] = [
      { name: devIommu.name, addr: resIommu.devAddr, how: 'DMA through its SMMU', read: (len) => devIommu.dma.read(resIommu.devAddr, len), write: (b) => devIommu.dma.write(resIommu.devAddr, b) },
      directMapper(vcmm, memory, devOne, resOne.devAddr),
      { name: cpu.name, addr: resVmm.devAddr, how: 'loads/stores through the kernel page table', read: (len) => (cpu).read(resVmm.devAddr, len), write: (b) => (cpu).write(resVmm.devAddr, b) },
    ];
    rec.stage('Each mapper writes, the other two read');
    mappers.forEach((writer, i) => {
      const data = pattern(LEN, 100 + i);
      const ok = rec.tryStep(`/* ${writer.name} writes */`, `${writer.name}: write ${formatSize(LEN)} at ${hex(writer.addr)}`, () => (writer.write(data), true), () => `${writer.how}`);
      if (ok === undefined) return;
      for (const reader of mappers) {
        if (reader === writer) continue;
        const got = rec.tryStep(`/* ${reader.name} reads */`, `${reader.name}: read ${formatSize(LEN)} at ${hex(reader.addr)}`, () => reader.read(LEN), () => `${reader.how}`);
        rec.check(bytesEqual(`${writer.name} wrote, ${reader.name} reads the same bytes`, data, got ?? new Uint8Array(0)));
      }
    });

    // ---- checks ----
    rec.check(eqNum('the CONTIGUOUS allocation is one physical chunk', 1, physmem.chunks().length));
    rec.check(inside('it lies in the memtype\'s contiguous region', physAddr, LEN, contPa, contLen));
    rec.check(eqHex('one-to-one: vcm_get_dev_addr(res_onetoone) is the physical address', physAddr, resOne.devAddr));
    rec.check(eqHex('vcm_dev_addr_to_phys_addr(dev_iommu, res_iommu) walks to the buffer', physAddr, safe(() => vcmm.devAddrToPhysAddr(devIommu, resIommu.devAddr))));
    rec.check(eqHex('… and its last page too', physAddr + LEN - SZ_4K, safe(() => vcmm.devAddrToPhysAddr(devIommu, resIommu.devAddr + LEN - SZ_4K))));
    rec.check(eqHex('vcm_translate(res_iommu, vcm_iommu → vcm_onetoone) = the physical address', physAddr, safe(() => vcmm.translate(resIommu.devAddr, vcmIommu, vcmOne))));
    rec.check(eqHex('vcm_translate(res_iommu, vcm_iommu → vcm_vmm) = vcm_get_dev_addr(res_vmm)', resVmm.devAddr, safe(() => vcmm.translate(resIommu.devAddr, vcmIommu, vcmVmm))));
    rec.check(eqNum('vcm_get_phys_num_res(phys) = 3 reservations share the buffer', 3, vcmm.physNumRes(physAddr)));
    rec.check(inside('res_iommu lies inside [SZ_1K, SZ_1K + SZ_16M)', resIommu.devAddr, LEN, SZ_1K, SZ_16M));
    rec.set('addresses', { phys: physAddr, iommu: resIommu.devAddr, onetoone: resOne.devAddr, vmm: resVmm.devAddr, contiguousRegion: { pa: contPa, len: contLen } });
  },
};
