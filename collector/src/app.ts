import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import type { Registry } from 'prom-client';
import { Aggregates } from './aggregates/aggregates.js';
import type { ApiDeps } from './api/api-deps.js';
import { buildHttpApp } from './api/build-http-app.js';
import { listenHttp } from './api/listen-http.js';
import { TraceQueryService } from './assembly/trace-query-service.js';
import type { ClusterRole } from './cluster/cluster-role.js';
import type { CollectorConfig } from './config/config.js';
import { CollectorEngine } from './engine/collector-engine.js';
import { createInfluxExporter, EXPORTER_NAMES } from './exporters/create-exporters.js';
import { createOtlpExporter, OTLP_EXPORTER_NAME } from './exporters/otlp/index.js';
import { registerOtlpExportMetrics } from './exporters/otlp/otlp-export-metrics.js';
import { createMetricsRegistry } from './metrics.js';
import { ComponentRegistry, simpleHealth } from './pipeline/component-registry.js';
import { ExporterComponent } from './pipeline/exporter-component.js';
import { SpanFanOut } from './pipeline/span-fan-out.js';
import { StoreConsumer } from './pipeline/store-consumer.js';
import { SpanDurationHistograms } from './prometheus/span-duration-histograms.js';
import { registerOtlpMetrics } from './receivers/otlp/otlp-metrics.js';
import { OtlpReceiver } from './receivers/otlp/otlp-receiver.js';
import { UdpReceiver } from './receivers/udp/udp-receiver.js';
import { createStore, STORE_TYPES } from './storage/create-store.js';
import type { SpanStore } from './storage/span-store.js';
import { TailHub } from './tail/tail-hub.js';

/** Pending spans above this share of `maxPendingSpans` report assembly as Degraded (eviction is near). */
const PENDING_DEGRADED_RATIO = 0.9;
/** How often idle aggregate keys are pruned. */
const PRUNE_INTERVAL_MILLIS = 60_000;

/** Where a started collector listens. */
export interface CollectorAddresses {
  udpPort: number;
  httpPort: number;
  /** Base URL of the API and dashboard, e.g. http://127.0.0.1:7761 */
  httpUrl: string;
  /** OTLP/HTTP and OTLP/gRPC ports, when those listeners are on. */
  otlpHttpPort?: number;
  otlpGrpcPort?: number;
}

/** Options besides the config. */
export interface BuildCollectorOptions {
  /** Defaults to a pino logger at `config.logging.level`. */
  logger?: Logger;
}

