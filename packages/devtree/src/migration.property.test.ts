/**
 * Migration over a whole platform (docs/migration.md): random buffers mapped
 * by SMMU contexts of both page-table formats, the CPU's kernel VCM and a
 * process's `mmap` of a `/dev` node, then random moves between memory types.
 * After every move each mapper reads the same bytes at the same device
 * addresses, and no TLB entry (SMMU or CPU) still points into the blocks the
 * buffer left. A failure injected at any internal step — the allocation,
 * the copy, each remap, or a throw after each reported step — leaves the
 * platform snapshot exactly as it was (docs/rules.md#atomicity), and the
 * buffer can still move afterwards.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import {
  SZ_1M,
  SZ_2M,
  SZ_4K,
  SZ_64K,
  VCM_MEMTYPE_0,
  VCM_MEMTYPE_2,
  VCM_MEMTYPE_3,
  VCM_PHYS_CONT,
  VCM_PREBUILT_KERNEL,
  VCM_READ,
  VCM_WB_WA,
  VCM_WRITE,
  VcmError,
} from '@vcm/core';
import type { AccessPolicy, AddressSpace, MigrationStep, Physmem, PhysChunk } from '@vcm/core';
import type { TlbEntry } from '@vcm/smmu';
import { buildPlatform } from './platform.js';
import type { Platform } from './platform.js';
import { msm8x60Board } from './presets.js';

const ATTR = VCM_READ | VCM_WRITE | VCM_WB_WA;
const SIZES = [SZ_4K, SZ_64K + SZ_4K, SZ_1M, SZ_1M + SZ_64K + SZ_4K, SZ_2M];
const MEMTYPES = [VCM_MEMTYPE_0, VCM_MEMTYPE_2, VCM_MEMTYPE_3];
/** The steps `options.during` is told of: a throw there aborts the move. */
const REPORTED = ['allocated', 'quiesced', 'copied', 'remapped'] as const;

interface BufferSpec {
  readonly len: number;
  readonly memtype: number;
  /** Mapped by the short-descriptor and LPAE contexts through one device VCM. */
  readonly devices: boolean;
  readonly kernel: boolean;
  /** Made by `mmap` of a `/dev` node: mapped by the node's context and the process. */
  readonly mmap: boolean;
}

interface MoveSpec {
  readonly buffer: number;
  readonly memtype: number;
  readonly contiguous: boolean;
  readonly onAccess: AccessPolicy;
  /** Read through a mapper while the mappings are broken. */
  readonly accessDuring: boolean;
  /** Inject a failure at internal step `inject % steps` (undefined: none). */
  readonly inject: number | undefined;
}

const bufferArb: fc.Arbitrary<BufferSpec> = fc.record({
  len: fc.constantFrom(...SIZES),
  memtype: fc.constantFrom(...MEMTYPES),
  devices: fc.boolean(),
  kernel: fc.boolean(),
  mmap: fc.boolean(),
});

const moveArb: fc.Arbitrary<MoveSpec> = fc.record({
  buffer: fc.nat(),
  memtype: fc.constantFrom(...MEMTYPES),
  contiguous: fc.boolean(),
  onAccess: fc.constantFrom<AccessPolicy>('stall', 'fault'),
  accessDuring: fc.boolean(),
  inject: fc.option(fc.nat(), { nil: undefined, freq: 1 }),
});

/** One way to see a buffer: a read of all of it at its device address. */
interface Mapper {
  readonly name: string;
  readonly devAddr: () => number;
  readonly read: () => Uint8Array;
}

interface Buffer {
  readonly pm: Physmem;
  readonly bytes: Uint8Array;
  readonly mappers: Mapper[];
  /** Every device address, to check that none moves. */
  readonly addresses: () => number[];
}

function pattern(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < len; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
    b[i + 1] = (x >>> 8) & 0xff;
    b[i + 2] = (x >>> 16) & 0xff;
    b[i + 3] = x >>> 24;
  }
  return b;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A platform with the buffers of `specs` mapped as they say, each holding its own pattern. */
