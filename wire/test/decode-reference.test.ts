import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  type Batch,
  DatagramWriter,
  decodeDatagram,
  EventFlags,
  splitStart,
  standardTagKey,
  type TraceEvent,
  validateEvent,
} from '../src/index.js';
import { encodeBatch } from './support/reference-encoder.js';

/*
 * decodeDatagram is a hand-written protobuf reader (for speed). These tests hold it to protobufjs
 * reading the same phosphor.proto: same result on valid datagrams, and on corrupted ones it never
 * accepts what protobufjs rejects and never disagrees on what both accept.
 */
const root = protobuf.parse(readFileSync(new URL('../src/phosphor.proto', import.meta.url), 'utf8')).root;
const BatchMessage = root.lookupType('phosphor.wire.v1.Batch');
const WIRE_TO_TYPE = [undefined, 'REQ', 'IN', 'OUT', 'REP'] as const;

interface Reference {
  batch: Omit<Batch, 'events'> & { events: TraceEvent[] };
  invalidEvents: number;
}

const EventMessage = root.lookupType('phosphor.wire.v1.Event');

/** For each event of the payload, in order, how many `shared` entries (Batch field 8) come before it. */
function sharedEntriesBefore(payload: Uint8Array): number[] {
  const reader = protobuf.Reader.create(payload);
  const before: number[] = [];
  let shared = 0;
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const field = tag >>> 3;
      if (field === 6) before.push(shared);
      if (field === 8) shared++;
      // As protobufjs's decoder reads them: a length for a message or bytes field, whatever the wire type.
      if (field === 6 || field === 8) reader.skip(reader.uint32());
      else reader.skipType(tag & 7);
    }
  } catch {
    // protobufjs decoded the payload, so this walk reads what it read; kept total for safety.
  }
  return before;
}

/**
 * The event with the fields of the shared entry it refers to, where it sets none of its own (the
 * spec's rule, written against protobufjs's own-property presence); undefined when the reference
 * cannot be used (no such entry before the event, or an entry holding ids or a reference).
 */
// biome-ignore lint/suspicious/noExplicitAny: protobufjs returns untyped messages
function withShared(own: any, shared: Uint8Array[], entriesBefore: number): any {
  const index = own.shared ?? 0;
  if (index === 0) return own;
  if (index > entriesBefore) return undefined;
  // biome-ignore lint/suspicious/noExplicitAny: protobufjs returns untyped messages
  let entry: any;
  try {
    entry = EventMessage.decode(shared[index - 1] as Uint8Array);
  } catch {
    return 'malformed';
  }
  const has = (message: object, key: string) => Object.hasOwn(message, key);
  if (['traceId', 'spanId', 'parentSpanId', 'shared'].some((key) => has(entry, key))) return undefined;
  // biome-ignore lint/suspicious/noExplicitAny: protobufjs returns untyped messages
  const merged: any = EventMessage.create(own);
  for (const key of Object.keys(entry)) {
    if (key === 'tags' || key === 'standardTags') continue;
    if (!has(own, key)) merged[key] = entry[key];
  }
  merged.tags = { ...entry.tags, ...own.tags };
  merged.standardTags = { ...entry.standardTags, ...own.standardTags };
  return merged;
}

