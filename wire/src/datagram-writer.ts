import { createHmac } from 'node:crypto';
import { type DropCounters, EventFlags, hasStartTime, type TraceEvent } from './event.js';
import {
  copyRun,
  eventTypeCode,
  INVALID,
  NO_ROOM,
  TAG_DURATION,
  TAG_ERROR_CODE,
  TAG_ERROR_DESCRIPTION,
  TAG_EVENT_TYPE,
  TAG_FLAGS_0,
  TAG_FLAGS_1,
  TAG_PARENT_SPAN_ID,
  TAG_SPAN_ID,
  TAG_TIMESTAMP,
  TAG_TRACE_ID,
  writeAsciiString,
  writeDouble,
  writeOptional,
  writeString,
  writeTags,
} from './event-fields.js';
import type { EventTemplate } from './event-template.js';
import {
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
  MAX_UDP_PAYLOAD_BYTES,
  WIRE_FLAG_HMAC,
  WIRE_HEADER_BYTES,
  WIRE_HMAC_BYTES,
  WIRE_MAGIC_0,
  WIRE_MAGIC_1,
  WIRE_VERSION,
} from './limits.js';
import { type LastIds, PreparedRuns } from './prepared-runs.js';
import { SPAN_ID_WORDS_DIGITS, writeSpanIdWords } from './span-id-words.js';
import { varintBytes, writeVarint } from './varint-writer.js';

/**
 * A hand-written protobuf encoder for the tracer's background flush, producing exactly the bytes
 * phosphor.proto describes (the codec's protobufjs decoder reads them; tests check that). It
 * exists because protobufjs costs ~1.3 µs per event — more than the whole recording budget —
 * while writing the known fields straight into the datagram buffer costs a fraction of that.
 *
 * Events are written into the datagram as they are packed; the batch header fields (tracer id,
 * sequence, drops, send time) are appended after the events when the datagram is finished,
 * because the drop counters are only known then. Protobuf decoders accept fields in any order.
 */

/** Buffers kept for reuse: enough for the datagrams of one flush in flight at once. */
const MAX_SPARE_BUFFERS = 32;

/** Result of {@link DatagramWriter.append}. */
export const AppendStatus = {
  /** The event is in the current datagram. */
  appended: 0,
  /** The current datagram has no room left; finish it and append the event again. */
  full: 1,
  /** The event does not fit even in an empty datagram. */
  tooLarge: 2,
  /** The event failed validation (see `validateEvent` for the reason). */
  invalid: 3,
} as const;
export type AppendStatus = (typeof AppendStatus)[keyof typeof AppendStatus];

/** Fixed identity of the tracer that writes datagrams. */
export interface DatagramWriterOptions {
  maxDatagramBytes: number;
  tracerId: string;
  service: string;
  hostname: string;
  hmacKey?: Buffer | undefined;
}

// Batch field tags (field number << 3 | wire type) of phosphor.proto; the Event's are in event-fields.ts.
const TAG_BATCH_TRACER_ID = 0x0a;
const TAG_BATCH_SEQUENCE = 0x10;
const TAG_BATCH_SERVICE = 0x1a;
const TAG_BATCH_HOSTNAME = 0x22;
const TAG_BATCH_DROPS = 0x2a;
const TAG_BATCH_EVENTS = 0x32;
const TAG_BATCH_SENT_AT = 0x39;
/** Batch field 8 (`shared`), wire type 2. */
const TAG_BATCH_SHARED = 0x42;
/**
 * The tag of Event field 18 (`shared`, varint): (18 << 3 | 0) = 144, two varint bytes 0x90 0x01. The
 * writer puts a reference first in its event, with a one-byte index after these two bytes, and the
 * collector's fast paths look for exactly that form.
 */
export const SHARED_REFERENCE_TAG_0 = 0x90;
export const SHARED_REFERENCE_TAG_1 = 0x01;
/**
 * Shared entries one datagram holds at most; a template past them is written inline. A service's
 * datagram holds few endpoints' templates (each entry is looked up by a scan), and one-byte indexes
 * keep every reference at 3 bytes.
 */
