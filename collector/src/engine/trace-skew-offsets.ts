/**
 * Trace skew offsets: the clock offset found for each host of a recent trace, kept so a span
 * emitted later in the trace is skew-corrected with what its ancestors' hosts measured (see
 * adjustSpanSkew). The most recent MAX_TRACKED_TRACE_OFFSETS traces are kept, the oldest
 * forgotten first.
 *
 * Layout: a {@link TraceIdRing} (trace ids as bytes, in arrival order) whose slots hold the first
 * two hosts of a trace and their offsets in columns; further hosts go to a Map per trace (rare).
 * A trace lives here for tens of thousands of spans, longer than a young-generation collection:
 * as objects (a Map entry, an offsets object and the id string per trace) they were promoted and
 * made most of the old generation's garbage; as columns they make none.
 *
 * {@link TraceSkewOffsets.of} returns one reused {@link HostOffsetTable} view, valid until the next
 * call — the caller adjusts one span with it at a time.
 */
import type { HostOffsetTable } from '../assembly/skew.js';
import type { SpanBatch } from '../model/span-batch.js';
import { TraceIdRing, unrolled } from '../util/trace-id-ring.js';

/** Traces whose host offsets are kept for emission-time skew correction. */
export const MAX_TRACKED_TRACE_OFFSETS = 20_000;
/** Slots allocated at first; they double up to MAX_TRACKED_TRACE_OFFSETS. */
const INITIAL_SLOTS = 1024;

class TraceOffsetsRing extends TraceIdRing {
  /** First and second host of each trace (undefined = none yet) and their offsets. */
  host0: (string | undefined)[] = [];
  host1: (string | undefined)[] = [];
  offset0 = new Float64Array(0);
  offset1 = new Float64Array(0);
  /** Hosts past the first two, by serial. */
  readonly more = new Map<number, Map<string, number>>();

  protected override initSlot(slot: number): void {
    this.host0[slot] = undefined;
    this.host1[slot] = undefined;
  }

  override shift(): void {
    if (this.more.size > 0) this.more.delete(this.headSerial);
    super.shift();
  }

  override reset(): void {
    this.more.clear();
    super.reset();
  }

  protected override growColumns(capacity: number, head: number): void {
    this.offset0 = unrolled(this.offset0, capacity, head);
    this.offset1 = unrolled(this.offset1, capacity, head);
    this.host0 = unrolledArray(this.host0, capacity, head);
    this.host1 = unrolledArray(this.host1, capacity, head);
  }
}

/** The offsets of one trace's hosts, read and written in the ring's columns. */
class SlotHostOffsets implements HostOffsetTable {
  slot = 0;
  serial = 0;

  constructor(private readonly ring: TraceOffsetsRing) {}

  get(host: string): number | undefined {
    const ring = this.ring;
    if (host === ring.host0[this.slot]) return ring.offset0[this.slot];
    if (host === ring.host1[this.slot]) return ring.offset1[this.slot];
    return ring.more.size > 0 ? ring.more.get(this.serial)?.get(host) : undefined;
  }

  has(host: string): boolean {
    const ring = this.ring;
    return (
      host === ring.host0[this.slot] ||
      host === ring.host1[this.slot] ||
      (ring.more.size > 0 && (ring.more.get(this.serial)?.has(host) ?? false))
    );
  }

  /** Sets a host's offset (the callers only set hosts not yet present), as HostOffsets does. */
  set(host: string, offset: number): void {
    const ring = this.ring;
    const slot = this.slot;
    const host0 = ring.host0[slot];
    if (host0 === undefined || host === host0) {
      ring.host0[slot] = host;
      ring.offset0[slot] = offset;
      return;
    }
    const host1 = ring.host1[slot];
    if (host1 === undefined || host === host1) {
      ring.host1[slot] = host;
      ring.offset1[slot] = offset;
      return;
    }
    let more = ring.more.get(this.serial);
    if (more === undefined) {
      more = new Map();
      ring.more.set(this.serial, more);
    }
    more.set(host, offset);
  }
}

