import {
  AppendStatus,
  DatagramWriter,
  decodeDatagram,
  EventFlags,
  EventTemplate,
  type TraceEvent,
} from '@phosphor/wire';
import { describe, expect, it } from 'vitest';
import { encodeBatch, encodeDatagram } from '../../../wire/test/support/reference-encoder.js';
import { EventRouter } from '../../src/shards/event-router.js';
import { OUTBOX_BYTES, ShardOutbox } from '../../src/shards/shard-outbox.js';
import { ownerOfTraceId } from '../../src/shards/trace-owner.js';
import { batchOf, prng } from '../support/hops.js';

const SHARDS = 3;
const TYPES = ['REQ', 'IN', 'OUT', 'REP'] as const;

function randomEvent(random: () => number, i: number): TraceEvent {
  const event: TraceEvent = {
    type: TYPES[Math.floor(random() * 4)] as TraceEvent['type'],
    traceId: String(Math.floor(random() * 1e15)),
    spanId: Math.floor(random() * 2 ** 48).toString(16),
    from: 'svc-a',
    fromEndpoint: 'GET /x',
    to: `svc-${i % 5}`,
    toEndpoint: 'Handle',
    timestampMicros: 1_700_000_000_000_000 + i,
    hostname: 'h1',
  };
  if (random() < 0.3) event.tags = { k: `v${i}`, correlation_id: event.traceId };
  if (random() < 0.2) event.errorCode = 'UNAVAILABLE';
  if (random() < 0.2) event.durationMicros = Math.floor(random() * 1000);
  if (random() < 0.1) event.parentSpanId = 'abcdef0123456789';
  // A frame standing for its hop side's two events (invalid on REQ/IN or without a duration).
  if (random() < 0.2) event.flags = 1 | EventFlags.carriesStart;
  // Invalid events (kept by the datagram, rejected one by one by the shard that decodes them).
  if (random() < 0.05) event.traceId = '';
  if (random() < 0.05) event.timestampMicros = -5;
  return event;
}

function randomDatagram(random: () => number): Buffer {
  const events = Array.from({ length: 1 + Math.floor(random() * 30) }, (_, i) => randomEvent(random, i));
  return encodeBatch(batchOf(events, Math.floor(random() * 1000), `tracer-${Math.floor(random() * 4)}`));
}

/** Standard tag keys (they travel in `standard_tags`, field 17) and a text key, as instrumentation sets them. */
function withInstrumentationTags(event: TraceEvent, random: () => number): TraceEvent {
  if (random() < 0.5) return event;
  const tags: Record<string, string> = { 'http.request.method': 'GET', 'http.route': `/r/${Math.floor(random() * 3)}` };
  if (random() < 0.5) tags['http.response.status_code'] = '200';
  if (random() < 0.3) tags.tenant = 'acme';
  return { ...event, tags: { ...tags, ...event.tags } };
}

/**
 * A datagram as the tracer writes it: events from templates (DatagramWriter decides which go
 * inline and which as a `shared` entry with references: field 18 first, then ids and times).
 */
function templatedDatagram(random: () => number): Buffer {
  const writer = new DatagramWriter({
    maxDatagramBytes: random() < 0.5 ? 1400 : 8000,
    tracerId: `tracer-${Math.floor(random() * 4)}`,
    service: 'test',
    hostname: 'test-host',
  });
  const templates: EventTemplate[] = [];
  const count = 1 + Math.floor(random() * 30);
  for (let i = 0; i < count; i++) {
    const e = withInstrumentationTags(randomEvent(random, i), random);
    let template =
      templates.length > 0 && random() < 0.6 ? templates[Math.floor(random() * templates.length)] : undefined;
    if (template === undefined) {
      template = EventTemplate.encode(e);
      if (template === undefined) {
        // Fields no template takes (a paired flag on REQ/IN): written inline, as the tracer would.
        writer.append(e);
        continue;
      }
      templates.push(template);
    }
    const status = writer.appendFromTemplate(
      template,
      e.traceId,
      e.spanId,
      e.parentSpanId,
      e.timestampMicros,
      e.durationMicros,
    );
    if (status === AppendStatus.full) break;
  }
  return Buffer.from(
    writer.finish(
      Math.floor(random() * 1000),
      { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 },
      1_700_000_000_000_000,
    ),
  );
}

