import type { ServerResponse } from 'node:http';
import { formatDuration } from '@phosphor/service-kit';
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type {
  AggregatesSnapshot,
  DependencyGraph,
  MergeableAggregates,
  ServiceInfo,
} from '../aggregates/aggregate-views.js';
import { mergeAggregateSnapshots } from '../aggregates/mergeable-snapshot.js';
import type { ApiDeps, LiveAggregates } from '../api/api-deps.js';
import { buildHttpApp } from '../api/build-http-app.js';
import { listenHttp } from '../api/listen-http.js';
import type { CollectorAddresses } from '../app.js';
import type { AssemblerStats } from '../assembly/span-sink.js';
import { mergeTrace, type TraceQueries, type TraceView } from '../assembly/trace-query-service.js';
import type { CollectorConfig } from '../config/config.js';
import { CollectorError } from '../errors.js';
import { type AggregatesExporter, createInfluxExporter } from '../exporters/create-exporters.js';
import { OTLP_EXPORTER_NAME, type OtlpExporterStats } from '../exporters/otlp/index.js';
import { registerOtlpExportMetrics } from '../exporters/otlp/otlp-export-metrics.js';
import { createMetricsRegistry } from '../metrics.js';
import type { TraceQuery, TraceSummary } from '../model/span.js';
import { registerOtlpMetrics } from '../receivers/otlp/otlp-metrics.js';
import { OtlpReceiver } from '../receivers/otlp/otlp-receiver.js';
import type { UdpReceiverStats } from '../receivers/udp/udp-receiver.js';
import type { ComponentHealth } from '../storage/span-store.js';
import { type TailFilter, TailHub, type TailHubOptions } from '../tail/tail-hub.js';
import { mergeDependencies, mergeServices } from './merge-aggregates.js';
import { mergeTraceSummaries } from './merge-traces.js';
import { otlpEventRouter } from './otlp-event-router.js';
import type { ShardCoreStats, ShardTrace } from './shard-core.js';
import { ShardHost } from './shard-host.js';
import { ShardedUdpReceiver } from './sharded-udp-receiver.js';
import { sumCounters } from './sum-counters.js';

/**
 * How often shard counters are fetched for /metrics (which reads counters synchronously) and
 * merged aggregates for the Influx exporter; /api/stats fetches fresh counters itself.
 */
const STATS_REFRESH_MILLIS = 1000;
/** Merged aggregate snapshots for the Influx exporter are refreshed this often (it samples every 10 s by default). */
const EXPORT_SNAPSHOT_REFRESH_MILLIS = 5000;

/** A collector running `config.shards` cores (shard 0 on this thread, the others on worker threads) behind one UDP socket, API, tail and dashboard. */
export interface ShardedCollector {
  readonly config: CollectorConfig;
  readonly logger: Logger;
  readonly http: FastifyInstance;
  readonly receiver: ShardedUdpReceiver;
  /** The OTLP receiver, on the main thread: its events go to the shard owning each trace. */
  readonly otlp: OtlpReceiver;
  readonly shards: ShardHost;
  readonly tail: TailHub;
  readonly registry: Registry;
  /** Store name, as the single-core collector's `store.name`. */
  readonly store: { readonly name: string };
  /** Starts the shards, binds UDP and HTTP (port 0 picks free ports). */
  start(): Promise<CollectorAddresses>;
  readonly addresses: CollectorAddresses | undefined;
  /** Feeds a raw datagram through the same path as the socket (tests, benchmarks); routed frames are handed on at the next `flush()` or tick. */
  ingest(datagram: Buffer): void;
  /** Hands routed events to their shards now. */
  flush(): void;
  /** Everything /api/stats shows: receiver, clients, per-shard and summed core counters. */
  stats(): Promise<Record<string, unknown>>;
  /** Every component's health, Flaki format (`shards` has one test per shard). */
  health(): Promise<Record<string, ComponentHealth>>;
  /** Stops ingest, has every shard flush its pending spans (partial) to its store, closes everything. Safe to call twice. */
  close(): Promise<void>;
}

/** A TailHub that tells the shards whether anyone listens, so they copy spans across threads only then. */
class ShardedTailHub extends TailHub {
  constructor(
    options: TailHubOptions,
    private readonly onClients: (clients: number) => void,
  ) {
    super(options);
  }

  override subscribe(res: ServerResponse, filter: TailFilter): void {
    super.subscribe(res, filter);
    this.onClients(this.stats().tailClients ?? 0);
    // Runs after TailHub's own close listener has removed the client.
    res.on('close', () => this.onClients(this.stats().tailClients ?? 0));
  }
}

