import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { closestNames, editDistance } from './suggest.js';

describe('editDistance', () => {
  it('counts single-character edits', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('vcodec_a_mm1', 'vcodec_b_mm2')).toBe(2);
    expect(editDistance('', 'ctx0')).toBe(4);
  });

  it('is a metric: zero only for equal strings, symmetric, triangle inequality', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b, c) => {
        expect(editDistance(a, b) === 0).toBe(a === b);
        expect(editDistance(a, b)).toBe(editDistance(b, a));
        expect(editDistance(a, c)).toBeLessThanOrEqual(editDistance(a, b) + editDistance(b, c));
      }),
    );
  });
});

describe('closestNames', () => {
  it('offers the nearest names first and nothing far away', () => {
    expect(closestNames('ctx4', ['ctx0', 'ctx1', 'vcodec_a_mm1'])).toEqual(['ctx0', 'ctx1']);
    expect(closestNames('VCODEC_STREAM', ['vcodec_stream', 'rot_src'])).toEqual(['vcodec_stream']);
    expect(closestNames('qqqqqqqq', ['ctx0'])).toEqual([]);
  });
});
