/**
 * Tag set interner: a stored span's tags as the id of a shared, frozen tag object. Tag sets
 * repeat per endpoint (the same keys and values on every call), so the store keeps one object
 * per distinct set instead of one per span. Reference counted like the {@link StringInterner}
 * it is built on (keyed by the set's JSON, which keeps key order and is unambiguous), so sets
 * unique to a span (a correlation id as a tag) are freed with the span.
 *
 * Invariant: `sets[id]` is defined iff `keys` holds `id`; {@link NO_TAGS} stands for the empty set.
 */
import { NO_STRING, StringInterner } from './string-interner.js';

/** The id of the empty tag set (no object kept). */
export const NO_TAGS = NO_STRING;

/** Shared by every span without tags (frozen: no code path writes to a span's tags). */
const EMPTY_TAGS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class TagSetInterner {
  private readonly keys = new StringInterner();
  private sets: (Record<string, string> | undefined)[] = [];
  /** The last tag object interned and its id: a producer handing the same object on saves the JSON. */
  private lastTags: Record<string, string> | undefined;
  private lastId = NO_TAGS;

  /** Distinct non-empty tag sets held now. */
  get size(): number {
    return this.keys.size;
  }

  /** The id of `tags`' set, counting one more holder. */
  acquire(tags: Record<string, string>): number {
    if (tags === this.lastTags && this.sets[this.lastId] !== undefined) {
      this.keys.retain(this.lastId);
      return this.lastId;
    }
    if (isEmpty(tags)) return NO_TAGS;
    const id = this.keys.acquire(JSON.stringify(tags));
    if (this.sets[id] === undefined) this.sets[id] = Object.freeze({ ...tags });
    this.lastTags = tags;
    this.lastId = id;
    return id;
  }

  /** Counts one holder less; the last one frees the set. */
  release(id: number): void {
    if (id < 0) return;
    this.keys.release(id);
    if (this.keys.get(id) !== undefined) return;
    this.sets[id] = undefined;
    // The freed id may be reused for another set: the last-object shortcut must not name it.
    if (id === this.lastId) this.lastTags = undefined;
  }

  /** The shared frozen tag object of an id. */
  get(id: number): Record<string, string> {
    return id < 0 ? EMPTY_TAGS : (this.sets[id] as Record<string, string>);
  }

  /** Forgets every set. */
  clear(): void {
    this.keys.clear();
    this.sets = [];
    this.lastTags = undefined;
    this.lastId = NO_TAGS;
  }
}

function isEmpty(tags: Record<string, string>): boolean {
  for (const _ in tags) return false;
  return true;
}
