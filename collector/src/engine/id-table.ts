/**
 * Id table: finds a hop's row from its trace id and span id **as bytes**, so the hot path never
 * makes an id string.
 *
 * Layout. Row `r` owns `KEY_STRIDE` bytes of `keys` at `r * KEY_STRIDE`: the trace id's bytes
 * then the span id's bytes (`traceLengths[r]`, `spanLengths[r]` long; each at most
 * MAX_ID_LENGTH bytes), and its 32-bit hash in `hashes[r]`. A pair longer than KEY_STRIDE bytes
 * together keeps its bytes in `longKeys` instead (same layout, one buffer per row). `slots` is an open-addressing
 * index (linear probing) of two-word entries: `row + 1` (0 = empty) and that row's hash. The hash
 * beside the row lets a probe skip other keys, and deletion find each entry's home, without a
 * random read of `hashes[row]` (a cache miss per probe on a table of 300k rows). It is kept at
 * most half full, and deletion shifts later entries of the probe run back (no tombstones), so a
 * lookup stops at the first empty entry.
 *
 * Invariants: a row is in `slots` at most once; every row in `slots` holds the key it was
 * inserted with until it is removed; colliding hashes cost a byte comparison, never a wrong row.
 * Ids that are not plain ASCII are keyed by the UTF-8 encoding of their decoded string (see
 * {@link idKeyBytes}), so two byte strings that decode to one JS string are one key, as in a
 * string-keyed map; one whose encoding is longer than MAX_ID_LENGTH bytes is keyed by a digest
 * (first byte 0xFF, which UTF-8 never contains) and its string is kept beside the row.
 */
import { createHash } from 'node:crypto';
import { MAX_ID_LENGTH } from '@phosphor/wire';
import type { SpanBatch } from '../model/span-batch.js';
import { copyWords, sameWords } from '../util/byte-words.js';

