/**
 * Model-based test of the whole graph (fast-check commands): random
 * sequences of create / reserve / back / unback / assoc / activate /
 * deactivate / deassoc / unreserve / free / physAlloc / physFree / bounds,
 * run against a simple reference model that predicts each call's outcome.
 * After every step: reservations never overlap and stay inside their VCM and
 * bound, every backing is consistent in both directions, the reverse map
 * agrees with a brute-force count, every page table holds exactly the backed
 * reservations of its VCM (docs/rules.md#order-independence), and a call that
 * throws left `snapshot()`
 * unchanged (docs/rules.md#atomicity).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SZ_128K,
  SZ_16K,
  SZ_16M,
  SZ_1K,
  SZ_1M,
  SZ_2M,
  SZ_4K,
  SZ_64K,
  SZ_8M,
  VCM_MEMTYPE_0,
  VCM_MEMTYPE_1,
  VCM_PHYS_CONT,
  VCM_READ,
  VCM_USE_HIGH_BASE,
  VCM_WB_WA,
  VCM_WT,
  VcmError,
  createDirectDevice,
  type Association,
  type Bound,
  type Device,
  type Physmem,
  type Reservation,
  type Vcm,
  type Vcmm,
} from './index.js';
import type { FakeIommuDriver, FakeSpace } from './test-iommu-driver.js';
import { makeTestSystem } from './test-platform.js';

interface MV {
  real: Vcm;
  alive: boolean;
  oneToOne: boolean;
}
interface MB {
  real: Bound;
  vcm: MV;
  alive: boolean;
  count: number;
}
interface MP {
  real: Physmem;
  alive: boolean;
  len: number;
  memtype: number;
}
interface MR {
  real: Reservation;
  vcm: MV;
  bound: MB | undefined;
  alive: boolean;
  len: number;
  policy: number;
  backedBy: MP | undefined;
}
interface MA {
  real: Association;
  vcm: MV;
  dev: Device;
  alive: boolean;
  active: boolean;
  high: boolean;
}
interface Model {
  vcms: MV[];
  bounds: MB[];
  pms: MP[];
  res: MR[];
  assocs: MA[];
}
interface Real {
  vcmm: Vcmm;
  iommu: FakeIommuDriver;
  devices: Device[];
}

type Expect = 'ok' | 'ok-or-ENOMEM' | 'EINVAL' | 'EBUSY' | 'ENOENT';

let steps = 0;
const LENS = [SZ_4K, SZ_16K, SZ_64K, SZ_128K, SZ_1M, SZ_2M];
const ATTRS = [0, VCM_WB_WA, VCM_READ | VCM_WT, VCM_READ | VCM_WB_WA];

function pick<T>(xs: readonly T[], i: number): T | undefined {
  return xs.length === 0 ? undefined : xs[i % xs.length];
}

/** Run one call; check its outcome against the model's prediction and atomicity on failure. */
function step<T>(m: Model, r: Real, expected: Expect, call: () => T, commit: (value: T) => void): void {
  steps++;
  const before = JSON.stringify(r.vcmm.snapshot());
  let value: T;
  try {
    value = call();
  } catch (e) {
    if (!(e instanceof VcmError)) throw e;
    expect(JSON.stringify(r.vcmm.snapshot()), `${e.message}: the failed call changed the graph`).toBe(before);
    if (expected === 'ok-or-ENOMEM') expect(e.code, e.message).toBe('ENOMEM');
    else expect(e.code, e.message).toBe(expected);
    checkInvariants(m, r);
    return;
  }
  expect(expected === 'ok' || expected === 'ok-or-ENOMEM', `expected ${expected}, the call succeeded`).toBe(true);
  commit(value);
  checkInvariants(m, r);
}

