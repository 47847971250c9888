/**
 * The second ingest prototype (see lean-ingest-prototype.ts for the first): the same work, but no
 * per-event strings or Map operations. Trace and span ids stay bytes — copied once per hop into a
 * byte arena, hashed and compared there — and hops, spans and traces live in typed-array columns
 * indexed by open-addressing tables, so the hot path allocates nothing and the garbage collector
 * never sees a span. Names are interned only when a side of the hop (client: REQ/REP, server:
 * IN/OUT) is first seen. Strings would be made from the bytes when a query reads a span.
 * It measures whether a JavaScript collector built this way could reach the ingest target.
 */
import { InternTable } from '@phosphor/wire';
import { IngestPrototypeBase } from './ingest-prototype-base.js';

const NAME_SLOTS = 8192;
/** Bytes kept per id; the prototype only sees the bench's ids (≤ 20 bytes). */
const ID_BYTES = 32;
/** Event type numbers on the wire (phosphor.proto): REQ 1, IN 2, OUT 3, REP 4. */
const OUT = 3;
const REP = 4;
const CLIENT_SIDE = 0b1001;
const ALL_EVENTS = 0b1111;
// Field offsets recorded by the first pass over an event: [start, end) per field number.
const F_TRACE = 2;
const F_SPAN = 3;
const F_PARENT = 4;
const F_FROM = 5;
const F_FROM_ENDPOINT = 6;
const F_TO = 7;
const F_TO_ENDPOINT = 8;
const F_HOSTNAME = 10;
const F_ERROR = 13;
const FIELD_SLOTS = 16;

/** Hash of `bytes[start, end)`, four bytes at a time (the last word may overlap). */
function hashBytes(view: DataView, start: number, end: number, seed: number): number {
  let hash = seed ^ (end - start);
  const last = end - 4;
  let at = start;
  for (; at < last; at += 4) {
    hash = Math.imul(hash ^ view.getInt32(at, true), 0x5bd1e995);
    hash ^= hash >>> 15;
  }
  if (end - start >= 4) {
    hash = Math.imul(hash ^ view.getInt32(last, true), 0x5bd1e995);
    hash ^= hash >>> 15;
  } else {
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ view.getUint8(i), 0x5bd1e995);
  }
  return hash | 0;
}

/**
 * An open-addressing index (linear probing, backward-shift deletion) from a 32-bit hash to slot
 * numbers; the caller verifies keys, so colliding hashes cost a comparison, never a wrong answer.
 */
class SlotIndex {
  private readonly table: Int32Array;
  private readonly mask: number;

  constructor(
    capacity: number,
    private readonly hashes: Int32Array,
  ) {
    let size = 1;
    while (size < capacity * 2) size <<= 1;
    this.table = new Int32Array(size);
    this.mask = size - 1;
  }

  /** Entry at probe position `i` (slot + 1, 0 = empty) and the probe mask, for callers that verify keys inline. */
  entryAt(i: number): number {
    return this.table[i & this.mask] as number;
  }

  hashOf(slot: number): number {
    return this.hashes[slot] as number;
  }

  insert(hash: number, slot: number): void {
    const table = this.table;
    let i = hash & this.mask;
    while (table[i] !== 0) i = (i + 1) & this.mask;
    table[i] = slot + 1;
  }

  remove(hash: number, slot: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = hash & mask;
    while (table[i] !== slot + 1) {
      if (table[i] === 0) return;
      i = (i + 1) & mask;
    }
    // Backward shift: move later entries of the probe run into the hole when their home allows.
    let hole = i;
    for (let j = (i + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
      const home = (this.hashes[(table[j] as number) - 1] as number) & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        table[hole] = table[j] as number;
        hole = j;
      }
    }
    table[hole] = 0;
  }
}

