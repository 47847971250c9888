import { EventFlags, type EventType, type TraceEvent } from '@phosphor/tracer/wire';
import type { HopTimes, Span } from '../model/span.js';

/** The events received so far for one hop, by type. */
export interface HopEvents {
  REQ?: TraceEvent;
  IN?: TraceEvent;
  OUT?: TraceEvent;
  REP?: TraceEvent;
}

const ALL_TYPES: readonly EventType[] = ['REQ', 'IN', 'OUT', 'REP'];

/**
 * Builds a span from the events of one hop, with no skew correction (`events` equals
 * `rawEvents`); {@link adjustSpanSkew} shifts it afterwards. At least one event must be present.
 */
export function buildSpan(hop: HopEvents, lateEvents = 0): Span {
  const { REQ, IN, OUT, REP } = hop;
  const any = (REQ ?? IN ?? OUT ?? REP) as TraceEvent;
  const client = REQ ?? REP;
  const server = IN ?? OUT;
  const raw: HopTimes = {};
  const missing: EventType[] = [];
  for (const type of ALL_TYPES) {
    const event = hop[type];
    if (event) raw[type] = event.timestampMicros;
    else missing.push(type);
  }
  const span: Span = {
    traceId: any.traceId,
    spanId: any.spanId,
    from: client?.from || server?.from || '',
    fromEndpoint: client?.fromEndpoint || server?.fromEndpoint || '',
    to: server?.to || client?.to || '',
    toEndpoint: server?.toEndpoint || client?.toEndpoint || '',
    events: { ...raw },
    rawEvents: raw,
    skewMicros: 0,
    skewCorrected: false,
    missing,
    startMicros: 0,
    durationMicros: 0,
    tags: {},
  };
  const parent = REQ?.parentSpanId || IN?.parentSpanId || OUT?.parentSpanId || REP?.parentSpanId;
  if (parent) span.parentSpanId = parent;
  if (client) {
    span.clientHost = client.hostname;
    const zone = REQ?.zone || REP?.zone;
    if (zone) span.clientZone = zone;
  }
  if (server) {
    span.serverHost = server.hostname;
    const zone = IN?.zone || OUT?.zone;
    if (zone) span.serverZone = zone;
  }
  const clientDuration = REP?.durationMicros ?? (REQ && REP ? REP.timestampMicros - REQ.timestampMicros : undefined);
  if (clientDuration !== undefined) span.clientDurationMicros = clientDuration;
  const serverDuration = OUT?.durationMicros ?? (IN && OUT ? OUT.timestampMicros - IN.timestampMicros : undefined);
  if (serverDuration !== undefined) span.serverDurationMicros = serverDuration;
  // The callee's error is the most specific; the caller's covers timeouts and transport failures.
  const errorEvent = OUT?.errorCode ? OUT : REP?.errorCode ? REP : undefined;
  if (errorEvent) {
    span.errorCode = errorEvent.errorCode as string;
    if (errorEvent.errorDescription) span.errorDescription = errorEvent.errorDescription;
  }
  // Client tags first so server-side keys win on conflict.
  for (const event of [REQ, REP, IN, OUT]) {
    if (event?.tags) Object.assign(span.tags, event.tags);
    if (event?.flags !== undefined && (event.flags & EventFlags.persistent) !== 0) span.persistent = true;
  }
  if (lateEvents > 0) span.lateEvents = lateEvents;
  finishTimes(span);
  return span;
}

/** Recomputes `startMicros` and `durationMicros` from the (adjusted) events. */
export function finishTimes(span: Span): void {
  const e = span.events;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const type of ALL_TYPES) {
    const t = e[type];
    if (t === undefined) continue;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  span.startMicros = min === Number.POSITIVE_INFINITY ? 0 : min;
  span.durationMicros = span.clientDurationMicros ?? span.serverDurationMicros ?? (max > min ? max - min : 0);
}
