/**
 * The assembler rebuilds a Kafka consumer that stopped working without failing its stream: a group
 * member that no longer heartbeats, a stream that leaves records on its partitions unfetched, and a
 * client that reports its own failure as an 'error' event. The client is a fake here (the real one
 * is exercised end to end in test/cluster/kafka-cluster.test.ts).
 */
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { fakeClockPerTest } from '../support/fake-clock.js';

const TOPIC = 'events';

class FakeStream extends EventEmitter {
  readonly offsetsToFetch = new Map<string, bigint>();
  pause(): void {}
  resume(): void {}
  close(callback: () => void): void {
    callback();
  }
}

class FakeConsumer extends EventEmitter {
  static built: FakeConsumer[] = [];
  assignments: { topic: string; partitions: number[] }[] | null = null;
  /** High watermarks listOffsets returns. */
  latest: bigint[] = [];
  readonly stream = new FakeStream();
  constructor() {
    super();
    FakeConsumer.built.push(this);
  }
  async consume(): Promise<FakeStream> {
    return this.stream;
  }
  async listOffsets(): Promise<Map<string, bigint[]>> {
    return new Map([[TOPIC, this.latest]]);
  }
  async getLag(): Promise<Map<string, bigint[]>> {
    return new Map([[TOPIC, this.latest.map(() => 0n)]]);
  }
  close(_force: boolean, callback: () => void): void {
    callback();
  }
}

vi.mock('@platformatic/kafka', () => ({ Consumer: FakeConsumer }));

const { KafkaAssembler } = await import('../../src/cluster/kafka-assembler.js');
const { loadConfig } = await import('../../src/config/load-config.js');

function assembler(sessionTimeoutMillis: number) {
  const config = loadConfig({ values: { kafka: { topic: TOPIC, sessionTimeoutMillis } } });
  const store = {
    backendFailing: false,
    stats: () => ({ queuedSpans: 0, inFlightSpans: 0, indexedSpans: 0, supersededSpans: 0, rejectedSpans: 0 }),
    writeTracked: () => undefined,
  };
  return new KafkaAssembler({
    kafka: config.kafka,
    assembly: config.assembly,
    // biome-ignore lint/suspicious/noExplicitAny: only the members the assembler calls are faked.
    store: store as any,
    // biome-ignore lint/suspicious/noExplicitAny: idem.
    aggregates: { recordAll: () => undefined } as any,
    // biome-ignore lint/suspicious/noExplicitAny: idem.
    tail: { publish: () => undefined } as any,
    logger: pino({ level: 'silent' }),
    warnIntervalMillis: 60_000,
  });
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
async function expectOneStallRebuild(a: ReturnType<typeof assembler>): Promise<void> {
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
    const a = assembler(6000);
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
    const a = assembler(6000);
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
    const a = assembler(6000);
    await a.start();
    FakeConsumer.built[0]!.emit('error', new Error('rejoin failed after 3 retries'));
    await afterRestart();
    expect(FakeConsumer.built).toHaveLength(2);
    expect(a.stats().resets).toBe(1);
    expect(a.stats().stalls).toBe(0);
    await a.close();
  });
});
