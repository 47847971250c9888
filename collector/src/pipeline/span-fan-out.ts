import type { Logger } from 'pino';
import type { EmitReason } from '../assembly/span-sink.js';
import type { Span } from '../model/span.js';
import type { SpanBatch } from '../model/span-batch.js';
import { RateLimitedWarner } from '../util/rate-limited-warner.js';
import type { SpanConsumer } from './pipeline-component.js';

/**
 * Hands every batch of finished spans to each registered consumer in registration order. Each
 * consumer is isolated: one that throws is counted (`consumerErrors[<name>]`, and in the total
 * `sinkErrors`), warned about at a limited rate, and the others still get the batch — a failing
 * store never stops the aggregates or the tail, and the assembler's caller (the UDP handler or a
 * timer) never sees an exception.
 */
export class SpanFanOut {
  private consumers: SpanConsumer[] = [];
  private errorsByConsumer: number[] = [];
  private sinkErrors = 0;
  private readonly warner: RateLimitedWarner;
  /** Bound once so it can be passed to the assembler as its sink. */
  readonly consume = (spans: readonly Span[], reason: EmitReason): void => {
    const consumers = this.consumers;
    for (let i = 0; i < consumers.length; i++) {
      const consumer = consumers[i] as SpanConsumer;
      try {
        consumer.consume(spans, reason);
      } catch (err) {
        this.failed(consumer, i, err);
      }
    }
  };

  /**
   * {@link consume} for a batch of spans as columns (the engine's sink): consumers that read
   * columns get the batch, the others its Span objects, made once for all of them.
   */
  readonly consumeBatch = (batch: SpanBatch, reason: EmitReason): void => {
    const consumers = this.consumers;
    for (let i = 0; i < consumers.length; i++) {
      const consumer = consumers[i] as SpanConsumer;
      try {
        if (consumer.consumeBatch !== undefined) consumer.consumeBatch(batch, reason);
        else consumer.consume(batch.spans(), reason);
      } catch (err) {
        this.failed(consumer, i, err);
      }
    }
  };

  constructor(logger: Logger, warnIntervalMillis: number) {
    this.warner = new RateLimitedWarner(logger, warnIntervalMillis);
  }

  /** Counts and warns about a consumer that threw (at a limited rate). */
  private failed(consumer: SpanConsumer, index: number, err: unknown): void {
    this.sinkErrors++;
    this.errorsByConsumer[index] = (this.errorsByConsumer[index] ?? 0) + 1;
    const label = consumerLabel(consumer, index);
    this.warner.warn(label, `${label} failed to consume spans: ${(err as Error).message}`);
  }

  /** Adds a consumer; it receives every batch emitted from now on. */
  add(consumer: SpanConsumer): void {
    this.consumers = [...this.consumers, consumer];
    this.errorsByConsumer.push(0);
  }

  /** The registered consumers, in order. */
  list(): readonly SpanConsumer[] {
    return this.consumers;
  }

  /** `sinkErrors` (all consumers) and `consumerErrors` per consumer. */
  stats(): { sinkErrors: number; consumerErrors: Record<string, number> } {
    const consumerErrors: Record<string, number> = {};
    this.consumers.forEach((c, i) => {
      consumerErrors[consumerLabel(c, i)] = this.errorsByConsumer[i] ?? 0;
    });
    return { sinkErrors: this.sinkErrors, consumerErrors };
  }
}

function consumerLabel(consumer: SpanConsumer, index: number): string {
  return consumer.statsKey ?? consumer.name ?? `consumer-${index}`;
}
