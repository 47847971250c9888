import type { EventType } from '@phosphor/wire';

/** Timestamps of a hop's four events, microseconds since the epoch; absent when missing. */
export interface HopTimes {
  REQ?: number;
  IN?: number;
  OUT?: number;
  REP?: number;
}

/**
 * Tag on spans that are not RPC hops (OpenTelemetry INTERNAL, PRODUCER, CONSUMER or unspecified
 * kind, received over OTLP): such spans are stored, shown and searchable, but stay out of the
 * endpoint/edge aggregates and the dependency graph.
 */
export const NON_HOP_KIND_TAG = 'otel.span.kind';

/**
 * One RPC hop, assembled from its REQ/IN/OUT/REP events. This is the shape of the HTTP API
 * (`GET /api/traces/:traceId`), the storage interface and the live tail.
 */
export interface Span {
  traceId: string;
  spanId: string;
  /** Undefined for a root span. */
  parentSpanId?: string;
  /** Caller service and endpoint (from REQ/REP, or from IN/OUT when the caller is not instrumented). */
  from: string;
  fromEndpoint: string;
  /** Callee service and endpoint. */
  to: string;
  toEndpoint: string;
  /** Host that recorded REQ/REP. */
  clientHost?: string;
  clientZone?: string;
  /** Host that recorded IN/OUT. */
  serverHost?: string;
  serverZone?: string;
  /** Skew-adjusted times (server events shifted by `skewMicros`); equal to rawEvents when uncorrected. */
  events: HopTimes;
  /** Times as received. */
  rawEvents: HopTimes;
  /** Offset added to the server host's times (0 when no correction was applied). */
  skewMicros: number;
  /** True when a clock-skew correction moved this span's server events. */
  skewCorrected: boolean;
  /** Event types that never arrived (empty for a complete span). */
  missing: EventType[];
  /** REP duration as the caller measured it. */
  clientDurationMicros?: number;
  /** OUT duration as the callee measured it. */
  serverDurationMicros?: number;
  /** Earliest adjusted event time: the span's start on the trace's time axis. */
  startMicros: number;
  /** Client duration if known, else server duration, else the spread of the events present. */
  durationMicros: number;
  errorCode?: string;
  errorDescription?: string;
  /** Tags of all four events merged (server-side keys win on conflict). */
  tags: Record<string, string>;
  /** Persistent flag: keep whatever the sampling. */
  persistent?: boolean;
  /** Events that arrived after the span was first emitted. */
  lateEvents?: number;
}

/** Search filter for `GET /api/traces`; a trace matches when any of its spans matches all given fields. */
export interface TraceQuery {
  service?: string;
  endpoint?: string;
  minDurationMicros?: number;
  maxDurationMicros?: number;
  /** true: only traces with an error; false: only traces without. */
  error?: boolean;
  /** Tag equality filters, all must hold on one span. */
  tags?: Record<string, string>;
  /** Trace start bounds, microseconds since the epoch. */
  sinceMicros?: number;
  untilMicros?: number;
  limit: number;
}

/** One row of a trace search result. */
export interface TraceSummary {
  traceId: string;
  /** The callee of the root span (no parent); while that span is not stored, of the earliest span whose parent is missing. */
  rootService: string;
  rootEndpoint: string;
  /**
   * False while the trace has no span without a parent (the root is still in progress or was lost):
   * `rootService`/`rootEndpoint` then name a span whose caller's span is missing — what Jaeger shows as
   * a trace without a root span.
   */
  rootSeen: boolean;
  startMicros: number;
  durationMicros: number;
  spanCount: number;
  errorCount: number;
  services: string[];
}
