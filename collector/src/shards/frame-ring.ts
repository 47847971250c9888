/*
 * A single-producer, single-consumer ring of byte records in shared memory: how the receiving
 * thread hands routed event frames to a shard's worker without a message per hand-off.
 *
 * A postMessage per hand-off costs the receiving thread a structured-clone serialisation, a fresh
 * ArrayBuffer (its memory is transferred away) and a wake-up of the worker's loop, and the
 * transferred buffers leave garbage for V8's helper threads: measured at 20–40 µs per hand-off,
 * as much CPU per event as a whole single-core collector spends decoding and assembling. Here the
 * producer copies a record into memory both threads see and publishes it with one atomic store;
 * the consumer drains every record published so far and only when it has found the ring empty and
 * gone to sleep does the producer pay for a wake-up (`Atomics.notify`). Under load the consumer
 * rarely sleeps, so hand-offs cost a copy each.
 *
 * Layout: one SharedArrayBuffer = CONTROL_BYTES of Int32 control words, then `capacity` bytes of
 * records. A record is [Int32 payload byte length][Int32 frame count][payload, padded to 4 bytes]
 * and never wraps: when it does not fit before the end, the producer writes a WRAP marker (length
 * -1) and starts again at offset 0 (if fewer than 4 bytes are left, the wrap is implicit).
 * Positions are byte offsets in [0, capacity]; the ring is empty when read === write, and a record
 * placed before `read` always ends GAP_BYTES short of it, so a full ring is never mistaken for an
 * empty one. A record fits an empty ring whenever its size is at most half the capacity.
 *
 * Ordering: the producer writes a record's bytes, then stores WRITE (Atomics, sequentially
 * consistent) — the consumer loads WRITE before reading the bytes, so it sees them whole. The
 * consumer stores READ after it has finished with a record, so the producer never overwrites bytes
 * being read. Sleeping: the consumer sets SLEEPING, then waits on WRITE with the value it last saw
 * (`Atomics.waitAsync` returns at once if WRITE moved meanwhile); the producer stores WRITE, then
 * clears SLEEPING and notifies if it was set — with sequentially consistent atomics one of the two always sees
 * the other's store, so no record is left unnoticed.
 */

import { copyBytes } from './copy-bytes.js';

/** Control words (Int32 indices). */
const WRITE = 0;
const READ = 1;
const SLEEPING = 2;
/** Bytes of control words before the records; 64 keeps them off the records' cache lines. */
const CONTROL_BYTES = 64;
/** Bytes of a record's header: payload length and frame count. */
const RECORD_HEADER_BYTES = 8;
/** Length word of a wrap marker. */
const WRAP = -1;
/** Free bytes the producer never fills, so write === read means empty only. */
const GAP_BYTES = 8;

/**
 * `Atomics.waitAsync` (ES2024, in every Node ≥ 16): typed here because the project's TypeScript
 * library level is ES2023.
 */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync: WaitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Rounds up to a multiple of 4 (records start on Int32 boundaries). */
function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Allocates the shared memory of a ring holding up to `capacityBytes` of records (rounded to 4). */
export function createFrameRing(capacityBytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + align4(capacityBytes));
}

/** The receiving thread's end: appends records; never blocks (a full ring refuses the record). */
export class FrameRingWriter {
  private readonly control: Int32Array;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly capacity: number;
  /** The producer's own copy of WRITE (only it stores WRITE). */
  private write: number;
  /** Records that found the consumer asleep and woke it. */
  wakeUps = 0;

  constructor(ring: SharedArrayBuffer) {
    this.control = new Int32Array(ring, 0, CONTROL_BYTES / 4);
    this.capacity = ring.byteLength - CONTROL_BYTES;
    this.words = new Int32Array(ring, CONTROL_BYTES, this.capacity / 4);
    this.bytes = new Uint8Array(ring, CONTROL_BYTES, this.capacity);
    this.write = Atomics.load(this.control, WRITE);
  }

  /**
   * Copies `payload` as one record of `events` events and publishes it, waking the consumer if it
   * sleeps. Returns false (nothing written) when the ring has not enough free room.
   */
  push(payload: Uint8Array, events: number): boolean {
    const need = RECORD_HEADER_BYTES + align4(payload.length);
    const read = Atomics.load(this.control, READ);
    let at = this.write;
    if (read > at) {
      // Free: [at, read).
      if (at + need > read - GAP_BYTES) return false;
    } else if (this.capacity - at < need) {
      // Free: [at, end) is too short, so the record goes at 0, before `read`.
      if (need > read - GAP_BYTES) return false;
      if (this.capacity - at >= 4) this.words[at >> 2] = WRAP;
      at = 0;
    }
    this.words[at >> 2] = payload.length;
    this.words[(at >> 2) + 1] = events;
    copyBytes(payload, 0, payload.length, this.bytes, at + RECORD_HEADER_BYTES);
    this.write = at + need;
    Atomics.store(this.control, WRITE, this.write);
    // Clearing the flag here wakes the consumer once per sleep, however many records follow.
    if (Atomics.compareExchange(this.control, SLEEPING, 1, 0) === 1) {
      this.wakeUps++;
      Atomics.notify(this.control, WRITE);
    }
    return true;
  }
}

/** The shard's end: reads records in order, and waits (without blocking its thread) for more. */
export class FrameRingReader {
  private readonly control: Int32Array;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly capacity: number;
  /** The consumer's own copy of READ (only it stores READ). */
  private read: number;

  constructor(ring: SharedArrayBuffer) {
    this.control = new Int32Array(ring, 0, CONTROL_BYTES / 4);
    this.capacity = ring.byteLength - CONTROL_BYTES;
    this.words = new Int32Array(ring, CONTROL_BYTES, this.capacity / 4);
    this.bytes = new Uint8Array(ring, CONTROL_BYTES, this.capacity);
    this.read = Atomics.load(this.control, READ);
  }

  /**
   * Hands up to `maxRecords` published records to `each` (a view into shared memory, valid only
   * during the call: the producer may reuse the bytes once it returns); returns how many.
   */
  drain(maxRecords: number, each: (payload: Uint8Array, events: number) => void): number {
    const write = Atomics.load(this.control, WRITE);
    let at = this.read;
    let n = 0;
    while (at !== write && n < maxRecords) {
      if (this.capacity - at < 4 || this.words[at >> 2] === WRAP) {
        at = 0;
        continue;
      }
      const length = this.words[at >> 2] as number;
      const events = this.words[(at >> 2) + 1] as number;
      const start = at + RECORD_HEADER_BYTES;
      at = start + align4(length);
      try {
        each(this.bytes.subarray(start, start + length), events);
      } finally {
        // Positions run up to `capacity` included (never normalised to 0 here: the producer's
        // WRITE may equal `capacity`, and read === write must keep meaning empty).
        this.read = at;
        Atomics.store(this.control, READ, at);
      }
      n++;
    }
    return n;
  }

  /**
   * Resolves once a record may be waiting (at once if one is): marks the consumer asleep, so the
   * producer's next record wakes it.
   */
  waitForRecords(): Promise<void> {
    Atomics.store(this.control, SLEEPING, 1);
    const waited = waitAsync(this.control, WRITE, this.read);
    const awake = () => {
      Atomics.store(this.control, SLEEPING, 0);
    };
    if (!waited.async) {
      awake();
      return Promise.resolve();
    }
    return waited.value.then(awake);
  }
}
