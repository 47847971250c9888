import {
  BATCH_EVENTS_FIELD,
  BATCH_SHARED_FIELD,
  varintBytes,
  WIRE_HEADER_BYTES,
  WIRE_LEN,
  WIRE_MAGIC_0,
  WIRE_MAGIC_1,
  WIRE_VERSION,
  writeVarint,
} from '@phosphor/wire';
import { copyBytes } from './copy-bytes.js';
import type { FrameSink } from './event-router.js';

/**
 * Bytes of one hand-off buffer. Each hand-off has a fixed cost (a ring record, maybe a wake-up of
 * the shard), so frames are coalesced: 64 KiB holds ~450 events of a typical hop. 256 KiB makes 3×
 * fewer hand-offs and shard wake-ups, which measured 5–9 % less CPU per event at a fixed 16 KiB-datagram
 * load, but in the sustained-rate benchmark it lost ~1 % of 1,400-byte datagrams at every rate from
 * 660k events/s (the receiving thread below half a core: the shards work in long bursts and the
 * receiver waits for a core) — two shards 0.86–0.92× of one core, against 1.37× with 64 KiB in the
 * same hour, and equal at 16 KiB (docs/benchmarks.md).
 */
export const OUTBOX_BYTES = 64 * 1024;

/** Tag byte of Batch field 6 (events), wire type 2: the start of each frame `appendJoined` writes. */
const EVENTS_FRAME_TAG = (BATCH_EVENTS_FIELD << 3) | WIRE_LEN;
/** Tag byte of Batch field 8 (shared), wire type 2: the start of each entry `appendReferring` writes. */
const SHARED_ENTRY_TAG = (BATCH_SHARED_FIELD << 3) | WIRE_LEN;
/**
 * Entries one buffer holds at most: a forwarded reference keeps its one varint byte, so its index
 * in the buffer is 1–127. A buffer that would need a 128th is handed on and the entry starts a new
 * one. Falling back to joined frames instead would keep the buffer but pay, for every later event
 * of it, the join this path exists to avoid (~200 CPU-ns each), while a hand-off costs a ring record
 * and maybe a wake-up; and a buffer reaches 127 entries only with many datagrams in it (a tracer's
 * holds at most 32), each entry written with at least one of its events.
 */
const MAX_BUFFER_ENTRIES = 127;
/** Slots per shard in the entry map: a datagram's entry index as a one-byte reference holds it, 1–127 (0 unused). */
const ENTRY_SLOTS = 128;

/**
 * Receives a full or flushed buffer of `events` events for a shard. The bytes are valid only
 * during the call: the outbox reuses its buffers, so the receiver copies what it keeps.
 */
export type OutboxFlush = (shard: number, datagram: Uint8Array, events: number) => void;

/**
 * One outgoing buffer per shard. Each buffer is itself a valid Phosphor datagram: the 4-byte
 * header (no HMAC: it never leaves the process) followed by event frames copied as received and
 * the shared entries (Batch field 8) those frames refer to, which is a Batch carrying only events
 * and entries — so a shard decodes it with the ordinary wire decoder and nothing is re-encoded on
 * the way. Buffers are handed on when full and at `flush()` (the receiver calls it once its current
 * burst of datagrams is routed), then reused.
 *
 * A buffer holds events of many datagrams, so an entry's index in its datagram means nothing there.
 * `appendReferring` writes each entry a frame uses into the frame's buffer once — just before the
 * first frame of that buffer using it, as the wire format asks — and patches the frame's one-byte
 * reference to the entry's index in the buffer. Which entries a buffer has is kept per shard in
 * `entryLocals` (datagram entry index → index in the buffer), valid while its stamp in
 * `entryStamps` is the later of the routed datagram's stamp and the buffer's: starting a datagram
 * or a buffer takes a new stamp, and the map needs no clearing.
 */
