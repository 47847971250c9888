import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import type { Collector } from '../../src/app.js';
import type { Span } from '../../src/model/span.js';
import { testCollector } from '../support/collector.js';
import { batchOf, hopEvents } from '../support/hops.js';

const T0 = 1_700_000_000_000_000;
const B_AHEAD = 50_000;
let collector: Collector | undefined;

afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

/** Root on A → B (clock 50 ms ahead) → C, as three hops; the B→C hop lacks its REP. */
function ingestTrace(c: Collector, traceId = '4242') {
  const events = [
    ...hopEvents({
      traceId,
      spanId: 'r',
      from: '',
      fromEndpoint: '',
      to: 'a',
      toEndpoint: 'GET /',
      serverHost: 'A',
      times: { IN: T0, OUT: T0 + 1000 },
    }),
    ...hopEvents({
      traceId,
      spanId: 'ab',
      parentSpanId: 'r',
      from: 'a',
      fromEndpoint: 'GET /',
      to: 'b',
      toEndpoint: 'Get',
      clientHost: 'A',
      serverHost: 'B',
      times: { REQ: T0 + 100, IN: T0 + 150 + B_AHEAD, OUT: T0 + 850 + B_AHEAD, REP: T0 + 900 },
      errorCode: 'NOT_FOUND',
    }),
    ...hopEvents({
      traceId,
      spanId: 'bc',
      parentSpanId: 'ab',
      from: 'b',
      fromEndpoint: 'Get',
      to: 'c',
      toEndpoint: 'Lookup',
      clientHost: 'B',
      serverHost: 'C',
      times: { REQ: T0 + 200 + B_AHEAD, IN: T0 + 250, OUT: T0 + 750 },
      tags: { correlation_id: traceId },
    }),
  ];
  c.ingest(encodeBatch(batchOf(events)));
}