/** Buffer's internal slicers, skipping `toString`'s argument handling (they exist on every Node Buffer). */
export interface BufferSlicers {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/**
 * Inline key bytes per row: a trace id then a span id. 48 holds the ids real tracers send — W3C
 * and OTLP ids in hex (32 + 16), this tracer's (20 + 16) — while room for two MAX_ID_LENGTH ids
 * (128) would cost 80 more bytes on every row of the engine (24 MB at the default caps' 300k
 * rows) for pairs that hardly occur; those go to `longKeys`.
 */
const KEY_STRIDE = 48;
const HASH_SEED = 0x1b873593;

/**
 * Hash of the id pair `a[aStart, aEnd)`, `b[bStart, bEnd)`: {@link pairHash} of each id's
 * {@link idHash}. Hashing each id on its own lets the decoder hash an id while it checks its
 * bytes, in one read of the datagram.
 */
export function hashIdPair(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  return pairHash(idHash(a, aStart, aEnd), idHash(b, bStart, bEnd));
}

/**
 * Hash of one id's bytes (murmur-style mixing, not finalised). Mixes four bytes at a time
 * (little-endian words, as `DataView.getInt32(i, true)` reads them), then the last 0–3 bytes one
 * by one: a 20-byte id costs 5 multiply rounds instead of 20.
 */
export function idHash(a: Uint8Array, start: number, end: number): number {
  let hash = HASH_SEED ^ (end - start);
  let i = start;
  for (const last = end - 3; i < last; i += 4) {
    const word =
      (a[i] as number) | ((a[i + 1] as number) << 8) | ((a[i + 2] as number) << 16) | ((a[i + 3] as number) << 24);
    hash = mixWord(hash, word);
  }
  for (; i < end; i++) hash = mixWord(hash, a[i] as number);
  return hash;
}

/** One round of {@link idHash}: `word` (a 32-bit little-endian word, or a byte at the tail) into `hash`. */
export function mixWord(hash: number, word: number): number {
  const h = Math.imul(hash ^ word, 0x5bd1e995);
  return h ^ (h >>> 13);
}

/** The first round of {@link idHash} for an id of `length` bytes. */
export function idHashSeed(length: number): number {
  return HASH_SEED ^ length;
}

/** The per-trace hash of {@link IdTable.traceHash}, from the trace id's {@link idHash}. */
export function finalTraceHash(traceKeyHash: number): number {
  return (traceKeyHash ^ (traceKeyHash >>> 15)) | 0;
}

/** The pair hash of a trace id's and a span id's {@link idHash}. */
export function pairHash(traceHash: number, spanHash: number): number {
  let hash = Math.imul(traceHash ^ 0xff, 0x5bd1e995);
  hash = Math.imul(hash ^ (hash >>> 13) ^ spanHash, 0x5bd1e995);
  hash ^= hash >>> 13;
  return (hash ^ (hash >>> 15)) | 0;
}

export class IdTable {
  private keys: Uint8Array;
  /** A DataView over `keys`, for comparing keys four bytes at a time. */
  private keysView: DataView;
  /** The array last compared against, and a DataView over it (one per datagram on the decoder's path). */
  private otherArray: Uint8Array | undefined;
  private otherView: DataView = new DataView(new ArrayBuffer(0));
  /** A Buffer over `keys`, for decoding ids into strings without a Buffer per call. */
  private keysBuffer: Buffer & BufferSlicers;
  private traceLengths: Uint8Array;
  private spanLengths: Uint8Array;
  /**
   * 1 when the row's key has a byte above 0x7F (a non-ASCII id, keyed by its UTF-8 encoding).
   * The ids of every other row are decoded with `latin1Slice` (no UTF-8 validation): in the
   * ingest profile a call took about half the time of a `utf8Slice` call, and ids are decoded
   * for every emitted span.
   */
  private nonAscii: Uint8Array;
  private hashes: Int32Array;
  /** {@link idHash} of each row's trace id key bytes (see {@link traceHash}). */
  private traceKeyHashes: Int32Array;
  private slots: Int32Array;
  private mask: number;
  private rows: number;
  /** Key bytes of rows whose ids together are longer than KEY_STRIDE (rare). */
  private readonly longKeys = new Map<number, Buffer & BufferSlicers>();
  /**
   * The row found or inserted last (-1: none, or removed since). Consecutive events often belong
   * to one hop (a tracer batches a call's REQ and REP, a server's IN and OUT), and checking this
   * row first — its key just touched, so in cache — skips a probe into an index of megabytes.
   */
  private lastRow = -1;
  /** Original strings of ids keyed by a digest (rare: non-ASCII ids longer than the key room). */
  private readonly longIds = new Map<number, [string, string]>();

  constructor(initialRows: number) {
    this.rows = initialRows;
    this.keys = new Uint8Array(initialRows * KEY_STRIDE);
    this.keysBuffer = bufferOver(this.keys);
    this.keysView = new DataView(this.keys.buffer);
    this.traceLengths = new Uint8Array(initialRows);
    this.spanLengths = new Uint8Array(initialRows);
    this.nonAscii = new Uint8Array(initialRows);
    this.hashes = new Int32Array(initialRows);
    this.traceKeyHashes = new Int32Array(initialRows);
    const size = slotCount(initialRows);
    this.slots = new Int32Array(size * 2);
    this.mask = size - 1;
  }

  /** Makes room for rows `0 … rows - 1` (copies the keys, rebuilds the index). */
  grow(rows: number): void {
    if (rows <= this.rows) return;
    const keys = new Uint8Array(rows * KEY_STRIDE);
    keys.set(this.keys);
    this.keys = keys;
    this.keysBuffer = bufferOver(keys);
    this.keysView = new DataView(keys.buffer);
    const traceLengths = new Uint8Array(rows);
    traceLengths.set(this.traceLengths);
    this.traceLengths = traceLengths;
    const spanLengths = new Uint8Array(rows);
    spanLengths.set(this.spanLengths);
    this.spanLengths = spanLengths;
    const nonAscii = new Uint8Array(rows);
    nonAscii.set(this.nonAscii);
    this.nonAscii = nonAscii;
    const hashes = new Int32Array(rows);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const traceKeyHashes = new Int32Array(rows);
    traceKeyHashes.set(this.traceKeyHashes);
    this.traceKeyHashes = traceKeyHashes;
    const old = this.slots;
    const size = slotCount(rows);
    this.slots = new Int32Array(size * 2);
    this.mask = size - 1;
    this.rows = rows;
    for (let i = 0; i < old.length; i += 2) {
      const entry = old[i] as number;
      if (entry !== 0) this.place(entry - 1);
    }
  }

