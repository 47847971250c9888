import { describe, expect, it } from 'vitest';
import { IdServiceError } from '../../src/errors.js';
import { ManualClock } from '../../src/ids/clock.js';
import { decodeId, MAX_SEQUENCE } from '../../src/ids/flaki-layout.js';
import { IdGenerator } from '../../src/ids/id-generator.js';
import type { PairGrant, PairSource } from '../../src/ids/pair-grant.js';
import { StaticPairSource } from '../../src/ids/pair-grant.js';

const START = Date.UTC(2025, 5, 1, 12, 0, 0);

function makeGenerator(clock: ManualClock, maxClockWaitMillis = 200, pairs: PairSource = new StaticPairSource(2, 9)) {
  return new IdGenerator({ pairs, clock, maxClockWaitMillis });
}

async function rejection(promise: Promise<unknown>): Promise<IdServiceError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof IdServiceError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('IdGenerator', () => {
  it('encodes clock, pair and an increasing sequence', () => {
    const clock = new ManualClock(START);
    const generator = makeGenerator(clock);
    const a = decodeId(generator.nextIdSync());
    const b = decodeId(generator.nextIdSync());
    expect(a).toMatchObject({ timestampMillis: START, nodeId: 2, componentId: 9, sequence: 0 });
    expect(b).toMatchObject({ timestampMillis: START, sequence: 1 });
    clock.advance(1);
    expect(decodeId(generator.nextIdSync())).toMatchObject({ timestampMillis: START + 1, sequence: 0 });
    expect(generator.stats().issuedIds).toBe(3);
  });

  it('ids are strictly increasing', async () => {
    const generator = new IdGenerator({ pairs: new StaticPairSource(0, 0) });
    const ids = await generator.nextIds(50_000, false);
    for (let i = 1; i < ids.length; i++) expect(BigInt(ids[i]!) > BigInt(ids[i - 1]!)).toBe(true);
  });

  it('NextID fails with IDG_ERR_CLOCK_BACKWARDS when the clock moved backwards', async () => {
    const clock = new ManualClock(START);
    const generator = makeGenerator(clock);
    generator.nextIdSync();
    clock.advance(-5);
    expect(() => generator.nextIdSync()).toThrow(/IDG_ERR_CLOCK_BACKWARDS: clock moved backwards: 5 ms/);
    expect((await rejection(generator.nextId())).code).toBe('IDG_ERR_CLOCK_BACKWARDS');
    expect(generator.stats().clockBackwardsErrors).toBe(2);
  });

  it('NextValidID waits for the clock to catch up, then issues a later id', async () => {
    const clock = new ManualClock(START);
    const generator = makeGenerator(clock, 2_000);
    generator.nextIdSync();
    clock.advance(-30);
    const pending = generator.nextValidId();
    setTimeout(() => clock.set(START + 1), 40);
    const id = decodeId(await pending);
    expect(id.timestampMillis).toBe(START + 1);
    expect(generator.stats().clockWaits).toBeGreaterThan(0);
  });

  it('NextValidID fails with IDG_ERR_CLOCK_WAIT_EXCEEDED after the bound', async () => {
    const clock = new ManualClock(START);
    const generator = makeGenerator(clock, 60);
    generator.nextIdSync();
    clock.advance(-10_000);
    const started = performance.now();
    const error = await rejection(generator.nextValidId());
    expect(error.code).toBe('IDG_ERR_CLOCK_WAIT_EXCEEDED');
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('sequence overflow waits for the next millisecond (async) and fails synchronously', async () => {
    const clock = new ManualClock(START);
    const generator = makeGenerator(clock, 2_000);
    const first = await generator.nextIds(MAX_SEQUENCE + 1, false);
    expect(decodeId(first.at(-1)!).sequence).toBe(MAX_SEQUENCE);
    expect(() => generator.nextIdSync()).toThrow(/IDG_ERR_SEQUENCE_EXHAUSTED/);
    const pending = generator.nextId();
    setTimeout(() => clock.advance(1), 20);
    expect(decodeId(await pending)).toMatchObject({ timestampMillis: START + 1, sequence: 0 });
    expect(generator.stats().sequenceWaits).toBeGreaterThan(0);
  });

  it('a batch spanning the overflow gets ids from the next millisecond', async () => {
    const clock = new ManualClock(START);
    const generator = makeGenerator(clock, 2_000);
    const timer = setInterval(() => clock.advance(1), 5);
    const ids = await generator.nextIds(MAX_SEQUENCE + 10, false);
    clearInterval(timer);
    expect(new Set(ids).size).toBe(MAX_SEQUENCE + 10);
    expect(decodeId(ids.at(-1)!).timestampMillis).toBeGreaterThan(START);
  });

  describe('with a leased pair', () => {
    class FakeLease implements PairSource {
      grant: PairGrant | undefined;
      current() {
        return this.grant;
      }
      unavailableReason() {
        return 'lease lost';
      }
    }

    it('never issues at or before the floor of a new grant', async () => {
      const clock = new ManualClock(START);
      const lease = new FakeLease();
      lease.grant = {
        nodeId: 1,
        componentId: 1,
        floorMillis: START,
        ceilingMillis: START + 10_000,
        validUntilMonotonicMillis: Number.POSITIVE_INFINITY,
        generation: 1,
      };
      const generator = makeGenerator(clock, 100, lease);
      expect(() => generator.nextIdSync()).toThrow(/IDG_ERR_SEQUENCE_EXHAUSTED/);
      clock.advance(1);
      expect(decodeId(generator.nextIdSync()).timestampMillis).toBe(START + 1);
    });

    it('fails closed when the grant is gone, expired, or the clock is past the persisted ceiling', () => {
      const clock = new ManualClock(START);
      const lease = new FakeLease();
      const generator = makeGenerator(clock, 100, lease);
      expect(() => generator.nextIdSync()).toThrow(/IDG_ERR_LEASE_UNAVAILABLE: lease lost/);
      lease.grant = {
        nodeId: 1,
        componentId: 1,
        floorMillis: 0,
        ceilingMillis: START + 5,
        validUntilMonotonicMillis: performance.now() - 1,
        generation: 2,
      };
      expect(() => generator.nextIdSync()).toThrow(/IDG_ERR_LEASE_UNAVAILABLE: the lease has expired/);
      lease.grant = { ...lease.grant, validUntilMonotonicMillis: Number.POSITIVE_INFINITY };
      expect(decodeId(generator.nextIdSync()).timestampMillis).toBe(START);
      clock.advance(6);
      expect(() => generator.nextIdSync()).toThrow(/past the timestamp bound/);
      expect(generator.stats().leaseRefusals).toBe(3);
    });
  });
});
