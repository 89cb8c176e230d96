import { describe, expect, it } from 'vitest';
import { SZ_1M, VCM_MEMTYPE_0, VCM_MEMTYPE_2, VCM_READ, VCM_WB_WA, VCM_WRITE } from '@vcm/core';
import { Smmu } from '@vcm/smmu';
import { buildPlatform } from './platform.js';
import { msm8x60Board, seedExampleBoard } from './presets.js';
import { vcmErrorOf } from '@vcm/test-kit';

/** Byte-exact comparison without vitest's slow element-by-element diff of 1 MiB arrays. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function pattern(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

describe('buildPlatform', () => {
  it('wires every SMMU, context, the CPU and the direct device of the MSM8x60 board', () => {
    const p = buildPlatform(msm8x60Board());
    expect(Object.keys(p.smmus)).toHaveLength(12);
    expect(p.smmus['mdp0']!.format.name).toBe('armLpae4k');
    expect(p.smmus['vcodec_a']!.format.name).toBe('armV7Short');
    const ctx = p.tree.getCtxInstance('vcodec_b_mm2');
    expect(ctx.smmu).toBe(p.smmus['vcodec_b']);
    expect(ctx.bank?.index).toBe(0); // bound to its bank at boot
    expect(p.tree.getBaseAddr(ctx)).toBe(0x0410_0000);
    expect(p.vcmm.hwVersion(ctx)).toBe(0x0001_0000);
    expect(p.device('cpu0')).toBe(p.vmm.cpu);
    expect(p.device('adm_dma').name).toBe('adm_dma');
    expect(vcmErrorOf(() => p.device('vcodec_a_mm9')).code).toBe('ENODEV');
    expect(p.dev.list()).toContain('/dev/vcodec_stream');
    expect(p.dev.list()).toHaveLength(25);
    expect(p.vcmm.contMemtypePa(VCM_MEMTYPE_0)).toBe(0x3b80_0000);
  });

  it('rejects a bad board with the JSON path before building anything', () => {
    const bad = structuredClone(msm8x60Board()) as unknown as { smmus: { format: string }[] };
    bad.smmus[0]!.format = 'armV8';
    expect(vcmErrorOf(() => buildPlatform(bad as unknown)).details['path']).toBe('board.smmus[0].format');
  });

  it("the snapshot shows per context whether a fault handler is hooked, and the last fault's FSR and FAR", () => {
    const p = buildPlatform(msm8x60Board(), { logger: { warn: () => undefined } });
    const dev = p.tree.getCtxInstance('vcodec_a_mm1');
    const vcm = p.vcmm.create(SZ_1M, SZ_1M);
    vcm.assoc(dev).activate();
    p.vcmm.hook(dev, () => 'terminate');
    expect(vcmErrorOf(() => dev.dma.read(SZ_1M + 0x40, 4)).code).toBe('EFAULT');
    const snap = p.snapshot().contexts.find((c) => (c as { name: string }).name === 'vcodec_a_mm1');
    expect(snap).toMatchObject({ hooked: true, far: SZ_1M + 0x40 });
    expect((snap as { fsr: number }).fsr).not.toBe(0);
  });

  it('two platforms in one process share no state', () => {
    const a = buildPlatform(seedExampleBoard());
    const b = buildPlatform(seedExampleBoard());
    const before = b.snapshot();
    const proc = a.vmm.createProcess('app');
    const h = a.dev.open('/dev/ctx0', proc);
    h.mmap(SZ_1M);
    expect(b.snapshot()).toEqual(before);
    expect(a.snapshot()).not.toEqual(before);
    // A context of one platform is not a device of the other's tree.
    expect(vcmErrorOf(() => b.tree.getBaseAddr(a.tree.getCtxInstance('ctx0'))).code).toBe('EINVAL');
    expect(b.smmus['smmu0']).not.toBe(a.smmus['smmu0']);
    expect(b.smmus['smmu0']).toBeInstanceOf(Smmu);
    h.close();
  });
});

describe('the seed userspace example', () => {
  it('getCtxInstance, topology, assoc, activate; open, mmap 1 MiB, the process writes, the device reads it by DMA', () => {
    const p = buildPlatform(msm8x60Board());
    // dev_id = smmu_get_ctx_instance(vcodec_a_stream);
    const dev = p.tree.getCtxInstance('vcodec_a_stream');
    // create vcm and needed topology
    const vcm = p.vcmm.create(0x2000_0000, 0x1000_0000);
    // avcm = vcm_assoc(vcm, dev_id, attr);
    const avcm = vcm.assoc(dev);
    avcm.activate();

    const player = p.vmm.createProcess('player');
    const fd = p.dev.open('/dev/vcodec_a_stream', player);
    expect(fd.vcm).toBe(vcm); // the node uses the VCM the user activated on the context
    const userVa = fd.mmap(SZ_1M);
    const devAddr = fd.devAddrOf(userVa);
    expect(devAddr).toBeGreaterThanOrEqual(0x2000_0000);
    expect(devAddr % SZ_1M).toBe(0);

    const bytes = pattern(SZ_1M, 7);
    p.vmm.switchTo(player);
    p.cpu.write(userVa, bytes, { mode: 'user' });
    expect(sameBytes(dev.dma.read(devAddr, SZ_1M), bytes)).toBe(true);
    expect(sameBytes(dev.dma.read(devAddr, SZ_1M), pattern(SZ_1M, 8))).toBe(false);
    // And the other way: the device writes, the process reads.
    dev.dma.write(devAddr + 0x1234, new Uint8Array([1, 2, 3, 4]));
    expect(p.cpu.read(userVa + 0x1234, 4, { mode: 'user' })).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(fd.devAddrOf(userVa + 0x1234)).toBe(devAddr + 0x1234);
    // Both mappings lead to the same physical bytes.
    expect(p.vcmm.devAddrToPhysAddr(dev, devAddr)).toBe(fd.mappings[0]!.physmem.chunks()[0]!.pa);

    fd.close();
    expect(vcm.numRes).toBe(0);
    expect(avcm.isActive).toBe(true); // the user's topology is the user's to take down
    avcm.deactivate();
    avcm.deassoc();
    vcm.free();
    p.tree.freeCtxInstance(dev);
  });
});

describe('/dev nodes', () => {
  it('a node with no active VCM makes its own on first open and takes it down on last close', () => {
    const p = buildPlatform(seedExampleBoard());
    const before = p.snapshot();
    const proc = p.vmm.createProcess('a');
    const afterProcess = p.snapshot();
    const h1 = p.dev.open('/dev/ctx1', proc);
    const h2 = p.dev.open('/dev/ctx1', proc);
    const vcm = h1.vcm;
    expect(vcm).toBe(h2.vcm);
    expect(vcm.startAddr).toBe(0x1000_0000);
    expect(vcm.len).toBe(0x1000_0000);
    const ctx = p.tree.getCtxInstance('ctx1');
    expect(ctx.isActive).toBe(true);
    const u1 = h1.mmap(0x3000);
    const u2 = h2.mmap(64 * 1024, { memtype: VCM_MEMTYPE_2, attr: VCM_READ | VCM_WRITE | VCM_WB_WA });
    expect(u1).not.toBe(u2);
    expect(h1.mappings[0]!.len).toBe(0x3000);
    h1.close();
    expect(vcm.isAlive).toBe(true);
    expect(p.dev.openCount('/dev/ctx1')).toBe(1);
    h2.close();
    expect(vcm.isAlive).toBe(false);
    expect(ctx.isActive).toBe(false);
    expect(p.snapshot()).toEqual(afterProcess);
    proc.exit();
    expect(p.snapshot()).toEqual(before);
  });

  it('mmap rounds to 4 KiB; munmap undoes one mapping; devAddrOf outside a mapping is EINVAL', () => {
    const p = buildPlatform(seedExampleBoard());
    const proc = p.vmm.createProcess('a');
    const h = p.dev.open('/dev/ctx3', proc);
    const a = h.mmap(100);
    const b = h.mmap(SZ_1M);
    expect(h.mappings.map((m) => m.len)).toEqual([0x1000, SZ_1M]);
    h.munmap(a);
    expect(h.mappings).toHaveLength(1);
    const e = vcmErrorOf(() => h.devAddrOf(a));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain(`devAddrOf /dev/ctx3 (fd ${h.fd}): `);
    expect(e.message).toContain('is not inside a mapping of this handle (mappings: ');
    expect(vcmErrorOf(() => h.munmap(b + 0x1000)).message).toContain('is not an address mmap returned on this handle');
    expect(vcmErrorOf(() => h.mmap(0)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => h.mmap(1.5)).code).toBe('EINVAL');
    h.close();
  });

  it('unknown paths are ENOENT with suggestions; a closed handle is EINVAL naming it', () => {
    const p = buildPlatform(msm8x60Board());
    const proc = p.vmm.createProcess('a');
    const e = vcmErrorOf(() => p.dev.open('/dev/vcodec_a_mm2', proc));
    expect(e.code).toBe('ENOENT');
    expect(e.message).toBe('ENOENT: dev.open: no node "/dev/vcodec_a_mm2" (closest: "/dev/vcodec_a_mm1", "/dev/vcodec_b_mm2", "/dev/vcodec_a_stream")');
    expect(vcmErrorOf(() => p.dev.open('vcodec_a_mm1', proc)).code).toBe('ENOENT');
    const h = p.dev.open('/dev/vcodec_a_mm1', proc);
    h.close();
    const c = vcmErrorOf(() => h.mmap(SZ_1M));
    expect(c.code).toBe('EINVAL');
    expect(c.message).toBe(`EINVAL: mmap /dev/vcodec_a_mm1 (fd ${h.fd}): the handle is closed; open the node again`);
    expect(vcmErrorOf(() => h.close()).message).toContain(`close /dev/vcodec_a_mm1 (fd ${h.fd}): the handle is closed`);
    expect(vcmErrorOf(() => h.devAddrOf(0)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => h.munmap(0)).code).toBe('EINVAL');
  });

  it('a process of another platform, or one that exited, is EINVAL', () => {
    const a = buildPlatform(seedExampleBoard());
    const b = buildPlatform(seedExampleBoard());
    const foreign = b.vmm.createProcess('b');
    expect(vcmErrorOf(() => a.dev.open('/dev/ctx0', foreign)).message).toContain('is not a live process of this platform');
    const proc = a.vmm.createProcess('a');
    proc.exit();
    expect(vcmErrorOf(() => a.dev.open('/dev/ctx0', proc)).code).toBe('EINVAL');
  });

  it('a failing mmap changes nothing (ENOMEM from the pools)', () => {
    const p = buildPlatform(seedExampleBoard());
    const proc = p.vmm.createProcess('a');
    const h = p.dev.open('/dev/ctx0', proc);
    const before = p.snapshot();
    // MEMTYPE_0 (all SMI) has 16 + 8 + 4 + 4 MiB of blocks: 64 MiB cannot be had.
    expect(vcmErrorOf(() => h.mmap(64 * SZ_1M)).code).toBe('ENOMEM');
    expect(p.snapshot()).toEqual(before);
    // A bad memtype fails after the user VCM was made: it is undone too.
    expect(vcmErrorOf(() => h.mmap(SZ_1M, { memtype: 99 })).code).toBe('EINVAL');
    expect(p.snapshot()).toEqual(before);
    // The device VCM is full: the reservation on it fails after the physical allocation.
    const small = buildPlatform(seedExampleBoard(), { nodeVcm: { start: 0x1000_0000, len: SZ_1M } });
    const sp = small.vmm.createProcess('s');
    const sh = small.dev.open('/dev/ctx2', sp);
    sh.mmap(SZ_1M);
    const full = small.snapshot();
    expect(vcmErrorOf(() => sh.mmap(0x1000)).code).toBe('ENOMEM');
    expect(small.snapshot()).toEqual(full);
    sh.close();
    h.close();
  });

  it("a process that exits with nodes open has them closed, as exit closes a task's files: nothing stays allocated or device-visible", () => {
    const p = buildPlatform(seedExampleBoard());
    const before = p.snapshot();
    const proc = p.vmm.createProcess('a');
    const h = p.dev.open('/dev/ctx0', proc);
    const h2 = p.dev.open('/dev/ctx3', proc);
    const userVa = h.mmap(SZ_1M);
    const devAddr = h.devAddrOf(userVa);
    h2.mmap(0x10000);
    proc.exit();
    // The device can no longer reach the freed buffer, and every pool, VCM and node is as before.
    expect(h.isOpen).toBe(false);
    expect(h2.isOpen).toBe(false);
    expect(vcmErrorOf(() => p.vcmm.devAddrToPhysAddr(h.device, devAddr)).code).toBe('EFAULT');
    expect(p.snapshot()).toEqual(before);
    // The handle is gone with the process: using it is EINVAL naming it; a late close() is harmless.
    expect(vcmErrorOf(() => h.mmap(SZ_1M)).message).toContain('/dev/ctx0 (fd');
    h.close();
    expect(p.snapshot()).toEqual(before);
  });

  it('close after the process exited still releases the device side', () => {
    const p = buildPlatform(seedExampleBoard());
    const before = p.snapshot();
    const proc = p.vmm.createProcess('a');
    const h = p.dev.open('/dev/ctx0', proc);
    h.mmap(SZ_1M);
    h.mmap(0x10000);
    proc.exit();
    h.close();
    expect(p.snapshot()).toEqual(before);
  });
});

describe('formats and virtual contexts', () => {
  it('a node on an LPAE display context maps and DMA reads what the process wrote', () => {
    const p = buildPlatform(msm8x60Board());
    const proc = p.vmm.createProcess('compositor');
    const h = p.dev.open('/dev/mdp1_port1', proc);
    const va = h.mmap(2 * SZ_1M + 0x5000, { memtype: VCM_MEMTYPE_2 });
    const bytes = pattern(0x5000, 42);
    p.vmm.switchTo(proc);
    p.cpu.write(va + 2 * SZ_1M, bytes, { mode: 'user' });
    expect(sameBytes(h.device.dma.read(h.devAddrOf(va + 2 * SZ_1M), 0x5000), bytes)).toBe(true);
    expect(h.device.smmu.format.name).toBe('armLpae4k');
    h.close();
  });

  it('contexts beyond the banks share a bank and take turns on it', () => {
    const b = structuredClone(seedExampleBoard()) as unknown as { smmus: { contexts: { name: string; bank?: number }[]; allowVirtualContexts?: boolean }[] };
    b.smmus[1]!.allowVirtualContexts = true;
    b.smmus[1]!.contexts.push({ name: 'ctx4', bank: 0 });
    const p = buildPlatform(b as unknown);
    expect(p.tree.print()).toBe('smmu/\n smmu0/\n  ctx0\n  ctx1\n  ctx2\n smmu1/\n  ctx3\n  ctx4\n');
    const proc = p.vmm.createProcess('a');
    const h3 = p.dev.open('/dev/ctx3', proc);
    // ctx3 holds bank 0 of smmu1: ctx4 cannot be activated on it meanwhile.
    const before = p.snapshot();
    expect(vcmErrorOf(() => p.dev.open('/dev/ctx4', proc)).code).toBe('EBUSY');
    expect(p.snapshot()).toEqual(before); // the VCM and association the open made are gone again
    expect(p.dev.openCount('/dev/ctx4')).toBe(0);
    h3.close();
    const h4 = p.dev.open('/dev/ctx4', proc);
    h4.mmap(0x1000);
    h4.close();
  });
});

describe('no leaks', () => {
  it('10,000 open/mmap(1 MiB)/write/munmap/close cycles leave every pool, VCM and page table as before', () => {
    const p = buildPlatform(msm8x60Board());
    const proc = p.vmm.createProcess('stress');
    const before = p.snapshot();
    const tablesBefore = p.allocator.stats().tables;
    const bytes = pattern(256, 3);
    const dev = p.tree.getCtxInstance('vcodec_a_mm1');
    for (let i = 0; i < 10_000; i++) {
      const h = p.dev.open('/dev/vcodec_a_mm1', proc);
      const va = h.mmap(SZ_1M);
      p.vmm.switchTo(proc);
      bytes[0] = i & 0xff;
      p.cpu.write(va + ((i * 4096) % SZ_1M), bytes, { mode: 'user' });
      if (i % 1000 === 0) expect(dev.dma.read(h.devAddrOf(va + ((i * 4096) % SZ_1M)), 256)).toEqual(bytes);
      h.munmap(va);
      h.close();
    }
    p.vmm.switchTo(undefined);
    expect(p.snapshot()).toEqual(before);
    // Page-table memory: the same bytes in use, the same free extents (the snapshot holds this too; say it plainly).
    expect(p.allocator.stats().tables.inUseBytes).toBe(tablesBefore.inUseBytes);
    expect(p.allocator.stats().tables.freeExtents).toEqual(tablesBefore.freeExtents);
    p.tree.freeCtxInstance(dev);
  });
});
