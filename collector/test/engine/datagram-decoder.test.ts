import { describe, expect, it } from 'vitest';
import { encodeBatch, encodeDatagram } from '../../../wire/test/support/reference-encoder.js';
import { batchOf, hopEvents } from '../support/hops.js';
import { recordingEngine } from '../support/recording-engine.js';

const T0 = 1_700_000_000_000_000;
/** A top-level field phosphor.proto does not define (field 20, varint 1): the fast path hands such datagrams to the codec. */
const UNKNOWN_FIELD = Buffer.from([0xa0, 0x01, 0x01]);

const engine = recordingEngine;

/** One protobuf field: a string (LEN), a double (fixed64) or a varint, by its field number. */
function pbField(field: number, value: string | number, kind: 'len' | 'fixed64' | 'varint' = 'len'): Buffer {
  const tag = (n: number) => (n < 128 ? Buffer.from([n]) : Buffer.from([(n & 0x7f) | 0x80, n >> 7]));
  if (kind === 'len') {
    const bytes = Buffer.from(value as string, 'utf8');
    return Buffer.concat([tag((field << 3) | 2), Buffer.from([bytes.length]), bytes]);
  }
  if (kind === 'fixed64') {
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleLE(value as number);
    return Buffer.concat([tag((field << 3) | 1), bytes]);
  }
  return Buffer.concat([tag(field << 3), Buffer.from([value as number])]);
}

