import type { Batch, EventType, TraceEvent } from '@phosphor/wire';
import { HopJoiner } from '../../src/engine/hop-joiner.js';
import type { Span } from '../../src/model/span.js';

/** Describes one RPC hop for tests: the four timestamps on their hosts' clocks. */
export interface HopSpec {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  from?: string;
  fromEndpoint?: string;
  to?: string;
  toEndpoint?: string;
  clientHost?: string;
  serverHost?: string;
  /** Raw timestamps (µs); omit a type to leave its event out. */
  times: Partial<Record<EventType, number>>;
  errorCode?: string;
  tags?: Record<string, string>;
}

/** The events of a hop, REQ/IN/OUT/REP order, with durations on OUT and REP as a tracer would set them. */
export function hopEvents(spec: HopSpec): TraceEvent[] {
  const events: TraceEvent[] = [];
  const { times } = spec;
  for (const type of ['REQ', 'IN', 'OUT', 'REP'] as const) {
    const t = times[type];
    if (t === undefined) continue;
    const client = type === 'REQ' || type === 'REP';
    const event: TraceEvent = {
      type,
      traceId: spec.traceId,
      spanId: spec.spanId,
      from: spec.from ?? 'caller',
      fromEndpoint: spec.fromEndpoint ?? 'call',
      to: spec.to ?? 'callee',
      toEndpoint: spec.toEndpoint ?? 'handle',
      timestampMicros: t,
      hostname: (client ? spec.clientHost : spec.serverHost) ?? (client ? 'client-host' : 'server-host'),
    };
    if (spec.parentSpanId) event.parentSpanId = spec.parentSpanId;
    if (type === 'OUT' && times.IN !== undefined) event.durationMicros = t - times.IN;
    if (type === 'REP' && times.REQ !== undefined) event.durationMicros = t - times.REQ;
    if (spec.errorCode && (type === 'OUT' || type === 'REP')) event.errorCode = spec.errorCode;
    if (spec.tags) event.tags = spec.tags;
    events.push(event);
  }
  return events;
}

/** A batch header for encodeBatch. */
export function batchOf(events: TraceEvent[], sequence = 0, tracerId = 'tracer-1'): Batch {
  return {
    tracerId,
    sequence,
    service: 'test',
    hostname: 'test-host',
    sentAtMicros: 1_700_000_000_000_000,
    drops: { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 },
    events,
  };
}

/** The shared seeded PRNG, re-exported for the collector's tests. */
export { prng } from '../../../test/support/helpers.js';

/** Fisher–Yates shuffle with a given random source. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * The span the engine assembles from `spec`'s events, as emitted (no skew correction, nothing
 * remembered): the hop joiner itself builds it, so tests of what consumes spans see real ones.
 */
export function spanOf(spec: HopSpec): Span {
  const spans: Span[] = [];
  const joiner = new HopJoiner(
    {
      spanTimeoutMillis: 60_000,
      maxPendingSpans: 16,
      skewCorrection: false,
      lateWindowMillis: 0,
      maxRememberedSpans: 0,
      finishEntrySpans: false,
    },
    (batch) => spans.push(...batch),
  );
  joiner.addEvents(hopEvents(spec));
  joiner.flushAll();
  if (spans.length !== 1) throw new Error(`expected one span from the hop's events, got ${spans.length}`);
  return spans[0] as Span;
}
