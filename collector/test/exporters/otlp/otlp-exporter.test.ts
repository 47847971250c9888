import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../../wire/test/support/reference-encoder.js';
import type { Collector } from '../../../src/app.js';
import { OtlpSpanExporter, resolveOtlpExportConfig } from '../../../src/exporters/otlp/index.js';
import type { Span } from '../../../src/model/span.js';
import { ExportTraceServiceRequest } from '../../../src/otlp/otlp-schema.js';
import { testCollector } from '../../support/collector.js';
import { batchOf, hopEvents } from '../../support/hops.js';

const T0 = Date.now() * 1000;
const TRACE = '4242424242';
const ROOT = 'a000000000000001';
const CHILD = 'b000000000000002';
const silent = pino({ level: 'silent' });
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A root hop into `gateway` and its call to `catalog`, as datagrams from Phosphor tracers. */
function phosphorTrace(): Buffer {
  return encodeBatch(
    batchOf([
      ...hopEvents({
        traceId: TRACE,
        spanId: ROOT,
        to: 'gateway',
        toEndpoint: 'GET /order',
        serverHost: 'gw-1',
        times: { IN: T0, OUT: T0 + 900 },
      }),
      ...hopEvents({
        traceId: TRACE,
        spanId: CHILD,
        parentSpanId: ROOT,
        from: 'gateway',
        fromEndpoint: 'GET /order',
        to: 'catalog',
        toEndpoint: 'GET /items/:id',
        clientHost: 'gw-1',
        serverHost: 'cat-1',
        times: { REQ: T0 + 100, IN: T0 + 150, OUT: T0 + 650, REP: T0 + 700 },
        errorCode: 'HTTP_503',
        tags: { 'http.route': '/items/:id', 'http.response.status_code': '503' },
      }),
    ]),
  );
}

async function spansOf(c: Collector, traceId: string, count: number): Promise<Span[]> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const spans = (await c.store.getTrace(traceId)) ?? [];
    if (spans.length >= count || performance.now() > deadline) return spans;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(['http/protobuf', 'grpc'] as const)('OTLP out over %s to a second collector', (protocol) => {
  it('delivers each hop as a CLIENT and a SERVER span that join again into the same trace', async () => {
    const receiver = await testCollector({ assembly: { spanTimeoutMillis: 200 }, otlp: { parentWaitMillis: 500 } });
    const rPorts = await receiver.start();
    closers.push(() => receiver.close());
    const endpoint =
      protocol === 'grpc'
        ? `http://127.0.0.1:${rPorts.otlpGrpcPort}`
        : `http://127.0.0.1:${rPorts.otlpHttpPort}/v1/traces`;
    const sender = await testCollector({
      assembly: { spanTimeoutMillis: 200 },
      otlpExport: { enabled: true, protocol, endpoint, flushIntervalMillis: 50 },
    });
    await sender.start();
    closers.push(() => sender.close());
    sender.ingest(phosphorTrace());

    const spans = await spansOf(receiver, TRACE, 2);
    expect(spans).toHaveLength(2);
    const hop = spans.find((s) => s.spanId === CHILD) as Span;
    expect(hop).toMatchObject({
      from: 'gateway',
      to: 'catalog',
      toEndpoint: 'GET /items/:id',
      clientHost: 'gw-1',
      serverHost: 'cat-1',
      // The error code travels as error.type and comes back unchanged.
      errorCode: 'HTTP_503',
      rawEvents: { REQ: T0 + 100, IN: T0 + 150, OUT: T0 + 650, REP: T0 + 700 },
    });
    expect(hop.missing).toEqual([]);
    expect(hop.tags['http.route']).toBe('/items/:id');
    const root = spans.find((s) => s.spanId !== CHILD) as Span;
    // The root's callee side is re-identified (see docs/otel.md), and the child still hangs under it.
    expect(root).toMatchObject({ to: 'gateway', toEndpoint: 'GET /order', parentSpanId: undefined });
    expect(hop.parentSpanId).toBe(root.spanId);
    expect(receiver.aggregates.dependencies().edges).toEqual([{ from: 'gateway', to: 'catalog', calls: 1, errors: 1 }]);
    const stats = sender.stats().otlpExport as { exportedSpans: number; droppedSpans: Record<string, number> };
    expect(stats.exportedSpans).toBe(2);
    expect(Object.values(stats.droppedSpans).every((n) => n === 0)).toBe(true);
  });
});

/** A receiver whose answers the test scripts; records each request body. */
async function scriptedReceiver(statuses: number[]): Promise<{ url: string; bodies: Buffer[]; server: Server }> {
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.writeHead(statuses.shift() ?? 200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, bodies, server };
}

async function assembledSpans(): Promise<Span[]> {
  const c = await testCollector({ assembly: { spanTimeoutMillis: 50 } });
  await c.start();
  c.ingest(phosphorTrace());
  const spans = await spansOf(c, TRACE, 2);
  await c.close();
  return spans;
}

