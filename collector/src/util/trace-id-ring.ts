/**
 * Trace id ring: trace ids in arrival order, which is also the order they are forgotten in (the
 * oldest first), with an index to find one by id. The memory store's traces and the engine's
 * per-trace skew offsets are both kept this way, each adding its own columns per slot
 * ({@link TraceIdRing.growColumns}).
 *
 * Layout. Every id gets a serial number on arrival (0, 1, 2 … never reused); the live ids are
 * serials `headSerial … headSerial + count - 1`, in slots `(headSlot + serial - headSerial) %
 * capacity`. Per slot: the id as bytes (`ids`, no string kept) and its hash. `index` finds a slot from
 * an id: open addressing (linear probing) with two-word entries `slot + 1` (0 = empty) and that
 * slot's hash, at most half full, deletion by shifting later entries of the probe run back (no
 * tombstones). The hash beside the slot lets a probe skip other ids, and deletion find each
 * entry's home, without a random read of `hashes[slot]` — a cache miss per probe step once the
 * ring holds a few hundred thousand traces. A serial below
 * `headSerial` names a forgotten id, so serials (not slots) are what other structures keep.
 *
 * Invariants: `index` holds exactly the live slots; the ring grows by doubling up to the expected
 * size, then by doubling again only if more is needed (unrolled so the head is slot 0, subclasses'
 * columns alike), and never shrinks until {@link TraceIdRing.reset}.
 */
import type { SpanBatch } from '../model/span-batch.js';
import { IdBytesColumn } from './id-bytes-column.js';

/** Trace ids inline per slot: 32 holds W3C/OTLP hex ids and this tracer's 20-digit ids. */
const TRACE_ID_BYTES = 32;
const NONE = -1;

export class TraceIdRing {
  /** Serial of the oldest live id. */
  headSerial = 0;
  /** Live ids. */
  count = 0;
  private headSlot = 0;
  private capacity = 0;
  ids = new IdBytesColumn(TRACE_ID_BYTES, 0);
  private hashes = new Int32Array(0);
  private index = new Int32Array(0);
  private indexMask = 0;

  /**
   * Slots are allocated on the first push, `initialCapacity` of them; growth stops at
   * `expectedCapacity` (the most ids the owner expects to keep) rather than doubling past it.
   */
  constructor(
    private readonly initialCapacity: number,
    private readonly expectedCapacity = Number.POSITIVE_INFINITY,
  ) {}

  /** Slot of a live serial. */
  slotOf(serial: number): number {
    return (this.headSlot + (serial - this.headSerial)) % this.capacity;
  }

  /** Slot of the id `age` places from the oldest (0 = oldest, count - 1 = newest). */
  slotAt(age: number): number {
    return (this.headSlot + age) % this.capacity;
  }

  /** Serial of a live slot. */
  serialOf(slot: number): number {
    return this.headSerial + ((slot - this.headSlot + this.capacity) % this.capacity);
  }

  /** True while the id of `serial` is kept. */
  isLive(serial: number): boolean {
    return serial >= this.headSerial;
  }