export class ShardOutbox implements FrameSink {
  private readonly buffers: Uint8Array[];
  private readonly used: number[];
  private readonly eventCounts: number[];
  /** Shared entries written into each shard's current buffer (its last one has that index there). */
  private readonly entryCounts: number[];
  /** Per shard × ENTRY_SLOTS: the entry's index in the shard's current buffer (see the class comment). */
  private readonly entryLocals: Uint8Array;
  /** Per shard × ENTRY_SLOTS: the stamp `entryLocals` was written under; -1 never. */
  private readonly entryStamps: Float64Array;
  /** Per shard: the stamp of its current buffer. */
  private readonly bufferStamps: Float64Array;
  /** The stamp of the datagram being routed. */
  private datagramStamp = 0;
  /** The last stamp handed out (a double: exact far beyond any uptime's count of datagrams and buffers). */
  private stamp = 0;

  /** `bufferBytes`: the usual buffer size (tests set a small one to make buffers fill mid-datagram). */
  constructor(
    shardCount: number,
    private readonly onFlush: OutboxFlush,
    private readonly bufferBytes = OUTBOX_BYTES,
  ) {
    this.buffers = Array.from({ length: shardCount }, () => newBuffer(bufferBytes));
    this.used = new Array<number>(shardCount).fill(WIRE_HEADER_BYTES);
    this.eventCounts = new Array<number>(shardCount).fill(0);
    this.entryCounts = new Array<number>(shardCount).fill(0);
    this.entryLocals = new Uint8Array(shardCount * ENTRY_SLOTS);
    this.entryStamps = new Float64Array(shardCount * ENTRY_SLOTS).fill(-1);
    this.bufferStamps = new Float64Array(shardCount);
  }

  startDatagram(): void {
    this.datagramStamp = ++this.stamp;
  }

  append(shard: number, bytes: Uint8Array, start: number, end: number, events: number): void {
    const used = this.room(shard, end - start);
    // A native copy of the range: `subarray` + `set` made a Buffer object per run of frames.
    copyBytes(bytes, start, end, this.buffers[shard] as Uint8Array, used);
    this.used[shard] = used + end - start;
    this.eventCounts[shard] = (this.eventCounts[shard] as number) + events;
  }

  appendJoined(
    shard: number,
    bytes: Uint8Array,
    entryStart: number,
    entryEnd: number,
    bodyStart: number,
    cutStart: number,
    cutEnd: number,
    bodyEnd: number,
    events: number,
  ): void {
    const bodyBytes = entryEnd - entryStart + (cutStart - bodyStart) + (bodyEnd - cutEnd);
    let at = this.room(shard, 1 + varintBytes(bodyBytes) + bodyBytes);
    const buffer = this.buffers[shard] as Uint8Array;
    at = writeFieldHeader(buffer, at, EVENTS_FRAME_TAG, bodyBytes);
    copyBytes(bytes, entryStart, entryEnd, buffer, at);
    at += entryEnd - entryStart;
    copyBytes(bytes, bodyStart, cutStart, buffer, at);
    at += cutStart - bodyStart;
    copyBytes(bytes, cutEnd, bodyEnd, buffer, at);
    this.used[shard] = at + bodyEnd - cutEnd;
    this.eventCounts[shard] = (this.eventCounts[shard] as number) + events;
  }

