/**
 * Shared fields (wire: Batch field 8 entries, Event field 18 references; docs/wire-format.md): the
 * tracer writes an endpoint's template once per datagram and each event as a reference plus its ids
 * and times. The engine's decoder takes such datagrams on its fast path and assembles the spans the
 * same events written inline give; whatever it does not take (a reference that is not the event's
 * first field, to an entry not seen yet, an entry holding ids or a reference, a malformed entry)
 * comes out exactly as the wire codec decides — same acceptance, reason and counts.
 */
import { decodeDatagram, EventFlags, EventTemplate, type TraceEvent } from '@phosphor/wire';
import { describe, expect, it } from 'vitest';
import { encodeBatch, encodeEvent } from '../../../wire/test/support/reference-encoder.js';
import { batchOf, hopEvents, prng } from '../support/hops.js';
import { recordingEngine } from '../support/recording-engine.js';
import { assembleDatagrams, writeDatagrams } from '../support/template-datagrams.js';

const T0 = 1_700_000_000_000_000;
const requestTags = Object.freeze({ 'http.request.method': 'GET', 'http.route': '/prix/:sku', 'server.port': '8080' });
const statusTags = Object.freeze({ 'http.response.status_code': '200', note: 'à la carte' });

function hops(count: number): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (let i = 0; i < count; i++) {
    const hop = hopEvents({
      traceId: String(397_237_206_544_449_536n + BigInt(i % 17)),
      spanId: (0x4000 + i).toString(16).padStart(16, '0'),
      ...(i % 3 === 0 ? {} : { parentSpanId: (0x4000 + i - 1).toString(16).padStart(16, '0') }),
      toEndpoint: ['GET /prix/:sku', 'POST /commande', 'GET /stock'][i % 3] as string,
      times: { REQ: T0 + i * 1000, IN: T0 + i * 1000 + 120, OUT: T0 + i * 1000 + 480, REP: T0 + i * 1000 + 600 },
    });
    for (const event of hop) {
      event.tags = event.type === 'REQ' || event.type === 'IN' ? requestTags : statusTags;
      event.flags = i % 7 === 0 ? 3 : 1;
    }
    out.push(...hop);
  }
  return out;
}

/** Datagrams of `list`: inline, or from templates kept per repeating fields, as the tracer keeps them. */
const datagrams = (list: TraceEvent[], templated: boolean, maxDatagramBytes = 1400): Buffer[] =>
  writeDatagrams(list, { templated, reuseTemplates: true, maxDatagramBytes });
const assemble = assembleDatagrams;

/** Protobuf pieces for hand-built payloads. */
function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  out.push(value);
  return out;
}
const lenField = (tag: number[], body: Buffer) => Buffer.from([...tag, ...varint(body.length), ...body]);
const reference = (index: number) => Buffer.from([0x90, 0x01, ...varint(index)]);

/** A datagram: the plain header, `pieces` (entries and event frames, in order), then a valid batch header. */
function handBuilt(pieces: Buffer[]): Buffer {
  const header = encodeBatch(batchOf([]));
  return Buffer.concat([header.subarray(0, 4), ...pieces, header.subarray(4)]);
}

