import { describe, expect, it } from 'vitest';
import * as c from './index.js';

// Values transcribed from include/linux/vcm.h (seed 001); the expression the
// header uses is in the comment so a reader can check each line.
describe('vcm.h constants are bit-exact', () => {
  it.each([
    ['VCM_READ', c.VCM_READ, 0x200], // 1UL << 9
    ['VCM_WRITE', c.VCM_WRITE, 0x100], // 1UL << 8
    ['VCM_EXECUTE', c.VCM_EXECUTE, 0x80], // 1UL << 7
    ['VCM_USER', c.VCM_USER, 0x40], // 1UL << 6
    ['VCM_SUPERVISOR', c.VCM_SUPERVISOR, 0x20], // 1UL << 5
    ['VCM_SECURE', c.VCM_SECURE, 0x10], // 1UL << 4
    ['VCM_CACHE_POLICY', c.VCM_CACHE_POLICY, 0xf], // 0xF << 0
    ['VCM_NOTCACHED', c.VCM_NOTCACHED, 0],
    ['VCM_WB_WA', c.VCM_WB_WA, 1],
    ['VCM_WB_NWA', c.VCM_WB_NWA, 2],
    ['VCM_WT', c.VCM_WT, 3],
    ['VCM_ALIGN_SHIFT', c.VCM_ALIGN_SHIFT, 10],
    ['VCM_ALIGN_MASK', c.VCM_ALIGN_MASK, 0x1f],
    ['VCM_ALIGN_DEFAULT', c.VCM_ALIGN_DEFAULT, 0],
    ['VCM_ALIGN_4K', c.VCM_ALIGN_4K, 12 << 10],
    ['VCM_ALIGN_64K', c.VCM_ALIGN_64K, 16 << 10],
    ['VCM_ALIGN_1M', c.VCM_ALIGN_1M, 20 << 10],
    ['VCM_ALIGN_16M', c.VCM_ALIGN_16M, 24 << 10],
    ['VCM_ALIGN_1GB', c.VCM_ALIGN_1GB, 30 << 10],
    ['VCM_4KB', c.VCM_4KB, 0x20], // 1UL << 5
    ['VCM_64KB', c.VCM_64KB, 0x10], // 1UL << 4
    ['VCM_1MB', c.VCM_1MB, 0x8], // 1UL << 3
    ['VCM_ALL', c.VCM_ALL, 0x4], // 1UL << 2
    ['VCM_PAGE_SEL_MASK', c.VCM_PAGE_SEL_MASK, 0x3c], // 0xFUL << 2
    ['VCM_PHYS_CONT', c.VCM_PHYS_CONT, 0x2], // 1UL << 1
    ['VCM_COHERENT', c.VCM_COHERENT, 0x1], // 1UL << 0
    ['VCM_SPLIT', c.VCM_SPLIT, 0x8], // 1UL << 3
    ['VCM_USE_LOW_BASE', c.VCM_USE_LOW_BASE, 0x4], // 1UL << 2
    ['VCM_USE_HIGH_BASE', c.VCM_USE_HIGH_BASE, 0x2], // 1UL << 1
    ['VCM_PREBUILT_KERNEL', c.VCM_PREBUILT_KERNEL, 1],
    ['VCM_PREBUILT_USER', c.VCM_PREBUILT_USER, 2],
    ['VCM_START', c.VCM_START, 0],
    ['VCM_INVALID', c.VCM_INVALID, 0],
    ['VCM_MEMTYPE_0', c.VCM_MEMTYPE_0, 1],
    ['VCM_MEMTYPE_1', c.VCM_MEMTYPE_1, 2],
    ['VCM_MEMTYPE_2', c.VCM_MEMTYPE_2, 3],
    ['VCM_DEVICE', c.VCM_DEVICE, 0],
    ['VCM_EXT_KERNEL', c.VCM_EXT_KERNEL, 1],
    ['VCM_EXT_USER', c.VCM_EXT_USER, 2],
    ['VCM_ONE_TO_ONE', c.VCM_ONE_TO_ONE, 3],
    ['SHIFT_4KB', c.SHIFT_4KB, 12],
  ])('%s = %i', (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });

  it('every VCM_ALIGN_<size> is VCM_ALIGN_ATTR(log2 size)', () => {
    const sizes: Array<[number, number]> = [
      [c.VCM_ALIGN_4K, 12], [c.VCM_ALIGN_8K, 13], [c.VCM_ALIGN_16K, 14], [c.VCM_ALIGN_32K, 15],
      [c.VCM_ALIGN_64K, 16], [c.VCM_ALIGN_128K, 17], [c.VCM_ALIGN_256K, 18], [c.VCM_ALIGN_512K, 19],
      [c.VCM_ALIGN_1M, 20], [c.VCM_ALIGN_2M, 21], [c.VCM_ALIGN_4M, 22], [c.VCM_ALIGN_8M, 23],
      [c.VCM_ALIGN_16M, 24], [c.VCM_ALIGN_32M, 25], [c.VCM_ALIGN_64M, 26], [c.VCM_ALIGN_128M, 27],
      [c.VCM_ALIGN_256M, 28], [c.VCM_ALIGN_512M, 29], [c.VCM_ALIGN_1GB, 30],
    ];
    for (const [attr, order] of sizes) {
      expect(attr).toBe((order & 0x1f) << 10);
      expect(c.vcmAlignOrder(attr)).toBe(order);
    }
  });

  it('alignment field of physical attributes follows ALIGN_REQ_BYTES (0 = 4 KB)', () => {
    expect(c.VCM_ALIGNMENT_MASK).toBe(0x1f << 6);
    expect(c.alignReqBytes(0)).toBe(c.SZ_4K);
    expect(c.alignReqBytes(c.setAlignReqBytes(0, 4))).toBe(c.SZ_64K);
    expect(c.alignReqBytes(c.vcmPhysAlignAttr(c.SZ_1M))).toBe(c.SZ_1M);
    expect(c.vcmPhysAlignAttr(c.SZ_4K)).toBe(0);
    expect(() => c.vcmPhysAlignAttr(3000)).toThrow(c.VcmError); // EINVAL: not a power of two
    // the page-selection and contiguity bits do not overlap the alignment field
    expect(c.VCM_ALIGNMENT_MASK & (c.VCM_PAGE_SEL_MASK | c.VCM_PHYS_CONT | c.VCM_COHERENT)).toBe(0);
  });

  it('split attribute keeps the flag and puts N in bits [8:4]', () => {
    expect(c.vcmSplitAttr(0)).toBe(c.VCM_SPLIT);
    expect(c.vcmSplitAttr(3)).toBe(0x8 | (3 << 4));
    expect(c.vcmSplitWidth(c.vcmSplitAttr(7) | c.VCM_USE_HIGH_BASE)).toBe(7);
    expect(c.vcmSplitWidth(c.VCM_USE_LOW_BASE)).toBe(0);
  });

  it('sizes are the powers of two of linux/sizes.h', () => {
    expect([c.SZ_1K, c.SZ_4K, c.SZ_64K, c.SZ_1M, c.SZ_2M, c.SZ_16M, c.SZ_128M]).toEqual([
      1024, 4096, 65536, 1048576, 2097152, 16777216, 134217728,
    ]);
  });

  it('natural alignment is 1 MiB, 64 KiB or 4 KiB by length', () => {
    expect(c.naturalAlignment(c.SZ_16M)).toBe(c.SZ_1M);
    expect(c.naturalAlignment(c.SZ_1M)).toBe(c.SZ_1M);
    expect(c.naturalAlignment(c.SZ_1M - c.SZ_4K)).toBe(c.SZ_64K);
    expect(c.naturalAlignment(c.SZ_64K)).toBe(c.SZ_64K);
    expect(c.naturalAlignment(c.SZ_4K)).toBe(c.SZ_4K);
  });
});

