/**
 * Span batch: finished spans as columns — what the engine hands the pipeline instead of one
 * Span object per span. The memory store, the aggregates and the span-duration histograms read the
 * columns; a Span object is made only for a consumer that asks for one ({@link SpanBatch.spans}: the
 * tail's clients, span exporters, stores other than the memory store). The engine writes a span's
 * ids here as the bytes its id table holds, so the memory store copies bytes instead of turning
 * two id strings back into bytes.
 *
 * Layout. Entry `i` has:
 * - ids: the trace id then the span id as Latin-1 bytes at `idBytes[idStart[i]…]`,
 *   `traceIdLength[i]` and `spanIdLength[i]` long; or, when `traceIdLength[i]` is -1, as strings in
 *   `idStrings` (ids that are not Latin-1 bytes: UTF-8 keys of the engine, other Span objects);
 * - the parent span id as Latin-1 bytes at `idBytes[parentIdStart[i]…]`, `parentIdLength[i]` long;
 *   or, when that is -1, as the string (undefined = none) at `text[i * TEXT_STRIDE + T_PARENT]`;
 * - `text[i * TEXT_STRIDE + T_*]`: names, hosts, zones, error (undefined = absent);
 * - `numbers[i * NUMBER_STRIDE + …]`: raw times REQ/IN/OUT/REP (NaN = absent), adjusted times
 *   likewise, skew, client and server durations (NaN = undefined), start, duration;
 * - `flags[i]`: skew corrected, persistent (set, value), adjusted times are the raw ones;
 * - `lateEvents[i]` (-1 = undefined), `missing[i]`, `tags[i]` (shared, never modified).
 *
 * A batch is reused: what a consumer keeps must be copied out (Span objects from {@link spans}
 * are new and the consumer's to keep).
 */
import type { EventType } from '@phosphor/wire';
import { hashId, hashIdBytes, type IdBytesColumn } from '../util/id-bytes-column.js';
import type { HopTimes, Span } from './span.js';

export const T_PARENT = 0;
export const T_FROM = 1;
export const T_FROM_ENDPOINT = 2;
export const T_TO = 3;
export const T_TO_ENDPOINT = 4;
export const T_CLIENT_HOST = 5;
export const T_CLIENT_ZONE = 6;
export const T_SERVER_HOST = 7;
export const T_SERVER_ZONE = 8;
export const T_ERROR_CODE = 9;
export const T_ERROR_DESCRIPTION = 10;
export const TEXT_STRIDE = 11;

/** Raw times at 0–3 and adjusted times at 4–7, by event type (REQ, IN, OUT, REP). */
export const N_RAW = 0;
export const N_EVENTS = 4;
export const N_SKEW = 8;
export const N_CLIENT_DURATION = 9;
export const N_SERVER_DURATION = 10;
export const N_START = 11;
export const N_DURATION = 12;
export const NUMBER_STRIDE = 13;

export const FLAG_SKEW_CORRECTED = 1;
export const FLAG_PERSISTENT_SET = 2;
export const FLAG_PERSISTENT = 4;
/** The adjusted times are the raw ones: the Span shares one HopTimes object for both. */
export const FLAG_EVENTS_RAW = 8;

const NO_STRING_IDS = -1;
const NO_TAGS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_MISSING: EventType[] = Object.freeze([]) as unknown as EventType[];
/**
 * Entries whose references a cleared batch keeps until pushes overwrite them: a batch is reused
 * and the next batches' entries replace these first, so releasing them would cost three fills per
 * datagram's batch (about 1 % of the engine's ingest loop by profile) to free what is replaced soon.
 */
export const RETAINED_ENTRIES = 256;
const TYPES = ['REQ', 'IN', 'OUT', 'REP'] as const;

export class SpanBatch {
  length = 0;
  idBytes = new Uint8Array(1024);
  /** A DataView over {@link idBytes}, for copying and comparing ids four bytes at a time. */
  idView = new DataView(this.idBytes.buffer);
  idStart = new Int32Array(16);
  traceIdLength = new Int32Array(16);
  spanIdLength = new Int32Array(16);
  parentIdStart = new Int32Array(16);
  /** -1: the parent id is `text[i * TEXT_STRIDE + T_PARENT]`. */
  parentIdLength = new Int32Array(16);
  /** Ids kept as strings, at `2i` (trace) and `2i + 1` (span): rare, so a map, not a sparse array. */
  idStrings = new Map<number, string>();
  text: (string | undefined)[] = [];
  numbers = new Float64Array(16 * NUMBER_STRIDE);
  flags = new Uint8Array(16);
  lateEvents = new Int32Array(16);
  missing: EventType[][] = [];
  tags: Record<string, string>[] = [];
  private idBytesUsed = 0;
  private idBuffer = Buffer.from(this.idBytes.buffer) as Buffer & {
    latin1Slice(start: number, end: number): string;
  };
  /** The entries as Span objects, made by the first {@link spans} call since the batch changed. */
  private made: Span[] | undefined;

