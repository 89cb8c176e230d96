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
import { SZ_16M, SZ_1G, SZ_1M, SZ_2M, SZ_4K, SZ_64K, VCM_EXECUTE, VCM_READ, VCM_WB_WA, VCM_WRITE, isVcmError } from '@vcm/core';
import { vcmErrorOf } from '@vcm/test-kit';
import type { PageTable, PageTableFormat } from '../format.js';
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

/*
 * The sequences themselves, step by step as Linux runs them (described
 * here, not copied): Linux's `iova_to_phys` is our walk, "no-exec" is a
 * prot without VCM_EXECUTE, "cache" is a cacheable policy, and a refused
 * map is Linux's -EEXIST (EBUSY here).
 *
 * 1. A new table translates nothing at 42, 1 GiB + 42 and 2 GiB + 42.
 * 2. For every supported page size, smallest first, at its own slot
 *    (v7s: 16 MiB apart; LPAE: 1 GiB apart), map the slot to itself with
 *    one page of that size (read/write, no-exec, cache); mapping the same
 *    slot again to a different output (read, no-exec) is refused; slot + 42
 *    translates to slot + 42.
 * 3. Partial unmap: take the smallest page out of the second slot, which
 *    holds a larger page. Linux before 6.13 split the larger page there and
 *    then remapped the hole read-only to a new output; since 6.13 the unmap
 *    is refused and the larger page stays, which is what this project does.
 * 4. Full unmap: for every slot, unmap the page whole (then slot + 42
 *    translates to nothing), map it again write-only, and slot + 42
 *    translates to slot + 42 once more.
 *
 * v7s runs this once (32-bit output, the short format's supersections reach
 * 40 bits, so the output size only matters to LPAE); LPAE runs it with the 4
 * KiB granule (4 KiB, 2 MiB, 1 GiB) for each output size this design uses,
 * 32, 36 and 40 bits, and here also checks the top page of each output space
 * and the refusal of the first address above it (Linux: -ERANGE).
 */
function linuxSequence(pt: PageTable, sizes: readonly number[], slot: number): void {
  const rwCache = VCM_READ | VCM_WRITE | VCM_WB_WA;
  for (const va of [42, SZ_1G + 42, 2 * SZ_1G + 42]) expect(pt.walk(va)).toBeUndefined();

  sizes.forEach((size, i) => {
    const iova = i * slot;
    pt.map(iova, iova, size, rwCache);
    expect(vcmErrorOf(() => pt.map(iova, iova + size, size, VCM_READ)).code).toBe('EBUSY');
    expect(pt.walk(iova + 42)?.pa).toBe(iova + 42);
  });

  const smallest = sizes[0] as number;
  const e = vcmErrorOf(() => pt.unmap(slot + smallest, smallest));
  expect(e.code).toBe('EINVAL');
  expect(pt.walk(slot + smallest + 42)?.pa).toBe(slot + smallest + 42);

  sizes.forEach((size, i) => {
    const iova = i * slot;
    expect(pt.unmap(iova, size)).toEqual({ va: iova, len: size });
    expect(pt.walk(iova + 42)).toBeUndefined();
    pt.map(iova, iova, size, VCM_WRITE);
    expect(pt.walk(iova + 42)?.pa).toBe(iova + 42);
  });
}

describe("Linux's sequences", () => {
  it('arm_v7s_do_selftests on armV7Short: 4 KiB, 64 KiB, 1 MiB and 16 MiB, 16 MiB apart', () => {
    const ram = new TestRam();
    const pt = armV7Short.create(ram, ram);
    linuxSequence(pt, armV7Short.pageSizes, SZ_16M);
    expect([...pt.leaves()].map((l) => [l.va, l.size])).toEqual(armV7Short.pageSizes.map((s, i) => [i * SZ_16M, s]));
  });

  for (const oas of [32, 36, 40]) {
    it(`arm_lpae_run_tests on armLpae4k, 4 KiB granule, ${oas}-bit output: 4 KiB, 2 MiB and 1 GiB, 1 GiB apart`, () => {
      const ram = new TestRam();
      const pt = armLpae4k.create(ram, ram, { outputBits: oas });
      linuxSequence(pt, armLpae4k.pageSizes, SZ_1G);
      // The top of the output space: the last page of each size maps; one page past it is refused.
      const top = 2 ** oas;
      pt.map(3 * SZ_1G, top - SZ_1G, SZ_1G, VCM_READ);
      expect(pt.walk(3 * SZ_1G + 0x1234_5678)?.pa).toBe(top - SZ_1G + 0x1234_5678);
      const before = ram.digest();
      for (const size of [SZ_4K, SZ_2M]) {
        const refused = vcmErrorOf(() => pt.map(0x3000_0000, top, size, VCM_READ));
        expect(refused.code).toBe('EINVAL');
        // Below 40 bits the table's own output size refuses it; at 40 bits the physical space itself does.
        expect(refused.message).toContain(oas < 40 ? `${oas}-bit output address space` : 'pa must be');
      }
      expect(vcmErrorOf(() => pt.mapRange(0x3000_0000, top - SZ_4K, 2 * SZ_4K, VCM_READ)).code).toBe('EINVAL');
      expect(ram.digest()).toBe(before);
    });
  }
});
