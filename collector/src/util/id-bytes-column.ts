/**
 * Id bytes column: one id (a trace or span id) per entry, kept as bytes instead of a string, so
 * a stored span's ids cost their length in bytes rather than a heap string each.
 *
 * Layout. Entry `i` owns `stride` bytes of `bytes` at `i * stride`, holding the id's characters
 * as Latin-1 bytes, and its length in `lengths[i]`. Two length values are markers: ABSENT (the
 * id is undefined) and LONG (the id is longer than `stride` or has a character above U+00FF; its
 * string is kept in `long` instead — rare: the ids tracers send are 16 to 32 ASCII characters).
 *
 * Invariant: `lengths[i] === LONG` iff `long` has key `i`.
 */
import { type BufferSlicers, mixWord } from '../engine/id-table.js';
import { copyWords, sameWords } from './byte-words.js';

/** Length marker of an undefined id. */
const ABSENT = 255;
/** Length marker of an id kept in `long`. */
const LONG = 254;

/** Seed of {@link hashId}; any odd constant mixes well. */
const HASH_SEED = 0x9747b28c;

/**
 * 32-bit hash of an id's characters: the id table's word mixing ({@link mixWord}), four characters a
 * round as one little-endian word, then the last 0–3 one by one (a 20-character id costs 5 rounds
 * instead of 20), finalised.
 */
export function hashId(id: string): number {
  const length = id.length;
  let hash = HASH_SEED ^ length;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    hash = mixWord(
      hash,
      id.charCodeAt(i) | (id.charCodeAt(i + 1) << 8) | (id.charCodeAt(i + 2) << 16) | (id.charCodeAt(i + 3) << 24),
    );
  }
  for (; i < length; i++) hash = mixWord(hash, id.charCodeAt(i));
  return (hash ^ (hash >>> 15)) | 0;
}

/** {@link hashId} of the id whose Latin-1 bytes are `length` bytes at `start` in `view` (the same value as for its string). */
export function hashIdBytes(view: DataView, start: number, length: number): number {
  let hash = HASH_SEED ^ length;
  let i = 0;
  for (; i + 4 <= length; i += 4) hash = mixWord(hash, view.getInt32(start + i, true));
  for (; i < length; i++) hash = mixWord(hash, view.getUint8(start + i));
  return (hash ^ (hash >>> 15)) | 0;
}

export class IdBytesColumn {
  private bytes: Uint8Array;
  /** A DataView over `bytes`, for copying and comparing ids four bytes at a time. */
  private view: DataView;
  /** A Buffer over `bytes`, for decoding an id into a string without a Buffer per call. */
  private buffer: Buffer & BufferSlicers;
  private lengths: Uint8Array;
  private readonly long = new Map<number, string>();

  /** `stride` bytes are kept inline per entry (at most 253). */
  constructor(
    readonly stride: number,
    capacity: number,
  ) {
    this.bytes = new Uint8Array(capacity * stride);
    this.view = new DataView(this.bytes.buffer);
    this.buffer = bufferOver(this.bytes);
    this.lengths = new Uint8Array(capacity).fill(ABSENT);
  }

  /** Stores `id` (undefined included) at entry `i`, replacing what was there. */
  set(i: number, id: string | undefined): void {
    if (this.lengths[i] === LONG) this.long.delete(i);
    if (id === undefined) {
      this.lengths[i] = ABSENT;
      return;
    }
    const length = id.length;
    if (length > this.stride) {
      this.setLong(i, id);
      return;
    }
    const bytes = this.bytes;
    const base = i * this.stride;
    for (let k = 0; k < length; k++) {
      const code = id.charCodeAt(k);
      if (code > 0xff) {
        this.setLong(i, id);
        return;
      }
      bytes[base + k] = code;
    }
    this.lengths[i] = length;
  }

