import { describe, expect, it } from 'vitest';
import { AppendStatus, DatagramWriter, decodeDatagram, type TraceEvent, validateEvent } from '../src/index.js';
import { makeEvent } from './support/events.js';
import { encodeEvent, eventFrameBytes } from './support/reference-encoder.js';

const drops = { bufferFull: 3, tooLarge: 1, sendError: 2, sampledOut: 9 };
const identity = { tracerId: 'abcdef0123456789', service: 'quote', hostname: 'host-a' };

const complete: TraceEvent = makeEvent({
  type: 'OUT',
  zone: 'eu-west-1a',
  durationMicros: 5590.5,
  errorCode: 'E_CONFIG',
  errorDescription: 'Missing config at xxx — ünïcödé ✓',
  tags: { user: '42', long: 'x'.repeat(300), clé: 'välue' },
  flags: 3,
});

describe('DatagramWriter', () => {
  it('writes each event frame byte-for-byte as protobufjs encodes it', () => {
    const writer = new DatagramWriter({ maxDatagramBytes: 1400, ...identity });
    expect(writer.append(complete)).toBe(AppendStatus.appended);
    const datagram = writer.finish(7, drops, 1_763_700_000_200_000);
    const expected = encodeEvent(complete);
    const frameStart = 4;
    const frame = datagram.subarray(frameStart, frameStart + eventFrameBytes(expected.length));
    expect(Buffer.from(frame.subarray(frame.length - expected.length))).toEqual(Buffer.from(expected));
  });

  it('round-trips header fields and events through the codec decoder', () => {
    const writer = new DatagramWriter({ maxDatagramBytes: 1400, ...identity });
    const minimal = makeEvent({ parentSpanId: undefined, flags: undefined });
    writer.append(complete);
    writer.append(minimal);
    const result = decodeDatagram(writer.finish(0xffffffff, drops, 1_763_700_000_200_000));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.batch).toMatchObject({
      ...identity,
      sequence: 0xffffffff,
      drops,
      sentAtMicros: 1_763_700_000_200_000,
    });
    expect(result.batch.events).toEqual([complete, { ...minimal, flags: 1 }]);
  });

  it('signs datagrams so that only the same key verifies them', () => {
    const key = Buffer.from('shared-secret');
    const writer = new DatagramWriter({ maxDatagramBytes: 1400, ...identity, hmacKey: key });
    writer.append(complete);
    const datagram = writer.finish(1, drops, 1);
    expect(decodeDatagram(datagram, key).ok).toBe(true);
    expect(decodeDatagram(datagram, Buffer.from('other'))).toMatchObject({ ok: false, reason: 'bad_hmac' });
  });

  it('reports full when the next event does not fit, and never exceeds maxDatagramBytes', () => {
    const writer = new DatagramWriter({ maxDatagramBytes: 600, ...identity });
    let appended = 0;
    while (writer.append(makeEvent()) === AppendStatus.appended) appended++;
    expect(appended).toBeGreaterThan(1);
    const datagram = writer.finish(1, drops, 1);
    expect(datagram.length).toBeLessThanOrEqual(600);
    const result = decodeDatagram(datagram);
    expect(result.ok && result.batch.events.length).toBe(appended);
  });

  it('reports tooLarge for an event bigger than an empty datagram', () => {
    const writer = new DatagramWriter({ maxDatagramBytes: 600, ...identity });
    expect(writer.append(makeEvent({ errorDescription: 'y'.repeat(700) }))).toBe(AppendStatus.tooLarge);
    expect(writer.eventCount).toBe(0);
  });

  const invalidEvents: [string, Partial<TraceEvent>][] = [
    ['type', { type: 'NOPE' as TraceEvent['type'] }],
    ['traceId', { traceId: '' }],
    ['spanId', { spanId: 'x'.repeat(65) }],
    ['from', { from: 'f'.repeat(257) }],
    ['timestampMicros', { timestampMicros: Number.NaN }],
    ['durationMicros', { durationMicros: -1 }],
    ['tags', { tags: { bad: 5 as unknown as string } }],
  ];
  it.each(invalidEvents)('rejects an event with a bad %s, as validateEvent does', (field, override) => {
    const writer = new DatagramWriter({ maxDatagramBytes: 1400, ...identity });
    const event = makeEvent(override);
    expect(writer.append(event)).toBe(AppendStatus.invalid);
    expect(validateEvent(event)).toMatch(new RegExp(`^${field}`));
    writer.append(complete);
    const result = decodeDatagram(writer.finish(1, drops, 1));
    expect(result.ok && result.batch.events).toEqual([complete]);
  });

  it('encodes a hop byte-exactly, also when a longer length prefix moves the body', () => {
    const writer = new DatagramWriter({ maxDatagramBytes: 8192, ...identity });
    const base = { ...complete, tags: undefined, errorDescription: 'réponse lente ✓' };
    // Long enough that each body needs a two-byte length, so the body shifts after it is written.
    const hop: TraceEvent[] = [
      {
        ...base,
        type: 'REQ',
        durationMicros: undefined,
        errorCode: undefined,
        errorDescription: undefined,
        toEndpoint: 'GET /price/:sku/'.padEnd(90, 'x'),
      },
      {
        ...base,
        type: 'IN',
        durationMicros: undefined,
        errorCode: undefined,
        errorDescription: undefined,
        toEndpoint: 'GET /price/:sku/'.padEnd(90, 'x'),
      },
      { ...base, type: 'OUT', toEndpoint: 'GET /price/:sku/'.padEnd(90, 'x') },
      { ...base, type: 'REP', toEndpoint: 'GET /price/:sku/'.padEnd(90, 'x') },
    ];
    for (const event of hop) expect(writer.append(event)).toBe(AppendStatus.appended);
    const datagram = writer.finish(1, drops, 1);
    const expected = Buffer.concat(
      hop.map((e) => encodeEvent(e)).map((b) => Buffer.concat([Buffer.from([0x32]), varint(b.length), b])),
    );
    expect(datagram.subarray(4, 4 + expected.length)).toEqual(expected);
    const result = decodeDatagram(datagram);
    expect(result.ok && result.batch.events).toEqual(hop);
  });

  it('does not copy from bytes a rejected event left behind', () => {
    const writer = new DatagramWriter({ maxDatagramBytes: 1400, ...identity });
    writer.append(complete);
    const fresh = makeEvent({ from: 'a-new-caller', fromEndpoint: 'POST /new' });
    expect(writer.append({ ...fresh, durationMicros: -1 })).toBe(AppendStatus.invalid);
    // Overwrites the rejected event's bytes without writing `from`/`fromEndpoint` itself.
    writer.append(makeEvent({ from: '', fromEndpoint: '' }));
    writer.append(fresh);
    const result = decodeDatagram(writer.finish(1, drops, 1));
    expect(result.ok && result.batch.events.at(-1)).toEqual(fresh);
  });

  it('encodes byte-exactly when more (caller, endpoint) tuples arrive than the prepared runs keep', () => {
    const writer = new DatagramWriter({ maxDatagramBytes: 65_000, ...identity });
    // 150 distinct tuples (more than the 64 kept), revisited in order so entries are replaced and rebuilt,
    // with names of different lengths, non-ASCII bytes and hosts/zones that change.
    const events: TraceEvent[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 150; i++) {
        events.push(
          makeEvent({
            type: i % 2 === 0 ? 'IN' : 'OUT',
            from: `caller-${i % 7}`,
            fromEndpoint: `GET /from/${i % 5}`,
            to: 'quote',
            toEndpoint: `POST /prix/é${i}`.padEnd(10 + (i % 40), 'x'),
            hostname: i % 10 === 0 ? 'host-b' : 'host-a',
            zone: i % 4 === 0 ? 'eu-west-1a' : undefined,
            durationMicros: i % 2 === 0 ? undefined : i,
          }),
        );
      }
    }
    for (const event of events) expect(writer.append(event)).toBe(AppendStatus.appended);
    const datagram = writer.finish(1, drops, 1);
    const expected = Buffer.concat(
      events.map((e) => encodeEvent(e)).map((b) => Buffer.concat([Buffer.from([0x32]), varint(b.length), b])),
    );
    expect(datagram.subarray(4, 4 + expected.length)).toEqual(expected);
    const result = decodeDatagram(datagram);
    expect(result.ok && result.batch.events).toEqual(events);
  });

  it('rejects an over-long name every time, also after a valid event with the same other fields', () => {
    const writer = new DatagramWriter({ maxDatagramBytes: 8192, ...identity });
    const valid = makeEvent({ toEndpoint: 'GET /ok' });
    const tooLong = { ...valid, toEndpoint: 'x'.repeat(300) };
    expect(writer.append(valid)).toBe(AppendStatus.appended);
    expect(writer.append(tooLong)).toBe(AppendStatus.invalid);
    expect(writer.append(tooLong)).toBe(AppendStatus.invalid);
    expect(writer.append({ ...valid, hostname: 'h'.repeat(300) })).toBe(AppendStatus.invalid);
    expect(writer.append(valid)).toBe(AppendStatus.appended);
    const result = decodeDatagram(writer.finish(1, drops, 1));
    expect(result.ok && result.batch.events).toEqual([valid, valid]);
  });

  it('refuses a maxDatagramBytes that leaves no room for events', () => {
    expect(() => new DatagramWriter({ maxDatagramBytes: 100, ...identity })).toThrow(/maxDatagramBytes/);
  });
});

