import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBackend } from '../../../../test/support/backends.js';
import { createServiceLogger } from '../../src/logging/logger.js';
import { RedisLogSink } from '../../src/logging/redis-log-sink.js';

let redis: Redis;

beforeAll(async () => {
  redis = new Redis(await requireBackend('redis'), { maxRetriesPerRequest: 1 });
});

afterAll(() => {
  redis.disconnect();
});

function sinkOptions(key: string) {
  return { redis, key, maxListLength: 1000, maxBufferedLines: 1000, maxBatchLines: 100, flushIntervalMillis: 20 };
}

describe('Redis log sink against real Redis', () => {
  it('log lines arrive in the list in Logstash shape, with the correlation id', async () => {
    const key = `test:logs:${randomBytes(4).toString('hex')}`;
    const sink = new RedisLogSink(sinkOptions(key));
    const logger = createServiceLogger({ service: 'id-generator', level: 'info', stdout: false, redisSink: sink });
    logger.info({ correlation_id: '123456789012345678', endpoint: 'POST /nextid' }, 'id issued');
    logger.warn({ correlation_id: '42' }, 'clock moved backwards');
    logger.debug('not at info level');
    await sink.flush();
    const raw = await redis.lrange(key, 0, -1);
    expect(raw).toHaveLength(2);
    const first = JSON.parse(raw[0]!);
    expect(first).toMatchObject({
      '@version': '1',
      message: 'id issued',
      level: 'info',
      service: 'id-generator',
      correlation_id: '123456789012345678',
      endpoint: 'POST /nextid',
    });
    expect(new Date(first['@timestamp']).toISOString()).toBe(first['@timestamp']);
    expect(JSON.parse(raw[1]!)).toMatchObject({ level: 'warn', message: 'clock moved backwards' });
    expect(sink.stats()).toMatchObject({ sentLines: 2, droppedLines: { bufferFull: 0, sendError: 0 } });
    await sink.close();
    await redis.del(key);
  });

  it('caps the list with LTRIM (newest kept)', async () => {
    const key = `test:logs:${randomBytes(4).toString('hex')}`;
    const sink = new RedisLogSink({ ...sinkOptions(key), maxListLength: 5 });
    for (let i = 0; i < 12; i++) sink.write(`{"message":"line ${i}"}\n`);
    await sink.flush();
    const raw = await redis.lrange(key, 0, -1);
    expect(raw.map((line) => JSON.parse(line).message)).toEqual(['line 7', 'line 8', 'line 9', 'line 10', 'line 11']);
    await sink.close();
    await redis.del(key);
  });

  it('never blocks: a full buffer drops and counts', () => {
    const key = `test:logs:${randomBytes(4).toString('hex')}`;
    const sink = new RedisLogSink({
      ...sinkOptions(key),
      maxBufferedLines: 3,
      maxBatchLines: 1000,
      flushIntervalMillis: 60_000,
    });
    for (let i = 0; i < 10; i++) expect(sink.write('{"message":"x"}\n')).toBe(true);
    expect(sink.stats()).toMatchObject({ bufferedLines: 3, droppedLines: { bufferFull: 7 } });
    void sink.close();
  });

  it('counts lines lost when Redis is down, without throwing', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
    });
    down.on('error', () => {});
    const sink = new RedisLogSink({ ...sinkOptions('unused'), redis: down });
    sink.write('{"message":"a"}\n');
    sink.write('{"message":"b"}\n');
    await sink.flush();
    expect(sink.stats().droppedLines.sendError).toBe(2);
    expect(sink.stats().lastError).toBeTruthy();
    await sink.close();
    down.disconnect();
  });
});