function checkInvariants(m: Model, r: Real): void {
  const liveRes = m.res.filter((x) => x.alive);
  // Model agreement.
  for (const v of m.vcms.filter((x) => x.alive)) {
    expect(v.real.numRes).toBe(liveRes.filter((x) => x.vcm === v).length);
    expect(v.real.associations.length).toBe(m.assocs.filter((a) => a.alive && a.vcm === v).length);
  }
  for (const a of m.assocs.filter((x) => x.alive)) expect(a.real.isActive).toBe(a.active);
  // Placement: inside the VCM (page-aligned) and bound; no overlaps within a VCM.
  for (const v of m.vcms.filter((x) => x.alive)) {
    const placed = liveRes.filter((x) => x.vcm === v && (!v.oneToOne || x.backedBy));
    const spans = placed.map((x) => ({ x, a: x.real.devAddr, e: x.real.devAddr + x.len }));
    for (const s of spans) {
      expect(s.a % SZ_4K).toBe(0);
      expect(s.a).toBeGreaterThanOrEqual(v.real.startAddr);
      expect(s.e).toBeLessThanOrEqual(v.real.startAddr + v.real.len);
      if (s.x.bound) {
        expect(s.a).toBeGreaterThanOrEqual(s.x.bound.real.startAddr);
        expect(s.e).toBeLessThanOrEqual(s.x.bound.real.startAddr + s.x.bound.real.len);
      }
    }
    const boundSpans = m.bounds.filter((b) => b.alive && b.vcm === v).map((b) => ({ a: b.real.startAddr, e: b.real.startAddr + b.real.len, b }));
    spans.sort((p, q) => p.a - q.a);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.a).toBeGreaterThanOrEqual(spans[i - 1]!.e);
    for (const s of spans) {
      for (const b of boundSpans) {
        if (s.x.bound === b.b) continue;
        expect(s.e <= b.a || s.a >= b.e, 'a VCM-level reservation inside a bound').toBe(true);
      }
    }
    expect(v.real.reservations.map((x) => x.id)).toEqual(
      [...placed].sort((p, q) => p.real.devAddr - q.real.devAddr).map((x) => x.real.id).concat(liveRes.filter((x) => x.vcm === v && v.oneToOne && !x.backedBy).map((x) => x.real.id)),
    );
  }
  // Backing, both directions.
  for (const x of liveRes) expect(x.real.physmem).toBe(x.backedBy?.real);
  for (const p of m.pms.filter((q) => q.alive)) {
    const backs = liveRes.filter((x) => x.backedBy === p).map((x) => x.real);
    expect(p.real.reservations).toEqual(backs);
    // Reverse map against a brute-force count (allocations never overlap here).
    for (const c of p.real.chunks()) {
      expect(r.vcmm.physNumRes(c.pa)).toBe(backs.length);
      expect(r.vcmm.physNumRes(c.pa + c.len - 1)).toBe(backs.length);
      expect(r.vcmm.physReservations(c.pa + (c.len >> 1))).toEqual(backs);
    }
  }
  // Page tables: one per device VCM with associations, holding exactly its backed reservations.
  const spaces = [...r.iommu.liveSpaces] as FakeSpace[];
  const withAssoc = m.vcms.filter((v) => v.alive && !v.oneToOne && m.assocs.some((a) => a.alive && a.vcm === v));
  expect(spaces.length).toBe(withAssoc.length);
  for (const v of withAssoc) {
    const space = spaces.find((s) => s.vcm.id === v.real.id);
    expect(space).toBeDefined();
    const backed = liveRes.filter((x) => x.vcm === v && x.backedBy);
    expect(space!.pages.size).toBe(backed.reduce((n, x) => n + x.len / SZ_4K, 0));
    for (const x of backed) {
      const chunk = x.backedBy!.real.chunks()[0]!;
      expect(space!.translate(x.real.devAddr)).toBe(chunk.pa);
    }
  }
}

// ---- commands -----------------------------------------------------------------

class Create implements fc.Command<Model, Real> {
  constructor(readonly kind: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const oneToOne = this.kind === 3;
    const start = [0, SZ_1K, SZ_16M][this.kind % 3] as number;
    step(
      m,
      r,
      'ok',
      () => (oneToOne ? r.vcmm.create(r.vcmm.contMemtypePa(VCM_MEMTYPE_1), r.vcmm.contMemtypeLen(VCM_MEMTYPE_1)) : r.vcmm.create(start, SZ_16M)),
      (real) => {
        expect(real.type).toBe(oneToOne ? 'one-to-one' : 'device');
        m.vcms.push({ real, alive: true, oneToOne });
      },
    );
  }
  toString(): string {
    return `create(${this.kind})`;
  }
}

