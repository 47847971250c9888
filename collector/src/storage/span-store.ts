import type { HealthStatus, HealthTestResult } from '@phosphor/service-kit';
import type { Span, TraceQuery, TraceSummary } from '../model/span.js';
import type { SpanBatch } from '../model/span-batch.js';

/** Status values in the Flaki health format (shared with every daemon through service-kit). */
export type { HealthStatus };

/** One health test, Flaki format: `{"name":"ping","duration":"906.881µs","status":"OK"}`. */
export type HealthTest = HealthTestResult;

/** A component's health: the overall status and the tests behind it. */
export interface ComponentHealth {
  status: HealthStatus;
  tests: HealthTest[];
}

/**
 * Where finished spans go and where the API reads them from. The embedded memory store is the
 * default; Elasticsearch implements the same interface.
 */
export interface SpanStore {
  /** Short name used in health and metrics ("memory", "elasticsearch"). */
  readonly name: string;
  /**
   * Accepts spans without waiting. Upsert by (traceId, spanId): a late event's updated span
   * replaces the earlier version. Must never throw; failures are counted in `stats()`.
   */
  write(spans: readonly Span[]): void;
  /**
   * {@link write} for spans as columns, for stores that read them without Span objects (the batch
   * is reused after the call). Optional: others get `batch.spans()`.
   */
  writeBatch?(batch: SpanBatch): void;
  /** All spans of a trace, or undefined when unknown. */
  getTrace(traceId: string): Promise<Span[] | undefined>;
  /** Traces matching the query, newest first, at most `query.limit`. */
  findTraces(query: TraceQuery): Promise<TraceSummary[]>;
  /** Health tests for `/health/<name>`. */
  health(): Promise<ComponentHealth>;
  /** Self counters (stored, evicted, queued, dropped …) for `/api/stats` and `/metrics`. */
  stats(): Record<string, number>;
  /** Flushes what is queued and releases resources. Safe to call twice. */
  close(): Promise<void>;
}