export class TraceSkewOffsets {
  private readonly ring = new TraceOffsetsRing(INITIAL_SLOTS, MAX_TRACKED_TRACE_OFFSETS + 1);
  private readonly view = new SlotHostOffsets(this.ring);
  /** Last trace asked for: consecutive spans mostly belong to one trace. */
  private lastTraceId: string | undefined;
  private lastHash = 0;
  private lastSerial = -1;

  /**
   * The host offsets of `traceId` (new and empty the first time), valid until the next call.
   * `hash` is the caller's hash of the id (the joiner's id table hashes its key bytes, so no
   * string is hashed here): equal ids must always come with equal hashes.
   */
  of(traceId: string, hash: number): HostOffsetTable {
    const ring = this.ring;
    const view = this.view;
    if (hash === this.lastHash && traceId === this.lastTraceId && ring.isLive(this.lastSerial)) {
      view.serial = this.lastSerial;
      view.slot = ring.slotOf(this.lastSerial);
      return view;
    }
    let slot = ring.find(traceId, hash);
    if (slot < 0) {
      slot = ring.push(traceId, hash);
      if (ring.count > MAX_TRACKED_TRACE_OFFSETS) ring.shift();
    }
    return this.viewOf(slot, hash, traceId);
  }

  /**
   * {@link of} for the trace of entry `i` of `batch`, found by its id bytes (no string made) when
   * the batch holds them, as the ring's other lookups are.
   */
  ofEntry(batch: SpanBatch, i: number, hash: number): HostOffsetTable {
    const ring = this.ring;
    const view = this.view;
    if (hash === this.lastHash && ring.isLive(this.lastSerial)) {
      const slot = ring.slotOf(this.lastSerial);
      if (batch.traceIdIn(i, ring.ids, slot)) {
        view.serial = this.lastSerial;
        view.slot = slot;
        return view;
      }
    }
    const slot = ring.findOrPushTraceOf(batch, i, hash);
    // The oldest trace is forgotten after a new one is added (the ring holds one slot more for that).
    if (ring.count > MAX_TRACKED_TRACE_OFFSETS) ring.shift();
    // The trace's string is not known here: an `of` call for it finds its slot by lookup.
    return this.viewOf(slot, hash, undefined);
  }

  /** Points the view at `slot` and remembers it as the last trace asked for. */
  private viewOf(slot: number, hash: number, traceId: string | undefined): HostOffsetTable {
    const view = this.view;
    view.slot = slot;
    view.serial = this.ring.serialOf(slot);
    this.lastTraceId = traceId;
    this.lastHash = hash;
    this.lastSerial = view.serial;
    return view;
  }

  /** The ring's index entry a lookup of `hash` reads first (for reading it ahead of {@link of}). */
  indexEntry(hash: number): number {
    return this.ring.indexEntry(hash);
  }

  /**
   * The index entries of the next `count` traces a full ring forgets (its oldest), for reading
   * them ahead like {@link indexEntry}; 0 while the ring is not full.
   */
  oldestEntries(count: number): number {
    const ring = this.ring;
    if (ring.count < MAX_TRACKED_TRACE_OFFSETS) return 0;
    let warmed = 0;
    for (let age = 0; age < count; age++) warmed ^= ring.indexEntryAt(age);
    return warmed;
  }

  /** Traces tracked now. */
  get size(): number {
    return this.ring.count;
  }

  /** Forgets every trace. */
  clear(): void {
    this.ring.reset();
    this.lastTraceId = undefined;
    this.lastSerial = -1;
  }
}

/** A plain array grown to `length`, its ring unrolled so old slot `head` becomes 0. */
function unrolledArray<T>(array: T[], length: number, head: number): T[] {
  if (length === 0) return [];
  const copy = [...array.slice(head), ...array.slice(0, head)];
  for (let i = copy.length; i < length; i++) copy.push(undefined as T);
  return copy;
}