// Protobuf pieces for datagrams a foreign encoder could write (field 18 anywhere, odd entries).
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
const varintField = (field: number, value: number) => Buffer.from([...varint(field * 8), ...varint(value)]);
const lenField = (field: number, body: Uint8Array) =>
  Buffer.concat([Buffer.from([...varint(field * 8 + 2), ...varint(body.length)]), body]);
const stringField = (field: number, text: string) => lenField(field, Buffer.from(text, 'utf8'));
function doubleField(field: number, value: number): Buffer {
  const out = Buffer.alloc(1 + 8);
  out[0] = field * 8 + 1;
  out.writeDoubleLE(value, 1);
  return out;
}
const tagField = (key: string, value: string) =>
  lenField(15, Buffer.concat([stringField(1, key), stringField(2, value)]));
const standardTagField = (code: number, value: string) =>
  lenField(17, Buffer.concat([varintField(1, code), stringField(2, value)]));

/** A `shared` entry's bytes: mostly a template's, some holding an id or a reference, some malformed. */
function randomEntry(random: () => number, i: number): Buffer {
  const e = withInstrumentationTags(randomEvent(random, i), random);
  const base = Buffer.from(
    EventTemplate.encode(e)?.bytes ??
      Buffer.concat([varintField(1, 3), stringField(5, 'svc-a'), varintField(16, e.flags ?? 1)]),
  );
  const kind = random();
  if (kind < 0.6) return base;
  if (kind < 0.68) return Buffer.concat([base, stringField(2 + Math.floor(random() * 3), 'an-id')]);
  if (kind < 0.73) return Buffer.concat([varintField(18, 1), base]);
  // Fields an entry may hold beyond a template's: a time, an error code.
  if (kind < 0.8) return Buffer.concat([doubleField(9, 1_700_000_000_000_000 + i), stringField(13, 'DEADLINE'), base]);
  if (kind < 0.86) return Buffer.alloc(0);
  if (kind < 0.93) return base.subarray(0, Math.floor(random() * base.length));
  // A known field with the wrong wire type: malformed, if an event refers to it.
  return Buffer.concat([base, Buffer.from([0x08 | 2, 0x01, 0x00])]);
}

/**
 * An event's own bytes (ids, times, sometimes fields overriding its entry's) with a reference to
 * entry 1..`entries` (or past them, or none, or two) put anywhere among them.
 */
function randomOwnEvent(random: () => number, i: number, entries: number): Buffer {
  const fields: Buffer[] = [];
  if (random() < 0.95) fields.push(stringField(2, String(Math.floor(random() * 1e15))));
  if (random() < 0.95) fields.push(stringField(3, Math.floor(random() * 2 ** 48).toString(16)));
  if (random() < 0.2) fields.push(stringField(4, 'abcdef0123456789'));
  fields.push(doubleField(9, random() < 0.03 ? -5 : 1_700_000_000_000_000 + i));
  if (random() < 0.5) fields.push(doubleField(12, Math.floor(random() * 1000)));
  if (random() < 0.1) fields.push(varintField(1, 1 + Math.floor(random() * 4)));
  if (random() < 0.1) fields.push(stringField(10, 'own-host'));
  if (random() < 0.15) fields.push(tagField(random() < 0.5 ? 'tenant' : 'own', 'own-value'));
  if (random() < 0.1) fields.push(standardTagField(2, '/own/:route'));
  if (random() < 0.15) fields.push(varintField(16, random() < 0.5 ? 1 : 1 | EventFlags.carriesStart));
  const pick = random();
  let references: number[];
  if (pick < 0.65 && entries > 0) references = [1 + Math.floor(random() * entries)];
  else if (pick < 0.78) references = [entries + 1 + Math.floor(random() * 3)];
  else if (pick < 0.86) references = [];
  else if (pick < 0.9) references = [0];
  else references = [entries + 2, Math.max(1, Math.floor(random() * (entries + 1)))];
  for (const index of references) {
    const where = random();
    // First (as the tracer writes it), last, or anywhere between.
    const at = where < 0.4 ? 0 : where < 0.7 ? fields.length : Math.floor(random() * (fields.length + 1));
    fields.splice(at, 0, varintField(18, index));
  }
  return Buffer.concat(fields);
}

