import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Listed, ReservationList } from './reservation-list.js';

class Item implements Listed<Item> {
  _prevInList: Item | undefined = undefined;
  _nextInList: Item | undefined = undefined;
  _inList = false;
  constructor(readonly n: number) {}
}

describe('ReservationList: a Set of live reservations without the hash table', () => {
  it('keeps insertion order, size and membership as a Set does under random adds and deletes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 15 })), { maxLength: 200, size: 'max' }), (ops) => {
        const items = Array.from({ length: 16 }, (_, n) => new Item(n));
        const list = new ReservationList<Item>();
        const set = new Set<Item>();
        for (const [add, n] of ops) {
          const item = items[n]!;
          if (add) {
            // A reservation is added once, when it is made: the list is never asked to add a member twice.
            if (set.has(item)) continue;
            list.add(item);
            set.add(item);
          } else {
            expect(list.delete(item)).toBe(set.delete(item));
          }
          expect(list.size).toBe(set.size);
          expect([...list].map((i) => i.n)).toEqual([...set].map((i) => i.n));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an iteration survives deleting the member it is at, and sees members appended during it, as a Set iteration does', () => {
    const items = [1, 2, 3, 4].map((n) => new Item(n));
    const list = new ReservationList<Item>();
    for (const i of items) list.add(i);
    const seen: number[] = [];
    for (const i of list) {
      seen.push(i.n);
      if (i.n === 3) list.add(new Item(5));
      if (i.n % 2 === 0) list.delete(i);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect([...list].map((i) => i.n)).toEqual([1, 3, 5]);
  });
});
