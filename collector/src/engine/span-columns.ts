/**
 * Span columns: one row per hop (pending, or emitted and remembered for late events), every
 * field in a column instead of an object per event.
 *
 * Layout. Row `r` has scalar columns (`state`, `mask`, `late`, `firstSeenMillis`,
 * `emittedAtMillis`). Its events live apart, in event slots: a row that still needs its events
 * (pending, or emitted partial) holds slot `t = textSlot[r]`, and for each event type `k` (0 REQ,
 * 1 IN, 2 OUT, 3 REP) cell `c = t * 4 + k` (`tagsBase(r) + k`) in the per-event columns:
 * `timestamps[c]`, `durations[c]` (NaN = absent), `flags[c]`, `tags[c]`, the parent span id as
 * bytes in `parentIds` (entry `c`; none when the event names no parent), and `TEXT_FIELDS` string
 * references at `text[c * TEXT_FIELDS + f]` (interned by the decoder, so a reference costs a
 * pointer, not a copy). Parent ids are kept as bytes, like the hop's own ids: they differ per
 * hop, so a string per hop would be made from the datagram and turned back into bytes by the
 * store. A row emitted complete keeps only its key and scalars: its slot is freed
 * (`textSlot[r] = -1`), so the remembered rows — most of the engine's rows — cost a few dozen
 * bytes each (the 80 bytes of event numbers are per slot, not per row, for that reason).
 * Rows are linked into two intrusive doubly-linked lists — pending hops in first-seen order
 * (`pendingPrev`/`pendingNext`) and remembered hops in emission order (`rememberedPrev`/
 * `rememberedNext`) — so timeouts, the pending cap and forgetting take the list heads and any
 * row leaves its list in O(1). Free rows are chained through `pendingNext`.
 *
 * Invariants: a row is in exactly one of {free list, pending list, remembered list}; `mask` bit
 * k is set iff cell k holds an event; a pending or partial row holds exactly one text slot, a
 * complete or free row none, and a slot belongs to at most one row; columns and slots grow (doubling) up to `maxRows` and never shrink
 * while the engine runs — memory is bounded by the caps, not by the traffic.
 */
import { IdBytesColumn } from '../util/id-bytes-column.js';

/** String fields kept per event, in this order. */
export const TEXT_FIELDS = 8;
export const F_FROM = 0;
export const F_FROM_ENDPOINT = 1;
export const F_TO = 2;
export const F_TO_ENDPOINT = 3;
export const F_HOSTNAME = 4;
export const F_ZONE = 5;
export const F_ERROR_CODE = 6;
export const F_ERROR_DESCRIPTION = 7;

/** Parent span ids inline per event: the ids tracers send are 16 characters; longer ones go to the column's map. */
const PARENT_ID_BYTES = 16;

/** Where a row is in its life. */
export const RowState = {
  free: 0,
  /** Waiting for events. */
  pending: 1,
  /** Emitted partial; remembered so late events update it. */
  partial: 2,
  /** Emitted with all four events (its event cells are cleared); further events are duplicates. */
  complete: 3,
} as const;

const NONE = -1;

export class SpanColumns {
  rows = 0;
  state = new Uint8Array(0);
  mask = new Uint8Array(0);
  late = new Int32Array(0);
  firstSeenMillis = new Float64Array(0);
  emittedAtMillis = new Float64Array(0);
  timestamps = new Float64Array(0);
  durations = new Float64Array(0);
  flags = new Uint32Array(0);
  /** Text slot of each row, -1 when none. */
  textSlot = new Int32Array(0);
  text: string[] = [];
  tags: (Record<string, string> | undefined)[] = [];
  /** Each event's parent span id (entry `tagsBase(row) + k`). */
  parentIds = new IdBytesColumn(PARENT_ID_BYTES, 0);
  private slots = 0;
  /** Free text slots, chained through slotNext. */
  private slotNext = new Int32Array(0);
  private freeSlot = NONE;
  pendingPrev = new Int32Array(0);
  pendingNext = new Int32Array(0);
  rememberedPrev = new Int32Array(0);
  rememberedNext = new Int32Array(0);
  pendingHead = NONE;
  pendingTail = NONE;
  pendingCount = 0;
  rememberedHead = NONE;
  rememberedTail = NONE;
  rememberedCount = 0;
  private freeHead = NONE;

  constructor(
    initialRows: number,
    /** Rows never exceed this (pending cap + remembered cap + 1). */
    readonly maxRows: number,
    /** Told the new row count whenever the columns grow (the id table follows). */
    private readonly onGrow: (rows: number) => void,
  ) {
    this.grow(Math.min(initialRows, maxRows));
  }

  /** A free row (growing the columns when none is left), or -1 at `maxRows`. */
  allocate(): number {
    if (this.freeHead === NONE) {
      if (this.rows >= this.maxRows) return NONE;
      this.grow(Math.min(this.maxRows, this.rows * 2));
    }
    const row = this.freeHead;
    this.freeHead = this.pendingNext[row] as number;
    this.mask[row] = 0;
    this.late[row] = 0;
    if (this.freeSlot === NONE) this.growSlots(Math.max(64, this.slots * 2));
    const slot = this.freeSlot;
    this.freeSlot = this.slotNext[slot] as number;
    this.textSlot[row] = slot;
    return row;
  }

  /** Index of row's first text cell (`(textSlot * 4) * TEXT_FIELDS`); add `k * TEXT_FIELDS + f`. */
  textBase(row: number): number {
    return (this.textSlot[row] as number) * 4 * TEXT_FIELDS;
  }