/** A datagram with `shared` entries and events in any order, references in range or not, anywhere in the event. */
function handBuiltDatagram(random: () => number): Buffer {
  const parts: Buffer[] = [
    encodeDatagram(batchOf([], Math.floor(random() * 1000), `tracer-${Math.floor(random() * 4)}`), []),
  ];
  let entries = 0;
  const count = 1 + Math.floor(random() * 20);
  for (let i = 0; i < count; i++) {
    if (random() < 0.35) {
      parts.push(lenField(8, randomEntry(random, i)));
      entries++;
    } else {
      parts.push(lenField(6, randomOwnEvent(random, i, entries)));
    }
  }
  return Buffer.concat(parts);
}

function mutate(d: Buffer, random: () => number): Buffer {
  const out = Buffer.from(d);
  const kind = random();
  if (kind < 0.4) {
    const flips = 1 + Math.floor(random() * 3);
    for (let i = 0; i < flips; i++) out[4 + Math.floor(random() * (out.length - 4))] = Math.floor(random() * 256);
    return out;
  }
  if (kind < 0.7) return out.subarray(0, 4 + Math.floor(random() * (out.length - 4)));
  const at = 4 + Math.floor(random() * (out.length - 4));
  const junk = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 6) }, () => Math.floor(random() * 256)));
  return Buffer.concat([out.subarray(0, at), junk, out.subarray(at)]);
}

/** Routes a datagram and decodes what each shard would get. */
function routeAndDecode(d: Buffer) {
  const perShard: Uint8Array[][] = Array.from({ length: SHARDS }, () => []);
  const outbox = new ShardOutbox(SHARDS, (shard, datagram) => perShard[shard]?.push(datagram.slice()));
  const result = new EventRouter(SHARDS, outbox).route(d);
  outbox.flush();
  const decoded = perShard.map((buffers) => buffers.map((b) => decodeDatagram(b)));
  return { result, decoded };
}

const canonical = (events: TraceEvent[]) => events.map((e) => JSON.stringify(e)).sort();

/** Datagram generators of the differential test: the reference encoder's, the tracer's, foreign encoders'. */
const GENERATORS = [randomDatagram, templatedDatagram, handBuiltDatagram] as const;

describe('EventRouter', () => {
  it('accepts and rejects exactly as decodeDatagram, and splits events by owner without losing or changing one', () => {
    const random = prng(2024);
    const seen = GENERATORS.map(() => ({ accepted: 0, rejected: 0, events: 0, invalid: 0 }));
    for (let i = 0; i < 4500; i++) {
      const kind = i % GENERATORS.length;
      const base = (GENERATORS[kind] as (random: () => number) => Buffer)(random);
      const d = i % 4 === 0 ? base : mutate(base, random);
      const counts = seen[kind] as (typeof seen)[number];
      const expected = decodeDatagram(d);
      const { result, decoded } = routeAndDecode(d);
      if (!expected.ok) {
        counts.rejected++;
        expect(result, `datagram ${i}`).toMatchObject({ ok: false, reason: expected.reason });
        expect(decoded.flat()).toEqual([]);
        continue;
      }
      counts.accepted++;
      counts.events += expected.batch.events.length;
      counts.invalid += expected.invalidEvents;
      expect(result.ok, `datagram ${i}: ${JSON.stringify(result)}`).toBe(true);
      if (!result.ok) continue;
      const { events: _, ...header } = expected.batch;
      expect({ ...result.header, events: undefined }).toEqual({ ...header, events: undefined });
      const shardEvents: TraceEvent[] = [];
      let invalid = 0;
      decoded.forEach((results, shard) => {
        for (const r of results) {
          expect(r.ok).toBe(true);
          if (!r.ok) continue;
          invalid += r.invalidEvents;
          for (const e of r.batch.events) {
            // Bytes that are not UTF-8 decode to U+FFFD, so only ids that round-trip hash alike as strings.
            if (!e.traceId.includes('\uFFFD')) expect(ownerOfTraceId(e.traceId, SHARDS)).toBe(shard);
          }
          shardEvents.push(...r.batch.events);
        }
      });
      expect(canonical(shardEvents), `datagram ${i}`).toEqual(canonical(expected.batch.events));
      expect(invalid, `datagram ${i}`).toBe(expected.invalidEvents);
      // Counted as events, a paired frame as two, valid or not: what was routed is what the shards
      // accept plus what they reject.
      expect(result.events, `datagram ${i}`).toBe(expected.batch.events.length + expected.invalidEvents);
    }
    // Every generator exercised both paths in earnest. The tracer's writer refuses invalid events, so
    // its datagrams' invalid events come from mutations alone.
    seen.forEach((counts, kind) => {
      expect(counts.accepted, `generator ${kind}`).toBeGreaterThan(400);
      expect(counts.rejected, `generator ${kind}`).toBeGreaterThan(400);
      expect(counts.events, `generator ${kind}`).toBeGreaterThan(1000);
      expect(counts.invalid, `generator ${kind}`).toBeGreaterThan(GENERATORS[kind] === templatedDatagram ? 5 : 1000);
    });
  });

  it('checks the HMAC like the decoder', () => {
    const key = 'a-shared-key-of-some-length';
    const signed = encodeBatch(batchOf([randomEvent(prng(1), 1)]), Buffer.from(key));
    const sink = { append() {}, appendJoined() {} };
    expect(new EventRouter(2, sink, key).route(signed).ok).toBe(true);
    expect(new EventRouter(2, sink, key).route(encodeBatch(batchOf([randomEvent(prng(1), 1)])))).toMatchObject({
      ok: false,
      reason: 'missing_hmac',
    });
    const tampered = Buffer.from(signed);
    tampered.writeUInt8((tampered.at(-1) as number) ^ 1, tampered.length - 1);
    expect(new EventRouter(2, sink, key).route(tampered)).toMatchObject({ ok: false, reason: 'bad_hmac' });
  });
});

