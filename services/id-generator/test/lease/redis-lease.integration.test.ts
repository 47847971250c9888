import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBackend } from '../../../../test/support/backends.js';
import { decodeId, PAIR_COUNT } from '../../src/ids/flaki-layout.js';
import { IdGenerator } from '../../src/ids/id-generator.js';
import { RedisLease } from '../../src/lease/redis-lease.js';

let redisUrl: string;
const clients: Redis[] = [];
const leases: RedisLease[] = [];

function client(): Redis {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  clients.push(redis);
  return redis;
}

async function connected(redis: Redis): Promise<Redis> {
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return redis;
}

function prefix(): string {
  return `test:lease:${randomBytes(4).toString('hex')}`;
}

async function makeLease(keyPrefix: string, overrides: Partial<ConstructorParameters<typeof RedisLease>[0]> = {}) {
  const lease = new RedisLease({
    redis: await connected(client()),
    keyPrefix,
    // Tolerates ~550 ms event-loop stalls on a busy machine before failing closed.
    ttlMillis: 1_000,
    failClosedMarginMillis: 300,
    reuseMarginMillis: 100,
    renewIntervalMillis: 150,
    acquireRetryMillis: 50,
    ...overrides,
  });
  const generator = new IdGenerator({ pairs: lease, maxClockWaitMillis: 2_000 });
  lease.setLastTimestampSource((generation) => generator.lastTimestampFor(generation));
  leases.push(lease);
  return { lease, generator };
}

/** Occupies every pair except `freeIndex`, so the next acquire must take that one. */
async function occupyAllBut(keyPrefix: string, freeIndex: number, redis: Redis): Promise<void> {
  const pipeline = redis.pipeline();
  for (let i = 0; i < PAIR_COUNT; i++) if (i !== freeIndex) pipeline.set(`${keyPrefix}:pair:${i}`, 'someone-else');
  await pipeline.exec();
}

beforeAll(async () => {
  redisUrl = await requireBackend('redis');
});

afterAll(async () => {
  for (const lease of leases) await lease.close();
  for (const redis of clients) redis.disconnect();
});

describe('RedisLease against real Redis', () => {
  it('acquires distinct pairs for concurrent instances, each with a token and an expiry', async () => {
    const keyPrefix = prefix();
    const a = await makeLease(keyPrefix);
    const b = await makeLease(keyPrefix);
    expect(await a.lease.start()).toBe(true);
    expect(await b.lease.start()).toBe(true);
    expect(a.lease.heldPairIndex()).not.toBe(b.lease.heldPairIndex());
    const redis = await connected(client());
    expect(await redis.get(`${keyPrefix}:pair:${a.lease.heldPairIndex()}`)).toBe(a.lease.token);
    const pttl = await redis.pttl(`${keyPrefix}:pair:${a.lease.heldPairIndex()}`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1_100);
    const idA = decodeId(a.generator.nextIdSync());
    const grant = a.lease.current()!;
    expect([idA.nodeId, idA.componentId]).toEqual([grant.nodeId, grant.componentId]);
  });

  it('renews in the background: keeps issuing well past the TTL', async () => {
    const { lease, generator } = await makeLease(prefix());
    await lease.start();
    await sleep(1_500);
    expect(() => generator.nextIdSync()).not.toThrow();
    expect(lease.stats().renewals).toBeGreaterThanOrEqual(3);
  });

  it('fails closed before expiry when renewals fail, and the pair is reused only after expiry', async () => {
    const keyPrefix = prefix();
    const holderRedis = await connected(client());
    const holder = await makeLease(keyPrefix, { redis: holderRedis });
    await holder.lease.start();
    const index = holder.lease.heldPairIndex()!;
    holder.generator.nextIdSync();
    const observer = await connected(client());
    await occupyAllBut(keyPrefix, index, observer);

    const cutAt = performance.now();
    holderRedis.disconnect(); // renewals now fail
    let refusedAt = 0;
    while (performance.now() - cutAt < 2_000) {
      try {
        holder.generator.nextIdSync();
      } catch (error) {
        expect((error as Error).message).toMatch(/IDG_ERR_LEASE_UNAVAILABLE/);
        refusedAt = performance.now();
        break;
      }
      await sleep(5);
    }
    expect(refusedAt).toBeGreaterThan(0);
    // At the moment the holder refused, its key still existed: it stopped before expiry.
    expect(await observer.get(`${keyPrefix}:pair:${index}`)).toBe(holder.lease.token);
    expect(holder.lease.stats().renewalFailures).toBeGreaterThan(0);

    const successor = await makeLease(keyPrefix);
    expect(await successor.lease.start()).toBe(false); // still held in Redis until expiry + margin
    const boundBefore = Number(await observer.get(`${keyPrefix}:bound:${index}`));
    const waitStarted = performance.now();
    while (!(await successor.lease.renew()) && performance.now() - waitStarted < 5_000) await sleep(25);
    expect(successor.lease.heldPairIndex()).toBe(index);
    expect(successor.lease.current()!.floorMillis).toBe(boundBefore);
    const first = decodeId(await successor.generator.nextValidId());
    expect(first.timestampMillis).toBeGreaterThan(boundBefore);
  });

  it('detects a lost lease by token, then acquires another pair with a new generation', async () => {
    const keyPrefix = prefix();
    const { lease, generator } = await makeLease(keyPrefix);
    await lease.start();
    const index = lease.heldPairIndex()!;
    const generation = lease.current()!.generation;
    const intruder = await connected(client());
    await intruder.set(`${keyPrefix}:pair:${index}`, 'intruder-token', 'PX', 60_000);
    expect(await lease.renew()).toBe(true);
    expect(lease.stats().losses).toBe(1);
    expect(lease.heldPairIndex()).not.toBe(index);
    expect(lease.current()!.generation).toBeGreaterThan(generation);
    expect(await intruder.get(`${keyPrefix}:pair:${index}`)).toBe('intruder-token'); // not renewed for us
    expect(decodeId(generator.nextIdSync()).componentId).toBe(lease.current()!.componentId);
  });

  it('release is token-checked and records the last timestamp used as the next floor', async () => {
    const keyPrefix = prefix();
    const { lease, generator } = await makeLease(keyPrefix);
    await lease.start();
    const index = lease.heldPairIndex()!;
    const last = decodeId(generator.nextIdSync()).timestampMillis;
    await lease.close();
    await lease.close();
    const redis = await connected(client());
    expect(await redis.exists(`${keyPrefix}:pair:${index}`)).toBe(0);
    expect(Number(await redis.get(`${keyPrefix}:bound:${index}`))).toBe(last);
    expect(() => generator.nextIdSync()).toThrow(/IDG_ERR_LEASE_UNAVAILABLE/);
    expect(lease.stats().releases).toBe(1);
  });

  it('rejects renewal settings that would let the lease lapse before renewal', async () => {
    await expect(
      makeLease(prefix(), { ttlMillis: 1_000, failClosedMarginMillis: 300, renewIntervalMillis: 800 }),
    ).rejects.toThrow(/lease.renewIntervalMillis must be below/);
  });
});
