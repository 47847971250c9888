import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import type { Registry } from 'prom-client';
import { Aggregates } from './aggregates/aggregates.js';
import type { ApiDeps } from './api/api-deps.js';
import { buildHttpApp } from './api/build-http-app.js';
import { TraceQueryService } from './assembly/trace-query-service.js';
import type { CollectorConfig } from './config/config.js';
import { CollectorEngine } from './engine/collector-engine.js';
import { createInfluxExporter, EXPORTER_NAMES } from './exporters/create-exporters.js';
import { createMetricsRegistry } from './metrics.js';
import { ComponentRegistry, simpleHealth } from './pipeline/component-registry.js';
import { ExporterComponent } from './pipeline/exporter-component.js';
import { SpanFanOut } from './pipeline/span-fan-out.js';
import { StoreConsumer } from './pipeline/store-consumer.js';
import { SpanDurationHistograms } from './prometheus/span-duration-histograms.js';
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
  const store = await createStore(config, logger);
  const aggregates = new Aggregates(config.aggregates);
  const tail = new TailHub(config.tail);
  const spanDurations = new SpanDurationHistograms(config.metrics);
  // Finished spans go to every consumer through one fan-out: the store, the aggregates, the tail
  // (and any span exporter registered later), each isolated from the others' failures.
  const fanOut = new SpanFanOut(logger.child({ component: 'pipeline' }), config.logging.warnIntervalMillis);
  const assembler = new CollectorEngine({ ...config.assembly, hmacKey: config.udp.hmacKey }, fanOut.consume);
  const receiver = new UdpReceiver(
    { ...config.udp, warnIntervalMillis: config.logging.warnIntervalMillis },
    assembler,
    logger.child({ component: 'udp' }),
  );
  const registry = createMetricsRegistry({ receiver, assembler, store, aggregates, tail, spanDurations });
  let udpBound = false;

  components.add({
    name: 'udp',
    statsKey: 'udp',
    health: () => simpleHealth('socket', udpBound ? 'OK' : 'KO', udpBound ? undefined : 'UDP socket not bound'),
    stats: () => receiver.stats(),
  });
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

  const traces = new TraceQueryService(store, assembler, config.assembly.skewCorrection);
  const stats = () => components.stats();
  const health = () => components.health();

  const deps: ApiDeps = { config, store, traces, aggregates, tail, registry, health, stats };
  const http = await buildHttpApp(deps, logger.child({ component: 'http' }));
  let addresses: CollectorAddresses | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  const collector: Collector = {
    config,
    logger,
    http,
    receiver,
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
      const udpPort = await receiver.start();
      udpBound = true;
      assembler.start();
      pruneTimer = setInterval(() => aggregates.prune(), PRUNE_INTERVAL_MILLIS);
      pruneTimer.unref();
      const exporter = await createInfluxExporter(config, aggregates, logger);
      if (exporter) {
        components.add(new ExporterComponent('influx', exporter));
        await exporter.start();
      }
      await http.listen({ host: config.http.host, port: config.http.port });
      const httpPort = (http.server.address() as AddressInfo).port;
      const shownHost = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
      addresses = { udpPort, httpPort, httpUrl: `http://${shownHost}:${httpPort}` };
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
