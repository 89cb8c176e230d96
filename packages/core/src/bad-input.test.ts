/**
 * Input is validated at the public boundary (docs/rules.md#validation). For
 * every
 * function taking a number or a handle: NaN, negative, fractional,
 * unaligned, oversize and zero values, freed handles and handles of another
 * Vcmm are an `EINVAL` whose message names the parameter, and nothing
 * changes (the snapshot is the same before and after).
 */
import { describe, expect, it } from 'vitest';
import {
  SZ_16M,
  SZ_1M,
  SZ_4K,
  SZ_64K,
  VCM_MEMTYPE_0,
  VCM_MEMTYPE_1,
  VcmError,
  alignDown,
  alignReqBytes,
  alignUp,
  createDirectDevice,
  isAligned,
  naturalAlignment,
  vcmAlignAttr,
  vcmAlignOrder,
  vcmPhysAlignAttr,
  vcmSplitAttr,
  vcmSplitWidth,
} from './index.js';
import { makeTestSystem } from './test-platform.js';

function fixture() {
  const sys = makeTestSystem({ withPrebuilt: true });
  const { vcmm, iommu } = sys;
  const dev = iommu.device('ctx');
  const vcm = vcmm.create(0, SZ_16M);
  const assoc = vcm.assoc(dev);
  assoc.activate();
  const res = vcm.reserve(SZ_64K);
  const pm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_64K);
  res.back(pm);
  const other = vcm.reserve(SZ_64K);
  other.back(vcmm.physAlloc(VCM_MEMTYPE_0, SZ_64K));
  const bound = vcm.createBound(SZ_1M);
  const spare = vcm.reserve(SZ_4K);
  const spareAssoc = vcmm.create(SZ_16M, SZ_16M).assoc(dev);
  // Stale handles of every kind.
  const freedVcm = vcmm.create(0, SZ_16M);
  freedVcm.free();
  const freedRes = vcm.reserve(SZ_4K);
  freedRes.unreserve();
  const freedPm = vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K);
  freedPm.free();
  const freedBound = vcm.createBound(SZ_1M);
  freedBound.free();
  const freedAssoc = vcm.assoc(iommu.device('gone'));
  freedAssoc.deassoc();
  // Handles of another Vcmm.
  const foreign = makeTestSystem();
  const fVcm = foreign.vcmm.create(0, SZ_16M);
  const fRes = fVcm.reserve(SZ_64K);
  const fPm = foreign.vcmm.physAlloc(VCM_MEMTYPE_0, SZ_64K);
  fRes.back(fPm);
  return { ...sys, iommu, dev, vcm, assoc, res, pm, other, bound, spare, spareAssoc, freedVcm, freedRes, freedPm, freedBound, freedAssoc, fVcm, fRes, fPm };
}

type F = ReturnType<typeof fixture>;

const NUMBERS: Array<[string, unknown]> = [
  ['NaN', NaN],
  ['negative', -SZ_4K],
  ['fractional', SZ_4K + 0.5],
  ['Infinity', Infinity],
  ['a string', '4096'],
];
const ADDR_OVERSIZE = 2 ** 53;
/** Device and physical addresses are 40-bit (docs/rules.md#numbers-and-addresses). */
const ADDR_40 = 2 ** 40;

