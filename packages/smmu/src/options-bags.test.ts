/**
 * The SMMU's options bags (`createContext`'s options, a TLB's options, a
 * DMA transfer's or stream's options) are checked by `checkOptions` of
 * `@vcm/core` (docs/rules.md#validation): one wording for "not a plain
 * object" and for a misspelt key, each naming the call and the parameter.
 */
import { describe, expect, it } from 'vitest';
import { vcmErrorOf } from '@vcm/test-kit';
import { Tlb, checkTlbOptions } from './tlb.js';
import { activeTestContext as active } from './test-smmu.js';

describe('options bags refused with EINVAL, naming the call, the parameter, what was given and what would be right', () => {
  it('createContext: a handle passed as options, and a misspelt key', () => {
    const { smmu, ctx } = active();
    const before = JSON.stringify(smmu.toJSON());
    const handle = vcmErrorOf(() => smmu.createContext(undefined, ctx as never));
    expect(handle.code).toBe('EINVAL');
    expect(handle.message).toBe('EINVAL: smmu0.createContext: options must be a plain object { name?, bank?, retryBudget?, privileged?, secure? }, got a SmmuContext instance');
    expect(handle.details).toEqual({ param: 'options', value: 'a SmmuContext instance', expected: '{ name?, bank?, retryBudget?, privileged?, secure? }' });
    const typo = vcmErrorOf(() => smmu.createContext(undefined, { name: 'x', bnak: 1 } as never));
    expect(typo.message).toBe('EINVAL: smmu0.createContext: options.bnak is not an option (known: name, bank, retryBudget, privileged, secure)');
    expect(typo.details).toEqual({ param: 'options.bnak', value: 'bnak', expected: 'name, bank, retryBudget, privileged, secure' });
    expect(JSON.stringify(smmu.toJSON())).toBe(before);
  });

  it('a TLB: new Tlb and checkTlbOptions name the configuring call and the tlb parameter', () => {
    const array = vcmErrorOf(() => new Tlb([32] as never, 'new Vmm'));
    expect(array.message).toBe('EINVAL: new Vmm: tlb must be a plain object { entries?, policy?, ways?, seed? }, got an array');
    expect(array.details).toEqual({ param: 'tlb', value: 'an array', expected: '{ entries?, policy?, ways?, seed? }' });
    expect(vcmErrorOf(() => checkTlbOptions(new Map())).message).toBe('EINVAL: new Smmu: tlb must be a plain object { entries?, policy?, ways?, seed? }, got a Map instance');
    const typo = vcmErrorOf(() => checkTlbOptions({ entires: 64 }, 'new Smmu smmu1'));
    expect(typo.message).toBe('EINVAL: new Smmu smmu1: tlb.entires is not an option (known: entries, policy, ways, seed)');
    expect(typo.details).toEqual({ param: 'tlb.entires', value: 'entires', expected: 'entries, policy, ways, seed' });
    // A bag made by Object.create(null) is as plain as a literal.
    const bare = Object.assign(Object.create(null) as object, { entries: 8 });
    expect(checkTlbOptions(bare).entries).toBe(8);
  });

  it('a DMA transfer or stream: null, a number, a misspelt key, before any access', () => {
    const { ctx, ram } = active();
    const before = ram.digest();
    expect(vcmErrorOf(() => ctx.dma.read(0, 16, null as never)).message).toBe('EINVAL: smmu0-ctx0.dma.read: options must be a plain object { onAccess? }, got null');
    expect(vcmErrorOf(() => ctx.dma.write(0, new Uint8Array(16), 5 as never)).message).toBe('EINVAL: smmu0-ctx0.dma.write: options must be a plain object { onAccess? }, got the number 5');
    const typo = vcmErrorOf(() => ctx.dma.read(0, 16, { observer: () => {} } as never));
    expect(typo.message).toBe('EINVAL: smmu0-ctx0.dma.read: options.observer is not an option (known: onAccess)');
    expect(typo.details).toEqual({ param: 'options.observer', value: 'observer', expected: 'onAccess' });
    const stream = vcmErrorOf(() => ctx.dma.stream(0, 4096, { bursts: 64 } as never));
    expect(stream.message).toBe('EINVAL: smmu0-ctx0.dma.stream: options.bursts is not an option (known: burst, access, bytesPerSecond, onAccess)');
    expect(ram.digest()).toBe(before);
  });
});