class Reserve implements fc.Command<Model, Real> {
  constructor(readonly v: number, readonly b: number, readonly len: number, readonly attr: number, readonly inBound: boolean) {}
  check(m: Readonly<Model>): boolean {
    return m.vcms.length > 0;
  }
  run(m: Model, r: Real): void {
    const bound = this.inBound ? pick(m.bounds, this.b) : undefined;
    const v = bound ? bound.vcm : (pick(m.vcms, this.v) as MV);
    let expected: Expect = 'ok-or-ENOMEM';
    if (bound ? !bound.alive : !v.alive) expected = 'EINVAL';
    else if (bound && this.len > bound.real.len) expected = 'EINVAL';
    step(
      m,
      r,
      expected,
      () => (bound ? bound.real.reserve(this.len, this.attr) : v.real.reserve(this.len, this.attr)),
      (real) => {
        m.res.push({ real, vcm: v, bound, alive: true, len: this.len, policy: this.attr & 0xf, backedBy: undefined });
        if (bound) bound.count++;
      },
    );
  }
  toString(): string {
    return `reserve(${this.v}, ${this.len}, ${this.attr}${this.inBound ? `, bound ${this.b}` : ''})`;
  }
}

class Unreserve implements fc.Command<Model, Real> {
  constructor(readonly i: number) {}
  check(m: Readonly<Model>): boolean {
    return m.res.length > 0;
  }
  run(m: Model, r: Real): void {
    const x = pick(m.res, this.i) as MR;
    const expected: Expect = !x.alive ? 'EINVAL' : x.backedBy ? 'EBUSY' : 'ok';
    step(m, r, expected, () => x.real.unreserve(), () => {
      x.alive = false;
      if (x.bound) x.bound.count--;
    });
  }
  toString(): string {
    return `unreserve(${this.i})`;
  }
}

class PhysAlloc implements fc.Command<Model, Real> {
  constructor(readonly len: number, readonly cont: boolean) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const memtype = this.cont ? VCM_MEMTYPE_1 : VCM_MEMTYPE_0;
    step(m, r, 'ok-or-ENOMEM', () => r.vcmm.physAlloc(memtype, this.len, this.cont ? VCM_PHYS_CONT : 0), (real) => {
      m.pms.push({ real, alive: true, len: this.len, memtype });
    });
  }
  toString(): string {
    return `physAlloc(${this.len}, ${this.cont})`;
  }
}

class PhysFree implements fc.Command<Model, Real> {
  constructor(readonly i: number) {}
  check(m: Readonly<Model>): boolean {
    return m.pms.length > 0;
  }
  run(m: Model, r: Real): void {
    const p = pick(m.pms, this.i) as MP;
    const busy = m.res.some((x) => x.alive && x.backedBy === p);
    step(m, r, !p.alive ? 'EINVAL' : busy ? 'EBUSY' : 'ok', () => p.real.free(), () => {
      p.alive = false;
    });
  }
  toString(): string {
    return `physFree(${this.i})`;
  }
}

class Back implements fc.Command<Model, Real> {
  constructor(readonly i: number, readonly p: number) {}
  check(m: Readonly<Model>): boolean {
    return m.res.length > 0 && m.pms.length > 0;
  }
  run(m: Model, r: Real): void {
    const x = pick(m.res, this.i) as MR;
    const p = pick(m.pms, this.p) as MP;
    let expected: Expect = 'ok';
    const others = m.res.filter((y) => y.alive && y.backedBy === p);
    if (!x.alive || !p.alive || x.backedBy || x.len !== p.len) expected = 'EINVAL';
    else if (x.vcm.oneToOne && (p.memtype !== VCM_MEMTYPE_1 || others.some((y) => y.vcm === x.vcm))) expected = 'EINVAL';
    else if (others.some((y) => y.policy !== x.policy)) expected = 'EINVAL'; // docs/rules.md#aliasing
    step(m, r, expected, () => x.real.back(p.real), () => {
      x.backedBy = p;
    });
  }
  toString(): string {
    return `back(${this.i}, ${this.p})`;
  }
}

