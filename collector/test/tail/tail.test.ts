import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import type { Collector } from '../../src/app.js';
import type { Span } from '../../src/model/span.js';
import { SpanBatch } from '../../src/model/span-batch.js';
import { TailHub } from '../../src/tail/tail-hub.js';
import { testCollector } from '../support/collector.js';
import { batchOf, hopEvents } from '../support/hops.js';
import { until } from '../support/until.js';

const T0 = 1_700_000_000_000_000;
let collector: Collector | undefined;

afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

const hop = (spanId: string, to: string, errorCode?: string) =>
  hopEvents({
    traceId: 'tail',
    spanId,
    to,
    times: { REQ: T0, IN: T0 + 1, OUT: T0 + 2, REP: T0 + 3 },
    ...(errorCode ? { errorCode } : {}),
  });

/** Opens an SSE stream and collects span events until `count` arrive. */
function openTail(url: string) {
  const spans: Span[] = [];
  let buffer = '';
  let resolveReady: () => void;
  const ready = new Promise<void>((r) => {
    resolveReady = r;
  });
  let status = 0;
  let contentType = '';
  let response: import('node:http').IncomingMessage | undefined;
  const req = request(url, (res) => {
    response = res;
    status = res.statusCode ?? 0;
    contentType = String(res.headers['content-type']);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split('\n').find((l) => l.startsWith('data: '));
        if (frame.startsWith('event: span') && data) spans.push(JSON.parse(data.slice(6)) as Span);
        end = buffer.indexOf('\n\n');
      }
      resolveReady();
    });
  });
  req.end();
  return { spans, ready, req, status: () => status, contentType: () => contentType, pause: () => response?.pause() };
}

describe('TailHub', () => {
  it('makes no Span object for a batch while no client listens', () => {
    const hub = new TailHub({ maxClients: 4, maxBufferedBytes: 1 << 20, heartbeatMillis: 60_000 });
    const batch = new SpanBatch();
    let made = 0;
    batch.spans = () => {
      made++;
      return [];
    };
    batch.add();
    try {
      hub.consumeBatch(batch);
      expect(made).toBe(0);
    } finally {
      hub.close();
    }
  });
});

describe('GET /api/tail (SSE)', () => {
  it('streams finished spans, filtered by service and error', async () => {
    collector = await testCollector();
    const { httpUrl } = await collector.start();
    const all = openTail(`${httpUrl}/api/tail`);
    const errorsOfIds = openTail(`${httpUrl}/api/tail?service=ids&error=true`);
    await Promise.all([all.ready, errorsOfIds.ready]);
    expect(all.status()).toBe(200);
    expect(all.contentType()).toContain('text/event-stream');
    collector.ingest(encodeBatch(batchOf([...hop('1', 'ids'), ...hop('2', 'ids', 'E'), ...hop('3', 'auth', 'E')])));
    await until(() => all.spans.length === 3);
    await until(() => errorsOfIds.spans.length === 1);
    expect(all.spans.map((s) => s.spanId)).toEqual(['1', '2', '3']);
    expect(errorsOfIds.spans[0]).toMatchObject({ spanId: '2', to: 'ids', errorCode: 'E' });
    expect(collector.tail.stats()).toMatchObject({ tailClients: 2, tailSentSpans: 4 });
    all.req.destroy();
    errorsOfIds.req.destroy();
    await until(() => collector!.tail.stats().tailClients === 0);
  });

  it('disconnects a client that does not read instead of buffering without bound', async () => {
    collector = await testCollector({ tail: { maxBufferedBytes: 64 * 1024 } });
    const { httpUrl } = await collector.start();
    const slow = openTail(`${httpUrl}/api/tail`);
    await slow.ready;
    // Stop reading: the socket's buffers fill and the server-side backlog grows.
    slow.pause();
    const bigTags = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`blob${i}`, 'x'.repeat(4000)]));
    for (let i = 0; i < 2000 && collector.tail.stats().tailDroppedClients === 0; i++) {
      const events = hopEvents({
        traceId: 'slow',
        spanId: `s${i}`,
        times: { REQ: T0, IN: T0 + 1, OUT: T0 + 2, REP: T0 + 3 },
      });
      events[0]!.tags = bigTags; // ~40 KB per span, one event so the datagram stays under the UDP limit
      collector.ingest(encodeBatch(batchOf(events)));
      await new Promise((r) => setImmediate(r));
    }
    expect(collector.tail.stats()).toMatchObject({ tailDroppedClients: 1, tailClients: 0 });
    slow.req.destroy();
  });

  it('answers 503 past tail.maxClients', async () => {
    collector = await testCollector({ tail: { maxClients: 1 } });
    const { httpUrl } = await collector.start();
    const first = openTail(`${httpUrl}/api/tail`);
    await first.ready;
    const res = await collector.http.inject('/api/tail');
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('COL_ERR_API_TAIL_FULL');
    first.req.destroy();
  });
});
