import { createSocket } from 'node:dgram';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../../wire/test/support/reference-encoder.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { CollectorEngine } from '../../../src/engine/collector-engine.js';
import { MAX_BATCH_DATAGRAMS } from '../../../src/receivers/udp/udp-datagram-endpoint.js';
import { UdpReceiver } from '../../../src/receivers/udp/udp-receiver.js';
import { batchOf, hopEvents } from '../../support/hops.js';
import { sendDatagrams } from '../../support/udp.js';
import { until } from '../../support/until.js';

const T0 = 1_700_000_000_000_000;
const sender = createSocket('udp4');
let receiver: UdpReceiver | undefined;

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});
afterAll(() => sender.close());

/** One datagram holding a whole hop (so it finishes one span), span id `spanId`. */
const hopDatagram = (spanId: string, sequence: number) =>
  encodeBatch(
    batchOf(
      hopEvents({ traceId: `t-${spanId}`, spanId, times: { REQ: T0, IN: T0 + 1, OUT: T0 + 2, REP: T0 + 3 } }),
      sequence,
    ),
  );

/** A receiver on a real socket whose engine's sink records each hand-off: its span ids and when. */
async function startReceiver(ingestBatchMillis: number) {
  const handOffs: { spanIds: string[]; atMillis: number }[] = [];
  const engine = new CollectorEngine(
    {
      spanTimeoutMillis: 60_000,
      maxPendingSpans: 10_000,
      skewCorrection: true,
      lateWindowMillis: 60_000,
      maxRememberedSpans: 10_000,
    },
    (spans) => handOffs.push({ spanIds: spans.map((s) => s.spanId), atMillis: performance.now() }),
  );
  const { udp } = loadConfig({ values: { udp: { port: 0, ingestBatchMillis } } });
  receiver = new UdpReceiver({ ...udp, warnIntervalMillis: 60_000 }, engine, pino({ level: 'silent' }));
  const port = await receiver.start();
  return { receiver, port, handOffs };
}

const send = (port: number, datagrams: Buffer[]) => sendDatagrams(sender, port, datagrams);

describe('UDP receiver: datagrams ingested in batches (udp.ingestBatchMillis)', () => {
  it('gathers the datagrams of ingestBatchMillis and hands their spans on together, in arrival order', async () => {
    const { port, handOffs } = await startReceiver(1000);
    const sentAt = performance.now();
    await send(port, [hopDatagram('a', 0), hopDatagram('b', 1), hopDatagram('c', 2)]);
    await until(() => handOffs.length > 0);
    expect(handOffs).toHaveLength(1);
    expect(handOffs[0]?.spanIds).toEqual(['a', 'b', 'c']);
    // Nothing was ingested before the batch was due (timers never fire early by more than a tick).
    expect((handOffs[0]?.atMillis as number) - sentAt).toBeGreaterThanOrEqual(990);
    expect(receiver?.stats()).toMatchObject({ receivedDatagrams: 3, acceptedDatagrams: 3, acceptedEvents: 12 });
  });

  it('ingests a full batch at once, and starts the next one', async () => {
    const { port, handOffs } = await startReceiver(1000);
    const datagrams = Array.from({ length: MAX_BATCH_DATAGRAMS + 1 }, (_, i) => hopDatagram(`s${i}`, i));
    await send(port, datagrams);
    await until(() => handOffs.length === 2);
    expect(handOffs.map((h) => h.spanIds.length)).toEqual([MAX_BATCH_DATAGRAMS, 1]);
    expect(handOffs[1]?.spanIds).toEqual([`s${MAX_BATCH_DATAGRAMS}`]);
  });

  it('with ingestBatchMillis 0, ingests each datagram as it arrives', async () => {
    const { port, handOffs } = await startReceiver(0);
    await send(port, [hopDatagram('a', 0), hopDatagram('b', 1), hopDatagram('c', 2)]);
    await until(() => handOffs.length === 3);
    expect(handOffs.map((h) => h.spanIds)).toEqual([['a'], ['b'], ['c']]);
  });

  it('close ingests the datagrams still gathered: none is lost', async () => {
    const started = await startReceiver(1000);
    await send(started.port, [hopDatagram('a', 0), hopDatagram('b', 1)]);
    // Long enough for the event loop to read them off the socket, far from the batch's second.
    await new Promise((r) => setTimeout(r, 100));
    expect(started.handOffs).toHaveLength(0);
    await started.receiver.close();
    expect(started.handOffs.map((h) => h.spanIds)).toEqual([['a', 'b']]);
    expect(started.receiver.stats()).toMatchObject({ receivedDatagrams: 2, acceptedEvents: 8 });
  });

  it('reads a burst that waited in the kernel while it polled, loses nothing, and is woken by a datagram once idle', async () => {
    const { port, handOffs, receiver: started } = await startReceiver(2);
    const burst = Array.from({ length: 3 * MAX_BATCH_DATAGRAMS }, (_, i) => hopDatagram(`b${i}`, i));
    await send(port, burst);
    await until(() => handOffs.reduce((n, h) => n + h.spanIds.length, 0) === burst.length);
    expect(handOffs.flatMap((h) => h.spanIds)).toEqual(burst.map((_, i) => `b${i}`));
    // Idle for many poll intervals, then one more datagram: it is still received and ingested.
    await new Promise((r) => setTimeout(r, 50));
    await send(port, [hopDatagram('late', burst.length)]);
    await until(() => handOffs.at(-1)?.spanIds.includes('late') === true);
    expect(started.stats()).toMatchObject({
      receivedDatagrams: burst.length + 1,
      acceptedDatagrams: burst.length + 1,
      rejectedDatagrams: 0,
    });
  });

  it('rejects bad datagrams read from the kernel queue by reason, as the ones that arrive one by one', async () => {
    const { port, handOffs, receiver: started } = await startReceiver(2);
    const good = Array.from({ length: 40 }, (_, i) => hopDatagram(`g${i}`, i));
    const truncated = (good[0] as Buffer).subarray(0, (good[0] as Buffer).length - 3);
    const foreign = Buffer.from('not a phosphor datagram at all');
    const burst = good.flatMap((d, i) => (i % 10 === 5 ? [d, truncated, foreign] : [d]));
    await send(port, burst);
    await until(() => started.stats().receivedDatagrams === burst.length);
    expect(handOffs.flatMap((h) => h.spanIds)).toEqual(good.map((_, i) => `g${i}`));
    expect(started.stats()).toMatchObject({
      acceptedDatagrams: good.length,
      rejectedDatagrams: 8,
      droppedDatagrams: expect.objectContaining({ malformed: 4, bad_magic: 4 }),
    });
  });

  it('close reads and ingests what still waits in the kernel', async () => {
    const started = await startReceiver(1000);
    // The first datagram pauses the socket's own receiving; the others stay queued in the kernel.
    await send(started.port, [hopDatagram('a', 0)]);
    await new Promise((r) => setTimeout(r, 20));
    expect(started.handOffs).toHaveLength(0);
    await send(started.port, [hopDatagram('b', 1), hopDatagram('c', 2)]);
    await started.receiver.close();
    expect(started.handOffs.flatMap((h) => h.spanIds)).toEqual(['a', 'b', 'c']);
    expect(started.receiver.stats()).toMatchObject({ receivedDatagrams: 3, acceptedEvents: 12 });
  });

  it('rejects a negative, fractional or too long ingestBatchMillis, naming it', () => {
    for (const bad of [-1, 1.5, 1001, '2']) {
      expect(() => loadConfig({ values: { udp: { ingestBatchMillis: bad } } })).toThrow(/ingestBatchMillis/);
    }
  });
});