  /** Stores the id whose Latin-1 bytes are `length` bytes at `start` in `from` at entry `i`, replacing what was there. */
  setBytes(i: number, from: DataView, start: number, length: number): void {
    if (this.lengths[i] === LONG) this.long.delete(i);
    if (length > this.stride) {
      this.setLong(i, Buffer.from(from.buffer, from.byteOffset + start, length).toString('latin1'));
      return;
    }
    copyWords(this.view, i * this.stride, from, start, length);
    this.lengths[i] = length;
  }

  /** Entry `i`'s length in bytes when its id is inline; -1 when it has none, -2 when it is kept as a string ({@link get}). */
  inlineLength(i: number): number {
    const length = this.lengths[i] as number;
    return length === ABSENT ? -1 : length === LONG ? -2 : length;
  }

  /** Copies entry `i`'s inline bytes ({@link inlineLength} of them) to `target` at `at`. */
  copyInline(i: number, target: DataView, at: number): void {
    copyWords(target, at, this.view, i * this.stride, this.lengths[i] as number);
  }

  /** True when entry `i` holds an id. */
  has(i: number): boolean {
    return this.lengths[i] !== ABSENT;
  }

  /** The id at entry `i` (a new string), or undefined. */
  get(i: number): string | undefined {
    const length = this.lengths[i] as number;
    if (length === ABSENT) return undefined;
    if (length === LONG) return this.long.get(i);
    const start = i * this.stride;
    return this.buffer.latin1Slice(start, start + length);
  }

  /** True when entry `i` holds exactly `id` (no string made). */
  equals(i: number, id: string): boolean {
    const length = this.lengths[i] as number;
    if (length === LONG) return this.long.get(i) === id;
    if (length !== id.length) return false;
    const bytes = this.bytes;
    const base = i * this.stride;
    for (let k = 0; k < length; k++) if (bytes[base + k] !== id.charCodeAt(k)) return false;
    return true;
  }

  /** True when entry `i` holds the id whose Latin-1 bytes are `length` bytes at `start` in `other`. */
  equalsBytes(i: number, other: DataView, start: number, length: number): boolean {
    const stored = this.lengths[i] as number;
    if (stored === LONG) {
      const id = this.long.get(i) as string;
      if (id.length !== length) return false;
      for (let k = 0; k < length; k++) if (id.charCodeAt(k) !== other.getUint8(start + k)) return false;
      return true;
    }
    return stored === length && sameWords(this.view, i * this.stride, other, start, length);
  }

  /** Marks entry `i` absent (drops a long id's string). */
  clear(i: number): void {
    if (this.lengths[i] === LONG) this.long.delete(i);
    this.lengths[i] = ABSENT;
  }

  /**
   * Grows to `capacity` entries. With `headSlot` (a ring being grown), entries are unrolled:
   * old entry `(headSlot + j) % oldCapacity` moves to `j`, so the ring starts at 0 afterwards.
   */
  grow(capacity: number, headSlot = 0): void {
    const oldCapacity = this.lengths.length;
    const stride = this.stride;
    const bytes = new Uint8Array(capacity * stride);
    const lengths = new Uint8Array(capacity).fill(ABSENT);
    const tail = oldCapacity - headSlot;
    bytes.set(this.bytes.subarray(headSlot * stride, oldCapacity * stride), 0);
    bytes.set(this.bytes.subarray(0, headSlot * stride), tail * stride);
    lengths.set(this.lengths.subarray(headSlot, oldCapacity), 0);
    lengths.set(this.lengths.subarray(0, headSlot), tail);
    if (this.long.size > 0 && headSlot !== 0) {
      const moved = [...this.long].map(([i, id]) => [(i - headSlot + oldCapacity) % oldCapacity, id] as const);
      this.long.clear();
      for (const [i, id] of moved) this.long.set(i, id);
    }
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
    this.buffer = bufferOver(bytes);
    this.lengths = lengths;
  }

  private setLong(i: number, id: string): void {
    this.lengths[i] = LONG;
    this.long.set(i, id);
  }
}

function bufferOver(bytes: Uint8Array): Buffer & BufferSlicers {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as Buffer & BufferSlicers;
}
