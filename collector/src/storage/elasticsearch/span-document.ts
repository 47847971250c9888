import type { EventType } from '@phosphor/wire';
import type { HopTimes, Span } from '../../model/span.js';

/** Adjusted or raw times of the four events, microseconds since the epoch. */
export interface EventTimesDocument {
  req?: { us: number };
  in?: { us: number };
  out?: { us: number };
  rep?: { us: number };
}

/** ECS release the documents conform to (`ecs.version`): every ECS field written here exists in it. */
export const ECS_VERSION = '8.17.0';

/**
 * A span as stored in Elasticsearch: flat, typed, ECS names where one exists (`@timestamp`, `ecs.version`,
 * `trace.id`, `span.id`, `parent.id`, `service.name`, `host.name`, `event.outcome`, `event.duration` in
 * nanoseconds, `cloud.availability_zone`, `client.address`, `labels.*`), the Elastic APM fields Kibana's APM
 * views read (`timestamp.us`, `span.duration.us`), Phosphor-specific fields under `phosphor.*`. The mapping lives in
 * configs/elasticsearch/index-template.json; docs/kibana.md explains each field.
 */
export interface SpanDocument {
  '@timestamp': string;
  ecs: { version: string };
  timestamp: { us: number };
  trace: { id: string };
  span: { id: string; name: string; duration: { us: number } };
  parent?: { id: string };
  /** The callee: the service that handled the request. */
  service: { name: string };
  /** The callee's host (or the caller's when the callee is not instrumented). */
  host?: { name: string };
  /** `duration`: nanoseconds (ECS), the same value as `span.duration.us` (APM). */
  event: { outcome: 'success' | 'failure'; duration: number };
  /**
   * Zones: `availability_zone` of the host the document describes (as `host.name`), `origin` the caller's,
   * `target` the callee's (ECS `cloud.origin.*` / `cloud.target.*`).
   */
  cloud?: {
    availability_zone?: string;
    origin?: { availability_zone: string };
    target?: { availability_zone: string };
  };
  caller: { service: string; endpoint: string };
  callee: { service: string; endpoint: string };
  client?: { address: string };
  server?: { address: string };
  error?: { code?: string; message?: string };
  /** Tags as keyword fields; dots in keys become `_` (ECS: label keys must not contain dots). */
  labels: Record<string, string>;
  phosphor: {
    /** Start + duration: lets searches compute a trace's end without scripts. */
    end: { us: number };
    events: EventTimesDocument;
    raw_events: EventTimesDocument;
    duration: { client?: { us: number }; server?: { us: number } };
    skew: { us: number; corrected: boolean };
    missing: EventType[];
    complete: boolean;
    persistent: boolean;
    late_events: number;
    /** Original tags, stored (not indexed) only when a key had to be rewritten for `labels`. */
    tags?: Record<string, string>;
  };
}

const EVENT_KEYS: readonly [EventType, keyof EventTimesDocument][] = [
  ['REQ', 'req'],
  ['IN', 'in'],
  ['OUT', 'out'],
  ['REP', 'rep'],
];

function toTimes(times: HopTimes): EventTimesDocument {
  const out: EventTimesDocument = {};
  for (const [type, key] of EVENT_KEYS) {
    const value = times[type];
    if (value !== undefined) out[key] = { us: value };
  }
  return out;
}

function fromTimes(doc: EventTimesDocument | undefined): HopTimes {
  const out: HopTimes = {};
  if (!doc) return out;
  for (const [type, key] of EVENT_KEYS) {
    const value = doc[key]?.us;
    if (value !== undefined) out[type] = value;
  }
  return out;
}

/** ECS label keys: no dots (they would become object paths and could collide with another key). */
function labelKey(key: string): string {
  return key.includes('.') ? key.replaceAll('.', '_') : key;
}

/** Daily index of a span: `<prefix>-YYYY.MM.DD`, UTC day of the span start. */
export function indexNameFor(prefix: string, startMicros: number): string {
  const date = new Date(Math.floor(startMicros / 1000));
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + 1;
  const d = date.getUTCDate();
  return `${prefix}-${y}.${m < 10 ? '0' : ''}${m}.${d < 10 ? '0' : ''}${d}`;
}

/** Document id: a late event's updated span overwrites its earlier version instead of duplicating it. */
export function documentId(span: Pick<Span, 'traceId' | 'spanId'>): string {
  return `${span.traceId}-${span.spanId}`;
}

