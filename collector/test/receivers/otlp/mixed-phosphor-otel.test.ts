import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTracer, currentTrace, type Tracer } from '@phosphor/tracer';
import { phosphorFastify } from '@phosphor/tracer/fastify';
import { tracedFetch } from '@phosphor/tracer/fetch';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector, CollectorAddresses } from '../../../src/app.js';
import type { Span } from '../../../src/model/span.js';
import { traceIdToOtel } from '../../../src/otlp/otlp-trace-id.js';
import { testCollector } from '../../support/collector.js';
import { extractHeaders, injectHeaders, otelService, otlpExporter, SpanKind, startSpan } from './otel-sdk.js';

/*
 * Three real services over real HTTP, one trace: gateway (Phosphor, fastify + tracedFetch) →
 * catalog (OpenTelemetry SDK on node:http, OTLP/proto exporter) → pricing (Phosphor, fastify).
 * The gateway→catalog hop has a Phosphor caller and an OTel callee; catalog→pricing the reverse.
 */
let collector: Collector;
let ports: CollectorAddresses;
const tracers: Tracer[] = [];
const apps: FastifyInstance[] = [];
let catalog: Server;
let catalogProvider: ReturnType<typeof otelService>;
let gatewayUrl: string;

async function phosphorService(
  service: string,
  routes: (app: FastifyInstance, tracer: Tracer) => void,
): Promise<string> {
  const tracer = createTracer({ service, collectors: [`127.0.0.1:${ports.udpPort}`], flushIntervalMillis: 20 });
  tracers.push(tracer);
  const app = Fastify();
  await app.register(phosphorFastify, { tracer });
  routes(app, tracer);
  apps.push(app);
  return app.listen({ host: '127.0.0.1', port: 0 });
}

beforeAll(async () => {
  collector = await testCollector({ assembly: { spanTimeoutMillis: 500 } });
  ports = await collector.start();
  const pricingUrl = await phosphorService('pricing', (app) => {
    app.get('/price/:id', async () => ({ price: 42 }));
  });
  catalogProvider = otelService('catalog', otlpExporter('http/protobuf', ports));
  catalog = createServer(async (req, res) => {
    const served = startSpan(catalogProvider, 'GET /items/:id', SpanKind.SERVER, extractHeaders(req.headers), {
      'http.request.method': 'GET',
      'http.route': '/items/:id',
    });
    const call = startSpan(catalogProvider, 'GET', SpanKind.CLIENT, served.ctx, {
      'http.request.method': 'GET',
      'peer.service': 'pricing',
    });
    const reply = await fetch(`${pricingUrl}/price/7`, { headers: injectHeaders(call.ctx) });
    call.span.setAttribute('http.response.status_code', reply.status);
    call.span.end();
    const body = await reply.text();
    served.span.setAttribute('http.response.status_code', 200);
    served.span.end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => catalog.listen(0, '127.0.0.1', resolve));
  const catalogUrl = `http://127.0.0.1:${(catalog.address() as AddressInfo).port}`;
  gatewayUrl = await phosphorService('gateway', (app, tracer) => {
    const call = tracedFetch(tracer, { to: 'catalog' });
    app.get('/order', async () => {
      const reply = await call(`${catalogUrl}/items/7`, { endpoint: 'GET /items/:id' });
      return { traceId: currentTrace()?.traceId, item: await reply.json() };
    });
  });
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await new Promise((r) => catalog.close(r));
  await catalogProvider.shutdown();
  await Promise.all(tracers.map((t) => t.close()));
  await collector.close();
});

describe('mixed Phosphor and OpenTelemetry services', () => {
  it('come out as one trace, each hop seen from both sides, in the graph', async () => {
    const reply = (await (await fetch(`${gatewayUrl}/order`)).json()) as { traceId: string };
    const traceId = reply.traceId;
    expect(traceId).toMatch(/^[1-9][0-9]*$/);
    await Promise.all([...tracers.map((t) => t.flush()), catalogProvider.forceFlush()]);
    let spans: Span[] = [];
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline) {
      spans = (await collector.store.getTrace(traceId)) ?? [];
      if (spans.length >= 3 && spans.every((s) => s.missing.length === 0 || s.parentSpanId === undefined)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const root = spans.find((s) => s.parentSpanId === undefined) as Span;
    const toCatalog = spans.find((s) => s.to === 'catalog') as Span;
    const toPricing = spans.find((s) => s.to === 'pricing') as Span;
    expect(spans).toHaveLength(3);
    expect(root).toMatchObject({ to: 'gateway', toEndpoint: 'GET /order' });
    // Phosphor caller → OTel callee.
    expect(toCatalog).toMatchObject({ from: 'gateway', toEndpoint: 'GET /items/:id', parentSpanId: root.spanId });
    expect(toCatalog.missing).toEqual([]);
    expect(toCatalog.tags['http.route']).toBe('/items/:id');
    // OTel caller → Phosphor callee; its parent is the hop the OTel service was serving.
    expect(toPricing).toMatchObject({
      from: 'catalog',
      fromEndpoint: 'GET /items/:id',
      toEndpoint: 'GET /price/:id',
      parentSpanId: toCatalog.spanId,
    });
    expect(toPricing.missing).toEqual([]);
    // Server events lie inside the client window (same host: no skew to correct, none invented).
    for (const hop of [toCatalog, toPricing]) {
      expect(hop.events.IN as number).toBeGreaterThanOrEqual(hop.events.REQ as number);
      expect(hop.events.REP as number).toBeGreaterThanOrEqual(hop.events.OUT as number);
    }
    const edges = collector.aggregates.dependencies().edges.map((e) => `${e.from}->${e.to}`);
    expect(edges.sort()).toEqual(['catalog->pricing', 'gateway->catalog']);

    // The OTel id of the trace finds the same trace through the API, as does the decimal id.
    const otelId = traceIdToOtel(traceId) as string;
    for (const id of [traceId, otelId]) {
      const api = (await (await fetch(`${ports.httpUrl}/api/traces/${id}`)).json()) as {
        traceId: string;
        spans: Span[];
      };
      expect(api.traceId).toBe(traceId);
      expect(api.spans).toHaveLength(3);
    }
  });
});