const MAX_SHARED_ENTRIES = 32;
/** DropCounters: four doubles, each a one-byte tag plus 8 bytes. */
const DROPS_BODY_BYTES = 4 * 9;
/** Trailer after the events: sequence (tag + up to 5 varint bytes), drops (tag + len + body), sent-at (tag + 8). */
const TRAILER_VARIABLE_BYTES = 1 + 5 + 2 + DROPS_BODY_BYTES + 9;

/** Packs events into datagrams of at most `maxDatagramBytes`, one datagram at a time. */
export class DatagramWriter {
  private readonly maxDatagramBytes: number;
  private readonly prefixBytes: number;
  /** End of the space events may use: the trailer always fits after it. */
  private readonly eventsLimit: number;
  private readonly identity: Buffer;
  private readonly hmacKey: Buffer | undefined;
  private buffer: Buffer;
  /** A view of `buffer` for writing doubles (inlined by the JIT, unlike a byte loop through a scratch array). */
  private view: DataView;
  private position: number;
  private events = 0;
  private readonly prepared = new PreparedRuns();
  private readonly spare: Buffer[] = [];
  /** Length-prefix bytes of the last event frame: the guess for the next one. */
  private lengthBytesGuess = 1;
  /** Templates written as `shared` entries into the current datagram; entry i has index i + 1. */
  private readonly sharedTemplates: EventTemplate[] = [];
  /**
   * Templates the current datagram holds one event of, written inline: an entry is written at a
   * template's second event. A 1,400-byte datagram often holds one event per endpoint, and an entry
   * for it would only add bytes; a 16 KiB one holds dozens of each.
   */
  private readonly inlineTemplates: EventTemplate[] = [];
  /** The template found last in `sharedTemplates` and its index (0: none): an endpoint's events come in runs. */
  private lastShared: EventTemplate | undefined = undefined;
  private lastSharedIndex = 0;