  /** The row holding (trace, span), or -1. */
  find(
    hash: number,
    trace: Uint8Array,
    traceStart: number,
    traceEnd: number,
    span: Uint8Array,
    spanStart: number,
    spanEnd: number,
  ): number {
    const slots = this.slots;
    const mask = this.mask;
    const traceLength = traceEnd - traceStart;
    const spanLength = spanEnd - spanStart;
    const last = this.lastRow;
    if (
      last >= 0 &&
      this.hashes[last] === hash &&
      this.traceLengths[last] === traceLength &&
      this.spanLengths[last] === spanLength &&
      this.sameKey(last, trace, traceStart, traceLength, span, spanStart, spanLength)
    ) {
      return last;
    }
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = slots[i * 2] as number;
      if (entry === 0) return -1;
      const row = entry - 1;
      if (
        slots[i * 2 + 1] === hash &&
        this.traceLengths[row] === traceLength &&
        this.spanLengths[row] === spanLength &&
        this.sameKey(row, trace, traceStart, traceLength, span, spanStart, spanLength)
      ) {
        this.lastRow = row;
        return row;
      }
    }
  }

  /** The index entry a lookup of `hash` reads first (for reading it ahead; see the decoder). */
  indexEntry(hash: number): number {
    return this.slots[(hash & this.mask) * 2] as number;
  }

  /** The index entry {@link remove} of `row` reads first (for reading it ahead). */
  indexEntryOfRow(row: number): number {
    return this.slots[((this.hashes[row] as number) & this.mask) * 2] as number;
  }

  /**
   * Keys `row` with (trace, span) and indexes it; the pair must not be in the table.
   * `traceKeyHash` is the trace id's {@link idHash} when the caller has it (computed otherwise).
   */
  insert(
    row: number,
    hash: number,
    trace: Uint8Array,
    traceStart: number,
    traceEnd: number,
    span: Uint8Array,
    spanStart: number,
    spanEnd: number,
    traceKeyHash = idHash(trace, traceStart, traceEnd),
  ): void {
    const traceLength = traceEnd - traceStart;
    const spanLength = spanEnd - spanStart;
    if (traceLength + spanLength <= KEY_STRIDE) {
      // Copied four bytes at a time (a hop's first event copies its ids here).
      const base = row * KEY_STRIDE;
      let high = copyWords(this.keysView, base, this.viewOf(trace), traceStart, traceLength);
      high |= copyWords(this.keysView, base + traceLength, this.viewOf(span), spanStart, spanLength);
      this.nonAscii[row] = (high & 0x80808080) !== 0 ? 1 : 0;
    } else this.insertLong(row, trace, traceStart, traceLength, span, spanStart, spanLength);
    this.traceLengths[row] = traceLength;
    this.spanLengths[row] = spanLength;
    this.hashes[row] = hash;
    this.traceKeyHashes[row] = traceKeyHash;
    this.place(row);
    this.lastRow = row;
  }

  /** {@link insert}'s key bytes of a pair longer than KEY_STRIDE, in a buffer of their own. */
  private insertLong(
    row: number,
    trace: Uint8Array,
    traceStart: number,
    traceLength: number,
    span: Uint8Array,
    spanStart: number,
    spanLength: number,
  ): void {
    const keys = Buffer.allocUnsafe(traceLength + spanLength) as Buffer & BufferSlicers;
    this.longKeys.set(row, keys);
    let high = 0;
    for (let i = 0; i < traceLength; i++) {
      const byte = trace[traceStart + i] as number;
      high |= byte;
      keys[i] = byte;
    }
    for (let i = 0; i < spanLength; i++) {
      const byte = span[spanStart + i] as number;
      high |= byte;
      keys[traceLength + i] = byte;
    }
    this.nonAscii[row] = high >= 0x80 ? 1 : 0;
  }