/**
 * Assembles a sharded collector: `config.shards` collector cores, shard 0 on this thread and the
 * others on worker threads (see ShardHost), a receiver that routes each event to the shard owning its trace, and the same HTTP
 * API as the single core, answering from the shards — a trace from its owner, searches and
 * aggregates merged. Nothing listens until `start()`.
 */
export async function buildShardedCollector(
  config: CollectorConfig,
  options: { logger?: Logger } = {},
): Promise<ShardedCollector> {
  const logger = options.logger ?? pino({ level: config.logging.level, name: 'phosphor-collector' });
  const startedAt = Date.now();
  let host: ShardHost | undefined;
  const tail = new ShardedTailHub(config.tail, (clients) => host?.setTail(clients > 0));
  host = new ShardHost(config, (spans) => tail.publish(spans), logger.child({ component: 'shards' }));
  const shards = host;
  const receiver = new ShardedUdpReceiver(
    { ...config.udp, warnIntervalMillis: config.logging.warnIntervalMillis },
    shards,
    logger.child({ component: 'udp' }),
  );
  // OTLP in on the main thread, as in the single core (same config, stats, health and metrics);
  // each mapped event goes to the shard owning its trace, where it joins that trace's datagram events.
  const otlp = new OtlpReceiver(
    config.otlp,
    otlpEventRouter(shards.owners, (shard, events) => shards.deliverEvents(shard, events)),
    logger.child({ component: 'otlp' }),
    config.logging.warnIntervalMillis,
  );
  const storeName = config.storage.type;
  const sharedStore = config.storage.type === 'elasticsearch';

  // Shard counters as last fetched: /metrics reads counters synchronously.
  let shardStats: PromiseSettledResult<ShardCoreStats>[] = [];
  const refreshStats = async () => {
    shardStats = await shards.callAll<ShardCoreStats>('stats');
    return shardStats;
  };
  const live = (results: PromiseSettledResult<ShardCoreStats>[]) =>
    results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const summed = (results: PromiseSettledResult<ShardCoreStats>[]) => sumCounters(live(results));
  const receiverStats = (results: PromiseSettledResult<ShardCoreStats>[]): UdpReceiverStats => {
    const r = receiver.stats();
    const ingest = summed(results).ingest as Record<string, number> | undefined;
    return {
      receivedDatagrams: r.receivedDatagrams,
      receivedBytes: r.receivedBytes,
      acceptedDatagrams: r.acceptedDatagrams,
      rejectedDatagrams: r.rejectedDatagrams,
      droppedDatagrams: r.droppedDatagrams,
      acceptedEvents: ingest?.acceptedEvents ?? 0,
      invalidEvents: ingest?.invalidEvents ?? 0,
      handlerErrors: r.handlerErrors,
      receiveBufferBytes: r.receiveBufferBytes,
    };
  };
  const registry = createMetricsRegistry({
    receiver: { stats: () => receiverStats(shardStats), clients: receiver.clients },
    assembler: { stats: () => (summed(shardStats).assembly ?? {}) as unknown as AssemblerStats },
    store: { stats: () => numbersOf(summed(shardStats).storage) },
    aggregates: { stats: () => numbersOf(summed(shardStats).aggregates) },
    tail,
  });
  registerOtlpMetrics(registry, otlp);
  registerShardMetrics(registry, shards);
  // Every shard exports the spans it assembles; the collector shows their counters summed.
  const otlpExportStats = (results: PromiseSettledResult<ShardCoreStats>[]) =>
    summed(results).otlpExport as OtlpExporterStats | undefined;
  if (config.otlpExport.enabled) {
    registerOtlpExportMetrics(registry, {
      stats: () =>
        otlpExportStats(shardStats) ?? {
          queuedSpans: 0,
          exportedSpans: 0,
          partiallyRejectedSpans: 0,
          droppedSpans: { queue_full: 0, rejected: 0, retries_exhausted: 0, shutdown: 0 },
          requests: 0,
          failedRequests: 0,
          retries: 0,
        },
    });
  }

  const windows = config.aggregates.windowsMinutes;
  const aggregates: LiveAggregates = {
    windowLabels: () => windows.map((m) => `${m}m`),
    async snapshot(windowMinutes: number): Promise<AggregatesSnapshot | undefined> {
      if (!windows.includes(windowMinutes)) return undefined;
      const parts = await shards.callAll<MergeableAggregates>('aggregatesParts', windowMinutes);
      return mergeAggregateSnapshots(fulfilled(parts));
    },
    async dependencies(): Promise<DependencyGraph> {
      return mergeDependencies(fulfilled(await shards.callAll<DependencyGraph>('dependencies')));
    },
    async services(): Promise<ServiceInfo[]> {
      return mergeServices(fulfilled(await shards.callAll<ServiceInfo[]>('services')));
    },
  };

  // Trace by id from its owner (stored and pending spans merged and skew-corrected here, as one
  // core does); searches from every shard (or one, when they share Elasticsearch), merged.
  const traces: TraceQueries = {
    async getTrace(traceId: string): Promise<TraceView | undefined> {
      const owner = shards.owners.ofTraceId(traceId);
      let trace: ShardTrace;
      try {
        trace = await shards.call<ShardTrace>(owner, 'getTrace', traceId);
      } catch (err) {
        throw new CollectorError('COL_ERR_STORAGE_UNAVAILABLE', `${storeName}: ${withoutCode(err)}`);
      }
      if (trace.stored.length === 0 && trace.pending.length === 0) return undefined;
      return mergeTrace(traceId, trace.stored, trace.pending, config.assembly.skewCorrection);
    },
    async findTraces(query: TraceQuery): Promise<TraceSummary[]> {
      try {
        const results = sharedStore
          ? // Every shard writes the same Elasticsearch indices: one live shard answers for all.
            [await firstAnswer(shards, 'findTraces', query)]
          : fulfilledOrThrow(await shards.callAll<TraceSummary[]>('findTraces', query));
        return mergeTraceSummaries(results, query.limit);
      } catch (err) {
        throw new CollectorError('COL_ERR_STORAGE_UNAVAILABLE', `${storeName}: ${withoutCode(err)}`);
      }
    },
  };

  let exporter: AggregatesExporter | undefined;
  let udpBound = false;
  const exportSnapshots = new Map<number, AggregatesSnapshot>();

  const stats = async () => {
    const results = await refreshStats();
    const total = summed(results);
    return {
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      udp: { ...receiverStats(results), routedEvents: receiver.stats().routedEvents },
      clients: { ...receiver.clients.totals(), list: receiver.clients.clientsLoss().slice(0, 100) },
      otlp: otlp.stats(),
      assembly: total.assembly ?? {},
      storage: { name: storeName, ...numbersOf(total.storage) },
      aggregates: total.aggregates ?? {},
      tail: tail.stats(),
      pipeline: total.pipeline ?? { sinkErrors: 0 },
      ...(config.otlpExport.enabled ? { [OTLP_EXPORTER_NAME]: total.otlpExport ?? {} } : {}),
      shards: {
        ...shards.stats(),
        list: results.map((r, index) =>
          r.status === 'fulfilled'
            ? { shard: index, up: true, ingest: r.value.ingest, assembly: r.value.assembly, storage: r.value.storage }
            : { shard: index, up: false, error: (r.reason as Error).message },
        ),
      },
      ...(exporter?.stats ? { influx: exporter.stats() } : {}),
    };
  };

  const health = async (): Promise<Record<string, ComponentHealth>> => {
    const perShard = await shards.callAll<Record<string, ComponentHealth>>('health');
    const result: Record<string, ComponentHealth> = {
      udp: simpleHealth('socket', udpBound ? 'OK' : 'KO', udpBound ? undefined : 'UDP socket not bound'),
      otlp: otlp.health(),
      shards: shards.health(),
      assembly: { status: 'Deactivated', tests: [] },
      memory: { status: 'Deactivated', tests: [] },
      elasticsearch: { status: 'Deactivated', tests: [] },
      influx: { status: 'Deactivated', tests: [] },
      [OTLP_EXPORTER_NAME]: { status: 'Deactivated', tests: [] },
    };
    // Each shard's components under the component's name, tests prefixed with the shard; the worst status wins.
    const merged = new Map<string, ComponentHealth>();
    perShard.forEach((r, index) => {
      if (r.status !== 'fulfilled') return;
      for (const [name, component] of Object.entries(r.value)) {
        const into = merged.get(name) ?? { status: 'OK', tests: [] };
        into.status = worse(into.status, component.status);
        for (const test of component.tests) into.tests.push({ ...test, name: `shard-${index}:${test.name}` });
        merged.set(name, into);
      }
    });
    for (const [name, component] of merged) result[name] = component;
    if (exporter?.health) result.influx = await exporter.health();
    else if (exporter) result.influx = simpleHealth('running', 'OK');
    return result;
  };

  const deps: ApiDeps = { config, store: { name: storeName }, traces, aggregates, tail, registry, health, stats };
  const http = await buildHttpApp(deps, logger.child({ component: 'http' }));
  let addresses: CollectorAddresses | undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  let exportTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  const refreshExportSnapshots = async () => {
    for (const minutes of windows) {
      const snapshot = await aggregates.snapshot(minutes);
      if (snapshot) exportSnapshots.set(minutes, snapshot);
    }
  };

  return {
    config,
    logger,
    http,
    receiver,
    otlp,
    shards,
    tail,
    registry,
    store: { name: storeName },
    get addresses() {
      return addresses;
    },
    async start() {
      if (addresses) return addresses;
      await shards.start();
      const udpPort = await receiver.start();
      udpBound = true;
      const otlpAddresses = await otlp.start();
      statsTimer = setInterval(() => void refreshStats().catch(() => undefined), STATS_REFRESH_MILLIS);
      statsTimer.unref();
      if (config.influx.enabled) {
        // The exporter reads snapshots synchronously: it gets the merged ones of the last refresh.
        await refreshExportSnapshots();
        exportTimer = setInterval(
          () => void refreshExportSnapshots().catch(() => undefined),
          EXPORT_SNAPSHOT_REFRESH_MILLIS,
        );
        exportTimer.unref();
        exporter = await createInfluxExporter(
          config,
          { windowLabels: aggregates.windowLabels, snapshot: (minutes: number) => exportSnapshots.get(minutes) },
          logger,
        );
        await exporter?.start();
      }
      addresses = { udpPort, ...(await listenHttp(http, config.http)), ...otlpAddresses };
      return addresses;
    },
    ingest(datagram) {
      receiver.receive(datagram);
    },
    flush() {
      receiver.flush();
    },
    stats,
    health,
    close() {
      closing ??= (async () => {
        await receiver.close();
        udpBound = false;
        // OTLP stops before the shards flush, so the spans still waiting for a parent are assembled too.
        await otlp.close();
        if (statsTimer) clearInterval(statsTimer);
        if (exportTimer) clearInterval(exportTimer);
        await shards.close();
        tail.close();
        await http.close();
        await exporter?.close();
      })();
      return closing;
    },
  };
}

