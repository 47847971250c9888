import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import type { EmitReason } from '../../src/assembly/span-sink.js';
import { CollectorEngine } from '../../src/engine/collector-engine.js';
import { batchOf, hopEvents } from '../support/hops.js';

const T0 = 1_700_000_000_000_000;
const TIMES = { REQ: T0, IN: T0 + 1, OUT: T0 + 2, REP: T0 + 3 };

describe('CollectorEngine batches', () => {
  it('holds the spans of a batch of datagrams and hands them on at its end, evicted before complete', () => {
    const handOffs: { reason: EmitReason; spanIds: string[] }[] = [];
    const engine = new CollectorEngine(
      {
        spanTimeoutMillis: 60_000,
        // One pending hop at most: the second hop's first event evicts the first hop.
        maxPendingSpans: 1,
        skewCorrection: true,
        lateWindowMillis: 60_000,
        maxRememberedSpans: 100,
        now: () => 0,
      },
      (spans, reason) => handOffs.push({ reason, spanIds: spans.map((s) => s.spanId) }),
    );
    const req = hopEvents({ traceId: 't1', spanId: 'x', times: { REQ: T0 } });
    const whole = hopEvents({ traceId: 't2', spanId: 'y', times: TIMES });
    engine.beginBatch();
    expect(engine.ingestDatagram(encodeBatch(batchOf(req, 0))).acceptedEvents).toBe(1);
    expect(engine.ingestDatagram(encodeBatch(batchOf(whole, 1))).acceptedEvents).toBe(4);
    expect(handOffs).toEqual([]);
    engine.endBatch();
    expect(handOffs).toEqual([
      { reason: 'evicted', spanIds: ['x'] },
      { reason: 'complete', spanIds: ['y'] },
    ]);
    // Outside a batch, a datagram's spans are handed on before ingestDatagram returns.
    engine.ingestDatagram(encodeBatch(batchOf(hopEvents({ traceId: 't3', spanId: 'z', times: TIMES }), 2)));
    expect(handOffs.at(-1)).toEqual({ reason: 'complete', spanIds: ['z'] });
    expect(engine.stats()).toMatchObject({ completeSpans: 2, evictedPendingSpans: 1, receivedEvents: 9 });
  });
});
