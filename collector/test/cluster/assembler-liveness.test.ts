/**
 * The assembler rebuilds a Kafka consumer that stopped working without failing its stream: a group
 * member that no longer heartbeats, a stream that leaves records on its partitions unfetched, and a
 * client that reports its own failure as an 'error' event. The client is a fake here (the real one
 * is exercised end to end in test/cluster/kafka-cluster.test.ts).
 */
import { describe, expect, it, vi } from 'vitest';
import { fakeClockPerTest } from '../support/fake-clock.js';
import { FakeConsumer, fakeAssembler, fakeKafkaModule, TOPIC } from './support/fake-kafka.js';

vi.mock('@platformatic/kafka', () => fakeKafkaModule);

async function assembler(sessionTimeoutMillis: number) {
  return (await fakeAssembler(sessionTimeoutMillis)).assembler;
}

/** Lets the timers' async work (listOffsets, disconnect, connect) finish. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Advances the clock by `millis` with a successful heartbeat of `consumer` every 2 s. */
async function heartbeating(consumer: FakeConsumer, millis: number): Promise<void> {
  for (let t = 0; t < millis; t += 2000) {
    consumer.emit('consumer:heartbeat:end');
    await vi.advanceTimersByTimeAsync(2000);
  }
}

/** Past the restart delay: the rebuilt consumer exists. */
async function afterRestart(): Promise<void> {
  await vi.advanceTimersByTimeAsync(1500);
  await settle();
}

/** The consumer was rebuilt once, as a stall; then the assembler closes. */
async function expectOneStallRebuild(a: Awaited<ReturnType<typeof assembler>>): Promise<void> {
  await afterRestart();
  expect(a.stats().stalls).toBe(1);
  expect(FakeConsumer.built).toHaveLength(2);
  await a.close();
}

describe('assembler consumer liveness', () => {
  fakeClockPerTest('performance', () => {
    FakeConsumer.built = [];
  });

  it('rebuilds a consumer with no successful heartbeat for three session timeouts, and not before', async () => {
    const a = await assembler(6000);
    await a.start();
    const first = FakeConsumer.built[0]!;
    // Heartbeats keep it alive well past the limit.
    await heartbeating(first, 30_000);
    expect(FakeConsumer.built).toHaveLength(1);
    expect(a.stats().stalls).toBe(0);
    // Silence: rebuilt once 18 s have passed without one.
    await vi.advanceTimersByTimeAsync(16_000);
    expect(FakeConsumer.built).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(4000);
    await expectOneStallRebuild(a);
  });

  it('rebuilds a consumer whose assigned partition has records it does not fetch', async () => {
    const a = await assembler(6000);
    await a.start();
    const first = FakeConsumer.built[0]!;
    first.assignments = [{ topic: TOPIC, partitions: [0, 1] }];
    first.latest = [10n, 20n];
    first.stream.offsetsToFetch.set(`${TOPIC}:0`, 10n);
    first.stream.offsetsToFetch.set(`${TOPIC}:1`, 20n);
    // Caught up: idle is not stalled.
    await heartbeating(first, 40_000);
    expect(a.stats().stalls).toBe(0);
    // Partition 1 gets records the stream never fetches (nothing was fetched for 40 s): the next check sees it.
    first.latest = [10n, 25n];
    await heartbeating(first, 2000);
    await expectOneStallRebuild(a);
  });

  it("rebuilds the consumer on the client's own 'error' event instead of ending the process", async () => {
    const a = await assembler(6000);
    await a.start();
    FakeConsumer.built[0]!.emit('error', new Error('rejoin failed after 3 retries'));
    await afterRestart();
    expect(FakeConsumer.built).toHaveLength(2);
    expect(a.stats().resets).toBe(1);
    expect(a.stats().stalls).toBe(0);
    await a.close();
  });
});
