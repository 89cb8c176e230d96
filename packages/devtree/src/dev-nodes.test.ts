import { describe, expect, it } from 'vitest';
import { SZ_1M } from '@vcm/core';
import { vcmErrorOf } from '@vcm/test-kit';
import { buildPlatform } from './platform.js';
import { seedExampleBoard } from './presets.js';

describe('mmap options (docs/rules.md#validation)', () => {
  it('refuses options that are not a plain { memtype?, attr?, physAttr? } with EINVAL naming what it got, changing nothing', () => {
    const p = buildPlatform(seedExampleBoard());
    const h = p.dev.open('/dev/ctx0', p.vmm.createProcess('a'));
    const before = p.snapshot();
    for (const [options, got] of [
      [null, 'null'],
      [[SZ_1M], 'an array'],
      [new Map(), 'a Map instance'],
      [7, 'the number 7'],
    ] as const) {
      const e = vcmErrorOf(() => h.mmap(SZ_1M, options as never));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toBe(`EINVAL: mmap /dev/ctx0 (fd ${h.fd}): options must be a plain object { memtype?, attr?, physAttr? }, got ${got}`);
      expect(e.details).toEqual({ param: 'options', value: got, expected: '{ memtype?, attr?, physAttr? }' });
    }
    expect(p.snapshot()).toEqual(before);
  });

  it('refuses a misspelt key rather than mapping from the default memory type, changing nothing', () => {
    const p = buildPlatform(seedExampleBoard());
    const h = p.dev.open('/dev/ctx0', p.vmm.createProcess('a'));
    const before = p.snapshot();
    const e = vcmErrorOf(() => h.mmap(SZ_1M, { memType: 2 } as never));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toBe(`EINVAL: mmap /dev/ctx0 (fd ${h.fd}): options.memType is not an option (known: memtype, attr, physAttr)`);
    expect(e.details).toEqual({ param: 'options.memType', value: 'memType', expected: 'memtype, attr, physAttr' });
    expect(p.snapshot()).toEqual(before);
    expect(h.mappings).toHaveLength(0);
  });
});
