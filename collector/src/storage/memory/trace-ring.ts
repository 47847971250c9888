/**
 * Trace ring: the memory store's traces in arrival order, which is also eviction order (the
 * oldest trace goes first), so traces form a ring of slots and eviction is taking the head.
 *
 * Layout. Every trace gets a serial number on arrival (0, 1, 2 … never reused); the live traces
 * are serials `headSerial … headSerial + count - 1`, in slots `(headSlot + serial - headSerial)
 * & mask`. Per slot: the trace id as bytes (`ids`) and its hash, its first and last span row
 * (rows chain through SpanRows.next, in write order), its span count, and its first two services
 * (interned ids, NO_STRING = none; further ones in `moreServices` by serial). `index` finds a slot
 * from a trace id: open addressing (linear probing) with entries `slot + 1` (0 = empty), at most
 * half full, deletion by shifting later entries of the probe run back (no tombstones).
 * Serials, not slots, are what outlives a slot (the service index and side maps hold serials):
 * a serial below `headSerial` names an evicted trace.
 *
 * Invariants: `index` holds exactly the live slots; the ring grows by doubling (unrolled so the
 * head is slot 0) and never shrinks while the store is open.
 */
import { hashId, IdBytesColumn } from './id-bytes-column.js';
import { NO_STRING } from './string-interner.js';

/** Trace ids inline per slot: 32 holds W3C/OTLP hex ids and this tracer's 20-digit ids. */
const TRACE_ID_BYTES = 32;
const NONE = -1;

export class TraceRing {
  /** Serial of the oldest live trace. */
  headSerial = 0;
  /** Live traces. */
  count = 0;
  private headSlot = 0;
  private capacity = 0;
  private mask = 0;
  ids: IdBytesColumn;
  hashes = new Int32Array(0);
  firstRow = new Int32Array(0);
  lastRow = new Int32Array(0);
  spanCount = new Int32Array(0);
  service0 = new Int32Array(0);
  service1 = new Int32Array(0);
  /** Services past the first two, by serial (traces crossing many services; rare). */
  readonly moreServices = new Map<number, number[]>();
  private index = new Int32Array(0);
  private indexMask = 0;

  constructor(initialTraces: number) {
    this.ids = new IdBytesColumn(TRACE_ID_BYTES, 0);
    this.grow(initialTraces);
  }

  /** Slot of a live serial. */
  slotOf(serial: number): number {
    return (this.headSlot + (serial - this.headSerial)) & this.mask;
  }

  /** Slot of the trace `age` places from the oldest (0 = oldest, count - 1 = newest). */
  slotAt(age: number): number {
    return (this.headSlot + age) & this.mask;
  }

  /** Serial of a live slot. */
  serialOf(slot: number): number {
    return this.headSerial + ((slot - this.headSlot) & this.mask);
  }

  /** True while the trace of `serial` is stored. */
  isLive(serial: number): boolean {
    return serial >= this.headSerial;
  }