  constructor(options: DatagramWriterOptions) {
    this.maxDatagramBytes = options.maxDatagramBytes;
    this.hmacKey = options.hmacKey;
    this.prefixBytes = WIRE_HEADER_BYTES + (options.hmacKey ? WIRE_HMAC_BYTES : 0);
    const identity = Buffer.alloc(3 * (MAX_NAME_LENGTH * 3 + 3));
    let at = writeString(identity, 0, identity.length, TAG_BATCH_TRACER_ID, options.tracerId);
    at = writeString(identity, at, identity.length, TAG_BATCH_SERVICE, options.service);
    at = writeString(identity, at, identity.length, TAG_BATCH_HOSTNAME, options.hostname);
    this.identity = Buffer.from(identity.subarray(0, at));
    this.eventsLimit = this.maxDatagramBytes - this.identity.length - TRAILER_VARIABLE_BYTES;
    if (this.eventsLimit - this.prefixBytes < 64) {
      throw new RangeError(`maxDatagramBytes: ${this.maxDatagramBytes} leaves no room for events after the header`);
    }
    this.buffer = Buffer.allocUnsafe(this.maxDatagramBytes);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.maxDatagramBytes);
    this.position = this.prefixBytes;
  }

  /**
   * Hands back a datagram returned by `finish` once the socket is done with it, so its memory is
   * reused: allocating an 8 KiB buffer per datagram costs more than encoding a dozen events.
   */
  recycle(datagram: Buffer): void {
    if (this.spare.length >= MAX_SPARE_BUFFERS || datagram.byteLength === 0) return;
    if (datagram.byteOffset + this.maxDatagramBytes > datagram.buffer.byteLength) return;
    this.spare.push(Buffer.from(datagram.buffer, datagram.byteOffset, this.maxDatagramBytes));
  }

  /** Events in the datagram being written. */
  get eventCount(): number {
    return this.events;
  }

  /** Room for events in an empty datagram, in bytes (frames included). */
  get eventCapacityBytes(): number {
    return this.eventsLimit - this.prefixBytes;
  }

  /**
   * Encodes `event` into the current datagram. Never throws: an event that is not valid (wrong
   * type, over-long field, non-finite number) returns `invalid` and leaves the datagram unchanged.
   */
  append(event: TraceEvent): AppendStatus {
    const start = this.position;
    const end = writeEventFrame(
      this.buffer,
      this.view,
      start,
      this.eventsLimit,
      event,
      this.prepared,
      this.lengthBytesGuess,
    );
    if (end >= 0) {
      this.lengthBytesGuess = end - start - 2 >= 0x80 ? 2 : 1;
      this.position = end;
      this.events += ((event.flags ?? 0) & EventFlags.carriesStart) === 0 ? 1 : 2;
      return AppendStatus.appended;
    }
    if (end === INVALID) return AppendStatus.invalid;
    return this.events === 0 ? AppendStatus.tooLarge : AppendStatus.full;
  }

  /**
   * Encodes the event made of `template` (its repeating fields, encoded once) and the fields that
   * differ per event into the current datagram: the same event `append` would write for those
   * fields, with the fields in another order (ids, timestamp, duration, then the template's bytes —
   * protobuf decoders accept any order). `durationMicros` undefined: none (REQ, IN). `spanId`
   * undefined: the span id is held as two 32-bit words, `spanHigh` then `spanLow`, written as its 16
   * hex digits (span-id-words.ts) — the same bytes as for those digits given as a string. `asciiIds`:
   * the caller knows the ids to be ASCII (made by the tracer or validated on arrival), so their
   * characters are copied as bytes without a check each ({@link writeAsciiString}). Never throws; an
   * invalid id, timestamp or duration returns `invalid` and leaves the datagram unchanged. A template
   * with {@link EventFlags.carriesStart} writes one frame that counts as the hop's two events.
   */
  appendFromTemplate(
    template: EventTemplate,
    traceId: string,
    spanId: string | undefined,
    parentSpanId: string | undefined,
    timestampMicros: number,
    durationMicros: number | undefined,
    spanHigh = 0,
    spanLow = 0,
    asciiIds = false,
  ): AppendStatus {
    const limit = this.eventsLimit;
    const buf = this.buffer;
    if (template.events === 2 && !hasStartTime(timestampMicros, durationMicros)) {
      return AppendStatus.invalid;
    }
    // A template's fields go once per datagram, as a `shared` entry written before its second event;
    // each event from then on refers to it (docs/wire-format.md, "Shared fields"). Past
    // MAX_SHARED_ENTRIES templates, inline.
    let start = this.position;
    let sharedIndex = this.sharedIndexOf(template);
    let newEntry = false;
    let firstInline = false;
    if (sharedIndex === 0 && !this.inlineTemplates.includes(template)) {
      firstInline = this.inlineTemplates.length < MAX_SHARED_ENTRIES;
    } else if (sharedIndex === 0 && this.sharedTemplates.length < MAX_SHARED_ENTRIES) {
      const run = template.bytes;
      if (start + 1 + varintBytes(run.length) + run.length > limit) {
        return this.events === 0 ? AppendStatus.tooLarge : AppendStatus.full;
      }
      buf[start] = TAG_BATCH_SHARED;
      start = copyRun(buf, writeVarint(buf, start + 1, run.length), limit, run);
      sharedIndex = this.sharedTemplates.length + 1;
      newEntry = true;
    }
    const lengthBytes = this.lengthBytesGuess;
    const bodyStart = start + 1 + lengthBytes;
    if (bodyStart + 3 > limit) return this.events === 0 ? AppendStatus.tooLarge : AppendStatus.full;
    let at = bodyStart;
    if (sharedIndex !== 0) {
      buf[at] = SHARED_REFERENCE_TAG_0;
      buf[at + 1] = SHARED_REFERENCE_TAG_1;
      buf[at + 2] = sharedIndex;
      at += 3;
    }
    const ids = this.prepared.ids;
    at = writeIds(buf, this.view, at, limit, traceId, spanId, spanHigh, spanLow, parentSpanId, ids, asciiIds);
    if (at >= 0) at = writeTimes(buf, this.view, at, limit, timestampMicros, durationMicros);
    if (at >= 0 && sharedIndex === 0) at = copyRun(buf, at, limit, template.bytes);
    if (at < 0) {
      if (at === INVALID) return AppendStatus.invalid;
      return this.events === 0 ? AppendStatus.tooLarge : AppendStatus.full;
    }
    const length = at - bodyStart;
    const delta = varintBytes(length) - lengthBytes;
    if (delta !== 0) {
      if (at + delta > limit) return this.events === 0 ? AppendStatus.tooLarge : AppendStatus.full;
      buf.copyWithin(bodyStart + delta, bodyStart, at);
    }
    buf[start] = TAG_BATCH_EVENTS;
    writeVarint(buf, start + 1, length);
    // A frame with both events of a hop is the hop whole: no next frame repeats its ids, so they are
    // not kept (keeping them stores this event's strings into the long-lived writer, a write-barrier
    // slow path per hop).
    if (template.events === 2) ids.valid = false;
    else ids.commit(traceId, spanId, spanHigh, spanLow, parentSpanId, delta);
    this.lengthBytesGuess = length >= 0x80 ? 2 : 1;
    this.position = at + delta;
    this.events += template.events;
    if (newEntry) {
      this.sharedTemplates.push(template);
      this.lastShared = template;
      this.lastSharedIndex = sharedIndex;
    } else if (firstInline) {
      this.inlineTemplates.push(template);
    }
    return AppendStatus.appended;
  }

  /**
   * Appends a hop's two events as one frame of `template` (made with {@link EventFlags.carriesStart})
   * for ids known to be ASCII: the bytes {@link appendFromTemplate} writes for them (timestamp
   * `endMicros`, duration `endMicros - startMicros`, at least 0), by a shorter path. That path is
   * taken when the template's `shared` entry is already in this datagram and the frame's length fits
   * in one byte (the three ids together up to 99 characters: a W3C trace id and two span ids take
   * 64); otherwise, and for any field it does not accept as it is, the hop goes through
   * {@link appendFromTemplate}. `spanText` undefined: the span id is the words `spanHigh`, `spanLow`.
   * Never throws.
   */
  appendHopPair(
    template: EventTemplate,
    traceId: string,
    spanText: string | undefined,
    spanHigh: number,
    spanLow: number,
    parentSpanId: string | undefined,
    startMicros: number,
    endMicros: number,
  ): AppendStatus {
    const durationMicros = Math.max(0, endMicros - startMicros);
    const sharedIndex = template === this.lastShared ? this.lastSharedIndex : 0;
    const traceChars = typeof traceId === 'string' ? traceId.length : 0;
    const spanChars =
      spanText === undefined ? SPAN_ID_WORDS_DIGITS : typeof spanText === 'string' ? spanText.length : 0;
    const parentChars = parentSpanId === undefined ? 0 : typeof parentSpanId === 'string' ? parentSpanId.length : -1;
    // Shared reference, three ids (tag and length each), timestamp and duration (tag and double each).
    const bodyLength = 3 + 4 + traceChars + spanChars + (parentChars > 0 ? 2 + parentChars : 0) + 18;
    if (
      sharedIndex === 0 ||
      template.events !== 2 ||
      traceChars === 0 ||
      spanChars === 0 ||
      parentChars < 0 ||
      bodyLength >= 0x80 ||
      traceChars > MAX_ID_LENGTH ||
      spanChars > MAX_ID_LENGTH ||
      parentChars > MAX_ID_LENGTH ||
      (spanText === undefined && (spanHigh | spanLow) === 0) ||
      !(endMicros < Number.POSITIVE_INFINITY && hasStartTime(endMicros, durationMicros))
    ) {
      return this.appendFromTemplate(
        template,
        traceId,
        spanText,
        parentSpanId,
        endMicros,
        durationMicros,
        spanHigh,
        spanLow,
        true,
      );
    }
    const start = this.position;
    const end = start + 2 + bodyLength;
    if (end > this.eventsLimit) return this.events === 0 ? AppendStatus.tooLarge : AppendStatus.full;
    const buf = this.buffer;
    const view = this.view;
    buf[start] = TAG_BATCH_EVENTS;
    buf[start + 1] = bodyLength;
    buf[start + 2] = SHARED_REFERENCE_TAG_0;
    buf[start + 3] = SHARED_REFERENCE_TAG_1;
    buf[start + 4] = sharedIndex;
    let at = writeAsciiString(buf, start + 5, end, TAG_TRACE_ID, traceId);
    if (spanText === undefined) {
      buf[at] = TAG_SPAN_ID;
      buf[at + 1] = SPAN_ID_WORDS_DIGITS;
      writeSpanIdWords(view, at + 2, spanHigh, spanLow);
      at += 2 + SPAN_ID_WORDS_DIGITS;
    } else {
      at = writeAsciiString(buf, at, end, TAG_SPAN_ID, spanText);
    }
    if (parentChars > 0) at = writeAsciiString(buf, at, end, TAG_PARENT_SPAN_ID, parentSpanId as string);
    buf[at] = TAG_TIMESTAMP;
    view.setFloat64(at + 1, endMicros, true);
    buf[at + 9] = TAG_DURATION;
    view.setFloat64(at + 10, durationMicros, true);
    // A pair frame's ids are not kept for the next frame (see appendFromTemplate).
    this.prepared.ids.valid = false;
    this.lengthBytesGuess = 1;
    this.position = end;
    this.events += 2;
    return AppendStatus.appended;
  }

  /** The index of `template`'s `shared` entry in the current datagram, 0 when it has none yet. */
  private sharedIndexOf(template: EventTemplate): number {
    if (template === this.lastShared) return this.lastSharedIndex;
    const shared = this.sharedTemplates;
    for (let i = 0; i < shared.length; i++) {
      if (shared[i] === template) {
        this.lastShared = template;
        this.lastSharedIndex = i + 1;
        return i + 1;
      }
    }
    return 0;
  }

  /**
   * Completes the current datagram with the batch header fields and returns it; the writer
   * starts a new datagram. The returned buffer is owned by the caller (it is not reused).
   */
  finish(sequence: number, drops: DropCounters, sentAtMicros: number): Buffer {
    const buf = this.buffer;
    let at = this.position;
    at += this.identity.copy(buf, at);
    buf[at++] = TAG_BATCH_SEQUENCE;
    at = writeVarint(buf, at, sequence >>> 0);
    buf[at++] = TAG_BATCH_DROPS;
    buf[at++] = DROPS_BODY_BYTES;
    buf[at++] = 0x09;
    at = buf.writeDoubleLE(drops.bufferFull, at);
    buf[at++] = 0x11;
    at = buf.writeDoubleLE(drops.tooLarge, at);
    buf[at++] = 0x19;
    at = buf.writeDoubleLE(drops.sendError, at);
    buf[at++] = 0x21;
    at = buf.writeDoubleLE(drops.sampledOut, at);
    buf[at++] = TAG_BATCH_SENT_AT;
    at = buf.writeDoubleLE(sentAtMicros, at);
    buf[0] = WIRE_MAGIC_0;
    buf[1] = WIRE_MAGIC_1;
    buf[2] = WIRE_VERSION;
    buf[3] = this.hmacKey ? WIRE_FLAG_HMAC : 0;
    if (this.hmacKey) {
      createHmac('sha256', this.hmacKey)
        .update(buf.subarray(0, WIRE_HEADER_BYTES))
        .update(buf.subarray(this.prefixBytes, at))
        .digest()
        .copy(buf, WIRE_HEADER_BYTES, 0, WIRE_HMAC_BYTES);
    }
    const datagram = buf.subarray(0, at);
    // A different buffer for the next datagram: the socket holds this one until its send completes.
    this.buffer = this.spare.pop() ?? Buffer.allocUnsafe(this.maxDatagramBytes);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.maxDatagramBytes);
    this.position = this.prefixBytes;
    this.events = 0;
    this.prepared.ids.valid = false;
    this.sharedTemplates.length = 0;
    this.inlineTemplates.length = 0;
    this.lastShared = undefined;
    this.lastSharedIndex = 0;
    return datagram;
  }
}

