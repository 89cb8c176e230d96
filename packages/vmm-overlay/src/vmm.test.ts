import { describe, expect, it } from 'vitest';
import { SZ_1M, VCM_SPLIT, VCM_PREBUILT_KERNEL, VCM_PREBUILT_USER, VCM_READ, VCM_WB_WA, VCM_WRITE } from '@vcm/core';
import { PAGE_OFFSET } from './layout.js';
import { SCORPION_MIDR } from './cpu-driver.js';
import { pattern, testSystem } from './test-system.js';
import { vcmErrorOf } from '@vcm/test-kit';

describe('Vmm: the kernel linear map', () => {
  it('writes lowmem as 1 MiB kernel sections: bit-exact short descriptors at the kernel pgtblPa', () => {
    const { vmm, memory } = testSystem();
    const l1 = vmm.kernelPgtblPa;
    // Section (10), B, C, TEX=001 (write-back write-allocate), AP[0] (access flag),
    // AP[1] clear (privileged only), AP[2] clear (writable), XN clear, S set, nG clear (global),
    // NS set (a Non-secure mapping: the linear map has no VCM_SECURE; docs/attributes.md).
    const bits = 0b10 | (1 << 2) | (1 << 3) | (1 << 10) | (1 << 12) | (1 << 16) | (1 << 19);
    expect(bits).toBe(0x9140e);
    for (let i = 0; i < 512; i++) {
      expect(memory.readU32(l1 + ((PAGE_OFFSET >>> 20) + i) * 4) >>> 0).toBe((0x4000_0000 + i * SZ_1M + bits) >>> 0);
    }
    expect(memory.readU32(l1 + ((PAGE_OFFSET >>> 20) - 1) * 4)).toBe(0);
    expect(memory.readU32(l1 + ((PAGE_OFFSET >>> 20) + 512) * 4)).toBe(0);
  });

  it('lets the CPU reach kernel RAM through the linear map (__va/__pa)', () => {
    const { vmm, memory } = testSystem();
    const pa = 0x4123_4560;
    const va = vmm.physToVirt(pa);
    expect(va).toBe(0xc123_4560);
    expect(vmm.virtToPhys(va)).toBe(pa);
    const bytes = pattern(0x3000, 1);
    vmm.cpu.write(va, bytes);
    expect(memory.read(pa, 0x3000)).toEqual(bytes);
    memory.writeU32(0x5fff_fffc, 0xdeadbeef);
    expect(vmm.cpu.readU32(0xdfff_fffc)).toBe(0xdeadbeef);
    // One TLB entry per section.
    expect(vmm.cpu.tlb.entries().every((e) => e.size === SZ_1M)).toBe(true);
    expect(vcmErrorOf(() => vmm.physToVirt(0x6000_0000)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => vmm.virtToPhys(0xe000_0000)).code).toBe('EINVAL');
  });

  it('leaves carve-out memory out of the linear map: no alias, and its linear address would be unmapped', () => {
    const { vmm } = testSystem();
    expect(vmm.findAliases(0x6000_0000, SZ_1M)).toEqual([]);
    expect(vmm.findAliases(0x3800_0000, SZ_1M)).toEqual([]);
    const [a] = vmm.findAliases(0x5fff_f000, 0x2000);
    expect(a).toEqual({ description: 'kernel linear map 0xdfff_f000-0xdfff_ffff → 0x5fff_f000', pa: 0x5fff_f000, len: 0x1000, cachePolicy: VCM_WB_WA });
    expect(vcmErrorOf(() => vmm.cpu.read(0xe000_0000, 4)).code).toBe('EFAULT');
  });
});

