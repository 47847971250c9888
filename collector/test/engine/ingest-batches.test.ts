import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import type { EmitReason } from '../../src/assembly/span-sink.js';
import { CollectorEngine } from '../../src/engine/collector-engine.js';
import { batchOf, hopEvents } from '../support/hops.js';

const T0 = 1_700_000_000_000_000;
const TIMES = { REQ: T0, IN: T0 + 1, OUT: T0 + 2, REP: T0 + 3 };

/**
 * An engine recording each hand-off's reason and span ids; by default holding one pending hop at most,
 * its clock stopped at 0.
 */
function recordingHandOffs(options: { maxPendingSpans?: number; spanTimeoutMillis?: number; now?: () => number } = {}) {
  const handOffs: { reason: EmitReason; spanIds: string[] }[] = [];
  const engine = new CollectorEngine(
    {
      spanTimeoutMillis: options.spanTimeoutMillis ?? 60_000,
      maxPendingSpans: options.maxPendingSpans ?? 1,
      skewCorrection: true,
      lateWindowMillis: 60_000,
      maxRememberedSpans: 100,
      now: options.now ?? (() => 0),
    },
    (spans, reason) => handOffs.push({ reason, spanIds: spans.map((s) => s.spanId) }),
  );
  return { engine, handOffs };
}

describe('CollectorEngine batches', () => {
  it('holds the spans of a batch of datagrams and hands them on at its end, evicted before complete', () => {
    // One pending hop at most: the second hop's first event evicts the first hop.
    const { engine, handOffs } = recordingHandOffs();
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

  it('hands on a span evicted in a batch before its late update from the same batch', () => {
    const { engine, handOffs } = recordingHandOffs();
    const x = hopEvents({ traceId: 't1', spanId: 'x', times: TIMES });
    engine.beginBatch();
    engine.ingestDatagram(encodeBatch(batchOf([x[0]!], 0)));
    // y's first event evicts x (REQ only, emitted partial); x's REP then arrives late.
    engine.ingestDatagram(encodeBatch(batchOf(hopEvents({ traceId: 't2', spanId: 'y', times: { REQ: T0 } }), 1)));
    engine.ingestDatagram(encodeBatch(batchOf([x[3]!], 2)));
    engine.endBatch();
    expect(handOffs).toEqual([
      { reason: 'evicted', spanIds: ['x'] },
      { reason: 'late', spanIds: ['x'] },
    ]);
    expect(engine.stats()).toMatchObject({ evictedPendingSpans: 1, lateEvents: 1, pendingSpans: 1 });
  });

  it.each([
    ['in one batch, all first seen at the batch clock', true, ['a', 'b', 'c']],
    ['one by one, each first seen when it came', false, ['a']],
  ])('times out hops %s', (_, batched, timedOut) => {
    // The clock is read once per batch: its datagrams arrived together (one read of the socket's queue).
    let clock = 0;
    const { engine, handOffs } = recordingHandOffs({ maxPendingSpans: 100, spanTimeoutMillis: 1000, now: () => clock });
    if (batched) engine.beginBatch();
    for (const [i, spanId] of ['a', 'b', 'c'].entries()) {
      clock = i * 400;
      engine.ingestDatagram(encodeBatch(batchOf(hopEvents({ traceId: `t-${spanId}`, spanId, times: { REQ: T0 } }), i)));
    }
    if (batched) engine.endBatch();
    clock = 1000;
    engine.sweep();
    expect(handOffs).toEqual([{ reason: 'timeout', spanIds: timedOut }]);
  });
});