  /** Slot of the trace with id `traceId` (hash from {@link hashId}), or -1. */
  find(traceId: string, hash: number): number {
    const index = this.index;
    const mask = this.indexMask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = index[i] as number;
      if (entry === 0) return NONE;
      const slot = entry - 1;
      if (this.hashes[slot] === hash && this.ids.equals(slot, traceId)) return slot;
    }
  }

  /** Appends a new trace (no spans, no services yet) and returns its slot. */
  push(traceId: string, hash: number): number {
    if (this.count === this.capacity) this.grow(this.capacity * 2);
    const slot = (this.headSlot + this.count) & this.mask;
    this.count++;
    this.ids.set(slot, traceId);
    this.hashes[slot] = hash;
    this.firstRow[slot] = NONE;
    this.lastRow[slot] = NONE;
    this.spanCount[slot] = 0;
    this.service0[slot] = NO_STRING;
    this.service1[slot] = NO_STRING;
    this.place(slot);
    return slot;
  }

  /** Removes the oldest trace (the caller has released its rows and services first). */
  shift(): void {
    const slot = this.headSlot;
    this.unplace(slot);
    this.ids.clear(slot);
    this.moreServices.delete(this.headSerial);
    this.headSlot = (slot + 1) & this.mask;
    this.headSerial++;
    this.count--;
  }

  /** The services of a slot's trace (interned ids), first two first. */
  servicesOf(slot: number, serial: number): number[] {
    const services: number[] = [];
    const s0 = this.service0[slot] as number;
    const s1 = this.service1[slot] as number;
    if (s0 !== NO_STRING) services.push(s0);
    if (s1 !== NO_STRING) services.push(s1);
    const more = this.moreServices.get(serial);
    if (more) services.push(...more);
    return services;
  }

  /** True when the trace already lists `service`. */
  hasService(slot: number, serial: number, service: number): boolean {
    if (this.service0[slot] === service || this.service1[slot] === service) return true;
    return this.moreServices.get(serial)?.includes(service) ?? false;
  }

  /** Adds `service` to the trace's list (the caller checked it is new). */
  addService(slot: number, serial: number, service: number): void {
    if (this.service0[slot] === NO_STRING) this.service0[slot] = service;
    else if (this.service1[slot] === NO_STRING) this.service1[slot] = service;
    else {
      const more = this.moreServices.get(serial);
      if (more) more.push(service);
      else this.moreServices.set(serial, [service]);
    }
  }

  /** Forgets every trace and shrinks to `initialTraces` (serials keep counting up). */
  reset(initialTraces: number): void {
    this.headSerial += this.count;
    this.count = 0;
    this.headSlot = 0;
    this.capacity = 0;
    this.ids = new IdBytesColumn(TRACE_ID_BYTES, 0);
    this.hashes = new Int32Array(0);
    this.firstRow = new Int32Array(0);
    this.lastRow = new Int32Array(0);
    this.spanCount = new Int32Array(0);
    this.service0 = new Int32Array(0);
    this.service1 = new Int32Array(0);
    this.moreServices.clear();
    this.grow(initialTraces);
  }

  private place(slot: number): void {
    const index = this.index;
    const mask = this.indexMask;
    let i = (this.hashes[slot] as number) & mask;
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = slot + 1;
  }

  /** Removes a slot from the index, shifting back later entries of its probe run. */
  private unplace(slot: number): void {
    const index = this.index;
    const mask = this.indexMask;
    let i = (this.hashes[slot] as number) & mask;
    while (index[i] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const entry = index[j] as number;
      const home = (this.hashes[entry - 1] as number) & mask;
      // Entry j may move into the hole at i iff its home is not cyclically within (i, j].
      if (((j - home) & mask) >= ((j - i) & mask)) {
        index[i] = entry;
        i = j;
      }
    }
    index[i] = 0;
  }

  private grow(traces: number): void {
    const head = this.headSlot;
    this.ids.grow(traces, head);
    this.hashes = unrolled(this.hashes, traces, head);
    this.firstRow = unrolled(this.firstRow, traces, head);
    this.lastRow = unrolled(this.lastRow, traces, head);
    this.spanCount = unrolled(this.spanCount, traces, head);
    this.service0 = unrolled(this.service0, traces, head);
    this.service1 = unrolled(this.service1, traces, head);
    this.headSlot = 0;
    this.capacity = traces;
    this.mask = traces - 1;
    const size = traces * 2;
    this.index = new Int32Array(size);
    this.indexMask = size - 1;
    for (let age = 0; age < this.count; age++) this.place(age);
  }
}

/** `array` grown to `length`, its ring unrolled so old slot `head` becomes 0. */
function unrolled(array: Int32Array, length: number, head: number): Int32Array<ArrayBuffer> {
  const copy = new Int32Array(length);
  copy.set(array.subarray(head), 0);
  copy.set(array.subarray(0, head), array.length - head);
  return copy;
}
