/**
 * Span rows: the memory store's finished spans, one row each, every field in a typed-array column
 * instead of a Span object — a Span object is made only when a query asks for it
 * ({@link SpanRows.toSpan}). A stored span costs about 180 bytes of columns and no garbage
 * collector work, where the objects of a span (span, times, id strings) cost over 600 bytes of
 * heap that every full collection walks.
 *
 * Layout. Row `r` has:
 * - `spanIds`/`parentIds`: the ids as bytes ({@link IdBytesColumn}); the trace id is kept once
 *   per trace by the store, not per row;
 * - `names[r * NAME_FIELDS + f]`: the ids of its text fields in the {@link StringInterner} (`F_*`
 *   below; NO_STRING = undefined);
 * - `tagSets[r]`: its tag set's id in the {@link TagSetInterner};
 * - `numbers[r * NUMBER_FIELDS + n]`: raw event times (NaN = the event is absent), the shifts that
 *   turn raw client (REQ/REP) and server (IN/OUT) times into the adjusted `events`, skew, the
 *   client and server durations (NaN = undefined), start and duration;
 * - `lateEvents[r]` (-1 = undefined), `missing[r]` (mask of the missing event types), `flags[r]`;
 * - `next[r]`: the next row of the same trace (-1 = last), or the next free row.
 * A span whose adjusted times are not its raw times shifted per side, or whose `missing` list is
 * not in the usual order, keeps that field in a side map (SIDE_* flags) so every span reads back
 * exactly as written.
 *
 * Invariants: a row is either free (in the free list, holding no interned ids) or stored (holding
 * one count of each interned id it names); columns grow by doubling and never shrink while the
 * store is open.
 */
import type { EventType } from '@phosphor/wire';
import type { HopTimes, Span } from '../../model/span.js';
import {
  N_CLIENT_DURATION as B_CLIENT_DURATION,
  N_DURATION as B_DURATION,
  N_EVENTS as B_EVENTS,
  FLAG_EVENTS_RAW as B_FLAG_EVENTS_RAW,
  FLAG_PERSISTENT as B_FLAG_PERSISTENT,
  FLAG_PERSISTENT_SET as B_FLAG_PERSISTENT_SET,
  FLAG_SKEW_CORRECTED as B_FLAG_SKEW_CORRECTED,
  N_RAW as B_RAW,
  N_SERVER_DURATION as B_SERVER_DURATION,
  N_SKEW as B_SKEW,
  N_START as B_START,
  NUMBER_STRIDE as BATCH_NUMBERS,
  hopTimes,
  type SpanBatch,
  T_CLIENT_HOST,
  T_CLIENT_ZONE,
  T_ERROR_CODE,
  T_ERROR_DESCRIPTION,
  T_FROM,
  T_FROM_ENDPOINT,
  T_SERVER_HOST,
  T_SERVER_ZONE,
  T_TO,
  T_TO_ENDPOINT,
  TEXT_STRIDE,
} from '../../model/span-batch.js';
import { IdBytesColumn } from '../../util/id-bytes-column.js';
import { NO_STRING, type StringInterner } from './string-interner.js';
import type { TagSetInterner } from './tag-set-interner.js';

/** Text fields per row, in this order. */
export const NAME_FIELDS = 10;
export const F_FROM = 0;
export const F_FROM_ENDPOINT = 1;
export const F_TO = 2;
export const F_TO_ENDPOINT = 3;
export const F_CLIENT_HOST = 4;
export const F_CLIENT_ZONE = 5;
export const F_SERVER_HOST = 6;
export const F_SERVER_ZONE = 7;
export const F_ERROR_CODE = 8;
export const F_ERROR_DESCRIPTION = 9;

/** Number fields per row, in this order (raw times first, at 0–3 by event type). */
export const NUMBER_FIELDS = 11;
const N_REQ = 0;
const N_IN = 1;
const N_OUT = 2;
const N_REP = 3;
const N_CLIENT_SHIFT = 4;
const N_SERVER_SHIFT = 5;
const N_SKEW = 6;
const N_CLIENT_DURATION = 7;
const N_SERVER_DURATION = 8;
export const N_START = 9;
export const N_DURATION = 10;

/** The batch's text field of each name field, in F_* order. */
const NAME_TEXT: readonly number[] = [
  T_FROM,
  T_FROM_ENDPOINT,
  T_TO,
  T_TO_ENDPOINT,
  T_CLIENT_HOST,
  T_CLIENT_ZONE,
  T_SERVER_HOST,
  T_SERVER_ZONE,
  T_ERROR_CODE,
  T_ERROR_DESCRIPTION,
];

const FLAG_SKEW_CORRECTED = 1;
const FLAG_PERSISTENT_SET = 2;
const FLAG_PERSISTENT = 4;
const SIDE_EVENTS = 8;
const SIDE_MISSING = 16;

