/**
 * Migration in core (docs/migration.md), over the fake IOMMU and the fake
 * prebuilt provider: what moves, what stays (device addresses, the handle),
 * what is refused and why, every step's failure undone, stall and fault,
 * compaction and evacuation. The whole-platform property (SMMUs of both
 * formats, the CPU, user mappings, TLBs) is in @vcm/devtree's
 * migration.property.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { codeOf, vcmErrorOf } from '@vcm/test-kit';
import {
  SZ_1K,
  SZ_1M,
  SZ_2M,
  SZ_4K,
  SZ_64K,
  VCM_MEMTYPE_0,
  VCM_MEMTYPE_1,
  VCM_PHYS_CONT,
  VCM_PREBUILT_KERNEL,
  createDirectDevice,
  createTableHold,
} from './index.js';
import type { Device, FaultInfo } from './driver.js';
import type { MigrationStep } from './migrate.js';
import { createVcmCompat } from './compat/index.js';
import type { FakeDevice, FakeSpace } from './test-iommu-driver.js';
import { makeTestSystem, type TestSystem } from './test-platform.js';

/** A VCM on a fake IOMMU device with one reservation backed by `len` bytes of memtype 0 holding a pattern. */
function scene(len = SZ_1M + SZ_64K + SZ_4K, sys: TestSystem = makeTestSystem({ withPrebuilt: true })) {
  const { vcmm, iommu, memory } = sys;
  const dev = iommu.device('dec');
  const vcm = vcmm.create(0x1000_0000, 64 * SZ_1M);
  const assoc = vcm.assoc(dev);
  assoc.activate();
  const res = vcm.reserve(len);
  const pm = vcmm.physAlloc(VCM_MEMTYPE_0, len);
  res.back(pm);
  const kv = vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
  const kres = kv.reserve(len);
  kres.back(pm);
  const pattern = new Uint8Array(len);
  for (let i = 0; i < len; i++) pattern[i] = (i * 7 + (i >>> 12)) & 0xff;
  let off = 0;
  for (const c of pm.chunks()) {
    memory.write(c.pa, pattern.subarray(off, off + c.len));
    off += c.len;
  }
  const space = vcm._spaces[0]!.space as FakeSpace;
  const kspace = kv._spaces[0]!.space as FakeSpace;
  return { ...sys, dev, vcm, assoc, res, pm, kv, kres, pattern, space, kspace };
}

/** Read a physmem's bytes in offset order. */
function bytesOf(sys: TestSystem, chunks: readonly { pa: number; len: number }[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.len, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(sys.memory.read(c.pa, c.len), off);
    off += c.len;
  }
  return out;
}

/** What a reservation's mapping reads, page by page through the space's own walk. */
function readThrough(sys: TestSystem, space: { translate(va: number): number | undefined }, va: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let off = 0; off < len; off += SZ_4K) {
    const pa = space.translate(va + off);
    if (pa === undefined) throw new Error(`unmapped ${va + off}`);
    out.set(sys.memory.read(pa, SZ_4K), off);
  }
  return out;
}

/** Byte equality without a deep diff of a megabyte (a mismatch names the first differing offset). */
function same(a: Uint8Array, b: Uint8Array): boolean | string {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `first difference at ${i}`;
  return true;
}

/** Everything a failed call must leave as it was. */
function state(sys: TestSystem): string {
  return JSON.stringify({ graph: sys.vcmm.snapshot(), m0: sys.allocator.freeBytes(VCM_MEMTYPE_0), m1: sys.allocator.freeBytes(VCM_MEMTYPE_1), live: sys.allocator.liveAllocations });
}