describe('EventRouter and shared entries', () => {
  const entry = Buffer.from(
    (
      EventTemplate.encode({
        type: 'OUT',
        from: 'gateway',
        fromEndpoint: 'GET /order',
        to: 'catalog',
        toEndpoint: 'GET /items/:id',
        hostname: 'h1',
        tags: { 'http.route': '/items/:id', tenant: 'acme' },
        flags: 1 | EventFlags.carriesStart,
      }) as EventTemplate
    ).bytes,
  );
  const ids = [stringField(2, '397237206544449536'), stringField(3, '00f1'), doubleField(9, 1_700_000_000_000_000)];
  const duration = doubleField(12, 250);
  const datagramOf = (...fields: Buffer[]) => Buffer.concat([encodeDatagram(batchOf([], 1), []), ...fields]);

  function route(d: Buffer) {
    const handed: Buffer[] = [];
    const outbox = new ShardOutbox(SHARDS, (_shard, datagram) => handed.push(Buffer.from(datagram)));
    const result = new EventRouter(SHARDS, outbox).route(d);
    outbox.flush();
    return { result, handed };
  }

  it.each([
    ['first', [varintField(18, 1), ...ids, duration]],
    ['last', [...ids, duration, varintField(18, 1)]],
    ['between its fields', [ids[0], varintField(18, 1), ids[1], ids[2], duration]],
    ['twice (the last one counts)', [varintField(18, 7), ...ids, duration, varintField(18, 1)]],
  ] as [string, Buffer[]][])(
    'forwards an event referring to an entry, the reference %s, as one plain frame: the entry, then the event without field 18',
    (_where, own) => {
      const d = datagramOf(lenField(8, entry), lenField(6, Buffer.concat(own)));
      const expected = decodeDatagram(d);
      expect(expected.ok && expected.batch.events.length).toBe(2);
      const { result, handed } = route(d);
      // A paired frame by its entry's flags: two events.
      expect(result).toMatchObject({ ok: true, events: 2 });
      expect(handed).toHaveLength(1);
      const ownWithoutReference = own.filter((f) => f[0] !== 0x90);
      expect((handed[0] as Buffer).subarray(4)).toEqual(lenField(6, Buffer.concat([entry, ...ownWithoutReference])));
      const atShard = decodeDatagram(handed[0] as Buffer);
      expect(atShard.ok && atShard.batch.events).toEqual(expected.ok && expected.batch.events);
    },
  );

  it("counts an event by its own flags when it has them, else by its entry's", () => {
    const d = datagramOf(
      lenField(8, entry),
      lenField(6, Buffer.concat([varintField(18, 1), ...ids, varintField(16, 1)])),
    );
    const expected = decodeDatagram(d);
    expect(expected.ok && expected.invalidEvents).toBe(0);
    expect(expected.ok && expected.batch.events.length).toBe(1);
    expect(route(d).result).toMatchObject({ ok: true, events: 1 });
  });

  it.each([
    ['an entry that comes after it', [lenField(6, Buffer.concat([varintField(18, 1), ...ids])), lenField(8, entry)]],
    ['an entry that is not there', [lenField(8, entry), lenField(6, Buffer.concat([varintField(18, 2), ...ids]))]],
    [
      'an entry holding a span id',
      [
        lenField(8, Buffer.concat([entry, stringField(3, '00aa')])),
        lenField(6, Buffer.concat([...ids, varintField(18, 1)])),
      ],
    ],
    [
      'an entry holding a reference',
      [
        lenField(8, Buffer.concat([varintField(18, 1), entry])),
        lenField(6, Buffer.concat([varintField(18, 1), ...ids])),
      ],
    ],
  ] as [string, Buffer[]][])(
    'forwards an event referring to %s as received, for its shard to count invalid',
    (_case, fields) => {
      const d = datagramOf(...fields);
      const expected = decodeDatagram(d);
      expect(expected).toMatchObject({ ok: true, invalidEvents: 1 });
      const { result, handed } = route(d);
      expect(result).toMatchObject({ ok: true, events: 1 });
      const frame = fields.find((f) => f[0] === 0x32) as Buffer;
      expect((handed[0] as Buffer).subarray(4)).toEqual(frame);
      expect(decodeDatagram(handed[0] as Buffer)).toMatchObject({ ok: true, invalidEvents: 1 });
    },
  );

  it('rejects a datagram whose referenced entry is malformed, and skips a malformed entry no event refers to', () => {
    // Field 1 (type) as a length-delimited field: the wrong wire type.
    const malformed = Buffer.concat([entry, Buffer.from([0x0a, 0x01, 0x00])]);
    const referred = datagramOf(
      lenField(8, malformed),
      lenField(6, Buffer.concat([varintField(18, 1), ...ids, duration])),
    );
    expect(decodeDatagram(referred)).toMatchObject({ ok: false, reason: 'malformed' });
    const { result, handed } = route(referred);
    expect(result).toMatchObject({ ok: false, reason: 'malformed' });
    expect(handed).toEqual([]);
    const unreferred = datagramOf(
      lenField(8, malformed),
      lenField(8, entry),
      lenField(6, Buffer.concat([varintField(18, 2), ...ids, duration])),
    );
    expect(decodeDatagram(unreferred)).toMatchObject({ ok: true, invalidEvents: 0 });
    expect(route(unreferred).result).toMatchObject({ ok: true, events: 2 });
  });
});

