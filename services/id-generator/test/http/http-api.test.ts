import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIdService, type IdService } from '../../src/app.js';
import { resolveIdServiceConfig } from '../../src/config/id-service-config.js';
import { OffsetClock } from '../../src/ids/clock.js';
import { decodeId } from '../../src/ids/flaki-layout.js';

const lines: Record<string, unknown>[] = [];
const clock = new OffsetClock();
let service: IdService;

beforeAll(async () => {
  const config = resolveIdServiceConfig({
    service: { httpHostPort: '127.0.0.1:0', grpcHostPort: '127.0.0.1:0' },
    ids: { nodeId: 3, componentId: 21, maxBatchCount: 500, maxClockWaitMillis: 100 },
    logging: { stdout: false },
    tracing: { enabled: false },
  });
  service = await buildIdService(config, {
    clock,
    logStream: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
});

afterAll(async () => {
  await service.close();
  await service.close();
});

describe('HTTP API (inject)', () => {
  it('POST /nextid returns a decimal id string with the static pair, and a fresh correlation id', async () => {
    const response = await service.http.inject({ method: 'POST', url: '/nextid' });
    expect(response.statusCode).toBe(200);
    const { id } = response.json();
    expect(id).toMatch(/^[0-9]{16,20}$/);
    expect(decodeId(id)).toMatchObject({ nodeId: 3, componentId: 21 });
    expect(response.headers['x-correlation-id']).toMatch(/^[0-9]+$/);
    expect(response.headers['x-correlation-id']).not.toBe(id);
  });

  it('echoes the caller X-Correlation-ID and puts it on the request log line', async () => {
    const response = await service.http.inject({
      method: 'POST',
      url: '/nextvalidid',
      headers: { 'x-correlation-id': 'corr-abc.123' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-correlation-id']).toBe('corr-abc.123');
    const line = lines.find((l) => l.correlation_id === 'corr-abc.123');
    expect(line).toMatchObject({
      message: 'request served',
      endpoint: 'POST /nextvalidid',
      status: 'ok',
      ids: 1,
      '@version': '1',
    });
  });

  it('POST /ids returns count distinct ids', async () => {
    const response = await service.http.inject({ method: 'POST', url: '/ids', payload: { count: 250 } });
    expect(response.statusCode).toBe(200);
    const { ids } = response.json() as { ids: string[] };
    expect(ids).toHaveLength(250);
    expect(new Set(ids).size).toBe(250);
  });

  const badBatches: Array<[string, unknown, RegExp]> = [
    ['count 0', { count: 0 }, /body\.count: must be >= 1/],
    ['count over max', { count: 501 }, /body\.count: must be <= 500/],
    ['count not integer', { count: 1.5 }, /body\.count: must be integer/],
    ['missing count', {}, /body\.count: must have required property 'count'/],
    // Regression: the message used to be "must NOT have additional properties" without naming the field.
    ['unknown field (named in the message)', { count: 1, extra: true }, /body\.extra: unknown parameter/],
  ];
  for (const [name, payload, message] of badBatches) {
    it(`POST /ids rejects ${name} with 400 IDG_ERR_INPUT_INVALID`, async () => {
      const response = await service.http.inject({ method: 'POST', url: '/ids', payload: payload as object });
      expect(response.statusCode).toBe(400);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'IDG_ERR_INPUT_INVALID' });
      expect(response.json().message).toMatch(message);
    });
  }

  it('GET /decode/:id round-trips an issued id', async () => {
    const { id } = (await service.http.inject({ method: 'POST', url: '/nextid' })).json();
    const response = await service.http.inject({ method: 'GET', url: `/decode/${id}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(decodeId(id));
  });

  for (const bad of ['abc', '18446744073709551616', '123456789012345678901', '9'.repeat(500)]) {
    it(`GET /decode/${bad} is a 400 naming params.id`, async () => {
      const response = await service.http.inject({ method: 'GET', url: `/decode/${bad}` });
      expect(response.statusCode).toBe(400);
      expect(response.json().message).toMatch(/params\.id/);
    });
  }

  it('answers an unknown route with its path clipped', async () => {
    const response = await service.http.inject({ method: 'GET', url: `/${'x'.repeat(5000)}` });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('IDG_ERR_INPUT_INVALID');
    expect(response.json().message.length).toBeLessThan(300);
  });

  it('rejects a malformed X-Correlation-ID naming the header', async () => {
    const response = await service.http.inject({
      method: 'POST',
      url: '/nextid',
      headers: { 'x-correlation-id': 'bad value!' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(/header x-correlation-id must be/);
  });

  it('NextID answers 503 IDG_ERR_CLOCK_BACKWARDS after a clock regression; NextValidID waits within its bound', async () => {
    await service.http.inject({ method: 'POST', url: '/nextid' });
    clock.shift(-60);
    const failed = await service.http.inject({
      method: 'POST',
      url: '/nextid',
      headers: { 'x-correlation-id': 'regress-1' },
    });
    expect(failed.statusCode).toBe(503);
    expect(failed.json().code).toBe('IDG_ERR_CLOCK_BACKWARDS');
    expect(lines.find((l) => l.correlation_id === 'regress-1')).toMatchObject({
      level: 'error',
      status: 'IDG_ERR_CLOCK_BACKWARDS',
    });
    const waited = await service.http.inject({ method: 'POST', url: '/nextvalidid' });
    expect(waited.statusCode).toBe(200);
    clock.shift(-10_000);
    const exceeded = await service.http.inject({ method: 'POST', url: '/nextvalidid' });
    expect(exceeded.statusCode).toBe(503);
    expect(exceeded.json().code).toBe('IDG_ERR_CLOCK_WAIT_EXCEEDED');
    clock.offsetMillis = 0;
    await new Promise((resolve) => setTimeout(resolve, 80));
  });

  it('GET /health reports Flaki format, Deactivated without Redis and Influx', async () => {
    const response = await service.http.inject({ method: 'GET', url: '/health' });
    expect(response.json()).toEqual({ redis: 'Deactivated', influx: 'Deactivated', tracing: 'Deactivated' });
    const redis = await service.http.inject({ method: 'GET', url: '/health/redis' });
    expect(redis.json()).toEqual([{ name: 'configured', duration: '0s', status: 'Deactivated' }]);
    const unknown = await service.http.inject({ method: 'GET', url: '/health/sentry' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toMatch(/params\.component: must be one of redis, influx, tracing/);
  });

  it('GET /stats exposes the generator counters', async () => {
    const stats = (await service.http.inject({ method: 'GET', url: '/stats' })).json();
    expect(stats.ids.issuedIds).toBeGreaterThan(250);
    expect(stats.ids.clockBackwardsErrors).toBeGreaterThanOrEqual(1);
  });
});

describe('HTTP API strictness', () => {
  it('does not coerce a string count', async () => {
    const response = await service.http.inject({ method: 'POST', url: '/ids', payload: { count: '5' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(/body\.count: must be integer/);
  });
});