describe('vcmm.migrate', () => {
  it('moves the bytes to new blocks; every mapping keeps its device address and the handle stays the same', () => {
    const s = scene();
    const before = { dev: s.res.devAddr, cpu: s.kres.devAddr, chunks: s.pm.chunks() };
    const free1 = s.allocator.freeBytes(VCM_MEMTYPE_1);
    const report = s.vcmm.migrate(s.pm, { memtype: VCM_MEMTYPE_1 });
    expect(report.physmem).toBe(s.pm);
    expect(s.res.physmem).toBe(s.pm);
    expect(s.res.devAddr).toBe(before.dev);
    expect(s.kres.devAddr).toBe(before.cpu);
    expect(s.pm.memtype).toBe(VCM_MEMTYPE_1);
    expect(report.from.chunks).toEqual(before.chunks);
    expect(report.to.chunks).toEqual(s.pm.chunks());
    expect(s.pm.chunks().every((c) => c.pa >= 0x8000_0000)).toBe(true);
    expect(report.remaps).toBe(2);
    expect(report.bytesCopied).toBe(s.pm.len);
    expect(same(bytesOf(s, s.pm.chunks()), s.pattern)).toBe(true);
    expect(same(readThrough(s, s.space, s.res.devAddr, s.pm.len), s.pattern)).toBe(true);
    expect(same(readThrough(s, s.kspace, s.kres.devAddr, s.pm.len), s.pattern)).toBe(true);
    // The reverse map follows: the new bytes name both reservations, the old ones none.
    expect(s.vcmm.physReservations(s.pm.chunks()[0]!.pa)).toEqual([s.res, s.kres]);
    expect(s.vcmm.physNumRes(before.chunks[0]!.pa)).toBe(0);
    // The old blocks went back; the new ones are taken.
    expect(s.allocator.freeBytes(VCM_MEMTYPE_0)).toBe(64 * SZ_1M);
    expect(s.allocator.freeBytes(VCM_MEMTYPE_1)).toBe(free1 - s.pm.len);
    expect(s.vcmm.translate(s.res.devAddr + 5, s.vcm, s.kv)).toBe(s.kres.devAddr + 5);
  });

  it('breaks every mapping before it copies and makes them again one by one (break-before-make)', () => {
    const s = scene(SZ_64K);
    const seen: string[] = [];
    s.vcmm.migrate(s.pm, {
      memtype: VCM_MEMTYPE_0,
      during: (step: MigrationStep) => {
        const dev = s.space.translate(s.res.devAddr);
        const cpu = s.kspace.translate(s.kres.devAddr);
        seen.push(`${step.step}:${dev === undefined ? '-' : 'm'}${cpu === undefined ? '-' : 'm'}`);
      },
    });
    expect(seen).toEqual(['allocated:mm', 'quiesced:--', 'copied:--', 'remapped:m-', 'remapped:mm']);
  });

  it('a physmem that backs nothing just moves', () => {
    const { vcmm, memory } = makeTestSystem();
    const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_64K);
    memory.fill(pm.chunks()[0]!.pa, SZ_64K, 0x5a);
    const r = vcmm.migrate(pm, { memtype: VCM_MEMTYPE_1 });
    expect(r.remaps).toBe(0);
    expect(memory.read(pm.chunks()[0]!.pa, SZ_64K).every((b) => b === 0x5a)).toBe(true);
  });

  it('refuses a pinned allocation with EBUSY naming the pin and the reservation, and moves it once unpinned', () => {
    const s = scene(SZ_64K);
    s.pm.pin();
    s.pm.pin();
    const before = state(s);
    const e = vcmErrorOf(() => s.vcmm.migrate(s.pm, { memtype: VCM_MEMTYPE_1 }));
    expect(e.code).toBe('EBUSY');
    expect(e.message).toContain('pinned (2 pins');
    expect(e.message).toContain(s.res.label);
    expect(state(s)).toBe(before);
    s.pm.unpin();
    expect(codeOf(() => s.vcmm.migrate(s.pm, { memtype: VCM_MEMTYPE_1 }))).toBe('EBUSY');
    s.pm.unpin();
    expect(s.pm.pins).toBe(0);
    expect(codeOf(() => s.pm.unpin())).toBe('EINVAL');
    s.vcmm.migrate(s.pm, { memtype: VCM_MEMTYPE_1 });
    expect(s.pm.memtype).toBe(VCM_MEMTYPE_1);
  });

  it('refuses an allocation backing a one-to-one reservation: its device address is its physical address', () => {
    const { vcmm } = makeTestSystem();
    const one = vcmm.create(vcmm.contMemtypePa(VCM_MEMTYPE_1), vcmm.contMemtypeLen(VCM_MEMTYPE_1));
    one.assoc(createDirectDevice('dma')).activate();
    const res = one.reserve(SZ_1M);
    const pm = vcmm.physAlloc(VCM_MEMTYPE_1, SZ_1M);
    res.back(pm);
    const before = JSON.stringify(vcmm.snapshot());
    const e = vcmErrorOf(() => vcmm.migrate(pm, { memtype: VCM_MEMTYPE_0 }));
    expect(e.code).toBe('EBUSY');
    expect(e.message).toContain(`${res.label} in one-to-one ${one.label}`);
    expect(e.message).toContain('its physical address');
    expect(e.details).toMatchObject({ reason: 'one-to-one', reservation: res.id });
    expect(JSON.stringify(vcmm.snapshot())).toBe(before);
  });

  it('refuses bad input with EINVAL saying what was wrong, changing nothing', () => {
    const s = scene(SZ_64K);
    const other = makeTestSystem();
    const foreign = other.vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K);
    const freed = s.vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K);
    freed.free();
    const wrapper = s.vcmm.mapPhysAddr(0x4200_0000, SZ_4K);
    const before = state(s);
    const cases: Array<[unknown, unknown, string]> = [
      [freed, { memtype: VCM_MEMTYPE_1 }, 'was freed'],
      [foreign, { memtype: VCM_MEMTYPE_1 }, 'another Vcmm'],
      [s.res, { memtype: VCM_MEMTYPE_1 }, 'must be a physmem'],
      [wrapper, { memtype: VCM_MEMTYPE_1 }, 'vcm_map_phys_addr wrapper'],
      [s.pm, undefined, 'plain object'],
      [s.pm, null, 'plain object'],
      [s.pm, 7, 'plain object'],
      [s.pm, s.vcm, 'plain object'],
      [s.pm, {}, 'options.memtype is required'],
      [s.pm, { memtype: 9 }, 'not a memory type'],
      [s.pm, { memtype: NaN }, 'options.memtype'],
      [s.pm, { memtype: VCM_MEMTYPE_1, attr: 0.5 }, 'options.attr'],
      [s.pm, { memtype: VCM_MEMTYPE_1, attr: 1 << 31 }, 'options.attr'],
      [s.pm, { memtype: VCM_MEMTYPE_1, onAccess: 'wait' }, 'options.onAccess'],
      [s.pm, { memtype: VCM_MEMTYPE_1, during: 'now' }, 'options.during'],
      [s.pm, { memtype: VCM_MEMTYPE_1, to: 2 }, 'options.to is not an option'],
    ];
    for (const [pm, options, says] of cases) {
      const e = vcmErrorOf(() => s.vcmm.migrate(pm as never, options as never));
      expect(e.code, says).toBe('EINVAL');
      expect(e.message, says).toContain(says);
      expect(state(s), says).toBe(before);
    }
  });

  it('an access during the move stalls and completes after it (stall), or faults (fault)', () => {
    for (const onAccess of ['stall', 'fault'] as const) {
      const s = scene(SZ_64K);
      const dev: FakeDevice = s.dev;
      const faults: FaultInfo[] = [];
      s.vcmm.hook(dev, (_d: Device, _data: unknown, f: FaultInfo) => (faults.push(f), 'retry'));
      /** A device access the way an SMMU makes one: translate; on a fault ask the handler; retry up to 3 times. */
      const access = (va: number): number => {
        for (let tries = 0; tries < 3; tries++) {
          const pa = s.space.translate(va);
          if (pa !== undefined) return s.memory.readU32(pa);
          const f: FaultInfo = { kind: 'translation', address: va, access: 'read', fsr: 0x202, far: va, context: dev.name };
          if (dev.handler!(dev, dev.handlerData, f) !== 'retry') break;
        }
        throw new Error('terminated');
      };
      let seen: number | string = 'none';
      const report = s.vcmm.migrate(s.pm, {
        memtype: VCM_MEMTYPE_1,
        onAccess,
        during: (step) => {
          if (step.step !== 'quiesced') return;
          try {
            seen = access(s.res.devAddr + 0x100);
          } catch (e) {
            seen = (e as Error).message;
          }
        },
      });
      const word = new DataView(s.pattern.buffer).getUint32(0x100, true);
      if (onAccess === 'stall') {
        expect(seen).toBe(word);
        expect(faults).toHaveLength(1);
        expect(report.stalls).toBe(1);
      } else {
        expect(seen).toBe('terminated');
        expect(faults).toHaveLength(3);
        expect(report.stalls).toBe(0);
      }
      expect(s.pm.memtype).toBe(VCM_MEMTYPE_1);
      expect(same(readThrough(s, s.space, s.res.devAddr, SZ_64K), s.pattern)).toBe(true);
    }
  });

  it('while it moves, its backings and its life wait (EBUSY), and a second move of it too', () => {
    const s = scene(SZ_64K);
    const codes: Array<string | undefined> = [];
    s.vcmm.migrate(s.pm, {
      memtype: VCM_MEMTYPE_1,
      during: (step) => {
        if (step.step !== 'copied') return;
        codes.push(codeOf(() => s.res.unback()), codeOf(() => s.pm.free()), codeOf(() => s.res.setAttr(0)), codeOf(() => s.vcmm.migrate(s.pm, { memtype: VCM_MEMTYPE_0 })));
      },
    });
    expect(codes).toEqual(['EBUSY', 'EBUSY', 'EBUSY', 'EBUSY']);
  });

  describe('all or nothing: a failure at any step leaves the state as it was', () => {
    /** Every internal step: the allocation, a throw after each reported step, the copy, each remap. */
    const failures: Array<[string, (s: ReturnType<typeof scene>) => Parameters<TestSystem['vcmm']['migrate']>[1]]> = [
      ['the allocation', () => ({ memtype: VCM_MEMTYPE_1, attr: VCM_PHYS_CONT | (25 << 10) })],
      ...(['allocated', 'quiesced', 'copied', 'remapped'] as const).map((at): [string, (s: ReturnType<typeof scene>) => { memtype: number; during: (step: MigrationStep) => void }] => [
        `a throw after '${at}'`,
        () => ({
          memtype: VCM_MEMTYPE_1,
          during: (step: MigrationStep) => {
            if (step.step === at) throw new Error(`injected after ${at}`);
          },
        }),
      ]),
      ['the copy', (s) => {
        vi.spyOn(s.memory, 'copy').mockImplementationOnce(() => {
          throw new Error('injected copy failure');
        });
        return { memtype: VCM_MEMTYPE_1 };
      }],
      ['the first remap', (s) => ((s.iommu.failMapIn = 1), { memtype: VCM_MEMTYPE_1 })],
    ];
    for (const [what, arrange] of failures) {
      it(`${what}`, () => {
        const s = scene();
        const before = state(s);
        const oldBytes = bytesOf(s, s.pm.chunks());
        const options = arrange(s);
        expect(() => s.vcmm.migrate(s.pm, options)).toThrow();
        vi.restoreAllMocks();
        expect(state(s)).toBe(before);
        expect(s.iommu.failMapIn).toBeUndefined();
        expect(same(readThrough(s, s.space, s.res.devAddr, s.pm.len), oldBytes)).toBe(true);
        expect(same(readThrough(s, s.kspace, s.kres.devAddr, s.pm.len), oldBytes)).toBe(true);
        // And it can still move afterwards.
        s.vcmm.migrate(s.pm, { memtype: VCM_MEMTYPE_1 });
        expect(same(readThrough(s, s.space, s.res.devAddr, s.pm.len), oldBytes)).toBe(true);
      });
    }

    it('a failed remap of the second address space (the kernel table) undoes the first', () => {
      const s = scene(SZ_64K);
      const before = state(s);
      vi.spyOn(s.kspace, 'map').mockImplementationOnce(() => {
        throw new Error('injected kernel map failure');
      });
      expect(() => s.vcmm.migrate(s.pm, { memtype: VCM_MEMTYPE_1 })).toThrow('injected kernel map failure');
      vi.restoreAllMocks();
      expect(state(s)).toBe(before);
    });
  });

  it('compat: vcm_phys_migrate answers 0, -EBUSY, -EINVAL, with lastError', () => {
    const s = scene(SZ_64K);
    const c = createVcmCompat(s.vcmm);
    expect(c.vcm_phys_migrate(s.pm, VCM_MEMTYPE_1, 0)).toBe(0);
    expect(c.lastError).toBeUndefined();
    expect(s.pm.memtype).toBe(VCM_MEMTYPE_1);
    s.pm.pin();
    expect(c.vcm_phys_migrate(s.pm, VCM_MEMTYPE_0, 0)).toBe(-16);
    expect(c.lastError?.message).toContain('pinned');
    expect(c.vcm_phys_migrate(null, VCM_MEMTYPE_0)).toBe(-22);
    expect(c.vcm_phys_migrate(s.pm, 42, 0)).toBe(-22);
  });
});