export class ByteKeyedIngestPrototype extends IngestPrototypeBase {
  private readonly names = new InternTable(NAME_SLOTS);
  private readonly fieldStart = new Int32Array(FIELD_SLOTS);
  private readonly fieldEnd = new Int32Array(FIELD_SLOTS);
  // Span columns, a ring of `capacity` slots (the oldest span is overwritten).
  private readonly ids: Uint8Array; // per slot: traceId, spanId, parentSpanId
  private readonly idLengths: Uint8Array; // per slot × 3
  private readonly spanHashes: Int32Array;
  private readonly traceHashes: Int32Array;
  private readonly spanIndex: SlotIndex;
  /** Trace head slots: the trace's newest span; its count is in traceSpans. */
  private readonly traceIndex: SlotIndex;
  private readonly traceHeadHashes: Int32Array;
  private readonly traceNewest: Int32Array;
  private readonly traceSpans: Int32Array;
  private readonly freeTraces: Int32Array;
  private freeTraceCount: number;
  private readonly traceOf: Int32Array;
  readonly counters = { events: 0, completeSpans: 0, overwrittenSpans: 0, duplicateEvents: 0, traces: 0 };

  constructor(capacity: number) {
    super(capacity);
    this.ids = new Uint8Array(capacity * 3 * ID_BYTES);
    this.idLengths = new Uint8Array(capacity * 3);
    this.spanHashes = new Int32Array(capacity);
    this.traceHashes = new Int32Array(capacity);
    this.spanIndex = new SlotIndex(capacity, this.spanHashes);
    this.traceHeadHashes = new Int32Array(capacity);
    this.traceIndex = new SlotIndex(capacity, this.traceHeadHashes);
    this.traceNewest = new Int32Array(capacity);
    this.traceSpans = new Int32Array(capacity);
    this.traceOf = new Int32Array(capacity);
    this.freeTraces = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.freeTraces[i] = capacity - 1 - i;
    this.freeTraceCount = capacity;
  }

  protected event(start: number, end: number): void {
    const buf = this.buf;
    const view = this.view;
    const starts = this.fieldStart;
    const ends = this.fieldEnd;
    // Only the optional fields need resetting: the ids and names are in every event the bench sends.
    starts[F_PARENT] = ends[F_PARENT] = 0;
    starts[F_ERROR] = ends[F_ERROR] = 0;
    let type = 0;
    let timestamp = 0;
    let duration = 0;
    let pos = start;
    while (pos < end) {
      const tag = buf[pos++] as number;
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (wireType === 2) {
        const length = buf[pos++] as number;
        if (field < FIELD_SLOTS) {
          starts[field] = pos;
          ends[field] = pos + length;
        }
        pos += length;
      } else if (wireType === 1) {
        if (field === 9) timestamp = view.getFloat64(pos, true);
        else if (field === 12) duration = view.getFloat64(pos, true);
        pos += 8;
      } else if (wireType === 0) {
        const value = this.varint(pos);
        pos = this.afterVarint;
        if (field === 1) type = value;
      } else pos += 4;
    }
    this.counters.events++;
    const traceHash = hashBytes(view, starts[F_TRACE] as number, ends[F_TRACE] as number, 0x1b873593);
    const spanHash = hashBytes(view, starts[F_SPAN] as number, ends[F_SPAN] as number, traceHash);
    let slot = -1;
    const spans = this.spanIndex;
    for (let i = spanHash; ; i++) {
      const entry = spans.entryAt(i);
      if (entry === 0) break;
      if (
        spans.hashOf(entry - 1) === spanHash &&
        this.sameId(entry - 1, 1, F_SPAN) &&
        this.sameId(entry - 1, 0, F_TRACE)
      ) {
        slot = entry - 1;
        break;
      }
    }
    if (slot < 0) slot = this.newSpan(traceHash, spanHash);
    const bit = 1 << (type - 1);
    const mask = this.masks[slot] as number;
    if ((mask & bit) !== 0) {
      this.counters.duplicateEvents++;
      return;
    }
    this.masks[slot] = mask | bit;
    this.times[slot * 4 + type - 1] = timestamp;
    const names = this.names;
    if ((bit & CLIENT_SIDE) !== 0) {
      if ((mask & CLIENT_SIDE) === 0) {
        this.froms[slot] = names.get(buf, view, starts[F_FROM] as number, ends[F_FROM] as number);
        this.fromEndpoints[slot] = names.get(
          buf,
          view,
          starts[F_FROM_ENDPOINT] as number,
          ends[F_FROM_ENDPOINT] as number,
        );
        this.clientHosts[slot] = names.get(buf, view, starts[F_HOSTNAME] as number, ends[F_HOSTNAME] as number);
      }
      if (type === REP) this.durations[slot * 2] = duration;
    } else {
      if ((mask & ~CLIENT_SIDE) === 0) {
        this.tos[slot] = names.get(buf, view, starts[F_TO] as number, ends[F_TO] as number);
        this.toEndpoints[slot] = names.get(buf, view, starts[F_TO_ENDPOINT] as number, ends[F_TO_ENDPOINT] as number);
        this.serverHosts[slot] = names.get(buf, view, starts[F_HOSTNAME] as number, ends[F_HOSTNAME] as number);
      }
      if (type === OUT) this.durations[slot * 2 + 1] = duration;
    }
    if (ends[F_ERROR] !== starts[F_ERROR]) {
      this.errorCodes[slot] = names.get(buf, view, starts[F_ERROR] as number, ends[F_ERROR] as number);
    }
    if ((mask | bit) === ALL_EVENTS) this.complete(slot);
  }