  /** Remembers the strings of a row keyed by at least one digest (see {@link idKeyBytes}). */
  keepStrings(row: number, traceId: string, spanId: string): void {
    this.longIds.set(row, [traceId, spanId]);
  }

  /** Removes `row` from the index (backward-shift deletion). */
  remove(row: number): void {
    if (row === this.lastRow) this.lastRow = -1;
    if (this.longIds.size > 0) this.longIds.delete(row);
    if (this.longKeys.size > 0) this.longKeys.delete(row);
    const slots = this.slots;
    const mask = this.mask;
    let i = (this.hashes[row] as number) & mask;
    while (slots[i * 2] !== row + 1) {
      if (slots[i * 2] === 0) return;
      i = (i + 1) & mask;
    }
    let hole = i;
    for (let j = (i + 1) & mask; slots[j * 2] !== 0; j = (j + 1) & mask) {
      const home = (slots[j * 2 + 1] as number) & mask;
      // Move the entry back when the hole lies between its home and its position (cyclically).
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots[hole * 2] = slots[j * 2] as number;
        slots[hole * 2 + 1] = slots[j * 2 + 1] as number;
        hole = j;
      }
    }
    slots[hole * 2] = 0;
  }

  /** Forgets every key (rows stay allocated). */
  clear(): void {
    this.lastRow = -1;
    this.slots.fill(0);
    this.longIds.clear();
    this.longKeys.clear();
  }

  /**
   * The trace id of `row` as a string (made when a span is materialised). Each id is decoded on
   * its own: cutting both from one decoded key saves a native call but gives sliced strings,
   * which the consumers' charCodeAt loops (the store hashes and copies ids as bytes) read more
   * slowly than that call costs.
   */
  traceId(row: number): string {
    if (this.longIds.size > 0) {
      const kept = this.longIds.get(row);
      if (kept) return kept[0];
    }
    const length = this.traceLengths[row] as number;
    const long = this.longKeyOf(row);
    if (long !== undefined) return long.utf8Slice(0, length);
    const start = row * KEY_STRIDE;
    return this.nonAscii[row] === 0
      ? this.keysBuffer.latin1Slice(start, start + length)
      : this.keysBuffer.utf8Slice(start, start + length);
  }

  /**
   * Writes `row`'s ids into entry `i` of `batch`: the key's bytes when they are the ids' Latin-1
   * bytes (a plain ASCII key), else the id strings (a UTF-8, digested or long key).
   */
  copyIdsTo(row: number, batch: SpanBatch, i: number): void {
    if (
      this.nonAscii[row] !== 0 ||
      (this.longIds.size > 0 && this.longIds.has(row)) ||
      this.longKeyOf(row) !== undefined
    ) {
      batch.setIdStrings(i, this.traceId(row), this.spanId(row));
      return;
    }
    const length = (this.traceLengths[row] as number) + (this.spanLengths[row] as number);
    const at = batch.reserveIds(i, this.traceLengths[row] as number, this.spanLengths[row] as number);
    copyWords(batch.idView, at, this.keysView, row * KEY_STRIDE, length);
  }

  /** The span id of `row` as a string. */
  spanId(row: number): string {
    if (this.longIds.size > 0) {
      const kept = this.longIds.get(row);
      if (kept) return kept[1];
    }
    const traceLength = this.traceLengths[row] as number;
    const spanLength = this.spanLengths[row] as number;
    const long = this.longKeyOf(row);
    if (long !== undefined) return long.utf8Slice(traceLength, traceLength + spanLength);
    const start = row * KEY_STRIDE + traceLength;
    return this.nonAscii[row] === 0
      ? this.keysBuffer.latin1Slice(start, start + spanLength)
      : this.keysBuffer.utf8Slice(start, start + spanLength);
  }

  /**
   * A hash of `row`'s trace id key bytes: equal for every row of one trace (a trace id has one
   * key), so per-trace state can be found without hashing the id's string.
   */
  traceHash(row: number): number {
    return finalTraceHash(this.traceKeyHashes[row] as number);
  }

  /** Whether `row`'s trace id equals the given bytes. */
  traceIs(row: number, bytes: Uint8Array): boolean {
    if (this.traceLengths[row] !== bytes.length) return false;
    const long = this.longKeyOf(row);
    return long !== undefined
      ? sameBytes(long, 0, bytes, 0, bytes.length)
      : sameBytes(this.keys, row * KEY_STRIDE, bytes, 0, bytes.length);
  }

  /** Whether `row`'s key is (trace, span); the caller has checked both lengths. */
  private sameKey(
    row: number,
    trace: Uint8Array,
    traceStart: number,
    traceLength: number,
    span: Uint8Array,
    spanStart: number,
    spanLength: number,
  ): boolean {
    if (traceLength + spanLength > KEY_STRIDE) {
      const long = this.longKeys.get(row);
      if (long === undefined) return false;
      return (
        sameBytes(long, 0, trace, traceStart, traceLength) && sameBytes(long, traceLength, span, spanStart, spanLength)
      );
    }
    const at = row * KEY_STRIDE;
    const keys = this.keysView;
    return (
      sameWords(keys, at, this.viewOf(trace), traceStart, traceLength) &&
      sameWords(keys, at + traceLength, this.viewOf(span), spanStart, spanLength)
    );
  }

  /** Makes `view` (over all of `bytes`) the one {@link find} uses to compare keys read from `bytes`. */
  compareWith(bytes: Uint8Array, view: DataView): void {
    this.otherArray = bytes;
    this.otherView = view;
  }

  /** A DataView over `bytes`, made once per array (the decoder passes one datagram for both ids). */
  private viewOf(bytes: Uint8Array): DataView {
    if (bytes !== this.otherArray) {
      this.otherArray = bytes;
      this.otherView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    return this.otherView;
  }

  /** The out-of-line key of `row`, when its ids together exceed KEY_STRIDE bytes. */
  private longKeyOf(row: number): (Buffer & BufferSlicers) | undefined {
    return (this.traceLengths[row] as number) + (this.spanLengths[row] as number) > KEY_STRIDE
      ? this.longKeys.get(row)
      : undefined;
  }

  private place(row: number): void {
    const slots = this.slots;
    const mask = this.mask;
    const hash = this.hashes[row] as number;
    let i = hash & mask;
    while (slots[i * 2] !== 0) i = (i + 1) & mask;
    slots[i * 2] = row + 1;
    slots[i * 2 + 1] = hash;
  }
}

function sameBytes(keys: Uint8Array, at: number, other: Uint8Array, start: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (keys[at + i] !== other[start + i]) return false;
  return true;
}

/** Index size for `rows`: a power of two at least twice the rows (load ≤ 50 %). */
function slotCount(rows: number): number {
  let size = 16;
  while (size < rows * 2) size <<= 1;
  return size;
}

function bufferOver(bytes: Uint8Array): Buffer & BufferSlicers {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as Buffer & BufferSlicers;
}

/**
 * The key bytes of an id given as a string (decoded events, foreign spans): its UTF-8 encoding,
 * or 0xFF followed by a SHA-256 digest when that is longer than MAX_ID_LENGTH bytes (then
 * `digested` is true and the caller keeps the strings with {@link IdTable.keepStrings}).
 */
export function idKeyBytes(id: string): { bytes: Uint8Array; digested: boolean } {
  const bytes = Buffer.from(id, 'utf8');
  if (bytes.length <= MAX_ID_LENGTH) return { bytes, digested: false };
  const digest = createHash('sha256').update(bytes).digest();
  const key = Buffer.alloc(33);
  key[0] = 0xff;
  digest.copy(key, 1);
  return { bytes: key, digested: true };
}
