/**
 * Assembles the ID service from a validated configuration without listening: generator (static pair or
 * Redis lease), logger (stdout + Redis list), metrics (Influx), tracing, HTTP and gRPC APIs. Tests and
 * the system tests build it and call `start()` with port 0; `main.ts` is the only caller that
 * reads argv/env.
 */
import { hostname } from 'node:os';
import { type Server, ServerCredentials } from '@grpc/grpc-js';
import { deactivatedComponent, type HealthComponent, type HealthTestResult, timedTest } from '@phosphor/service-kit';
import { LocalIdSource, type Tracer } from '@phosphor/tracer';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type IdServiceConfig, parseHostPort } from './config/id-service-config.js';
import { IdServiceError } from './errors.js';
import { buildGrpcServer } from './grpc/grpc-api.js';
import { buildHttpApi } from './http/http-api.js';
import { IdOperations } from './id-operations.js';
import { type Clock, systemClock } from './ids/clock.js';
import { IdGenerator } from './ids/id-generator.js';
import { type PairSource, StaticPairSource } from './ids/pair-grant.js';
import { RedisLease } from './lease/redis-lease.js';
import { createServiceLogger } from './logging/logger.js';
import { RedisLogSink } from './logging/redis-log-sink.js';
import { InfluxServiceMetrics, NoopServiceMetrics, type ServiceMetrics } from './metrics/service-metrics.js';
import { RequestObserver } from './request-observer.js';
import { createServiceTracing } from './tracing/service-tracing.js';

/** Things a test (or the system tests) may inject instead of the defaults. */
export interface IdServiceDependencies {
  /** Clock for ids and the lease (e.g. an OffsetClock to force a clock regression). */
  clock?: Clock;
  /** A ready-made tracer (e.g. one pointing at a test collector); default: built from `config.tracing`. */
  tracer?: Tracer;
  /** Extra log destination (receives the same Logstash-shaped lines). */
  logStream?: { write(line: string): unknown };
}

/** Where a started service listens. */
export interface IdServiceAddresses {
  /** e.g. http://127.0.0.1:8888 */
  httpUrl: string;
  /** e.g. 127.0.0.1:5555 */
  grpcTarget: string;
  httpPort: number;
  grpcPort: number;
}

/** The assembled service. */
export interface IdService {
  readonly config: IdServiceConfig;
  readonly generator: IdGenerator;
  readonly operations: IdOperations;
  /** The lease, when Redis is configured. */
  readonly lease: RedisLease | undefined;
  readonly http: FastifyInstance;
  readonly grpc: Server;
  readonly tracer: Tracer;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  /** Listens on `config.service.httpHostPort` / `grpcHostPort` (port 0 = any). */
  start(): Promise<IdServiceAddresses>;
  /** Counters of every part. */
  stats(): Record<string, unknown>;
  /** Stops listening, releases the lease, flushes logs/metrics/traces. Safe to call twice. */
  close(): Promise<void>;
}

function redisClient(url: string, commandTimeoutMillis: number): Redis {
  const redis = new Redis(url, {
    // Fail fast instead of queueing while disconnected: the lease must notice, logs must drop, not pile up.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMillis,
    lazyConnect: true,
  });
  redis.on('error', () => {
    // Reconnection is automatic; failures surface through the lease, the sink counters and /health/redis.
  });
  return redis;
}

async function connectOrContinue(redis: Redis): Promise<void> {
  try {
    await redis.connect();
  } catch {
    // Not fatal: the lease retries (and fails closed meanwhile), logs drop and count.
  }
}