/**
 * Span ids inline per row: 16 holds the ids tracers send (this tracer's, W3C and OTLP span ids
 * are 16 characters); longer ones go to the column's side map.
 */
const SPAN_ID_BYTES = 16;

const NONE = -1;
const ALL_TYPES: readonly EventType[] = ['REQ', 'IN', 'OUT', 'REP'];
/** Frozen `missing` lists per mask of missing types, shared by every span read back. */
const MISSING_BY_MASK: readonly EventType[][] = Array.from(
  { length: 16 },
  (_, mask) => Object.freeze(ALL_TYPES.filter((_, bit) => (mask & (1 << bit)) !== 0)) as EventType[],
);
const TYPE_BIT: Readonly<Record<string, number>> = { REQ: 1, IN: 2, OUT: 4, REP: 8 };

export class SpanRows {
  capacity = 0;
  spanIds: IdBytesColumn;
  parentIds: IdBytesColumn;
  names = new Int32Array(0);
  tagSets = new Int32Array(0);
  numbers = new Float64Array(0);
  lateEvents = new Int32Array(0);
  missing = new Uint8Array(0);
  flags = new Uint8Array(0);
  next = new Int32Array(0);
  private freeHead = NONE;
  private readonly sideEvents = new Map<number, HopTimes>();
  private readonly sideMissing = new Map<number, EventType[]>();
  /** Per text field, the id it had in the last row written: most rows repeat their predecessor's. */
  private readonly lastNames = new Int32Array(NAME_FIELDS).fill(NO_STRING);
  /** New ids of a row being overwritten, taken before the old ones are released. */
  private readonly scratch = new Int32Array(NAME_FIELDS);

  constructor(
    initialRows: number,
    /** Rows the store expects to need at most: growth stops here instead of doubling past it. */
    private readonly expectedRows: number,
    private readonly strings: StringInterner,
    private readonly tags: TagSetInterner,
  ) {
    this.spanIds = new IdBytesColumn(SPAN_ID_BYTES, 0);
    this.parentIds = new IdBytesColumn(SPAN_ID_BYTES, 0);
    this.grow(initialRows);
  }

  /** A free row (growing the columns when none is left); it must be {@link write}-n next. */
  allocate(): number {
    if (this.freeHead === NONE) {
      const doubled = Math.max(1, this.capacity * 2);
      // Doubling past the expected size would leave up to half the columns unused for good.
      this.grow(this.capacity < this.expectedRows ? Math.min(doubled, this.expectedRows) : doubled);
    }
    const row = this.freeHead;
    this.freeHead = this.next[row] as number;
    this.next[row] = NONE;
    return row;
  }

  /** Stores entry `i` of `batch` in `row`; a row already holding a span (an upsert) lets go of its old values. */
  write(row: number, batch: SpanBatch, i: number, stored: boolean): void {
    const strings = this.strings;
    const scratch = this.scratch;
    const last = this.lastNames;
    const text = batch.text;
    const t = i * TEXT_STRIDE;
    // The four names every span has, then the optional ones (absent = NO_STRING, nothing counted).
    for (let f = 0; f < F_CLIENT_HOST; f++) {
      scratch[f] = last[f] = strings.acquire(text[t + (NAME_TEXT[f] as number)] as string, last[f] as number);
    }
    for (let f = F_CLIENT_HOST; f < NAME_FIELDS; f++) {
      scratch[f] = last[f] = strings.acquireOptional(text[t + (NAME_TEXT[f] as number)], last[f] as number);
    }
    const tagSet = this.tags.acquire(batch.tags[i] as Record<string, string>);
    if (stored) this.releaseValues(row);
    this.names.set(scratch, row * NAME_FIELDS);
    this.tagSets[row] = tagSet;
    batch.copySpanIdTo(i, this.spanIds, row);
    batch.copyParentIdTo(i, this.parentIds, row);

    const numbers = this.numbers;
    const n = row * NUMBER_FIELDS;
    const from = batch.numbers;
    const b = i * BATCH_NUMBERS;
    numbers[n + N_REQ] = from[b + B_RAW] as number;
    numbers[n + N_IN] = from[b + B_RAW + 1] as number;
    numbers[n + N_OUT] = from[b + B_RAW + 2] as number;
    numbers[n + N_REP] = from[b + B_RAW + 3] as number;
    numbers[n + N_SKEW] = from[b + B_SKEW] as number;
    numbers[n + N_CLIENT_DURATION] = from[b + B_CLIENT_DURATION] as number;
    numbers[n + N_SERVER_DURATION] = from[b + B_SERVER_DURATION] as number;
    numbers[n + N_START] = from[b + B_START] as number;
    numbers[n + N_DURATION] = from[b + B_DURATION] as number;
    const batchFlags = batch.flags[i] as number;
    let flags = (batchFlags & B_FLAG_SKEW_CORRECTED) !== 0 ? FLAG_SKEW_CORRECTED : 0;
    if ((batchFlags & B_FLAG_PERSISTENT_SET) !== 0)
      flags |= (batchFlags & B_FLAG_PERSISTENT) !== 0 ? FLAG_PERSISTENT_SET | FLAG_PERSISTENT : FLAG_PERSISTENT_SET;
    if ((batchFlags & B_FLAG_EVENTS_RAW) !== 0) {
      numbers[n + N_CLIENT_SHIFT] = 0;
      numbers[n + N_SERVER_SHIFT] = 0;
    } else if (!this.writeShifts(n, from, b)) {
      flags |= SIDE_EVENTS;
      this.sideEvents.set(row, hopTimes(from, b + B_EVENTS));
    }
    const missing = missingMask(batch.missing[i] as EventType[]);
    if (missing < 0) {
      flags |= SIDE_MISSING;
      this.sideMissing.set(row, batch.missing[i] as EventType[]);
      this.missing[row] = 0;
    } else {
      this.missing[row] = missing;
    }
    this.flags[row] = flags;
    this.lateEvents[row] = batch.lateEvents[i] as number;
  }

