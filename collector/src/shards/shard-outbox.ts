import { WIRE_HEADER_BYTES, WIRE_MAGIC_0, WIRE_MAGIC_1, WIRE_VERSION } from '@phosphor/wire';
import type { FrameSink } from './event-router.js';

/**
 * Default bytes of one outgoing buffer. Each hand-off has a fixed cost (a ring record, maybe a
 * wake-up of the shard), so frames are coalesced: 64 KiB holds ~450 events of a typical hop. The
 * sharded receiver asks for HANDOFF_BUFFER_BYTES.
 */
export const OUTBOX_BYTES = 64 * 1024;

/**
 * Bytes of each shard's hand-off buffer on the receiving thread: 256 KiB, ~1,800 events of a
 * typical hop. A shard ingests a buffer in a fraction of the time the receiving thread takes to
 * fill the next, so it goes idle between hand-offs and nearly every hand-off wakes it (a futex
 * wake, a turn of its event loop, cold caches). With 64 KiB (OUTBOX_BYTES) 60–90 % of hand-offs
 * woke a shard at 400k events/s; 256 KiB makes 3× fewer hand-offs and wake-ups, and at a million
 * events/s fills about as often as the receiver's 5 ms hand-off delay hands a buffer on.
 */
export const HANDOFF_BUFFER_BYTES = 256 * 1024;

/**
 * Receives a full or flushed buffer of `frames` events for a shard. The bytes are valid only
 * during the call: the outbox reuses its buffers, so the receiver copies what it keeps.
 */
export type OutboxFlush = (shard: number, datagram: Uint8Array, frames: number) => void;

/**
 * One outgoing buffer per shard. Each buffer is itself a valid Phosphor datagram: the 4-byte
 * header (no HMAC: it never leaves the process) followed by event frames copied as received,
 * which is a Batch carrying only events — so a shard decodes it with the ordinary wire decoder
 * and nothing is re-encoded on the way. Buffers are handed on when full and at `flush()` (the
 * receiver calls it once its current burst of datagrams is routed), then reused.
 */
export class ShardOutbox implements FrameSink {
  private readonly buffers: Uint8Array[];
  private readonly used: number[];
  private readonly frameCounts: number[];

  /** `bufferBytes`: size of each shard's buffer (OUTBOX_BYTES unless the caller's hand-offs cost more, see HANDOFF_BUFFER_BYTES). */
  constructor(
    shardCount: number,
    private readonly onFlush: OutboxFlush,
    private readonly bufferBytes = OUTBOX_BYTES,
  ) {
    this.buffers = Array.from({ length: shardCount }, () => newBuffer(bufferBytes));
    this.used = new Array<number>(shardCount).fill(WIRE_HEADER_BYTES);
    this.frameCounts = new Array<number>(shardCount).fill(0);
  }

  append(shard: number, bytes: Uint8Array, start: number, end: number, frames: number): void {
    const length = end - start;
    let buffer = this.buffers[shard] as Uint8Array;
    let used = this.used[shard] as number;
    if (used + length > buffer.length) {
      this.flushShard(shard);
      if (WIRE_HEADER_BYTES + length > this.bufferBytes) {
        // A frame larger than the usual buffer (big tags): a buffer of its own size.
        this.buffers[shard] = newBuffer(WIRE_HEADER_BYTES + length);
      }
      buffer = this.buffers[shard] as Uint8Array;
      used = WIRE_HEADER_BYTES;
    }
    buffer.set(bytes.subarray(start, end), used);
    this.used[shard] = used + length;
    this.frameCounts[shard] = (this.frameCounts[shard] as number) + frames;
  }

  /** Hands every non-empty buffer on. */
  flush(): void {
    for (let shard = 0; shard < this.buffers.length; shard++) this.flushShard(shard);
  }

  /** Event frames waiting in the buffers. */
  pendingFrames(): number {
    let n = 0;
    for (const c of this.frameCounts) n += c;
    return n;
  }

  private flushShard(shard: number): void {
    const used = this.used[shard] as number;
    if (used === WIRE_HEADER_BYTES) return;
    const buffer = this.buffers[shard] as Uint8Array;
    const frames = this.frameCounts[shard] as number;
    this.used[shard] = WIRE_HEADER_BYTES;
    this.frameCounts[shard] = 0;
    // An outsized buffer (one big frame) is not kept: the next burst starts a usual one.
    if (buffer.length !== this.bufferBytes) this.buffers[shard] = newBuffer(this.bufferBytes);
    this.onFlush(shard, buffer.subarray(0, used), frames);
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
