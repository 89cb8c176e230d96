import { describe, expect, it } from 'vitest';
import { SZ_4K, VCM_EXECUTE, VCM_PREBUILT_KERNEL, VCM_PREBUILT_USER, VCM_READ, VCM_WB_WA, VCM_WRITE } from '@vcm/core';
import type { FaultInfo } from '@vcm/core';
import { msm8x60Memory } from '@vcm/physalloc';
import { KERNEL_RAM, pattern, testSystem } from './test-system.js';
import { Vmm } from './vmm.js';
import { CPU_TLB_BANK, CPU_TLB_DEFAULT_ENTRIES } from './cpu.js';
import { GLOBAL_ASID } from './index.js';
import { vcmErrorOf } from '@vcm/test-kit';

const RW = VCM_READ | VCM_WRITE | VCM_WB_WA;
/** Carve-out memory (the EBI 1 MiB pool area): outside the linear map. */
const PA = 0x6100_0000;

/** A kernel VCM with three pages at `va`: two read-write, the third read-only. */
function kernelSetup() {
  const sys = testSystem();
  const k = sys.vmm.prebuilt.create(VCM_PREBUILT_KERNEL);
  const va = k.place(3 * SZ_4K, SZ_4K);
  k.space.map(va, PA, 2 * SZ_4K, RW);
  k.space.map(va + 2 * SZ_4K, PA + 2 * SZ_4K, SZ_4K, VCM_READ | VCM_WB_WA);
  return { ...sys, k, va };
}

describe('Cpu loads and stores', () => {
  it('moves bytes through the kernel VCM to RAM and back, across pages', () => {
    const { vmm, memory, va } = kernelSetup();
    const bytes = pattern(2 * SZ_4K - 6, 3);
    vmm.cpu.write(va + 3, bytes);
    expect(memory.read(PA + 3, bytes.length)).toEqual(bytes);
    expect(vmm.cpu.read(va + 3, bytes.length)).toEqual(bytes);
    vmm.cpu.writeU32(va + 0x1ffc, 0x1234_5678);
    expect(memory.readU32(PA + 0x1ffc)).toBe(0x1234_5678);
    expect(vmm.cpu.readU32(va + 0x1ffc)).toBe(0x1234_5678);
    expect(vmm.cpu.translate(va + 0x10)).toBe(PA + 0x10);
    expect(vmm.cpu.read(va, 0)).toEqual(new Uint8Array(0));
  });

  it('counts a miss and a walk once, then hits', () => {
    const { vmm, va } = kernelSetup();
    vmm.cpu.tlb.resetStats();
    vmm.cpu.readU32(va);
    vmm.cpu.readU32(va + 4);
    vmm.cpu.readU32(va + 8);
    expect(vmm.cpu.stats()).toMatchObject({ misses: 1, walks: 1, hits: 2, reads: 3, bytesRead: 12 });
  });

  it('refuses bad arguments with EINVAL', () => {
    const { vmm, va } = kernelSetup();
    expect(vcmErrorOf(() => vmm.cpu.readU32(va + 2)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => vmm.cpu.read(-1, 4)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => vmm.cpu.read(0xffff_fffc, 8)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => vmm.cpu.read(va, 1.5)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => vmm.cpu.read(va, 4, { mode: 'root' as 'user' })).code).toBe('EINVAL');
    expect(vcmErrorOf(() => vmm.cpu.write(va, [1, 2] as unknown as Uint8Array)).code).toBe('EINVAL');
    expect(vcmErrorOf(() => (vmm.cpu.mode = 'hyp' as 'user')).code).toBe('EINVAL');
    expect(vcmErrorOf(() => vmm.cpu.translate(va, 'fetch' as 'read')).code).toBe('EINVAL');
  });
});

