import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ES_TARGET_NAMES } from '../../../../test/support/elasticsearch-targets.js';
import { BulkIndexer } from '../../../src/storage/elasticsearch/bulk-indexer.js';
import { documentId, indexNameFor, toDocument } from '../../../src/storage/elasticsearch/span-document.js';
import { openRealStore, type RealStore } from './es-test-support.js';
import { BASE_MICROS, makeSpan, makeTrace } from './span-fixtures.js';

let real: RealStore | undefined;
afterEach(async () => {
  await real?.cleanup();
  real = undefined;
});

describe.each(ES_TARGET_NAMES)('Elasticsearch store on a real node (%s)', (target) => {
  it('round-trips spans: write -> index -> getTrace returns the same spans', async () => {
    real = await openRealStore(target);
    const trace = makeTrace(5);
    real.store.write(trace);
    await real.store.flush();
    await real.refresh();
    const got = await real.store.getTrace(trace[0]!.traceId);
    expect(got).toEqual(trace);
    expect(await real.store.getTrace('no-such-trace')).toBeUndefined();
    const stats = real.store.stats();
    expect(stats.indexedSpans).toBe(5);
    expect(stats.rejectedSpans).toBe(0);
    const index = indexNameFor(real.prefix, BASE_MICROS);
    expect(index).toBe(`${real.prefix}-2025.03.04`);
    const doc = await real.admin.get({ index, id: documentId(trace[0]!) });
    expect(doc.found).toBe(true);
  });

  it('a late event updates the same document instead of adding one', async () => {
    real = await openRealStore(target);
    const first = makeSpan({
      missing: ['REP'],
      events: { REQ: BASE_MICROS, IN: BASE_MICROS + 100, OUT: BASE_MICROS + 900 },
    });
    delete first.clientDurationMicros;
    real.store.write([first]);
    await real.store.flush();
    const late = {
      ...first,
      missing: [],
      events: { ...first.events, REP: BASE_MICROS + 1000 },
      clientDurationMicros: 1000,
      lateEvents: 1,
    };
    real.store.write([late]);
    await real.store.flush();
    await real.refresh();
    const count = await real.admin.count({ index: `${real.prefix}-*`, query: { term: { 'trace.id': first.traceId } } });
    expect(count.count).toBe(1);
    expect(await real.store.getTrace(first.traceId)).toEqual([late]);
  });

  it('an older version arriving after a newer one is ignored (external versions) and counted as superseded', async () => {
    real = await openRealStore(target, { maxConcurrentRequests: 1 });
    real.store.write([makeSpan()]);
    await real.store.flush();
    const span = makeSpan({ missing: ['REP'] });
    const newer = { ...span, missing: [], lateEvents: 1 };
    const indexer = new BulkIndexer(real.store.client, undefined, { ...real.store.config }, pino({ level: 'silent' }));
    const index = indexNameFor(real.prefix, span.startMicros);
    const id = documentId(span);
    // Newer version first, then a replay of the older one (as after a crash mid-spool).
    indexer.enqueue([{ index, id, version: 200, source: JSON.stringify(toDocument(newer)) }]);
    await indexer.flush();
    indexer.enqueue([{ index, id, version: 100, source: JSON.stringify(toDocument(span)) }]);
    await indexer.flush();
    expect(indexer.stats()).toMatchObject({ indexedSpans: 1, supersededSpans: 1, rejectedSpans: 0 });
    await real.refresh();
    expect(await real.store.getTrace(span.traceId)).toEqual([newer]);
    await indexer.close(1000);
  });

  it('a root called by an untraced client adds no empty service to the trace summary', async () => {
    real = await openRealStore(target);
    // The entry hop of a request from outside (IN/OUT only) has no caller: from '' in the span.
    const trace = makeTrace(2, { from: '', fromEndpoint: '', to: 'gateway', toEndpoint: 'GET /convert/:symbol' });
    real.store.write(trace);
    await real.store.flush();
    await real.refresh();
    const [summary] = await real.store.findTraces({ limit: 10 });
    expect(summary?.services).toEqual(['gateway', 'id-generator', 'store']);
  });

  it('a trace whose root span is not stored yet is named by its earliest orphan, with rootSeen false', async () => {
    real = await openRealStore(target);
    const [root, ...children] = makeTrace(3);
    real.store.write(children);
    await real.store.flush();
    await real.refresh();
    const [pending] = await real.store.findTraces({ limit: 10 });
    expect(pending).toMatchObject({ rootService: 'store', rootEndpoint: 'Lease', rootSeen: false, spanCount: 2 });
    real.store.write([root!]);
    await real.store.flush();
    await real.refresh();
    const [whole] = await real.store.findTraces({ limit: 10 });
    expect(whole).toMatchObject({ rootService: 'id-generator', rootEndpoint: 'NextID', rootSeen: true, spanCount: 3 });
  });

  it('findTraces filters by service, error, duration and tag, newest first', async () => {
    real = await openRealStore(target);
    const ok = makeTrace(3, { startMicros: BASE_MICROS });
    const failing = makeTrace(2, { startMicros: BASE_MICROS + 5_000_000 });
    failing[1]!.errorCode = 'UNAVAILABLE';
    failing[1]!.errorDescription = 'lease store down';
    const slow = makeTrace(1, {
      startMicros: BASE_MICROS + 10_000_000,
      to: 'slow-svc',
      durationMicros: 2_000_000,
      tags: { correlation_id: 'c-slow' },
    });
    real.store.write([...ok, ...failing, ...slow]);
    await real.store.flush();
    await real.refresh();

    const all = await real.store.findTraces({ limit: 10 });
    expect(all.map((t) => t.traceId)).toEqual([slow[0]!.traceId, failing[0]!.traceId, ok[0]!.traceId]);
    const okSummary = all[2]!;
    expect(okSummary).toMatchObject({
      rootService: 'id-generator',
      rootEndpoint: 'NextID',
      rootSeen: true,
      spanCount: 3,
      errorCount: 0,
      startMicros: BASE_MICROS,
    });
    expect(okSummary.services).toEqual(['gateway', 'id-generator', 'store']);

    expect((await real.store.findTraces({ limit: 10, error: true })).map((t) => t.traceId)).toEqual([
      failing[0]!.traceId,
    ]);
    expect((await real.store.findTraces({ limit: 10, error: false })).map((t) => t.traceId)).toEqual([
      slow[0]!.traceId,
      ok[0]!.traceId,
    ]);
    expect((await real.store.findTraces({ limit: 10, minDurationMicros: 1_000_000 })).map((t) => t.traceId)).toEqual([
      slow[0]!.traceId,
    ]);
    expect((await real.store.findTraces({ limit: 10, service: 'slow-svc' })).map((t) => t.traceId)).toEqual([
      slow[0]!.traceId,
    ]);
    expect(
      (await real.store.findTraces({ limit: 10, tags: { correlation_id: 'c-slow' } })).map((t) => t.traceId),
    ).toEqual([slow[0]!.traceId]);
    expect((await real.store.findTraces({ limit: 10, tags: { 'http.method': 'GET' } })).length).toBe(2);
    expect((await real.store.findTraces({ limit: 1 })).map((t) => t.traceId)).toEqual([slow[0]!.traceId]);
    expect(
      (
        await real.store.findTraces({ limit: 10, sinceMicros: BASE_MICROS + 1, untilMicros: BASE_MICROS + 6_000_000 })
      ).map((t) => t.traceId),
    ).toEqual([failing[0]!.traceId]);
  });

  it('returns a trace larger than 10,000 spans whole (PIT + search_after)', async () => {
    real = await openRealStore(target, { bulkMaxSpans: 5_000 });
    const trace = makeTrace(12_345);
    real.store.write(trace);
    await real.store.flush();
    await real.refresh();
    const got = await real.store.getTrace(trace[0]!.traceId);
    expect(got?.length).toBe(12_345);
    expect(new Set(got?.map((s) => s.spanId)).size).toBe(12_345);
    expect(got?.[0]).toEqual(trace[0]);
  }, 60_000);

  it('reports health from the real node', async () => {
    real = await openRealStore(target);
    real.store.write([makeSpan()]);
    await real.store.flush();
    const health = await real.store.health();
    expect(health.status).toBe('OK');
    expect(health.tests.map((t) => t.name)).toEqual(['ping', 'indexing', 'spool']);
  });
});
