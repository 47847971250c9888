import { EventFlags, type EventType, type TraceEvent } from '@phosphor/wire';
import type { HopTimes, Span } from '../model/span.js';

/** The events received so far for one hop, by type. */
export interface HopEvents {
  REQ?: TraceEvent | undefined;
  IN?: TraceEvent | undefined;
  OUT?: TraceEvent | undefined;
  REP?: TraceEvent | undefined;
}

const ALL_TYPES: readonly EventType[] = ['REQ', 'IN', 'OUT', 'REP'];
/** Bit of each event type in a presence mask. */
const REQ_BIT = 1;
const IN_BIT = 2;
const OUT_BIT = 4;
const REP_BIT = 8;

/**
 * `missing` lists for each presence mask, built once and frozen: spans are stored by the hundred
 * thousand, and most share one of a few lists (none missing, or REQ/REP missing on a root span).
 */
const MISSING_BY_MASK: readonly EventType[][] = Array.from(
  { length: 16 },
  (_, mask) => Object.freeze(ALL_TYPES.filter((_, bit) => (mask & (1 << bit)) === 0)) as EventType[],
);
/** Shared by every span without tags (frozen: no code path writes to a span's tags). */
const NO_TAGS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * Builds a span from the events of one hop, with no skew correction (`events` is `rawEvents`);
 * {@link adjustSpanSkew} shifts it afterwards. At least one event must be present. `missing`
 * and an empty `tags` are shared frozen values; `events`/`rawEvents` are never modified in place.
 */
export function buildSpan(hop: HopEvents, lateEvents = 0): Span {
  const REQ = hop.REQ;
  const IN = hop.IN;
  const OUT = hop.OUT;
  const REP = hop.REP;
  const any = (REQ ?? IN ?? OUT ?? REP) as TraceEvent;
  const client = REQ ?? REP;
  const server = IN ?? OUT;
  // Insertion order REQ, IN, OUT, REP keeps the JSON key order stable.
  const raw: HopTimes = {};
  let mask = 0;
  if (REQ !== undefined) {
    raw.REQ = REQ.timestampMicros;
    mask |= REQ_BIT;
  }
  if (IN !== undefined) {
    raw.IN = IN.timestampMicros;
    mask |= IN_BIT;
  }
  if (OUT !== undefined) {
    raw.OUT = OUT.timestampMicros;
    mask |= OUT_BIT;
  }
  if (REP !== undefined) {
    raw.REP = REP.timestampMicros;
    mask |= REP_BIT;
  }
  const clientDuration = REP?.durationMicros ?? (REQ && REP ? REP.timestampMicros - REQ.timestampMicros : undefined);
  const serverDuration = OUT?.durationMicros ?? (IN && OUT ? OUT.timestampMicros - IN.timestampMicros : undefined);
  // The callee's error is the most specific; the caller's covers timeouts and transport failures.
  const errorEvent = OUT?.errorCode ? OUT : REP?.errorCode ? REP : undefined;
  // Every optional field is in the literal (undefined when absent, which JSON leaves out): spans
  // are retained by the hundred thousand, and adding properties later would give each one an
  // out-of-object property array and walk five shape transitions per span.
  const span: Span = {
    traceId: any.traceId,
    spanId: any.spanId,
    parentSpanId: REQ?.parentSpanId || IN?.parentSpanId || OUT?.parentSpanId || REP?.parentSpanId || undefined,
    from: client?.from || server?.from || '',
    fromEndpoint: client?.fromEndpoint || server?.fromEndpoint || '',
    to: server?.to || client?.to || '',
    toEndpoint: server?.toEndpoint || client?.toEndpoint || '',
    clientHost: client?.hostname,
    clientZone: client ? REQ?.zone || REP?.zone || undefined : undefined,
    serverHost: server?.hostname,
    serverZone: server ? IN?.zone || OUT?.zone || undefined : undefined,
    events: raw,
    rawEvents: raw,
    skewMicros: 0,
    skewCorrected: false,
    missing: MISSING_BY_MASK[mask] as EventType[],
    clientDurationMicros: clientDuration,
    serverDurationMicros: serverDuration,
    startMicros: 0,
    durationMicros: 0,
    errorCode: errorEvent?.errorCode,
    errorDescription: errorEvent?.errorDescription || undefined,
    tags: mergeTags(REQ, REP, IN, OUT),
    persistent: isPersistent(REQ) || isPersistent(REP) || isPersistent(IN) || isPersistent(OUT) || undefined,
    lateEvents: lateEvents > 0 ? lateEvents : undefined,
  };
  finishTimes(span);
  return span;
}

function isPersistent(event: TraceEvent | undefined): boolean {
  return event?.flags !== undefined && (event.flags & EventFlags.persistent) !== 0;
}

/** Tags of the events merged, client first so server-side keys win on conflict. */
function mergeTags(
  a: TraceEvent | undefined,
  b: TraceEvent | undefined,
  c: TraceEvent | undefined,
  d: TraceEvent | undefined,
): Record<string, string> {
  const ta = a?.tags;
  const tb = b?.tags;
  const tc = c?.tags;
  const td = d?.tags;
  if (ta === undefined && tb === undefined && tc === undefined && td === undefined) return NO_TAGS;
  return Object.assign({}, ta, tb, tc, td);
}

/** Recomputes `startMicros` and `durationMicros` from the (adjusted) events. */
export function finishTimes(span: Span): void {
  const e = span.events;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const { REQ, IN, OUT, REP } = e;
  if (REQ !== undefined) {
    min = REQ;
    max = REQ;
  }
  if (IN !== undefined) {
    if (IN < min) min = IN;
    if (IN > max) max = IN;
  }
  if (OUT !== undefined) {
    if (OUT < min) min = OUT;
    if (OUT > max) max = OUT;
  }
  if (REP !== undefined) {
    if (REP < min) min = REP;
    if (REP > max) max = REP;
  }
  span.startMicros = min === Number.POSITIVE_INFINITY ? 0 : min;
  span.durationMicros = span.clientDurationMicros ?? span.serverDurationMicros ?? (max > min ? max - min : 0);
}
