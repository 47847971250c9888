import type { EmitReason } from '../assembly/span-sink.js';
import type { Span } from '../model/span.js';
import type { SpanBatch } from '../model/span-batch.js';
import type { ComponentHealth } from '../storage/span-store.js';

/**
 * A stage of the collector that reports on itself: health for `/health/<name>` and counters for
 * `/api/stats`. Registering a component is all it takes to appear in both — there is no list of
 * components anywhere else.
 */
export interface PipelineComponent {
  /** Name in `/health` (e.g. "memory", "influx"); omit for a component without a health entry. */
  readonly name?: string;
  /** Key of its counters in `/api/stats` (e.g. "storage", "tail"); omit for none. */
  readonly statsKey?: string;
  /** Health tests, Flaki format. May be slow: the registry bounds it with a timeout. */
  health?(): Promise<ComponentHealth> | ComponentHealth;
  /** Self counters. Must be cheap: `/api/stats` and `/metrics` call it on every request. */
  stats?(): object;
  /** Flushes and releases resources; safe to call twice. */
  close?(): Promise<void> | void;
}

/**
 * A stage that receives finished spans: the stores, the aggregates, the live tail and span
 * exporters. `consume` must not block; it may throw (a bug or a broken consumer), and the
 * {@link SpanFanOut} isolates and counts that so the other consumers still get the batch.
 */
export interface SpanConsumer extends PipelineComponent {
  /**
   * Receives a batch of spans that left the assembler for `reason`. `late` re-emits a span that
   * was already consumed once, updated by events that arrived after its first emission.
   */
  consume(spans: readonly Span[], reason: EmitReason): void;
  /**
   * The same batch as columns, for consumers that read them without Span objects; the batch is
   * emptied and reused after the call, so nothing of it may be kept. Optional: a consumer without
   * it gets `consume(batch.spans(), reason)` (the Span objects made once, shared by such consumers).
   */
  consumeBatch?(batch: SpanBatch, reason: EmitReason): void;
}