  /** Lets go of a stored row's values and returns it to the free list. */
  free(row: number): void {
    this.releaseValues(row);
    this.spanIds.clear(row);
    this.parentIds.clear(row);
    this.next[row] = this.freeHead;
    this.freeHead = row;
  }

  /** The span stored in `row`, as a new Span object (shared frozen `missing` and tag objects). */
  toSpan(row: number, traceId: string): Span {
    const strings = this.strings;
    const names = this.names;
    const b = row * NAME_FIELDS;
    const numbers = this.numbers;
    const n = row * NUMBER_FIELDS;
    const flags = this.flags[row] as number;
    const raw = hopTimes(numbers, n + N_REQ);
    let events = raw;
    if ((flags & SIDE_EVENTS) !== 0) events = this.sideEvents.get(row) as HopTimes;
    else {
      const clientShift = numbers[n + N_CLIENT_SHIFT] as number;
      const serverShift = numbers[n + N_SERVER_SHIFT] as number;
      if (clientShift !== 0 || serverShift !== 0) {
        events = {};
        if (raw.REQ !== undefined) events.REQ = raw.REQ + clientShift;
        if (raw.IN !== undefined) events.IN = raw.IN + serverShift;
        if (raw.OUT !== undefined) events.OUT = raw.OUT + serverShift;
        if (raw.REP !== undefined) events.REP = raw.REP + clientShift;
      }
    }
    const late = this.lateEvents[row] as number;
    const clientDuration = numbers[n + N_CLIENT_DURATION] as number;
    const serverDuration = numbers[n + N_SERVER_DURATION] as number;
    // Same property order as the span builders, so a stored span serialises as it was written.
    return {
      traceId,
      spanId: this.spanIds.get(row) as string,
      parentSpanId: this.parentIds.get(row),
      from: strings.get(names[b + F_FROM] as number) as string,
      fromEndpoint: strings.get(names[b + F_FROM_ENDPOINT] as number) as string,
      to: strings.get(names[b + F_TO] as number) as string,
      toEndpoint: strings.get(names[b + F_TO_ENDPOINT] as number) as string,
      clientHost: strings.get(names[b + F_CLIENT_HOST] as number),
      clientZone: strings.get(names[b + F_CLIENT_ZONE] as number),
      serverHost: strings.get(names[b + F_SERVER_HOST] as number),
      serverZone: strings.get(names[b + F_SERVER_ZONE] as number),
      events,
      rawEvents: raw,
      skewMicros: numbers[n + N_SKEW] as number,
      skewCorrected: (flags & FLAG_SKEW_CORRECTED) !== 0,
      missing:
        (flags & SIDE_MISSING) !== 0
          ? (this.sideMissing.get(row) as EventType[])
          : (MISSING_BY_MASK[this.missing[row] as number] as EventType[]),
      clientDurationMicros: Number.isNaN(clientDuration) ? undefined : clientDuration,
      serverDurationMicros: Number.isNaN(serverDuration) ? undefined : serverDuration,
      startMicros: numbers[n + N_START] as number,
      durationMicros: numbers[n + N_DURATION] as number,
      errorCode: strings.get(names[b + F_ERROR_CODE] as number),
      errorDescription: strings.get(names[b + F_ERROR_DESCRIPTION] as number),
      tags: this.tags.get(this.tagSets[row] as number),
      persistent: (flags & FLAG_PERSISTENT_SET) !== 0 ? (flags & FLAG_PERSISTENT) !== 0 : undefined,
      lateEvents: late >= 0 ? late : undefined,
    };
  }

