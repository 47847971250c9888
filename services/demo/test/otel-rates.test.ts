import { setTimeout as sleep } from 'node:timers/promises';
import { buildCollector, type Collector, loadConfig, type Span } from '@phosphor/collector';
import { resolveIdServiceConfig } from '@phosphor/id-generator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/demo.js';

let collector: Collector;
let demo: RunningDemo;

beforeAll(async () => {
  collector = await buildCollector(
    loadConfig({
      values: {
        udp: { port: 0 },
        http: { port: 0 },
        otlp: { http: { port: 0 }, grpc: { enabled: false } },
        assembly: { spanTimeoutMillis: 500 },
        logging: { level: 'silent' },
        dashboard: { distDir: '/nonexistent-dashboard' },
      },
    }),
  );
  const ports = await collector.start();
  demo = await startDemo(
    {
      tracing: {
        collectors: [`127.0.0.1:${ports.udpPort}`],
        otlpTracesUrl: `http://127.0.0.1:${ports.otlpHttpPort}/v1/traces`,
      },
      idGenerator: { httpPort: 0, grpcPort: 0, traceIdBatchSize: 50 },
      gateway: { httpPort: 0 },
      rates: { httpPort: 0 },
      quote: { httpPort: 0, grpcPort: 0, errorRate: 0, slowRate: 0 },
      traffic: { enabled: false },
    },
    { idServiceConfig: resolveIdServiceConfig({ logging: { stdout: false } }) },
  );
});

afterAll(async () => {
  await demo.close();
  await collector.close();
});

describe('the OpenTelemetry-instrumented rates service in the demo', () => {
  it('GET /convert/:symbol gives one trace: gateway (Phosphor) → rates (OTel) → quote (Phosphor) → id-generator', async () => {
    const response = await fetch(`${demo.urls.gateway}/convert/ACME?currency=EUR`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ symbol: 'ACME', currency: 'EUR', rate: 0.92 });
    const traceId = response.headers.get('x-correlation-id') as string;
    let spans: Span[] = [];
    for (let i = 0; i < 100; i++) {
      await Promise.all([
        demo.tracers.gateway.flush(),
        demo.tracers.quote.flush(),
        demo.idService?.tracer.flush(),
        demo.rates.flush(),
      ]);
      spans = (await collector.store.getTrace(traceId)) ?? [];
      if (spans.length >= 5 && spans.some((s) => s.from === 'rates' && s.missing.length === 0)) break;
      await sleep(50);
    }
    const edge = (from: string, to: string) => spans.find((s) => s.from === from && s.to === to);
    const toRates = edge('gateway', 'rates') as Span;
    const toQuote = edge('rates', 'quote') as Span;
    expect(toRates.missing).toEqual([]);
    expect(toRates.toEndpoint).toBe('GET /rates/:symbol');
    expect(toQuote.missing).toEqual([]);
    expect(toQuote).toMatchObject({ fromEndpoint: 'GET /rates/:symbol', parentSpanId: toRates.spanId });
    expect(edge('quote', 'id-generator')?.parentSpanId).toBe(toQuote.spanId);
    const root = spans.find((s) => s.parentSpanId === undefined) as Span;
    expect(root).toMatchObject({ to: 'gateway', toEndpoint: 'GET /convert/:symbol' });
    expect(toRates.parentSpanId).toBe(root.spanId);
  });
});
