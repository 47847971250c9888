import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ElasticsearchConfig } from '../../../src/storage/elasticsearch/config.js';
import { createElasticsearchStore, type ElasticsearchStore } from '../../../src/storage/elasticsearch/index.js';
import { documentId } from '../../../src/storage/elasticsearch/span-document.js';
import { captureLogger } from './es-test-support.js';
import {
  bulkIds,
  bulkReply,
  type FakeNode,
  type FakeReply,
  type FakeRequest,
  fakeConnection,
  refused,
} from './fake-connection.js';
import { makeSpan } from './span-fixtures.js';

let dir: string;
let stores: ElasticsearchStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'phosphor-es-unit-'));
});
afterEach(async () => {
  vi.useRealTimers();
  for (const s of stores) await s.close();
  stores = [];
  rmSync(dir, { recursive: true, force: true });
});

const okBulk = (req: FakeRequest): FakeReply => bulkReply(req.body, () => 201);

function open(
  node: FakeNode,
  config: ElasticsearchConfig = {},
  logger = pino({ level: 'silent' }),
): ElasticsearchStore {
  const store = createElasticsearchStore(
    {
      spoolDir: join(dir, 'spool'),
      installTemplate: false,
      retentionCheckIntervalMillis: 0,
      flushIntervalMillis: 10,
      retryInitialBackoffMillis: 1,
      retryMaxBackoffMillis: 5,
      ...config,
    },
    logger,
    { clientOptions: { Connection: fakeConnection(node) } },
  );
  stores.push(store);
  return store;
}

const bulks = (node: FakeNode) => node.requests.filter((r) => r.path === '/_bulk');
const spans = (n: number) => Array.from({ length: n }, () => makeSpan());