describe('vcmm.compact', () => {
  it('moves contiguous allocations down until a VCM_PHYS_CONT request that failed fits, and says what moved', () => {
    const { vcmm, memory } = makeTestSystem({ memtype1: 8 * SZ_1M });
    const a = vcmm.physAlloc(VCM_MEMTYPE_1, 2 * SZ_1M);
    const b = vcmm.physAlloc(VCM_MEMTYPE_1, 2 * SZ_1M);
    const c = vcmm.physAlloc(VCM_MEMTYPE_1, 2 * SZ_1M);
    const d = vcmm.physAlloc(VCM_MEMTYPE_1, SZ_1M);
    memory.fill(c.chunks()[0]!.pa, SZ_2M, 0xc3);
    b.free();
    // Free: 2 MiB at +2 MiB and 1 MiB at +7 MiB: no 3 MiB run.
    expect(codeOf(() => vcmm.physAlloc(VCM_MEMTYPE_1, 3 * SZ_1M, VCM_PHYS_CONT))).toBe('ENOMEM');
    const base = vcmm.contMemtypePa(VCM_MEMTYPE_1);
    const report = vcmm.compact(VCM_MEMTYPE_1, { contiguous: 3 * SZ_1M });
    expect(report.satisfied).toBe(true);
    // Slid down in address order: c into b's hole, then d behind it; a stays.
    expect(report.moved.map((m) => m.physmem)).toEqual([c, d]);
    expect(report.moved.map((m) => [m.from.chunks[0]!.pa - base, m.to.chunks[0]!.pa - base])).toEqual([
      [4 * SZ_1M, 2 * SZ_1M],
      [6 * SZ_1M, 4 * SZ_1M],
    ]);
    expect(memory.read(c.chunks()[0]!.pa, SZ_2M).every((x) => x === 0xc3)).toBe(true);
    expect(vcmm.physAlloc(VCM_MEMTYPE_1, 3 * SZ_1M, VCM_PHYS_CONT).len).toBe(3 * SZ_1M);
    expect(a.chunks()[0]!.pa).toBe(vcmm.contMemtypePa(VCM_MEMTYPE_1));
  });

  it('moves nothing when the request already fits, and reports what is pinned when it cannot make room', () => {
    const { vcmm } = makeTestSystem({ memtype1: 4 * SZ_1M });
    const a = vcmm.physAlloc(VCM_MEMTYPE_1, SZ_1M);
    const b = vcmm.physAlloc(VCM_MEMTYPE_1, SZ_1M);
    expect(vcmm.compact(VCM_MEMTYPE_1, { contiguous: SZ_2M })).toMatchObject({ satisfied: true, moved: [] });
    const c = vcmm.physAlloc(VCM_MEMTYPE_1, SZ_1M);
    a.free();
    c.pin();
    const report = vcmm.compact(VCM_MEMTYPE_1, { contiguous: 3 * SZ_1M });
    expect(report.satisfied).toBe(false);
    expect(report.unmovable.map((u) => [u.physmem, u.code])).toEqual([[c, 'EBUSY']]);
    expect(report.unmovable[0]!.reason).toContain('pinned');
    void b;
  });

  it('refuses bad input (EINVAL) and a memtype without a contiguous region (ENOENT)', () => {
    const { vcmm } = makeTestSystem();
    expect(codeOf(() => vcmm.compact(VCM_MEMTYPE_1, { contiguous: SZ_1K }))).toBe('EINVAL');
    expect(codeOf(() => vcmm.compact(VCM_MEMTYPE_1, { contiguous: 64 * SZ_1M }))).toBe('EINVAL');
    expect(codeOf(() => vcmm.compact(VCM_MEMTYPE_1, null as never))).toBe('EINVAL');
    expect(codeOf(() => vcmm.compact(VCM_MEMTYPE_1, { contiguous: SZ_1M, more: 1 } as never))).toBe('EINVAL');
    expect(codeOf(() => vcmm.compact(NaN, { contiguous: SZ_1M }))).toBe('EINVAL');
    expect(codeOf(() => vcmm.compact(VCM_MEMTYPE_0, { contiguous: SZ_1M }))).toBe('ENOENT');
  });
});

