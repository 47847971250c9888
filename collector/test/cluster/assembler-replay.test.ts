/**
 * After a rebalance the assembler discards its assembly state, so every assigned partition must be
 * read again from its replay start. The Kafka client can deliver, after the rebalance, the records
 * of a fetch that was in flight during it, which moves the stream past the start; the replay gate
 * sends the stream back. The client is a fake that fetches the way the real stream does (from its
 * position, which a fetch moves past what it returns); the real one runs end to end in
 * test/cluster/kafka-cluster.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import { ReplayGate, replayStarts, SAME_FIRST_OFFSET_SEEKS } from '../../src/cluster/replay-gate.js';
import { fakeClockPerTest } from '../support/fake-clock.js';
import { batchOf, hopEvents } from '../support/hops.js';
import { FakeConsumer, fakeAssembler, fakeKafkaModule, TOPIC } from './support/fake-kafka.js';

vi.mock('@platformatic/kafka', () => fakeKafkaModule);

const HOPS = 8;
const traceIdOf = (hop: number) => String(1000 + hop);

/** Partition 0's log: hop i's caller half (REQ, REP) at offset 2i, its callee half (IN, OUT) at 2i + 1. */
const log = Array.from({ length: HOPS }, (_, hop) => {
  const events = hopEvents({
    traceId: traceIdOf(hop),
    spanId: `${hop}`.padStart(16, 'a'),
    times: { REQ: 1_000, IN: 1_100, OUT: 1_200, REP: 1_300 },
  });
  const caller = events.filter((e) => e.type === 'REQ' || e.type === 'REP');
  const callee = events.filter((e) => e.type === 'IN' || e.type === 'OUT');
  return [caller, callee].map((half) => ({ key: Buffer.from(traceIdOf(hop)), value: encodeBatch(batchOf(half)) }));
}).flat();

const POSITION = `${TOPIC}:0`;

