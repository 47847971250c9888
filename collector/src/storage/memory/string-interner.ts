/**
 * String interner with reference counts: each distinct string gets a small integer id that
 * stored rows hold instead of a reference, and an id is freed (and reused) when the last row
 * holding it lets go. Names, hosts and endpoints repeat across nearly every span, so a row pays
 * 4 bytes per field; error descriptions may be unique per span, and the counts keep those from
 * piling up after their spans are evicted — the interner never holds a string no row uses.
 *
 * Unlike wire's InternTable (a lossy decode cache from bytes to a shared string), this one is
 * exact and owns its entries.
 *
 * Invariants: `ids.get(s) === id` iff `strings[id] === s` and `counts[id] > 0`; a freed id has
 * `strings[id] === undefined` and sits in `freeIds`.
 */

/** The id meaning "no string" (an undefined optional field). */
export const NO_STRING = -1;

export class StringInterner {
  private readonly ids = new Map<string, number>();
  private strings: (string | undefined)[] = [];
  private counts = new Int32Array(64);
  private freeIds: number[] = [];

  /** Distinct strings held now. */
  get size(): number {
    return this.ids.size;
  }

  /**
   * The id of `value`, counting one more holder; `hint` (an id the caller saw for this field
   * last time) is checked first and saves the hash lookup when it still names `value`.
   */
  acquire(value: string, hint = NO_STRING): number {
    if (hint >= 0 && this.strings[hint] === value) {
      this.counts[hint] = (this.counts[hint] as number) + 1;
      return hint;
    }
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.freeIds.length > 0 ? (this.freeIds.pop() as number) : this.strings.length;
      if (id >= this.counts.length) {
        const counts = new Int32Array(this.counts.length * 2);
        counts.set(this.counts);
        this.counts = counts;
      }
      this.strings[id] = value;
      this.ids.set(value, id);
    }
    this.counts[id] = (this.counts[id] as number) + 1;
    return id;
  }

  /** {@link acquire} for an optional string: undefined is {@link NO_STRING} (nothing counted). */
  acquireOptional(value: string | undefined, hint = NO_STRING): number {
    return value === undefined ? NO_STRING : this.acquire(value, hint);
  }

  /** Counts one more holder of an id already held. */
  retain(id: number): void {
    if (id >= 0) this.counts[id] = (this.counts[id] as number) + 1;
  }

  /** Counts one holder less; the last one frees the id. {@link NO_STRING} is ignored. */
  release(id: number): void {
    if (id < 0) return;
    const count = (this.counts[id] as number) - 1;
    this.counts[id] = count;
    if (count > 0) return;
    this.ids.delete(this.strings[id] as string);
    this.strings[id] = undefined;
    this.freeIds.push(id);
  }

  /** The string of a held id (undefined for {@link NO_STRING}). */
  get(id: number): string | undefined {
    return id < 0 ? undefined : this.strings[id];
  }

  /** The id of `value` if some row holds it, else {@link NO_STRING}; counts nothing. */
  idOf(value: string): number {
    return this.ids.get(value) ?? NO_STRING;
  }

  /** Forgets every string. */
  clear(): void {
    this.ids.clear();
    this.strings = [];
    this.counts = new Int32Array(64);
    this.freeIds = [];
  }
}
