import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VIEWS, decodeLocation, encodeLocation } from './url.js';
import type { Location } from './url.js';

describe('the URL encodes what is open, the step and the view', () => {
  it('round-trips any walk-through, shipped scenario or scenario text', () => {
    const source = fc.oneof(
      fc.record({ kind: fc.constant('walkthrough' as const), id: fc.string({ minLength: 1 }) }),
      fc.record({ kind: fc.constant('scenario' as const), name: fc.string({ minLength: 1 }) }),
      fc.record({ kind: fc.constant('text' as const), text: fc.string({ unit: 'binary' }) }),
    );
    fc.assert(
      fc.property(source, fc.nat(10_000), fc.constantFrom(...VIEWS), (s, step, view) => {
        const loc: Location = { source: s, step, view };
        expect(decodeLocation(encodeLocation(loc))).toEqual(loc);
      }),
    );
  });

  it('falls back to the first step of video-playback\'s graph for an empty or broken hash', () => {
    expect(decodeLocation('')).toEqual({ source: { kind: 'walkthrough', id: 'video-playback' }, step: 0, view: 'graph' });
    expect(decodeLocation('#s=-4&v=nope').step).toBe(0);
  });
});
