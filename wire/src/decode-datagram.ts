import {
  BATCH_EVENTS_FIELD,
  BATCH_SHARED_FIELD,
  BatchHeaderFields,
  type BatchHeaderSource,
  readBatchHeaderField,
} from './batch-header-reader.js';
import { checkDatagramEnvelope, type DatagramRejection } from './datagram-envelope.js';
import { type Batch, EventFlags, type EventType, splitStart, type TraceEvent } from './event.js';
import { type BufferSlicers, InternTable } from './intern-table.js';
import { MAX_ID_LENGTH, MAX_NAME_LENGTH, MAX_TEXT_LENGTH } from './limits.js';
import {
  expectWireType,
  MalformedPayload,
  ProtobufReader,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from './protobuf-reader.js';
import { standardTagKey } from './standard-tag-keys.js';
import { validateBatchHeader, validateEvent } from './validate-event.js';

/** Event type numbers on the wire (phosphor.proto `EventType`). */
const WIRE_TO_TYPE: (EventType | undefined)[] = [undefined, 'REQ', 'IN', 'OUT', 'REP'];

export type DecodeResult =
  | {
      ok: true;
      batch: Batch;
      /** Events inside the datagram that failed validation and were left out. */
      invalidEvents: number;
      /** The first invalid event's problem, naming the field. */
      firstInvalidReason?: string;
    }
  | { ok: false; reason: DatagramRejection; detail: string };

/**
 * Decodes and validates a datagram. Never throws: whatever the bytes, the result says what was
 * wrong. With `hmacKey`, datagrams without a valid HMAC are rejected; without it, an HMAC present
 * in the datagram is skipped unchecked.
 */
export function decodeDatagram(datagram: Uint8Array, hmacKey?: Buffer): DecodeResult {
  const payloadStart = checkDatagramEnvelope(datagram, hmacKey);
  if (typeof payloadStart !== 'number') return payloadStart;
  return decodePayload(datagram, payloadStart);
}

/*
 * Decoding is hand-written (the encoder side uses protobufjs and DatagramWriter): the collector
 * decodes every event it receives, and protobufjs builds an intermediate message per event and
 * decodes every string afresh — ~2 µs per event, most of the collector's budget. This reader
 * walks the bytes once, builds the TraceEvent directly, and interns short names (service,
 * endpoint, host, zone, error code, tag key), which repeat in nearly every event. It accepts
 * what phosphor.proto allows: fields in any order, unknown fields (skipped, groups included), a
 * repeated scalar field (last one wins). A known field with the wrong wire type, a length
 * running past its message, a truncated varint or a stray end-group makes the whole datagram
 * malformed, like a protobufjs decode failure.
 */

/**
 * Interned strings: short names (services, endpoints, hosts, zones, error codes, tag keys) repeat
 * in nearly every event; ids repeat within a hop (REQ/REP, IN/OUT share a datagram) and a trace.
 * 8192 name slots hold far more names than a deployment has; 4096 id slots cover the hops of
 * the last few hundred datagrams. Both are fixed-size, so hostile variety only evicts entries.
 */
const NAME_SLOTS = 8192;
const ID_SLOTS = 4096;
function decodeUtf8(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as BufferSlicers).utf8Slice(start, end);
}

/** The protobuf reader plus interning; one instance is reused (decoding is synchronous). */
class PayloadReader extends ProtobufReader implements BatchHeaderSource {
  private readonly names = new InternTable(NAME_SLOTS);
  private readonly ids = new InternTable(ID_SLOTS);

  /** A string decoded afresh (ids, descriptions, tag values: mostly unique). */
  string(field: string): string {
    const end = this.lengthEnd(field);
    const start = this.pos;
    this.pos = end;
    return start === end ? '' : decodeUtf8(this.buf, start, end);
  }

  /** A service, endpoint, host, zone, error code or tag key, interned (see {@link InternTable}). */
  name(field: string): string {
    return this.interned(field, this.names);
  }

  /** A trace or span id, interned in its own table so ids never evict names. */
  id(field: string): string {
    return this.interned(field, this.ids);
  }

  private interned(field: string, table: InternTable): string {
    const end = this.lengthEnd(field);
    const start = this.pos;
    this.pos = end;
    return start === end ? '' : table.get(this.buf, this.view, start, end);
  }

  /** Header strings (tracer id, service, host) are names: interned. */
  headerString(field: string): string {
    return this.name(field);
  }
}

/** Created on the first decode: processes that only encode (every traced service) never pay for its tables. */
let reader: PayloadReader | undefined;

/** The header of the payload being decoded; reused (decoding is synchronous). */
const header = new BatchHeaderFields();

