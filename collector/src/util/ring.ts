/** Smallest backing array: grows by doubling, so small collectors stay small. */
const MIN_CAPACITY = 16;

/**
 * A FIFO queue on a growable ring buffer. The assembler keeps insertion order in these beside its
 * Maps instead of taking `map.keys().next()` as the oldest entry: V8's Map iterators walk the
 * deleted slots at the front of the table one by one until the next rehash, so a Map used as a
 * FIFO costs O(deleted entries) per lookup of its oldest key — measured at ~10 µs per call on a
 * 20,000-entry map churning at ingest rate.
 */
export class Ring<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(MIN_CAPACITY);
  private head = 0;
  private count = 0;

  /** Items queued. */
  get size(): number {
    return this.count;
  }

  /** Appends at the tail. */
  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  /** The oldest item, or undefined when empty. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }

  /** The item `index` places from the oldest (0 = oldest), or undefined out of range. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.items[(this.head + index) & (this.items.length - 1)];
  }

  /** Calls `visit` on every item, oldest first. */
  forEach(visit: (item: T) => void): void {
    for (let i = 0; i < this.count; i++) visit(this.items[(this.head + i) & (this.items.length - 1)] as T);
  }

  /** Keeps only the items for which `keep` is true, in order (compaction of lazily deleted items). */
  retain(keep: (item: T) => boolean): void {
    const kept: (T | undefined)[] = [];
    for (let i = 0; i < this.count; i++) {
      const item = this.items[(this.head + i) & (this.items.length - 1)] as T;
      if (keep(item)) kept.push(item);
    }
    const count = kept.length;
    let capacity = MIN_CAPACITY;
    while (capacity < count) capacity *= 2;
    kept.length = capacity;
    this.items = kept;
    this.head = 0;
    this.count = count;
  }

  /** Empties the queue. */
  clear(): void {
    this.items = new Array<T | undefined>(MIN_CAPACITY);
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    const old = this.items;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.items = next;
    this.head = 0;
  }
}
