import { formatDuration } from '@phosphor/service-kit';
import type { Logger } from 'pino';
import type { EmitReason } from '../../assembly/span-sink.js';
import type { Span } from '../../model/span.js';
import { ExportTraceServiceRequest } from '../../otlp/otlp-schema.js';
import type { SpanConsumer } from '../../pipeline/pipeline-component.js';
import type { ComponentHealth } from '../../storage/span-store.js';
import { RateLimitedWarner } from '../../util/rate-limited-warner.js';
import { type OtlpExportConfig, resolveOtlpExportConfig } from './config.js';
import { createOtlpTransport, type OtlpTransport, type SendResult } from './otlp-transport.js';
import { spansToOtlpRequest } from './span-to-otlp.js';

export { type OtlpExportConfig, otlpExportConfigSchema, resolveOtlpExportConfig } from './config.js';

/** Name in `/health` and key in `/api/stats`. */
export const OTLP_EXPORTER_NAME = 'otlpExport';

/** Why spans were not delivered; each is a counter. */
export type OtlpDropReason = 'queue_full' | 'rejected' | 'retries_exhausted' | 'shutdown';

/** Counters of the OTLP exporter. */
export interface OtlpExporterStats {
  queuedSpans: number;
  exportedSpans: number;
  /** Spans the receiver accepted the batch of but reported in partial_success. */
  partiallyRejectedSpans: number;
  droppedSpans: Record<OtlpDropReason, number>;
  requests: number;
  failedRequests: number;
  retries: number;
}

/** A hook tests use to see each attempt's outcome. */
type Sleep = (millis: number) => Promise<void>;

/** How long `close()` keeps sending what is queued before dropping the rest (counted as `shutdown`). */
const CLOSE_DRAIN_MILLIS = 5000;

/**
 * Forwards assembled spans to an OTLP receiver (OTel Collector, Jaeger v2, Tempo, or another
 * Phosphor collector): a bounded queue, one request in flight, batches of `maxBatchSpans` sent
 * every `flushIntervalMillis` or as soon as a batch is full, retries with exponential backoff and
 * jitter for retryable failures, and every span not delivered counted by reason. It never blocks
 * or throws into the collector's pipeline, and does not trace itself.
 */
export class OtlpSpanExporter implements SpanConsumer {
  readonly name = OTLP_EXPORTER_NAME;
  readonly statsKey = OTLP_EXPORTER_NAME;
  private queue: Span[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private closed = false;
  private lastError: string | undefined;
  private lastSuccessMillis = 0;
  private lastFailureMillis = 0;
  private readonly transport: OtlpTransport;
  private readonly warner: RateLimitedWarner;
  private readonly counters: Omit<OtlpExporterStats, 'queuedSpans'> = {
    exportedSpans: 0,
    partiallyRejectedSpans: 0,
    droppedSpans: { queue_full: 0, rejected: 0, retries_exhausted: 0, shutdown: 0 },
    requests: 0,
    failedRequests: 0,
    retries: 0,
  };

  constructor(
    readonly config: OtlpExportConfig,
    private readonly logger: Logger,
    warnIntervalMillis: number,
    private readonly sleep: Sleep = (millis) => new Promise((r) => setTimeout(r, millis).unref()),
  ) {
    this.transport = createOtlpTransport(config);
    this.warner = new RateLimitedWarner(logger, warnIntervalMillis);
  }

  start(): void {
    if (this.timer || this.closed) return;
    this.logger.info({ endpoint: this.config.endpoint, protocol: this.config.protocol }, 'exporting spans over OTLP');
    this.timer = setInterval(() => this.pump(), this.config.flushIntervalMillis);
    this.timer.unref();
  }

  /**
   * Queues spans; past `maxQueueSpans` they are dropped and counted. Never throws. Late updates
   * are not queued: the backend already has the span, and would store it twice.
   */
  consume(spans: readonly Span[], reason: EmitReason = 'complete'): void {
    if (reason === 'late') return;
    if (this.closed) {
      this.counters.droppedSpans.shutdown += spans.length;
      return;
    }
    const room = this.config.maxQueueSpans - this.queue.length;
    if (room < spans.length) {
      const dropped = spans.length - Math.max(room, 0);
      this.counters.droppedSpans.queue_full += dropped;
      this.warner.warn('otlp_export_queue_full', `OTLP export queue full: dropped ${dropped} span(s)`);
    }
    for (let i = 0; i < Math.min(room, spans.length); i++) this.queue.push(spans[i] as Span);
    if (this.queue.length >= this.config.maxBatchSpans) this.pump();
  }

  /** Sends everything queued now (tests, shutdown); resolves when the queue is empty or sending failed. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight) {
      if (!this.inFlight) this.pump();
      await this.inFlight;
      if (this.lastFailureMillis > this.lastSuccessMillis && this.queue.length > 0) return;
    }
  }

  /** Stops the timer, sends what is queued for up to a few seconds, drops the rest (counted). Safe twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.race([this.flush(), new Promise((r) => setTimeout(r, CLOSE_DRAIN_MILLIS).unref())]);
    this.closed = true;
    this.counters.droppedSpans.shutdown += this.queue.length;
    this.queue = [];
    this.transport.close();
  }

  stats(): OtlpExporterStats {
    return {
      ...this.counters,
      droppedSpans: { ...this.counters.droppedSpans },
      queuedSpans: this.queue.length,
    };
  }

  async health(): Promise<ComponentHealth> {
    const failing = this.lastFailureMillis > this.lastSuccessMillis;
    const nearlyFull = this.queue.length >= this.config.maxQueueSpans * 0.9;
    const status: ComponentHealth['status'] = failing ? (nearlyFull ? 'KO' : 'Degraded') : 'OK';
    const test: ComponentHealth['tests'][number] = { name: 'export', duration: formatDuration(0), status };
    if (failing && this.lastError) test.error = this.lastError;
    return { status, tests: [test] };
  }

  /** Starts sending one batch unless a request is already in flight (one at a time keeps order and load bounded). */
  private pump(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.config.maxBatchSpans);
    this.inFlight = this.sendBatch(batch).finally(() => {
      this.inFlight = undefined;
      if (this.queue.length >= this.config.maxBatchSpans && !this.closed) this.pump();
    });
  }

