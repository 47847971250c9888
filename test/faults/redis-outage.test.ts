/**
 * Fault scenario 3: Redis stops under the ID service. With a short lease (TTL 3 s, fail-closed
 * margin 1 s, renewal every 500 ms) the service keeps issuing ids while its lease is safely valid, then
 * refuses with IDG_ERR_LEASE_UNAVAILABLE (HTTP 503, gRPC UNAVAILABLE) — never an id it could not prove
 * unique. Logs to Redis are dropped and counted while the local log stream continues; when Redis returns,
 * leasing, ids and Redis logs resume by themselves. See docs/faults.md.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  buildIdService,
  createIdGeneratorClient,
  type IdGeneratorClient,
  type IdService,
  resolveIdServiceConfig,
} from '@phosphor/id-generator';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBackend, startBackend, stopBackend } from '../support/backends.js';
import { phaseMillis, testTimeoutMillis } from './support/durations.js';
import { sleep, waitFor } from './support/wait.js';

/** Short lease so the whole fail-closed cycle fits in a few seconds; renewal well inside TTL − margin. */
const TTL_MILLIS = 3_000;
const FAIL_CLOSED_MARGIN_MILLIS = 1_000;
const RENEW_INTERVAL_MILLIS = 500;
/** The longest an id may still be issued after the last renewal was sent (the lease's safe validity). */
const SAFE_VALIDITY_MILLIS = TTL_MILLIS - FAIL_CLOSED_MARGIN_MILLIS;
/** Requests every 25 ms over HTTP and gRPC: the fail-closed edge is resolved to a few tens of ms. */
const PROBE_INTERVAL_MILLIS = 25;
const BASELINE_MILLIS = 2_000;
/** Redis down this long: TTL + a few seconds of refusals (a soak run keeps it down FAULT_SOAK_SECONDS). */
const OUTAGE_MILLIS = phaseMillis(6_000);
/** ioredis reconnects with a growing delay (≤ 2 s); the lease then re-acquires within acquireRetryMillis. */
const RECOVERY_TIMEOUT_MILLIS = 20_000;

/** The log sink's counters inside the ID service's `stats()` (services/id-generator README, /stats). */
interface LogSinkStats {
  sentLines: number;
  droppedLines: { bufferFull: number; sendError: number };
}

/** A Redis client for the test's own checks; its connection errors during the outage are expected. */
function testRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => {});
  return redis;
}

interface Probe {
  via: 'http' | 'grpc';
  /** performance.now() when the answer arrived (an id was issued no later than this). */
  atMillis: number;
  ok: boolean;
  id?: string;
  /** HTTP status or gRPC status code. */
  status: number;
  code?: string;
}

