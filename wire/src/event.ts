import { isStartTagKey } from './standard-tag-keys.js';

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
  /**
   * On an OUT or REP event: the event also stands for its hop's IN or REQ — the same ids, names,
   * host and zone, at `timestampMicros - durationMicros`, no error, and the tags whose keys describe
   * the request (`isStartTagKey`); the other tags are the end event's. A tracer
   * that still holds both events of a hop when it encodes them sends one frame instead of two (half
   * the bytes and half the encoding); decoders hand on two events, without this bit.
   */
  carriesStart: 4,
} as const;

/**
 * Whether an OUT or REP with these times can stand for its start ({@link EventFlags.carriesStart}): it
 * has a duration (not undefined; NaN, the collector's "none", fails too) leaving a positive start time.
 */
export function hasStartTime(timestampMicros: number, durationMicros: number | undefined): boolean {
  return durationMicros !== undefined && timestampMicros - durationMicros > 0;
}

/** The event type a {@link EventFlags.carriesStart} event stands for besides its own (OUT → IN, REP → REQ). */
export function startTypeOf(type: EventType): EventType | undefined {
  return type === 'OUT' ? 'IN' : type === 'REP' ? 'REQ' : undefined;
}

/**
 * The hop's start event a {@link EventFlags.carriesStart} event stands for, as a separate event: the
 * same fields at `timestampMicros - durationMicros`, no duration or error, the tags whose keys
 * describe the request (moved off `end`), the bit cleared. Clears the bit on `end` too, so the pair
 * reads as the two events a tracer would otherwise send.
 */
export function splitStart(end: TraceEvent): TraceEvent {
  const flags = (end.flags ?? EventFlags.sampled) & ~EventFlags.carriesStart;
  end.flags = flags;
  const start: TraceEvent = {
    type: startTypeOf(end.type) as EventType,
    traceId: end.traceId,
    spanId: end.spanId,
    from: end.from,
    fromEndpoint: end.fromEndpoint,
    to: end.to,
    toEndpoint: end.toEndpoint,
    timestampMicros: end.timestampMicros - (end.durationMicros as number),
    hostname: end.hostname,
    flags,
  };
  if (end.parentSpanId !== undefined) start.parentSpanId = end.parentSpanId;
  if (end.zone !== undefined) start.zone = end.zone;
  const tags = end.tags;
  if (tags !== undefined) {
    const startTags: Record<string, string> = {};
    const endTags: Record<string, string> = {};
    for (const key of Object.keys(tags)) {
      // Defined, not assigned: a "__proto__" key stays an own property.
      const descriptor = { value: tags[key], enumerable: true, writable: true, configurable: true };
      Object.defineProperty(isStartTagKey(key) ? startTags : endTags, key, descriptor);
    }
    if (Object.keys(startTags).length > 0) start.tags = startTags;
    if (Object.keys(endTags).length > 0) end.tags = endTags;
    else delete end.tags;
  }
  return start;
}

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
