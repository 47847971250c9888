import { CollectorError } from '../errors.js';
import type { Span, TraceQuery, TraceSummary } from '../model/span.js';
import type { SpanStore } from '../storage/span-store.js';
import { adjustTraceSkew } from './skew.js';

/** A trace as the API shows it: stored and pending spans merged, skew-corrected over the whole trace. */
export interface TraceView {
  traceId: string;
  /** Sorted by `startMicros`. */
  spans: Span[];
  /** Spans whose parentSpanId is not in the trace (shown, not hidden). */
  orphanSpanIds: string[];
  /** Spans still waiting for events (partial so far). */
  pendingSpanIds: string[];
}

/** Where spans still waiting for events are read from (the assembler, or an engine). */
export interface PendingSpanSource {
  /** Spans of a trace still waiting for events, built as partial spans. */
  pendingSpansOf(traceId: string): Span[];
}

/** What the trace routes call: by id and search. Shards and remote assemblers implement the same. */
export interface TraceQueries {
  /** The trace, or undefined when neither stored nor pending. Throws `COL_ERR_STORAGE_UNAVAILABLE`. */
  getTrace(traceId: string): Promise<TraceView | undefined>;
  /** Matching traces, newest first. Throws `COL_ERR_STORAGE_UNAVAILABLE`. */
  findTraces(query: TraceQuery): Promise<TraceSummary[]>;
}

/**
 * Read side of assembly: merges what the store holds with what is still pending, and corrects
 * skew over the whole trace (root first, so a host's offset shifts its descendants' client events
 * too) — stored spans carry only the correction known when they were emitted.
 */
export class TraceQueryService implements TraceQueries {
  constructor(
    private readonly store: SpanStore,
    private readonly pending: PendingSpanSource,
    private readonly skewCorrection: boolean,
  ) {}

  async getTrace(traceId: string): Promise<TraceView | undefined> {
    let stored: Span[];
    try {
      stored = (await this.store.getTrace(traceId)) ?? [];
    } catch (err) {
      throw new CollectorError('COL_ERR_STORAGE_UNAVAILABLE', `${this.store.name}: ${(err as Error).message}`);
    }
    // Spans still waiting for events are not in the store yet; showing them keeps in-flight
    // traces visible (and the Elasticsearch store, which indexes asynchronously, relies on it).
    const pending = this.pending.pendingSpansOf(traceId);
    if (stored.length === 0 && pending.length === 0) return undefined;
    return mergeTrace(traceId, stored, pending, this.skewCorrection);
  }

  async findTraces(query: TraceQuery): Promise<TraceSummary[]> {
    try {
      return await this.store.findTraces(query);
    } catch (err) {
      throw new CollectorError('COL_ERR_STORAGE_UNAVAILABLE', `${this.store.name}: ${(err as Error).message}`);
    }
  }
}

/**
 * Merges stored and pending spans of one trace (per spanId the version with fewer missing events
 * wins; a pending span replaces a stored one only when more complete) and skew-corrects the result.
 */
export function mergeTrace(
  traceId: string,
  stored: readonly Span[],
  pending: readonly Span[],
  skewCorrection: boolean,
): TraceView {
  const bySpan = new Map<string, Span>();
  for (const span of stored) bySpan.set(span.spanId, span);
  const pendingSpanIds: string[] = [];
  for (const span of pending) {
    const existing = bySpan.get(span.spanId);
    if (!existing || existing.missing.length > span.missing.length) bySpan.set(span.spanId, span);
    pendingSpanIds.push(span.spanId);
  }
  const spans = adjustTraceSkew([...bySpan.values()], skewCorrection);
  const orphanSpanIds = spans
    .filter((s) => s.parentSpanId !== undefined && !bySpan.has(s.parentSpanId))
    .map((s) => s.spanId);
  return { traceId, spans, orphanSpanIds, pendingSpanIds };
}