/** Writes one `Batch.events` frame; returns the end offset, NO_ROOM or INVALID. */
function writeEventFrame(
  buf: Buffer,
  view: DataView,
  start: number,
  limit: number,
  e: TraceEvent,
  prepared: PreparedRuns,
  lengthBytesGuess: number,
): number {
  // The frame length is written after the body; `lengthBytesGuess` bytes are reserved for it (the
  // previous event's, as a service's events are alike in size), and the body moves if it was wrong.
  const bodyStart = start + 1 + lengthBytesGuess;
  if (bodyStart > limit) return NO_ROOM;
  buf[start] = TAG_BATCH_EVENTS;
  const end = writeEventBody(buf, view, bodyStart, limit, e, prepared);
  if (end < 0) return end;
  const length = end - bodyStart;
  const delta = varintBytes(length) - lengthBytesGuess;
  if (delta !== 0) {
    if (end + delta > limit) return NO_ROOM;
    buf.copyWithin(bodyStart + delta, bodyStart, end);
  }
  writeVarint(buf, start + 1, length);
  prepared.ids.commit(e.traceId, e.spanId, 0, 0, e.parentSpanId, delta);
  return end + delta;
}

function writeEventBody(
  buf: Buffer,
  view: DataView,
  start: number,
  limit: number,
  e: TraceEvent,
  prepared: PreparedRuns,
): number {
  const type = eventTypeCode(e.type);
  if (type === 0 || typeof e.traceId !== 'string' || e.traceId.length === 0) return INVALID;
  if (typeof e.spanId !== 'string' || e.spanId.length === 0) return INVALID;
  if (e.traceId.length > MAX_ID_LENGTH || e.spanId.length > MAX_ID_LENGTH) return INVALID;
  const ts = e.timestampMicros;
  if (typeof ts !== 'number' || !(ts > 0) || ts === Number.POSITIVE_INFINITY) return INVALID;
  const peers = prepared.peerRun(e);
  if (peers === undefined) return INVALID;
  const host = prepared.hostRun(e);
  if (host === undefined) return INVALID;
  if (start + 2 + 9 > limit) return NO_ROOM;
  buf[start] = TAG_EVENT_TYPE;
  buf[start + 1] = type;
  let at = writeIds(buf, view, start + 2, limit, e.traceId, e.spanId, 0, 0, e.parentSpanId, prepared.ids, false);
  if (at < 0) return at;
  at = copyRun(buf, at, limit, peers);
  if (at < 0) return at;
  if (at + 9 > limit) return NO_ROOM;
  buf[at] = TAG_TIMESTAMP;
  at = writeDouble(buf, at + 1, ts);
  at = copyRun(buf, at, limit, host);
  if (at < 0) return at;
  const duration = e.durationMicros;
  if (duration !== undefined) {
    if (typeof duration !== 'number' || !(duration >= 0) || duration === Number.POSITIVE_INFINITY) return INVALID;
    if (at + 9 > limit) return NO_ROOM;
    buf[at] = TAG_DURATION;
    at = writeDouble(buf, at + 1, duration);
  }
  at = writeOptional(buf, at, limit, TAG_ERROR_CODE, e.errorCode, MAX_NAME_LENGTH);
  if (at < 0) return at;
  at = writeOptional(buf, at, limit, TAG_ERROR_DESCRIPTION, e.errorDescription, MAX_TEXT_LENGTH);
  if (at < 0) return at;
  const tags = e.tags;
  if (tags !== undefined) {
    const run = Object.isFrozen(tags) ? prepared.tagsRun(tags) : undefined;
    at = run === undefined ? writeTags(buf, at, limit, tags) : copyRun(buf, at, limit, run);
    if (at < 0) return at;
  }
  const flags = e.flags ?? 1;
  if (flags !== 0) {
    if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) return INVALID;
    if ((flags & EventFlags.carriesStart) !== 0 && !((type === 3 || type === 4) && hasStartTime(ts, duration))) {
      return INVALID;
    }
    if (at + 7 > limit) return NO_ROOM;
    buf[at++] = TAG_FLAGS_0;
    buf[at++] = TAG_FLAGS_1;
    at = writeVarint(buf, at, flags);
  }
  return at;
}