describe('vcmm.evacuate', () => {
  it('moves everything movable out of a bank and reports what stays and why', () => {
    const s = scene(SZ_64K);
    const pinned = s.vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K);
    pinned.pin();
    const loose = s.vcmm.physAlloc(VCM_MEMTYPE_0, SZ_1M);
    const elsewhere = s.vcmm.physAlloc(VCM_MEMTYPE_1, SZ_4K);
    const at = elsewhere.chunks()[0]!.pa;
    const report = s.vcmm.evacuate('memtype0');
    expect(report.bank).toBe('memtype0');
    expect(report.moved.map((m) => m.physmem)).toEqual([s.pm, loose]);
    expect(report.unmovable.map((u) => [u.physmem, u.code])).toEqual([[pinned, 'EBUSY']]);
    expect(s.pm.chunks().every((c) => c.pa >= 0x8000_0000)).toBe(true);
    expect(same(readThrough(s, s.space, s.res.devAddr, SZ_64K), s.pattern)).toBe(true);
    expect(elsewhere.chunks()[0]!.pa).toBe(at);
    expect(codeOf(() => s.vcmm.evacuate('sdram'))).toBe('EINVAL');
    expect(codeOf(() => s.vcmm.evacuate('memtype0', { memtype: 77 }))).toBe('EINVAL');
  });
});

