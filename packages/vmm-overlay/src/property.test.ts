/**
 * Random back/unback/read/write sequences on the kernel VCM
 * and on two processes' user VCMs agree with a reference byte model, and a
 * translation the CPU used before an unback is never used after it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SZ_4K,
  SZ_64K,
  VCM_4KB,
  VCM_MEMTYPE_0,
  VCM_MEMTYPE_2,
  VCM_PREBUILT_KERNEL,
  VCM_PREBUILT_USER,
  VCM_READ,
  VCM_WB_WA,
  VCM_WRITE,
  Vcmm,
  isVcmError,
} from '@vcm/core';
import type { Physmem, Reservation, Vcm } from '@vcm/core';
import { pattern, sameBytes, testSystem } from './test-system.js';

type SpaceName = 'kernel' | 'a' | 'b';
const SPACES: readonly SpaceName[] = ['kernel', 'a', 'b'];
const ATTR = VCM_READ | VCM_WRITE | VCM_WB_WA;

interface Live {
  readonly space: SpaceName;
  readonly res: Reservation;
  readonly va: number;
  readonly len: number;
  readonly pm: number;
}

const op = fc.oneof(
  fc.record({ k: fc.constant('back' as const), space: fc.constantFrom(...SPACES), pm: fc.nat(3) }),
  fc.record({ k: fc.constant('unback' as const), pick: fc.nat(20) }),
  fc.record({
    k: fc.constantFrom('read' as const, 'write' as const),
    space: fc.constantFrom(...SPACES),
    pick: fc.nat(20),
    // Mostly inside the first page; sometimes before it or far past it.
    off: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: SZ_4K }) }, { weight: 1, arbitrary: fc.integer({ min: -64, max: 3 * SZ_4K }) }),
    // Mostly short; sometimes across pages and reservations.
    len: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 * SZ_4K + 100 }) }),
    seed: fc.nat(),
  }),
);

/** What the runs exercised, so the property cannot pass vacuously. */
const tally = { backs: 0, unbacks: 0, reads: 0, writes: 0, faults: 0, userAccesses: 0 };

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