/** Decodes the Batch payload starting at `start`; never throws. */
function decodePayload(datagram: Uint8Array, start: number): DecodeResult {
  reader ??= new PayloadReader();
  const r = reader;
  r.reset(datagram, start);
  header.reset();
  sharedEntries.reset();
  const events: TraceEvent[] = [];
  let invalidEvents = 0;
  let firstInvalidReason: string | undefined;
  try {
    while (r.pos < r.end) {
      const tag = r.varint32();
      const wireType = tag & 7;
      const field = tag >>> 3;
      if (field === BATCH_EVENTS_FIELD) {
        expectWireType(wireType, WIRE_LEN, 'events');
        const end = r.lengthEnd('events');
        const outer = r.end;
        r.end = end;
        const event = readEvent(r);
        r.end = outer;
        const problem = typeof event === 'string' ? event : plainlyValid(event) ? undefined : validateEvent(event);
        if (problem !== undefined) {
          // A frame flagged as standing for its hop side's two events counts as two, as the writer and
          // the sharded collector's router count it, so received = accepted + invalid holds.
          invalidEvents += (lastFrameFlags & EventFlags.carriesStart) !== 0 ? 2 : 1;
          firstInvalidReason ??= problem;
        } else {
          const valid = event as TraceEvent;
          // One frame standing for a hop's two events is handed on as the two events.
          if (((valid.flags ?? 0) & EventFlags.carriesStart) !== 0) events.push(splitStart(valid));
          events.push(valid);
        }
      } else if (field === BATCH_SHARED_FIELD) {
        expectWireType(wireType, WIRE_LEN, 'shared');
        const end = r.lengthEnd('shared');
        sharedEntries.add(r.pos, end);
        r.pos = end;
      } else {
        readBatchHeaderField(r, field, wireType, header);
      }
    }
  } catch (err) {
    if (!(err instanceof MalformedPayload)) throw err;
    return { ok: false, reason: 'malformed', detail: `protobuf decode failed: ${err.message}` };
  }
  const headerProblem = validateBatchHeader(header.tracerId, header.service, header.hostname, header.sentAtMicros);
  if (headerProblem) return { ok: false, reason: 'malformed', detail: headerProblem };
  const result: DecodeResult = {
    ok: true,
    batch: header.toBatch(events),
    invalidEvents,
  };
  if (firstInvalidReason !== undefined) result.firstInvalidReason = firstInvalidReason;
  return result;
}

/**
 * A quick sufficient check for the common event (no tags, every field well within its limit):
 * true means validateEvent would accept it; false means ask validateEvent, which names the problem.
 */
function plainlyValid(e: TraceEvent): boolean {
  return (
    e.tags === undefined &&
    ((e.flags ?? 0) & EventFlags.carriesStart) === 0 &&
    e.traceId.length > 0 &&
    e.traceId.length <= MAX_ID_LENGTH &&
    e.spanId.length > 0 &&
    e.spanId.length <= MAX_ID_LENGTH &&
    (e.parentSpanId === undefined || e.parentSpanId.length <= MAX_ID_LENGTH) &&
    e.from.length <= MAX_NAME_LENGTH &&
    e.fromEndpoint.length <= MAX_NAME_LENGTH &&
    e.to.length <= MAX_NAME_LENGTH &&
    e.toEndpoint.length <= MAX_NAME_LENGTH &&
    e.hostname.length <= MAX_NAME_LENGTH &&
    (e.zone === undefined || e.zone.length <= MAX_NAME_LENGTH) &&
    (e.errorCode === undefined || e.errorCode.length <= MAX_NAME_LENGTH) &&
    (e.errorDescription === undefined || e.errorDescription.length <= MAX_TEXT_LENGTH) &&
    e.timestampMicros > 0 &&
    e.timestampMicros < Number.POSITIVE_INFINITY &&
    (e.durationMicros === undefined || (e.durationMicros >= 0 && e.durationMicros < Number.POSITIVE_INFINITY))
  );
}

/**
 * Event fields a `shared` entry must not hold (bit n: field n): the ids 2–4 and a reference of its own
 * (18). An event referring to such an entry is invalid.
 */
export const SHARED_FORBIDDEN_FIELDS = (1 << 2) | (1 << 3) | (1 << 4) | (1 << 18);

/** The fields of one `shared` entry as read; `set` has bit n for field n seen. */
interface EntryFields {
  set: number;
  type: number;
  from: string;
  fromEndpoint: string;
  to: string;
  toEndpoint: string;
  timestampMicros: number;
  hostname: string;
  zone: string;
  durationMicros: number | undefined;
  errorCode: string;
  errorDescription: string;
  tags: Record<string, string> | undefined;
  flags: number;
}