function build(specs: readonly BufferSpec[]): { p: Platform; buffers: Buffer[] } | undefined {
  const p = buildPlatform(msm8x60Board());
  const short = p.tree.getCtxInstance('vcodec_a_mm1');
  const lpae = p.tree.getCtxInstance('mdp0_port0');
  expect(short.smmu.format.name).not.toBe(lpae.smmu.format.name);
  const devVcm = p.vcmm.create(0x1000_0000, 0x4000_0000);
  for (const ctx of [short, lpae]) devVcm.assoc(ctx).activate();
  const kernel = p.vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
  const app = p.vmm.createProcess('player');
  const node = p.dev.open('/dev/vcodec_b_mm2', app);
  // A stalled access retries; a faulted one is terminated by the retry budget.
  for (const ctx of [short, lpae, node.device]) p.vcmm.hook(ctx, () => 'retry');
  p.vcmm.hook(p.cpu, () => 'retry');
  const buffers: Buffer[] = [];
  let seed = 1;
  for (const spec of specs) {
    let pm: Physmem;
    const mappers: Mapper[] = [];
    const addresses: Array<() => number> = [];
    try {
      if (spec.mmap) {
        const userVa = node.mmap(spec.len, { memtype: spec.memtype, attr: ATTR });
        const m = node.mappings.find((x) => x.userVa === userVa)!;
        pm = m.physmem;
        mappers.push({ name: `${node.device.name} (mmap)`, devAddr: () => m.devRes.devAddr, read: () => node.device.dma.read(m.devRes.devAddr, spec.len) });
        mappers.push({
          name: 'cpu (user)',
          devAddr: () => m.userRes.devAddr,
          read: () => {
            p.vmm.switchTo(app);
            return p.cpu.read(m.userRes.devAddr, spec.len, { mode: 'user' });
          },
        });
        addresses.push(() => m.devRes.devAddr, () => m.userRes.devAddr);
      } else {
        pm = p.vcmm.physAlloc(spec.memtype, spec.len, 0);
      }
    } catch (e) {
      if (e instanceof VcmError && e.code === 'ENOMEM') return undefined;
      throw e;
    }
    if (pm.len !== spec.len) return undefined;
    if (spec.devices) {
      const res = devVcm.reserve(spec.len, ATTR);
      res.back(pm);
      for (const ctx of [short, lpae]) mappers.push({ name: ctx.name, devAddr: () => res.devAddr, read: () => ctx.dma.read(res.devAddr, spec.len) });
      addresses.push(() => res.devAddr);
    }
    if (spec.kernel) {
      const res = kernel.reserve(spec.len, ATTR);
      res.back(pm);
      mappers.push({ name: 'cpu (kernel)', devAddr: () => res.devAddr, read: () => p.cpu.read(res.devAddr, spec.len) });
      addresses.push(() => res.devAddr);
    }
    const bytes = pattern(spec.len, seed++);
    let off = 0;
    for (const c of pm.chunks()) {
      p.memory.write(c.pa, bytes.subarray(off, off + c.len));
      off += c.len;
    }
    buffers.push({ pm, bytes, mappers, addresses: () => addresses.map((a) => a()) });
  }
  return { p, buffers };
}

/** Every TLB entry of every SMMU (and its micro-TLBs, where the SMMU has them) and of the CPU. */
function tlbEntries(p: Platform): Array<{ owner: string; e: TlbEntry }> {
  const out: Array<{ owner: string; e: TlbEntry }> = [];
  for (const [name, smmu] of Object.entries(p.smmus)) {
    for (const e of smmu.tlb.entries()) out.push({ owner: name, e });
    for (const m of smmu.toJSON().caches.microTlbs) for (const e of m.entries) out.push({ owner: `${name} micro-TLB`, e });
  }
  for (const e of p.cpu.tlb.entries()) out.push({ owner: 'cpu', e });
  return out;
}

function staleEntries(p: Platform, left: readonly PhysChunk[]): string[] {
  return tlbEntries(p)
    .filter(({ e }) => left.some((c) => e.pa < c.pa + c.len && c.pa < e.pa + e.size))
    .map(({ owner, e }) => `${owner}: va ${e.va.toString(16)} → pa ${e.pa.toString(16)} (${e.size} bytes)`);
}

