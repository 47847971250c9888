import { randomBytes } from 'node:crypto';
import type { Span } from '../../../src/model/span.js';

/** 2025-03-04T05:06:07.000Z in microseconds: a fixed day so index names are predictable. */
export const BASE_MICROS = Date.UTC(2025, 2, 4, 5, 6, 7) * 1000;

/** A random 16-hex span id. */
export function spanId(): string {
  return randomBytes(8).toString('hex');
}

/** A random decimal trace id (Flaki style). */
export function traceId(): string {
  return BigInt(`0x${randomBytes(7).toString('hex')}`).toString(10);
}

/** A complete span with every optional field set; override what a test cares about. */
export function makeSpan(overrides: Partial<Span> = {}): Span {
  const start = overrides.startMicros ?? BASE_MICROS;
  const span: Span = {
    traceId: traceId(),
    spanId: spanId(),
    from: 'gateway',
    fromEndpoint: 'GET /id',
    to: 'id-generator',
    toEndpoint: 'NextID',
    clientHost: 'host-a',
    clientZone: 'zone-1',
    serverHost: 'host-b',
    serverZone: 'zone-2',
    events: { REQ: start, IN: start + 100, OUT: start + 900, REP: start + 1000 },
    rawEvents: { REQ: start, IN: start + 150, OUT: start + 950, REP: start + 1000 },
    skewMicros: -50,
    skewCorrected: true,
    missing: [],
    clientDurationMicros: 1000,
    serverDurationMicros: 800,
    startMicros: start,
    durationMicros: 1000,
    tags: { correlation_id: 'c-1', 'http.method': 'GET' },
    ...overrides,
  };
  return span;
}

/** A trace of `count` spans: one root and children of it, starting 10 µs apart. */
export function makeTrace(count: number, overrides: Partial<Span> = {}): Span[] {
  const id = overrides.traceId ?? traceId();
  const root = makeSpan({ ...overrides, traceId: id });
  delete root.parentSpanId;
  const spans = [root];
  for (let i = 1; i < count; i++) {
    const start = root.startMicros + i * 10;
    spans.push(
      makeSpan({
        ...overrides,
        traceId: id,
        parentSpanId: root.spanId,
        from: 'id-generator',
        fromEndpoint: 'NextID',
        to: 'store',
        toEndpoint: 'Lease',
        startMicros: start,
        events: { REQ: start, IN: start + 1, OUT: start + 5, REP: start + 6 },
        rawEvents: { REQ: start, IN: start + 1, OUT: start + 5, REP: start + 6 },
        durationMicros: 6,
      }),
    );
  }
  return spans;
}