describe('VcmError and input checks', () => {
  it('carries the code, the Linux errno and details', () => {
    const e = new c.VcmError('EBUSY', 'vcm_free: VCM #1 has 2 reservations', { reservations: 2 });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('EBUSY');
    expect(e.errno).toBe(16);
    expect(e.details).toEqual({ reservations: 2 });
    expect(c.isVcmError(e, 'EBUSY')).toBe(true);
    expect(c.isVcmError(e, 'EINVAL')).toBe(false);
    expect(c.ERRNO).toEqual({ EPERM: 1, ENOENT: 2, EAGAIN: 11, ENOMEM: 12, EFAULT: 14, EBUSY: 16, ENODEV: 19, EINVAL: 22 });
  });

  it.each([NaN, -4096, 4096.5, 0, 100, Infinity, '4096', undefined])('checkLength rejects %s naming the parameter', (v) => {
    try {
      c.checkLength('vcm_reserve', 'len', v);
      expect.unreachable();
    } catch (e) {
      expect(c.isVcmError(e, 'EINVAL')).toBe(true);
      expect((e as c.VcmError).message).toMatch(/vcm_reserve: len must be a positive multiple of 4 KiB/);
      expect((e as c.VcmError).details['param']).toBe('len');
    }
  });

  it('checkAligned, checkUint and checkAttr accept good values and name bad ones', () => {
    expect(c.checkAligned('f', 'pa', 0x10000, c.SZ_64K)).toBe(0x10000);
    expect(() => c.checkAligned('f', 'pa', 0x11000, c.SZ_64K)).toThrow(/pa must be an address aligned to 64 KiB, got 69632 \(0x0001_1000\)/);
    expect(c.checkUint('f', 'off', 0)).toBe(0);
    expect(() => c.checkUint('f', 'off', -1)).toThrow(/off must be an integer/);
    expect(c.checkAttr('f', 'attr', c.VCM_READ, c.VCM_READ | c.VCM_WRITE)).toBe(c.VCM_READ);
    expect(() => c.checkAttr('f', 'attr', 1 << 20, c.VCM_READ)).toThrow(/unknown bits 0x0010_0000/);
  });

  it('hex groups digits and formatSize picks exact units', () => {
    expect(c.hex(0x38000000)).toBe('0x3800_0000');
    expect(c.hex(0x1_0000_0000)).toBe('0x1_0000_0000');
    expect(c.formatSize(c.SZ_2M + c.SZ_4K)).toBe('2052 KiB');
    expect(c.formatSize(c.SZ_16M)).toBe('16 MiB');
  });
});
