import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import type { Collector } from '../../src/app.js';
import type { EmitReason } from '../../src/assembly/span-sink.js';
import { CollectorEngine } from '../../src/engine/collector-engine.js';
import type { Span } from '../../src/model/span.js';
import { testCollector } from '../support/collector.js';
import { batchOf, hopEvents } from '../support/hops.js';

const T0 = 1_700_000_000_000_000;

function engine(finishEntrySpans = true) {
  let now = 0;
  const emitted: { span: Span; reason: EmitReason }[] = [];
  const e = new CollectorEngine(
    {
      spanTimeoutMillis: 5000,
      maxPendingSpans: 100,
      skewCorrection: true,
      lateWindowMillis: 60_000,
      maxRememberedSpans: 100,
      now: () => now,
      finishEntrySpans,
    },
    (spans, reason) => {
      for (const span of spans) emitted.push({ span, reason });
    },
  );
  const advance = (ms: number) => {
    now += ms;
  };
  return { e, emitted, advance };
}

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

/** A parentless IN/OUT hop to `to` (an entry request when no REQ/REP ever comes). */
const entry = (traceId: string, spanId: string, to = 'gateway', at = T0) =>
  hopEvents({ traceId, spanId, from: '', fromEndpoint: '', to, times: { IN: at, OUT: at + 100 } });

describe('entry spans finish at once', () => {
  it('learns an entry service from one timed-out entry hop, then emits its entry hops on their last event', () => {
    const { e, emitted, advance } = engine();
    e.ingestEvents(entry('t0', 'first'));
    expect(emitted).toEqual([]);
    advance(5000);
    e.sweep();
    expect(emitted.map((x) => [x.span.spanId, x.reason])).toEqual([['first', 'timeout']]);
    e.ingestEvents(entry('t1', 'root'));
    expect(emitted.map((x) => [x.span.spanId, x.reason, x.span.missing])).toEqual([
      ['first', 'timeout', ['REQ', 'REP']],
      ['root', 'complete', ['REQ', 'REP']],
    ]);
    expect(e.stats()).toMatchObject({ pendingSpans: 0, partialSpans: 2, timedOutSpans: 1 });
  });

  it('keeps waiting for a root call from a traced client (parentless REQ/REP to the service unlearn it), and when switched off', () => {
    const { e, emitted, advance } = engine();
    e.ingestEvents(entry('t0', 'first'));
    advance(5000);
    e.sweep();
    // A traced client calls gateway without a parent: gateway's parentless hops may get REQ/REP after all.
    e.ingestEvents(
      hopEvents({
        traceId: 't1',
        spanId: 'call',
        to: 'gateway',
        times: { REQ: T0, IN: T0 + 5, OUT: T0 + 50, REP: T0 + 60 },
      }),
    );
    e.ingestEvents(entry('t2', 'root'));
    expect(emitted.map((x) => x.span.spanId)).toEqual(['first', 'call']);
    // A child hop (with a parent) is never an entry.
    e.ingestEvents(
      hopEvents({ traceId: 't3', spanId: 'c', parentSpanId: 'p', to: 'gateway', times: { IN: T0, OUT: T0 + 1 } }),
    );
    expect(emitted).toHaveLength(2);
    const off = engine(false);
    off.e.ingestEvents(entry('t0', 'first'));
    off.advance(5000);
    off.e.sweep();
    off.e.ingestEvents(entry('t1', 'root'));
    expect(off.emitted.map((x) => x.span.spanId)).toEqual(['first']);
  });

  it('learns an uninstrumented callee from a timed-out REQ/REP hop and finishes its later calls at once, until it reports', () => {
    const { e, emitted, advance } = engine();
    const call = (spanId: string) =>
      hopEvents({ traceId: 't', spanId, parentSpanId: 'p', to: 'legacy-db', times: { REQ: T0, REP: T0 + 300 } });
    e.ingestEvents(call('first'));
    expect(emitted).toEqual([]);
    advance(5000);
    e.sweep();
    expect(emitted.map((x) => [x.span.spanId, x.reason])).toEqual([['first', 'timeout']]);
    e.ingestEvents(call('second'));
    expect(emitted.map((x) => [x.span.spanId, x.reason])).toEqual([
      ['first', 'timeout'],
      ['second', 'complete'],
    ]);
    // legacy-db sends an IN: it is instrumented after all, its calls wait again.
    e.ingestEvents(hopEvents({ traceId: 't', spanId: 'x', parentSpanId: 'p', to: 'legacy-db', times: { IN: T0 } }));
    e.ingestEvents(call('third'));
    expect(emitted.map((x) => x.span.spanId)).toEqual(['first', 'second']);
  });

  it('names the right root service in the trace list as soon as the entry span is in', async () => {
    let now = 0;
    collector = await testCollector({ assembly: { spanTimeoutMillis: 1000 } });
    // The collector's engine clock is real time: let one entry request to gateway time out first.
    collector.ingest(encodeBatch(batchOf(entry('76', 'earlier'))));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    collector.assembler.sweep();
    now = T0 + 1000;
    const events = [
      ...hopEvents({
        traceId: '77',
        spanId: 'child',
        parentSpanId: 'root',
        from: 'gateway',
        to: 'ids',
        times: { REQ: now + 10, IN: now + 20, OUT: now + 80, REP: now + 90 },
      }),
      ...entry('77', 'root', 'gateway', now),
    ];
    collector.ingest(encodeBatch(batchOf(events, 1)));
    const res = await collector.http.inject('/api/traces?limit=5');
    expect(res.json().traces[0]).toEqual(
      expect.objectContaining({ traceId: '77', rootService: 'gateway', spanCount: 2 }),
    );
  });
});