/** Arrange a failure at `point` of moving `pm`; returns what it is, for the message. */
function inject(p: Platform, pm: Physmem, point: number): { what: string; during: ((s: MigrationStep) => void) | undefined } {
  // The address spaces core will remap, in its order (a reservation's VCM's spaces, reservations by id).
  const spaces = pm.reservations.flatMap((r) => (r.vcm as unknown as { _spaces: Array<{ space: AddressSpace }> })._spaces.map((s) => s.space));
  // 'remapped' is reported only when something is mapped.
  const reported = REPORTED.filter((s) => s !== 'remapped' || spaces.length > 0);
  const points = ['allocation', 'copy', ...spaces.map((_, j) => `remap ${j}`), ...reported.map((s) => `a throw after '${s}'`)];
  const what = points[point % points.length]!;
  const fail = (): never => {
    throw new VcmError('ENOMEM', `injected failure: ${what}`, {});
  };
  if (what === 'allocation') vi.spyOn(p.allocator, 'allocate').mockImplementationOnce(fail);
  else if (what === 'copy') vi.spyOn(p.memory, 'copy').mockImplementationOnce(fail);
  else if (what.startsWith('remap ')) vi.spyOn(spaces[Number(what.slice(6))]!, 'map').mockImplementationOnce(fail);
  else {
    const at = REPORTED.find((s) => what.includes(`'${s}'`))!;
    return { what, during: (s) => (s.step === at ? fail() : undefined) };
  }
  return { what, during: undefined };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('vcmm.migrate on a whole platform', () => {
  it('every mapper reads the same bytes at the same addresses; no TLB keeps the old blocks; injected failures change nothing', () => {
    fc.assert(
      fc.property(fc.array(bufferArb, { minLength: 1, maxLength: 3 }), fc.array(moveArb, { minLength: 1, maxLength: 4 }), (specs, moves) => {
        const built = build(specs);
        if (built === undefined) return; // the pools could not hold this graph
        const { p, buffers } = built;
        for (const move of moves) {
          const buf = buffers[move.buffer % buffers.length]!;
          const before = JSON.stringify(p.snapshot());
          const addresses = buf.addresses();
          // Fill the TLBs with the old translations.
          for (const m of buf.mappers) expect(same(m.read(), buf.bytes), `${m.name} before the move`).toBe(true);
          const oldChunks = buf.pm.chunks();
          const attr = move.contiguous ? VCM_PHYS_CONT : 0;
          if (move.inject !== undefined) {
            const { what, during } = inject(p, buf.pm, move.inject);
            expect(() => p.vcmm.migrate(buf.pm, { memtype: move.memtype, attr, ...(during ? { during } : {}) }), what).toThrow();
            vi.restoreAllMocks();
            expect(JSON.stringify(p.snapshot()), `the snapshot after a failure at ${what}`).toBe(before);
            for (const m of buf.mappers) expect(same(m.read(), buf.bytes), `${m.name} after a failure at ${what}`).toBe(true);
            continue;
          }
          let during: ((s: MigrationStep) => void) | undefined;
          let seen: Uint8Array | VcmError | undefined;
          const probe = buf.mappers[0];
          if (move.accessDuring && probe !== undefined) {
            during = (s) => {
              if (s.step !== 'quiesced') return;
              try {
                seen = probe.read();
              } catch (e) {
                if (!(e instanceof VcmError)) throw e;
                seen = e;
              }
            };
          }
          try {
            p.vcmm.migrate(buf.pm, { memtype: move.memtype, attr, onAccess: move.onAccess, ...(during ? { during } : {}) });
          } catch (e) {
            // No room in the target memory type: refused before anything changed.
            if (e instanceof VcmError && (e.code === 'ENOMEM' || (e.code === 'EINVAL' && e.message.includes('rounds')))) {
              expect(JSON.stringify(p.snapshot())).toBe(before);
              continue;
            }
            throw e;
          }
          expect(buf.addresses(), 'device addresses').toEqual(addresses);
          expect(buf.pm.memtype).toBe(move.memtype);
          for (const m of buf.mappers) expect(same(m.read(), buf.bytes), `${m.name} after the move`).toBe(true);
          // Each read above went through the TLBs; none may still hold the blocks the buffer left.
          expect(staleEntries(p, oldChunks)).toEqual([]);
          if (seen !== undefined) {
            if (move.onAccess === 'stall') expect(seen instanceof Uint8Array && same(seen, buf.bytes), 'a stalled access completes after the move').toBe(true);
            else expect(seen instanceof VcmError && seen.code === 'EFAULT', 'an access during the move faults').toBe(true);
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('a rolled-back move rebuilds the old mappings in the page tables they left, though a lower hole is free', () => {
    const p = buildPlatform(msm8x60Board());
    const ctx = p.tree.getCtxInstance('vcodec_a_mm1');
    const len = SZ_64K + SZ_4K; // a 64 KiB page and a 4 KiB page: a level-2 table
    const vcmA = p.vcmm.create(0x1000_0000, 0x100_0000);
    vcmA.assoc(ctx);
    const resA = vcmA.reserve(len, ATTR);
    resA.back(p.vcmm.physAlloc(VCM_MEMTYPE_0, len, 0));
    const vcmB = p.vcmm.create(0x2000_0000, 0x100_0000);
    vcmB.assoc(ctx).activate();
    const resB = vcmB.reserve(len, ATTR);
    const pm = p.vcmm.physAlloc(VCM_MEMTYPE_0, len, 0);
    resB.back(pm);
    // A's level-2 table goes back to the pool: a hole below B's.
    resA.unback();
    const tableBefore = ctx.walk(resB.devAddr).steps.at(-1)!.entryPa & ~0x3ff;
    const before = JSON.stringify(p.snapshot());
    for (const at of REPORTED) {
      expect(() =>
        p.vcmm.migrate(pm, {
          memtype: VCM_MEMTYPE_2,
          during: (s) => {
            if (s.step === at) throw new Error(`injected after ${at}`);
          },
        }),
      ).toThrow('injected');
      expect(JSON.stringify(p.snapshot()), at).toBe(before);
      expect(ctx.walk(resB.devAddr).steps.at(-1)!.entryPa & ~0x3ff, at).toBe(tableBefore);
    }
  });
});