  /** Whether id `which` (0 trace, 1 span) of `slot` equals the current event's field. */
  private sameId(slot: number, which: number, field: number): boolean {
    const start = this.fieldStart[field] as number;
    const length = (this.fieldEnd[field] as number) - start;
    if (this.idLengths[slot * 3 + which] !== length) return false;
    const ids = this.ids;
    const base = (slot * 3 + which) * ID_BYTES;
    const buf = this.buf;
    for (let i = 0; i < length; i++) if (ids[base + i] !== buf[start + i]) return false;
    return true;
  }

  private copyId(slot: number, which: number, field: number): void {
    const start = this.fieldStart[field] as number;
    const length = Math.min(ID_BYTES, (this.fieldEnd[field] as number) - start);
    this.idLengths[slot * 3 + which] = length;
    const ids = this.ids;
    const base = (slot * 3 + which) * ID_BYTES;
    const buf = this.buf;
    for (let i = 0; i < length; i++) ids[base + i] = buf[start + i] as number;
  }

  private newSpan(traceHash: number, spanHash: number): number {
    const slot = this.next;
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
    if (this.live[slot] === 1) this.overwrite(slot);
    this.live[slot] = 1;
    this.copyId(slot, 0, F_TRACE);
    this.copyId(slot, 1, F_SPAN);
    this.copyId(slot, 2, F_PARENT);
    this.spanHashes[slot] = spanHash;
    this.traceHashes[slot] = traceHash;
    this.masks[slot] = 0;
    this.errorCodes[slot] = '';
    this.spanIndex.insert(spanHash, slot);
    let trace = -1;
    const traces = this.traceIndex;
    for (let i = traceHash; ; i++) {
      const entry = traces.entryAt(i);
      if (entry === 0) break;
      if (traces.hashOf(entry - 1) === traceHash && this.sameId(this.traceNewest[entry - 1] as number, 0, F_TRACE)) {
        trace = entry - 1;
        break;
      }
    }
    if (trace < 0) {
      trace = this.freeTraces[--this.freeTraceCount] as number;
      this.traceHeadHashes[trace] = traceHash;
      this.traceSpans[trace] = 0;
      this.olderInTrace[slot] = -1;
      this.traceIndex.insert(traceHash, trace);
      this.counters.traces++;
    } else {
      this.olderInTrace[slot] = this.traceNewest[trace] as number;
    }
    this.traceNewest[trace] = slot;
    this.traceSpans[trace] = (this.traceSpans[trace] as number) + 1;
    this.traceOf[slot] = trace;
    return slot;
  }

  private overwrite(slot: number): void {
    this.counters.overwrittenSpans++;
    this.spanIndex.remove(this.spanHashes[slot] as number, slot);
    const trace = this.traceOf[slot] as number;
    const left = (this.traceSpans[trace] as number) - 1;
    this.traceSpans[trace] = left;
    if (left === 0) {
      this.traceIndex.remove(this.traceHeadHashes[trace] as number, trace);
      this.freeTraces[this.freeTraceCount++] = trace;
      this.counters.traces--;
    }
  }

  private complete(slot: number): void {
    this.counters.completeSpans++;
    this.finishSpan(slot);
  }
}
