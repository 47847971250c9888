import {
  BATCH_EVENTS_FIELD,
  WIRE_HEADER_BYTES,
  WIRE_LEN,
  WIRE_MAGIC_0,
  WIRE_MAGIC_1,
  WIRE_VERSION,
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

/**
 * Receives a full or flushed buffer of `events` events for a shard. The bytes are valid only
 * during the call: the outbox reuses its buffers, so the receiver copies what it keeps.
 */
export type OutboxFlush = (shard: number, datagram: Uint8Array, events: number) => void;

/**
 * One outgoing buffer per shard. Each buffer is itself a valid Phosphor datagram: the 4-byte
 * header (no HMAC: it never leaves the process) followed by event frames copied as received (or,
 * for an event referring to a shared entry, the entry's bytes and the event's joined into one
 * frame), which is a Batch carrying only events — so a shard decodes it with the ordinary wire
 * decoder and nothing is re-encoded on the way. Buffers are handed on when full and at `flush()` (the
 * receiver calls it once its current burst of datagrams is routed), then reused.
 */
export class ShardOutbox implements FrameSink {
  private readonly buffers: Uint8Array[];
  private readonly used: number[];
  private readonly eventCounts: number[];

  constructor(
    shardCount: number,
    private readonly onFlush: OutboxFlush,
  ) {
    this.buffers = Array.from({ length: shardCount }, () => newBuffer(OUTBOX_BYTES));
    this.used = new Array<number>(shardCount).fill(WIRE_HEADER_BYTES);
    this.eventCounts = new Array<number>(shardCount).fill(0);
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
    let lengthBytes = 1;
    for (let v = bodyBytes; v >= 0x80; v >>>= 7) lengthBytes++;
    let at = this.room(shard, 1 + lengthBytes + bodyBytes);
    const buffer = this.buffers[shard] as Uint8Array;
    buffer[at++] = EVENTS_FRAME_TAG;
    let v = bodyBytes;
    while (v >= 0x80) {
      buffer[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buffer[at++] = v;
    copyBytes(bytes, entryStart, entryEnd, buffer, at);
    at += entryEnd - entryStart;
    copyBytes(bytes, bodyStart, cutStart, buffer, at);
    at += cutStart - bodyStart;
    copyBytes(bytes, cutEnd, bodyEnd, buffer, at);
    this.used[shard] = at + bodyEnd - cutEnd;
    this.eventCounts[shard] = (this.eventCounts[shard] as number) + events;
  }

  /** Makes room for `bytes` more in `shard`'s buffer (handing the buffer on if they do not fit); returns where they go. */
  private room(shard: number, bytes: number): number {
    const used = this.used[shard] as number;
    if (used + bytes <= (this.buffers[shard] as Uint8Array).length) return used;
    this.flushShard(shard);
    if (WIRE_HEADER_BYTES + bytes > OUTBOX_BYTES) {
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
    // An outsized buffer (one big frame) is not kept: the next burst starts a usual one.
    if (buffer.length !== OUTBOX_BYTES) this.buffers[shard] = newBuffer(OUTBOX_BYTES);
    this.onFlush(shard, buffer.subarray(0, used), events);
  }
}

function newBuffer(bytes: number): Uint8Array {
  const buffer = new Uint8Array(bytes);
  buffer[0] = WIRE_MAGIC_0;
  buffer[1] = WIRE_MAGIC_1;
  buffer[2] = WIRE_VERSION;
  buffer[3] = 0;
  return buffer;
}
