import { describe, expect, it } from 'vitest';
import type { OtelSpan } from '../../../src/receivers/otlp/otel-span.js';
import { mapOtelSpan } from '../../../src/receivers/otlp/otel-span-mapper.js';
import { ParentResolver } from '../../../src/receivers/otlp/parent-resolver.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
function span(spanId: string, kind: number, parentSpanId?: string, extra: Partial<OtelSpan> = {}): OtelSpan {
  return {
    traceId: TRACE,
    spanId,
    parentSpanId,
    name: `op-${spanId.slice(0, 2)}`,
    kind,
    startMicros: 1_000,
    endMicros: 2_000,
    attributes: {},
    statusCode: 0,
    statusMessage: '',
    service: 'svc',
    hostname: 'h',
    zone: '',
    ...extra,
  };
}
const options = { parentWaitMillis: 1000, maxWaitingSpans: 2, maxRememberedSpans: 100 };

describe('ParentResolver', () => {
  it('holds a CLIENT span until its SERVER parent arrives, then names the parent hop', () => {
    const r = new ParentResolver(options);
    expect(r.add([span('c1c1c1c1c1c1c1c1', 3, 'a1a1a1a1a1a1a1a1')], 0)).toEqual([]);
    expect(r.waitingSpans).toBe(1);
    const ready = r.add([span('a1a1a1a1a1a1a1a1', 2, 'ffffffffffffffff')], 10);
    expect(ready.map((x) => [x.span.spanId, x.parentHopId, x.callerEndpoint])).toEqual([
      ['a1a1a1a1a1a1a1a1', undefined, ''],
      ['c1c1c1c1c1c1c1c1', 'ffffffffffffffff', 'op-a1'],
    ]);
    expect(r.waitingSpans).toBe(0);
  });

  it('passes a span on with its OTel parent after parentWaitMillis, counted', () => {
    const r = new ParentResolver(options);
    r.add([span('c1c1c1c1c1c1c1c1', 1, 'a1a1a1a1a1a1a1a1')], 0);
    expect(r.expire(999)).toEqual([]);
    const ready = r.expire(1000);
    expect(ready).toHaveLength(1);
    expect(ready[0]?.parentHopId).toBe('a1a1a1a1a1a1a1a1');
    expect(r.unresolvedParents).toBe(1);
    // A parent arriving after the wait releases nothing twice.
    expect(r.add([span('a1a1a1a1a1a1a1a1', 2)], 2000)).toHaveLength(1);
  });

  it('bounds the waiting spans: past maxWaitingSpans a span passes on at once', () => {
    const r = new ParentResolver(options);
    r.add([span('c1c1c1c1c1c1c1c1', 3, 'a1a1a1a1a1a1a1a1'), span('c2c2c2c2c2c2c2c2', 3, 'a2a2a2a2a2a2a2a2')], 0);
    const ready = r.add([span('c3c3c3c3c3c3c3c3', 3, 'a3a3a3a3a3a3a3a3')], 0);
    expect(ready.map((x) => x.span.spanId)).toEqual(['c3c3c3c3c3c3c3c3']);
    expect(r.unresolvedParents).toBe(1);
    expect(r.drain()).toHaveLength(2);
  });

  it('resolves children of INTERNAL spans to the INTERNAL span itself', () => {
    const r = new ParentResolver(options);
    const ready = r.add(
      [
        span('b1b1b1b1b1b1b1b1', 1, 'a1a1a1a1a1a1a1a1'),
        span('a1a1a1a1a1a1a1a1', 2, 'f0f0f0f0f0f0f0f0'),
        span('c1c1c1c1c1c1c1c1', 3, 'b1b1b1b1b1b1b1b1'),
      ],
      0,
    );
    const parents = Object.fromEntries(ready.map((x) => [x.span.spanId, x.parentHopId]));
    expect(parents).toEqual({
      a1a1a1a1a1a1a1a1: undefined,
      b1b1b1b1b1b1b1b1: 'f0f0f0f0f0f0f0f0',
      c1c1c1c1c1c1c1c1: 'b1b1b1b1b1b1b1b1',
    });
  });
});

describe('mapOtelSpan', () => {
  it('names an RPC client call service/method and maps gRPC errors', () => {
    const events = mapOtelSpan({
      span: span('c1c1c1c1c1c1c1c1', 3, 'a1a1a1a1a1a1a1a1', {
        attributes: {
          'rpc.system': 'grpc',
          'rpc.service': 'pkg.Ids',
          'rpc.method': 'Next',
          'rpc.grpc.status_code': '14',
        },
        statusCode: 2,
        statusMessage: 'unavailable',
      }),
      parentHopId: 'f0f0f0f0f0f0f0f0',
      callerEndpoint: 'GET /x',
    });
    expect(events.map((e) => e.type)).toEqual(['REQ', 'REP']);
    expect(events[1]).toMatchObject({
      traceId: TRACE,
      spanId: 'c1c1c1c1c1c1c1c1',
      parentSpanId: 'f0f0f0f0f0f0f0f0',
      from: 'svc',
      fromEndpoint: 'GET /x',
      to: 'pkg.Ids',
      toEndpoint: 'pkg.Ids/Next',
      errorCode: 'GRPC_14',
      errorDescription: 'unavailable',
      durationMicros: 1000,
    });
  });

  it.each([
    [4, 'producer'],
    [5, 'consumer'],
    [0, 'unspecified'],
  ])('keeps kind %i as a non-hop span tagged %s', (kind, name) => {
    const events = mapOtelSpan({
      span: span('d1d1d1d1d1d1d1d1', kind, 'a1a1a1a1a1a1a1a1'),
      parentHopId: 'e1e1e1e1e1e1e1e1',
      callerEndpoint: '',
    });
    expect(events.map((e) => e.type)).toEqual(['IN', 'OUT']);
    expect(events[0]).toMatchObject({
      spanId: 'd1d1d1d1d1d1d1d1',
      parentSpanId: 'e1e1e1e1e1e1e1e1',
      from: '',
      to: 'svc',
    });
    expect(events[0]?.tags?.['otel.span.kind']).toBe(name);
  });

  it('turns the trace id into its decimal Phosphor form when the upper half is zero', () => {
    const events = mapOtelSpan({
      span: span('a1a1a1a1a1a1a1a1', 2, undefined, { traceId: '00000000000000000000000000003039' }),
      parentHopId: undefined,
      callerEndpoint: '',
    });
    expect(events[0]?.traceId).toBe('12345');
    expect(events[0]?.spanId).toBe('a1a1a1a1a1a1a1a1');
  });
});
