import { afterEach, describe, expect, it } from 'vitest';
import { poll } from '../../../../test/support/helpers.js';
import type { Collector } from '../../../src/app.js';
import type { Span } from '../../../src/model/span.js';
import { traceIdFromOtel } from '../../../src/otlp/otlp-trace-id.js';
import { testCollector } from '../../support/collector.js';
import {
  EXPORTER_KINDS,
  extractHeaders,
  injectHeaders,
  otelService,
  otlpExporter,
  ROOT_CONTEXT,
  SpanKind,
  startSpan,
} from './otel-sdk.js';

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

async function waitForSpans(c: Collector, traceId: string, count: number): Promise<Span[]> {
  return poll(
    async () => {
      const spans = (await c.store.getTrace(traceId)) ?? [];
      return spans.length >= count ? spans : undefined;
    },
    { timeoutMillis: 10_000, what: `${count} stored spans of trace ${traceId}`, intervalMillis: 50 },
  );
}

describe.each(EXPORTER_KINDS)('OTel SDK with the %s exporter', (kind) => {
  it('turns an OTel → OTel call into one hop seen from both sides, with roots and internal spans kept', async () => {
    collector = await testCollector({ assembly: { spanTimeoutMillis: 300 }, otlp: { parentWaitMillis: 2000 } });
    const ports = await collector.start();
    const frontend = otelService('frontend', otlpExporter(kind, ports));
    const backend = otelService('backend', otlpExporter(kind, ports));

    const root = startSpan(frontend, 'GET /home', SpanKind.SERVER, ROOT_CONTEXT, {
      'http.request.method': 'GET',
      'http.route': '/home',
    });
    const call = startSpan(frontend, 'GET', SpanKind.CLIENT, root.ctx, {
      'http.request.method': 'GET',
      'server.address': 'backend',
      'peer.service': 'backend',
    });
    // The callee sees only the headers, as over the network.
    const remote = extractHeaders(injectHeaders(call.ctx));
    const served = startSpan(backend, 'GET /items/:id', SpanKind.SERVER, remote, {
      'http.request.method': 'GET',
      'http.route': '/items/:id',
      'http.response.status_code': 503,
      'error.type': '503',
    });
    const internal = startSpan(backend, 'load-item', SpanKind.INTERNAL, served.ctx, { 'db.system': 'redis' });
    // Children end (and are exported) before their parents, as in any real service.
    internal.span.end();
    served.span.setStatus({ code: 2, message: 'upstream unavailable' });
    served.span.end();
    call.span.end();
    root.span.end();
    await Promise.all([frontend.forceFlush(), backend.forceFlush()]);

    const otelTraceId = root.span.spanContext().traceId;
    const traceId = traceIdFromOtel(otelTraceId);
    const spans = await waitForSpans(collector, traceId, 3);
    expect(spans).toHaveLength(3);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const rootId = root.span.spanContext().spanId;
    const hopId = call.span.spanContext().spanId;

    const hop = byId.get(hopId) as Span;
    expect(hop.missing).toEqual([]);
    expect(hop).toMatchObject({
      from: 'frontend',
      fromEndpoint: 'GET /home',
      to: 'backend',
      toEndpoint: 'GET /items/:id',
      parentSpanId: rootId,
      clientHost: 'frontend-host',
      serverHost: 'backend-host',
      errorCode: '503',
      errorDescription: 'upstream unavailable',
    });
    expect(hop.tags['http.route']).toBe('/items/:id');
    expect(hop.tags['otel.server.span_id']).toBe(served.span.spanContext().spanId);
    expect(hop.clientDurationMicros).toBeGreaterThanOrEqual(hop.serverDurationMicros as number);

    const rootSpan = byId.get(rootId) as Span;
    expect(rootSpan).toMatchObject({ to: 'frontend', toEndpoint: 'GET /home', parentSpanId: undefined });
    expect(rootSpan.missing).toEqual(['REQ', 'REP']);

    const internalSpan = byId.get(internal.span.spanContext().spanId) as Span;
    // Its parent is the hop the backend served, not the backend's own OTel span id.
    expect(internalSpan).toMatchObject({ to: 'backend', toEndpoint: 'load-item', parentSpanId: hopId });
    expect(internalSpan.tags).toMatchObject({ 'otel.span.kind': 'internal', 'db.system': 'redis' });

    const graph = collector.aggregates.dependencies();
    expect(graph.edges).toEqual([{ from: 'frontend', to: 'backend', calls: 1, errors: 1 }]);
    const stats = collector.otlp.stats();
    expect(stats.acceptedSpans).toBe(4);
    expect(stats.requests[kind.startsWith('grpc') ? 'grpc' : 'http']).toBeGreaterThanOrEqual(2);
    await Promise.all([frontend.shutdown(), backend.shutdown()]);
  });
});
