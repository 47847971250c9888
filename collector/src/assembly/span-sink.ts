import type { Span } from '../model/span.js';
import type { SpanBatch } from '../model/span-batch.js';

/** Assembly settings; see `assembly:` in configs/collector.yml. */
export interface SpanAssemblerOptions {
  spanTimeoutMillis: number;
  maxPendingSpans: number;
  skewCorrection: boolean;
  lateWindowMillis: number;
  maxRememberedSpans: number;
  /** Monotonic clock in milliseconds; tests inject one. */
  now?: () => number;
}

/** Why a span left the assembler. */
export type EmitReason = 'complete' | 'timeout' | 'evicted' | 'late' | 'shutdown';

/** Receives finished spans, in batches; `reason` is shared by the batch. */
export type SpanSink = (spans: Span[], reason: EmitReason) => void;

/**
 * Receives finished spans as columns (see {@link SpanBatch}), which it must not keep: the batch is
 * emptied and reused once the call returns.
 */
export interface SpanBatchSink {
  consumeBatch(batch: SpanBatch, reason: EmitReason): void;
}

/** Self counters of the assembler. */
export interface AssemblerStats {
  /** Events handed to the assembler. */
  receivedEvents: number;
  /** Events whose type was already present for their hop (ignored). */
  duplicateEvents: number;
  /** Events that arrived after their span was emitted and updated it. */
  lateEvents: number;
  /** Spans emitted with all four events. */
  completeSpans: number;
  /** Spans emitted with some events missing (timeout, eviction, shutdown). */
  partialSpans: number;
  /** Partial spans emitted because `spanTimeoutMillis` passed. */
  timedOutSpans: number;
  /** Partial spans emitted early because `maxPendingSpans` was reached. */
  evictedPendingSpans: number;
  /** Re-emissions of a span after a late event. */
  updatedSpans: number;
  /** Hops waiting for events now. */
  pendingSpans: number;
  /** Emitted spans remembered for late events now. */
  rememberedSpans: number;
}
