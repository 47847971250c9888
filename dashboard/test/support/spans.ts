/** Hand-built spans for small, exact tests. */
import type { HopTimes, Span } from '../../src/api/types.js';

/** A complete span (all four events) from `start` lasting `duration` µs; fields overridable. */
export function span(
  spanId: string,
  parentSpanId: string | undefined,
  start: number,
  duration: number,
  extra: Partial<Span> = {},
): Span {
  const events: HopTimes = { REQ: start, IN: start + 1, OUT: start + duration - 1, REP: start + duration };
  const s: Span = {
    traceId: 't1',
    spanId,
    from: 'caller',
    fromEndpoint: 'run',
    to: `svc-${spanId}`,
    toEndpoint: 'op',
    events,
    rawEvents: events,
    skewMicros: 0,
    skewCorrected: false,
    missing: [],
    startMicros: start,
    durationMicros: duration,
    clientDurationMicros: duration,
    serverDurationMicros: duration - 2,
    tags: {},
    ...extra,
  };
  if (parentSpanId) s.parentSpanId = parentSpanId;
  return s;
}

/**
 * A curl → gateway trace with the three kinds of missing events: the entry span (root, IN/OUT
 * only: curl is not instrumented), a Redis call (leaf, REQ/REP only: Redis has no tracer) and a
 * genuinely partial call to `quotes` (IN arrived, OUT and REP lost).
 */
export function entryTrace(traceId = 't1'): Span[] {
  const T = 1_700_000_000_000_000;
  const entry = span('e', undefined, T, 10_000, {
    traceId,
    from: '',
    fromEndpoint: '',
    to: 'gateway',
    toEndpoint: 'GET /quote/:symbol',
    missing: ['REQ', 'REP'],
    events: { IN: T, OUT: T + 10_000 },
    serverDurationMicros: 10_000,
  });
  delete entry.clientDurationMicros;
  const redis = span('r', 'e', T + 1_000, 500, {
    traceId,
    from: 'gateway',
    to: 'redis',
    toEndpoint: 'GET',
    missing: ['IN', 'OUT'],
    events: { REQ: T + 1_000, REP: T + 1_500 },
  });
  delete redis.serverDurationMicros;
  const lost = span('q', 'e', T + 2_000, 6_000, {
    traceId,
    from: 'gateway',
    to: 'quotes',
    toEndpoint: 'get',
    missing: ['OUT', 'REP'],
    events: { REQ: T + 2_000, IN: T + 2_100 },
  });
  delete lost.clientDurationMicros;
  delete lost.serverDurationMicros;
  for (const s of [entry, redis, lost]) s.rawEvents = s.events;
  return [entry, redis, lost];
}