  /** Empties the batch (its columns stay allocated). */
  clear(): void {
    const length = this.length;
    this.length = 0;
    this.idBytesUsed = 0;
    this.made = undefined;
    // A large batch (a sweep emitting thousands of timed-out spans) lets go of what its entries held
    // past the first RETAINED_ENTRIES, so its strings and tags can be collected.
    if (length > RETAINED_ENTRIES) {
      this.text.fill(undefined, RETAINED_ENTRIES * TEXT_STRIDE, length * TEXT_STRIDE);
      this.tags.fill(NO_TAGS, RETAINED_ENTRIES, length);
      this.missing.fill(NO_MISSING, RETAINED_ENTRIES, length);
    }
    if (this.idStrings.size > 0) this.idStrings.clear();
  }

  /**
   * Adds an entry and returns its index; the caller fills every column of it (ids through
   * {@link reserveIds} or {@link setIdStrings}).
   */
  add(): number {
    const i = this.length;
    if (i === this.flags.length) this.grow(i * 2);
    this.length = i + 1;
    this.made = undefined;
    return i;
  }

  /** Room for entry `i`'s ids as bytes (`traceLength` then `spanLength`); returns where to write them in {@link idBytes}. */
  reserveIds(i: number, traceLength: number, spanLength: number): number {
    const at = this.reserveBytes(traceLength + spanLength);
    this.idStart[i] = at;
    this.traceIdLength[i] = traceLength;
    this.spanIdLength[i] = spanLength;
    return at;
  }

  /**
   * Sets entry `i`'s parent span id to entry `at` of `column` (its bytes copied when inline), or to
   * none when `at` is -1.
   */
  setParentIdFrom(i: number, column: IdBytesColumn, at: number): void {
    const t = i * TEXT_STRIDE + T_PARENT;
    const length = at < 0 ? -1 : column.inlineLength(at);
    if (length < 0) {
      this.parentIdLength[i] = -1;
      this.text[t] = length === -2 ? column.get(at) : undefined;
      return;
    }
    const start = this.reserveBytes(length);
    column.copyInline(at, this.idView, start);
    this.parentIdStart[i] = start;
    this.parentIdLength[i] = length;
    this.text[t] = undefined;
  }

  /** Entry `i`'s parent span id, or undefined. */
  parentId(i: number): string | undefined {
    const length = this.parentIdLength[i] as number;
    if (length < 0) return this.text[i * TEXT_STRIDE + T_PARENT];
    const at = this.parentIdStart[i] as number;
    return this.idBuffer.latin1Slice(at, at + length);
  }

  /** Stores entry `i`'s parent span id (undefined included) in `column` at `at`. */
  copyParentIdTo(i: number, column: IdBytesColumn, at: number): void {
    const length = this.parentIdLength[i] as number;
    if (length < 0) column.set(at, this.text[i * TEXT_STRIDE + T_PARENT]);
    else column.setBytes(at, this.idView, this.parentIdStart[i] as number, length);
  }

  /** `length` bytes of {@link idBytes} for the entry being written; returns where they start. */
  private reserveBytes(length: number): number {
    const at = this.idBytesUsed;
    const end = at + length;
    if (end > this.idBytes.length) {
      const bytes = new Uint8Array(Math.max(end, this.idBytes.length * 2));
      bytes.set(this.idBytes.subarray(0, at));
      this.idBytes = bytes;
      this.idView = new DataView(bytes.buffer);
      this.idBuffer = Buffer.from(bytes.buffer) as typeof this.idBuffer;
    }
    this.idBytesUsed = end;
    return at;
  }

  /** Entry `i`'s ids as strings (ids that are not Latin-1 bytes). */
  setIdStrings(i: number, traceId: string, spanId: string): void {
    this.traceIdLength[i] = NO_STRING_IDS;
    this.idStrings.set(i * 2, traceId);
    this.idStrings.set(i * 2 + 1, spanId);
  }

  /** True when entry `i`'s ids are kept as bytes (else {@link traceId}/{@link spanId} strings). */
  hasIdBytes(i: number): boolean {
    return (this.traceIdLength[i] as number) !== NO_STRING_IDS;
  }

  traceId(i: number): string {
    if (!this.hasIdBytes(i)) return this.idStrings.get(i * 2) as string;
    const at = this.idStart[i] as number;
    return this.idBuffer.latin1Slice(at, at + (this.traceIdLength[i] as number));
  }

