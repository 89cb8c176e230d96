/**
 * `userspace`: seed 000 "Userspace Access to Devices with IOMMUs". The
 * context is looked up by name in the SMMU device tree (printed as the seed
 * draws it), a VCM topology is associated with it, and a process opens the
 * context's `/dev` node and mmaps a PMEM-style buffer: what the process
 * writes through its own page table the device reads through its IOMMU,
 * and the other way round.
 */
import { SZ_1M, SZ_256M, VCM_MEMTYPE_0 } from '@vcm/core';
import { USER_MMAP_END, USER_MMAP_START } from '@vcm/vmm-overlay';
import { bytesEqual, eqHex, eqNum, holds, inside } from '../checks.js';
import { formatSize, hex } from '../format.js';
import { buildBoardPlatform } from '../platform.js';
import { contextFor, safe, showVcm } from './common.js';
import { pattern } from './smmu.js';
import type { Walkthrough } from './types.js';

const VCM_START = 0x1000_0000;
const BUF = SZ_1M;

export const userspace: Walkthrough = {
  id: 'userspace',
  title: 'Userspace access: device tree, context lookup, /dev node, mmap',
  source: 'seed 000 "Userspace Access to Devices with IOMMUs" (Qualcomm SMMU Device Tree, Example)',
  summary:
    'The second API the seed describes: SMMUs and their contexts form a device tree, a context is found by its name (smmu_get_ctx_instance) and handed to the VCM as a dev_id. Each context has a /dev node; a process opens it and mmaps a buffer the way it once mmapped a PMEM buffer. One physical allocation then backs a reservation in the context\'s VCM and one in the process\'s address space, so user stores are device reads.',
  needs: {
    contexts: ['userspace'],
    cpu: true,
    // The /dev node's mmap allocates the buffer from VCM_MEMTYPE_0.
    memtypes: [{ memtype: VCM_MEMTYPE_0, allocations: [{ bytes: BUF }] }],
  },
  run(rec, run) {
    const choice = contextFor(run, 'userspace');
    const platform = rec.step('/* boot: probe the SMMU platform devices */', `buildPlatform(${run.board.name})`, () => buildBoardPlatform(run.board), (p) => `${Object.keys(p.smmus).length} SMMUs, ${[...p.tree.contexts()].length} contexts, ${p.dev.list().length} /dev nodes`);
    const { vcmm, tree, vmm, cpu, allocator } = platform;
    rec.figure('The SMMU device tree (seed 000 "Qualcomm SMMU Device Tree")', tree.print().trimEnd());
    const freeBlocks = (): string => allocator.stats().pools.map((p) => `${p.name}:${p.free}`).join(' ');
    const poolsBefore = freeBlocks();

    const devId = rec.step(`dev_id = smmu_get_ctx_instance("${choice.context}");`, `tree.getCtxInstance('${choice.context}')`, () => tree.getCtxInstance(choice.context), (d) => `context ${d.name} on SMMU ${d.smmu.name}, bank ${d.toJSON().bank}`);
    const base = rec.step('base = smmu_get_base_addr(dev_id);', 'tree.getBaseAddr(devId)', () => tree.getBaseAddr(devId), hex);
    const vcm = rec.step('/* create vcm and needed topology */ vcm = vcm_create(start, len);', `vcmm.create(${hex(VCM_START)}, ${formatSize(SZ_256M)})`, () => vcmm.create(VCM_START, SZ_256M), showVcm);
    const avcm = rec.step('avcm = vcm_assoc(vcm, dev_id, attr);', `vcm.assoc(${devId.name}, 0)`, () => vcm.assoc(devId, 0), () => `↔ ${devId.name}`);
    rec.step('vcm_activate(avcm);', 'avcm.activate()', () => avcm.activate(), () => `0: TTBR0 = ${hex(vcm.pgtblPaFor(devId))}`);

    rec.stage('A process uses the /dev node');
    const path = `/dev/${choice.context}`;
    const proc = rec.step('/* a player process */', "vmm.createProcess('player'); vmm.switchTo(player)", () => {
      const p = vmm.createProcess('player');
      vmm.switchTo(p);
      return p;
    }, (p) => `pid ${p.pid}, user page table at ${hex(p.pgtblPa ?? 0)}`);
    const fd = rec.step(`fd = open("${path}", O_RDWR);`, `platform.dev.open('${path}', player)`, () => platform.dev.open(path, proc), () => `handle on ${path}`);
    const userVa = rec.step('buf = mmap(NULL, SZ_1M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);', `fd.mmap(${formatSize(BUF)}, { memtype: VCM_MEMTYPE_0 })`, () => fd.mmap(BUF, { memtype: VCM_MEMTYPE_0 }), (va) => `user ${hex(va)}`);
    const devAddr = rec.step('/* the driver programs the device with the buffer\'s device address */', `fd.devAddrOf(${hex(userVa)})`, () => fd.devAddrOf(userVa), hex);

    const fromUser = pattern(BUF / 2, 21);
    rec.tryStep('/* the process fills the first half */', `${cpu.name}.write(${hex(userVa)}, ${formatSize(fromUser.length)}, { mode: 'user' })`, () => (cpu.write(userVa, fromUser, { mode: 'user' }), true), () => 'user stores through the process page table');
    const devSaw = rec.tryStep('/* the device reads it */', `${devId.name}.dma.read(${hex(devAddr)}, ${formatSize(fromUser.length)})`, () => devId.dma.read(devAddr, fromUser.length), () => 'DMA through the IOMMU');
    const fromDev = pattern(BUF / 2, 22);
    rec.tryStep('/* the device writes its output into the second half */', `${devId.name}.dma.write(${hex(devAddr + BUF / 2)}, ${formatSize(fromDev.length)})`, () => (devId.dma.write(devAddr + BUF / 2, fromDev), true), () => 'DMA through the IOMMU');
    const userSaw = rec.tryStep('/* the process reads the output */', `${cpu.name}.read(${hex(userVa + BUF / 2)}, ${formatSize(fromDev.length)}, { mode: 'user' })`, () => cpu.read(userVa + BUF / 2, fromDev.length, { mode: 'user' }), () => 'user loads');

    rec.check(bytesEqual('user writes are seen by the device', fromUser, devSaw ?? new Uint8Array(0)));
    rec.check(bytesEqual('device writes are seen by the user', fromDev, userSaw ?? new Uint8Array(0)));
    rec.check(eqHex('smmu_get_base_addr = the SMMU\'s register base on the board', choice.smmu.base, base));
    rec.check(holds('the /dev node maps into the VCM associated with the context', platform.dev.vcmOf(path) === vcm, 'the VCM created above', platform.dev.vcmOf(path) === vcm ? 'the same VCM' : 'another VCM'));
    rec.check(inside('the device address lies in that VCM', devAddr, BUF, vcm.startAddr, vcm.len));
    rec.check(inside('the user address lies in the process mmap area', userVa, BUF, USER_MMAP_START, USER_MMAP_END - USER_MMAP_START));
    rec.check(eqHex('the device and the process reach the same physical byte', safe(() => vcmm.devAddrToPhysAddr(devId, devAddr + 4096)), safe(() => cpu.translate(userVa + 4096, 'read', { mode: 'user' }))));
    rec.set('addresses', { context: devId.name, base, vcm: { start: vcm.startAddr, len: vcm.len }, userVa, devAddr });

    const bufPa = safe(() => vcmm.devAddrToPhysAddr(devId, devAddr));
    rec.check(eqNum('while mapped, two reservations share the buffer (device VCM and process VCM)', 2, bufPa === undefined ? -1 : vcmm.physNumRes(bufPa)));
    rec.stage('Tear-down');
    rec.step('munmap(buf, SZ_1M);', `fd.munmap(${hex(userVa)})`, () => fd.munmap(userVa), () => 'both reservations unbacked and freed, the physical buffer returned');
    rec.step('close(fd);', 'fd.close()', () => fd.close(), () => 'closed');
    rec.step('vcm_deactivate(avcm); vcm_deassoc(avcm); vcm_free(vcm);', 'avcm.deactivate(); avcm.deassoc(); vcm.free()', () => {
      avcm.deactivate();
      avcm.deassoc();
      vcm.free();
    }, () => '0, 0, 0');
    rec.step('smmu_free_ctx_instance(dev_id);', 'tree.freeCtxInstance(devId)', () => tree.freeCtxInstance(devId), () => '0');
    rec.check(eqNum('after munmap and close no reservation maps the buffer', 0, bufPa === undefined ? -1 : vcmm.physNumRes(bufPa)));
    const poolsAfter = freeBlocks();
    rec.check(holds('every block pool is back where it started', poolsAfter === poolsBefore, 'free blocks as before open()', poolsAfter === poolsBefore ? 'as before' : 'differ'));
  },
};
