import { describe, expect, it } from 'vitest';
import { ERRNO, VcmError, isVcmError } from './errors.js';
import type * as errors from './errors.js';

type ErrorsModule = typeof errors;

// A query string makes the module loader evaluate errors.ts a second time:
// a second copy of the module with its own `VcmError` class, as a program
// with two installs of @vcm/core has.
async function secondCopy(): Promise<ErrorsModule> {
  const specifier = './errors.ts?second-copy';
  const other = (await import(/* @vite-ignore */ specifier)) as ErrorsModule;
  expect(other.VcmError).not.toBe(VcmError);
  return other;
}

describe('VcmError identity', () => {
  it('carries the code, the errno and the details, and prefixes the message with the code', () => {
    const e = new VcmError('EFAULT', 'device address 0x1000 is not mapped', { addr: 0x1000 });
    expect(e.code).toBe('EFAULT');
    expect(e.errno).toBe(ERRNO.EFAULT);
    expect(e.errno).toBe(14);
    expect(e.message).toBe('EFAULT: device address 0x1000 is not mapped');
    expect(e.details).toEqual({ addr: 0x1000 });
    expect(e.name).toBe('VcmError');
    expect(e).toBeInstanceOf(Error);
  });

  it('isVcmError checks the code when one is given', () => {
    const e = new VcmError('EBUSY', 'still associated');
    expect(isVcmError(e)).toBe(true);
    expect(isVcmError(e, 'EBUSY')).toBe(true);
    expect(isVcmError(e, 'EINVAL')).toBe(false);
  });

  it('refuses look-alikes: a plain Error, an object with a code, null, a string', () => {
    const plain = Object.assign(new Error('EINVAL: x'), { code: 'EINVAL' });
    for (const v of [plain, { code: 'EINVAL', errno: 22 }, null, undefined, 'EINVAL', 22]) {
      expect(isVcmError(v)).toBe(false);
      expect(v instanceof VcmError).toBe(false);
    }
  });

  it('recognises an error thrown by a second copy of the module, with its code, by isVcmError and instanceof', async () => {
    const other = await secondCopy();
    const foreign = new other.VcmError('EFAULT', 'translation fault at 0x4000_0000');
    expect(isVcmError(foreign)).toBe(true);
    expect(isVcmError(foreign, 'EFAULT')).toBe(true);
    expect(isVcmError(foreign, 'EINVAL')).toBe(false);
    expect(foreign instanceof VcmError).toBe(true);
    // and the other way round
    const ours = new VcmError('ENOMEM', 'pool exhausted');
    expect(other.isVcmError(ours, 'ENOMEM')).toBe(true);
    expect(ours instanceof other.VcmError).toBe(true);
  });

  it('keeps the ordinary prototype test for a subclass', () => {
    class Narrow extends VcmError {}
    expect(new Narrow('EINVAL', 'x') instanceof Narrow).toBe(true);
    expect(new VcmError('EINVAL', 'x') instanceof Narrow).toBe(false);
    expect(new Narrow('EINVAL', 'x') instanceof VcmError).toBe(true);
  });
});