/** Builds the ID service (not listening). With a lease, waits for the first acquisition attempt. */
export async function buildIdService(config: IdServiceConfig, deps: IdServiceDependencies = {}): Promise<IdService> {
  const clock = deps.clock ?? systemClock;
  const host = hostname();
  const leaseRedis =
    config.redis.url && config.lease.enabled
      ? redisClient(config.redis.url, config.redis.commandTimeoutMillis)
      : undefined;
  const logRedis =
    config.redis.url && config.logging.redis.enabled
      ? redisClient(config.redis.url, config.redis.commandTimeoutMillis)
      : undefined;
  await Promise.all([leaseRedis, logRedis].filter((r) => r !== undefined).map(connectOrContinue));

  const logSink = logRedis
    ? new RedisLogSink({
        redis: logRedis,
        key: config.logging.redis.key,
        maxListLength: config.logging.redis.maxListLength,
        maxBufferedLines: config.logging.redis.maxBufferedLines,
        maxBatchLines: config.logging.redis.maxBatchLines,
        flushIntervalMillis: config.logging.redis.flushIntervalMillis,
      })
    : undefined;
  const logger = createServiceLogger({
    service: config.service.name,
    level: config.logging.level,
    stdout: config.logging.stdout,
    ...(logSink ? { redisSink: logSink } : {}),
    ...(deps.logStream ? { extraStream: deps.logStream } : {}),
  });
  const metrics: ServiceMetrics = config.influx.url
    ? new InfluxServiceMetrics({
        url: config.influx.url,
        org: config.influx.org,
        bucket: config.influx.bucket,
        token: config.influx.token,
        flushIntervalMillis: config.influx.flushIntervalMillis,
        maxBufferLines: config.influx.maxBufferLines,
        service: config.service.name,
        hostname: host,
        warn: (message) => logger.warn({ correlation_id: 'metrics' }, message),
      })
    : new NoopServiceMetrics();

  // Lease events are not request-scoped; they get their own fresh correlation id (set once the generator exists).
  let freshCorrelationId: () => string = () => new LocalIdSource().nextTraceId();
  const lease = leaseRedis
    ? new RedisLease({
        redis: leaseRedis,
        keyPrefix: config.lease.keyPrefix,
        ttlMillis: config.lease.ttlMillis,
        failClosedMarginMillis: config.lease.failClosedMarginMillis,
        reuseMarginMillis: config.lease.reuseMarginMillis,
        renewIntervalMillis: config.lease.renewIntervalMillis,
        acquireRetryMillis: config.lease.acquireRetryMillis,
        clock,
        onEvent: (event, details) => {
          const correlationId = freshCorrelationId();
          metrics.lease(event, correlationId);
          if (event !== 'renewed') {
            const level = event === 'acquired' || event === 'released' ? 'info' : 'warn';
            logger[level]({ correlation_id: correlationId, lease_event: event, ...details }, `node-id lease ${event}`);
          }
        },
      })
    : undefined;
  const pairs: PairSource = lease ?? new StaticPairSource(config.ids.nodeId, config.ids.componentId);
  const generator = new IdGenerator({
    pairs,
    clock,
    epochMillis: Date.parse(config.ids.epoch),
    maxClockWaitMillis: config.ids.maxClockWaitMillis,
  });
  lease?.setLastTimestampSource((generation) => generator.lastTimestampFor(generation));
  const fallbackIds = new LocalIdSource();
  let correlationFallbacks = 0;
  freshCorrelationId = () => {
    try {
      return generator.nextIdSync();
    } catch {
      correlationFallbacks++;
      return fallbackIds.nextTraceId();
    }
  };
  if (lease) await lease.start();

  const tracing = createServiceTracing(config, generator, deps.tracer);
  const operations = new IdOperations(generator, config.ids.maxBatchCount);
  const observer = new RequestObserver(logger, metrics, config.logging.requestLogs);

  const redisHealth: HealthComponent =
    leaseRedis || logRedis
      ? {
          name: 'redis',
          check: async (): Promise<HealthTestResult[]> => {
            const client = (leaseRedis ?? logRedis)!;
            const tests = [
              await timedTest('ping', async () => {
                await client.ping();
                return 'OK';
              }),
            ];
            if (lease) tests.push(await timedTest('lease', async () => (lease.current() ? 'OK' : 'KO')));
            if (logSink) {
              tests.push(
                await timedTest('logs', async () => {
                  const s = logSink.stats();
                  return s.droppedLines.sendError + s.droppedLines.bufferFull > 0 ? 'Degraded' : 'OK';
                }),
              );
            }
            return tests;
          },
        }
      : deactivatedComponent('redis');
  const tracingHealth: HealthComponent = tracing.tracer.enabled
    ? {
        name: 'tracing',
        check: async () => [
          await timedTest('buffer', async () => {
            const dropped = tracing.tracer.stats().droppedEvents;
            return dropped.bufferFull + dropped.sendError > 0 ? 'Degraded' : 'OK';
          }),
        ],
      }
    : deactivatedComponent('tracing');

  const stats = () => ({
    ids: generator.stats(),
    lease: lease?.stats(),
    leasedPair: lease?.heldPairIndex(),
    logs: logSink?.stats(),
    metrics: metrics.stats(),
    tracer: tracing.tracer.stats(),
    correlationFallbacks,
  });

  const http = await buildHttpApi({
    operations,
    observer,
    health: [redisHealth, metrics.health, tracingHealth],
    freshCorrelationId: () => freshCorrelationId(),
    stats,
    ...(tracing.httpPlugin ? { tracing: tracing.httpPlugin } : {}),
  });
  const grpc = buildGrpcServer({
    operations,
    observer,
    freshCorrelationId: () => freshCorrelationId(),
    ...(tracing.grpcHandlers ? { traceHandlers: tracing.grpcHandlers } : {}),
  });

  let closed = false;
  let grpcBound = false;
  return {
    config,
    generator,
    operations,
    lease,
    http,
    grpc,
    tracer: tracing.tracer,
    logger,
    metrics,
    stats,
    async start() {
      const httpAddress = parseHostPort(config.service.httpHostPort, 'service.httpHostPort');
      const grpcAddress = parseHostPort(config.service.grpcHostPort, 'service.grpcHostPort');
      try {
        await http.listen({ host: httpAddress.host, port: httpAddress.port });
      } catch (error) {
        throw bindError('service.httpHostPort', config.service.httpHostPort, error);
      }
      const httpPort = (http.server.address() as { port: number }).port;
      const grpcPort = await new Promise<number>((resolve, reject) =>
        grpc.bindAsync(`${grpcAddress.host}:${grpcAddress.port}`, ServerCredentials.createInsecure(), (error, port) =>
          error ? reject(bindError('service.grpcHostPort', config.service.grpcHostPort, error)) : resolve(port),
        ),
      );
      grpcBound = true;
      const reachable = (h: string) => (h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h);
      logger.info(
        {
          correlation_id: freshCorrelationId(),
          http_port: httpPort,
          grpc_port: grpcPort,
          pair: lease?.heldPairIndex() ?? null,
        },
        'id service listening',
      );
      return {
        httpUrl: `http://${reachable(httpAddress.host)}:${httpPort}`,
        grpcTarget: `${reachable(grpcAddress.host)}:${grpcPort}`,
        httpPort,
        grpcPort,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
      if (grpcBound) await new Promise<void>((resolve) => grpc.tryShutdown(() => resolve()));
      await lease?.close();
      await tracing.tracer.close();
      await metrics.close();
      await logSink?.close();
      leaseRedis?.disconnect();
      logRedis?.disconnect();
    },
  };
}

/** A listener that could not bind, named by its setting and address (grpc-js wraps the cause in a longer text). */
function bindError(setting: string, hostPort: string, cause: unknown): IdServiceError {
  const message = (cause as Error).message;
  const reason = /\[(.*)\]/.exec(message)?.[1] ?? message;
  return new IdServiceError('IDG_ERR_SERVER_BIND', `${setting} ${hostPort}: ${reason}`, { cause, field: setting });
}
