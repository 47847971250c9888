/**
 * A map keyed by a pair of strings, as nested Maps. Joining the pair into one key string costs a
 * concatenation and a hash of the new string on every lookup; nested lookups reuse the hashes the
 * (interned) name strings already carry, which is what the per-span aggregate path needs.
 */
export class PairMap<V> {
  private readonly outer = new Map<string, Map<string, V>>();
  private count = 0;
  /**
   * The pair found or set last and its value: consecutive spans mostly share their names, and
   * two string comparisons (the same interned objects) are cheaper than two Map lookups.
   */
  private lastA: string | undefined;
  private lastB: string | undefined;
  private lastValue: V | undefined;

  /** Entries stored. */
  get size(): number {
    return this.count;
  }

  get(a: string, b: string): V | undefined {
    if (a === this.lastA && b === this.lastB) return this.lastValue;
    const value = this.outer.get(a)?.get(b);
    if (value !== undefined) {
      this.lastA = a;
      this.lastB = b;
      this.lastValue = value;
    }
    return value;
  }

  /** Adds or replaces the value of (a, b). */
  set(a: string, b: string, value: V): void {
    let inner = this.outer.get(a);
    if (inner === undefined) {
      inner = new Map();
      this.outer.set(a, inner);
    }
    if (!inner.has(b)) this.count++;
    inner.set(b, value);
    this.lastA = a;
    this.lastB = b;
    this.lastValue = value;
  }

  /** Every value, grouped by the first key. */
  *values(): IterableIterator<V> {
    for (const inner of this.outer.values()) yield* inner.values();
  }

  /** Removes the entries for which `remove` is true. */
  deleteWhere(remove: (value: V) => boolean): void {
    this.lastA = this.lastB = this.lastValue = undefined;
    for (const [a, inner] of this.outer) {
      for (const [b, value] of inner) {
        if (!remove(value)) continue;
        inner.delete(b);
        this.count--;
      }
      if (inner.size === 0) this.outer.delete(a);
    }
  }
}
