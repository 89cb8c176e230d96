/**
 * The exported functions of the formats given junk (docs/rules.md#validation):
 * `create`, `decodeConfig`, `walk`, `isWalkFault` and `protOfAttr` answer
 * `EINVAL` naming the parameter, and nothing is allocated or written.
 */
import { describe, expect, it } from 'vitest';
import { VCM_READ, VCM_WRITE, vcmAlignAttr } from '@vcm/core';
import { vcmErrorOf } from '@vcm/test-kit';
import { PROT_GLOBAL, PROT_PRIV, isWalkFault } from '../format.js';
import type { PageTableFormat } from '../format.js';
import { protOfAttr } from '../prot.js';
import { sizesLog2Of } from '../translation-table.js';
import { armLpae4k, armV7Short } from './index.js';
import { TestRam } from './test-ram.js';

/** The classes of bad value every exported function is tried with. */
const JUNK: readonly unknown[] = [Number.NaN, -1, 0.5, 2 ** 41, 'x', null, {}, [], () => 0, Symbol('s'), true];

describe.each([
  ['armV7Short', armV7Short],
  ['armLpae4k', armLpae4k],
] as Array<[string, PageTableFormat]>)('%s given junk', (name, format) => {
  it('create: junk memory, tables or options is EINVAL and allocates nothing', () => {
    const ram = new TestRam();
    const refuse = (memory: unknown, tables: unknown, options: unknown, param: string): void => {
      const e = vcmErrorOf(() => format.create(memory as never, tables as never, options as never));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toContain(`${name}.create`);
      expect(e.message).toContain(param);
      expect(ram.allocations).toBe(0);
    };
    for (const j of JUNK) {
      refuse(j, ram, undefined, 'memory');
      refuse(ram, j, undefined, 'tables');
    }
    for (const j of [Number.NaN, -1, 0.5, 2 ** 41, 'x', null, 5, [], true]) refuse(ram, ram, j, 'options');
    for (const split of [Number.NaN, -1, 1.5, 8, '2', null, {}]) refuse(ram, ram, { split }, 'options.split');
    for (const ttbr of [2, -1, '1', null, 0.5]) refuse(ram, ram, { split: 1, ttbr }, 'options.ttbr');
    refuse(ram, ram, { ttbr: 1 }, 'split of 1..7');
    for (const outputBits of [48, 31, '40', Number.NaN]) refuse(ram, ram, { outputBits }, 'options.outputBits');
    refuse(ram, ram, { spilt: 2 }, "unknown option 'spilt'");
  });

  it('walk: junk memory, config, va or trace is EINVAL; another format\'s configuration too', () => {
    const ram = new TestRam();
    const pt = format.create(ram, ram);
    const other = format === armV7Short ? armLpae4k.create(ram, ram) : armV7Short.create(ram, ram);
    const before = ram.digest();
    const refuse = (f: () => unknown, param: string): void => {
      const e = vcmErrorOf(f);
      expect(e.code).toBe('EINVAL');
      expect(e.message).toContain(`${name}.walk: ${param}`);
    };
    for (const j of JUNK) {
      refuse(() => format.walk(j as never, pt.walkConfig, 0), 'memory');
      refuse(() => format.walk(ram, j as never, 0), 'config');
      refuse(() => format.walk(ram, pt.walkConfig, j as never), 'va');
      if (j !== null && !Array.isArray(j)) refuse(() => format.walk(ram, pt.walkConfig, 0, j as never), 'trace');
    }
    refuse(() => format.walk(ram, pt.walkConfig, 2 ** 32), 'va');
    // A configuration spread from one the format made keeps the brand (here: the same table seen by a Non-secure walker).
    expect(isWalkFault(format.walk(ram, { ...pt.walkConfig, nonSecure: true }, 0))).toBe(true);
    expect(vcmErrorOf(() => format.walk(ram, other.walkConfig, 0)).message).toContain(`a ${other.format.name} configuration`);
    expect(ram.digest()).toBe(before);
  });

  it('PageTable methods given junk are EINVAL and change nothing', () => {
    const ram = new TestRam();
    const pt = format.create(ram, ram);
    pt.map(0x1000, 0x1000, 0x1000, VCM_READ);
    const before = ram.digest();
    for (const j of JUNK) {
      for (const f of [
        () => pt.map(j as never, 0x2000, 0x1000, VCM_READ),
        () => pt.map(0x2000, j as never, 0x1000, VCM_READ),
        () => pt.map(0x2000, 0x2000, j as never, VCM_READ),
        () => pt.map(0x2000, 0x2000, 0x1000, j as never),
        () => pt.mapRange(0x2000, 0x2000, j as never, VCM_READ),
        () => pt.unmap(j as never, 0x1000),
        () => pt.unmapRange(0x1000, j as never),
        () => pt.walk(j as never),
      ]) {
        expect(vcmErrorOf(f).code).toBe('EINVAL');
      }
    }
    expect(ram.digest()).toBe(before);
  });
});

describe('isWalkFault and protOfAttr given junk', () => {
  it('isWalkFault refuses what is not a walk outcome', () => {
    for (const j of [Number.NaN, -1, 'x', null, undefined, true]) expect(vcmErrorOf(() => isWalkFault(j as never)).code).toBe('EINVAL');
  });

  it('protOfAttr: a 32-bit attribute word of the header bits, the alignment field and the format extras; anything else EINVAL', () => {
    expect(protOfAttr(0)).toBe(VCM_READ | VCM_WRITE);
    expect(protOfAttr(VCM_READ | vcmAlignAttr(16) | PROT_GLOBAL | PROT_PRIV)).toBe(VCM_READ | PROT_GLOBAL | PROT_PRIV);
    for (const j of [...JUNK, undefined, 1 << 20, 2 ** 32]) {
      const e = vcmErrorOf(() => protOfAttr(j as never));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toContain('protOfAttr: attr');
    }
  });
});

describe('sizesLog2Of given junk', () => {
  it('answers EINVAL for what is not a format, and the log2 of each page size for a format', () => {
    expect(sizesLog2Of(armV7Short)).toEqual([12, 16, 20, 24]);
    expect(sizesLog2Of(armLpae4k)).toEqual([12, 21, 30]);
    for (const j of [...JUNK, undefined, { pageSizes: [3] }, { pageSizes: 'x' }]) expect(vcmErrorOf(() => sizesLog2Of(j as never)).code).toBe('EINVAL');
  });
});