describe('Cpu faults', () => {
  it('a user-mode access to a kernel address is a permission fault naming the section descriptor', () => {
    const { vmm, memory } = kernelSetup();
    memory.writeU32(0x4000_0000, 0xcafe);
    const before = memory.read(0x4000_0000, 16);
    const e = vcmErrorOf(() => vmm.cpu.write(0xc000_0000, new Uint8Array(16).fill(0xee), { mode: 'user' }));
    expect(e.code).toBe('EFAULT');
    expect(e.message).toContain('Unable to handle user paging request at virtual address 0xc000_0000 (write, user mode)');
    expect(e.message).toContain('level-1 descriptor 0x4009_140e: privileged only');
    expect(e.details).toMatchObject({ address: 0xc000_0000, access: 'write', mode: 'user', kind: 'permission', descriptor: 0x4009_140e, level: 1 });
    expect(memory.read(0x4000_0000, 16)).toEqual(before);
    vmm.cpu.mode = 'user';
    expect(vcmErrorOf(() => vmm.cpu.readU32(0xc000_0000)).code).toBe('EFAULT');
    vmm.cpu.mode = 'kernel';
    expect(vmm.cpu.readU32(0xc000_0000)).toBe(0xcafe);
  });

  it('an unmapped address is a translation fault with the descriptor the walk stopped at', () => {
    const { vmm, va } = kernelSetup();
    // The guard page after the reservation: the level-2 table exists, its entry is 0.
    const e = vcmErrorOf(() => vmm.cpu.readU32(va + 3 * SZ_4K));
    expect(e.message).toMatch(/Unable to handle kernel paging request at virtual address 0x[0-9a-f_]+ \(read, kernel mode\): level-2 descriptor 0x0000_0000: no mapping/);
    expect(e.details).toMatchObject({ kind: 'translation', level: 2, fsr: 0x07 });
    // Far away: no level-2 table at all.
    expect(vcmErrorOf(() => vmm.cpu.readU32(0xfe00_0000)).details).toMatchObject({ level: 1, descriptor: 0, fsr: 0x05 });
    // A user address with no process switched to: nothing to walk.
    expect(vcmErrorOf(() => vmm.cpu.readU32(0x1000)).message).toContain('no page table: no user address space');
  });

  it('a write onto a read-only page faults with the bit-exact level-2 descriptor (AP[2] set) after the pages before it are written', () => {
    const { vmm, memory, va } = kernelSetup();
    memory.fill(PA, 3 * SZ_4K, 0x11);
    const e = vcmErrorOf(() => vmm.cpu.write(va + SZ_4K, new Uint8Array(2 * SZ_4K).fill(0x22)));
    expect(e.code).toBe('EFAULT');
    expect(e.message).toContain('(write, kernel mode)');
    expect(e.message).toMatch(/level-2 descriptor 0x6100_2[0-9a-f]{3}: read-only$/);
    const d = e.details.descriptor as number;
    expect(d & 0xffff_f000).toBe((PA + 2 * SZ_4K) >>> 0);
    expect((d >>> 9) & 1).toBe(1); // AP[2]: read-only
    expect((d >>> 5) & 1).toBe(0); // AP[1]: privileged only
    expect((d >>> 11) & 1).toBe(0); // nG clear: global
    expect(e.details.fsr).toBe(0x80f); // permission fault, page, WnR
    // Page by page in order (docs/translation.md#multi-page-accesses): the writable page before the fault is written, the read-only one is not.
    expect(memory.read(PA, SZ_4K).every((b) => b === 0x11)).toBe(true);
    expect(memory.read(PA + SZ_4K, SZ_4K).every((b) => b === 0x22)).toBe(true);
    expect(memory.read(PA + 2 * SZ_4K, SZ_4K).every((b) => b === 0x11)).toBe(true);
    expect(vmm.cpu.stats()).toMatchObject({ bytesWritten: SZ_4K, writes: 0 });
    expect(vmm.cpu.lastFault).toMatchObject({ kind: 'permission', access: 'write', address: va + 2 * SZ_4K });
  });

  it('a write running off the end of a mapping into its guard page stores up to the guard page, then faults there', () => {
    const { vmm, k, memory } = kernelSetup();
    const va = k.place(2 * SZ_4K, SZ_4K);
    k.space.map(va, PA + 0x30_0000, 2 * SZ_4K, RW);
    memory.fill(PA + 0x30_0000, 2 * SZ_4K, 0x33);
    const e = vcmErrorOf(() => vmm.cpu.write(va + 8, new Uint8Array(2 * SZ_4K).fill(0x44)));
    expect(e.details).toMatchObject({ kind: 'translation', address: va + 2 * SZ_4K, access: 'write' });
    expect(memory.read(PA + 0x30_0000, 8).every((b) => b === 0x33)).toBe(true);
    expect(memory.read(PA + 0x30_0008, 2 * SZ_4K - 8).every((b) => b === 0x44)).toBe(true);
  });

  it('a fault handler that unmaps and frees an earlier page of the write cannot make the write land in the new owner (each page completes before the next translates)', () => {
    const { vmm, k, memory } = kernelSetup();
    const va = k.place(3 * SZ_4K, SZ_4K);
    // Two mapped pages, then a hole the handler fills; while it runs it takes the first page away.
    k.space.map(va, PA + 0x40_0000, SZ_4K, RW);
    k.space.map(va + SZ_4K, PA + 0x41_0000, SZ_4K, RW);
    memory.fill(PA + 0x40_0000, SZ_4K, 0x55);
    let handled = 0;
    vmm.driver.hook(vmm.cpu, () => {
      handled++;
      // The bytes of the first two pages were stored before this handler ran.
      expect(memory.read(PA + 0x40_0000, SZ_4K).every((b) => b === 0x66)).toBe(true);
      k.space.unmap(va, SZ_4K);
      memory.fill(PA + 0x40_0000, SZ_4K, 0x77); // the page's new owner writes its own data
      k.space.map(va + 2 * SZ_4K, PA + 0x42_0000, SZ_4K, RW);
      return 'retry';
    }, undefined);
    vmm.cpu.write(va, new Uint8Array(3 * SZ_4K).fill(0x66));
    expect(handled).toBe(1);
    expect(memory.read(PA + 0x40_0000, SZ_4K).every((b) => b === 0x77)).toBe(true);
    expect(memory.read(PA + 0x41_0000, SZ_4K).every((b) => b === 0x66)).toBe(true);
    expect(memory.read(PA + 0x42_0000, SZ_4K).every((b) => b === 0x66)).toBe(true);
  });

  it('an execute access to a no-execute mapping faults; with VCM_EXECUTE it translates', () => {
    const { vmm, k, va } = kernelSetup();
    expect(vcmErrorOf(() => vmm.cpu.translate(va, 'execute')).message).toContain('execute-never');
    const xva = k.place(SZ_4K, SZ_4K);
    k.space.map(xva, PA + 0x10_0000, SZ_4K, VCM_READ | VCM_EXECUTE | VCM_WB_WA);
    expect(vmm.cpu.translate(xva + 4, 'execute')).toBe(PA + 0x10_0004);
  });

  it('calls the hooked handler, which may fix the mapping and retry', () => {
    const { vmm, k, memory } = kernelSetup();
    const target = k.place(SZ_4K, SZ_4K);
    const seen: FaultInfo[] = [];
    vmm.driver.hook(
      vmm.cpu,
      (dev, data, fault) => {
        seen.push(fault);
        expect(dev).toBe(vmm.cpu);
        expect(data).toBe('cookie');
        k.space.map(target, PA + 0x20_0000, SZ_4K, VCM_READ | VCM_WRITE | VCM_WB_WA);
        return 'retry';
      },
      'cookie',
    );
    vmm.cpu.writeU32(target + 8, 99);
    expect(memory.readU32(PA + 0x20_0008)).toBe(99);
    expect(seen).toEqual([expect.objectContaining({ kind: 'translation', address: target + 8, far: target + 8, access: 'write' })]);
    // A handler that keeps saying retry without fixing anything gets one retry, then the fault stands.
    vmm.cpu.hook(() => 'retry', undefined);
    expect(vcmErrorOf(() => vmm.cpu.readU32(0xfe00_0000)).code).toBe('EFAULT');
  });

  it('sees no stale translation after an unmap', () => {
    const { vmm, k, va } = kernelSetup();
    vmm.cpu.readU32(va);
    k.space.unmap(va, 2 * SZ_4K);
    expect(vcmErrorOf(() => vmm.cpu.readU32(va)).code).toBe('EFAULT');
    expect(vmm.cpu.tlb.stats().invalidations).toBeGreaterThan(0);
  });
});