describe('Vmm: processes', () => {
  it('gives each process a pid, an ASID and its own table; switchTo selects the user space', () => {
    const { vmm, allocator } = testSystem();
    const before = allocator.stats().tables.inUseBytes;
    const a = vmm.createProcess('a');
    const b = vmm.createProcess('b');
    expect([a.pid, b.pid]).toEqual([1, 2]);
    expect(a.asid).not.toBe(b.asid);
    expect(a.pgtblPa).not.toBe(b.pgtblPa);
    expect(allocator.stats().tables.inUseBytes - before).toBe(2 * 0x4000);
    expect(vmm.current).toBeUndefined();
    vmm.switchTo(b);
    expect(vmm.current).toBe(b);
    expect(vmm.processes.map((p) => p.name)).toEqual(['a', 'b']);
    expect(vcmErrorOf(() => vmm.createProcess('')).code).toBe('EINVAL');
    const other = testSystem().vmm.createProcess('x');
    expect(vcmErrorOf(() => vmm.switchTo(other)).code).toBe('EINVAL');
  });

  it('exit frees the table, the ASID and the slot; exiting twice is EINVAL', () => {
    const { vmm, allocator } = testSystem();
    const before = allocator.stats().tables.inUseBytes;
    const a = vmm.createProcess('a');
    vmm.switchTo(a);
    const vcm = vmm.prebuilt.create(VCM_PREBUILT_USER);
    const va = vcm.place(0x2000, 0x1000);
    vcm.space.map(va, 0x6100_0000, 0x2000, VCM_READ | VCM_WRITE);
    vmm.cpu.writeU32(va, 7, { mode: 'user' });
    a.exit();
    expect(vmm.current).toBeUndefined();
    expect(vmm.processes).toEqual([]);
    expect(a.isAlive).toBe(false);
    expect(a.pgtblPa).toBeUndefined();
    expect(allocator.stats().tables.inUseBytes).toBe(before);
    expect(vmm.cpu.tlb.entries().filter((e) => e.contextId === a.asid)).toEqual([]);
    expect(vcmErrorOf(() => a.exit()).code).toBe('EINVAL');
    expect(vcmErrorOf(() => vmm.switchTo(a)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => vcm.place(0x1000, 0x1000)).code).toBe('ENODEV');
    expect(vcmErrorOf(() => vcm.space.map(0x10_0000, 0x6100_0000, 0x1000, VCM_READ)).code).toBe('ENODEV');
    // The next process may reuse the ASID and finds nothing of a's.
    const b = vmm.createProcess('b');
    vmm.switchTo(b);
    expect(vcmErrorOf(() => vmm.cpu.readU32(va)).code).toBe('EFAULT');
  });

  it('onExit callbacks run once at exit, while the address space is still there, in registration order; a removed one does not run', () => {
    const { vmm } = testSystem();
    const a = vmm.createProcess('a');
    const seen: string[] = [];
    a.onExit((p) => seen.push(`first ${p.pid} ${p.pgtblPa === undefined ? 'no table' : 'table'}`));
    const off = a.onExit(() => seen.push('removed'));
    a.onExit(() => {
      throw new Error('a failing callback does not stop the exit');
    });
    a.onExit(() => seen.push('last'));
    off();
    expect(vcmErrorOf(() => a.onExit(42 as unknown as () => void)).details['param']).toBe('callback');
    a.exit();
    expect(seen).toEqual([`first ${a.pid} table`, 'last']);
    expect(a.isAlive).toBe(false);
    expect(vcmErrorOf(() => a.onExit(() => undefined)).code).toBe('EINVAL');
  });

  it('runs out of ASIDs at 255 live processes with ENOMEM, leaking no table memory; an exit frees one', () => {
    const { vmm, allocator } = testSystem();
    const procs = Array.from({ length: 255 }, (_, i) => vmm.createProcess(`p${i}`));
    expect(new Set(procs.map((p) => p.asid)).size).toBe(255);
    const tables = allocator.stats().tables.inUseBytes;
    const e = vcmErrorOf(() => vmm.createProcess('one too many'));
    expect(e.code).toBe('ENOMEM');
    expect(e.message).toContain('no free ASID');
    expect(allocator.stats().tables.inUseBytes).toBe(tables);
    expect(vmm.processes).toHaveLength(255);
    const freed = (procs[7] as (typeof procs)[number]).asid;
    procs[7]?.exit();
    expect(vmm.createProcess('next').asid).toBe(freed);
  });

  it('snapshots processes, mappings, layout and counters as plain JSON', () => {
    const { vmm } = testSystem();
    const p = vmm.createProcess('player');
    vmm.switchTo(p);
    const k = vmm.prebuilt.create(VCM_PREBUILT_KERNEL);
    const kva = k.place(SZ_1M, SZ_1M);
    k.space.map(kva, 0x6100_0000, SZ_1M, VCM_READ | VCM_WRITE | VCM_WB_WA);
    vmm.cpu.read(kva, 16);
    const snap = JSON.parse(JSON.stringify(vmm.toJSON())) as ReturnType<typeof vmm.toJSON>;
    expect(snap.current).toBe(p.pid);
    expect(snap.processes).toHaveLength(1);
    expect(snap.kernel.mappings).toEqual([expect.objectContaining({ va: kva, pa: 0x6100_0000, len: SZ_1M })]);
    expect(snap.layout.vmallocStart).toBe(0xe080_0000);
    expect((snap.cpu as { stats: { walks: number } }).stats.walks).toBe(1);
  });

  it('reports the CPU as a core device: name, driver, MIDR', () => {
    const { vmm } = testSystem();
    expect(vmm.cpu.name).toBe('cpu0');
    expect(vmm.cpu.driver.vcmTypes).toEqual(['ext-kernel', 'ext-user']);
    expect(vmm.cpu.driver.hwVersion(vmm.cpu)).toBe(SCORPION_MIDR);
    const s = testSystem({ midr: 0x410f_c090 });
    expect(s.vmm.driver.hwVersion(s.vmm.cpu)).toBe(0x410f_c090);
    // Foreign devices, core-built spaces and a split are refused.
    expect(vcmErrorOf(() => s.vmm.driver.hwVersion(vmm.cpu)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => vmm.driver.createAddressSpace({ id: 1, type: 'device', startAddr: 0, len: SZ_1M }, vmm.cpu)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => vmm.driver.checkAssocAttr(vmm.cpu, VCM_SPLIT)).code).toBe('EINVAL');
    expect(() => vmm.driver.checkAssocAttr(vmm.cpu, 0)).not.toThrow();
  });
});
