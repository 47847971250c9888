import { describe, expect, it } from 'vitest';
import { TraceQueryService } from '../../src/assembly/trace-query-service.js';
import { CollectorError } from '../../src/errors.js';
import type { Span } from '../../src/model/span.js';
import { MemoryStore } from '../../src/storage/memory/memory-store.js';
import type { SpanStore } from '../../src/storage/span-store.js';

const T0 = 1_700_000_000_000_000;

function span(spanId: string, over: Partial<Span> = {}): Span {
  return {
    traceId: 't1',
    spanId,
    from: 'a',
    fromEndpoint: 'GET /',
    to: 'b',
    toEndpoint: 'Get',
    events: { REQ: T0, IN: T0 + 100, OUT: T0 + 900, REP: T0 + 1000 },
    rawEvents: { REQ: T0, IN: T0 + 100, OUT: T0 + 900, REP: T0 + 1000 },
    skewMicros: 0,
    skewCorrected: false,
    missing: [],
    clientDurationMicros: 1000,
    serverDurationMicros: 800,
    startMicros: T0,
    durationMicros: 1000,
    tags: {},
    ...over,
  };
}

describe('TraceQueryService', () => {
  it('merges stored and pending spans (the more complete version wins) and names orphans and pending ids', async () => {
    const store = new MemoryStore({ maxSpans: 100 });
    const storedPartial = span('x', { missing: ['REP'], events: { REQ: T0, IN: T0 + 100, OUT: T0 + 900 } });
    store.write([span('root'), storedPartial]);
    const pendingOrphan = span('y', { parentSpanId: 'nowhere', startMicros: T0 + 5 });
    const pendingLessComplete = span('root', { missing: ['REQ', 'REP'] });
    const service = new TraceQueryService(
      store,
      {
        pendingSpansOf: (id) => (id === 't1' ? [pendingOrphan, pendingLessComplete] : []),
      },
      true,
    );
    const trace = await service.getTrace('t1');
    expect(trace?.spans.map((s) => s.spanId).sort()).toEqual(['root', 'x', 'y']);
    expect(trace?.spans.find((s) => s.spanId === 'root')?.missing).toEqual([]);
    expect(trace?.orphanSpanIds).toEqual(['y']);
    expect(trace?.pendingSpanIds).toEqual(['y', 'root']);
    expect(await service.getTrace('unknown')).toBeUndefined();
  });

  it('turns a store failure into COL_ERR_STORAGE_UNAVAILABLE naming the store', async () => {
    const broken = {
      name: 'elasticsearch',
      getTrace: async () => {
        throw new Error('connect ECONNREFUSED');
      },
      findTraces: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    } as unknown as SpanStore;
    const service = new TraceQueryService(broken, { pendingSpansOf: () => [] }, true);
    await expect(service.getTrace('t1')).rejects.toMatchObject({ code: 'COL_ERR_STORAGE_UNAVAILABLE' });
    const err = await service.findTraces({ limit: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CollectorError);
    expect((err as Error).message).toContain('elasticsearch: connect ECONNREFUSED');
  });
});