class Unback implements fc.Command<Model, Real> {
  constructor(readonly i: number) {}
  check(m: Readonly<Model>): boolean {
    return m.res.length > 0;
  }
  run(m: Model, r: Real): void {
    const x = pick(m.res, this.i) as MR;
    step(m, r, x.alive && x.backedBy ? 'ok' : 'EINVAL', () => x.real.unback(), () => {
      x.backedBy = undefined;
    });
  }
  toString(): string {
    return `unback(${this.i})`;
  }
}

class Assoc implements fc.Command<Model, Real> {
  constructor(readonly v: number, readonly d: number, readonly high: boolean) {}
  check(m: Readonly<Model>): boolean {
    return m.vcms.length > 0;
  }
  run(m: Model, r: Real): void {
    const v = pick(m.vcms, this.v) as MV;
    const dev = pick(r.devices, this.d) as Device;
    const direct = dev.driver.name === 'direct';
    const expected: Expect = !v.alive || direct !== v.oneToOne ? 'EINVAL' : 'ok';
    step(m, r, expected, () => v.real.assoc(dev, this.high ? VCM_USE_HIGH_BASE : 0), (real) => {
      m.assocs.push({ real, vcm: v, dev, alive: true, active: false, high: this.high });
    });
  }
  toString(): string {
    return `assoc(${this.v}, dev ${this.d}, ${this.high ? 'high' : 'low'})`;
  }
}

class Activate implements fc.Command<Model, Real> {
  constructor(readonly i: number) {}
  check(m: Readonly<Model>): boolean {
    return m.assocs.length > 0;
  }
  run(m: Model, r: Real): void {
    const a = pick(m.assocs, this.i) as MA;
    let expected: Expect = 'ok';
    if (!a.alive) expected = 'EINVAL';
    // Only device VCMs occupy a base register; one-to-one activation is reference counting.
    else if (a.active || (!a.vcm.oneToOne && m.assocs.some((o) => o !== a && o.alive && o.active && !o.vcm.oneToOne && o.dev === a.dev && o.high === a.high))) expected = 'EBUSY';
    step(m, r, expected, () => a.real.activate(), () => {
      a.active = true;
    });
  }
  toString(): string {
    return `activate(${this.i})`;
  }
}

class Deactivate implements fc.Command<Model, Real> {
  constructor(readonly i: number) {}
  check(m: Readonly<Model>): boolean {
    return m.assocs.length > 0;
  }
  run(m: Model, r: Real): void {
    const a = pick(m.assocs, this.i) as MA;
    step(m, r, !a.alive ? 'EINVAL' : a.active ? 'ok' : 'ENOENT', () => a.real.deactivate(), () => {
      a.active = false;
    });
  }
  toString(): string {
    return `deactivate(${this.i})`;
  }
}

class Deassoc implements fc.Command<Model, Real> {
  constructor(readonly i: number) {}
  check(m: Readonly<Model>): boolean {
    return m.assocs.length > 0;
  }
  run(m: Model, r: Real): void {
    const a = pick(m.assocs, this.i) as MA;
    step(m, r, !a.alive ? 'EINVAL' : a.active ? 'EBUSY' : 'ok', () => a.real.deassoc(), () => {
      a.alive = false;
    });
  }
  toString(): string {
    return `deassoc(${this.i})`;
  }
}

class FreeVcm implements fc.Command<Model, Real> {
  constructor(readonly v: number) {}
  check(m: Readonly<Model>): boolean {
    return m.vcms.length > 0;
  }
  run(m: Model, r: Real): void {
    const v = pick(m.vcms, this.v) as MV;
    const busy = m.res.some((x) => x.alive && x.vcm === v) || m.assocs.some((a) => a.alive && a.vcm === v);
    step(m, r, !v.alive ? 'EINVAL' : busy ? 'EBUSY' : 'ok', () => v.real.free(), () => {
      v.alive = false;
      for (const b of m.bounds) if (b.vcm === v) b.alive = false;
    });
  }
  toString(): string {
    return `free(${this.v})`;
  }
}