/** Below this many bytes the ids of the previous event are copied with a byte loop rather than `copyWithin`. */
const LOOP_COPY_IDS_MAX_BYTES = 16;

/**
 * Writes fields 2..4 (trace, span, parent span id) at `at` — copied from the previous event in this
 * datagram when it had the same ids (a hop's events often travel together) — and marks them as the
 * pending ids of the event being written. The span id is `spanText`, or the words (`spanHigh`,
 * `spanLow`) when that is undefined; `asciiIds`: the strings are known to be ASCII. Returns the end,
 * NO_ROOM or INVALID.
 */
function writeIds(
  buf: Buffer,
  view: DataView,
  at: number,
  limit: number,
  traceId: string,
  spanText: string | undefined,
  spanHigh: number,
  spanLow: number,
  parentSpanId: string | undefined,
  ids: LastIds,
  asciiIds: boolean,
): number {
  const idsStart = at;
  // Span ids first: they are random, so two events' differ at once, where the trace ids of
  // consecutive hops (sequential Flaki ids) share most of their digits.
  if (
    ids.valid &&
    spanText === ids.spanText &&
    spanLow === ids.spanLow &&
    spanHigh === ids.spanHigh &&
    traceId === ids.traceId &&
    parentSpanId === ids.parentSpanId
  ) {
    const length = ids.end - ids.start;
    if (at + length > limit) return NO_ROOM;
    if (length <= LOOP_COPY_IDS_MAX_BYTES) {
      for (let i = 0; i < length; i++) buf[at + i] = buf[ids.start + i] as number;
    } else {
      buf.copyWithin(at, ids.start, ids.end);
    }
    at += length;
  } else {
    if (typeof traceId !== 'string' || traceId.length === 0 || traceId.length > MAX_ID_LENGTH) return INVALID;
    at = asciiIds
      ? writeAsciiString(buf, at, limit, TAG_TRACE_ID, traceId)
      : writeString(buf, at, limit, TAG_TRACE_ID, traceId);
    if (at < 0) return at;
    if (spanText === undefined) {
      // All zeros is no span id (W3C forbids it), and what words a caller that gave none leaves.
      if ((spanHigh | spanLow) === 0) return INVALID;
      if (at + 2 + SPAN_ID_WORDS_DIGITS > limit) return NO_ROOM;
      buf[at] = TAG_SPAN_ID;
      buf[at + 1] = SPAN_ID_WORDS_DIGITS;
      writeSpanIdWords(view, at + 2, spanHigh, spanLow);
      at += 2 + SPAN_ID_WORDS_DIGITS;
    } else {
      if (typeof spanText !== 'string' || spanText.length === 0 || spanText.length > MAX_ID_LENGTH) return INVALID;
      at = asciiIds
        ? writeAsciiString(buf, at, limit, TAG_SPAN_ID, spanText)
        : writeString(buf, at, limit, TAG_SPAN_ID, spanText);
      if (at < 0) return at;
    }
    at = writeOptional(buf, at, limit, TAG_PARENT_SPAN_ID, parentSpanId, MAX_ID_LENGTH, asciiIds);
    if (at < 0) return at;
  }
  ids.pendingStart = idsStart;
  ids.pendingEnd = at;
  return at;
}

/** Writes fields 9 (timestamp) and 12 (duration, when defined); INVALID for a bad value, NO_ROOM. */
function writeTimes(
  buf: Buffer,
  view: DataView,
  at: number,
  limit: number,
  timestampMicros: number,
  durationMicros: number | undefined,
): number {
  if (typeof timestampMicros !== 'number' || !(timestampMicros > 0) || timestampMicros === Number.POSITIVE_INFINITY) {
    return INVALID;
  }
  if (at + 18 > limit) return NO_ROOM;
  buf[at] = TAG_TIMESTAMP;
  view.setFloat64(at + 1, timestampMicros, true);
  at += 9;
  if (durationMicros !== undefined) {
    if (typeof durationMicros !== 'number' || !(durationMicros >= 0) || durationMicros === Number.POSITIVE_INFINITY) {
      return INVALID;
    }
    buf[at] = TAG_DURATION;
    view.setFloat64(at + 1, durationMicros, true);
    at += 9;
  }
  return at;
}

/** The largest datagram the writer accepts as `maxDatagramBytes`. */
export const MAX_WRITER_DATAGRAM_BYTES = MAX_UDP_PAYLOAD_BYTES;