/** What the collector used to do: protobufjs decode, then the same conversion and validation. */
function referenceDecode(datagram: Buffer): Reference | 'malformed' {
  // biome-ignore lint/suspicious/noExplicitAny: protobufjs returns untyped messages
  let m: any;
  try {
    m = BatchMessage.decode(datagram.subarray(4));
  } catch {
    return 'malformed';
  }
  const events: TraceEvent[] = [];
  let invalidEvents = 0;
  const sharedBefore = sharedEntriesBefore(datagram.subarray(4));
  for (const [index, own] of (m.events as Record<string, unknown>[]).entries()) {
    const raw = withShared(own, m.shared as Uint8Array[], sharedBefore[index] as number);
    if (raw === 'malformed') return 'malformed';
    if (raw === undefined) {
      invalidEvents += ((own.flags as number) & EventFlags.carriesStart) !== 0 ? 2 : 1;
      continue;
    }
    // A frame flagged as standing for its hop side's two events counts as two, valid or not.
    const claimed = ((raw.flags ?? 0) & EventFlags.carriesStart) !== 0 ? 2 : 1;
    const type = WIRE_TO_TYPE[raw.type];
    if (!type) {
      invalidEvents += claimed;
      continue;
    }
    const event: TraceEvent = {
      type,
      traceId: raw.traceId,
      spanId: raw.spanId,
      from: raw.from,
      fromEndpoint: raw.fromEndpoint,
      to: raw.to,
      toEndpoint: raw.toEndpoint,
      timestampMicros: raw.timestampMicros,
      hostname: raw.hostname,
      flags: raw.flags,
    };
    if (raw.parentSpanId) event.parentSpanId = raw.parentSpanId;
    if (raw.zone) event.zone = raw.zone;
    if (raw.durationMicros != null) event.durationMicros = raw.durationMicros;
    if (raw.errorCode) event.errorCode = raw.errorCode;
    if (raw.errorDescription) event.errorDescription = raw.errorDescription;
    const tags: Record<string, string> = {};
    for (const [code, value] of Object.entries(raw.standardTags ?? {})) {
      const key = standardTagKey(Number(code));
      if (key !== undefined) tags[key] = value as string;
    }
    Object.assign(tags, raw.tags);
    if (Object.keys(tags).length > 0) event.tags = tags;
    if (validateEvent(event) !== undefined) invalidEvents += claimed;
    else {
      // A frame standing for its hop's start too is the two events (the wire format's rule, applied here by the spec's helper).
      if (((event.flags ?? 0) & EventFlags.carriesStart) !== 0) events.push(splitStart(event));
      events.push(event);
    }
  }
  const d = m.drops ?? {};
  return {
    batch: {
      tracerId: m.tracerId,
      sequence: m.sequence,
      service: m.service,
      hostname: m.hostname,
      sentAtMicros: m.sentAtMicros,
      drops: {
        bufferFull: d.bufferFull ?? 0,
        tooLarge: d.tooLarge ?? 0,
        sendError: d.sendError ?? 0,
        sampledOut: d.sampledOut ?? 0,
      },
      events,
    },
    invalidEvents,
  };
}

const full: TraceEvent = {
  type: 'OUT',
  traceId: '397237206544449536',
  spanId: '00f067aa0ba902b7',
  parentSpanId: '1111111111111111',
  from: 'gateway',
  fromEndpoint: 'GET /quote',
  to: 'quote',
  toEndpoint: 'Quote',
  timestampMicros: 1_763_700_000_123_456,
  hostname: 'host-a',
  zone: 'eu-west-1a',
  durationMicros: 5590,
  errorCode: 'E_CONFIG',
  errorDescription: 'Missing config — ünïcödé ✓',
  tags: { user: '42', clé: 'välue', empty: '' },
  flags: 3,
};
const minimal: TraceEvent = {
  type: 'IN',
  traceId: '1',
  spanId: 'a',
  from: '',
  fromEndpoint: '',
  to: 'x',
  toEndpoint: '',
  timestampMicros: 1,
  hostname: '',
};

function batchOf(events: TraceEvent[]): Batch {
  return {
    tracerId: 'tracer-1',
    sequence: 4_000_000_000,
    service: 'quote',
    hostname: 'host-a',
    sentAtMicros: 1_763_700_000_200_000,
    drops: { bufferFull: 1, tooLarge: 2, sendError: 3, sampledOut: 4 },
    events,
  };
}

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}

function expectSame(datagram: Buffer): void {
  const reference = referenceDecode(datagram);
  const result = decodeDatagram(datagram);
  if (reference === 'malformed') {
    expect(result).toMatchObject({ ok: false, reason: 'malformed' });
    return;
  }
  expect(result.ok).toBe(true);
  if (!result.ok) return;
  expect(result.batch).toEqual(reference.batch);
  expect(result.invalidEvents).toBe(reference.invalidEvents);
}

