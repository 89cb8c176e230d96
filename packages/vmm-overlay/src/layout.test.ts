import { describe, expect, it } from 'vitest';
import { SZ_1M, SZ_64M } from '@vcm/core';
import { msm8x60Memory } from '@vcm/physalloc';
import { PAGE_OFFSET, USER_MMAP_END, USER_MMAP_START, VMALLOC_END, computeLayout } from './layout.js';

describe('computeLayout', () => {
  const { memory } = msm8x60Memory();

  it('puts MSM8x60 lowmem at PAGE_OFFSET and vmalloc 8 MiB above its end', () => {
    const l = computeLayout(memory, [{ base: 0x4000_0000, size: 0x2000_0000 }]);
    expect(l.linearMap).toEqual([{ va: PAGE_OFFSET, pa: 0x4000_0000, size: 0x2000_0000 }]);
    expect(l.linearMapEnd).toBe(0xe000_0000);
    expect(l.vmallocStart).toBe(0xe080_0000);
    expect(l.vmallocEnd).toBe(VMALLOC_END);
    expect([l.userStart, l.userEnd]).toEqual([USER_MMAP_START, USER_MMAP_END]);
  });

  it('keeps holes between kernel RAM ranges as holes in the linear map (va = PAGE_OFFSET + pa − first base)', () => {
    const l = computeLayout(memory, [
      { base: 0x4800_0000, size: 16 * SZ_1M },
      { base: 0x3800_0000, size: 32 * SZ_1M },
    ]);
    expect(l.linearMap).toEqual([
      { va: 0xc000_0000, pa: 0x3800_0000, size: 32 * SZ_1M },
      { va: 0xd000_0000, pa: 0x4800_0000, size: 16 * SZ_1M },
    ]);
    expect(l.vmallocStart).toBe(0xd180_0000);
  });

  it('refuses unaligned, overlapping, non-RAM and oversized kernel RAM with EINVAL', () => {
    const bad = [
      [{ base: 0x4000_1000, size: SZ_1M }],
      [{ base: 0x4000_0000, size: 0x1000 }],
      [
        { base: 0x4000_0000, size: 2 * SZ_1M },
        { base: 0x4010_0000, size: SZ_1M },
      ],
      [{ base: 0x1000_0000, size: SZ_1M }],
      [{ base: 0x4000_0000, size: 0x3f00_0000 }],
      [],
    ];
    for (const ram of bad) {
      expect(() => computeLayout(memory, ram), JSON.stringify(ram)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    }
    // A range that would push vmalloc past 0xff00_0000 names the limit.
    expect(() => computeLayout(memory, [{ base: 0x3800_0000, size: SZ_64M }, { base: 0x7600_0000, size: SZ_1M }])).toThrow(/no vmalloc area/);
  });
});