  /** Slot of `traceId` (hash from {@link hashId}), or -1. */
  find(traceId: string, hash: number): number {
    if (this.count === 0) return NONE;
    const index = this.index;
    const mask = this.indexMask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = index[i * 2] as number;
      if (entry === 0) return NONE;
      if (index[i * 2 + 1] === hash && this.ids.equals(entry - 1, traceId)) return entry - 1;
    }
  }

  /**
   * The index entry a lookup of `hash` starts at (callers read entries ahead of their use, so
   * that cache misses on an index of megabytes overlap).
   */
  indexEntry(hash: number): number {
    return this.capacity === 0 ? 0 : (this.index[(hash & this.indexMask) * 2] as number);
  }

  /** The {@link indexEntry} of the `age`-th oldest id (0: the next one {@link shift} removes), 0 past the newest. */
  indexEntryAt(age: number): number {
    return age >= this.count ? 0 : this.indexEntry(this.hashes[this.slotAt(age)] as number);
  }

  /**
   * The slot of entry `i`'s trace id (hash from {@link hashId} or the owner's), appending it when
   * absent: one probe of the index for both, the new entry going where the probe found the id
   * missing — unless the ring is empty or full (then it grows and its index is rebuilt first).
   */
  findOrPushTraceOf(batch: SpanBatch, i: number, hash: number): number {
    let at = NONE;
    if (this.count !== 0) {
      const index = this.index;
      const mask = this.indexMask;
      for (let k = hash & mask; ; k = (k + 1) & mask) {
        const entry = index[k * 2] as number;
        if (entry === 0) {
          at = k;
          break;
        }
        if (index[k * 2 + 1] === hash && batch.traceIdIn(i, this.ids, entry - 1)) return entry - 1;
      }
    }
    const fits = this.count !== 0 && this.count < this.capacity;
    const slot = this.nextSlot();
    batch.copyTraceIdTo(i, this.ids, slot);
    this.hashes[slot] = hash;
    if (fits) {
      this.index[at * 2] = slot + 1;
      this.index[at * 2 + 1] = hash;
    } else {
      this.place(slot);
    }
    return slot;
  }

  /** Appends a new id and returns its slot (the caller fills its own columns there). */
  push(traceId: string, hash: number): number {
    const slot = this.nextSlot();
    this.ids.set(slot, traceId);
    this.hashes[slot] = hash;
    this.place(slot);
    return slot;
  }

  /** Takes the slot after the newest (growing the ring when full) and resets its columns. */
  private nextSlot(): number {
    if (this.count === this.capacity) this.grow(this.nextCapacity());
    const slot = (this.headSlot + this.count) % this.capacity;
    this.count++;
    this.initSlot(slot);
    return slot;
  }

  /** Resets a subclass's columns at a slot taken for a new id (nothing here). */
  protected initSlot(_slot: number): void {}

  /** Forgets the oldest id. */
  shift(): void {
    const slot = this.headSlot;
    this.unplace(slot);
    this.ids.clear(slot);
    this.headSlot = slot + 1 === this.capacity ? 0 : slot + 1;
    this.headSerial++;
    this.count--;
  }

  /** Forgets every id and frees the slots (serials keep counting up). */
  reset(): void {
    this.headSerial += this.count;
    this.count = 0;
    this.headSlot = 0;
    this.capacity = 0;
    this.ids = new IdBytesColumn(TRACE_ID_BYTES, 0);
    this.hashes = new Int32Array(0);
    this.index = new Int32Array(0);
    this.indexMask = 0;
    this.growColumns(0, 0);
  }

  /**
   * Subclasses grow their per-slot columns to `capacity`, unrolled so old slot `head` becomes 0
   * (see {@link unrolled}); `capacity` 0 means drop them.
   */
  protected growColumns(_capacity: number, _head: number): void {}

  private place(slot: number): void {
    const index = this.index;
    const mask = this.indexMask;
    const hash = this.hashes[slot] as number;
    let i = hash & mask;
    while (index[i * 2] !== 0) i = (i + 1) & mask;
    index[i * 2] = slot + 1;
    index[i * 2 + 1] = hash;
  }

  /** Removes a slot from the index, shifting back later entries of its probe run. */
  private unplace(slot: number): void {
    const index = this.index;
    const mask = this.indexMask;
    let i = (this.hashes[slot] as number) & mask;
    while (index[i * 2] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; index[j * 2] !== 0; j = (j + 1) & mask) {
      const hash = index[j * 2 + 1] as number;
      const home = hash & mask;
      // Entry j may move into the hole at i iff its home is not cyclically within (i, j].
      if (((j - home) & mask) >= ((j - i) & mask)) {
        index[i * 2] = index[j * 2] as number;
        index[i * 2 + 1] = hash;
        i = j;
      }
    }
    index[i * 2] = 0;
  }

  private nextCapacity(): number {
    if (this.capacity === 0) return Math.min(this.initialCapacity, this.expectedCapacity);
    const doubled = this.capacity * 2;
    return this.capacity < this.expectedCapacity ? Math.min(doubled, this.expectedCapacity) : doubled;
  }

  private grow(capacity: number): void {
    const head = this.headSlot;
    this.ids.grow(capacity, head);
    this.hashes = unrolled(this.hashes, capacity, head);
    this.growColumns(capacity, head);
    this.headSlot = 0;
    this.capacity = capacity;
    // At most half full: the smallest power of two holding twice the slots.
    const size = 2 ** Math.ceil(Math.log2(capacity * 2));
    this.index = new Int32Array(size * 2);
    this.indexMask = size - 1;
    for (let age = 0; age < this.count; age++) this.place(age);
  }
}

/** `array` grown to `length`, its ring unrolled so old slot `head` becomes 0. */
export function unrolled<T extends Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(
  array: T,
  length: number,
  head: number,
): T {
  const copy = new (array.constructor as new (n: number) => T)(length);
  if (length === 0) return copy;
  copy.set(array.subarray(head) as never, 0);
  copy.set(array.subarray(0, head) as never, array.length - head);
  return copy;
}