class CreateBound implements fc.Command<Model, Real> {
  constructor(readonly v: number, readonly len: number) {}
  check(m: Readonly<Model>): boolean {
    return m.vcms.length > 0;
  }
  run(m: Model, r: Real): void {
    const v = pick(m.vcms, this.v) as MV;
    step(m, r, !v.alive || v.oneToOne ? 'EINVAL' : 'ok-or-ENOMEM', () => v.real.createBound(this.len), (real) => {
      m.bounds.push({ real, vcm: v, alive: true, count: 0 });
    });
  }
  toString(): string {
    return `createBound(${this.v}, ${this.len})`;
  }
}

class FreeBound implements fc.Command<Model, Real> {
  constructor(readonly b: number) {}
  check(m: Readonly<Model>): boolean {
    return m.bounds.length > 0;
  }
  run(m: Model, r: Real): void {
    const b = pick(m.bounds, this.b) as MB;
    step(m, r, !b.alive ? 'EINVAL' : b.count > 0 ? 'EBUSY' : 'ok', () => b.real.free(), () => {
      b.alive = false;
    });
  }
  toString(): string {
    return `freeBound(${this.b})`;
  }
}

const idx = fc.nat({ max: 1000 });
const commands = [
  fc.integer({ min: 0, max: 3 }).map((k) => new Create(k)),
  fc.tuple(idx, idx, fc.constantFrom(...LENS), fc.constantFrom(...ATTRS), fc.boolean()).map(([v, b, l, a, inB]) => new Reserve(v, b, l, a, inB)),
  fc.tuple(idx, idx, fc.constantFrom(...LENS), fc.constantFrom(...ATTRS)).map(([v, b, l, a]) => new Reserve(v, b, l, a, false)),
  idx.map((i) => new Unreserve(i)),
  fc.tuple(fc.constantFrom(...LENS), fc.boolean()).map(([l, c]) => new PhysAlloc(l, c)),
  idx.map((i) => new PhysFree(i)),
  fc.tuple(idx, idx).map(([i, p]) => new Back(i, p)),
  fc.tuple(idx, idx).map(([i, p]) => new Back(i, p)),
  idx.map((i) => new Unback(i)),
  fc.tuple(idx, fc.nat({ max: 3 }), fc.boolean()).map(([v, d, h]) => new Assoc(v, d, h)),
  idx.map((i) => new Activate(i)),
  idx.map((i) => new Deactivate(i)),
  idx.map((i) => new Deassoc(i)),
  idx.map((v) => new FreeVcm(v)),
  fc.tuple(idx, fc.constantFrom(SZ_1M, SZ_2M, SZ_8M)).map(([v, l]) => new CreateBound(v, l)),
  idx.map((b) => new FreeBound(b)),
];

describe('the graph against a reference model (fast-check commands)', () => {
  afterAll(() => {
    // Acceptance: at least 10,000 steps in CI.
    expect(steps).toBeGreaterThanOrEqual(10_000);
  });

  it('random sequences keep every invariant and every failed call is atomic', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 200, size: 'max' }), (cmds) => {
        const { vcmm, allocator, iommu } = makeTestSystem({ memtype0: SZ_16M, memtype1: SZ_8M });
        const devices: Device[] = [iommu.device('ctx0'), iommu.device('ctx1'), createDirectDevice('dma0'), createDirectDevice('dma1')];
        const model: Model = { vcms: [], bounds: [], pms: [], res: [], assocs: [] };
        fc.modelRun(() => ({ model, real: { vcmm, iommu, devices } }), cmds);
        // Teardown frees everything the run allocated.
        vcmm.destroy();
        expect(allocator.liveAllocations).toBe(0);
        expect(iommu.liveSpaces.size).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
