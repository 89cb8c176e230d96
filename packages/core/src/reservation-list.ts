/**
 * A VCM's live reservations in the order they were made: what a `Set`
 * gave (insertion order, `add`, `delete`, `size`, iteration) without its
 * hash table. V8's ordered hash sets rehash often under a steady delete
 * and add at some sizes — an add + delete pair of a fresh object cost 30 ns
 * with 1,000 or 100,000 members and 150 ns with 10,000 — and reserve +
 * unreserve is exactly that pattern (docs/performance.md#reservations-in-one-vcm).
 * The links live on the reservations, so both operations are a few stores.
 * Internal: a reservation is in at most one list, its VCM's.
 */

/** What the list needs of a member: its two links. */
export interface Listed<T> {
  /** @internal */
  _prevInList: T | undefined;
  /** @internal */
  _nextInList: T | undefined;
  /** @internal */
  _inList: boolean;
}

export class ReservationList<T extends Listed<T>> implements Iterable<T> {
  private head: T | undefined = undefined;
  private tail: T | undefined = undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Append `item` (not in a list). */
  add(item: T): void {
    item._prevInList = this.tail;
    item._nextInList = undefined;
    item._inList = true;
    if (this.tail === undefined) this.head = item;
    else this.tail._nextInList = item;
    this.tail = item;
    this.count++;
  }

  /** Unlink `item` when it is in the list; returns whether it was. */
  delete(item: T): boolean {
    if (!item._inList) return false;
    const p = item._prevInList;
    const n = item._nextInList;
    if (p === undefined) this.head = n;
    else p._nextInList = n;
    if (n === undefined) this.tail = p;
    else n._prevInList = p;
    item._prevInList = undefined;
    item._nextInList = undefined;
    item._inList = false;
    this.count--;
    return true;
  }

  /**
   * The members in order. As with a Set, the loop's body may delete the
   * member it is at, and members appended while that member is still in the
   * list are visited; unlike a Set, nothing appended after the current
   * member was deleted is (no caller does either: they copy the list first).
   */
  *[Symbol.iterator](): Iterator<T> {
    for (let x = this.head; x !== undefined; ) {
      const next = x._nextInList;
      yield x;
      x = x._inList ? x._nextInList : next;
    }
  }
}