describe('Elasticsearch store bulk exporter (fake node)', () => {
  it('batches by span count', async () => {
    const node: FakeNode = { requests: [], handle: okBulk };
    const store = open(node, { bulkMaxSpans: 10 });
    store.write(spans(25));
    await store.flush();
    expect(bulks(node).map((r) => bulkIds(r.body).length)).toEqual([10, 10, 5]);
    expect(store.stats()).toMatchObject({ acceptedSpans: 25, indexedSpans: 25, bulkRequests: 3, queuedSpans: 0 });
  });

  it('batches by bytes', async () => {
    const node: FakeNode = { requests: [], handle: okBulk };
    const store = open(node, { bulkMaxSpans: 1000, bulkMaxBytes: 4096 });
    store.write(spans(20));
    await store.flush();
    const sizes = bulks(node).map((r) => bulkIds(r.body).length);
    expect(sizes.length).toBeGreaterThan(1);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(20);
    for (const r of bulks(node)) expect(Buffer.byteLength(r.body)).toBeLessThan(4096 * 2);
  });

  it('sends a partial batch only after flushIntervalMillis', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const node: FakeNode = { requests: [], handle: okBulk };
    const store = open(node, { bulkMaxSpans: 100, flushIntervalMillis: 1_000 });
    store.write(spans(3));
    await vi.advanceTimersByTimeAsync(900);
    expect(bulks(node)).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(bulks(node)).toHaveLength(1);
  });

  it('writes each document with id traceId-spanId and an increasing external version', async () => {
    const node: FakeNode = { requests: [], handle: okBulk };
    const store = open(node);
    const span = makeSpan();
    store.write([span]);
    store.write([{ ...span, lateEvents: 1 }]);
    await store.flush();
    const actions = bulks(node)
      .flatMap((r) => r.body.split('\n').filter((_, i) => i % 2 === 0))
      .filter(Boolean)
      .map(
        (l) =>
          (JSON.parse(l) as { index: { _id: string; version: number; version_type: string; _index: string } }).index,
      );
    expect(actions.map((a) => a._id)).toEqual([documentId(span), documentId(span)]);
    expect(actions[0]!.version_type).toBe('external');
    expect(actions[1]!.version).toBeGreaterThan(actions[0]!.version);
    expect(actions[0]!._index).toMatch(/-2025\.03\.04$/);
  });

  it('keeps at most maxConcurrentRequests bulk requests in flight', async () => {
    let inFlight = 0;
    let maxSeen = 0;
    const node: FakeNode = {
      requests: [],
      handle: async (req) => {
        inFlight++;
        maxSeen = Math.max(maxSeen, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return okBulk(req);
      },
    };
    const store = open(node, { bulkMaxSpans: 5, maxConcurrentRequests: 3 });
    store.write(spans(100));
    await store.flush();
    expect(maxSeen).toBe(3);
    expect(store.stats().indexedSpans).toBe(100);
  });

  it.each([
    ['connection refused', refused()],
    [
      '429 too many requests',
      { status: 429, body: { error: { type: 'es_rejected_execution_exception' }, status: 429 } },
    ],
    ['503 unavailable', { status: 503, body: { error: { type: 'unavailable' }, status: 503 } }],
  ] as [string, FakeReply][])('retries the whole request after %s, then indexes once', async (_name, failure) => {
    let calls = 0;
    const node: FakeNode = { requests: [], handle: (req) => (++calls <= 2 ? failure : okBulk(req)) };
    const store = open(node);
    store.write(spans(7));
    await store.flush();
    expect(store.stats()).toMatchObject({ indexedSpans: 7, retriedRequests: 2, rejectedSpans: 0, bulkRequests: 3 });
  });

  it('rejects a batch answered with a non-retriable 4xx, and logs one sample with the error code', async () => {
    const node: FakeNode = {
      requests: [],
      handle: () => ({ status: 400, body: { error: { type: 'illegal_argument_exception' }, status: 400 } }),
    };
    const { logger, lines } = captureLogger();
    const store = open(node, {}, logger);
    store.write(spans(4));
    await store.flush();
    expect(store.stats()).toMatchObject({ rejectedSpans: 4, indexedSpans: 0, retriedRequests: 0 });
    const errorsLogged = lines.filter((l) => String(l.msg).startsWith('COL_ERR_ES_BULK_REJECTED'));
    expect(errorsLogged).toHaveLength(1);
  });

  it('handles a 200 with errors:true item by item: 409 superseded, 503 retried, 400 rejected', async () => {
    const batch = spans(6);
    const [superseded, retried, rejected] = batch.map(documentId);
    let round = 0;
    const node: FakeNode = {
      requests: [],
      handle: (req) => {
        round++;
        return bulkReply(req.body, (id) => {
          if (id === superseded) return 409;
          if (id === rejected) return 400;
          if (id === retried && round === 1) return 503;
          return 201;
        });
      },
    };
    const store = open(node);
    store.write(batch);
    await store.flush();
    expect(store.stats()).toMatchObject({ indexedSpans: 4, supersededSpans: 1, rejectedSpans: 1, retriedItems: 1 });
    expect(bulkIds(bulks(node)[1]!.body)).toEqual([retried]);
  });

  it('never throws from write() on a malformed span; counts it', async () => {
    const node: FakeNode = { requests: [], handle: okBulk };
    const store = open(node);
    expect(() => store.write([makeSpan({ startMicros: Number.NaN }), makeSpan()])).not.toThrow();
    await store.flush();
    expect(store.stats()).toMatchObject({ invalidSpans: 1, indexedSpans: 1 });
  });

  it('spills to the disk spool when the memory queue is full and replays it in order once ES is back', async () => {
    let down = true;
    const node: FakeNode = { requests: [], handle: (req) => (down ? refused() : okBulk(req)) };
    const store = open(node, { memoryQueueMaxSpans: 20, bulkMaxSpans: 10, maxConcurrentRequests: 1 });
    const written = spans(100);
    for (let i = 0; i < 100; i += 10) store.write(written.slice(i, i + 10));
    await new Promise((r) => setTimeout(r, 30));
    const during = store.stats();
    expect(during.spoolPendingSpans + during.queuedSpans + during.inFlightSpans).toBe(100);
    expect(during.spooledSpans).toBeGreaterThan(0);
    expect(during.spoolBytes).toBeGreaterThan(0);
    expect((await store.health()).tests.find((t) => t.name === 'spool')?.status).toBe('Degraded');
    down = false;
    await store.flush();
    const sent = bulks(node).flatMap((r) => bulkIds(r.body));
    // Successful requests, in order, carry every span once in write order.
    const okIds: string[] = [];
    for (const r of bulks(node)) {
      const ids = bulkIds(r.body);
      if (!okIds.includes(ids[0]!)) okIds.push(...ids);
    }
    expect(okIds).toEqual(written.map(documentId));
    expect(sent.length).toBeGreaterThanOrEqual(100);
    expect(store.stats()).toMatchObject({ indexedSpans: 100, droppedSpans: 0, spoolPendingSpans: 0, spoolBytes: 0 });
  });

  it('drops and counts spans beyond spoolMaxBytes, and reports it in health', async () => {
    const node: FakeNode = { requests: [], handle: () => refused() };
    const store = open(node, {
      memoryQueueMaxSpans: 5,
      spoolMaxBytes: 20_000,
      bulkMaxSpans: 5,
      maxConcurrentRequests: 1,
      requestTimeoutMillis: 200,
    });
    store.write(spans(200));
    const s = store.stats();
    expect(s.droppedSpans).toBeGreaterThan(0);
    expect(s.spoolBytes).toBeLessThanOrEqual(20_000);
    expect(s.acceptedSpans).toBe(200);
    expect(s.droppedSpans + s.spooledSpans + s.queuedSpans + s.inFlightSpans).toBe(200);
    const health = await store.health();
    expect(health.status).toBe('KO');
    expect(health.tests.find((t) => t.name === 'spool')?.error).toMatch(/dropped/);
  });

  it('close() while ES is down keeps queued spans in the spool; a new store replays them first', async () => {
    let down = true;
    const node: FakeNode = { requests: [], handle: (req) => (down ? refused() : okBulk(req)) };
    const config = { memoryQueueMaxSpans: 1000, bulkMaxSpans: 10, requestTimeoutMillis: 200, maxConcurrentRequests: 1 };
    const first = open(node, config);
    const before = spans(30);
    first.write(before);
    await first.close();
    await first.close();
    expect(readdirSync(join(dir, 'spool')).length).toBeGreaterThan(0);
    down = false;
    const second = open(node, config);
    const after = spans(5);
    second.write(after);
    await second.flush();
    const okIds = bulks(node)
      .slice(-4)
      .flatMap((r) => bulkIds(r.body));
    expect(okIds).toEqual([...before, ...after].map(documentId));
    // The spool was not empty, so the 5 new spans queued behind the 30 old ones (in order), through the spool.
    expect(second.stats()).toMatchObject({ indexedSpans: 35, replayedSpans: 35 });
  });

  it('waits for the index template before sending, retrying its installation', async () => {
    let templateCalls = 0;
    const node: FakeNode = {
      requests: [],
      handle: (req) => {
        if (req.path.startsWith('/_index_template/'))
          return ++templateCalls < 3 ? refused() : { status: 200, body: { acknowledged: true } };
        return okBulk(req);
      },
    };
    const store = open(node, { installTemplate: true });
    store.write(spans(3));
    await store.flush();
    expect(templateCalls).toBe(3);
    const firstBulk = node.requests.findIndex((r) => r.path === '/_bulk');
    const lastTemplate = node.requests.map((r) => r.path).lastIndexOf(`/_index_template/phosphor-spans`);
    expect(firstBulk).toBeGreaterThan(lastTemplate);
    const template = JSON.parse(node.requests[lastTemplate]!.body) as {
      index_patterns: string[];
      template: { settings: { number_of_replicas: number } };
    };
    expect(template.index_patterns).toEqual(['phosphor-spans-*']);
    expect(template.template.settings.number_of_replicas).toBe(0);
    expect(store.stats().templateInstalled).toBe(1);
  });

  it('wraps query failures in COL_ERR_STORAGE_UNAVAILABLE', async () => {
    const node: FakeNode = { requests: [], handle: () => refused() };
    const store = open(node);
    await expect(store.getTrace('1')).rejects.toMatchObject({ code: 'COL_ERR_STORAGE_UNAVAILABLE', statusCode: 503 });
    await expect(store.findTraces({ limit: 5 })).rejects.toMatchObject({ code: 'COL_ERR_STORAGE_UNAVAILABLE' });
    expect((await store.health()).status).toBe('KO');
  });
});

describe('Elasticsearch store shutdown', () => {
  it('close() releases a pending flush() when ES never answered (regression: flush kept the process alive)', async () => {
    const node: FakeNode = { requests: [], handle: () => refused() };
    const store = open(node, { installTemplate: true, requestTimeoutMillis: 200 });
    store.write(spans(3));
    const flushed = store.flush();
    await store.close();
    await expect(flushed).resolves.toBeUndefined();
    expect(readdirSync(join(dir, 'spool')).length).toBe(1);
  });
});
