import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import { batchOf, hopEvents } from '../support/hops.js';
import { recordingEngine } from '../support/recording-engine.js';

const T0 = 1_700_000_000_000_000;
/** A top-level field phosphor.proto does not define (field 20, varint 1): the fast path hands such datagrams to the codec. */
const UNKNOWN_FIELD = Buffer.from([0xa0, 0x01, 0x01]);

const engine = recordingEngine;

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

  it("keeps each event's own parent id when a hop's events disagree (the server's wins over the reply's)", () => {
    const { collector, emitted } = engine();
    const hop = (parentSpanId: string, times: Record<string, number>) =>
      hopEvents({ traceId: 'trace-p', spanId: 'span-p', parentSpanId, times });
    collector.ingestDatagram(encodeBatch(batchOf(hop('p-11', { REP: T0 + 500 }), 0, 'client')));
    collector.ingestDatagram(encodeBatch(batchOf(hop('p-22', { IN: T0 + 100, OUT: T0 + 400 }), 0, 'server')));
    collector.flushAll();
    expect(emitted.map(({ span }) => span.parentSpanId)).toEqual(['p-22']);
  });
});
