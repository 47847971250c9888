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
          // the sharded collector's router count it, so received = accepted + invalid holds. (`own`
          // holds the frame's flags, its shared entry's when it has none and the entry is usable.)
          invalidEvents += (own.flags & EventFlags.carriesStart) !== 0 ? 2 : 1;
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

/** Event fields in `EventFields.set`, by field number (bit n = field n seen). */
const SHARED_FORBIDDEN_FIELDS = (1 << 2) | (1 << 3) | (1 << 4) | (1 << 18);

/** The fields of one Event message as read, before defaults and validation; `set` has bit n for field n seen. */
class EventFields {
  set = 0;
  type = 0;
  traceId = '';
  spanId = '';
  parentSpanId = '';
  from = '';
  fromEndpoint = '';
  to = '';
  toEndpoint = '';
  timestampMicros = 0;
  hostname = '';
  zone = '';
  durationMicros: number | undefined = undefined;
  errorCode = '';
  errorDescription = '';
  tags: Record<string, string> | undefined = undefined;
  flags = 0;
  shared = 0;

  /** Reads the message from the reader's position to its `end`. */
  read(r: PayloadReader): this {
    this.set = 0;
    this.type = 0;
    this.traceId = this.spanId = this.parentSpanId = '';
    this.from = this.fromEndpoint = this.to = this.toEndpoint = '';
    this.timestampMicros = 0;
    this.hostname = this.zone = this.errorCode = this.errorDescription = '';
    this.durationMicros = undefined;
    this.tags = undefined;
    this.flags = 0;
    this.shared = 0;
    while (r.pos < r.end) {
      const tag = r.varint32();
      const wireType = tag & 7;
      const field = tag >>> 3;
      if (field < 32) this.set |= 1 << field;
      switch (field) {
        case 1:
          expectWireType(wireType, WIRE_VARINT, 'type');
          // An enum is an int32 on the wire.
          this.type = r.varint32() | 0;
          break;
        case 2:
          expectWireType(wireType, WIRE_LEN, 'traceId');
          this.traceId = r.id('traceId');
          break;
        case 3:
          expectWireType(wireType, WIRE_LEN, 'spanId');
          this.spanId = r.id('spanId');
          break;
        case 4:
          expectWireType(wireType, WIRE_LEN, 'parentSpanId');
          this.parentSpanId = r.id('parentSpanId');
          break;
        case 5:
          expectWireType(wireType, WIRE_LEN, 'from');
          this.from = r.name('from');
          break;
        case 6:
          expectWireType(wireType, WIRE_LEN, 'fromEndpoint');
          this.fromEndpoint = r.name('fromEndpoint');
          break;
        case 7:
          expectWireType(wireType, WIRE_LEN, 'to');
          this.to = r.name('to');
          break;
        case 8:
          expectWireType(wireType, WIRE_LEN, 'toEndpoint');
          this.toEndpoint = r.name('toEndpoint');
          break;
        case 9:
          expectWireType(wireType, WIRE_FIXED64, 'timestampMicros');
          this.timestampMicros = r.double('timestampMicros');
          break;
        case 10:
          expectWireType(wireType, WIRE_LEN, 'hostname');
          this.hostname = r.name('hostname');
          break;
        case 11:
          expectWireType(wireType, WIRE_LEN, 'zone');
          this.zone = r.name('zone');
          break;
        case 12:
          expectWireType(wireType, WIRE_FIXED64, 'durationMicros');
          this.durationMicros = r.double('durationMicros');
          break;
        case 13:
          expectWireType(wireType, WIRE_LEN, 'errorCode');
          this.errorCode = r.name('errorCode');
          break;
        case 14:
          expectWireType(wireType, WIRE_LEN, 'errorDescription');
          this.errorDescription = r.string('errorDescription');
          break;
        case 15:
          expectWireType(wireType, WIRE_LEN, 'tags');
          this.tags = readTag(r, this.tags ?? {});
          break;
        case 16:
          expectWireType(wireType, WIRE_VARINT, 'flags');
          this.flags = r.varint32();
          break;
        case 17:
          expectWireType(wireType, WIRE_LEN, 'standardTags');
          this.tags = readStandardTag(r, this.tags);
          break;
        case 18:
          expectWireType(wireType, WIRE_VARINT, 'shared');
          this.shared = r.varint32();
          break;
        default:
          r.skip(wireType);
      }
    }
    return this;
  }

  /** Takes every field of `shared` this event did not set itself; tags merge, this event's keys winning. */
  mergeShared(shared: EventFields): void {
    const missing = shared.set & ~this.set;
    if (missing & (1 << 1)) this.type = shared.type;
    if (missing & (1 << 5)) this.from = shared.from;
    if (missing & (1 << 6)) this.fromEndpoint = shared.fromEndpoint;
    if (missing & (1 << 7)) this.to = shared.to;
    if (missing & (1 << 8)) this.toEndpoint = shared.toEndpoint;
    if (missing & (1 << 9)) this.timestampMicros = shared.timestampMicros;
    if (missing & (1 << 10)) this.hostname = shared.hostname;
    if (missing & (1 << 11)) this.zone = shared.zone;
    if (missing & (1 << 12)) this.durationMicros = shared.durationMicros;
    if (missing & (1 << 13)) this.errorCode = shared.errorCode;
    if (missing & (1 << 14)) this.errorDescription = shared.errorDescription;
    if (missing & (1 << 16)) this.flags = shared.flags;
    // Spread, not Object.assign: a "__proto__" key stays an own property.
    if (shared.tags !== undefined) this.tags = { ...shared.tags, ...this.tags };
  }
}

/** The event being read; reused (decoding is synchronous). */
const own = new EventFields();

/**
 * The datagram's `shared` entries (Batch field 8): byte ranges in the order they came, and each one
 * read at most once, when an event first refers to it.
 */
class SharedEntries {
  count = 0;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly read: (EventFields | undefined)[] = [];

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
  get(r: PayloadReader, index: number): EventFields | string {
    if (index < 1 || index > this.count) return `shared: no shared fields #${index} before this event`;
    let fields = this.read[index - 1];
    if (fields === undefined) {
      const pos = r.pos;
      const end = r.end;
      r.pos = this.starts[index - 1] as number;
      r.end = this.ends[index - 1] as number;
      fields = new EventFields().read(r);
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

/** Reads one Event message (the reader's `end` is the message's end); a string names an invalid event. */
function readEvent(r: PayloadReader): TraceEvent | string {
  const f = own.read(r);
  if (f.shared !== 0) {
    const shared = sharedEntries.get(r, f.shared);
    if (typeof shared === 'string') return shared;
    f.mergeShared(shared);
  }
  const type = f.type;
  const eventType = type >= 1 && type <= 4 ? WIRE_TO_TYPE[type] : undefined;
  if (eventType === undefined) return `type: unknown event type ${type}`;
  const event: TraceEvent = {
    type: eventType,
    traceId: f.traceId,
    spanId: f.spanId,
    from: f.from,
    fromEndpoint: f.fromEndpoint,
    to: f.to,
    toEndpoint: f.toEndpoint,
    timestampMicros: f.timestampMicros,
    hostname: f.hostname,
    flags: f.flags,
  };
  if (f.parentSpanId) event.parentSpanId = f.parentSpanId;
  if (f.zone) event.zone = f.zone;
  if (f.durationMicros !== undefined) event.durationMicros = f.durationMicros;
  if (f.errorCode) event.errorCode = f.errorCode;
  if (f.errorDescription) event.errorDescription = f.errorDescription;
  if (f.tags) event.tags = f.tags;
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