describe('Cpu and processes', () => {
  it('keeps processes apart by ASID: the same user address reaches each process’s own memory without a flush', () => {
    const { vmm, memory } = testSystem();
    const a = vmm.createProcess('a');
    const b = vmm.createProcess('b');
    vmm.switchTo(a);
    const ua = vmm.prebuilt.create(VCM_PREBUILT_USER);
    vmm.switchTo(b);
    const ub = vmm.prebuilt.create(VCM_PREBUILT_USER);
    const vaA = ua.place(SZ_4K, SZ_4K);
    const vaB = ub.place(SZ_4K, SZ_4K);
    expect(vaA).toBe(vaB); // both mmap areas start at 0x1000
    ua.space.map(vaA, PA, SZ_4K, RW);
    ub.space.map(vaB, PA + SZ_4K, SZ_4K, RW);
    memory.writeU32(PA, 0xaaaa);
    memory.writeU32(PA + SZ_4K, 0xbbbb);
    vmm.switchTo(a);
    expect(vmm.cpu.readU32(vaA, { mode: 'user' })).toBe(0xaaaa);
    vmm.switchTo(b);
    expect(vmm.cpu.readU32(vaB, { mode: 'user' })).toBe(0xbbbb);
    vmm.cpu.tlb.resetStats();
    vmm.switchTo(a);
    expect(vmm.cpu.readU32(vaA, { mode: 'user' })).toBe(0xaaaa);
    vmm.switchTo(b);
    expect(vmm.cpu.readU32(vaB, { mode: 'user' })).toBe(0xbbbb);
    expect(vmm.cpu.tlb.stats()).toMatchObject({ hits: 2, misses: 0 });
    // User mappings are not global: nG set in the level-2 descriptor.
    const w = vmm.cpu.walk(vaB).leaf;
    expect(((w?.descriptor ?? 0) >>> 11) & 1).toBe(1);
    expect(w?.user).toBe(true);
  });

  it('caches kernel leaves as global entries: one entry serves every process and a kernel thread; an ASID flush spares it', () => {
    const { vmm } = testSystem();
    const k = vmm.prebuilt.create(VCM_PREBUILT_KERNEL);
    const kva = k.place(SZ_4K, SZ_4K);
    k.space.map(kva, PA + 8 * SZ_4K, SZ_4K, RW);
    const a = vmm.createProcess('a');
    const b = vmm.createProcess('b');
    vmm.switchTo(a);
    const u = vmm.prebuilt.create(VCM_PREBUILT_USER);
    const uva = u.place(SZ_4K, SZ_4K);
    u.space.map(uva, PA, SZ_4K, RW);
    vmm.cpu.readU32(uva, { mode: 'user' });
    vmm.cpu.writeU32(kva, 0x600d);
    const mine = vmm.cpu.tlb.entries();
    expect(mine.find((e) => e.va === kva)).toMatchObject({ bank: CPU_TLB_BANK, contextId: GLOBAL_ASID, size: SZ_4K, pa: PA + 8 * SZ_4K });
    expect(mine.find((e) => e.va === uva)).toMatchObject({ contextId: a.asid, size: SZ_4K, pa: PA });
    vmm.cpu.tlb.resetStats();
    vmm.switchTo(b);
    expect(vmm.cpu.readU32(kva)).toBe(0x600d);
    vmm.switchTo(undefined);
    expect(vmm.cpu.readU32(kva)).toBe(0x600d);
    expect(vmm.cpu.stats()).toMatchObject({ hits: 2, misses: 0, walks: 0 });
    // a's exit flushes a's ASID (TLBIASID): its user entry goes, the kernel's global entry stays.
    a.exit();
    expect(vmm.cpu.tlb.entries().map((e) => e.contextId)).toEqual([GLOBAL_ASID]);
    expect(vmm.cpu.stats()).toMatchObject({ invalidations: 1, invalidationOps: 1, hits: 2, misses: 0 });
    // A kernel unmap drops the global entry for every ASID (TLBIMVAA).
    k.space.unmap(kva, SZ_4K);
    expect(vmm.cpu.tlb.entries()).toEqual([]);
    vmm.switchTo(b);
    expect(vcmErrorOf(() => vmm.cpu.readU32(kva)).code).toBe('EFAULT');
  });

  it('takes the TLB size and policy from new Vmm({ tlb }), 128-entry LRU by default, and refuses 0 entries naming new Vmm', () => {
    expect(testSystem().vmm.cpu.tlb.stats()).toMatchObject({ capacity: CPU_TLB_DEFAULT_ENTRIES, policy: 'lru', entries: 0 });
    expect(CPU_TLB_DEFAULT_ENTRIES).toBe(128);
    expect(testSystem({ tlb: { entries: 8, policy: 'fifo' } }).vmm.cpu.tlb.stats()).toMatchObject({ capacity: 8, policy: 'fifo' });
    // Refused atomically: the kernel table the constructor had built is given back.
    const sys = msm8x60Memory();
    const before = JSON.stringify(sys.allocator.stats());
    const e = vcmErrorOf(() => new Vmm({ memory: sys.memory, allocator: sys.allocator, kernelRam: [KERNEL_RAM], tlb: { entries: 0 } }));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toMatch(/new Vmm: tlb\.entries must be at least 1/);
    expect(JSON.stringify(sys.allocator.stats())).toBe(before);
    expect(vcmErrorOf(() => new Vmm({ memory: sys.memory, allocator: sys.allocator, kernelRam: [KERNEL_RAM], tlb: { policy: 'mru' as 'lru' } })).code).toBe('EINVAL');
    expect(JSON.stringify(sys.allocator.stats())).toBe(before);
  });

  it('lets the kernel reach user mappings of the current process and the user reach them in user mode', () => {
    const { vmm } = testSystem();
    const p = vmm.createProcess('p');
    vmm.switchTo(p);
    const u = vmm.prebuilt.create(VCM_PREBUILT_USER);
    const va = u.place(SZ_4K, SZ_4K);
    u.space.map(va, PA, SZ_4K, RW);
    vmm.cpu.writeU32(va, 5);
    expect(vmm.cpu.readU32(va, { mode: 'user' })).toBe(5);
    expect(vmm.driver.devAddrToPhysAddr(vmm.cpu, va)).toBe(PA);
    expect(vcmErrorOf(() => vmm.driver.devAddrToPhysAddr(vmm.cpu, va + SZ_4K)).code).toBe('EFAULT');
  });
});

