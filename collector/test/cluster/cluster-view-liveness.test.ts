/**
 * The cluster view rebuilds its reader when this member's own status stops coming back through the
 * cluster topic, or when the client reports its own failure as an 'error' event. The Kafka client is a
 * fake here (the real one is exercised in test/cluster/kafka-cluster.test.ts).
 */
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { fakeClockPerTest } from '../support/fake-clock.js';

class FakeStream extends EventEmitter {}

class FakeConsumer extends EventEmitter {
  static built: FakeConsumer[] = [];
  readonly stream = new FakeStream();
  /** A stuck consumer's stream gets no records (and reports nothing). */
  stuck = false;
  constructor() {
    super();
    FakeConsumer.built.push(this);
  }
  async consume(): Promise<FakeStream> {
    return this.stream;
  }
  close(_force: boolean, callback: () => void): void {
    callback();
  }
}

class FakeProducer {
  /** Every record sent reaches the newest consumer's stream unless that consumer is stuck. */
  async send(request: { messages: { value: Buffer }[] }): Promise<void> {
    const consumer = FakeConsumer.built.at(-1);
    if (consumer === undefined || consumer.stuck) return;
    for (const message of request.messages) consumer.stream.emit('data', { value: message.value });
  }
  close(_force: boolean, callback: () => void): void {
    callback();
  }
}

vi.mock('@platformatic/kafka', () => ({ Consumer: FakeConsumer, Producer: FakeProducer }));

const { ClusterView } = await import('../../src/cluster/cluster-view.js');
const { loadConfig } = await import('../../src/config/load-config.js');

function view() {
  const { kafka } = loadConfig({ values: { kafka: { memberName: 'receiver-a', publishIntervalMillis: 1000 } } });
  return new ClusterView(kafka, { role: 'receiver', summary: () => ({}) }, [1], pino({ level: 'silent' }), 60_000);
}

describe('cluster view reader liveness', () => {
  fakeClockPerTest('Date', () => {
    FakeConsumer.built = [];
  });

  it('keeps a reader that sees its own status come back', async () => {
    const v = view();
    await v.start('http://127.0.0.1:1');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeConsumer.built).toHaveLength(1);
    expect(v.stuckReaders).toBe(0);
    expect(v.list().map((m) => m.member)).toEqual(['receiver-a']);
    await v.close();
  });

  it('rebuilds the reader once its own status has not come back for 15 s, and the new one reads again', async () => {
    const v = view();
    await v.start('http://127.0.0.1:1');
    await vi.advanceTimersByTimeAsync(5000);
    FakeConsumer.built[0]!.stuck = true;
    await vi.advanceTimersByTimeAsync(14_000);
    expect(FakeConsumer.built).toHaveLength(1);
    // Past 15 s of silence the next successful publish notices; the reader is rebuilt a second later.
    await vi.advanceTimersByTimeAsync(4000);
    expect(v.stuckReaders).toBe(1);
    expect(FakeConsumer.built).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakeConsumer.built).toHaveLength(2);
    await v.close();
  });

  it("rebuilds the reader on the client's own 'error' event instead of ending the process", async () => {
    const v = view();
    await v.start('http://127.0.0.1:1');
    await vi.advanceTimersByTimeAsync(100);
    FakeConsumer.built[0]!.emit('error', new Error('rejoin failed after 3 retries'));
    await vi.advanceTimersByTimeAsync(1500);
    expect(FakeConsumer.built).toHaveLength(2);
    expect(v.stuckReaders).toBe(0);
    await v.close();
  });
});