function exporter(url: string, extra: Record<string, unknown> = {}): OtlpSpanExporter {
  const config = resolveOtlpExportConfig({ enabled: true, endpoint: url, retryInitialBackoffMillis: 1, ...extra });
  const e = new OtlpSpanExporter(config, silent, 60_000, () => Promise.resolve());
  closers.push(() => e.close());
  return e;
}

describe('OTLP exporter delivery', () => {
  it('sends a resource per service and host, CLIENT and SERVER spans with attributes and status', async () => {
    const spans = await assembledSpans();
    const target = await scriptedReceiver([]);
    const e = exporter(target.url);
    e.consume(spans);
    await e.flush();
    const request = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(target.bodies[0] as Buffer), {
      longs: String,
      bytes: String,
    }) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue: string } }[] };
        scopeSpans: { spans: Record<string, unknown>[] }[];
      }[];
    };
    const byService = new Map(
      request.resourceSpans.map((r) => [
        r.resource.attributes.map((a) => `${a.key}=${a.value.stringValue}`).join(','),
        r.scopeSpans[0]?.spans ?? [],
      ]),
    );
    expect([...byService.keys()].sort()).toEqual([
      'service.name=catalog,host.name=cat-1',
      'service.name=gateway,host.name=gw-1',
    ]);
    const gatewaySpans = byService.get('service.name=gateway,host.name=gw-1') as Record<string, unknown>[];
    const catalogSpan = (
      byService.get('service.name=catalog,host.name=cat-1') as Record<string, unknown>[]
    )[0] as Record<string, unknown>;
    const client = gatewaySpans.find((s) => s.kind === 3) as Record<string, unknown>;
    expect(Buffer.from(client.spanId as string, 'base64').toString('hex')).toBe(CHILD);
    expect(Buffer.from(client.traceId as string, 'base64').toString('hex')).toBe(
      `0000000000000000${BigInt(TRACE).toString(16).padStart(16, '0')}`,
    );
    expect(catalogSpan.kind).toBe(2);
    expect(Buffer.from(catalogSpan.parentSpanId as string, 'base64').toString('hex')).toBe(CHILD);
    expect(catalogSpan.status).toEqual({ code: 2, message: 'HTTP_503' });
    expect(catalogSpan.startTimeUnixNano).toBe(String(BigInt(T0 + 150) * 1000n));
    expect(catalogSpan.attributes).toContainEqual({ key: 'http.route', value: { stringValue: '/items/:id' } });
    expect(e.stats().exportedSpans).toBe(2);
  });

  it('retries 503 and 429 with backoff, then delivers', async () => {
    const target = await scriptedReceiver([503, 429]);
    const e = exporter(target.url);
    e.consume(await assembledSpans());
    await e.flush();
    expect(target.bodies).toHaveLength(3);
    expect(e.stats()).toMatchObject({ exportedSpans: 2, retries: 2, failedRequests: 2 });
  });

  it('drops a batch the receiver refuses (400) without retrying, counted as rejected', async () => {
    const target = await scriptedReceiver([400]);
    const e = exporter(target.url);
    e.consume(await assembledSpans());
    await e.flush();
    expect(target.bodies).toHaveLength(1);
    expect(e.stats().droppedSpans.rejected).toBe(2);
    expect((await e.health()).status).toBe('Degraded');
  });

  it('gives up after maxRetries on an unreachable receiver, counted, and bounds its queue', async () => {
    const gone = await scriptedReceiver([]);
    await new Promise((r) => gone.server.close(r));
    const e = exporter(gone.url, { maxRetries: 2, maxQueueSpans: 3, maxBatchSpans: 100 });
    const spans = await assembledSpans();
    e.consume([...spans, ...spans, ...spans]);
    expect(e.stats().droppedSpans.queue_full).toBe(3);
    await e.flush();
    expect(e.stats()).toMatchObject({ retries: 2, failedRequests: 3 });
    expect(e.stats().droppedSpans.retries_exhausted).toBe(3);
    expect((await e.health()).tests[0]?.error).toContain('ECONNREFUSED');
  });

  it('validates its config, naming the key', () => {
    expect(() => resolveOtlpExportConfig({ endpoint: 'ftp://x' })).toThrow(/endpoint/);
    expect(() => resolveOtlpExportConfig({ protocol: 'grpc', endpoint: 'http://h:4317/v1/traces' })).toThrow(
      /otlpExport\.endpoint/,
    );
    expect(() => resolveOtlpExportConfig({ retryInitialBackoffMillis: 10, retryMaxBackoffMillis: 5 })).toThrow(
      /retryMaxBackoffMillis/,
    );
    expect(() => resolveOtlpExportConfig({ queue: 1 })).toThrow(/queue/);
  });
});