describe('createTableHold', () => {
  it('keeps tables freed during a hold, serves the ones from before the hold first, and frees the rest when released', () => {
    const { allocator, memory } = makeTestSystem();
    const hold = createTableHold(allocator, memory);
    const old1 = hold.allocateTable(SZ_1K, SZ_1K);
    const old2 = hold.allocateTable(SZ_1K, SZ_1K);
    memory.fill(old1, SZ_1K, 0xee);
    hold.hold();
    hold.freeTable(old1, SZ_1K);
    hold.freeTable(old2, SZ_1K);
    const fresh = hold.allocateTable(SZ_4K, SZ_4K); // no 4 KiB kept: from the allocator
    hold.freeTable(fresh, SZ_4K);
    expect(hold.keptBytes).toBe(2 * SZ_1K + SZ_4K);
    const again = [hold.allocateTable(SZ_1K, SZ_1K), hold.allocateTable(SZ_1K, SZ_1K)].sort((x, y) => x - y);
    expect(again).toEqual([old1, old2].sort((x, y) => x - y));
    expect(memory.read(old1, SZ_1K).every((b) => b === 0)).toBe(true);
    expect(codeOf(() => hold.freeTable(fresh, SZ_4K))).toBe('EINVAL');
    hold.release();
    expect(hold.isHeld).toBe(false);
    expect(hold.keptBytes).toBe(0);
    // The 4 KiB table went back: the allocator hands the same one out again.
    expect(allocator.allocateTable(SZ_4K, SZ_4K)).toBe(fresh);
    expect(codeOf(() => hold.release())).toBe('EINVAL');
    expect(codeOf(() => createTableHold(null as never, memory))).toBe('EINVAL');
    expect(codeOf(() => createTableHold(allocator, {} as never))).toBe('EINVAL');
  });
});