describe('Redis stopped under the ID service', () => {
  const run = `${Date.now()}-${process.pid}`;
  const leasePrefix = `phosphor:fault-test:${run}:lease`;
  const logKey = `phosphor:fault-test:${run}:logs`;
  let redisUrl: string;
  let service: IdService | undefined;
  let grpcClient: IdGeneratorClient | undefined;
  let httpUrl: string;
  let redisStopped = false;
  /** The "stdout" stream: the same Logstash lines pino writes to stdout (stdout itself is off to keep test output readable). */
  const localLines: { atMillis: number; line: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    redisUrl = await requireBackend('redis');
    const config = resolveIdServiceConfig({
      service: { httpHostPort: '127.0.0.1:0', grpcHostPort: '127.0.0.1:0' },
      redis: { url: redisUrl, commandTimeoutMillis: 250 },
      lease: {
        keyPrefix: leasePrefix,
        ttlMillis: TTL_MILLIS,
        failClosedMarginMillis: FAIL_CLOSED_MARGIN_MILLIS,
        renewIntervalMillis: RENEW_INTERVAL_MILLIS,
        acquireRetryMillis: 250,
      },
      logging: { stdout: false, requestLogs: true, redis: { key: logKey, flushIntervalMillis: 100 } },
      tracing: { enabled: false },
    });
    service = await buildIdService(config, {
      logStream: {
        write: (line: string) => localLines.push({ atMillis: performance.now(), line: JSON.parse(line) }),
      },
    });
    const addresses = await service.start();
    httpUrl = addresses.httpUrl;
    grpcClient = createIdGeneratorClient(addresses.grpcTarget);
  });

  afterAll(async () => {
    try {
      if (redisStopped) await startBackend('redis');
    } finally {
      grpcClient?.close();
      await service?.close();
      const redis = testRedis(redisUrl);
      try {
        await redis.connect();
        const keys = await redis.keys(`phosphor:fault-test:${run}:*`);
        if (keys.length > 0) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    }
  });

  async function probeHttp(): Promise<Probe> {
    const res = await fetch(`${httpUrl}/nextid`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { id?: string; code?: string };
    return {
      via: 'http',
      atMillis: performance.now(),
      ok: res.status === 200,
      status: res.status,
      ...(body.id ? { id: body.id } : {}),
      ...(body.code ? { code: body.code } : {}),
    };
  }

  async function probeGrpc(): Promise<Probe> {
    try {
      const { value } = await grpcClient!.nextId({ timeoutMillis: 5_000 });
      return { via: 'grpc', atMillis: performance.now(), ok: true, id: value, status: GrpcStatus.OK };
    } catch (error) {
      const e = error as { code?: number; details?: string };
      return {
        via: 'grpc',
        atMillis: performance.now(),
        ok: false,
        status: e.code ?? -1,
        code: e.details?.split(':')[0] ?? String(error),
      };
    }
  }

  async function probeFor(millis: number, into: Probe[]): Promise<void> {
    const until = performance.now() + millis;
    while (performance.now() < until) {
      into.push(await probeHttp(), await probeGrpc());
      await sleep(PROBE_INTERVAL_MILLIS);
    }
  }

  it(
    'serves while the lease is safely valid, then fails closed explicitly; logs drop and count; all resumes',
    async () => {
      const ids = service!;
      const redis = testRedis(redisUrl);
      try {
        await redis.connect();
        // Baseline: lease held, ids flow, log lines reach the Redis list.
        expect(ids.lease?.current()).toBeDefined();
        const baseline: Probe[] = [];
        await probeFor(BASELINE_MILLIS, baseline);
        expect(baseline.filter((p) => !p.ok)).toEqual([]);
        await waitFor('request logs in the Redis list', async () => (await redis.llen(logKey)) > 0, 5_000);
        const logsBefore = ids.stats().logs as LogSinkStats;

        // Outage.
        const outage: Probe[] = [];
        const prober = probeFor(OUTAGE_MILLIS, outage);
        const stopCalledAt = performance.now();
        redisStopped = true;
        await stopBackend('redis');
        const stoppedAt = performance.now();
        redis.disconnect();
        await prober;

        const afterStopCall = outage.filter((p) => p.atMillis > stopCalledAt);
        const served = afterStopCall.filter((p) => p.ok);
        const refused = afterStopCall.filter((p) => !p.ok);
        console.info(
          `redis-outage: stop took ${(stoppedAt - stopCalledAt).toFixed(0)} ms; after the stop call ${served.length} ids ` +
            `served (last ${served.length ? (served.at(-1)!.atMillis - stoppedAt).toFixed(0) : '–'} ms after Redis was down), ` +
            `${refused.length} refused (first ${refused.length ? (refused[0]!.atMillis - stoppedAt).toFixed(0) : '–'} ms after)`,
        );
        // Kept serving while the lease was valid...
        expect(served.length).toBeGreaterThan(0);
        // ...never past the lease's safe validity: the last renewal was sent before Redis went down.
        for (const p of served) expect(p.atMillis - stoppedAt).toBeLessThan(SAFE_VALIDITY_MILLIS);
        // ...then refused every request with the explicit lease error, and nothing else.
        expect(refused.length).toBeGreaterThan(0);
        for (const p of refused) {
          expect(p.status).toBe(p.via === 'http' ? 503 : GrpcStatus.UNAVAILABLE);
          expect(p.code).toBe('IDG_ERR_LEASE_UNAVAILABLE');
        }
        const firstRefusal = refused[0]!.atMillis;
        expect(served.filter((p) => p.atMillis > firstRefusal + 100)).toEqual([]);
        // Health says so, the lease counted its failures.
        const health = (await (await fetch(`${httpUrl}/health`)).json()) as Record<string, string>;
        expect(health.redis).toBe('KO');
        expect(ids.lease!.stats().renewalFailures).toBeGreaterThan(0);

        // Logs: lines to Redis dropped and counted; the local (stdout) stream carried on, lease warnings included.
        const logsDuring = ids.stats().logs as LogSinkStats;
        expect(logsDuring.droppedLines.sendError).toBeGreaterThan(logsBefore.droppedLines.sendError);
        const localDuring = localLines.filter((l) => l.atMillis > stoppedAt + 100);
        expect(localDuring.length).toBeGreaterThan(0);
        expect(localDuring.some((l) => l.line.lease_event === 'renewal_failed' || l.line.lease_event === 'lost')).toBe(
          true,
        );

        // Redis back: lease, ids and Redis logs resume by themselves.
        await startBackend('redis');
        redisStopped = false;
        const startedAt = performance.now();
        const recoveredProbe = await waitFor(
          'the ID service to issue ids again',
          async () => {
            const p = await probeHttp();
            return p.ok ? p : undefined;
          },
          RECOVERY_TIMEOUT_MILLIS,
          100,
        );
        const recovery: Probe[] = [recoveredProbe];
        await probeFor(1_500, recovery);
        console.info(
          `redis-outage: ids again ${(recoveredProbe.atMillis - startedAt).toFixed(0)} ms after Redis answered; ` +
            `lease ${JSON.stringify(ids.lease!.stats())}; logs ${JSON.stringify(ids.stats().logs)}`,
        );
        expect(recovery.filter((p) => !p.ok)).toEqual([]);
        const after = testRedis(redisUrl);
        try {
          await after.connect();
          // Redis restarts empty (no persistence in the test backend): any line in the list is post-restart.
          await waitFor('request logs in the Redis list again', async () => (await after.llen(logKey)) > 0, 10_000);
          expect((ids.stats().logs as LogSinkStats).sentLines).toBeGreaterThan(logsDuring.sentLines);
        } finally {
          after.disconnect();
        }

        // No duplicate, and every id after the outage is newer than every id before it.
        const all = [...baseline, ...outage, ...recovery].filter((p) => p.ok).map((p) => BigInt(p.id!));
        expect(new Set(all).size).toBe(all.length);
        const maxBefore = [...baseline, ...served].reduce((m, p) => (BigInt(p.id!) > m ? BigInt(p.id!) : m), 0n);
        for (const p of recovery) expect(BigInt(p.id!) > maxBefore).toBe(true);
      } finally {
        redis.disconnect();
      }
    },
    testTimeoutMillis(90_000, 1, 120_000),
  );
});
