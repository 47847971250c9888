import type { Logger } from 'pino';
import type { EmitReason } from '../assembly/span-sink.js';
import type { Span } from '../model/span.js';
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
        this.sinkErrors++;
        this.errorsByConsumer[i] = (this.errorsByConsumer[i] ?? 0) + 1;
        const label = consumerLabel(consumer, i);
        this.warner.warn(label, `${label} failed to consume spans: ${(err as Error).message}`);
      }
    }
  };

  constructor(logger: Logger, warnIntervalMillis: number) {
    this.warner = new RateLimitedWarner(logger, warnIntervalMillis);
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
