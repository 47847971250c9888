/**
 * The four events of an RPC hop, as the tracer records them and the collector receives them.
 * Field names here are the public vocabulary: `tracer.emit()`, docs/wire-format.md and the
 * collector API all use them.
 */
export type EventType = 'REQ' | 'IN' | 'OUT' | 'REP';

/** All event types in hop order. */
export const EVENT_TYPES: readonly EventType[] = ['REQ', 'IN', 'OUT', 'REP'];

/** Event flag bits (wire field `flags`). */
export const EventFlags = {
  /** The trace was sampled in at its root. */
  sampled: 1,
  /** Keep this trace whatever the sampling (Hailo's persistentTrace). */
  persistent: 2,
} as const;

export interface TraceEvent {
  type: EventType;
  /** Correlation id: decimal 64-bit id, or 32 hex chars from a foreign traceparent. */
  traceId: string;
  /** 16 hex chars, shared by REQ/IN/OUT/REP of one hop. */
  spanId: string;
  /** Empty string or undefined for a root span. */
  parentSpanId?: string;
  /** Caller service. */
  from: string;
  fromEndpoint: string;
  /** Callee service. */
  to: string;
  toEndpoint: string;
  /** Microseconds since the Unix epoch, on the recording host's clock. */
  timestampMicros: number;
  hostname: string;
  zone?: string;
  /** OUT: handler duration; REP: round-trip duration. */
  durationMicros?: number;
  errorCode?: string;
  errorDescription?: string;
  tags?: Record<string, string>;
  /** Bit set of {@link EventFlags}; defaults to sampled. */
  flags?: number;
}

/** Cumulative drop counters a tracer reports in every datagram. */
export interface DropCounters {
  bufferFull: number;
  tooLarge: number;
  sendError: number;
  sampledOut: number;
}

/** The per-datagram header fields besides the events. */
export interface BatchHeader {
  tracerId: string;
  /** Wraps at 2^32. */
  sequence: number;
  service: string;
  hostname: string;
  drops: DropCounters;
  sentAtMicros: number;
}

/** A decoded datagram. */
export interface Batch extends BatchHeader {
  events: TraceEvent[];
}
