/**
 * The assembled service against the real backends: lease from Redis, logs into the Redis list,
 * metrics into VictoriaMetrics, health in Flaki format reporting them.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBackend } from '../../../test/support/backends.js';
import { buildIdService, type IdService } from '../src/app.js';
import { resolveIdServiceConfig } from '../src/config/id-service-config.js';
import { decodeId, pairFromIndex } from '../src/ids/flaki-layout.js';

let service: IdService;
let redis: Redis;
const logKey = `test:app-logs:${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  const [redisUrl, influxUrl] = await Promise.all([requireBackend('redis'), requireBackend('influx')]);
  redis = new Redis(redisUrl);
  service = await buildIdService(
    resolveIdServiceConfig({
      service: {
        name: `idgen-app-${randomBytes(3).toString('hex')}`,
        httpHostPort: '127.0.0.1:0',
        grpcHostPort: '127.0.0.1:0',
      },
      redis: { url: redisUrl },
      lease: { keyPrefix: `test:app-lease:${randomBytes(4).toString('hex')}` },
      logging: { stdout: false, redis: { key: logKey, flushIntervalMillis: 20 } },
      influx: { url: influxUrl, flushIntervalMillis: 50 },
      tracing: { enabled: false },
    }),
  );
});

afterAll(async () => {
  await service?.close();
  await redis?.del(logKey);
  redis?.disconnect();
});

describe('ID service with real Redis and VictoriaMetrics', () => {
  it('issues ids with the leased pair, and logs + metrics carry the correlation id', async () => {
    const response = await service.http.inject({
      method: 'POST',
      url: '/nextid',
      headers: { 'x-correlation-id': 'app-corr-1' },
    });
    expect(response.statusCode).toBe(200);
    const pair = pairFromIndex(service.lease!.heldPairIndex()!);
    expect(decodeId(response.json().id)).toMatchObject(pair);

    await service.metrics.flush();
    expect(service.metrics.stats()).toMatchObject({ failedWrites: 0 });
    expect(service.metrics.stats().writtenLines).toBeGreaterThan(0);

    let lines: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 50 && !lines.some((l) => l.correlation_id === 'app-corr-1'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      lines = (await redis.lrange(logKey, 0, -1)).map((line) => JSON.parse(line));
    }
    expect(lines.find((l) => l.correlation_id === 'app-corr-1')).toMatchObject({
      '@version': '1',
      message: 'request served',
      level: 'info',
      endpoint: 'POST /nextid',
    });
    expect(lines.find((l) => l.lease_event === 'acquired')).toBeTruthy();
  });

  it('GET /health reports redis and influx OK, per-component tests in Flaki format', async () => {
    const health = (await service.http.inject({ method: 'GET', url: '/health' })).json();
    expect(health).toEqual({ redis: 'OK', influx: 'OK', tracing: 'Deactivated' });
    const tests = (await service.http.inject({ method: 'GET', url: '/health/redis' })).json() as Array<
      Record<string, string>
    >;
    expect(tests.map((t) => t.name)).toEqual(['ping', 'lease', 'logs']);
    for (const t of tests) {
      expect(t.status).toBe('OK');
      expect(t.duration).toMatch(/^[0-9.]+(µs|ms|s)$/);
    }
  });
});