  spanId(i: number): string {
    if (!this.hasIdBytes(i)) return this.idStrings.get(i * 2 + 1) as string;
    const at = (this.idStart[i] as number) + (this.traceIdLength[i] as number);
    return this.idBuffer.latin1Slice(at, at + (this.spanIdLength[i] as number));
  }

  /** {@link hashId} of entry `i`'s trace id, from its bytes when the batch holds them. */
  traceIdHash(i: number): number {
    return this.hasIdBytes(i)
      ? hashIdBytes(this.idView, this.idStart[i] as number, this.traceIdLength[i] as number)
      : hashId(this.traceId(i));
  }

  /** Whether `column` holds entry `i`'s trace id at `at` (compared as bytes when the batch holds them). */
  traceIdIn(i: number, column: IdBytesColumn, at: number): boolean {
    return this.hasIdBytes(i)
      ? column.equalsBytes(at, this.idView, this.idStart[i] as number, this.traceIdLength[i] as number)
      : column.equals(at, this.traceId(i));
  }

  /** Whether `column` holds entry `i`'s span id at `at`. */
  spanIdIn(i: number, column: IdBytesColumn, at: number): boolean {
    if (!this.hasIdBytes(i)) return column.equals(at, this.spanId(i));
    const start = (this.idStart[i] as number) + (this.traceIdLength[i] as number);
    return column.equalsBytes(at, this.idView, start, this.spanIdLength[i] as number);
  }

  /** Stores entry `i`'s trace id in `column` at `at` (its bytes copied when the batch holds them). */
  copyTraceIdTo(i: number, column: IdBytesColumn, at: number): void {
    if (this.hasIdBytes(i)) {
      column.setBytes(at, this.idView, this.idStart[i] as number, this.traceIdLength[i] as number);
    } else {
      column.set(at, this.traceId(i));
    }
  }

  /** Stores entry `i`'s span id in `column` at `at`. */
  copySpanIdTo(i: number, column: IdBytesColumn, at: number): void {
    if (!this.hasIdBytes(i)) {
      column.set(at, this.spanId(i));
      return;
    }
    const start = (this.idStart[i] as number) + (this.traceIdLength[i] as number);
    column.setBytes(at, this.idView, start, this.spanIdLength[i] as number);
  }

  /** Appends `span` as an entry (its ids as Latin-1 bytes when they are, else as strings). */
  push(span: Span): number {
    const i = this.add();
    const traceId = span.traceId;
    const spanId = span.spanId;
    if (isLatin1(traceId) && isLatin1(spanId)) {
      const at = this.reserveIds(i, traceId.length, spanId.length);
      const bytes = this.idBytes;
      for (let k = 0; k < traceId.length; k++) bytes[at + k] = traceId.charCodeAt(k);
      const spanAt = at + traceId.length;
      for (let k = 0; k < spanId.length; k++) bytes[spanAt + k] = spanId.charCodeAt(k);
    } else {
      this.setIdStrings(i, traceId, spanId);
    }
    const t = i * TEXT_STRIDE;
    const text = this.text;
    this.parentIdLength[i] = -1;
    text[t + T_PARENT] = span.parentSpanId;
    text[t + T_FROM] = span.from;
    text[t + T_FROM_ENDPOINT] = span.fromEndpoint;
    text[t + T_TO] = span.to;
    text[t + T_TO_ENDPOINT] = span.toEndpoint;
    text[t + T_CLIENT_HOST] = span.clientHost;
    text[t + T_CLIENT_ZONE] = span.clientZone;
    text[t + T_SERVER_HOST] = span.serverHost;
    text[t + T_SERVER_ZONE] = span.serverZone;
    text[t + T_ERROR_CODE] = span.errorCode;
    text[t + T_ERROR_DESCRIPTION] = span.errorDescription;
    const n = i * NUMBER_STRIDE;
    const numbers = this.numbers;
    const raw = span.rawEvents;
    const events = span.events;
    for (let k = 0; k < 4; k++) {
      const type = TYPES[k] as EventType;
      numbers[n + N_RAW + k] = raw[type] ?? Number.NaN;
      numbers[n + N_EVENTS + k] = events[type] ?? Number.NaN;
    }
    numbers[n + N_SKEW] = span.skewMicros;
    numbers[n + N_CLIENT_DURATION] = span.clientDurationMicros ?? Number.NaN;
    numbers[n + N_SERVER_DURATION] = span.serverDurationMicros ?? Number.NaN;
    numbers[n + N_START] = span.startMicros;
    numbers[n + N_DURATION] = span.durationMicros;
    let flags = span.skewCorrected ? FLAG_SKEW_CORRECTED : 0;
    if (span.persistent !== undefined)
      flags |= span.persistent ? FLAG_PERSISTENT_SET | FLAG_PERSISTENT : FLAG_PERSISTENT_SET;
    if (events === raw) flags |= FLAG_EVENTS_RAW;
    this.flags[i] = flags;
    this.lateEvents[i] = span.lateEvents ?? -1;
    this.missing[i] = span.missing;
    this.tags[i] = span.tags;
    return i;
  }