/** [call, parameter name, bad values to feed it]. */
const NUMERIC: Array<[string, string, unknown[], (f: F, x: never) => unknown]> = [
  ['vcmm.create', 'startAddr', [ADDR_OVERSIZE], (f, x) => f.vcmm.create(x, SZ_16M)],
  ['vcmm.create', 'len', [0, 1000, 2 ** 41], (f, x) => f.vcmm.create(0, x)],
  ['vcmm.createFromPrebuilt', 'extVcmId', [], (f, x) => f.vcmm.createFromPrebuilt(x)],
  ['vcmm.physAlloc', 'memtype', [0, 99], (f, x) => f.vcmm.physAlloc(x, SZ_4K)],
  ['vcmm.physAlloc', 'len', [0, 1000, 2 ** 41], (f, x) => f.vcmm.physAlloc(VCM_MEMTYPE_0, x)],
  ['vcmm.physAlloc', 'attr', [2 ** 32, 1 << 20], (f, x) => f.vcmm.physAlloc(VCM_MEMTYPE_0, SZ_4K, x)],
  ['vcmm.mapPhysAddr', 'phys', [0x4000_0001, ADDR_OVERSIZE], (f, x) => f.vcmm.mapPhysAddr(x, SZ_4K)],
  ['vcmm.mapPhysAddr', 'len', [0, 1000, 2 ** 41], (f, x) => f.vcmm.mapPhysAddr(0x4000_0000, x)],
  ['vcmm.translate', 'srcDevAddr', [ADDR_OVERSIZE], (f, x) => f.vcmm.translate(x, f.vcm, f.vcm)],
  ['vcmm.physNumRes', 'phys', [ADDR_OVERSIZE, ADDR_40 + SZ_4K], (f, x) => f.vcmm.physNumRes(x)],
  ['vcmm.physReservations', 'phys', [ADDR_OVERSIZE, ADDR_40 + SZ_4K], (f, x) => f.vcmm.physReservations(x)],
  ['vcm.findRes', 'devAddr', [ADDR_OVERSIZE, ADDR_40 + SZ_4K], (f, x) => f.vcm.findRes(x)],
  ['vcmm.devAddrToPhysAddr', 'devAddr', [ADDR_40 + SZ_4K], (f, x) => f.vcmm.devAddrToPhysAddr(f.dev, x)],
  ['vcmm.physReservations', 'phys', [ADDR_OVERSIZE], (f, x) => f.vcmm.physReservations(x)],
  ['vcmm.contMemtypePa', 'memtype', [0, 99], (f, x) => f.vcmm.contMemtypePa(x)],
  ['vcmm.contMemtypeLen', 'memtype', [0, 99], (f, x) => f.vcmm.contMemtypeLen(x)],
  ['vcmm.devAddrToPhysAddr', 'devAddr', [ADDR_OVERSIZE], (f, x) => f.vcmm.devAddrToPhysAddr(f.dev, x)],
  ['vcm.reserve', 'len', [0, 1000, 32 * SZ_1M], (f, x) => f.vcm.reserve(x)],
  ['vcm.reserve', 'attr', [2 ** 32, 1 << 20, 4, 11 << 10], (f, x) => f.vcm.reserve(SZ_4K, x)],
  ['vcm.reserveAt', 'memtarget', [1], (f, x) => f.vcm.reserveAt(x, SZ_4K)],
  ['vcm.reserveAt', 'len', [0, 1000, 32 * SZ_1M], (f, x) => f.vcm.reserveAt(0, x)],
  ['vcm.createBound', 'len', [0, 1000, 32 * SZ_1M], (f, x) => f.vcm.createBound(x)],
  ['vcm.findRes', 'devAddr', [ADDR_OVERSIZE], (f, x) => f.vcm.findRes(x)],
  ['vcm.assoc', 'attr', [2 ** 32, 1 << 20, 6, 1 << 5], (f, x) => f.vcm.assoc(f.dev, x)],
  ['bound.reserve', 'len', [0, 1000, 2 * SZ_1M], (f, x) => f.bound.reserve(x)],
  ['bound.reserve', 'attr', [2 ** 32, 1 << 20], (f, x) => f.bound.reserve(SZ_4K, x)],
  ['res.setAttr', 'attr', [2 ** 32, 1 << 20, 5], (f, x) => f.res.setAttr(x)],
  ['res.copyTo', 'toOff', [SZ_64K], (f, x) => f.res.copyTo(f.other, x, 0, 1)],
  ['res.copyTo', 'fromOff', [SZ_64K], (f, x) => f.res.copyTo(f.other, 0, x, 1)],
  ['res.copyTo', 'len', [0, SZ_64K + 1], (f, x) => f.res.copyTo(f.other, 0, 0, x)],
  ['assoc.setAttr', 'attr', [2 ** 32, 1 << 20, 6], (f, x) => f.spareAssoc.setAttr(x)],
];

