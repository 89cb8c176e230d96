/**
 * Linux's io-pgtable self-test scenarios (`arm_v7s_do_selftests`,
 * `arm_lpae_run_tests`), re-expressed for both formats: an empty table
 * translates nothing; for each page size: map, an overlapping map is
 * refused, a translate inside the page, a full unmap stops translation,
 * and a write-only remap works. Offsets go beyond Linux's "+42" into the
 * bits a broken walk would drop: [15:12] of a 64 KiB page, [23:12] of a
 * supersection, [20:12] of a 2 MiB block.
 */
import { describe, expect, it } from 'vitest';
import { SZ_16M, SZ_1G, SZ_1M, SZ_2M, SZ_64K, VCM_EXECUTE, VCM_READ, VCM_WB_WA, VCM_WRITE, isVcmError } from '@vcm/core';
import type { PageTableFormat } from '../format.js';
import { armLpae4k, armV7Short } from './index.js';
import { TestRam } from './test-ram.js';

/** An offset inside a page of `size` with every address bit below the size set in a telling pattern. */
function offsetsFor(size: number): number[] {
  const out = [0, 42, size - 1];
  if (size >= SZ_64K) out.push(0xa042); // bits [15:12]
  if (size >= SZ_1M) out.push(0xf_5123);
  if (size >= SZ_2M) out.push(0x1a_b000 + 0x7ff); // bits [20:12]
  if (size >= SZ_16M) out.push(0xab_c000 + 0x123); // bits [23:12]
  if (size >= SZ_1G) out.push(0x2345_6789);
  return out.filter((o) => o < size);
}

const formats: Array<[string, PageTableFormat]> = [
  ['armV7Short', armV7Short],
  ['armLpae4k', armLpae4k],
];

describe.each(formats)('io-pgtable self-test: %s', (_name, format) => {
  it('an empty table translates nothing', () => {
    const ram = new TestRam();
    const pt = format.create(ram, ram);
    for (const va of [0, 42, SZ_1M, SZ_1G, 0xffff_f000, 0xffff_ffff]) expect(pt.walk(va)).toBeUndefined();
    expect([...pt.leaves()]).toEqual([]);
  });

  for (const size of format.pageSizes) {
    it(`page size ${size / 1024} KiB: map, overlap refused, translate, unmap, remap write-only`, () => {
      const ram = new TestRam();
      const pt = format.create(ram, ram);
      const prot = VCM_READ | VCM_WRITE | VCM_EXECUTE | VCM_WB_WA;
      // Like Linux's test, walk the input space in steps of the page size; use a PA that is not the VA.
      const va = size >= SZ_1G ? SZ_1G : 3 * size;
      const pa = size >= SZ_1G ? 2 * SZ_1G : 7 * size;
      pt.map(va, pa, size, prot);

      // Overlapping maps: the same page, a smaller page inside it, a larger page around it.
      let refused = 0;
      let tried = 0;
      for (const other of format.pageSizes) {
        const at = va - (va % other);
        if (at + other > pt.inputSize) continue;
        tried++;
        try {
          pt.map(other < size ? va + size - other : at, 0, other, prot);
        } catch (e) {
          expect(isVcmError(e, 'EBUSY')).toBe(true);
          refused++;
        }
      }
      expect(refused).toBe(tried);
      expect([...pt.leaves()].map((l) => [l.va, l.pa, l.size])).toEqual([[va, pa, size]]);

      for (const off of offsetsFor(size)) {
        const w = pt.walk(va + off);
        expect(w?.pa, `offset ${off.toString(16)}`).toBe(pa + off);
        expect(w?.size).toBe(size);
      }

      pt.unmap(va, size);
      for (const off of offsetsFor(size)) expect(pt.walk(va + off)).toBeUndefined();

      // Remap write-only: succeeds, translates, is writable (and, the formats being unable to say write-only, readable).
      pt.map(va, pa, size, VCM_WRITE);
      const w = pt.walk(va + size / 2);
      expect(w?.pa).toBe(pa + size / 2);
      expect(w?.writable).toBe(true);
      expect(w?.executable).toBe(false);
      pt.unmap(va, size);
      expect(pt.tableBytes).toBe(format === armV7Short ? 0x4000 : 0x400);
    });
  }
});