  /** Empties the batch and pushes `spans` (Span objects turned into columns for a consumer that reads them). */
  refill(spans: readonly Span[]): this {
    this.clear();
    for (let i = 0; i < spans.length; i++) this.push(spans[i] as Span);
    return this;
  }

  /** Entry `i` as a new Span object (property order as the engine has always made them). */
  span(i: number): Span {
    const text = this.text;
    const t = i * TEXT_STRIDE;
    const numbers = this.numbers;
    const n = i * NUMBER_STRIDE;
    const flags = this.flags[i] as number;
    const raw = hopTimes(numbers, n + N_RAW);
    const events = (flags & FLAG_EVENTS_RAW) !== 0 ? raw : hopTimes(numbers, n + N_EVENTS);
    const clientDuration = numbers[n + N_CLIENT_DURATION] as number;
    const serverDuration = numbers[n + N_SERVER_DURATION] as number;
    const late = this.lateEvents[i] as number;
    return {
      traceId: this.traceId(i),
      spanId: this.spanId(i),
      parentSpanId: this.parentId(i),
      from: text[t + T_FROM] as string,
      fromEndpoint: text[t + T_FROM_ENDPOINT] as string,
      to: text[t + T_TO] as string,
      toEndpoint: text[t + T_TO_ENDPOINT] as string,
      clientHost: text[t + T_CLIENT_HOST],
      clientZone: text[t + T_CLIENT_ZONE],
      serverHost: text[t + T_SERVER_HOST],
      serverZone: text[t + T_SERVER_ZONE],
      events,
      rawEvents: raw,
      skewMicros: numbers[n + N_SKEW] as number,
      skewCorrected: (flags & FLAG_SKEW_CORRECTED) !== 0,
      missing: this.missing[i] as EventType[],
      clientDurationMicros: Number.isNaN(clientDuration) ? undefined : clientDuration,
      serverDurationMicros: Number.isNaN(serverDuration) ? undefined : serverDuration,
      startMicros: numbers[n + N_START] as number,
      durationMicros: numbers[n + N_DURATION] as number,
      errorCode: text[t + T_ERROR_CODE],
      errorDescription: text[t + T_ERROR_DESCRIPTION],
      tags: this.tags[i] as Record<string, string>,
      persistent: (flags & FLAG_PERSISTENT_SET) !== 0 ? (flags & FLAG_PERSISTENT) !== 0 : undefined,
      lateEvents: late >= 0 ? late : undefined,
    };
  }

  /** Every entry as a Span object, in order; made once per batch, shared by the consumers that ask. */
  spans(): Span[] {
    if (this.made !== undefined) return this.made;
    const spans = new Array<Span>(this.length);
    for (let i = 0; i < this.length; i++) spans[i] = this.span(i);
    this.made = spans;
    return spans;
  }

  private grow(entries: number): void {
    const copy = <T extends Int32Array | Uint8Array | Float64Array>(a: T, length: number): T => {
      const b = new (a.constructor as new (n: number) => T)(length);
      b.set(a as never);
      return b;
    };
    this.idStart = copy(this.idStart, entries);
    this.traceIdLength = copy(this.traceIdLength, entries);
    this.spanIdLength = copy(this.spanIdLength, entries);
    this.parentIdStart = copy(this.parentIdStart, entries);
    this.parentIdLength = copy(this.parentIdLength, entries);
    this.numbers = copy(this.numbers, entries * NUMBER_STRIDE);
    this.flags = copy(this.flags, entries);
    this.lateEvents = copy(this.lateEvents, entries);
  }
}

/** The times at `numbers[at…at + 3]` (NaN = absent) as a HopTimes, keys in REQ, IN, OUT, REP order. */
export function hopTimes(numbers: Float64Array, at: number): HopTimes {
  const times: HopTimes = {};
  const req = numbers[at] as number;
  const inTime = numbers[at + 1] as number;
  const out = numbers[at + 2] as number;
  const rep = numbers[at + 3] as number;
  if (!Number.isNaN(req)) times.REQ = req;
  if (!Number.isNaN(inTime)) times.IN = inTime;
  if (!Number.isNaN(out)) times.OUT = out;
  if (!Number.isNaN(rep)) times.REP = rep;
  return times;
}

/** True when every character of `id` fits a byte (U+0000–U+00FF). */
function isLatin1(id: string): boolean {
  for (let k = 0; k < id.length; k++) if (id.charCodeAt(k) > 0xff) return false;
  return true;
}