/** An assembled collector: every stage wired, nothing listening until `start()`. */
export interface Collector {
  readonly config: CollectorConfig;
  readonly logger: Logger;
  readonly http: FastifyInstance;
  readonly receiver: UdpReceiver;
  readonly otlp: OtlpReceiver;
  /** The ingest and assembly engine (decoder, hop joiner). */
  readonly assembler: CollectorEngine;
  readonly aggregates: Aggregates;
  readonly store: SpanStore;
  readonly tail: TailHub;
  readonly registry: Registry;
  /** Binds UDP and HTTP (port 0 picks free ports) and starts the timers. */
  start(): Promise<CollectorAddresses>;
  /** Set once started. */
  readonly addresses: CollectorAddresses | undefined;
  /** Feeds a raw datagram through the same path as the socket (tests, benchmarks). */
  ingest(datagram: Buffer): void;
  /** Everything /api/stats shows. */
  stats(): Record<string, unknown>;
  /** Stops ingest, flushes pending spans to the store as partial, closes everything. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Assembles a collector from a validated config (see {@link loadConfig}) without listening, so
 * tests and the daemon build the same thing.
 */
export async function buildCollector(config: CollectorConfig, options: BuildCollectorOptions = {}): Promise<Collector> {
  const logger = options.logger ?? pino({ level: config.logging.level, name: 'phosphor-collector' });
  const components = new ComponentRegistry();
  // The Kafka client (~40 MB of RSS) is loaded only by a receiver or an assembler, never by the
  // default single-process collector.
  const cluster = config.role === 'all' ? undefined : await import('./cluster/cluster-role.js');
  const store = await createStore(cluster ? cluster.roleStorageConfig(config) : config, logger);
  const aggregates = new Aggregates(config.aggregates);
  const tail = new TailHub(config.tail);
  const spanDurations = new SpanDurationHistograms(config.metrics);
  // Finished spans go to every consumer through one fan-out: the store, the aggregates, the tail
  // (and any span exporter registered later), each isolated from the others' failures.
  const fanOut = new SpanFanOut(logger.child({ component: 'pipeline' }), config.logging.warnIntervalMillis);
  const assembler = new CollectorEngine({ ...config.assembly, hmacKey: config.udp.hmacKey }, fanOut);
  // receiver / assembler roles (Kafka between them); undefined for the all-in-one default.
  const role: ClusterRole | undefined = cluster?.createClusterRole(config, {
    store,
    aggregates,
    tail,
    logger,
    udpTotals: () => {
      const udp = receiver.stats();
      return {
        acceptedEvents: udp.acceptedEvents,
        rejectedDatagrams: udp.rejectedDatagrams,
        invalidEvents: udp.invalidEvents,
        ...receiver.clients.totals(),
      };
    },
  });
  const receiver = new UdpReceiver(
    { ...config.udp, warnIntervalMillis: config.logging.warnIntervalMillis },
    // A receiver produces to Kafka instead of assembling in process.
    role?.ingest ?? assembler,
    logger.child({ component: 'udp' }),
  );
  // OTLP spans are mapped to events and join Phosphor's hops in the same assembler.
  const otlp = new OtlpReceiver(
    config.otlp,
    (events) => assembler.ingestEvents(events),
    logger.child({ component: 'otlp' }),
    config.logging.warnIntervalMillis,
  );
  const registry = createMetricsRegistry({ receiver, assembler, store, aggregates, tail, spanDurations });
  registerOtlpMetrics(registry, otlp);
  let udpBound = false;

  components.add({
    name: 'udp',
    statsKey: 'udp',
    health: () =>
      role && !role.receivesUdp
        ? { status: 'Deactivated', tests: [] }
        : simpleHealth('socket', udpBound ? 'OK' : 'KO', udpBound ? undefined : 'UDP socket not bound'),
    stats: () => receiver.stats(),
  });
  components.add(otlp);
  if (role)
    components.add({ name: 'kafka', statsKey: 'cluster', health: () => role.health(), stats: () => role.stats() });
  components.add({
    statsKey: 'clients',
    stats: () => ({ ...receiver.clients.totals(), list: receiver.clients.clientsLoss().slice(0, 100) }),
  });
  components.add({
    name: 'assembly',
    statsKey: 'assembly',
    health: () => {
      const pending = assembler.stats().pendingSpans;
      const degraded = pending / config.assembly.maxPendingSpans >= PENDING_DEGRADED_RATIO;
      return simpleHealth(
        'pending-capacity',
        degraded ? 'Degraded' : 'OK',
        degraded ? `${pending} pending spans, near assembly.maxPendingSpans` : undefined,
      );
    },
    stats: () => assembler.stats(),
  });
  for (const consumer of [new StoreConsumer(store), aggregates, tail, spanDurations]) {
    fanOut.add(consumer);
    components.add(consumer);
  }
  for (const type of STORE_TYPES) components.addDeactivated(type);
  components.add({ statsKey: 'pipeline', stats: () => fanOut.stats() });
  for (const name of EXPORTER_NAMES) components.addDeactivated(name);
  // A span exporter is one more consumer of finished spans.
  const otlpExporter = createOtlpExporter(
    config.otlpExport,
    logger.child({ component: 'otlp-export' }),
    config.logging.warnIntervalMillis,
  );
  if (otlpExporter) {
    fanOut.add(otlpExporter);
    components.add(otlpExporter);
    registerOtlpExportMetrics(registry, otlpExporter);
  } else components.addDeactivated(OTLP_EXPORTER_NAME);

  const traces = new TraceQueryService(store, assembler, config.assembly.skewCorrection);
  const stats = () => components.stats();
  const health = () => components.health();

  const deps: ApiDeps = {
    config,
    store,
    traces,
    // In a cluster every collector shows the aggregates of all assemblers, merged exactly.
    aggregates: role ? role.view.aggregatesView() : aggregates,
    ...(role ? { cluster: role.view } : {}),
    tail,
    registry,
    health,
    stats,
  };
  const http = await buildHttpApp(deps, logger.child({ component: 'http' }));
  let addresses: CollectorAddresses | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  const collector: Collector = {
    config,
    logger,
    http,
    receiver,
    otlp,
    assembler,
    aggregates,
    store,
    tail,
    registry,
    get addresses() {
      return addresses;
    },
    async start() {
      if (addresses) return addresses;
      await role?.start();
      const udpPort = role && !role.receivesUdp ? 0 : await receiver.start();
      udpBound = udpPort !== 0;
      assembler.start();
      const otlpAddresses = await otlp.start();
      otlpExporter?.start();
      pruneTimer = setInterval(() => aggregates.prune(), PRUNE_INTERVAL_MILLIS);
      pruneTimer.unref();
      const exporter = await createInfluxExporter(config, aggregates, logger);
      if (exporter) {
        components.add(new ExporterComponent('influx', exporter));
        await exporter.start();
      }
      addresses = { udpPort, ...(await listenHttp(http, config.http)), ...otlpAddresses };
      await role?.startView(addresses.httpUrl);
      return addresses;
    },
    ingest(datagram) {
      receiver.receive(datagram);
    },
    stats,
    close() {
      closing ??= (async () => {
        await receiver.close();
        udpBound = false;
        // OTLP stops before the assembler flushes, so the spans still waiting for a parent are assembled too.
        await otlp.close();
        // A receiver sends what it buffered; an assembler leaves its group without emitting pending
        // hops (their records are replayed by the partitions' next owners).
        await role?.close();
        assembler.stop();
        if (pruneTimer) clearInterval(pruneTimer);
        // Pending spans are emitted (partial) so a restart loses nothing already received; then
        // the assembler's memory is released (a closed collector may stay referenced, e.g. in tests).
        assembler.flushAndRelease();
        // The tail's streams would keep the HTTP server from closing; the rest (exporters, then
        // the store they may read) closes last registered first.
        tail.close();
        await http.close();
        await components.close();
      })();
      return closing;
    },
  };
  return collector;
}