  /** Index of row's first event cell (tags, timestamps, durations, flags); add `k`. */
  tagsBase(row: number): number {
    return (this.textSlot[row] as number) * 4;
  }

  /** Returns a row to the free list, dropping its strings and tags so they can be collected. */
  release(row: number): void {
    this.clearEvents(row);
    this.state[row] = RowState.free;
    this.pendingNext[row] = this.freeHead;
    this.freeHead = row;
  }

  /** Drops the strings and tags of a row's events and frees its text slot (a sealed complete row keeps only its key). */
  clearEvents(row: number): void {
    const slot = this.textSlot[row] as number;
    if (slot < 0) return;
    const text = this.text;
    const base = slot * 4 * TEXT_FIELDS;
    for (let i = 0; i < 4 * TEXT_FIELDS; i++) text[base + i] = '';
    const tags = this.tags;
    const parentIds = this.parentIds;
    for (let k = 0; k < 4; k++) {
      tags[slot * 4 + k] = undefined;
      parentIds.clear(slot * 4 + k);
    }
    this.textSlot[row] = NONE;
    this.slotNext[slot] = this.freeSlot;
    this.freeSlot = slot;
  }

  pushPending(row: number): void {
    this.pendingPrev[row] = this.pendingTail;
    this.pendingNext[row] = NONE;
    if (this.pendingTail === NONE) this.pendingHead = row;
    else this.pendingNext[this.pendingTail] = row;
    this.pendingTail = row;
    this.pendingCount++;
  }

  unlinkPending(row: number): void {
    const prev = this.pendingPrev[row] as number;
    const next = this.pendingNext[row] as number;
    if (prev === NONE) this.pendingHead = next;
    else this.pendingNext[prev] = next;
    if (next === NONE) this.pendingTail = prev;
    else this.pendingPrev[next] = prev;
    this.pendingCount--;
  }

  pushRemembered(row: number): void {
    this.rememberedPrev[row] = this.rememberedTail;
    this.rememberedNext[row] = NONE;
    if (this.rememberedTail === NONE) this.rememberedHead = row;
    else this.rememberedNext[this.rememberedTail] = row;
    this.rememberedTail = row;
    this.rememberedCount++;
  }

  unlinkRemembered(row: number): void {
    const prev = this.rememberedPrev[row] as number;
    const next = this.rememberedNext[row] as number;
    if (prev === NONE) this.rememberedHead = next;
    else this.rememberedNext[prev] = next;
    if (next === NONE) this.rememberedTail = prev;
    else this.rememberedPrev[next] = prev;
    this.rememberedCount--;
  }

  /** Releases every row (shutdown) and shrinks back to a small table. */
  reset(initialRows: number): void {
    this.rows = 0;
    this.freeHead = NONE;
    this.pendingHead = this.pendingTail = NONE;
    this.rememberedHead = this.rememberedTail = NONE;
    this.pendingCount = this.rememberedCount = 0;
    this.state = new Uint8Array(0);
    this.textSlot = new Int32Array(0);
    this.text = [];
    this.tags = [];
    this.parentIds = new IdBytesColumn(PARENT_ID_BYTES, 0);
    this.timestamps = new Float64Array(0);
    this.durations = new Float64Array(0);
    this.flags = new Uint32Array(0);
    this.slots = 0;
    this.slotNext = new Int32Array(0);
    this.freeSlot = NONE;
    this.grow(Math.min(initialRows, this.maxRows));
  }

  private grow(rows: number): void {
    const old = this.rows;
    const copy = <T extends Float64Array | Int32Array | Uint8Array | Uint32Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a.subarray(0, Math.min(a.length, n)) as never);
      return b;
    };
    this.state = copy(this.state, rows);
    this.mask = copy(this.mask, rows);
    this.late = copy(this.late, rows);
    this.firstSeenMillis = copy(this.firstSeenMillis, rows);
    this.emittedAtMillis = copy(this.emittedAtMillis, rows);
    this.pendingPrev = copy(this.pendingPrev, rows);
    this.pendingNext = copy(this.pendingNext, rows);
    this.rememberedPrev = copy(this.rememberedPrev, rows);
    this.rememberedNext = copy(this.rememberedNext, rows);
    this.textSlot = copy(this.textSlot, rows);
    this.textSlot.fill(NONE, old);
    // New rows join the free list lowest first.
    for (let row = rows - 1; row >= old; row--) {
      this.pendingNext[row] = this.freeHead;
      this.freeHead = row;
    }
    this.rows = rows;
    this.onGrow(rows);
  }

  /** Adds text slots up to `slots` (never past one per row). */
  private growSlots(slots: number): void {
    const old = this.slots;
    const next = new Int32Array(slots);
    next.set(this.slotNext);
    this.slotNext = next;
    const timestamps = new Float64Array(slots * 4);
    timestamps.set(this.timestamps);
    this.timestamps = timestamps;
    const durations = new Float64Array(slots * 4);
    durations.set(this.durations);
    this.durations = durations;
    const flags = new Uint32Array(slots * 4);
    flags.set(this.flags);
    this.flags = flags;
    // Grown in place and filled in one call: element kinds stay packed (strings; objects or undefined).
    this.text.length = slots * 4 * TEXT_FIELDS;
    this.text.fill('', old * 4 * TEXT_FIELDS);
    this.tags.length = slots * 4;
    this.tags.fill(undefined, old * 4);
    this.parentIds.grow(slots * 4);
    for (let slot = slots - 1; slot >= old; slot--) {
      this.slotNext[slot] = this.freeSlot;
      this.freeSlot = slot;
    }
    this.slots = slots;
  }
}