describe('HTTP API', () => {
  it('GET /api/traces/:id merges stored and pending spans and skew-corrects the whole trace', async () => {
    collector = await testCollector();
    ingestTrace(collector);
    collector.assembler.sweep(); // nothing timed out yet: r (IN/OUT) and bc stay pending
    const res = await collector.http.inject('/api/traces/4242');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { traceId: string; spans: Span[]; pendingSpanIds: string[]; orphanSpanIds: string[] };
    expect(body.traceId).toBe('4242');
    expect(body.spans.map((s) => s.spanId)).toEqual(['r', 'ab', 'bc']);
    expect(body.pendingSpanIds.sort()).toEqual(['bc', 'r']);
    expect(body.orphanSpanIds).toEqual([]);
    const [, ab, bc] = body.spans;
    expect(ab).toMatchObject({
      skewMicros: -B_AHEAD,
      errorCode: 'NOT_FOUND',
      missing: [],
      clientHost: 'A',
      serverHost: 'B',
    });
    expect(ab!.events).toEqual({ REQ: T0 + 100, IN: T0 + 150, OUT: T0 + 850, REP: T0 + 900 });
    expect(bc!.events).toEqual({ REQ: T0 + 200, IN: T0 + 250, OUT: T0 + 750 });
    expect(bc!.missing).toEqual(['REP']);
    expect(bc!.rawEvents.REQ).toBe(T0 + 200 + B_AHEAD);
  });

  it('404s an unknown trace and 400s a malformed id, naming the parameter', async () => {
    collector = await testCollector();
    const missing = await collector.http.inject('/api/traces/999');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'COL_ERR_API_TRACE_NOT_FOUND', param: 'traceId' });
    const bad = await collector.http.inject('/api/traces/bad%20id');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'COL_ERR_API_BAD_PARAM', param: 'traceId' });
  });

  it('GET /api/traces searches with filters and validates every parameter', async () => {
    collector = await testCollector();
    ingestTrace(collector, '1');
    ingestTrace(collector, '2');
    collector.assembler.flushAll();
    const all = await collector.http.inject('/api/traces?service=b&error=true&tag=correlation_id:2');
    expect(all.statusCode).toBe(200);
    // tag and error are on different spans of trace 2 → no span matches all: nothing.
    expect(all.json()).toEqual({ traces: [] });
    const byTag = await collector.http.inject('/api/traces?tag=correlation_id:2&limit=5');
    expect(byTag.json().traces.map((t: { traceId: string }) => t.traceId)).toEqual(['2']);
    const byError = await collector.http.inject('/api/traces?service=b&error=true');
    expect(
      byError
        .json()
        .traces.map((t: { traceId: string }) => t.traceId)
        .sort(),
    ).toEqual(['1', '2']);
    expect(byError.json().traces[0]).toMatchObject({ rootService: 'a', spanCount: 3, errorCount: 1 });
    for (const [query, param] of [
      ['limit=0', 'limit'],
      ['limit=5000', 'limit'],
      ['limit=abc', 'limit'],
      ['minDurationMicros=-1', 'minDurationMicros'],
      ['error=maybe', 'error'],
      ['tag=novalue', 'tag'],
      ['since=yesterday', 'since'],
      ['servce=a', 'servce'],
      ['minDurationMicros=10&maxDurationMicros=5', 'minDurationMicros'],
    ]) {
      const res = await collector.http.inject(`/api/traces?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toMatchObject({ code: 'COL_ERR_API_BAD_PARAM', param });
    }
  });

  it('serves services, aggregates, dependencies and stats', async () => {
    collector = await testCollector();
    ingestTrace(collector);
    collector.assembler.flushAll();
    const services = (await collector.http.inject('/api/services')).json();
    expect(services.services).toEqual([
      { service: 'a', endpoints: ['GET /'] },
      { service: 'b', endpoints: ['Get'] },
      { service: 'c', endpoints: ['Lookup'] },
    ]);
    const agg = await collector.http.inject('/api/aggregates?window=5m');
    expect(agg.statusCode).toBe(200);
    const body = agg.json();
    expect(body.window).toBe('5m');
    expect(body.endpoints.find((e: { service: string }) => e.service === 'b')).toMatchObject({
      endpoint: 'Get',
      count: 1,
      errors: 1,
      maxMicros: 700,
    });
    expect(body.edges.find((e: { to: string }) => e.to === 'b')).toMatchObject({ from: 'a', count: 1, maxMicros: 800 });
    expect(body.hosts.map((h: { host: string }) => h.host).sort()).toEqual(['A', 'B', 'C']);
    const badWindow = await collector.http.inject('/api/aggregates?window=2m');
    expect(badWindow.statusCode).toBe(400);
    expect(badWindow.json()).toMatchObject({ param: 'window' });
    const deps = (await collector.http.inject('/api/dependencies')).json();
    expect(deps.edges).toEqual(
      expect.arrayContaining([
        { from: 'a', to: 'b', calls: 1, errors: 1 },
        { from: 'b', to: 'c', calls: 1, errors: 0 },
      ]),
    );
    const stats = (await collector.http.inject('/api/stats')).json();
    expect(stats.udp).toMatchObject({ receivedDatagrams: 1, acceptedDatagrams: 1, acceptedEvents: 9 });
    expect(stats.assembly).toMatchObject({ receivedEvents: 9, completeSpans: 1, partialSpans: 2 });
    expect(stats.storage).toMatchObject({ name: 'memory', storedSpans: 3 });
  });

  it('serves Flaki-format health and Prometheus metrics', async () => {
    collector = await testCollector();
    await collector.start();
    ingestTrace(collector);
    const health = await collector.http.inject('/health');
    expect(health.json()).toEqual({
      udp: 'OK',
      otlp: 'OK',
      otlpExport: 'Deactivated',
      assembly: 'OK',
      memory: 'OK',
      elasticsearch: 'Deactivated',
      influx: 'Deactivated',
    });
    const memory = await collector.http.inject('/health/memory');
    expect(memory.json()).toEqual([expect.objectContaining({ name: 'capacity', status: 'OK' })]);
    const unknown = await collector.http.inject('/health/redis');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('COL_ERR_API_UNKNOWN_COMPONENT');
    const metrics = await collector.http.inject('/metrics');
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('phosphor_collector_received_datagrams_total 1');
    expect(metrics.body).toContain('phosphor_collector_events_total 9');
    expect(metrics.body).toContain('phosphor_collector_pending_spans 2');
    expect(metrics.body).toContain('phosphor_collector_rejected_datagrams_total{reason="bad_hmac"} 0');
  });

  it('requires the bearer token on /api and /metrics when configured, not on /health', async () => {
    const token = 'a-very-long-secret-token';
    collector = await testCollector({ http: { bearerToken: token } });
    const denied = await collector.http.inject('/api/stats');
    expect(denied.statusCode).toBe(401);
    expect(denied.json().code).toBe('COL_ERR_API_UNAUTHORIZED');
    expect(
      (await collector.http.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode,
    ).toBe(401);
    expect(
      (await collector.http.inject({ url: '/api/stats', headers: { authorization: `Bearer ${token}` } })).statusCode,
    ).toBe(200);
    expect((await collector.http.inject('/health')).statusCode).toBe(200);
  });

  it('limits query strings and bodies', async () => {
    collector = await testCollector({ http: { maxQueryStringBytes: 64, bodyLimitBytes: 16 } });
    const long = await collector.http.inject(`/api/traces?service=${'x'.repeat(100)}`);
    expect(long.statusCode).toBe(414);
    expect(long.json().code).toBe('COL_ERR_API_QUERY_TOO_LONG');
    const post = await collector.http.inject({ method: 'POST', url: '/api/traces', payload: { a: 'x'.repeat(100) } });
    expect([404, 413]).toContain(post.statusCode);
    const route = await collector.http.inject('/api/nope');
    expect(route.statusCode).toBe(404);
    expect(route.json().code).toBe('COL_ERR_API_ROUTE_NOT_FOUND');
  });

  it('answers an over-long trace id with the id limit, and echoes a long unknown path clipped', async () => {
    collector = await testCollector();
    const id = await collector.http.inject(`/api/traces/${'a'.repeat(500)}`);
    expect(id.statusCode).toBe(400);
    expect(id.json()).toMatchObject({ code: 'COL_ERR_API_BAD_PARAM', param: 'traceId' });
    expect(id.json().message).toContain('64');
    const unknown = await collector.http.inject(`/api/${'b'.repeat(5000)}`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('COL_ERR_API_ROUTE_NOT_FOUND');
    expect(unknown.json().message.length).toBeLessThan(300);
  });

  it('serves the dashboard with an SPA fallback when distDir exists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'phosphor-dist-'));
    writeFileSync(join(dir, 'index.html'), '<html>phosphor</html>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    collector = await testCollector({ dashboard: { distDir: dir } });
    expect((await collector.http.inject('/')).body).toContain('phosphor');
    expect((await collector.http.inject('/app.js')).body).toContain('console.log');
    // Page paths go to the same view under the hash the dashboard routes by, relative to its root.
    const deep = await collector.http.inject('/trace/123?mode=raw');
    expect(deep.statusCode).toBe(302);
    expect(deep.headers.location).toBe('../#/trace/123?mode=raw');
    expect((await collector.http.inject('/services')).headers.location).toBe('./#/services');
    expect((await collector.http.inject('//evil.example/x')).headers.location).toBe('../../#//evil.example/x');
    expect((await collector.http.inject('/missing.png')).statusCode).toBe(404);
    const api = await collector.http.inject('/api/unknown');
    expect(api.statusCode).toBe(404);
    expect(api.json().code).toBe('COL_ERR_API_ROUTE_NOT_FOUND');
  });
});