/** Converts a span to its stored document. */
export function toDocument(span: Span): SpanDocument {
  const labels: Record<string, string> = {};
  let rewritten = false;
  for (const key of Object.keys(span.tags)) {
    const safe = labelKey(key);
    if (safe !== key) rewritten = true;
    labels[safe] = span.tags[key] as string;
  }
  const doc: SpanDocument = {
    '@timestamp': new Date(Math.floor(span.startMicros / 1000)).toISOString(),
    ecs: { version: ECS_VERSION },
    timestamp: { us: span.startMicros },
    trace: { id: span.traceId },
    span: { id: span.spanId, name: `${span.to} ${span.toEndpoint}`, duration: { us: span.durationMicros } },
    service: { name: span.to },
    event: { outcome: span.errorCode ? 'failure' : 'success', duration: span.durationMicros * 1000 },
    caller: { service: span.from, endpoint: span.fromEndpoint },
    callee: { service: span.to, endpoint: span.toEndpoint },
    labels,
    phosphor: {
      end: { us: span.startMicros + span.durationMicros },
      events: toTimes(span.events),
      raw_events: toTimes(span.rawEvents),
      duration: {},
      skew: { us: span.skewMicros, corrected: span.skewCorrected },
      missing: span.missing,
      complete: span.missing.length === 0,
      persistent: span.persistent === true,
      late_events: span.lateEvents ?? 0,
    },
  };
  if (span.parentSpanId) doc.parent = { id: span.parentSpanId };
  const hostName = span.serverHost ?? span.clientHost;
  if (hostName) doc.host = { name: hostName };
  if (span.clientHost) doc.client = { address: span.clientHost };
  if (span.serverHost) doc.server = { address: span.serverHost };
  if (span.clientZone || span.serverZone) {
    const cloud: NonNullable<SpanDocument['cloud']> = {};
    // The zone of the host in host.name: the callee's, or the caller's when the callee is not instrumented.
    const hostZone = span.serverHost
      ? span.serverZone
      : span.clientHost
        ? span.clientZone
        : (span.serverZone ?? span.clientZone);
    if (hostZone) cloud.availability_zone = hostZone;
    if (span.clientZone) cloud.origin = { availability_zone: span.clientZone };
    if (span.serverZone) cloud.target = { availability_zone: span.serverZone };
    doc.cloud = cloud;
  }
  if (span.errorCode || span.errorDescription) {
    doc.error = {};
    if (span.errorCode) doc.error.code = span.errorCode;
    if (span.errorDescription) doc.error.message = span.errorDescription;
  }
  if (span.clientDurationMicros !== undefined) doc.phosphor.duration.client = { us: span.clientDurationMicros };
  if (span.serverDurationMicros !== undefined) doc.phosphor.duration.server = { us: span.serverDurationMicros };
  if (rewritten) doc.phosphor.tags = { ...span.tags };
  return doc;
}

/** Rebuilds the API span from a stored document (inverse of {@link toDocument}). */
export function fromDocument(doc: SpanDocument): Span {
  const p = doc.phosphor;
  const span: Span = {
    traceId: doc.trace.id,
    spanId: doc.span.id,
    from: doc.caller.service,
    fromEndpoint: doc.caller.endpoint,
    to: doc.callee.service,
    toEndpoint: doc.callee.endpoint,
    events: fromTimes(p.events),
    rawEvents: fromTimes(p.raw_events),
    skewMicros: p.skew.us,
    skewCorrected: p.skew.corrected,
    missing: [...p.missing],
    startMicros: doc.timestamp.us,
    durationMicros: doc.span.duration.us,
    tags: p.tags ? { ...p.tags } : { ...doc.labels },
  };
  if (doc.parent) span.parentSpanId = doc.parent.id;
  if (doc.client?.address) span.clientHost = doc.client.address;
  if (doc.cloud?.origin) span.clientZone = doc.cloud.origin.availability_zone;
  if (doc.server?.address) span.serverHost = doc.server.address;
  if (doc.cloud?.target) span.serverZone = doc.cloud.target.availability_zone;
  if (p.duration.client) span.clientDurationMicros = p.duration.client.us;
  if (p.duration.server) span.serverDurationMicros = p.duration.server.us;
  if (doc.error?.code) span.errorCode = doc.error.code;
  if (doc.error?.message) span.errorDescription = doc.error.message;
  if (p.persistent) span.persistent = true;
  if (p.late_events > 0) span.lateEvents = p.late_events;
  return span;
}