describe('shared fields', () => {
  it('datagrams with shared entries assemble on the fast path into the spans of the same events written inline, in fewer bytes', () => {
    const list = hops(90);
    // 16 KiB, as tracers send to a collector on their own host: an endpoint's events repeat in a datagram.
    const shared = datagrams(list, true, 16_384);
    const inline = datagrams(list, false, 16_384);
    const fromShared = assemble(shared);
    const fromInline = assemble(inline);
    expect(fromShared.byCodec).toBe(0);
    expect(fromShared.accepted).toBe(list.length);
    expect(fromShared.spans).toHaveLength(90);
    expect(fromShared.spans).toEqual(fromInline.spans);
    expect(fromShared.spans[1]?.span.tags).toEqual({ ...requestTags, ...statusTags });
    const bytes = (list: Buffer[]) => list.reduce((n, d) => n + d.length, 0);
    expect(bytes(shared)).toBeLessThan(0.7 * bytes(inline));
    // And the codec reads them to the same events.
    const decoded = (list: Buffer[]) =>
      list.flatMap((d) => {
        const result = decodeDatagram(d);
        return result.ok ? result.batch.events : [];
      });
    expect(decoded(shared)).toEqual(decoded(inline));
    // 1,400 bytes: few events of an endpoint per datagram; entries only where one is used twice, so
    // never more bytes than inline.
    const small = datagrams(list, true);
    expect(assemble(small).spans).toEqual(fromInline.spans);
    expect(bytes(small)).toBeLessThanOrEqual(bytes(datagrams(list, false)));
  });

  it('a frame standing for a hop side’s two events counts two by its entry’s flags', () => {
    const [req, , , rep] = hops(1) as [TraceEvent, TraceEvent, TraceEvent, TraceEvent];
    const pair = { ...rep, tags: { ...req.tags, ...rep.tags }, flags: 1 | EventFlags.carriesStart };
    const frames = datagrams([pair], true);
    expect(assemble(frames)).toMatchObject({ byCodec: 0, accepted: 2 });
  });

  it('decides every unusual reference as the codec does: same acceptance, reason and counts', () => {
    const [event] = hops(1) as [TraceEvent];
    const own = Buffer.from(encodeEvent(event));
    // The fields a tracer shares (type, names, host, tags, flags), as its template holds them.
    const sharedFields = Buffer.from((EventTemplate.encode(event) as EventTemplate).bytes);
    const timestamp = Buffer.alloc(8);
    timestamp.writeDoubleLE(event.timestampMicros);
    const idsOnly = Buffer.concat([
      lenField([0x12], Buffer.from(event.traceId)),
      lenField([0x1a], Buffer.from(event.spanId)),
      Buffer.from([0x49]),
      timestamp,
    ]);
    const entry = (body: Buffer) => lenField([0x42], body);
    const frame = (...parts: Buffer[]) => lenField([0x32], Buffer.concat(parts));
    const cases: Record<string, Buffer> = {
      'reference first, entry before': handBuilt([entry(sharedFields), frame(reference(1), idsOnly)]),
      'reference last': handBuilt([entry(sharedFields), frame(idsOnly, reference(1))]),
      'entry after the event': handBuilt([frame(reference(1), idsOnly), entry(sharedFields)]),
      'no such entry': handBuilt([entry(sharedFields), frame(reference(2), idsOnly)]),
      'index 0': handBuilt([entry(sharedFields), frame(reference(0), idsOnly)]),
      'two-byte index': handBuilt([
        ...Array.from({ length: 130 }, () => entry(sharedFields)),
        frame(reference(129), idsOnly),
      ]),
      'entry holding ids': handBuilt([entry(own), frame(reference(1), idsOnly)]),
      'entry holding a reference': handBuilt([
        entry(sharedFields),
        entry(Buffer.concat([reference(1), sharedFields])),
        frame(reference(2), idsOnly),
      ]),
      'malformed entry, referred to': handBuilt([entry(Buffer.from([0x0a, 0x40])), frame(reference(1), idsOnly)]),
      'malformed entry, never referred to': handBuilt([entry(Buffer.from([0x0a, 0x40])), frame(own)]),
      'own field overrides the entry': handBuilt([
        entry(sharedFields),
        frame(reference(1), idsOnly, Buffer.from([0x52, 0x02, 0x68, 0x39])),
      ]),
    };
    const outcomes: Record<string, string> = {};
    for (const [name, datagram] of Object.entries(cases)) {
      const expected = decodeDatagram(datagram);
      const { collector: engine } = recordingEngine();
      const outcome = engine.ingestDatagram(datagram);
      expect(outcome.ok, name).toBe(expected.ok);
      if (!expected.ok) {
        expect(outcome.reason, name).toBe(expected.reason);
        outcomes[name] = expected.reason;
        continue;
      }
      expect([outcome.acceptedEvents, outcome.invalidEvents, outcome.firstInvalidReason], name).toEqual([
        expected.batch.events.length,
        expected.invalidEvents,
        expected.firstInvalidReason,
      ]);
      outcomes[name] = `${expected.batch.events.length} accepted, ${expected.invalidEvents} invalid`;
    }
    // The cases mean what their names say (the codec's decisions).
    expect(outcomes).toMatchObject({
      'reference first, entry before': '1 accepted, 0 invalid',
      'reference last': '1 accepted, 0 invalid',
      'entry after the event': '0 accepted, 1 invalid',
      'no such entry': '0 accepted, 1 invalid',
      // Index 0 is no reference: the event has no type of its own.
      'index 0': '0 accepted, 1 invalid',
      'entry holding ids': '0 accepted, 1 invalid',
      'entry holding a reference': '0 accepted, 1 invalid',
      'malformed entry, referred to': 'malformed',
      'malformed entry, never referred to': '1 accepted, 0 invalid',
      'own field overrides the entry': '1 accepted, 0 invalid',
    });
    const overridden = decodeDatagram(cases['own field overrides the entry'] as Buffer);
    expect(overridden.ok && overridden.batch.events[0]?.hostname).toBe('h9');
  });

  it('mutated datagrams with shared entries: the engine accepts and counts exactly as the codec', () => {
    const random = prng(77);
    const base = datagrams(hops(40), true);
    let malformed = 0;
    for (let i = 0; i < 600; i++) {
      const copy = Buffer.from(base[i % base.length] as Buffer);
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++) {
        copy[4 + Math.floor(random() * (copy.length - 4))] = Math.floor(random() * 256);
      }
      const expected = decodeDatagram(copy);
      const { collector: engine } = recordingEngine();
      const outcome = engine.ingestDatagram(copy);
      expect(outcome.ok).toBe(expected.ok);
      if (!expected.ok) {
        malformed++;
        expect(outcome.reason).toBe(expected.reason);
        continue;
      }
      expect(outcome.acceptedEvents).toBe(expected.batch.events.length);
      expect(outcome.invalidEvents).toBe(expected.invalidEvents);
    }
    expect(malformed).toBeGreaterThan(50);
    expect(malformed).toBeLessThan(550);
  });
});
