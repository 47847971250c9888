import { gzipSync } from 'node:zlib';
import { credentials, status as GrpcStatus, makeGenericClientConstructor } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector, CollectorAddresses } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { ExportTraceServiceRequest, ExportTraceServiceResponse, RpcStatus } from '../../../src/otlp/otlp-schema.js';
import { testCollector } from '../../support/collector.js';

const NOW_NANOS = BigInt(Date.now()) * 1_000_000n;
const MAX_REQUEST_BYTES = 8192;
const MAX_DECOMPRESSED_BYTES = 64 * 1024;

function jsonSpan(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
    name: 'GET /x',
    kind: 2,
    startTimeUnixNano: String(NOW_NANOS),
    endTimeUnixNano: String(NOW_NANOS + 1_000_000n),
    ...overrides,
  };
}

function jsonRequest(spans: Record<string, unknown>[]): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [{ spans }],
      },
    ],
  });
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

let collector: Collector;
let ports: CollectorAddresses;
let url: string;

beforeAll(async () => {
  collector = await testCollector({
    otlp: {
      http: { maxRequestBytes: MAX_REQUEST_BYTES, maxDecompressedBytes: MAX_DECOMPRESSED_BYTES },
      grpc: { maxRequestBytes: MAX_REQUEST_BYTES },
    },
  });
  ports = await collector.start();
  url = `http://127.0.0.1:${ports.otlpHttpPort}/v1/traces`;
});
afterAll(() => collector.close());

async function post(body: Buffer | string, headers: Record<string, string>, target = url) {
  const response = await fetch(target, { method: 'POST', body, headers });
  return {
    status: response.status,
    body: Buffer.from(await response.arrayBuffer()),
    type: response.headers.get('content-type'),
  };
}

describe('OTLP/HTTP bad input', () => {
  it('answers garbage protobuf with 400 and a google.rpc.Status naming the problem', async () => {
    const res = await post(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]), {
      'content-type': 'application/x-protobuf',
    });
    expect(res.status).toBe(400);
    const status = RpcStatus.toObject(RpcStatus.decode(res.body)) as { code: number; message: string };
    expect(status.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(status.message).toMatch(/^malformed: not an OTLP protobuf/);
  });

  it('answers invalid JSON and a JSON body of the wrong shape with 400', async () => {
    const a = await post('{"resourceSpans": [', { 'content-type': 'application/json' });
    expect(a.status).toBe(400);
    expect(JSON.parse(a.body.toString()).message).toMatch(/^malformed: not valid JSON/);
    const b = await post('{"resourceSpans": 7}', { 'content-type': 'application/json; charset=utf-8' });
    expect(b.status).toBe(400);
    expect(JSON.parse(b.body.toString()).message).toContain('resourceSpans: must be an array');
  });

  it('answers an unknown Content-Type with 415 and an unknown Content-Encoding with 400', async () => {
    expect((await post('hello', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('x', { 'content-type': 'application/json', 'content-encoding': 'br' })).status).toBe(400);
  });

  it('refuses an oversized body with 413, declared or streamed', async () => {
    const big = jsonRequest([jsonSpan({ name: 'x'.repeat(MAX_REQUEST_BYTES) })]);
    expect((await post(big, { 'content-type': 'application/json' })).status).toBe(413);
  });

  it('refuses a gzip bomb with 413 without inflating it, and bad gzip with 400', async () => {
    // Small enough to pass the request limit, inflating far past maxDecompressedBytes.
    const small = gzipSync(Buffer.alloc(MAX_DECOMPRESSED_BYTES * 4));
    expect(small.length).toBeLessThan(MAX_REQUEST_BYTES);
    const res = await post(small, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    const bad = await post(Buffer.from('not gzip at all'), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });
    expect(bad.status).toBe(400);
  });

  it('accepts gzip JSON and reports invalid spans as partial_success, counting each reason', async () => {
    const before = collector.otlp.stats();
    const body = gzipSync(
      jsonRequest([
        jsonSpan(),
        jsonSpan({ traceId: 'abc' }),
        jsonSpan({ spanId: '0000000000000000' }),
        jsonSpan({ parentSpanId: 'zz' }),
        jsonSpan({ endTimeUnixNano: '1' }),
        jsonSpan({ kind: 9 }),
      ]),
    );
    const res = await post(body, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.body.toString());
    expect(answer.partialSuccess.rejectedSpans).toBe('5');
    expect(answer.partialSuccess.errorMessage).toContain('traceId');
    const after = collector.otlp.stats();
    expect(after.acceptedSpans - before.acceptedSpans).toBe(1);
    for (const reason of [
      'invalid_trace_id',
      'invalid_span_id',
      'invalid_parent_span_id',
      'invalid_timestamps',
      'invalid_kind',
    ] as const) {
      expect(after.rejectedSpans[reason] - before.rejectedSpans[reason]).toBe(1);
    }
  });

  it('survives attribute values nested deeper than any decoder stack (malformed, never a crash)', async () => {
    const deep = await testCollector({
      otlp: { http: { maxRequestBytes: 64 * 1024 * 1024 }, grpc: { enabled: false } },
    });
    const deepPorts = await deep.start();
    try {
      // AnyValue{array_value: ArrayValue{values: [AnyValue{…}]}} nested 500,000 deep inside one span;
      // headers are built innermost first so the body is assembled in linear time.
      const headers: Buffer[] = [];
      let length = 0;
      for (let i = 0; i < 500_000; i++) {
        const inner = 1 + varint(length).length + length;
        headers.push(Buffer.concat([varint((5 << 3) | 2), varint(inner), varint((1 << 3) | 2), varint(length)]));
        length = 1 + varint(inner).length + inner;
      }
      const value = Buffer.concat(headers.reverse());
      const frame = (field: number, body: Buffer) =>
        Buffer.concat([varint((field << 3) | 2), varint(body.length), body]);
      const span = Buffer.concat([
        frame(1, Buffer.alloc(16, 1)),
        frame(2, Buffer.alloc(8, 2)),
        frame(9, frame(2, value)),
      ]);
      const target = `http://127.0.0.1:${deepPorts.otlpHttpPort}/v1/traces`;
      const res = await post(frame(1, frame(2, frame(2, span))), { 'content-type': 'application/x-protobuf' }, target);
      expect(res.status).toBe(400);
      expect(deep.otlp.stats().rejectedRequests.malformed).toBe(1);
      expect((await post('{}', { 'content-type': 'application/json' }, target)).status).toBe(200);
    } finally {
      await deep.close();
    }
  });

  it('answers a protobuf request with a protobuf ExportTraceServiceResponse', async () => {
    const request = ExportTraceServiceRequest.encode(
      ExportTraceServiceRequest.fromObject({ resourceSpans: [] }),
    ).finish();
    const res = await post(Buffer.from(request), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/x-protobuf');
    expect(ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(res.body))).toEqual({});
  });

  it('answers other paths with 404 and other methods with 405', async () => {
    expect(
      (await post('{}', { 'content-type': 'application/json' }, url.replace('/v1/traces', '/v1/logs'))).status,
    ).toBe(404);
    expect((await fetch(url)).status).toBe(405);
  });

  it('counts every refusal by reason in stats and /metrics, and still accepts good requests', async () => {
    const stats = collector.otlp.stats();
    expect(stats.rejectedRequests).toMatchObject({
      malformed: 3,
      unsupported_media_type: 1,
      bad_encoding: 2,
      too_large: 1,
      decompressed_too_large: 1,
      not_found: 1,
    });
    const metrics = await (await fetch(`${ports.httpUrl}/metrics`)).text();
    expect(metrics).toContain('phosphor_collector_otlp_rejected_requests_total{reason="malformed"} 3');
    expect(metrics).toContain('phosphor_collector_otlp_rejected_spans_total{reason="invalid_trace_id"} 1');
    const api = (await (await fetch(`${ports.httpUrl}/api/stats`)).json()) as { otlp: { rejectedRequests: object } };
    expect(api.otlp.rejectedRequests).toMatchObject({ malformed: 3 });
    const ok = await post(jsonRequest([jsonSpan({ spanId: '1111111111111111' })]), {
      'content-type': 'application/json',
    });
    expect(ok.status).toBe(200);
  });
});

