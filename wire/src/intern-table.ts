/**
 * A fixed-size string intern table for the wire decoder (and anything else that turns the same few
 * byte strings into JS strings over and over).
 */

/** Longest string interned (bytes): every id (MAX_ID_LENGTH) and nearly every name fit. */
const INTERN_MAX_BYTES = 64;
const INTERN_SLOT_WORDS = INTERN_MAX_BYTES / 4;

/** Buffer's internal slicers, skipping `toString`'s argument handling (they exist on every Node Buffer). */
export interface BufferSlicers {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/**
 * A direct-mapped string intern table keyed by the bytes: a hit returns the same string object
 * without decoding (cheaper than creating a string, and later Map lookups reuse its cached hash).
 * Bytes are hashed and compared four at a time: words at offsets 0, 4, 8 … and a last word ending
 * at the string's end (overlapping the previous one when the length is not a multiple of 4).
 */
export class InternTable {
  private readonly words: Int32Array;
  /** Byte length of each slot's string; -1 = empty slot. */
  private readonly lengths: Int16Array;
  private readonly strings: string[];
  private readonly mask: number;

  constructor(slots: number) {
    this.words = new Int32Array(slots * INTERN_SLOT_WORDS);
    this.lengths = new Int16Array(slots).fill(-1);
    this.strings = new Array<string>(slots).fill('');
    this.mask = slots - 1;
  }

  /** The string for `buf[start, end)` (`view` over the same bytes); `end > start`. */
  get(buf: Buffer, view: DataView, start: number, end: number): string {
    const length = end - start;
    if (length > INTERN_MAX_BYTES) return (buf as unknown as BufferSlicers).utf8Slice(start, end);
    const scratch = wordScratch;
    let count = 0;
    if (length < 4) {
      let word = 0;
      for (let i = start; i < end; i++) word = (word << 8) | (buf[i] as number);
      scratch[count++] = word;
    } else {
      const last = end - 4;
      let at = start;
      for (; at < last; at += 4) scratch[count++] = view.getInt32(at, true);
      scratch[count++] = view.getInt32(last, true);
    }
    let hash = 0x811c9dc5 ^ length;
    let high = 0;
    for (let i = 0; i < count; i++) {
      const word = scratch[i] as number;
      high |= word;
      hash = Math.imul(hash ^ word, 0x5bd1e995);
      hash ^= hash >>> 15;
    }
    const slot = hash & this.mask;
    const base = slot * INTERN_SLOT_WORDS;
    const words = this.words;
    if (this.lengths[slot] === length) {
      let i = 0;
      while (i < count && words[base + i] === scratch[i]) i++;
      if (i === count) return this.strings[slot] as string;
    }
    const slicers = buf as unknown as BufferSlicers;
    const value = (high & 0x80808080) === 0 ? slicers.latin1Slice(start, end) : slicers.utf8Slice(start, end);
    for (let i = 0; i < count; i++) words[base + i] = scratch[i] as number;
    this.lengths[slot] = length;
    this.strings[slot] = value;
    return value;
  }
}

/** Words of the string being interned (INTERN_MAX_BYTES / 4 at most). */
const wordScratch = new Int32Array(INTERN_MAX_BYTES / 4);
