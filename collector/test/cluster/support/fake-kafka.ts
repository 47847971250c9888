/**
 * A fake of the Kafka client's consumer and messages stream, with the members the assembler uses,
 * and an assembler built on it. Tests install it with
 * `vi.mock('@platformatic/kafka', () => fakeKafkaModule)` before importing the assembler.
 */
import { EventEmitter } from 'node:events';
import pino from 'pino';
import type { Span } from '../../../src/model/span.js';

export const TOPIC = 'events';
const EARLIEST = -2n;

export class FakeStream extends EventEmitter {
  readonly offsetsToFetch = new Map<string, bigint>();
  pause(): void {}
  resume(): void {}
  close(callback: () => void): void {
    callback();
  }
}

export class FakeConsumer extends EventEmitter {
  static built: FakeConsumer[] = [];
  assignments: { topic: string; partitions: number[] }[] | null = null;
  /** High watermarks listOffsets returns. */
  latest: bigint[] = [];
  /** Log start offsets listOffsets returns for the earliest timestamp. */
  logStarts: bigint[] = [];
  /** Committed offset per partition (-1 none). */
  committed: bigint[] = [];
  /** How many committed-offset lookups fail before they answer. */
  failingLookups = 0;
  /** Offsets committed through messages, in order. */
  readonly commits: { partition: number; offset: bigint }[] = [];
  readonly stream = new FakeStream();
  constructor() {
    super();
    FakeConsumer.built.push(this);
  }
  async consume(): Promise<FakeStream> {
    return this.stream;
  }
  async listOffsets(options: { timestamp?: bigint }): Promise<Map<string, bigint[]>> {
    return new Map([[TOPIC, options.timestamp === EARLIEST ? this.logStarts : this.latest]]);
  }
  async listCommittedOffsets(options: { topics: { partitions: number[] }[] }): Promise<Map<string, bigint[]>> {
    if (this.failingLookups > 0) {
      this.failingLookups--;
      throw new Error('the group coordinator is loading');
    }
    const answer: bigint[] = [];
    for (const p of options.topics[0]?.partitions ?? []) answer[p] = this.committed[p] ?? -1n;
    return new Map([[TOPIC, answer]]);
  }
  async getLag(): Promise<Map<string, bigint[]>> {
    return new Map([[TOPIC, this.latest.map(() => 0n)]]);
  }
  close(_force: boolean, callback: () => void): void {
    callback();
  }
  /** Completes a rebalance that assigns `partitions` to this member. */
  join(partitions: number[]): void {
    this.assignments = [{ topic: TOPIC, partitions }];
    this.emit('consumer:group:join');
  }
  /** Delivers the record at `offset` of `partition` on the stream. */
  deliver(partition: number, offset: bigint, key: Buffer, value: Buffer): void {
    this.stream.emit('data', {
      topic: TOPIC,
      partition,
      offset,
      key,
      value,
      commit: async () => {
        this.commits.push({ partition, offset: offset + 1n });
      },
    });
  }
}

export const fakeKafkaModule = { Consumer: FakeConsumer, ListOffsetTimestamps: { LATEST: -1n, EARLIEST } };

/** An assembler on the fake client; spans written to the store are collected in `stored`. */
export async function fakeAssembler(sessionTimeoutMillis: number, spanTimeoutMillis = 1000) {
  const { KafkaAssembler } = await import('../../../src/cluster/kafka-assembler.js');
  const { loadConfig } = await import('../../../src/config/load-config.js');
  const config = loadConfig({
    values: { kafka: { topic: TOPIC, sessionTimeoutMillis }, assembly: { spanTimeoutMillis } },
  });
  const stored: Span[] = [];
  const store = {
    backendFailing: false,
    stats: () => ({ queuedSpans: 0, inFlightSpans: 0, indexedSpans: 0, supersededSpans: 0, rejectedSpans: 0 }),
    writeTracked: (spans: Span[], settled: (stored: boolean) => void) => {
      stored.push(...spans);
      settled(true);
    },
  };
  const assembler = new KafkaAssembler({
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
  return { assembler, stored };
}
