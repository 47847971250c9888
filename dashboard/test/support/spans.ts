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
