import { createSocket, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeId, resolveIdServiceConfig } from '@phosphor/id-generator';
import { decodeDatagram, type TraceEvent } from '@phosphor/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/demo.js';
import { TrafficGenerator } from '../src/traffic-generator.js';

const events: TraceEvent[] = [];
let collector: Socket;
let demo: RunningDemo;

beforeAll(async () => {
  collector = createSocket('udp4');
  collector.on('message', (datagram) => {
    const result = decodeDatagram(datagram);
    if (result.ok) events.push(...result.batch.events);
  });
  await new Promise<void>((resolve) => collector.bind(0, '127.0.0.1', resolve));
  demo = await startDemo(
    {
      tracing: { collectors: [`127.0.0.1:${collector.address().port}`] },
      idGenerator: { httpPort: 0, grpcPort: 0, traceIdBatchSize: 50 },
      gateway: { httpPort: 0 },
      rates: { httpPort: 0 },
      quote: { httpPort: 0, grpcPort: 0, errorRate: 0, slowRate: 0, slowDelayMillis: 150 },
      traffic: { enabled: false },
    },
    { idServiceConfig: resolveIdServiceConfig({ logging: { stdout: false } }) },
  );
  // Let the tracers' id pools fill from the ID service before asserting on trace ids.
  await fetch(`${demo.urls.gateway}/quote/ACME`);
  await sleep(200);
});

afterAll(async () => {
  await demo.close();
  await demo.close();
  collector.close();
});

async function traceEvents(traceId: string, atLeast: number): Promise<TraceEvent[]> {
  for (let i = 0; i < 100; i++) {
    await Promise.all([demo.tracers.gateway.flush(), demo.tracers.quote.flush(), demo.idService!.tracer.flush()]);
    const found = events.filter((e) => e.traceId === traceId);
    if (found.length >= atLeast) return found;
    await sleep(20);
  }
  return events.filter((e) => e.traceId === traceId);
}

describe('demo services', () => {
  it('GET /quote/:symbol goes gateway → quote (HTTP) → id-generator (gRPC + HTTP), one trace', async () => {
    const response = await fetch(`${demo.urls.gateway}/quote/ACME?quantity=3`);
    expect(response.status).toBe(200);
    const quote = (await response.json()) as {
      quoteId: string;
      lineIds: string[];
      totalPrice: number;
      quantity: number;
    };
    expect(quote.quoteId).toMatch(/^[0-9]+$/);
    expect(quote.lineIds).toHaveLength(3);
    expect(quote.quantity).toBe(3);
    const traceId = response.headers.get('x-correlation-id')!;
    // Root trace ids come from the ID service (recent timestamp), not from a local random fallback.
    expect(Math.abs(decodeId(traceId).timestampMillis - Date.now())).toBeLessThan(60_000);
    // gateway IN/OUT, gateway→quote REQ/REP, quote IN/OUT, quote→id (gRPC + HTTP) REQ/REP, id IN/OUT ×2 = 14.
    const traced = await traceEvents(traceId, 14);
    const hops = new Set(traced.map((e) => `${e.type} ${e.from}→${e.to} ${e.toEndpoint}`));
    expect(hops).toContain('IN →gateway GET /quote/:symbol');
    expect([...hops].some((h) => h.startsWith('REQ gateway→quote'))).toBe(true);
    expect(hops).toContain('IN →quote GET /quotes/:symbol');
    expect(hops).toContain('REQ quote→id-generator /phosphor.idgen.v1.IdGenerator/NextID');
    expect(hops).toContain('IN →id-generator POST /ids');
    expect(hops).toContain('REQ gateway→quote GET /quotes/:symbol');
    expect(traced).toHaveLength(14);
  });

  it('GET /basket fans out one gRPC GetQuote per symbol', async () => {
    const response = await fetch(`${demo.urls.gateway}/basket?symbols=ACME,GLOBX,INIT`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { quotes: Array<{ symbol: string }>; failures: unknown[] };
    expect(body.quotes.map((q) => q.symbol).sort()).toEqual(['ACME', 'GLOBX', 'INIT']);
    const traced = await traceEvents(response.headers.get('x-correlation-id')!, 2 + 3 * 12);
    const fanOut = traced.filter((e) => e.type === 'IN' && e.to === 'quote');
    expect(fanOut).toHaveLength(3);
    expect(new Set(fanOut.map((e) => e.parentSpanId)).size).toBe(1);
  });

  it('POST /orders quotes over gRPC and takes an order id over HTTP', async () => {
    const response = await fetch(`${demo.urls.gateway}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ symbol: 'UMBR', quantity: 7 }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { orderId: string; quote: { quantity: number } };
    expect(body.orderId).toMatch(/^[0-9]+$/);
    expect(body.quote.quantity).toBe(7);
  });

  it('symbol FAIL errors: quote answers 503, the gateway 502, and OUT/REP carry error codes', async () => {
    const response = await fetch(`${demo.urls.gateway}/quote/FAIL`);
    expect(response.status).toBe(502);
    expect(((await response.json()) as { code: string }).code).toBe('DEMO_ERR_UPSTREAM_FAILED');
    const traced = await traceEvents(response.headers.get('x-correlation-id')!, 14);
    const quoteOut = traced.find((e) => e.type === 'OUT' && e.to === 'quote');
    expect(quoteOut?.errorCode).toBeTruthy();
  });

  it('symbol SLOW takes the slow path', async () => {
    const started = performance.now();
    const response = await fetch(`${demo.urls.gateway}/quote/SLOW`);
    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['lower-case symbol', '/quote/acme', /params symbol: must match/],
    ['quantity out of range', '/quote/ACME?quantity=0', /querystring quantity: must be >= 1/],
    ['too many basket symbols', `/basket?symbols=${Array(11).fill('A').join(',')}`, /at most 10 symbols/],
    ['bad basket symbol', '/basket?symbols=ACME,x1', /query\.symbols\[1\] must be 1-5 upper-case letters/],
  ];
  for (const [name, path, message] of bad) {
    it(`rejects ${name} with 400 naming the field`, async () => {
      const response = await fetch(`${demo.urls.gateway}${path}`);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(message);
    });
  }

  it('the traffic generator sends a bounded mix of requests that mostly succeed', async () => {
    const traffic = new TrafficGenerator({
      gatewayUrl: demo.urls.gateway,
      ratePerSecond: 40,
      maxInFlight: 5,
      symbols: ['ACME', 'GLOBX'],
      basketSize: 2,
      timeoutMillis: 2_000,
    });
    traffic.start();
    await sleep(600);
    await traffic.stop();
    const stats = traffic.stats();
    expect(stats.sentRequests).toBeGreaterThan(5);
    expect(stats.okResponses).toBeGreaterThan(0);
    expect(stats.failedRequests).toBe(0);
    expect(stats.inFlight).toBe(0);
  });
});