describe('ShardOutbox', () => {
  it('hands a buffer on when the next frame would not fit, and gives an oversized frame a buffer of its own', () => {
    const flushed: { shard: number; bytes: number; frames: number }[] = [];
    const outbox = new ShardOutbox(2, (shard, d, frames) => flushed.push({ shard, bytes: d.length, frames }));
    const frame = new Uint8Array(40_000).fill(7);
    outbox.append(1, frame, 0, frame.length, 1);
    outbox.append(1, frame, 0, frame.length, 1);
    expect(flushed).toEqual([{ shard: 1, bytes: 40_004, frames: 1 }]);
    const big = new Uint8Array(100_000);
    outbox.append(0, big, 0, big.length, 1);
    outbox.flush();
    expect(flushed.slice(1)).toEqual([
      { shard: 0, bytes: 100_004, frames: 1 },
      { shard: 1, bytes: 40_004, frames: 1 },
    ]);
    expect(outbox.pendingEvents()).toBe(0);
  });

  it('coalesces up to OUTBOX_BYTES before a hand-off', () => {
    const flushed: { shard: number; bytes: number; frames: number }[] = [];
    const outbox = new ShardOutbox(1, (shard, d, frames) => flushed.push({ shard, bytes: d.length, frames }));
    const frame = new Uint8Array(40_000).fill(3);
    const fit = Math.floor((OUTBOX_BYTES - 4) / frame.length);
    for (let i = 0; i < fit; i++) outbox.append(0, frame, 0, frame.length, 1);
    expect(flushed).toEqual([]);
    outbox.append(0, frame, 0, frame.length, 1);
    expect(flushed).toEqual([{ shard: 0, bytes: 4 + fit * frame.length, frames: fit }]);
    outbox.flush();
    expect(flushed[1]).toEqual({ shard: 0, bytes: 4 + frame.length, frames: 1 });
  });
});