describe('DatagramDecoder', () => {
  // Id lengths around the 4-byte hashing words and the id table's 48-byte inline key room.
  it.each([
    ['1 + 3 bytes', 't', 'abc'],
    ['5 + 7 bytes', 'trace', 'span-id'],
    ['20 + 16 bytes (this tracer)', '12345678901234567890', '0123456789abcdef'],
    ['32 + 16 bytes (W3C)', '4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7'],
    ['64 + 63 bytes (past the inline key room)', 'T'.repeat(64), 'S'.repeat(63)],
  ])('joins a hop whose client events take the fast path and server events the codec (%s)', (_, traceId, spanId) => {
    const { collector, emitted } = engine();
    const [req, inEvent, out, rep] = hopEvents({
      traceId,
      spanId,
      parentSpanId: 'parent-1',
      times: { REQ: T0, IN: T0 + 100, OUT: T0 + 400, REP: T0 + 500 },
    });
    const client = collector.ingestDatagram(encodeBatch(batchOf([req!, rep!], 0, 'client')));
    expect(client).toMatchObject({ ok: true, decodedByCodec: false, acceptedEvents: 2 });
    const serverBytes = Buffer.concat([encodeBatch(batchOf([inEvent!, out!], 0, 'server')), UNKNOWN_FIELD]);
    const server = collector.ingestDatagram(serverBytes);
    expect(server).toMatchObject({ ok: true, decodedByCodec: true, acceptedEvents: 2 });
    expect(emitted).toHaveLength(1);
    expect(emitted[0]!.reason).toBe('complete');
    expect(emitted[0]!.span).toMatchObject({ traceId, spanId, parentSpanId: 'parent-1', missing: [] });
    expect(collector.stats()).toMatchObject({ duplicateEvents: 0, pendingSpans: 0 });
  });

  it('gives each event its own names when consecutive events of a datagram differ in one byte or in length', () => {
    const { collector, emitted } = engine();
    const events = ['svc-a', 'svc-b', 'svc-b', 'svc-bb', 'svc-b'].flatMap((to, i) =>
      hopEvents({
        traceId: `trace-${i}`,
        spanId: `span-${i}`,
        parentSpanId: i % 2 === 0 ? 'p-0001' : 'p-0002',
        to,
        toEndpoint: `ep-${to}`,
        times: { REQ: T0, REP: T0 + 500 },
      }),
    );
    collector.ingestDatagram(encodeBatch(batchOf(events)));
    collector.flushAll();
    expect(emitted.map(({ span }) => [span.to, span.toEndpoint, span.parentSpanId])).toEqual([
      ['svc-a', 'ep-svc-a', 'p-0001'],
      ['svc-b', 'ep-svc-b', 'p-0002'],
      ['svc-b', 'ep-svc-b', 'p-0001'],
      ['svc-bb', 'ep-svc-bb', 'p-0002'],
      ['svc-b', 'ep-svc-b', 'p-0001'],
    ]);
  });

  it('decodes datagrams that are views into one shared memory as it decodes them standing alone', () => {
    // The socket's datagrams are slices of one slab, at any offset: positions are kept within it.
    const datagrams = [0, 1, 2].map((d) =>
      encodeBatch(
        batchOf(
          [0, 1, 2].flatMap((h) =>
            hopEvents({
              traceId: `trace-${d}-${h}`,
              spanId: `span-${h}`,
              parentSpanId: `p-${d}`,
              to: `svc-${h}`,
              times: { REQ: T0 + h, IN: T0 + h + 10, OUT: T0 + h + 20, REP: T0 + h + 30 },
            }),
          ),
          d,
          `tracer-${d}`,
        ),
      ),
    );
    const alone = engine();
    for (const d of datagrams) alone.collector.ingestDatagram(Buffer.from(d));
    const slab = Buffer.alloc(8192, 0xee);
    const shared = engine();
    let at = 3;
    for (const d of datagrams) {
      d.copy(slab, at);
      const outcome = shared.collector.ingestDatagram(slab.subarray(at, at + d.length));
      expect(outcome).toMatchObject({ ok: true, decodedByCodec: false, acceptedEvents: 12 });
      expect(outcome.header.tracerId).toBe(`tracer-${datagrams.indexOf(d)}`);
      at += d.length + 5;
    }
    expect(shared.emitted.map((e) => e.span)).toEqual(alone.emitted.map((e) => e.span));
    expect(shared.emitted).toHaveLength(9);
    expect(new Set(shared.emitted.map((e) => `${e.span.traceId} ${e.span.to} ${e.span.parentSpanId}`)).size).toBe(9);
  });

  it("keeps each event's own parent id when a hop's events disagree (the server's wins over the reply's)", () => {
    const { collector, emitted } = engine();
    const hop = (parentSpanId: string, times: Record<string, number>) =>
      hopEvents({ traceId: 'trace-p', spanId: 'span-p', parentSpanId, times });
    collector.ingestDatagram(encodeBatch(batchOf(hop('p-11', { REP: T0 + 500 }), 0, 'client')));
    collector.ingestDatagram(encodeBatch(batchOf(hop('p-22', { IN: T0 + 100, OUT: T0 + 400 }), 0, 'server')));
    collector.flushAll();
    expect(emitted.map(({ span }) => span.parentSpanId)).toEqual(['p-22']);
  });

  it("decodes each event's names and hosts as the codec does, whatever their order, gaps and repeats in a datagram", () => {
    // REQ events (field 1 = 1), each of its own hop, their name fields laid out in different ways:
    // the same fields again, one missing, one empty, reordered, split by another field.
    const peer = (from: string, to: string) => [
      pbField(5, from),
      pbField(6, `${from}-ep`),
      pbField(7, to),
      pbField(8, `${to}-ep`),
    ];
    const layouts: Buffer[][] = [
      [...peer('web', 'ids'), pbField(10, 'h1'), pbField(11, 'z1')],
      [...peer('web', 'ids'), pbField(10, 'h1')],
      [...peer('web', 'ids'), pbField(10, 'h1'), pbField(11, 'z1')],
      [...peer('web', 'ids').slice(2), ...peer('web', 'ids').slice(0, 2), pbField(10, 'h1'), pbField(11, 'z1')],
      [...peer('web', 'ids').slice(0, 2), pbField(4, 'parent-4'), ...peer('web', 'ids').slice(2), pbField(10, 'h1')],
      [...peer('web', 'ids'), pbField(10, 'h1'), pbField(11, 'z1')],
      [...peer('web', 'ids'), pbField(10, 'h2'), pbField(11, 'z1')],
      [...peer('api', 'db'), pbField(11, 'z2'), pbField(10, 'h2')],
      [...peer('web', 'ids'), pbField(10, 'h1'), pbField(11, '')],
      [...peer('web', 'ids'), pbField(10, 'h1'), pbField(11, '')],
      [pbField(5, 'web'), pbField(7, 'ids'), pbField(8, 'ids-ep'), pbField(10, 'h1')],
      [...peer('web', 'ids'), pbField(5, 'www'), pbField(10, 'h1')],
      [...peer('web', 'ids'), pbField(10, 'h1'), pbField(11, 'z1')],
    ];
    const events = layouts.map((fields, i) =>
      Buffer.concat([
        pbField(1, 1, 'varint'),
        pbField(2, `trace-${i}`),
        pbField(3, `span-${i}`),
        ...fields,
        pbField(9, T0 + i, 'fixed64'),
        pbField(16, 1, 'varint'),
      ]),
    );
    const datagram = encodeDatagram(batchOf([]), events);
    const names = (emitted: ReturnType<typeof engine>['emitted']) =>
      emitted.map(({ span }) => [
        span.from,
        span.fromEndpoint,
        span.to,
        span.toEndpoint,
        span.clientHost,
        span.clientZone,
      ]);
    const fast = engine();
    expect(fast.collector.ingestDatagram(datagram)).toMatchObject({ ok: true, decodedByCodec: false });
    fast.collector.flushAll();
    const codec = engine();
    expect(codec.collector.ingestDatagram(Buffer.concat([datagram, UNKNOWN_FIELD]))).toMatchObject({
      ok: true,
      decodedByCodec: true,
    });
    codec.collector.flushAll();
    expect(names(fast.emitted)).toEqual(names(codec.emitted));
    expect(names(fast.emitted)).toHaveLength(layouts.length);
    expect(names(fast.emitted)[7]).toEqual(['api', 'api-ep', 'db', 'db-ep', 'h2', 'z2']);
    expect(names(fast.emitted)[9]).toEqual(['web', 'web-ep', 'ids', 'ids-ep', 'h1', undefined]);
    expect(names(fast.emitted)[11]).toEqual(['www', 'web-ep', 'ids', 'ids-ep', 'h1', undefined]);
  });

  // Consecutive events with the same ids go to the row the first one found without a second lookup:
  // what comes out must be what the same events give one per datagram, where every event is looked up.
  it.each([
    ['remembering emitted hops', 1000],
    ['forgetting emitted hops', 0],
  ])('joins consecutive events of one hop as it joins them one per datagram (%s)', (_, maxRememberedSpans) => {
    const ids = { traceId: '12345678901234567890', parentSpanId: 'p-1' };
    const times = { REQ: T0, IN: T0 + 100, OUT: T0 + 400, REP: T0 + 500 };
    const [req, inEvent, out, rep] = hopEvents({ ...ids, spanId: 'span-0001', times });
    const [req2, , , rep2] = hopEvents({ ...ids, spanId: 'span-0002', times });
    const [req3] = hopEvents({ ...ids, spanId: 'span-00003', times });
    // A duplicate next to its original, a hop completed and then repeated, ids differing in one byte or in length.
    const events = [req!, req!, rep!, inEvent!, out!, out!, rep!, req2!, req3!, rep2!, req2!];
    const run = (datagrams: Buffer[]) => {
      const { collector, emitted } = engine({ maxRememberedSpans });
      for (const datagram of datagrams)
        expect(collector.ingestDatagram(datagram)).toMatchObject({ decodedByCodec: false });
      collector.flushAll();
      // Per datagram counts aside, the two runs must agree on everything.
      const { fastDecodedDatagrams: _, ...stats } = collector.stats();
      return { emitted, stats };
    };
    const together = run([encodeBatch(batchOf(events))]);
    const apart = run(events.map((event, i) => encodeBatch(batchOf([event], i))));
    expect(together).toEqual(apart);
    expect(together.stats).toMatchObject({ duplicateEvents: maxRememberedSpans > 0 ? 4 : 2 });
    expect(together.emitted.map((e) => [e.span.spanId, e.reason, e.span.missing])).toContainEqual([
      'span-0001',
      'complete',
      [],
    ]);
  });
});