/** What the real stream does on a fetch: returns records from its position and moves the position past them. */
function fetch(consumer: FakeConsumer, until = log.length): void {
  const from = Number(consumer.stream.offsetsToFetch.get(POSITION) ?? 0n);
  if (from >= until) return;
  consumer.stream.offsetsToFetch.set(POSITION, BigInt(until));
  for (let offset = from; offset < until; offset++) {
    const record = log[offset]!;
    consumer.deliver(0, BigInt(offset), record.key, record.value);
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('assembler replay after a rebalance', () => {
  fakeClockPerTest('performance', () => {
    FakeConsumer.built = [];
  });

  it.each([
    ['committed offset', 10n],
    ['no committed offset (log start)', -1n],
  ])(
    'reads the partition again from its replay start (%s) when a stale fetch lands after the rebalance',
    async (_name, committed) => {
      const { assembler, stored } = await fakeAssembler(6000);
      await assembler.start();
      const consumer = FakeConsumer.built[0]!;
      consumer.logStarts = [0n];
      consumer.join([0]);
      await settle();
      // Hops 0–4 whole, hop 5's caller half consumed (offset 10).
      fetch(consumer, 11);
      expect(stored.filter((s) => s.missing.length === 0)).toHaveLength(5);

      // Rebalance: the partition stays here and its state is discarded.
      consumer.committed = [committed];
      consumer.join([0]);
      await settle();
      const start = committed >= 0n ? committed : 0n;
      expect(consumer.stream.offsetsToFetch.get(POSITION)).toBe(start);
      // The fetch that was in flight during the rebalance returns offsets 11–13 and moves the position to 14.
      consumer.stream.offsetsToFetch.set(POSITION, 11n);
      fetch(consumer, 14);
      // Nothing of it assembled; the stream is sent back to the start.
      expect(assembler.stats().rewoundRecords).toBe(3);
      expect(consumer.stream.offsetsToFetch.get(POSITION)).toBe(start);
      fetch(consumer);
      await vi.advanceTimersByTimeAsync(2000);

      // Every hop stored whole, hop 5 included; no half of one stored alone.
      const whole = new Set(stored.filter((s) => s.missing.length === 0).map((s) => s.traceId));
      expect([...whole].sort()).toEqual(Array.from({ length: HOPS }, (_, hop) => traceIdOf(hop)).sort());
      expect(stored.filter((s) => s.missing.length > 0)).toEqual([]);
      await assembler.close();
    },
  );

  it('assembles nothing between a rebalance and knowing where its replay starts', async () => {
    const { assembler, stored } = await fakeAssembler(6000);
    await assembler.start();
    const consumer = FakeConsumer.built[0]!;
    consumer.logStarts = [0n];
    consumer.join([0]);
    // The starts are being looked up: a record now may lie past them.
    fetch(consumer, 4);
    expect(assembler.stats().consumedRecords).toBe(0);
    // Dropped without a rewind: the lookup's result sends the stream to the start.
    expect(assembler.stats().skippedRecords).toBe(4);
    expect(assembler.stats().rewoundRecords).toBe(0);
    await settle();
    expect(consumer.stream.offsetsToFetch.get(POSITION)).toBe(0n);
    fetch(consumer, 4);
    expect(assembler.stats().consumedRecords).toBe(4);
    expect(stored.filter((s) => s.missing.length === 0)).toHaveLength(2);
    await assembler.close();
  });

  it.each([
    [2, 1],
    [3, 2],
  ])(
    'looks the starts up again when %i lookups fail, and joins with a fresh consumer when they keep failing',
    async (failing, consumers) => {
      const { assembler } = await fakeAssembler(6000);
      await assembler.start();
      const consumer = FakeConsumer.built[0]!;
      consumer.logStarts = [0n];
      consumer.failingLookups = failing;
      consumer.join([0]);
      await vi.advanceTimersByTimeAsync(5000);
      await settle();
      expect(FakeConsumer.built).toHaveLength(consumers);
      if (consumers === 1) {
        fetch(consumer, 2);
        expect(assembler.stats().consumedRecords).toBe(2);
      }
      await assembler.close();
    },
  );
});

describe('replay gate', () => {
  it('shuts on a join, opens at exactly the start, then takes increasing offsets and drops repeats', () => {
    const gate = new ReplayGate();
    const epoch = gate.shut();
    expect(gate.check(0, 5n)).toBe('drop');
    expect(gate.open(epoch, new Map([[0, 5n]]))).toBe(true);
    expect(gate.check(1, 0n)).toBe('drop'); // not assigned here
    expect(gate.check(0, 3n)).toBe('seek'); // behind the start
    expect(gate.check(0, 7n)).toBe('seek'); // past it
    expect(gate.check(0, 5n)).toBe('accept');
    expect(gate.check(0, 6n)).toBe('accept');
    expect(gate.check(0, 6n)).toBe('drop');
    expect(gate.check(0, 9n)).toBe('accept'); // gaps are the log's own once open
  });

  it('ignores the starts of a join that another join followed', () => {
    const gate = new ReplayGate();
    const first = gate.shut();
    const second = gate.shut();
    expect(gate.open(first, new Map([[0, 0n]]))).toBe(false);
    expect(gate.check(0, 0n)).toBe('drop');
    expect(gate.open(second, new Map([[0, 0n]]))).toBe(true);
    expect(gate.check(0, 0n)).toBe('accept');
  });

  it('takes a later first offset as the first once seeks to the start keep bringing it', () => {
    const gate = new ReplayGate();
    gate.open(gate.shut(), new Map([[0, 4n]]));
    for (let i = 0; i < SAME_FIRST_OFFSET_SEEKS; i++) expect(gate.check(0, 5n)).toBe('seek');
    expect(gate.check(0, 5n)).toBe('accept');
  });

  it('starts at the committed offset, or at the log start when nothing (or a removed position) is committed', () => {
    expect(replayStarts([0, 1, 2, 3], [7n, -1n, 2n], [0n, 3n, 5n, 1n])).toEqual(
      new Map([
        [0, 7n],
        [1, 3n],
        [2, 5n],
        [3, 1n],
      ]),
    );
  });
});