  appendReferring(
    shard: number,
    bytes: Uint8Array,
    entry: number,
    entryStart: number,
    entryEnd: number,
    frameStart: number,
    frameEnd: number,
    indexAt: number,
    events: number,
  ): void {
    const frameBytes = frameEnd - frameStart;
    const slot = shard * ENTRY_SLOTS + entry;
    let at = this.used[shard] as number;
    let local = this.entryStamps[slot] === this.entriesStamp(shard) ? (this.entryLocals[slot] as number) : 0;
    if (local === 0 || at + frameBytes > (this.buffers[shard] as Uint8Array).length) {
      // The entry goes first, in the buffer the frame goes into: room is made for both at once, so
      // a buffer handed on between them cannot leave the frame without its entry.
      if (this.entryCounts[shard] === MAX_BUFFER_ENTRIES) this.flushShard(shard);
      const entryBytes = entryEnd - entryStart;
      at = this.room(shard, 1 + varintBytes(entryBytes) + entryBytes + frameBytes);
      const buffer = this.buffers[shard] as Uint8Array;
      at = writeFieldHeader(buffer, at, SHARED_ENTRY_TAG, entryBytes);
      copyBytes(bytes, entryStart, entryEnd, buffer, at);
      at += entryBytes;
      local = (this.entryCounts[shard] as number) + 1;
      this.entryCounts[shard] = local;
      // Read after `room`, which may have started a buffer (and so a stamp).
      this.entryStamps[slot] = this.entriesStamp(shard);
      this.entryLocals[slot] = local;
    }
    const buffer = this.buffers[shard] as Uint8Array;
    copyBytes(bytes, frameStart, frameEnd, buffer, at);
    buffer[at + (indexAt - frameStart)] = local;
    this.used[shard] = at + frameBytes;
    this.eventCounts[shard] = (this.eventCounts[shard] as number) + events;
  }

  /** The stamp under which `shard`'s entry map is valid now: the later of the datagram's and the buffer's. */
  private entriesStamp(shard: number): number {
    return Math.max(this.bufferStamps[shard] as number, this.datagramStamp);
  }

  /** Makes room for `bytes` more in `shard`'s buffer (handing the buffer on if they do not fit); returns where they go. */
  private room(shard: number, bytes: number): number {
    const used = this.used[shard] as number;
    if (used + bytes <= (this.buffers[shard] as Uint8Array).length) return used;
    this.flushShard(shard);
    if (WIRE_HEADER_BYTES + bytes > this.bufferBytes) {
      // A frame larger than the usual buffer (big tags): a buffer of its own size.
      this.buffers[shard] = newBuffer(WIRE_HEADER_BYTES + bytes);
    }
    return WIRE_HEADER_BYTES;
  }

  /** Hands every non-empty buffer on. */
  flush(): void {
    for (let shard = 0; shard < this.buffers.length; shard++) this.flushShard(shard);
  }

  /** Events waiting in the buffers (a frame standing for two events counts two). */
  pendingEvents(): number {
    let n = 0;
    for (const c of this.eventCounts) n += c;
    return n;
  }

  private flushShard(shard: number): void {
    const used = this.used[shard] as number;
    if (used === WIRE_HEADER_BYTES) return;
    const buffer = this.buffers[shard] as Uint8Array;
    const events = this.eventCounts[shard] as number;
    this.used[shard] = WIRE_HEADER_BYTES;
    this.eventCounts[shard] = 0;
    // The next buffer starts without entries: a new stamp leaves every map slot of the shard stale.
    this.entryCounts[shard] = 0;
    this.bufferStamps[shard] = ++this.stamp;
    // An outsized buffer (one big frame) is not kept: the next burst starts a usual one.
    if (buffer.length !== this.bufferBytes) this.buffers[shard] = newBuffer(this.bufferBytes);
    this.onFlush(shard, buffer.subarray(0, used), events);
  }
}

/** Writes a length-delimited field's tag byte and `length` varint at `at`; returns where its bytes go. */
function writeFieldHeader(buffer: Uint8Array, at: number, tag: number, length: number): number {
  buffer[at] = tag;
  return writeVarint(buffer, at + 1, length);
}

function newBuffer(bytes: number): Uint8Array {
  const buffer = new Uint8Array(bytes);
  buffer[0] = WIRE_MAGIC_0;
  buffer[1] = WIRE_MAGIC_1;
  buffer[2] = WIRE_VERSION;
  buffer[3] = 0;
  return buffer;
}
