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
import { batchOf, hopEvents, prng } from '../support/hops.js';
import { recordingEngine } from '../support/recording-engine.js';
import { assembleDatagrams, writeDatagrams } from '../support/template-datagrams.js';

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

/** An outbox counting the frames that took each path with a reference. */
class CountingOutbox extends ShardOutbox {
  referring = 0;
  joined = 0;

  override appendReferring(...args: Parameters<ShardOutbox['appendReferring']>): void {
    this.referring++;
    super.appendReferring(...args);
  }

  override appendJoined(...args: Parameters<ShardOutbox['appendJoined']>): void {
    this.joined++;
    super.appendJoined(...args);
  }
}

/** The shared entries (Batch field 8) of a handed-on buffer, as byte strings in order (its fields are all LEN). */
function entriesOf(buffer: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  const b = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let pos = 4;
  const varintAt = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = b[pos++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (pos < b.length) {
    const tag = varintAt();
    const length = varintAt();
    if (tag === 0x42) out.push(b.subarray(pos, pos + length));
    pos += length;
  }
  return out;
}

const canonical = (events: TraceEvent[]) => events.map((e) => JSON.stringify(e)).sort();

/** Datagram generators of the differential test: the reference encoder's, the tracer's, foreign encoders'. */
const GENERATORS = [randomDatagram, templatedDatagram, handBuiltDatagram] as const;

/** What the frames of routed streams went through (see routeStream). */
interface RoutePaths {
  /** Frames forwarded as received with their reference renumbered. */
  referring: number;
  /** Frames joined to their entry. */
  joined: number;
  /** Buffers handed on while a datagram was being routed (full). */
  handedMidRoute: number;
  /** Handed-on buffers holding 127 entries, as many as one-byte references reach. */
  fullOfEntries: number;
}

/**
 * Routes `datagrams` in order through one router and outbox of `bufferBytes` buffers, as a receiver
 * routes a burst, handing the buffers on after each datagram `flushAfter` picks and at the end. Checks
 * each datagram's acceptance, rejection, header and event count against decodeDatagram's, and that
 * the shards, decoding each handed-on buffer on its own, get exactly decodeDatagram's events and
 * invalid counts, each event in the shard owning its trace. Adds the paths taken to `paths`; returns
 * decodeDatagram's result for each datagram.
 */
function routeStream(
  datagrams: readonly Buffer[],
  bufferBytes: number,
  flushAfter: (k: number) => boolean,
  label: string,
  paths: RoutePaths,
): ReturnType<typeof decodeDatagram>[] {
  const perShard: Uint8Array[][] = Array.from({ length: SHARDS }, () => []);
  let routing = false;
  const outbox = new CountingOutbox(
    SHARDS,
    (shard, datagram) => {
      perShard[shard]?.push(datagram.slice());
      if (routing) paths.handedMidRoute++;
    },
    bufferBytes,
  );
  const router = new EventRouter(SHARDS, outbox);
  const expectedEvents: TraceEvent[] = [];
  let expectedInvalid = 0;
  const results = datagrams.map((d, k) => {
    const expected = decodeDatagram(d);
    const pending = outbox.pendingEvents();
    const handed = perShard.flat().length;
    routing = true;
    const result = router.route(d);
    routing = false;
    if (!expected.ok) {
      expect(result, `${label}, datagram ${k}`).toMatchObject({ ok: false, reason: expected.reason });
      // Nothing of a rejected datagram is routed.
      expect([outbox.pendingEvents(), perShard.flat().length]).toEqual([pending, handed]);
      return expected;
    }
    expect(result.ok, `${label}, datagram ${k}: ${JSON.stringify(result)}`).toBe(true);
    if (!result.ok) return expected;
    const { events: _, ...header } = expected.batch;
    expect({ ...result.header, events: undefined }).toEqual({ ...header, events: undefined });
    // Counted as events, a paired frame as two, valid or not: what was routed is what the shards
    // accept plus what they reject.
    expect(result.events, `${label}, datagram ${k}`).toBe(expected.batch.events.length + expected.invalidEvents);
    expectedEvents.push(...expected.batch.events);
    expectedInvalid += expected.invalidEvents;
    if (flushAfter(k)) outbox.flush();
    return expected;
  });
  outbox.flush();
  const shardEvents: TraceEvent[] = [];
  let invalid = 0;
  perShard.forEach((buffers, shard) => {
    for (const buffer of buffers) {
      const entries = entriesOf(buffer).length;
      expect(entries).toBeLessThanOrEqual(127);
      if (entries === 127) paths.fullOfEntries++;
      const r = decodeDatagram(buffer);
      expect(r.ok, label).toBe(true);
      if (!r.ok) continue;
      invalid += r.invalidEvents;
      for (const e of r.batch.events) {
        // Bytes that are not UTF-8 decode to U+FFFD, so only ids that round-trip hash alike as strings.
        if (!e.traceId.includes('\uFFFD')) expect(ownerOfTraceId(e.traceId, SHARDS)).toBe(shard);
      }
      shardEvents.push(...r.batch.events);
    }
  });
  expect(canonical(shardEvents), label).toEqual(canonical(expectedEvents));
  expect(invalid, label).toBe(expectedInvalid);
  paths.referring += outbox.referring;
  paths.joined += outbox.joined;
  return results;
}

const noPaths = (): RoutePaths => ({ referring: 0, joined: 0, handedMidRoute: 0, fullOfEntries: 0 });

describe('EventRouter', () => {
  it('accepts and rejects exactly as decodeDatagram, and splits events by owner without losing or changing one', () => {
    const random = prng(2024);
    const seen = GENERATORS.map(() => ({ accepted: 0, rejected: 0, events: 0, invalid: 0 }));
    const paths = noPaths();
    const DATAGRAMS = 4500;
    for (let i = 0; i < DATAGRAMS; ) {
      // Streams of a few datagrams: entries of several datagrams numbered from 1 in one buffer, and
      // small buffers filling mid-datagram (between an entry and its event too).
      const kinds: number[] = [];
      const stream: Buffer[] = [];
      for (let k = 1 + Math.floor(random() * 8); k > 0 && i < DATAGRAMS; k--, i++) {
        const kind = i % GENERATORS.length;
        const base = (GENERATORS[kind] as (random: () => number) => Buffer)(random);
        kinds.push(kind);
        stream.push(i % 4 === 0 ? base : mutate(base, random));
      }
      const bufferBytes = random() < 0.4 ? 100 + Math.floor(random() * 3000) : OUTBOX_BYTES;
      const label = `datagrams ${i - stream.length}–${i - 1}`;
      const results = routeStream(stream, bufferBytes, () => random() < 0.2, label, paths);
      results.forEach((expected, k) => {
        const counts = seen[kinds[k] as number] as (typeof seen)[number];
        if (!expected.ok) {
          counts.rejected++;
          return;
        }
        counts.accepted++;
        counts.events += expected.batch.events.length;
        counts.invalid += expected.invalidEvents;
      });
    }
    // Every generator exercised both paths in earnest. The tracer's writer refuses invalid events, so
    // its datagrams' invalid events come from mutations alone.
    seen.forEach((counts, kind) => {
      expect(counts.accepted, `generator ${kind}`).toBeGreaterThan(400);
      expect(counts.rejected, `generator ${kind}`).toBeGreaterThan(400);
      expect(counts.events, `generator ${kind}`).toBeGreaterThan(1000);
      expect(counts.invalid, `generator ${kind}`).toBeGreaterThan(GENERATORS[kind] === templatedDatagram ? 5 : 1000);
    });
    // Entries were forwarded and references renumbered, other forms joined, and buffers handed on
    // while a datagram was being routed.
    expect(paths.referring).toBeGreaterThan(3500);
    expect(paths.joined).toBeGreaterThan(1500);
    expect(paths.handedMidRoute).toBeGreaterThan(400);
  });

  it('forwards entries of hundreds of datagrams into one buffer, handing it on at 127 entries', () => {
    const random = prng(4202);
    const stream = Array.from({ length: 600 }, (_, i) => (i % 2 === 0 ? templatedDatagram : handBuiltDatagram)(random));
    const paths = noPaths();
    routeStream(stream, 1 << 20, () => false, 'one burst', paths);
    expect(paths.fullOfEntries).toBeGreaterThanOrEqual(SHARDS);
    expect(paths.handedMidRoute).toBe(paths.fullOfEntries);
  });

  it('checks the HMAC like the decoder', () => {
    const key = 'a-shared-key-of-some-length';
    const signed = encodeBatch(batchOf([randomEvent(prng(1), 1)]), Buffer.from(key));
    const sink = { startDatagram() {}, append() {}, appendJoined() {}, appendReferring() {} };
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
  const T0 = 1_700_000_000_000_000;
  const templateOf = (fields: Partial<TraceEvent>) =>
    Buffer.from(
      (
        EventTemplate.encode({
          type: 'OUT',
          traceId: '',
          spanId: '',
          from: 'gateway',
          fromEndpoint: 'GET /order',
          to: 'catalog',
          toEndpoint: 'GET /items/:id',
          hostname: 'h1',
          timestampMicros: 0,
          tags: { 'http.route': '/items/:id', tenant: 'acme' },
          flags: 1 | EventFlags.carriesStart,
          ...fields,
        }) as EventTemplate
      ).bytes,
    );
  const entry = templateOf({});
  const ids = [stringField(2, '397237206544449536'), stringField(3, '00f1'), doubleField(9, T0)];
  const duration = doubleField(12, 250);
  const datagramOf = (...fields: Buffer[]) => Buffer.concat([encodeDatagram(batchOf([], 1), []), ...fields]);
  /** The field 18 an event with an unusable reference is forwarded with (index 2^32 − 1). */
  const unusableReference = Buffer.from([0x90, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f]);

  /** The `n`th trace id (of a fixed sequence) that `shard` owns. */
  function traceOf(shard: number, n = 0): string {
    for (let i = 0, found = 0; ; i++) {
      const id = String(397_237_206_544_449_536n + BigInt(i));
      if (ownerOfTraceId(id, SHARDS) === shard && found++ === n) return id;
    }
  }
  /** An event's own fields: ids, timestamp, duration. */
  const ownOf = (traceId: string, span: number) => [
    stringField(2, traceId),
    stringField(3, span.toString(16).padStart(16, '0')),
    doubleField(9, T0 + span),
    duration,
  ];
  /** An event frame as the tracer writes it: reference `index` first, then its own fields. */
  const referring = (index: number, traceId: string, span: number) =>
    lenField(6, Buffer.concat([varintField(18, index), ...ownOf(traceId, span)]));

  function route(d: Buffer) {
    const handed: Buffer[] = [];
    const outbox = new ShardOutbox(SHARDS, (_shard, datagram) => handed.push(Buffer.from(datagram)));
    const result = new EventRouter(SHARDS, outbox).route(d);
    outbox.flush();
    return { result, handed };
  }

  /**
   * Routes `datagrams` through one router and outbox (`bufferBytes` buffers), handing on at the end;
   * checks that each shard, decoding each of its buffers on its own, gets decodeDatagram's events and
   * invalid counts. Returns the buffers and event counts handed to each shard, and the outbox.
   */
  function routeAll(datagrams: Buffer[], bufferBytes = OUTBOX_BYTES) {
    const perShard: Buffer[][] = Array.from({ length: SHARDS }, () => []);
    const eventsPerShard: number[][] = Array.from({ length: SHARDS }, () => []);
    const outbox = new CountingOutbox(
      SHARDS,
      (shard, datagram, events) => {
        perShard[shard]?.push(Buffer.from(datagram));
        eventsPerShard[shard]?.push(events);
      },
      bufferBytes,
    );
    const router = new EventRouter(SHARDS, outbox);
    for (const d of datagrams) expect(router.route(d).ok).toBe(true);
    outbox.flush();
    const expected = datagrams.map((d) => decodeDatagram(d));
    const decoded = perShard.flat().map((b) => decodeDatagram(b));
    const events = (results: ReturnType<typeof decodeDatagram>[]) =>
      canonical(results.flatMap((r) => (r.ok ? r.batch.events : [])));
    const invalid = (results: ReturnType<typeof decodeDatagram>[]) =>
      results.reduce((n, r) => n + (r.ok ? r.invalidEvents : 0), 0);
    expect(decoded.every((r) => r.ok)).toBe(true);
    expect(events(decoded)).toEqual(events(expected));
    expect(invalid(decoded)).toBe(invalid(expected));
    return { perShard, eventsPerShard, outbox, expected };
  }

  it("writes an entry into each shard's buffer once, before its first event there, and forwards the events as received, the index renumbered", () => {
    const unused = templateOf({ toEndpoint: 'GET /unused' });
    const [a, b] = [traceOf(0), traceOf(0, 1)];
    const [c, d] = [traceOf(1), traceOf(1, 1)];
    const datagram = datagramOf(
      lenField(8, unused),
      lenField(8, entry),
      referring(2, a, 1),
      referring(2, c, 2),
      referring(2, b, 3),
      referring(2, d, 4),
    );
    const { perShard, eventsPerShard, outbox } = routeAll([datagram]);
    expect(outbox.referring).toBe(4);
    // The datagram header (no HMAC), the entry, and the frames as received with index 2 renumbered 1.
    expect(perShard[0]).toEqual([
      Buffer.concat([datagram.subarray(0, 4), lenField(8, entry), referring(1, a, 1), referring(1, b, 3)]),
    ]);
    expect(perShard[1]?.map((buffer) => buffer.subarray(4))).toEqual([
      Buffer.concat([lenField(8, entry), referring(1, c, 2), referring(1, d, 4)]),
    ]);
    expect(perShard[2]).toEqual([]);
    // Paired frames by their entry's flags: two events each.
    expect(eventsPerShard).toEqual([[4], [4], []]);
  });

  it('writes the entry again into the next buffer when one is handed on, also when the entry would fit and its event not', () => {
    const t = traceOf(0);
    const first = referring(1, t, 1);
    const second = referring(1, t, 2);
    const entryField = lenField(8, entry);
    // Room for the entry and one event.
    const tight = routeAll([datagramOf(lenField(8, entry), first, second)], 4 + entryField.length + first.length);
    expect(tight.perShard[0]?.map((buffer) => buffer.subarray(4))).toEqual([
      Buffer.concat([entryField, first]),
      Buffer.concat([entryField, second]),
    ]);
    // An inline event fills the buffer but for the entry: entry and event go to the next one together.
    const inline = lenField(6, Buffer.concat([entry, ...ownOf(t, 3)]));
    const filled = routeAll(
      [datagramOf(lenField(8, entry), inline, first)],
      4 + inline.length + entryField.length + first.length - 1,
    );
    expect(filled.perShard[0]?.map((buffer) => buffer.subarray(4))).toEqual([
      inline,
      Buffer.concat([entryField, first]),
    ]);
    expect(filled.eventsPerShard[0]).toEqual([2, 2]);
    // A buffer handed on for a frame without a reference: the next event of the entry writes it again.
    const short = lenField(6, Buffer.concat([varintField(18, 1), ...ownOf(t, 4).slice(0, 3)]));
    const between = routeAll(
      [datagramOf(lenField(8, entry), first, inline, short)],
      4 + entryField.length + first.length + inline.length - 1,
    );
    expect(between.perShard[0]?.map((buffer) => buffer.subarray(4))).toEqual([
      Buffer.concat([entryField, first]),
      Buffer.concat([inline, entryField, short]),
    ]);
  });

  it('does not confuse the entries of two datagrams that have the same index', () => {
    const other = templateOf({ toEndpoint: 'POST /basket', hostname: 'h2', tags: { tenant: 'globex' } });
    const [t, u] = [traceOf(0), traceOf(0, 1)];
    const datagrams = [
      datagramOf(lenField(8, entry), referring(1, t, 1)),
      datagramOf(lenField(8, other), referring(1, u, 2), referring(1, t, 3)),
      datagramOf(lenField(8, entry), referring(1, u, 4)),
    ];
    const { perShard, expected } = routeAll(datagrams);
    // No entry is matched by its bytes: each datagram's goes in, each numbered in the buffer.
    expect(perShard[0]?.map((buffer) => buffer.subarray(4))).toEqual([
      Buffer.concat([
        lenField(8, entry),
        referring(1, t, 1),
        lenField(8, other),
        referring(2, u, 2),
        referring(2, t, 3),
        lenField(8, entry),
        referring(3, u, 4),
      ]),
    ]);
    expect(expected.map((r) => r.ok && r.batch.events.map((e) => e.toEndpoint))).toEqual([
      ['GET /items/:id', 'GET /items/:id'],
      ['POST /basket', 'POST /basket', 'POST /basket', 'POST /basket'],
      ['GET /items/:id', 'GET /items/:id'],
    ]);
  });

  it('hands a buffer holding 127 entries on and starts the next with the entry a frame needs', () => {
    const t = traceOf(2);
    const datagrams = Array.from({ length: 130 }, (_, n) =>
      datagramOf(lenField(8, templateOf({ hostname: `host-${n}`, flags: 1 })), referring(1, t, n)),
    );
    const { perShard, eventsPerShard } = routeAll(datagrams);
    expect(perShard[2]?.map((buffer) => entriesOf(buffer).length)).toEqual([127, 3]);
    expect(eventsPerShard[2]).toEqual([127, 3]);
    expect(entriesOf(perShard[2]?.[1] as Buffer)[0]).toEqual(templateOf({ hostname: 'host-127', flags: 1 }));
  });

  it.each([
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

  it('joins every other form of reference, also in a buffer holding entries, and the shard decodes it as decodeDatagram', () => {
    const t = traceOf(1);
    const entries = Array.from({ length: 130 }, (_, n) => lenField(8, templateOf({ hostname: `host-${n}` })));
    const own = ownOf(t, 1);
    const frames = [
      referring(1, t, 1),
      lenField(6, Buffer.concat([...own, varintField(18, 2)])),
      lenField(6, Buffer.concat([own[0] as Buffer, varintField(18, 3), ...own.slice(1)])),
      lenField(6, Buffer.concat([varintField(18, 4), ...own, varintField(18, 5)])),
      // A two-byte index, first.
      referring(129, t, 2),
      referring(1, t, 3),
    ];
    const { perShard, outbox, expected } = routeAll([datagramOf(...entries, ...frames)]);
    expect([outbox.referring, outbox.joined]).toEqual([2, 4]);
    expect(expected[0]).toMatchObject({ ok: true, invalidEvents: 0 });
    expect(expected[0]?.ok && expected[0].batch.events.map((e) => e.hostname)).toEqual(
      ['host-0', 'host-1', 'host-2', 'host-4', 'host-128', 'host-0'].flatMap((h) => [h, h]),
    );
    // The buffer: entry 1 once, its two events renumbered, the rest joined.
    expect(entriesOf(perShard[1]?.[0] as Buffer)).toEqual([templateOf({ hostname: 'host-0' })]);
  });

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
    'forwards an event referring to %s with a reference no buffer satisfies instead of its own, for its shard to count invalid',
    (_case, fields) => {
      const d = datagramOf(...fields);
      const expected = decodeDatagram(d);
      expect(expected).toMatchObject({ ok: true, invalidEvents: 1 });
      const { result, handed } = route(d);
      expect(result).toMatchObject({ ok: true, events: 1 });
      expect((handed[0] as Buffer).subarray(4)).toEqual(lenField(6, Buffer.concat([unusableReference, ...ids])));
      expect(decodeDatagram(handed[0] as Buffer)).toMatchObject({ ok: true, invalidEvents: 1 });
    },
  );

  it('keeps an unusable reference unusable in a buffer already holding an entry of that index', () => {
    const t = traceOf(0);
    const datagrams = [
      datagramOf(lenField(8, entry), referring(1, t, 1)),
      // Entry 1 comes after the event: the event is invalid, though its shard's buffer has an entry 1.
      datagramOf(referring(1, t, 2), lenField(8, entry)),
    ];
    const { perShard, expected } = routeAll(datagrams);
    expect(expected.map((r) => r.ok && [r.batch.events.length, r.invalidEvents])).toEqual([
      [2, 0],
      [0, 1],
    ]);
    expect(perShard[0]).toHaveLength(1);
    expect(decodeDatagram(perShard[0]?.[0] as Buffer)).toMatchObject({ ok: true, invalidEvents: 1 });
  });

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

describe("the shards' buffers", () => {
  it("take the engine's fast path, entries and renumbered references included, and assemble the spans one engine makes of the datagrams", () => {
    const T0 = 1_700_000_000_000_000;
    const list = Array.from({ length: 300 }, (_, i) =>
      hopEvents({
        traceId: String(397_237_206_544_449_536n + BigInt(i % 37)),
        spanId: (0x4000 + i).toString(16).padStart(16, '0'),
        toEndpoint: ['GET /prix/:sku', 'POST /commande', 'GET /stock'][i % 3] as string,
        times: { REQ: T0 + i * 1000, IN: T0 + i * 1000 + 120, OUT: T0 + i * 1000 + 480, REP: T0 + i * 1000 + 600 },
        tags: { 'http.route': '/prix/:sku' },
      }),
    ).flat();
    const datagrams = [
      ...writeDatagrams(list, { templated: true, reuseTemplates: true, maxDatagramBytes: 16_384 }),
      ...writeDatagrams(list.slice(0, 400), { templated: true, reuseTemplates: true }),
    ];
    const engines = Array.from({ length: SHARDS }, () => recordingEngine());
    let forwarded = 0;
    let byCodec = 0;
    let accepted = 0;
    const outbox = new CountingOutbox(SHARDS, (shard, buffer) => {
      const outcome = (engines[shard] as ReturnType<typeof recordingEngine>).collector.ingestDatagram(
        Buffer.from(buffer),
      );
      expect(outcome).toMatchObject({ ok: true, invalidEvents: 0 });
      forwarded++;
      if (outcome.decodedByCodec) byCodec++;
      accepted += outcome.acceptedEvents;
    });
    const router = new EventRouter(SHARDS, outbox);
    for (const d of datagrams) expect(router.route(d).ok).toBe(true);
    outbox.flush();
    expect(outbox.referring).toBeGreaterThan(list.length / 2);
    expect(forwarded).toBeGreaterThanOrEqual(SHARDS);
    expect(byCodec).toBe(0);
    expect(accepted).toBe(list.length + 400);
    const key = (s: { span: { traceId: string; spanId: string } }) => `${s.span.traceId}/${s.span.spanId}`;
    const spans = engines
      .flatMap(({ collector, emitted }) => {
        collector.flushAll();
        return emitted;
      })
      .sort((a, b) => key(a).localeCompare(key(b)));
    const single = assembleDatagrams(datagrams).spans.sort((a, b) => key(a).localeCompare(key(b)));
    expect(spans).toEqual(single);
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