describe('OTLP/gRPC bad input', () => {
  const Client = makeGenericClientConstructor({}, 'TraceService');
  const call = (payload: Buffer) =>
    new Promise<{ code: number; details: string }>((resolve) => {
      const client = new Client(`127.0.0.1:${ports.otlpGrpcPort}`, credentials.createInsecure());
      client.makeUnaryRequest(
        '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        (b: Buffer) => b,
        (b: Buffer) => b,
        payload,
        (err) => {
          client.close();
          resolve(err ? { code: err.code ?? -1, details: err.details ?? '' } : { code: GrpcStatus.OK, details: '' });
        },
      );
    });

  it('answers garbage with INVALID_ARGUMENT and an oversized message with RESOURCE_EXHAUSTED, counted', async () => {
    const before = collector.otlp.stats().rejectedRequests;
    const garbage = await call(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1]));
    expect(garbage.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(garbage.details).toMatch(/^malformed:/);
    const big = await call(Buffer.alloc(MAX_REQUEST_BYTES + 10, 0));
    expect(big.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    const after = collector.otlp.stats().rejectedRequests;
    expect(after.malformed - before.malformed).toBe(1);
    expect(after.too_large - before.too_large).toBe(1);
    const empty = await call(Buffer.alloc(0));
    expect(empty.code).toBe(GrpcStatus.OK);
  });
});

describe('otlp config', () => {
  it('rejects bad values and unknown keys naming the key', () => {
    expect(() => loadConfig({ values: { otlp: { http: { port: 70000 } } } })).toThrow(/otlp\.http\.port/);
    expect(() => loadConfig({ values: { otlp: { grpc: { endpoint: 'x' } } } })).toThrow(/endpoint/);
    expect(() => loadConfig({ values: { otlp: { http: { maxRequestBytes: 10 } } } })).toThrow(/maxRequestBytes/);
  });

  it('fails to start naming the listener when its port is taken', async () => {
    const taken = await testCollector({ otlp: { grpc: { enabled: false }, http: { port: ports.otlpHttpPort } } });
    await expect(taken.start()).rejects.toThrow(/COL_ERR_OTLP_BIND: otlp\.http: cannot listen on 127\.0\.0\.1:\d+/);
    await taken.close();
  });

  it('turns listeners off', async () => {
    const off = await testCollector({ otlp: { http: { enabled: false }, grpc: { enabled: false } } });
    const addresses = await off.start();
    expect(addresses.otlpHttpPort).toBeUndefined();
    expect(addresses.otlpGrpcPort).toBeUndefined();
    expect(off.otlp.health().status).toBe('Deactivated');
    await off.close();
  });
});
