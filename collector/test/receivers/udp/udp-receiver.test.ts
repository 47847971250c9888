import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../../wire/test/support/reference-encoder.js';
import type { Collector } from '../../../src/app.js';
import { testCollector } from '../../support/collector.js';
import { batchOf, hopEvents } from '../../support/hops.js';
import { sendDatagrams } from '../../support/udp.js';
import { until } from '../../support/until.js';

const T0 = 1_700_000_000_000_000;
let collector: Collector | undefined;
const sender = createSocket('udp4');

afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

const send = (port: number, datagrams: Buffer[]) => sendDatagrams(sender, port, datagrams);

const hop = (spanId: string) =>
  hopEvents({ traceId: 't', spanId, times: { REQ: T0, IN: T0 + 1, OUT: T0 + 2, REP: T0 + 3 } });

describe('UDP receiver', () => {
  it('receives datagrams on a real socket and assembles spans', async () => {
    collector = await testCollector();
    const { udpPort } = await collector.start();
    await send(udpPort, [encodeBatch(batchOf(hop('a').slice(0, 2), 0)), encodeBatch(batchOf(hop('a').slice(2), 1))]);
    await until(() => collector!.assembler.stats().completeSpans === 1);
    expect(await collector.store.getTrace('t')).toHaveLength(1);
  });

  it('drops and counts oversized, foreign, wrong-version and truncated datagrams by reason', async () => {
    collector = await testCollector({ udp: { maxDatagramBytes: 200 } });
    const { udpPort } = await collector.start();
    const good = encodeBatch(batchOf(hop('g')));
    const wrongVersion = Buffer.from(good);
    wrongVersion[2] = 9;
    await send(udpPort, [
      Buffer.alloc(300, 1),
      Buffer.from('GET / HTTP/1.1'),
      wrongVersion.subarray(0, 150),
      Buffer.from([0x50]),
      Buffer.concat([good.subarray(0, 4), Buffer.from([0x32, 0xff, 0xff])]),
    ]);
    await until(() => collector!.receiver.stats().receivedDatagrams === 5);
    const stats = collector.receiver.stats();
    expect(stats.droppedDatagrams).toMatchObject({
      oversized: 1,
      bad_magic: 1,
      wrong_version: 1,
      too_short: 1,
      malformed: 1,
    });
    expect(stats.rejectedDatagrams).toBe(5);
    expect(stats.acceptedDatagrams).toBe(0);
  });

  it('with hmacKey, rejects datagrams without a valid HMAC and accepts signed ones', async () => {
    const key = 'shared-secret-key-0123456789';
    collector = await testCollector({ udp: { hmacKey: key } });
    const { udpPort } = await collector.start();
    const events = hop('h');
    await send(udpPort, [
      encodeBatch(batchOf(events)),
      encodeBatch(batchOf(events), Buffer.from('another-key-of-some-length')),
      encodeBatch(batchOf(events), Buffer.from(key)),
    ]);
    await until(() => collector!.receiver.stats().receivedDatagrams === 3);
    expect(collector.receiver.stats().droppedDatagrams).toMatchObject({ missing_hmac: 1, bad_hmac: 1 });
    expect(collector.receiver.stats().acceptedDatagrams).toBe(1);
    expect(collector.assembler.stats().completeSpans).toBe(1);
  });

  it('accounts per-client loss from sequence gaps, reordering and tracer drop counters', async () => {
    collector = await testCollector();
    for (const seq of [0, 1, 4, 5, 3, 9]) {
      const batch = batchOf(hop(`s${seq}`).slice(0, 1), seq, 'tracer-A');
      batch.drops.bufferFull = seq;
      collector.ingest(encodeBatch(batch));
    }
    collector.ingest(encodeBatch(batchOf(hop('x').slice(0, 1), 4_294_967_295, 'tracer-B')));
    collector.ingest(encodeBatch(batchOf(hop('y').slice(0, 1), 0, 'tracer-B')));
    const clients = collector.receiver.clients.clientsLoss();
    const a = clients.find((c) => c.tracerId === 'tracer-A')!;
    // Gaps: 2,3 missing after 1 (then 3 arrives late), 6,7,8 missing after 5 → 4 lost.
    expect(a).toMatchObject({ receivedDatagrams: 6, lostDatagrams: 4, reorderedDatagrams: 1 });
    expect(a.tracerDrops.bufferFull).toBe(9);
    // The sequence wraps at 2^32 without counting loss.
    expect(clients.find((c) => c.tracerId === 'tracer-B')).toMatchObject({ receivedDatagrams: 2, lostDatagrams: 0 });
  });

  it('counts invalid events inside an accepted datagram without losing the valid ones', async () => {
    collector = await testCollector();
    const events = hop('v');
    events[1]!.timestampMicros = -5;
    collector.ingest(encodeBatch(batchOf(events)));
    expect(collector.receiver.stats()).toMatchObject({ acceptedDatagrams: 1, invalidEvents: 1, acceptedEvents: 3 });
  });
});
