import type { EmitReason } from '../assembly/span-sink.js';
import type { Span } from '../model/span.js';
import type { SpanBatch } from '../model/span-batch.js';
import type { SpanStore } from '../storage/span-store.js';
import type { SpanConsumer } from './pipeline-component.js';

/**
 * A span store as a pipeline consumer: every batch (late updates included — the store upserts by
 * traceId+spanId) is written; health under the store's name, counters under `storage`.
 */
export class StoreConsumer implements SpanConsumer {
  readonly name: string;
  readonly statsKey = 'storage';

  constructor(readonly store: SpanStore) {
    this.name = store.name;
  }

  consume(spans: readonly Span[], _reason: EmitReason): void {
    this.store.write(spans);
  }

  consumeBatch(batch: SpanBatch, _reason: EmitReason): void {
    if (this.store.writeBatch !== undefined) this.store.writeBatch(batch);
    else this.store.write(batch.spans());
  }

  health() {
    return this.store.health();
  }

  stats(): Record<string, unknown> {
    try {
      return { name: this.store.name, ...this.store.stats() };
    } catch {
      return { name: this.store.name };
    }
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