describe('Cpu registers and walk', () => {
  it('holds SCTLR, TTBCR, TTBR0/1, DACR and CONTEXTIDR as words and fields; a context switch writes TTBR0, PD0 and CONTEXTIDR', () => {
    const { vmm } = testSystem();
    const boot = vmm.cpu.registers;
    expect(boot.fields).toMatchObject({
      sctlr: { m: true, afe: false, tre: true },
      ttbcr: { n: 0, pd0: true, pd1: false },
      ttbr0: { base: 0 },
      ttbr1: { base: vmm.kernelPgtblPa },
      contextidr: { asid: 0, procid: 0 },
    });
    expect(boot.fields.dacr.domains.every((d) => d === 'client')).toBe(true);
    expect(boot.words).toMatchObject({ ttbcr: 0x10, ttbr1: vmm.kernelPgtblPa, dacr: 0x5555_5555, contextidr: 0 });
    const p = vmm.createProcess('app');
    vmm.switchTo(p);
    expect(vmm.cpu.registers.words).toMatchObject({ ttbcr: 0, ttbr0: p.pgtblPa, contextidr: ((p.pid << 8) | p.asid) >>> 0 });
    expect(vmm.cpu.registers.fields).toMatchObject({ ttbcr: { pd0: false }, ttbr0: { base: p.pgtblPa }, contextidr: { asid: p.asid, procid: p.pid } });
    vmm.switchTo(undefined);
    expect(vmm.cpu.registers.fields).toMatchObject({ ttbcr: { pd0: true }, ttbr0: { base: 0 }, contextidr: { asid: 0 } });
  });

  it('walk(va) returns each level read from TTBR1 (kernel) or TTBR0 (process), the leaf or the fault', () => {
    const { vmm, memory, k, va } = kernelSetup();
    const w = vmm.cpu.walk(va + 0x1234);
    expect(w.ttbr).toBe(1);
    expect(w.pa).toBe(PA + 0x1234);
    expect(w.steps.map((s) => s.level)).toEqual([1, 2]);
    const l1 = w.steps[0]!;
    expect(l1.entryPa).toBe(vmm.kernelPgtblPa + (va >>> 20) * 4);
    expect(l1.descriptor).toBe(memory.readU32(l1.entryPa) >>> 0);
    const l2 = w.steps[1]!;
    expect(l2.entryPa).toBe(((l1.descriptor & 0xffff_fc00) >>> 0) + (((va + 0x1234) >>> 12) & 0xff) * 4);
    expect(l2.descriptor).toBe(w.leaf?.descriptor);
    // An unmapped address: the walk stops at the level that has nothing, and says so.
    const hole = k.place(SZ_4K, SZ_4K);
    const miss = vmm.cpu.walk(hole);
    expect(miss.leaf).toBeUndefined();
    expect(miss.fault).toMatchObject({ fault: 'translation', level: 2 });
    expect(miss.steps).toHaveLength(2);
    // A user address with no process: TTBCR.PD0, no descriptor read.
    const user = vmm.cpu.walk(0x1000);
    expect(user).toMatchObject({ ttbr: 0, steps: [], fault: { fault: 'translation', level: 1 } });
    // The walk is what the driver answers for vcm_dev_addr_to_phys_addr, with the same trace.
    const trace: unknown[] = [];
    expect(vmm.driver.devAddrToPhysAddr(vmm.cpu, va + 0x1234, trace as never)).toBe(PA + 0x1234);
    expect(trace).toEqual(w.steps);
  });
});
