import { createSocket, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeDatagram, type TraceEvent } from '@phosphor/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIdService, type IdService } from '../../src/app.js';
import { resolveIdServiceConfig } from '../../src/config/id-service-config.js';
import { createIdGeneratorClient } from '../../src/grpc/grpc-client.js';
import { decodeId } from '../../src/ids/flaki-layout.js';
import type { IdGenerator } from '../../src/ids/id-generator.js';
import { createServiceTracing } from '../../src/tracing/service-tracing.js';

const events: TraceEvent[] = [];
const lines: Record<string, unknown>[] = [];
let collector: Socket;
let service: IdService;
let grpcTarget: string;

beforeAll(async () => {
  collector = createSocket('udp4');
  collector.on('message', (datagram) => {
    const result = decodeDatagram(datagram);
    if (result.ok) events.push(...result.batch.events);
  });
  await new Promise<void>((resolve) => collector.bind(0, '127.0.0.1', resolve));
  const port = collector.address().port;
  service = await buildIdService(
    resolveIdServiceConfig({
      service: { httpHostPort: '127.0.0.1:0', grpcHostPort: '127.0.0.1:0' },
      ids: { nodeId: 2, componentId: 30 },
      logging: { stdout: false },
      tracing: { enabled: true, collectors: [`127.0.0.1:${port}`] },
    }),
    { logStream: { write: (line: string) => lines.push(JSON.parse(line)) } },
  );
  ({ grpcTarget } = await service.start());
});

afterAll(async () => {
  await service.close();
  collector.close();
});

async function eventsFor(traceId: string, count: number): Promise<TraceEvent[]> {
  for (let i = 0; i < 100; i++) {
    await service.tracer.flush();
    const found = events.filter((e) => e.traceId === traceId);
    if (found.length >= count) return found;
    await sleep(20);
  }
  return events.filter((e) => e.traceId === traceId);
}

describe('tracing the ID service itself', () => {
  it('HTTP without a correlation id: the trace id comes from the own generator and is the correlation id everywhere', async () => {
    const response = await service.http.inject({ method: 'POST', url: '/nextid' });
    const correlationId = response.headers['x-correlation-id'] as string;
    expect(decodeId(correlationId)).toMatchObject({ nodeId: 2, componentId: 30 });
    const traced = await eventsFor(correlationId, 2);
    expect(traced.map((e) => e.type).sort()).toEqual(['IN', 'OUT']);
    expect(traced[0]).toMatchObject({ to: 'id-generator', toEndpoint: 'POST /nextid' });
    const served = lines.find((l) => l.correlation_id === correlationId) as { message: string; duration_ms: number };
    expect(served).toMatchObject({ message: 'request served' });
    // The request is timed from its hop's start (IN) on the tracer's clock, and its end is read
    // before OUT is recorded: the logged duration lies within the span.
    const out = traced.find((e) => e.type === 'OUT')!;
    expect(served.duration_ms).toBeGreaterThanOrEqual(0);
    expect(served.duration_ms * 1000).toBeLessThanOrEqual(out.durationMicros! + 1e-6);
  });

  it('HTTP with X-Correlation-ID continues that trace', async () => {
    const response = await service.http.inject({
      method: 'POST',
      url: '/ids',
      payload: { count: 3 },
      headers: { 'x-correlation-id': '1234567890123' },
    });
    expect(response.headers['x-correlation-id']).toBe('1234567890123');
    expect((await eventsFor('1234567890123', 2)).map((e) => e.type).sort()).toEqual(['IN', 'OUT']);
  });

  it('gRPC: IN/OUT with the method path, trace id = correlation id in the trailers', async () => {
    const client = createIdGeneratorClient(grpcTarget);
    const { correlationId } = await client.nextIds(5, { correlationId: '987654321987' });
    client.close();
    expect(correlationId).toBe('987654321987');
    const traced = await eventsFor('987654321987', 2);
    expect(traced.map((e) => e.type).sort()).toEqual(['IN', 'OUT']);
    expect(traced[0]!.toEndpoint).toBe('/phosphor.idgen.v1.IdGenerator/NextIDs');
  });

  it('gRPC without correlation metadata: the trailer correlation id is the trace id the tracer started', async () => {
    const client = createIdGeneratorClient(grpcTarget);
    const { correlationId } = await client.nextId();
    client.close();
    expect(correlationId).toMatch(/^[0-9]+$/);
    expect((await eventsFor(correlationId!, 2)).map((e) => e.type).sort()).toEqual(['IN', 'OUT']);
  });

  it('the tracer reports no id fallbacks: the generator supplied every root id', () => {
    expect(service.tracer.stats().idFallbacks).toBe(0);
  });

  it("the generator's ids (and its fallback's) are decimal, so the tracer copies them to the wire unchecked", () => {
    expect(service.tracer.asciiTraceIds).toBe(true);
  });
});

describe('tracing.attributes', () => {
  const generator = {} as IdGenerator;
  it.each([
    [true, ['http.request.method', 'http.route']],
    [false, []],
    [['http.route'], ['http.route']],
  ] as const)('%j selects the semantic-convention attributes recorded', async (attributes, recorded) => {
    const config = resolveIdServiceConfig({ tracing: { collectors: ['127.0.0.1:9'], attributes } });
    const { tracer } = createServiceTracing(config, generator);
    try {
      for (const name of ['http.request.method', 'http.route']) {
        expect(tracer.attributes.has(name)).toBe((recorded as readonly string[]).includes(name));
      }
    } finally {
      await tracer.close();
    }
  });

  it('records the HTTP attributes on the hops by default', async () => {
    const response = await service.http.inject({ method: 'POST', url: '/nextid' });
    const traced = await eventsFor(response.headers['x-correlation-id'] as string, 2);
    expect(traced.find((e) => e.type === 'IN')?.tags).toMatchObject({ 'http.route': '/nextid' });
    expect(traced.find((e) => e.type === 'OUT')?.tags).toEqual({ 'http.response.status_code': '200' });
  });
});