const SEVERITY: Record<ComponentHealth['status'], number> = { Deactivated: 0, OK: 1, Degraded: 2, KO: 3 };

function worse(a: ComponentHealth['status'], b: ComponentHealth['status']): ComponentHealth['status'] {
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}

function simpleHealth(test: string, status: ComponentHealth['status'], error?: string): ComponentHealth {
  const entry: ComponentHealth['tests'][number] = { name: test, duration: formatDuration(0), status };
  if (error) entry.error = error;
  return { status, tests: [entry] };
}

function fulfilled<T>(results: PromiseSettledResult<T>[]): T[] {
  return results.flatMap((r) => (r.status === 'fulfilled' && r.value !== undefined ? [r.value] : []));
}

/** Results of every shard; a search missing a shard's traces would look complete while it is not, so one failure fails it. */
function fulfilledOrThrow<T>(results: PromiseSettledResult<T>[]): T[] {
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return fulfilled(results);
}

async function firstAnswer(shards: ShardHost, method: 'findTraces', query: TraceQuery): Promise<TraceSummary[]> {
  let lastError: unknown = new Error('no shard is up');
  for (let i = 0; i < shards.shardCount; i++) {
    try {
      return await shards.call<TraceSummary[]>(i, method, query);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

function numbersOf(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'number') out[k] = v;
  return out;
}

/** Shard gauges and drop counters on the collector's registry, read at scrape time. */
function registerShardMetrics(registry: Registry, shards: ShardHost): void {
  const p = 'phosphor_collector_';
  new Gauge({
    name: `${p}shards`,
    help: 'Shards configured (worker threads, each a collector core)',
    registers: [registry],
    collect() {
      this.set(shards.stats().shardCount);
    },
  });
  new Gauge({
    name: `${p}live_shards`,
    help: 'Shards running now (a crashed shard restarts after a second)',
    registers: [registry],
    collect() {
      this.set(shards.stats().liveShards);
    },
  });
  new Counter({
    name: `${p}shard_crashes_total`,
    help: 'Shard workers that exited unexpectedly (each restarted)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(shards.stats().shardCrashes);
    },
  });
  new Counter({
    name: `${p}shard_dropped_events_total`,
    help: 'Events routed to a shard that was down or too far behind (busy), dropped',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      const s = shards.stats();
      this.inc({ reason: 'down' }, s.droppedEventsShardDown);
      this.inc({ reason: 'busy' }, s.droppedEventsShardBusy);
    },
  });
}

/** A shard's error message without the code prefix it may carry already (it is re-raised with its own). */
function withoutCode(err: unknown): string {
  return ((err as Error).message ?? String(err)).replace(/^COL_ERR_[A-Z_]+: /, '');
}