describe('hand-written decoder vs protobufjs', () => {
  it('decodes valid datagrams from encodeBatch exactly as protobufjs does', () => {
    const events = [full, minimal, { ...full, type: 'REQ' as const, durationMicros: 0, tags: undefined }];
    const datagram = encodeBatch(batchOf(events));
    expectSame(datagram);
    const result = decodeDatagram(datagram);
    expect(result.ok && result.batch.events).toEqual(
      events.map((e) => (e.flags === undefined ? { ...e, flags: 1 } : e)),
    );
  });

  it('decodes DatagramWriter output (header after the events) exactly as protobufjs does', () => {
    const writer = new DatagramWriter({ maxDatagramBytes: 1400, tracerId: 't-9', service: 'quote', hostname: 'h' });
    for (const event of [full, minimal, full]) expect(writer.append(event)).toBe(0);
    expectSame(writer.finish(123, { bufferFull: 5, tooLarge: 0, sendError: 1, sampledOut: 0 }, 99));
  });

  it('skips unknown fields of every wire type, groups included, and keeps the last of a repeated scalar', () => {
    const valid = encodeBatch(batchOf([minimal]));
    const unknown = Buffer.from([
      // field 20 varint, field 21 fixed64, field 22 length-delimited, field 23 group { field 1 varint }, field 24 fixed32
      0xa0,
      0x01, 0x96, 0x01, 0xa9, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0xb2, 0x01, 2, 0xaa, 0xbb, 0xbb, 0x01, 0x08, 0x05, 0xbc,
      0x01, 0xc5, 0x01, 1, 2, 3, 4,
      // sequence (field 2) again: the last value wins
      0x10, 0x07,
    ]);
    const datagram = Buffer.concat([valid, unknown]);
    expectSame(datagram);
    const result = decodeDatagram(datagram);
    expect(result.ok && result.batch.sequence).toBe(7);
  });

  it('never accepts what protobufjs rejects, and agrees on everything both accept (mutation fuzz)', () => {
    const random = prng(20_251_121);
    const seeds = [
      encodeBatch(batchOf([full, minimal, full])),
      encodeBatch(batchOf([minimal, minimal])),
      encodeBatch(batchOf([{ ...full, tags: { a: 'b' } }])),
    ];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const datagram = Buffer.from(seeds[i % seeds.length] as Buffer);
      const kind = Math.floor(random() * 3);
      let mutated: Buffer = datagram;
      if (kind === 0) {
        for (let j = 0; j < 1 + Math.floor(random() * 3); j++) {
          datagram[4 + Math.floor(random() * (datagram.length - 4))] = Math.floor(random() * 256);
        }
      } else if (kind === 1) {
        mutated = datagram.subarray(0, 4 + Math.floor(random() * (datagram.length - 4)));
      } else {
        const at = 4 + Math.floor(random() * (datagram.length - 4));
        datagram.writeUInt8(datagram.readUInt8(at) ^ (1 << Math.floor(random() * 8)), at);
      }
      const result = decodeDatagram(mutated);
      const reference = referenceDecode(mutated);
      if (!result.ok) {
        // Stricter than protobufjs only where protobufjs reads garbage: a known field with the
        // wrong wire type, or a nested length that runs past its own message.
        expect(result.reason).toBe('malformed');
        continue;
      }
      accepted++;
      expect(reference).not.toBe('malformed');
      if (reference === 'malformed') continue;
      expect(result.batch).toEqual(reference.batch);
      expect(result.invalidEvents).toBe(reference.invalidEvents);
    }
    // The fuzz must exercise the accepting path, not only rejections.
    expect(accepted).toBeGreaterThan(1000);
  });
});

describe('decoder regressions', () => {
  it('rejects a known field with the wrong wire type, naming the field', () => {
    // Batch.events frame holding an Event whose trace_id (field 2) is sent as a varint.
    const datagram = Buffer.from([0x50, 0x48, 1, 0, 0x32, 0x02, 0x10, 0x01]);
    expect(decodeDatagram(datagram)).toMatchObject({
      ok: false,
      reason: 'malformed',
      detail: expect.stringContaining('traceId: wire type 0'),
    });
  });

  it('rejects deeply nested unknown groups without exhausting the stack', () => {
    const nested = Buffer.alloc(100_000, 0x43); // field 8, start group, over and over
    const datagram = Buffer.concat([Buffer.from([0x50, 0x48, 1, 0]), nested]);
    expect(decodeDatagram(datagram)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('keeps a "__proto__" tag as an own property instead of changing the prototype', () => {
    const datagram = encodeBatch(batchOf([{ ...minimal, tags: JSON.parse('{"__proto__":"x","a":"b"}') }]));
    const result = decodeDatagram(datagram);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const tags = result.batch.events[0]?.tags as Record<string, string>;
    expect(Object.getPrototypeOf(tags)).toBe(Object.prototype);
    expect(Object.keys(tags).sort()).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(tags, '__proto__')?.value).toBe('x');
  });

  it('returns identical names for every event (interned) and still distinguishes similar names', () => {
    const names = ['svc-a', 'svc-b', 'svc-aa', 'SVC-A', 'svç-a', 'a'.repeat(64), 'a'.repeat(65), 'ab', 'abc'];
    const events = names.map((to, i) => ({ ...minimal, to, spanId: `s${i}` }));
    for (let round = 0; round < 2; round++) {
      const result = decodeDatagram(encodeBatch(batchOf(events)));
      expect(result.ok && result.batch.events.map((e) => e.to)).toEqual(names);
    }
  });

  it('decodes a Uint8Array that is not a Buffer', () => {
    const datagram = encodeBatch(batchOf([full]));
    const copy = new Uint8Array(datagram.length + 3).subarray(3);
    copy.set(datagram);
    expect(decodeDatagram(copy)).toMatchObject({ ok: true, batch: { events: [full] } });
  });
});
