import type { AddressInfo } from 'node:net';
import type { Batch } from '@phosphor/tracer/wire';
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import type { Registry } from 'prom-client';
import { Aggregates } from './aggregates/aggregates.js';
import type { ApiDeps } from './api/api-deps.js';
import { buildHttpApp } from './api/build-http-app.js';
import { type EmitReason, SpanAssembler } from './assembly/span-assembler.js';
import { createClusterRole, roleStorageConfig } from './cluster/cluster-role.js';
import type { CollectorConfig } from './config/config.js';
import { type AggregatesExporter, createInfluxExporter } from './exporters/create-exporters.js';
import { createMetricsRegistry } from './metrics.js';
import type { Span } from './model/span.js';
import { UdpReceiver } from './receivers/udp/udp-receiver.js';
import { createStore } from './storage/create-store.js';
import { formatDuration } from './storage/memory/memory-store.js';
import type { ComponentHealth, SpanStore } from './storage/span-store.js';
import { TailHub } from './tail/tail-hub.js';
import { RateLimitedWarner } from './util/rate-limited-warner.js';

/** How long one component's health check may take before it is reported KO. */
const HEALTH_TIMEOUT_MILLIS = 2000;
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
  readonly assembler: SpanAssembler;
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
  const startedAt = Date.now();
  const store = await createStore(roleStorageConfig(config), logger);
  const aggregates = new Aggregates(config.aggregates);
  const tail = new TailHub(config.tail);
  const sinkWarner = new RateLimitedWarner(logger, config.logging.warnIntervalMillis);
  let sinkErrors = 0;
  const sink = (spans: Span[], reason: EmitReason) => {
    // Each stage is isolated: a failing store must not stop aggregates or the tail, and the
    // assembler's caller (the UDP handler or a timer) never sees an exception.
    try {
      store.write(spans);
    } catch (err) {
      sinkErrors++;
      sinkWarner.warn('store_write', `store.write threw: ${(err as Error).message}`);
    }
    try {
      // Late updates re-emit a span already counted; counting them again would inflate rates.
      if (reason !== 'late') aggregates.recordAll(spans);
    } catch (err) {
      sinkErrors++;
      sinkWarner.warn('aggregates', `aggregates failed: ${(err as Error).message}`);
    }
    try {
      tail.publish(spans);
    } catch (err) {
      sinkErrors++;
      sinkWarner.warn('tail', `tail publish failed: ${(err as Error).message}`);
    }
  };
  const assembler = new SpanAssembler(config.assembly, sink);
  // receiver / assembler roles (Kafka between them); undefined for the all-in-one default.
  const role = createClusterRole(config, {
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
  const onBatch = role?.onBatch ?? ((batch: Batch) => assembler.addEvents(batch.events));
  const receiver = new UdpReceiver(
    { ...config.udp, warnIntervalMillis: config.logging.warnIntervalMillis },
    onBatch,
    logger.child({ component: 'udp' }),
  );
  const registry = createMetricsRegistry({ receiver, assembler, store, aggregates, tail });
  let exporter: AggregatesExporter | undefined;
  let udpBound = false;

  const stats = () => ({
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    udp: receiver.stats(),
    clients: { ...receiver.clients.totals(), list: receiver.clients.clientsLoss().slice(0, 100) },
    assembly: assembler.stats(),
    storage: { name: store.name, ...safeStats(store) },
    aggregates: aggregates.stats(),
    tail: tail.stats(),
    pipeline: { sinkErrors },
    ...(role ? { cluster: role.stats() } : {}),
    ...(exporter?.stats ? { influx: exporter.stats() } : {}),
  });

  const health = async (): Promise<Record<string, ComponentHealth>> => {
    const pending = assembler.stats().pendingSpans;
    const pendingRatio = pending / config.assembly.maxPendingSpans;
    const result: Record<string, ComponentHealth> = {
      udp:
        role && !role.receivesUdp
          ? { status: 'Deactivated', tests: [] }
          : simpleHealth('socket', udpBound ? 'OK' : 'KO', udpBound ? undefined : 'UDP socket not bound'),
      assembly: simpleHealth(
        'pending-capacity',
        pendingRatio < PENDING_DEGRADED_RATIO ? 'OK' : 'Degraded',
        pendingRatio < PENDING_DEGRADED_RATIO ? undefined : `${pending} pending spans, near assembly.maxPendingSpans`,
      ),
      memory: { status: 'Deactivated', tests: [] },
      elasticsearch: { status: 'Deactivated', tests: [] },
      influx: { status: 'Deactivated', tests: [] },
    };
    result[store.name] = await withTimeout(store.health(), store.name);
    if (role) result.kafka = role.health();
    if (exporter?.health) result.influx = await withTimeout(exporter.health(), 'influx');
    else if (exporter) result.influx = simpleHealth('running', 'OK');
    return result;
  };

  const deps: ApiDeps = {
    config,
    store,
    assembler,
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
      pruneTimer = setInterval(() => aggregates.prune(), PRUNE_INTERVAL_MILLIS);
      pruneTimer.unref();
      exporter = await createInfluxExporter(config, aggregates, logger);
      await exporter?.start();
      await http.listen({ host: config.http.host, port: config.http.port });
      const httpPort = (http.server.address() as AddressInfo).port;
      const shownHost = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
      addresses = { udpPort, httpPort, httpUrl: `http://${shownHost}:${httpPort}` };
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
        // A receiver sends what it buffered; an assembler leaves its group without emitting pending
        // hops (their records are replayed by the partitions' next owners).
        await role?.close();
        assembler.stop();
        if (pruneTimer) clearInterval(pruneTimer);
        // Pending spans are emitted (partial) so a restart loses nothing already received; then
        // the assembler's memory is released (a closed collector may stay referenced, e.g. in tests).
        assembler.flushAndRelease();
        tail.close();
        await http.close();
        await exporter?.close();
        await store.close();
      })();
      return closing;
    },
  };
  return collector;
}

function simpleHealth(test: string, status: ComponentHealth['status'], error?: string): ComponentHealth {
  const entry: ComponentHealth['tests'][number] = { name: test, duration: formatDuration(0), status };
  if (error) entry.error = error;
  return { status, tests: [entry] };
}

async function withTimeout(check: Promise<ComponentHealth>, name: string): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ComponentHealth>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(
          simpleHealth('health-check', 'KO', `${name} health check took longer than ${HEALTH_TIMEOUT_MILLIS} ms`),
        ),
      HEALTH_TIMEOUT_MILLIS,
    );
  });
  try {
    return await Promise.race([check.catch((err: Error) => simpleHealth('health-check', 'KO', err.message)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function safeStats(store: SpanStore): Record<string, number> {
  try {
    return store.stats();
  } catch {
    return {};
  }
}
