import { encodeBatch } from '@phosphor/tracer/wire';
import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from '../../src/app.js';
import type { EmitReason } from '../../src/assembly/span-assembler.js';
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
  return { e, emitted, advance: (ms: number) => void (now += ms) };
}

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

describe('entry spans finish at once', () => {
  it('emits an entry hop (no parent, IN and OUT) without waiting for spanTimeoutMillis', () => {
    const { e, emitted } = engine();
    e.ingestEvents(
      hopEvents({ traceId: 't', spanId: 'root', from: '', fromEndpoint: '', times: { IN: T0, OUT: T0 + 100 } }),
    );
    expect(emitted.map((x) => [x.span.spanId, x.reason, x.span.missing])).toEqual([
      ['root', 'complete', ['REQ', 'REP']],
    ]);
    expect(e.stats()).toMatchObject({ pendingSpans: 0, partialSpans: 1, timedOutSpans: 0 });
  });

  it('keeps a hop with a parent pending (its caller may still report), and waits when switched off', () => {
    const child = engine();
    child.e.ingestEvents(hopEvents({ traceId: 't', spanId: 'c', parentSpanId: 'p', times: { IN: T0, OUT: T0 + 100 } }));
    expect(child.emitted).toEqual([]);
    const off = engine(false);
    off.e.ingestEvents(hopEvents({ traceId: 't', spanId: 'root', times: { IN: T0, OUT: T0 + 100 } }));
    expect(off.emitted).toEqual([]);
    off.advance(5000);
    off.e.sweep();
    expect(off.emitted.map((x) => x.reason)).toEqual(['timeout']);
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
    collector = await testCollector();
    const events = [
      ...hopEvents({
        traceId: '77',
        spanId: 'child',
        parentSpanId: 'root',
        from: 'gateway',
        to: 'ids',
        times: { REQ: T0 + 10, IN: T0 + 20, OUT: T0 + 80, REP: T0 + 90 },
      }),
      ...hopEvents({
        traceId: '77',
        spanId: 'root',
        from: '',
        fromEndpoint: '',
        to: 'gateway',
        times: { IN: T0, OUT: T0 + 100 },
      }),
    ];
    collector.ingest(encodeBatch(batchOf(events)));
    const res = await collector.http.inject('/api/traces?limit=5');
    expect(res.json().traces).toEqual([
      expect.objectContaining({ traceId: '77', rootService: 'gateway', spanCount: 2 }),
    ]);
  });
});
