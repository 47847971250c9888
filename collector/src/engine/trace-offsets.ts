/**
 * Trace offsets: the host clock offsets ({@link HostOffsets}) of the most recently started traces,
 * for the joiner's emission-time skew correction. At most `capacity` traces; adding one more
 * forgets the one added first (FIFO, as a Map plus a queue of its keys would).
 *
 * Layout. Entries live in a ring — `traceIds[p]`, `offsets[p]`, `hashes[p]` at position `p`, the
 * oldest at `head` — indexed by an open-addressing table `slots` of two-word entries (`p + 1`, 0 =
 * empty, and the hash), linear probing, at most half full, backward-shift deletion (no tombstones).
 * The hash is the caller's: the joiner hashes the trace id's key bytes from its id table
 * ({@link IdTable.traceHash}), so finding a trace hashes no string, and forgetting the oldest is a
 * probe instead of a Map delete (a Map used as a FIFO at ingest rate also pays for rehashing its
 * deleted entries).
 *
 * Invariants: every ring entry is in `slots` exactly once; equal ids have equal hashes (the
 * caller's contract); a hash collision costs a string comparison, never a wrong entry.
 */
import { HostOffsets } from '../assembly/skew.js';

/** Ring positions allocated up front; the ring doubles from here up to the capacity. */
const INITIAL_ENTRIES = 1024;

export class TraceOffsets {
  private traceIds: string[] = [];
  private offsets: HostOffsets[] = [];
  private hashes = new Int32Array(0);
  private slots = new Int32Array(0);
  private mask = 0;
  private head = 0;
  private count = 0;

  constructor(
    /** Traces kept at most. */
    readonly capacity: number,
  ) {
    this.resize(Math.min(INITIAL_ENTRIES, capacity));
  }

  /** Traces kept. */
  get size(): number {
    return this.count;
  }

  /** The offsets of `traceId` (whose hash is `hash`), adding an empty entry when it is not kept. */
  offsetsOf(traceId: string, hash: number): HostOffsets {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = slots[i * 2] as number;
      if (entry === 0) break;
      if (slots[i * 2 + 1] === hash && this.traceIds[entry - 1] === traceId)
        return this.offsets[entry - 1] as HostOffsets;
    }
    return this.add(traceId, hash);
  }

  /** Forgets every trace and shrinks back. */
  clear(): void {
    this.traceIds = [];
    this.offsets = [];
    this.head = this.count = 0;
    this.resize(Math.min(INITIAL_ENTRIES, this.capacity));
  }

  private add(traceId: string, hash: number): HostOffsets {
    let positions = this.hashes.length;
    if (this.count === positions && positions < this.capacity) {
      this.resize(Math.min(this.capacity, positions * 2));
      positions = this.hashes.length;
    }
    if (this.count === positions) {
      // Full at capacity: the oldest entry's position takes the new trace.
      this.unindex(this.head);
      this.head = (this.head + 1) % positions;
      this.count--;
    }
    const p = (this.head + this.count) % positions;
    const offsets = new HostOffsets();
    this.traceIds[p] = traceId;
    this.offsets[p] = offsets;
    this.hashes[p] = hash;
    this.count++;
    this.index(p);
    return offsets;
  }

  private index(p: number): void {
    const slots = this.slots;
    const mask = this.mask;
    const hash = this.hashes[p] as number;
    let i = hash & mask;
    while (slots[i * 2] !== 0) i = (i + 1) & mask;
    slots[i * 2] = p + 1;
    slots[i * 2 + 1] = hash;
  }

  /** Removes position `p` from `slots` (backward-shift deletion, as in the id table). */
  private unindex(p: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = (this.hashes[p] as number) & mask;
    while (slots[i * 2] !== p + 1) i = (i + 1) & mask;
    let hole = i;
    for (let j = (i + 1) & mask; slots[j * 2] !== 0; j = (j + 1) & mask) {
      const home = (slots[j * 2 + 1] as number) & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots[hole * 2] = slots[j * 2] as number;
        slots[hole * 2 + 1] = slots[j * 2 + 1] as number;
        hole = j;
      }
    }
    slots[hole * 2] = 0;
  }

  /** Re-lays the ring out from position 0 with room for `positions` entries and rebuilds the index. */
  private resize(positions: number): void {
    const old = this.hashes.length;
    const traceIds = new Array<string>(positions).fill('');
    const offsets = new Array<HostOffsets>(positions);
    const hashes = new Int32Array(positions);
    for (let n = 0; n < this.count; n++) {
      const from = (this.head + n) % old;
      traceIds[n] = this.traceIds[from] as string;
      offsets[n] = this.offsets[from] as HostOffsets;
      hashes[n] = this.hashes[from] as number;
    }
    this.traceIds = traceIds;
    this.offsets = offsets;
    this.hashes = hashes;
    this.head = 0;
    let size = 16;
    while (size < positions * 2) size <<= 1;
    this.slots = new Int32Array(size * 2);
    this.mask = size - 1;
    for (let p = 0; p < this.count; p++) this.index(p);
  }
}
