import { formatDuration } from '@phosphor/service-kit';
import type { TraceEvent } from '@phosphor/wire';
import type { Logger } from 'pino';
import { Aggregates } from '../aggregates/aggregates.js';
import type { CollectorConfig } from '../config/config.js';
import { CollectorEngine } from '../engine/collector-engine.js';
import { createOtlpExporter, OTLP_EXPORTER_NAME, type OtlpSpanExporter } from '../exporters/otlp/index.js';
import type { Span } from '../model/span.js';
import { SpanFanOut } from '../pipeline/span-fan-out.js';
import { StoreConsumer } from '../pipeline/store-consumer.js';
import { createStore } from '../storage/create-store.js';
import type { ComponentHealth, SpanStore } from '../storage/span-store.js';
import { RateLimitedWarner } from '../util/rate-limited-warner.js';
import type { ShardCore, ShardCoreStats } from './shard-core.js';

/** Pending spans above this share of `maxPendingSpans` report assembly as Degraded (as the single core does). */
const PENDING_DEGRADED_RATIO = 0.9;
/** How often idle aggregate keys are pruned (as the single core does). */
const PRUNE_INTERVAL_MILLIS = 60_000;

/**
 * The collector engine behind the {@link ShardCore} interface: CollectorEngine (decoder, hop
 * joiner), Aggregates and a SpanStore, wired through a SpanFanOut as app.ts wires the single core.
 * `config` is the shard's slice of the collector config (see shardConfig in shard-host.ts).
 */
export class EngineShardCore implements ShardCore {
  private readonly assembler: CollectorEngine;
  private readonly aggregates: Aggregates;
  private readonly warner: RateLimitedWarner;
  private readonly fanOut: SpanFanOut;
  /** Each shard exports the spans it assembles (`otlpExport.enabled`): one request in flight per shard. */
  private readonly otlpExporter: OtlpSpanExporter | undefined;
  private tailListener: ((spans: Span[]) => void) | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private readonly ingestCounters = { acceptedEvents: 0, invalidEvents: 0, undecodableForwards: 0 };

  private constructor(
    private readonly config: CollectorConfig,
    private readonly store: SpanStore,
    logger: Logger,
  ) {
    this.warner = new RateLimitedWarner(logger, config.logging.warnIntervalMillis);
    this.aggregates = new Aggregates(config.aggregates);
    // The same pipeline as the single core: store, aggregates, and the tail (sent to the main
    // thread while it has subscribers), each isolated from the others' failures.
    this.fanOut = new SpanFanOut(logger, config.logging.warnIntervalMillis);
    this.fanOut.add(new StoreConsumer(store));
    this.fanOut.add(this.aggregates);
    this.fanOut.add({
      statsKey: 'tail',
      consume: (spans) => this.tailListener?.(spans as Span[]),
      // Span objects are made only while the main thread has tail subscribers.
      consumeBatch: (batch) => this.tailListener?.(batch.spans()),
    });
    this.otlpExporter = createOtlpExporter(
      config.otlpExport,
      logger.child({ component: 'otlp-export' }),
      config.logging.warnIntervalMillis,
    );
    if (this.otlpExporter) this.fanOut.add(this.otlpExporter);
    // The receiving thread checked the HMAC: what reaches a shard is an events-only buffer without one.
    this.assembler = new CollectorEngine(config.assembly, this.fanOut);
  }

  /** Builds the core with its store (which may connect to Elasticsearch). */
  static async create(config: CollectorConfig, logger: Logger): Promise<EngineShardCore> {
    return new EngineShardCore(config, await createStore(config, logger), logger);
  }

  ingest(datagram: Uint8Array): void {
    const buffer = Buffer.isBuffer(datagram)
      ? datagram
      : Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
    const result = this.assembler.ingestDatagram(buffer);
    if (!result.ok) {
      this.ingestCounters.undecodableForwards++;
      this.warner.warn('undecodable_forward', `shard could not decode a forwarded buffer: ${result.detail}`);
      return;
    }
    if (result.invalidEvents > 0) {
      this.ingestCounters.invalidEvents += result.invalidEvents;
      this.warner.warn(
        'invalid_event',
        `dropped ${result.invalidEvents} invalid event(s): ${result.firstInvalidReason}`,
      );
    }
    this.ingestCounters.acceptedEvents += result.acceptedEvents;
  }

  ingestEvents(events: readonly TraceEvent[]): void {
    try {
      this.assembler.ingestEvents(events);
    } catch (err) {
      this.warner.warn('events_error', `shard could not assemble forwarded events: ${(err as Error).message}`);
    }
  }

  async getTrace(traceId: string) {
    return { stored: (await this.store.getTrace(traceId)) ?? [], pending: this.assembler.pendingSpansOf(traceId) };
  }

  findTraces(query: Parameters<SpanStore['findTraces']>[0]) {
    return this.store.findTraces(query);
  }

  aggregatesParts(windowMinutes: number) {
    return this.aggregates.mergeableSnapshot(windowMinutes);
  }

  dependencies() {
    return this.aggregates.dependencies();
  }

  services() {
    return this.aggregates.services();
  }

  setTailListener(listener: ((spans: Span[]) => void) | undefined): void {
    this.tailListener = listener;
  }

  stats(): ShardCoreStats {
    let storage: Record<string, number>;
    try {
      storage = this.store.stats();
    } catch {
      storage = {};
    }
    return {
      ingest: { ...this.ingestCounters },
      assembly: { ...this.assembler.stats() },
      storage: { name: this.store.name, ...storage },
      aggregates: this.aggregates.stats(),
      pipeline: this.fanOut.stats(),
      ...(this.otlpExporter ? { otlpExport: { ...this.otlpExporter.stats() } } : {}),
    };
  }

  async health(): Promise<Record<string, ComponentHealth>> {
    const pending = this.assembler.stats().pendingSpans;
    const degraded = pending / this.config.assembly.maxPendingSpans >= PENDING_DEGRADED_RATIO;
    const assembly: ComponentHealth = {
      status: degraded ? 'Degraded' : 'OK',
      tests: [
        {
          name: 'pending-capacity',
          duration: formatDuration(0),
          status: degraded ? 'Degraded' : 'OK',
          ...(degraded ? { error: `${pending} pending spans, near assembly.maxPendingSpans` } : {}),
        },
      ],
    };
    let store: ComponentHealth;
    try {
      store = await this.store.health();
    } catch (err) {
      store = {
        status: 'KO',
        tests: [{ name: 'health-check', duration: formatDuration(0), status: 'KO', error: (err as Error).message }],
      };
    }
    return {
      assembly,
      [this.store.name]: store,
      ...(this.otlpExporter ? { [OTLP_EXPORTER_NAME]: await this.otlpExporter.health() } : {}),
    };
  }

  start(): void {
    this.assembler.start();
    this.otlpExporter?.start();
    this.pruneTimer = setInterval(() => this.aggregates.prune(), PRUNE_INTERVAL_MILLIS);
    this.pruneTimer.unref();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.assembler.stop();
      if (this.pruneTimer) clearInterval(this.pruneTimer);
      this.assembler.flushAndRelease();
      // The pending spans just emitted are exported too (for a few seconds at most, then counted as dropped).
      await this.otlpExporter?.close();
      await this.store.close();
    })();
    return this.closing;
  }
}