function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

describe('DatagramWriter, events of one hop', () => {
  const frozenTags = Object.freeze({ 'http.request.method': 'GET', 'http.route': '/price/:sku' });

  it('copies repeated ids byte-exactly: across length-prefix moves, datagram boundaries and a rejected event', () => {
    const writer = new DatagramWriter({ maxDatagramBytes: 700, ...identity });
    const events: TraceEvent[] = [];
    const datagrams: Buffer[] = [];
    const add = (event: TraceEvent) => {
      let status = writer.append(event);
      if (status === AppendStatus.full) {
        datagrams.push(Buffer.from(writer.finish(datagrams.length, drops, 1)));
        status = writer.append(event);
      }
      if (status === AppendStatus.appended) events.push(event);
      return status;
    };
    for (let hop = 0; hop < 40; hop++) {
      const base = makeEvent({ parentSpanId: hop % 3 === 0 ? undefined : '2222222222222222' });
      for (const type of ['REQ', 'IN', 'OUT', 'REP'] as const) {
        // Short and long (over 127 bytes: a two-byte length prefix) events of the same hop alternate.
        const long = (hop + type.length) % 2 === 0;
        add({
          ...base,
          type,
          tags: long ? frozenTags : undefined,
          errorDescription: long ? 'x'.repeat(120) : undefined,
        });
      }
      // An invalid event with the same ids in between must not leave bytes the next copy would use.
      expect(add({ ...base, type: 'OUT', timestampMicros: -1 })).toBe(AppendStatus.invalid);
      add({ ...base, type: 'REP', durationMicros: 7 });
    }
    datagrams.push(Buffer.from(writer.finish(datagrams.length, drops, 1)));
    const decoded = datagrams.flatMap((d) => {
      const result = decodeDatagram(d);
      if (!result.ok) throw new Error(result.reason);
      return result.batch.events;
    });
    expect(datagrams.length).toBeGreaterThan(5);
    expect(decoded).toEqual(events.map((e) => JSON.parse(JSON.stringify(e))));
  });
});