  /** Drops every row and shrinks to `initialRows`. */
  reset(initialRows: number): void {
    this.capacity = 0;
    this.freeHead = NONE;
    this.spanIds = new IdBytesColumn(SPAN_ID_BYTES, 0);
    this.parentIds = new IdBytesColumn(SPAN_ID_BYTES, 0);
    this.names = new Int32Array(0);
    this.tagSets = new Int32Array(0);
    this.numbers = new Float64Array(0);
    this.lateEvents = new Int32Array(0);
    this.missing = new Uint8Array(0);
    this.flags = new Uint8Array(0);
    this.next = new Int32Array(0);
    this.sideEvents.clear();
    this.sideMissing.clear();
    this.lastNames.fill(NO_STRING);
    this.grow(initialRows);
  }

  /**
   * Stores the adjusted times (at `from[b + B_EVENTS…]`) as per-side shifts of the raw ones; false
   * when they are not that (different events present, REQ and REP moved differently, a shift that
   * does not add back exactly), and the caller keeps them apart instead.
   */
  private writeShifts(n: number, from: Float64Array, b: number): boolean {
    const numbers = this.numbers;
    numbers[n + N_CLIENT_SHIFT] = 0;
    numbers[n + N_SERVER_SHIFT] = 0;
    const raw = b + B_RAW;
    const events = b + B_EVENTS;
    const client = sideShift(
      from[raw] as number,
      from[events] as number,
      from[raw + 3] as number,
      from[events + 3] as number,
    );
    const server = sideShift(
      from[raw + 1] as number,
      from[events + 1] as number,
      from[raw + 2] as number,
      from[events + 2] as number,
    );
    if (Number.isNaN(client) || Number.isNaN(server)) return false;
    numbers[n + N_CLIENT_SHIFT] = client;
    numbers[n + N_SERVER_SHIFT] = server;
    return true;
  }

  private releaseValues(row: number): void {
    const strings = this.strings;
    const names = this.names;
    const b = row * NAME_FIELDS;
    for (let f = 0; f < NAME_FIELDS; f++) strings.release(names[b + f] as number);
    this.tags.release(this.tagSets[row] as number);
    const flags = this.flags[row] as number;
    if ((flags & SIDE_EVENTS) !== 0) this.sideEvents.delete(row);
    if ((flags & SIDE_MISSING) !== 0) this.sideMissing.delete(row);
    this.flags[row] = 0;
  }

  private grow(rows: number): void {
    const old = this.capacity;
    this.spanIds.grow(rows);
    this.parentIds.grow(rows);
    this.names = grown(this.names, rows * NAME_FIELDS);
    this.tagSets = grown(this.tagSets, rows);
    this.numbers = grown(this.numbers, rows * NUMBER_FIELDS);
    this.lateEvents = grown(this.lateEvents, rows);
    this.missing = grown(this.missing, rows);
    this.flags = grown(this.flags, rows);
    this.next = grown(this.next, rows);
    // New rows join the free list lowest first.
    for (let row = rows - 1; row >= old; row--) {
      this.next[row] = this.freeHead;
      this.freeHead = row;
    }
    this.capacity = rows;
  }
}

/** A copy of `array` with room for `length` elements. */
function grown<T extends Int32Array | Uint8Array | Float64Array>(array: T, length: number): T {
  const copy = new (array.constructor as new (n: number) => T)(length);
  copy.set(array as never);
  return copy;
}

/**
 * The one shift taking the present raw times of a side to the adjusted ones (NaN = absent), or NaN
 * when there is none.
 */
function sideShift(rawA: number, eventA: number, rawB: number, eventB: number): number {
  if (Number.isNaN(rawA) !== Number.isNaN(eventA) || Number.isNaN(rawB) !== Number.isNaN(eventB)) return Number.NaN;
  let shift = 0;
  if (!Number.isNaN(rawA)) {
    shift = eventA - rawA;
    if (rawA + shift !== eventA) return Number.NaN;
  }
  if (!Number.isNaN(rawB)) {
    const b = eventB - rawB;
    if (!Number.isNaN(rawA) && b !== shift) return Number.NaN;
    if (rawB + b !== eventB) return Number.NaN;
    shift = b;
  }
  return shift;
}

/** Mask of the missing types when `missing` lists them in the usual order, else -1. */
function missingMask(missing: readonly EventType[]): number {
  let mask = 0;
  let previous = 0;
  for (let i = 0; i < missing.length; i++) {
    const bit = TYPE_BIT[missing[i] as string];
    // Out of order, repeated or unknown: not the list the mask would give back.
    if (bit === undefined || bit <= previous) return -1;
    previous = bit;
    mask |= bit;
  }
  return mask;
}
