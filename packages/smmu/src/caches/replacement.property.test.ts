/**
 * Placement and replacement against a plain model: random fills (`claim`),
 * hits (`touch`), releases, locks and unlocks on caches of 1 to 40 ways in
 * 1 to 4 sets, LRU and FIFO. Sets of up to 8 ways find their victim by a
 * scan of stamps, larger ones from a list kept in stamp order lazily
 * (caches/replacement.ts); the model keeps each set as a list, most recent
 * first, and its free ways as a stack. After every operation each set
 * lists the same slots in the same order, and every fill takes the slot
 * the model takes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NONE, Replacement } from './replacement.js';

type Op =
  | { readonly kind: 'claim'; readonly set: number }
  | { readonly kind: 'touch' | 'release' | 'lock' | 'unlock'; readonly pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.nat().map((set): Op => ({ kind: 'claim', set })), weight: 4 },
  { arbitrary: fc.nat().map((pick): Op => ({ kind: 'touch', pick })), weight: 4 },
  { arbitrary: fc.nat().map((pick): Op => ({ kind: 'release', pick })), weight: 1 },
  { arbitrary: fc.nat().map((pick): Op => ({ kind: 'lock', pick })), weight: 1 },
  { arbitrary: fc.nat().map((pick): Op => ({ kind: 'unlock', pick })), weight: 1 },
);

/** One set as the model sees it: slots in use, most recent first; free ways as a stack (popped from the end). */
interface ModelSet {
  used: number[];
  free: number[];
}

describe('Replacement', () => {
  for (const policy of ['lru', 'fifo'] as const) {
    it(`takes the victim a recency list would take, scanned or queued (${policy})`, () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 9, max: 40 })),
          fc.constantFrom(1, 2, 4),
          fc.array(op, { minLength: 50, maxLength: 600, size: 'max' }),
          (ways, sets, ops) => {
            const place = new Replacement(ways * sets, ways, policy, 0);
            const model: ModelSet[] = Array.from({ length: sets }, (_, set) => ({
              used: [],
              // Popped lowest first, as `clear` stacks them.
              free: Array.from({ length: ways }, (_, i) => set * ways + ways - 1 - i),
            }));
            const locked = new Set<number>();
            const inUse = (): number[] => model.flatMap((m) => m.used);
            for (const o of ops) {
              if (o.kind === 'claim') {
                const set = o.set % sets;
                const m = model[set]!;
                // A full set with every way locked has no victim: the TLB never asks (a set keeps one unlocked way).
                if (m.free.length === 0 && m.used.every((s) => locked.has(s))) continue;
                const full = m.free.length === 0;
                let expected: number;
                if (!full) expected = m.free.pop()!;
                else {
                  expected = [...m.used].reverse().find((s) => !locked.has(s))!;
                  m.used.splice(m.used.indexOf(expected), 1);
                }
                m.used.unshift(expected);
                expect(place.claim(set)).toBe(expected);
                expect(place.claimedVictim).toBe(full);
              } else {
                const all = inUse();
                if (all.length === 0) continue;
                const s = all[o.pick % all.length]!;
                const m = model[Math.floor(s / ways)]!;
                if (o.kind === 'touch') {
                  if (policy === 'lru') {
                    place.touch(s);
                    m.used.splice(m.used.indexOf(s), 1);
                    m.used.unshift(s);
                  }
                } else if (o.kind === 'release') {
                  place.release(s);
                  m.used.splice(m.used.indexOf(s), 1);
                  m.free.push(s);
                  locked.delete(s);
                } else if (o.kind === 'lock') {
                  if (!place.canLock(s)) continue;
                  place.lock(s);
                  locked.add(s);
                } else {
                  place.unlock(s);
                  locked.delete(s);
                }
              }
              for (let set = 0; set < sets; set++) expect([...place.inSet(set)]).toEqual(model[set]!.used);
              expect(place.used).toBe(inUse().length);
              expect(place.lockedCount).toBe(locked.size);
            }
          },
        ),
        { numRuns: 100 },
      );
    });
  }

  it('a full set with every way but one locked gives up that one, again and again', () => {
    const place = new Replacement(16, 16, 'lru', 0);
    for (let i = 0; i < 16; i++) place.claim(0);
    for (let s = 0; s < 15; s++) place.lock(s);
    expect(place.canLock(15)).toBe(false);
    for (let i = 0; i < 5; i++) {
      expect(place.victim(0)).toBe(15);
      place.touch(3);
    }
    expect(place.victim(0)).not.toBe(NONE);
  });
});
