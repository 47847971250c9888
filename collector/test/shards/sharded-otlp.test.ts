import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTracer, currentTrace, type Tracer } from '@phosphor/tracer';
import { phosphorFastify } from '@phosphor/tracer/fastify';
import { tracedFetch } from '@phosphor/tracer/fetch';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CollectorAddresses } from '../../src/app.js';
import type { Span } from '../../src/model/span.js';
import { traceIdFromOtel } from '../../src/otlp/otlp-trace-id.js';
import type { ShardedCollector } from '../../src/shards/sharded-collector.js';
import { extractHeaders, otelService, otlpExporter, SpanKind, startSpan } from '../receivers/otlp/otel-sdk.js';
import { until } from '../support/until.js';
import { startSharded } from './support.js';

/*
 * A sharded collector (2 shards) with its OTLP receiver: gateway (Phosphor, fastify + tracedFetch,
 * datagrams over UDP) calls catalog (OpenTelemetry SDK on node:http, OTLP/HTTP protobuf exporter).
 * The caller's REQ/REP arrive as datagrams, the callee's IN/OUT as OTLP; both must reach the shard
 * owning the trace to become one span.
 */
const SHARDS = 2;
let collector: ShardedCollector;
let ports: CollectorAddresses;
let tracer: Tracer;
let gateway: FastifyInstance;
let catalog: Server;
let catalogProvider: ReturnType<typeof otelService>;
let gatewayUrl: string;

beforeAll(async () => {
  collector = await startSharded(SHARDS, {
    assembly: { spanTimeoutMillis: 500 },
    otlp: { http: { port: 0 }, grpc: { port: 0 } },
  });
  ports = collector.addresses as CollectorAddresses;
  catalogProvider = otelService('catalog', otlpExporter('http/protobuf', ports));
  catalog = createServer((req, res) => {
    const served = startSpan(catalogProvider, 'GET /items/:id', SpanKind.SERVER, extractHeaders(req.headers), {
      'http.request.method': 'GET',
      'http.route': '/items/:id',
    });
    served.span.setAttribute('http.response.status_code', 200);
    served.span.end();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"item":7}');
  });
  await new Promise<void>((resolve) => catalog.listen(0, '127.0.0.1', resolve));
  const catalogUrl = `http://127.0.0.1:${(catalog.address() as AddressInfo).port}`;
  tracer = createTracer({ service: 'gateway', collectors: [`127.0.0.1:${ports.udpPort}`], flushIntervalMillis: 20 });
  gateway = Fastify();
  await gateway.register(phosphorFastify, { tracer });
  const call = tracedFetch(tracer, { to: 'catalog' });
  gateway.get('/order', async () => {
    const reply = await call(`${catalogUrl}/items/7`, { endpoint: 'GET /items/:id' });
    return { traceId: currentTrace()?.traceId, item: await reply.json() };
  });
  gatewayUrl = await gateway.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await new Promise((r) => catalog?.close(r));
  await catalogProvider?.shutdown();
  await tracer?.close();
  await collector?.close();
});

interface OtlpStats {
  requests: { http: number; grpc: number };
  acceptedSpans: number;
  events: number;
}

describe('sharded collector with OTLP in', () => {
  it('binds OTLP/HTTP and gRPC listeners on free ports and reports them healthy', async () => {
    expect(ports.otlpHttpPort).toBeGreaterThan(0);
    expect(ports.otlpGrpcPort).toBeGreaterThan(0);
    const health = await collector.health();
    expect(health.otlp?.status).toBe('OK');
  });

  it('joins a Phosphor caller and an OTel callee into one span, whichever shard owns the trace', async () => {
    // Traces until both shards own at least one (ids are random; a handful is enough).
    const traceIds: string[] = [];
    const owners = new Set<number>();
    while (owners.size < SHARDS && traceIds.length < 40) {
      const reply = (await (await fetch(`${gatewayUrl}/order`)).json()) as { traceId: string };
      traceIds.push(reply.traceId);
      owners.add(collector.shards.owners.ofTraceId(reply.traceId));
    }
    expect(owners.size).toBe(SHARDS);
    await Promise.all([tracer.flush(), catalogProvider.forceFlush()]);

    for (const traceId of traceIds) {
      let spans: Span[] = [];
      await until(async () => {
        const res = await fetch(`${ports.httpUrl}/api/traces/${traceId}`);
        if (res.status !== 200) return false;
        spans = ((await res.json()) as { spans: Span[] }).spans;
        const hop = spans.find((s) => s.to === 'catalog');
        return hop !== undefined && hop.missing.length === 0;
      });
      const root = spans.find((s) => s.parentSpanId === undefined) as Span;
      const toCatalog = spans.filter((s) => s.to === 'catalog');
      // One span for the hop, with the caller's REQ/REP (UDP) and the callee's IN/OUT (OTLP).
      expect(toCatalog).toHaveLength(1);
      const hop = toCatalog[0] as Span;
      expect(hop).toMatchObject({ from: 'gateway', toEndpoint: 'GET /items/:id', parentSpanId: root.spanId });
      expect(hop.missing).toEqual([]);
      for (const type of ['REQ', 'IN', 'OUT', 'REP'] as const) expect(hop.events[type]).toBeTypeOf('number');
      expect(hop.tags['http.route']).toBe('/items/:id');
    }

    const stats = (await (await fetch(`${ports.httpUrl}/api/stats`)).json()) as { otlp: OtlpStats };
    expect(stats.otlp.requests.http).toBeGreaterThan(0);
    expect(stats.otlp.acceptedSpans).toBeGreaterThanOrEqual(traceIds.length);
    expect(stats.otlp.events).toBeGreaterThanOrEqual(2 * traceIds.length);
    const metrics = await (await fetch(`${ports.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/phosphor_collector_otlp_requests_total\{transport="http"\} [1-9]/);
  });
});

describe('closing a sharded collector with OTLP in', () => {
  it('passes the spans still waiting for a parent to their shard before the shards flush', async () => {
    const c = await startSharded(SHARDS, {
      otlp: { http: { port: 0 }, grpc: { port: 0 }, parentWaitMillis: 60_000 },
    });
    const provider = otelService('orders', otlpExporter('http/protobuf', c.addresses as CollectorAddresses));
    try {
      // A CLIENT span whose parent (a remote caller's span) never reaches the collector: it waits.
      const remote = extractHeaders({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
      const call = startSpan(provider, 'GET', SpanKind.CLIENT, remote, { 'peer.service': 'stock' });
      call.span.end();
      await provider.forceFlush();
      await until(() => c.otlp.stats().waitingSpans === 1);
      const order: string[] = [];
      const deliverEvents = c.shards.deliverEvents.bind(c.shards);
      const closeShards = c.shards.close.bind(c.shards);
      vi.spyOn(c.shards, 'deliverEvents').mockImplementation((shard, events) => {
        order.push(`events:${shard}:${events.length}`);
        deliverEvents(shard, events);
      });
      vi.spyOn(c.shards, 'close').mockImplementation(() => {
        order.push('shards.close');
        return closeShards();
      });
      await c.close();
      // The span's REQ and REP, to the shard owning its trace, before the shards were closed.
      const owner = c.shards.owners.ofTraceId(traceIdFromOtel('4bf92f3577b34da6a3ce929d0e0e4736'));
      expect(order).toEqual([`events:${owner}:2`, 'shards.close']);
      expect(c.otlp.stats().waitingSpans).toBe(0);
    } finally {
      await provider.shutdown();
      await c.close();
    }
  });
});
