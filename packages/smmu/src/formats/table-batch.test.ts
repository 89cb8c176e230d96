/**
 * A bulk map takes its new tables in one `allocateTables` call when the
 * table memory has it (docs/performance.md#bulk-mapping): the tables land
 * at the addresses one `allocateTable` call each would give, so RAM holds
 * the same bytes either way.
 */
import { describe, expect, it } from 'vitest';
import { SZ_16M, SZ_1M, SZ_4K, VCM_READ, VCM_WB_WA, VCM_WRITE } from '@vcm/core';
import { msm8x60Memory } from '@vcm/physalloc';
import { vcmErrorOf } from '@vcm/test-kit';
import type { PageTableFormat, TableMemory } from '../format.js';
import { armLpae4k, armV7Short } from './index.js';

const PROT = VCM_READ | VCM_WRITE | VCM_WB_WA;
/** The start of MSM8x60's page-table region, past every table these tests take. */
const TABLES = { base: 0x6300_0000, len: 0x8_0000 };

describe.each([
  ['armV7Short', armV7Short],
  ['armLpae4k', armLpae4k],
] as Array<[string, PageTableFormat]>)('%s bulk map table memory', (_name, format) => {
  it('one allocateTables call gives the tables, RAM and table accounting of one allocateTable call each', () => {
    const batch = msm8x60Memory();
    const single = msm8x60Memory();
    let batchCalls = 0;
    const counted: TableMemory = {
      allocateTable: (s, a) => batch.allocator.allocateTable(s, a),
      freeTable: (pa, s) => batch.allocator.freeTable(pa, s),
      allocateTables: (s, a, n) => {
        batchCalls++;
        return batch.allocator.allocateTables(s, a, n);
      },
    };
    // Only the single-table calls: the fallback for table memory without allocateTables.
    const oneByOne: TableMemory = { allocateTable: (s, a) => single.allocator.allocateTable(s, a), freeTable: (pa, s) => single.allocator.freeTable(pa, s) };
    const a = format.create(batch.memory, counted);
    const b = format.create(single.memory, oneByOne);
    for (const pt of [a, b]) {
      pt.mapRange(0x4000_0000, 0x8000_1000, 40 * SZ_1M + 5 * SZ_4K, PROT);
      pt.unmapRange(0x4000_0000 + 3 * SZ_1M, 2 * SZ_1M); // two tables go back, leaving holes the next map fills first
      pt.mapRange(0x1000_0000, 0x9000_1000, 20 * SZ_1M, PROT);
    }
    expect(batchCalls).toBe(2); // the root is one allocateTable; each mapRange one allocateTables
    expect(a.tableBytes).toBe(b.tableBytes);
    expect([...a.leaves()]).toEqual([...b.leaves()]);
    expect(a.tableBytes).toBeLessThan(TABLES.len);
    expect(Buffer.from(batch.memory.read(TABLES.base, TABLES.len)).equals(single.memory.read(TABLES.base, TABLES.len))).toBe(true);
    expect(JSON.stringify(batch.allocator.stats().tables)).toBe(JSON.stringify(single.allocator.stats().tables));
  });

  it('table memory whose allocateTables answers the wrong count is EINVAL; what it gave goes back and nothing is mapped', () => {
    const { memory, allocator } = msm8x60Memory();
    const short: TableMemory = {
      allocateTable: (s, a) => allocator.allocateTable(s, a),
      freeTable: (pa, s) => allocator.freeTable(pa, s),
      allocateTables: (s, a, n) => allocator.allocateTables(s, a, n - 1),
    };
    const pt = format.create(memory, short);
    // The pool's high-water mark remembers what was briefly taken; everything else is as before.
    const tables = (): unknown => {
      const { highWaterBytes: _, ...rest } = allocator.stats().tables;
      return rest;
    };
    const before = tables();
    const e = vcmErrorOf(() => pt.mapRange(0, 0x8000_1000, SZ_16M, PROT));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain('allocateTables');
    expect(tables()).toEqual(before);
    expect(memory.hostBytes()).toBe(0);
    expect([...pt.leaves()]).toEqual([]);
  });
});