  private async sendBatch(batch: Span[]): Promise<void> {
    let body: Uint8Array;
    try {
      body = ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(spansToOtlpRequest(batch))).finish();
    } catch (err) {
      this.counters.droppedSpans.rejected += batch.length;
      this.warner.warn('otlp_export_encode', `cannot encode spans as OTLP: ${(err as Error).message}`);
      return;
    }
    let backoff = this.config.retryInitialBackoffMillis;
    for (let attempt = 0; ; attempt++) {
      this.counters.requests++;
      const result: SendResult = await this.transport.send(body);
      if (result.ok) {
        this.lastSuccessMillis = Date.now();
        this.counters.exportedSpans += batch.length;
        if (result.rejectedSpans > 0) {
          this.counters.partiallyRejectedSpans += result.rejectedSpans;
          this.warner.warn(
            'otlp_export_partial',
            `OTLP receiver rejected ${result.rejectedSpans} span(s): ${result.errorMessage}`,
          );
        }
        return;
      }
      this.counters.failedRequests++;
      this.lastFailureMillis = Date.now();
      this.lastError = result.error;
      if (!result.retryable) {
        this.counters.droppedSpans.rejected += batch.length;
        this.warner.warn(
          'otlp_export_rejected',
          `OTLP export refused, ${batch.length} span(s) dropped: ${result.error}`,
        );
        return;
      }
      if (attempt >= this.config.maxRetries || this.closed) {
        this.counters.droppedSpans.retries_exhausted += batch.length;
        this.warner.warn(
          'otlp_export_failed',
          `OTLP export failed ${attempt + 1} time(s), ${batch.length} span(s) dropped: ${result.error}`,
        );
        return;
      }
      this.counters.retries++;
      // Full jitter around the doubled backoff, as OTel SDKs retry; Retry-After wins when longer.
      const wait = Math.max(result.retryAfterMillis ?? 0, backoff / 2 + Math.random() * (backoff / 2));
      backoff = Math.min(backoff * 2, this.config.retryMaxBackoffMillis);
      await this.sleep(Math.min(wait, this.config.retryMaxBackoffMillis));
    }
  }
}

/** Creates the exporter when `otlpExport.enabled` is true (the section is validated here, like influx's). */
export function createOtlpExporter(
  raw: unknown,
  logger: Logger,
  warnIntervalMillis: number,
): OtlpSpanExporter | undefined {
  const config = resolveOtlpExportConfig(raw);
  if (!config.enabled) return undefined;
  return new OtlpSpanExporter(config, logger, warnIntervalMillis);
}