/**
 * The datagram's `shared` entries (Batch field 8): byte ranges in the order they came, and each one
 * read at most once, when an event first refers to it.
 */
class SharedEntries {
  count = 0;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly read: (EntryFields | undefined)[] = [];

  reset(): void {
    this.count = 0;
  }

  add(start: number, end: number): void {
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.read[this.count] = undefined;
    this.count++;
  }

  /** Entry `index` (1-based) read from its bytes; a string names why it cannot be used. */
  get(r: PayloadReader, index: number): EntryFields | string {
    if (index < 1 || index > this.count) return `shared: no shared fields #${index} before this event`;
    let fields = this.read[index - 1];
    if (fields === undefined) {
      const pos = r.pos;
      const end = r.end;
      r.pos = this.starts[index - 1] as number;
      r.end = this.ends[index - 1] as number;
      fields = readEvent(r, true);
      r.pos = pos;
      r.end = end;
      this.read[index - 1] = fields;
    }
    if ((fields.set & SHARED_FORBIDDEN_FIELDS) !== 0) {
      return `shared: shared fields #${index} hold an id or a shared reference (fields 2–4, 18 are per event)`;
    }
    return fields;
  }
}

const sharedEntries = new SharedEntries();

/**
 * The flags of the frame `readEvent` read last — its own, else its usable shared entry's — for
 * counting an invalid frame (a frame with {@link EventFlags.carriesStart} counts as two events).
 */
let lastFrameFlags = 0;

/**
 * Reads one Event message (the reader's `end` is the message's end); a string names an invalid event.
 * `asEntry`: the message is a `shared` entry — its fields are returned as read, with the bits of the
 * fields it holds. The fields are read into locals (the common event has no reference and costs
 * what it did before references existed); an event's reference is resolved after its own fields,
 * filling in only the fields it did not set itself.
 */
function readEvent(r: PayloadReader): TraceEvent | string;
function readEvent(r: PayloadReader, asEntry: true): EntryFields;
function readEvent(r: PayloadReader, asEntry = false): TraceEvent | EntryFields | string {
  let set = 0;
  let type = 0;
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let from = '';
  let fromEndpoint = '';
  let to = '';
  let toEndpoint = '';
  let timestampMicros = 0;
  let hostname = '';
  let zone = '';
  let durationMicros: number | undefined;
  let errorCode = '';
  let errorDescription = '';
  let tags: Record<string, string> | undefined;
  let flags = 0;
  let shared = 0;
  while (r.pos < r.end) {
    const tag = r.varint32();
    const wireType = tag & 7;
    const field = tag >>> 3;
    if (field < 32) set |= 1 << field;
    switch (field) {
      case 1:
        expectWireType(wireType, WIRE_VARINT, 'type');
        // An enum is an int32 on the wire.
        type = r.varint32() | 0;
        break;
      case 2:
        expectWireType(wireType, WIRE_LEN, 'traceId');
        traceId = r.id('traceId');
        break;
      case 3:
        expectWireType(wireType, WIRE_LEN, 'spanId');
        spanId = r.id('spanId');
        break;
      case 4:
        expectWireType(wireType, WIRE_LEN, 'parentSpanId');
        parentSpanId = r.id('parentSpanId');
        break;
      case 5:
        expectWireType(wireType, WIRE_LEN, 'from');
        from = r.name('from');
        break;
      case 6:
        expectWireType(wireType, WIRE_LEN, 'fromEndpoint');
        fromEndpoint = r.name('fromEndpoint');
        break;
      case 7:
        expectWireType(wireType, WIRE_LEN, 'to');
        to = r.name('to');
        break;
      case 8:
        expectWireType(wireType, WIRE_LEN, 'toEndpoint');
        toEndpoint = r.name('toEndpoint');
        break;
      case 9:
        expectWireType(wireType, WIRE_FIXED64, 'timestampMicros');
        timestampMicros = r.double('timestampMicros');
        break;
      case 10:
        expectWireType(wireType, WIRE_LEN, 'hostname');
        hostname = r.name('hostname');
        break;
      case 11:
        expectWireType(wireType, WIRE_LEN, 'zone');
        zone = r.name('zone');
        break;
      case 12:
        expectWireType(wireType, WIRE_FIXED64, 'durationMicros');
        durationMicros = r.double('durationMicros');
        break;
      case 13:
        expectWireType(wireType, WIRE_LEN, 'errorCode');
        errorCode = r.name('errorCode');
        break;
      case 14:
        expectWireType(wireType, WIRE_LEN, 'errorDescription');
        errorDescription = r.string('errorDescription');
        break;
      case 15:
        expectWireType(wireType, WIRE_LEN, 'tags');
        tags = readTag(r, tags ?? {});
        break;
      case 16:
        expectWireType(wireType, WIRE_VARINT, 'flags');
        flags = r.varint32();
        break;
      case 17:
        expectWireType(wireType, WIRE_LEN, 'standardTags');
        tags = readStandardTag(r, tags);
        break;
      case 18:
        expectWireType(wireType, WIRE_VARINT, 'shared');
        shared = r.varint32();
        break;
      default:
        r.skip(wireType);
    }
  }
  if (asEntry) {
    return {
      set,
      type,
      from,
      fromEndpoint,
      to,
      toEndpoint,
      timestampMicros,
      hostname,
      zone,
      durationMicros,
      errorCode,
      errorDescription,
      tags,
      flags,
    };
  }
  lastFrameFlags = flags;
  if (shared !== 0) {
    const entry = sharedEntries.get(r, shared);
    if (typeof entry === 'string') return entry;
    // Every field of the entry the event did not set itself; tags merge, the event's keys winning.
    const missing = entry.set & ~set;
    if (missing & (1 << 1)) type = entry.type;
    if (missing & (1 << 5)) from = entry.from;
    if (missing & (1 << 6)) fromEndpoint = entry.fromEndpoint;
    if (missing & (1 << 7)) to = entry.to;
    if (missing & (1 << 8)) toEndpoint = entry.toEndpoint;
    if (missing & (1 << 9)) timestampMicros = entry.timestampMicros;
    if (missing & (1 << 10)) hostname = entry.hostname;
    if (missing & (1 << 11)) zone = entry.zone;
    if (missing & (1 << 12)) durationMicros = entry.durationMicros;
    if (missing & (1 << 13)) errorCode = entry.errorCode;
    if (missing & (1 << 14)) errorDescription = entry.errorDescription;
    if (missing & (1 << 16)) flags = entry.flags;
    // Spread, not Object.assign: a "__proto__" key stays an own property.
    if (entry.tags !== undefined) tags = { ...entry.tags, ...tags };
    lastFrameFlags = flags;
  }
  const eventType = type >= 1 && type <= 4 ? WIRE_TO_TYPE[type] : undefined;
  if (eventType === undefined) return `type: unknown event type ${type}`;
  const event: TraceEvent = {
    type: eventType,
    traceId,
    spanId,
    from,
    fromEndpoint,
    to,
    toEndpoint,
    timestampMicros,
    hostname,
    flags,
  };
  if (parentSpanId) event.parentSpanId = parentSpanId;
  if (zone) event.zone = zone;
  if (durationMicros !== undefined) event.durationMicros = durationMicros;
  if (errorCode) event.errorCode = errorCode;
  if (errorDescription) event.errorDescription = errorDescription;
  if (tags) event.tags = tags;
  return event;
}