/** [call, what the message must name, the call with a stale or foreign handle]. */
const HANDLES: Array<[string, RegExp, (f: F) => unknown]> = [
  ['vcmm.clone (freed)', /VCM #\d+ was freed/, (f) => f.vcmm.clone(f.freedVcm)],
  ['vcmm.clone (foreign)', /vcm \(VCM #1\) belongs to another Vcmm/, (f) => f.vcmm.clone(f.fVcm)],
  ['vcmm.clone (not a VCM)', /vcm must be a VCM/, (f) => f.vcmm.clone(f.res as never)],
  ['vcmm.translate (foreign src)', /srcVcm .* belongs to another Vcmm/, (f) => f.vcmm.translate(0, f.fVcm, f.vcm)],
  ['vcmm.translate (freed dst)', /VCM #\d+ was freed/, (f) => f.vcmm.translate(0, f.vcm, f.freedVcm)],
  ['vcm.reserve (freed)', /VCM #\d+ was freed/, (f) => f.freedVcm.reserve(SZ_4K)],
  ['vcm.reserveAt (freed)', /VCM #\d+ was freed/, (f) => f.freedVcm.reserveAt(0, SZ_4K)],
  ['vcm.createBound (freed)', /VCM #\d+ was freed/, (f) => f.freedVcm.createBound(SZ_1M)],
  ['vcm.assoc (freed)', /VCM #\d+ was freed/, (f) => f.freedVcm.assoc(f.dev)],
  ['vcm.assoc (not a device)', /dev must be a device/, (f) => f.vcm.assoc({ name: 'x' } as never)],
  ['vcm.free (freed)', /VCM #\d+ was freed/, (f) => f.freedVcm.free()],
  ['vcm.findRes (freed)', /VCM #\d+ was freed/, (f) => f.freedVcm.findRes(0)],
  ['res.back (freed res)', /reservation #\d+ was unreserved/, (f) => f.freedRes.back(f.pm)],
  ['res.back (freed physmem)', /physmem #\d+ was freed/, (f) => f.spare.back(f.freedPm)],
  ['res.back (foreign physmem)', /physmem \(physmem #1\) belongs to another Vcmm/, (f) => f.spare.back(f.fPm)],
  ['res.back (not a physmem)', /physmem must be a physmem/, (f) => f.spare.back(null as never)],
  ['res.unback (freed)', /reservation #\d+ was unreserved/, (f) => f.freedRes.unback()],
  ['res.unreserve (freed)', /reservation #\d+ was unreserved/, (f) => f.freedRes.unreserve()],
  ['res.setAttr (freed)', /reservation #\d+ was unreserved/, (f) => f.freedRes.setAttr(0)],
  ['res.copyTo (foreign to)', /to \(reservation #1\) belongs to another Vcmm/, (f) => f.res.copyTo(f.fRes, 0, 0, 1)],
  ['res.copyTo (freed to)', /reservation #\d+ was unreserved/, (f) => f.res.copyTo(f.freedRes, 0, 0, 1)],
  ['res.devAddr (freed)', /reservation #\d+ was unreserved/, (f) => f.freedRes.devAddr],
  ['physmem.free (freed)', /physmem #\d+ was freed/, (f) => f.freedPm.free()],
  ['physmem.chunks (freed)', /physmem #\d+ was freed/, (f) => f.freedPm.chunks()],
  ['bound.reserve (freed)', /bound #\d+ was freed/, (f) => f.freedBound.reserve(SZ_4K)],
  ['bound.free (freed)', /bound #\d+ was freed/, (f) => f.freedBound.free()],
  ['assoc.activate (freed)', /association #\d+ was deassociated/, (f) => f.freedAssoc.activate()],
  ['assoc.deactivate (freed)', /association #\d+ was deassociated/, (f) => f.freedAssoc.deactivate()],
  ['assoc.deassoc (freed)', /association #\d+ was deassociated/, (f) => f.freedAssoc.deassoc()],
  ['assoc.setAttr (freed)', /association #\d+ was deassociated/, (f) => f.freedAssoc.setAttr(0)],
];

function rejects(f: F, call: () => unknown, code: string, names: string | RegExp): void {
  const before = JSON.stringify(f.vcmm.snapshot());
  const freeBytes = f.allocator.freeBytes(VCM_MEMTYPE_0);
  let err: unknown;
  try {
    call();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(VcmError);
  const e = err as VcmError;
  expect(e.code, e.message).toBe(code);
  if (typeof names === 'string') expect(e.message).toContain(names);
  else expect(e.message).toMatch(names);
  expect(JSON.stringify(f.vcmm.snapshot())).toBe(before);
  expect(f.allocator.freeBytes(VCM_MEMTYPE_0)).toBe(freeBytes);
}

describe('bad numbers are EINVAL naming the parameter, and change nothing', () => {
  const cases = NUMERIC.flatMap(([where, param, extra, call]) =>
    [...NUMBERS, ...extra.map((v): [string, unknown] => [String(v), v])].map(([label, value]) => ({ where, param, label, value, call })),
  );
  it.each(cases)('$where($param = $label)', ({ param, value, call }) => {
    const f = fixture();
    rejects(f, () => call(f, value as never), 'EINVAL', param);
  });
});

describe('stale, foreign and wrong handles are EINVAL naming the object, and change nothing', () => {
  it.each(HANDLES.map(([name, re, call]) => ({ name, re, call })))('$name', ({ re, call }) => {
    const f = fixture();
    rejects(f, () => call(f), 'EINVAL', re);
  });

  it('something that is not a device is EINVAL for devAddrToPhysAddr, hook and hwVersion, as for assoc', () => {
    const f = fixture();
    rejects(f, () => f.vcmm.devAddrToPhysAddr({} as never, 0), 'EINVAL', 'dev');
    rejects(f, () => f.vcmm.hook(null as never, () => 'retry'), 'EINVAL', 'dev');
    rejects(f, () => f.vcmm.hwVersion(42 as never), 'EINVAL', 'dev');
    rejects(f, () => f.vcmm.hook(f.dev, 'nope' as never), 'EINVAL', 'handler');
  });

  it('a one-to-one reservation has no device address before backing; a direct device refuses nothing it can hold', () => {
    const f = fixture();
    const o = f.vcmm.create(f.vcmm.contMemtypePa(VCM_MEMTYPE_1), f.vcmm.contMemtypeLen(VCM_MEMTYPE_1));
    const r = o.reserve(SZ_4K);
    rejects(f, () => r.devAddr, 'EINVAL', /no device address until it is backed/);
    rejects(f, () => f.vcm.assoc(createDirectDevice('d')), 'EINVAL', /takes one-to-one VCMs/);
  });
});

describe('the attribute helpers refuse what their field cannot hold (EINVAL, not RangeError or a silently masked value)', () => {
  const junk: unknown[] = [NaN, -1, 0.5, 2 ** 40 + 4096, '12', null, undefined, {}];
  it.each([
    ['vcmPhysAlignAttr', (x: never) => vcmPhysAlignAttr(x), [3, 2048, 3 * SZ_4K, 2 ** 44]],
    ['vcmAlignAttr', (x: never) => vcmAlignAttr(x), [1, 11, 31, 32]],
    ['vcmSplitAttr', (x: never) => vcmSplitAttr(x), [32]],
    ['vcmSplitWidth', (x: never) => vcmSplitWidth(x), [2 ** 32]],
    ['vcmAlignOrder', (x: never) => vcmAlignOrder(x), [2 ** 32]],
    ['alignReqBytes', (x: never) => alignReqBytes(x), [2 ** 32]],
    ['naturalAlignment', (x: never) => naturalAlignment(x), []],
    ['alignUp (align)', (x: never) => alignUp(SZ_4K, x), [0, 3, 4095]],
    ['alignDown (n)', (x: never) => alignDown(x, SZ_4K), []],
    ['isAligned (align)', (x: never) => isAligned(SZ_4K, x), [0, 3]],
  ] as Array<[string, (x: never) => unknown, unknown[]]>)('%s', (_name, call, extra) => {
    for (const x of [...junk, ...extra]) {
      let err: unknown;
      try {
        call(x as never);
      } catch (e) {
        err = e;
      }
      expect(err, `${_name}(${String(x)})`).toBeInstanceOf(VcmError);
      expect((err as VcmError).code).toBe('EINVAL');
    }
  });

  it('still computes the header values', () => {
    expect(vcmPhysAlignAttr(SZ_1M)).toBe(8 << 6);
    expect(vcmAlignAttr(20)).toBe(20 << 10);
    expect(vcmSplitAttr(2)).toBe(0x28);
    expect(vcmSplitWidth(0x28)).toBe(2);
    expect(alignUp(SZ_4K + 1, SZ_4K)).toBe(2 * SZ_4K);
    expect(alignDown(2 ** 40 - 1, SZ_1M)).toBe(2 ** 40 - SZ_1M);
    expect(isAligned(SZ_64K, SZ_4K)).toBe(true);
    expect(naturalAlignment(SZ_16M)).toBe(SZ_1M);
  });
});
