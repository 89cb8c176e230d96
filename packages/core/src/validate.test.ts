import { vcmErrorOf } from '@vcm/test-kit';
import { describe, expect, it } from 'vitest';
import { checkOptions } from './index.js';

const KEYS = ['memtype', 'attr'] as const;

class Handle {
  readonly id = 1;
}

describe('checkOptions: a plain options object with known keys (docs/rules.md#validation)', () => {
  it('returns a plain object, or one made by Object.create(null), as it was given', () => {
    const plain = { memtype: 1 };
    expect(checkOptions('f', 'options', plain, KEYS)).toBe(plain);
    expect(checkOptions('f', 'options', {}, KEYS)).toEqual({});
    const bare = Object.create(null) as Record<string, unknown>;
    bare['attr'] = 3;
    expect(checkOptions('f', 'options', bare, KEYS)).toBe(bare);
  });

  it('a key given as undefined is still a known key; a symbol key names no option and is left alone', () => {
    expect(checkOptions('f', 'options', { memtype: undefined }, KEYS)).toEqual({ memtype: undefined });
    const tag = Symbol('tag');
    const tagged = { [tag]: 1, attr: 0 };
    expect(checkOptions('f', 'options', tagged, KEYS)).toBe(tagged);
  });

  it('only own keys count: a key inherited from Object.prototype is not read as a misspelt option', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto['polluted'] = 1;
    try {
      expect(checkOptions('f', 'options', { memtype: 0 }, KEYS)).toEqual({ memtype: 0 });
    } finally {
      delete proto['polluted'];
    }
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['an array', [1], 'an array'],
    ['a class instance', new Handle(), 'a Handle instance'],
    ['a built-in instance', new Map(), 'a Map instance'],
    ['an instance whose class starts with a vowel', new Error('x'), 'an Error instance'],
    ['an object over another plain object', Object.create({ memtype: 1 }), 'an object whose prototype is not Object.prototype'],
    ['an object over a bare prototype', Object.create(Object.create(null)), 'an object whose prototype is not Object.prototype'],
    ['a function', () => 1, 'a function'],
    ['a number', 5, 'the number 5'],
    ['a string', 'lru', 'the string "lru"'],
    ['a boolean', true, 'true'],
    ['a bigint', 1n, 'the bigint 1'],
    ['a symbol', Symbol('s'), 'a symbol'],
  ])('refuses %s: EINVAL naming the call, the parameter, the shape and what it got', (_, value, got) => {
    const e = vcmErrorOf(() => checkOptions('vcmm.compact', 'options', value, ['contiguous', 'attr'], '{ contiguous, attr? }'));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toBe(`EINVAL: vcmm.compact: options must be a plain object { contiguous, attr? }, got ${got}`);
    expect(e.details).toEqual({ param: 'options', value: got, expected: '{ contiguous, attr? }' });
  });

  it('without a shape, the message spells every key as optional', () => {
    const e = vcmErrorOf(() => checkOptions('new Smmu', 'tlb', [32], ['entries', 'policy']));
    expect(e.message).toBe('EINVAL: new Smmu: tlb must be a plain object { entries?, policy? }, got an array');
    expect(e.details).toEqual({ param: 'tlb', value: 'an array', expected: '{ entries?, policy? }' });
  });

  it('refuses an unknown key: EINVAL naming it under the parameter, with the known keys', () => {
    const e = vcmErrorOf(() => checkOptions('vcmm.migrate', 'options', { memtype: 1, to: 2 }, KEYS));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toBe('EINVAL: vcmm.migrate: options.to is not an option (known: memtype, attr)');
    expect(e.details).toEqual({ param: 'options.to', value: 'to', expected: 'memtype, attr' });
    // A nested bag is named by its own parameter.
    expect(vcmErrorOf(() => checkOptions('new Smmu smmu0', 'tlb', { entires: 64 }, ['entries'])).message).toBe('EINVAL: new Smmu smmu0: tlb.entires is not an option (known: entries)');
  });

  it('refuses keys that are not an array of names (a mistake of the caller), saying what it got', () => {
    const e = vcmErrorOf(() => checkOptions('f', 'options', {}, 'memtype' as never));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain('checkOptions: keys must be the array of option names f accepts for options, got "memtype"');
    expect(e.details).toEqual({ param: 'keys' });
  });
});