function run(ops: readonly Op[]): void {
  const { memory, allocator, vmm } = testSystem({ tlb: { entries: 16 } });
  const vcmm = new Vcmm({ memory, allocator, prebuilt: vmm.prebuilt, logger: { warn: () => undefined } });
  const procs = { a: vmm.createProcess('a'), b: vmm.createProcess('b') };
  const vcms = {} as Record<SpaceName, Vcm>;
  vcms.kernel = vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
  for (const name of ['a', 'b'] as const) {
    vmm.switchTo(procs[name]);
    vcms[name] = vcmm.createFromPrebuilt(VCM_PREBUILT_USER);
  }
  // Only the kernel VCM is activated: core allows one active VCM per device
  // base, and CPU mappings are live without activation (seed 000).
  vcms.kernel.assoc(vmm.cpu, 0).activate();
  vcms.a.assoc(vmm.cpu, 0);
  vcms.b.assoc(vmm.cpu, 0);
  // Two scattered 4 KiB-block allocations, a 64 KiB one, and SMI.
  const physmems: Physmem[] = [
    vcmm.physAlloc(VCM_MEMTYPE_2, 2 * SZ_4K, VCM_4KB),
    vcmm.physAlloc(VCM_MEMTYPE_2, 3 * SZ_4K, VCM_4KB),
    vcmm.physAlloc(VCM_MEMTYPE_2, SZ_64K, 0),
    vcmm.physAlloc(VCM_MEMTYPE_0, SZ_64K, 0),
  ];
  const model = physmems.map((pm) => new Uint8Array(pm.len));
  for (const pm of physmems) for (const c of pm.chunks()) memory.fill(c.pa, c.len, 0);
  const live: Live[] = [];
  const seen: Record<SpaceName, number[]> = { kernel: [], a: [], b: [] };

  const enter = (space: SpaceName): 'kernel' | 'user' => {
    if (space === 'kernel') return 'kernel';
    vmm.switchTo(procs[space]);
    return 'user';
  };
  /**
   * Model: the physmem pieces behind [va, va + len) of `space` as
   * [physmem, offset, length] runs, up to the first unmapped byte (a page
   * boundary: mappings are whole pages), and whether the whole range maps.
   */
  const resolve = (space: SpaceName, va: number, len: number): { runs: Array<[number, number, number]>; complete: boolean } => {
    const runs: Array<[number, number, number]> = [];
    let cur = va;
    while (cur < va + len) {
      const l = live.find((x) => x.space === space && cur >= x.va && cur < x.va + x.len);
      if (l === undefined) return { runs, complete: false };
      const n = Math.min(l.va + l.len, va + len) - cur;
      runs.push([l.pm, cur - l.va, n]);
      cur += n;
    }
    return { runs, complete: true };
  };
  const checkRam = (): void => {
    physmems.forEach((pm, i) => {
      let off = 0;
      for (const c of pm.chunks()) {
        expect(sameBytes(memory.read(c.pa, c.len), (model[i] as Uint8Array).subarray(off, off + c.len))).toBe('equal');
        off += c.len;
      }
    });
  };

  for (const o of ops) {
    if (o.k === 'back') {
      const pm = physmems[o.pm] as Physmem;
      const res = vcms[o.space].reserve(pm.len, ATTR);
      res.back(pm);
      live.push({ space: o.space, res, va: res.devAddr, len: pm.len, pm: o.pm });
      tally.backs++;
      seen[o.space].push(res.devAddr);
    } else if (o.k === 'unback') {
      if (live.length === 0) continue;
      const [l] = live.splice(o.pick % live.length, 1) as [Live];
      const mode = enter(l.space);
      vmm.cpu.readU32(l.va, { mode }); // the translation is now in the TLB
      l.res.unback();
      l.res.unreserve();
      let fault: unknown;
      try {
        vmm.cpu.readU32(l.va, { mode });
      } catch (e) {
        fault = e;
      }
      expect(isVcmError(fault, 'EFAULT')).toBe(true);
      tally.unbacks++;
    } else {
      const bases = seen[o.space];
      if (bases.length === 0) continue;
      const va = Math.max(0, (bases[o.pick % bases.length] as number) + o.off);
      const mode = enter(o.space);
      const { runs, complete } = resolve(o.space, va, o.len);
      const bytes = pattern(o.len, o.seed);
      let result: Uint8Array | undefined;
      let fault: unknown;
      try {
        if (o.k === 'write') vmm.cpu.write(va, bytes, { mode });
        else result = vmm.cpu.read(va, o.len, { mode });
      } catch (e) {
        fault = e;
      }
      if (mode === 'user') tally.userAccesses++;
      if (!complete) {
        tally.faults++;
        expect(isVcmError(fault, 'EFAULT')).toBe(true);
        // A fault stops the access at the faulting page: a write has stored every page before it, and nothing after.
        let at = 0;
        for (const [pm, off, n] of runs) {
          if (o.k === 'write') (model[pm] as Uint8Array).set(bytes.subarray(at, at + n), off);
          at += n;
        }
        checkRam();
        continue;
      }
      expect(fault).toBeUndefined();
      const expected = new Uint8Array(o.len);
      let at = 0;
      for (const [pm, off, n] of runs) {
        const m = model[pm] as Uint8Array;
        if (o.k === 'write') m.set(bytes.subarray(at, at + n), off);
        else expected.set(m.subarray(off, off + n), at);
        at += n;
      }
      tally[o.k === 'read' ? 'reads' : 'writes']++;
      if (o.k === 'read') expect(sameBytes(result as Uint8Array, expected)).toBe('equal');
    }
  }
  checkRam();
}

describe('CPU accesses agree with a reference byte model', () => {
  it('random back/unback/read/write on kernel and user VCMs', () => {
    fc.assert(
      // fast-check draws lengths from `size`, not `maxLength`: 'max' runs up to 40 steps, not 20, so many reservations are live at once.
      fc.property(fc.array(op, { minLength: 5, maxLength: 40, size: 'max' }), (ops) => run(ops)),
      { numRuns: 100 },
    );
    for (const [kind, n] of Object.entries(tally)) expect(n, kind).toBeGreaterThan(20);
  });
});