/**
 * Reads one map entry of `Event.standard_tags` (a key code, a value) into `tags` under the code's key; an
 * entry whose code this version does not know is skipped (a newer tracer's key).
 */
function readStandardTag(
  r: PayloadReader,
  tags: Record<string, string> | undefined,
): Record<string, string> | undefined {
  const end = r.lengthEnd('standardTags');
  const outer = r.end;
  r.end = end;
  let code = 0;
  let value = '';
  while (r.pos < end) {
    const tag = r.varint32();
    const field = tag >>> 3;
    if (field === 1) {
      expectWireType(tag & 7, WIRE_VARINT, 'standardTags');
      code = r.varint32();
    } else if (field === 2) {
      expectWireType(tag & 7, WIRE_LEN, 'standardTags');
      value = r.string('standardTags');
    } else {
      r.skip(tag & 7);
    }
  }
  r.end = outer;
  const key = standardTagKey(code);
  if (key === undefined) return tags;
  const into = tags ?? {};
  into[key] = value;
  return into;
}

/** Reads one map entry of `Event.tags` into `tags` (a missing key or value is ''; a repeated key: last wins). */
function readTag(r: PayloadReader, tags: Record<string, string>): Record<string, string> {
  const end = r.lengthEnd('tags');
  const outer = r.end;
  r.end = end;
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.varint32();
    const field = tag >>> 3;
    if (field === 1) {
      expectWireType(tag & 7, WIRE_LEN, 'tags');
      key = r.name('tags');
    } else if (field === 2) {
      expectWireType(tag & 7, WIRE_LEN, 'tags');
      value = r.string('tags');
    } else {
      r.skip(tag & 7);
    }
  }
  r.end = outer;
  // A "__proto__" key must become an own property, not the object's prototype.
  if (key === '__proto__')
    Object.defineProperty(tags, key, { value, enumerable: true, writable: true, configurable: true });
  else tags[key] = value;
  return tags;
}
