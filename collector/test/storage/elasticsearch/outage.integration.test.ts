import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { ES_TARGET_NAMES, type EsTarget, requireEsTarget } from '../../../../test/support/elasticsearch-targets.js';
import type { Span } from '../../../src/model/span.js';
import { createElasticsearchStore, type ElasticsearchStore } from '../../../src/storage/elasticsearch/index.js';
import { documentId } from '../../../src/storage/elasticsearch/span-document.js';
import { captureLogger } from './es-test-support.js';
import { BASE_MICROS, makeSpan } from './span-fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops the real Elasticsearch under load, closes the collector's store while ES is down (so the
 * spool must survive a restart), opens a new store on the same spool, starts ES again, and checks
 * that every accepted span is indexed exactly once, each in its latest version.
 */
describe.each(ES_TARGET_NAMES)('Elasticsearch outage under load (real node stopped and restarted, %s)', (target) => {
  const spoolDir = mkdtempSync(join(tmpdir(), 'phosphor-es-outage-'));
  const prefix = `phosphor-outage-${process.pid}-${Date.now().toString(36)}`;
  let admin: Client | undefined;
  let es: EsTarget | undefined;
  const stores: ElasticsearchStore[] = [];

  afterAll(async () => {
    // Whatever happened, leave a running ES behind for the other tests.
    await es?.start();
    for (const s of stores) await s.close();
    await admin?.indices
      .delete({ index: `${prefix}-*`, allow_no_indices: true, ignore_unavailable: true })
      .catch(() => undefined);
    await admin?.indices.deleteIndexTemplate({ name: prefix }).catch(() => undefined);
    await admin?.close();
    rmSync(spoolDir, { recursive: true, force: true });
  }, 300_000);

  it('indexes every accepted span exactly once after the outage, replaying the spool across a restart', async () => {
    es = await requireEsTarget(target);
    const node = es;
    admin = new Client(es.adminOptions);
    const { logger } = captureLogger();
    const open = () => {
      const store = createElasticsearchStore(
        {
          ...node.connection,
          indexPrefix: prefix,
          spoolDir,
          bulkMaxSpans: 500,
          flushIntervalMillis: 50,
          // Small memory queue: the outage must go through the disk spool.
          memoryQueueMaxSpans: 1_000,
          retryInitialBackoffMillis: 100,
          retryMaxBackoffMillis: 1_000,
          requestTimeoutMillis: 3_000,
          retentionCheckIntervalMillis: 0,
        },
        logger,
      );
      stores.push(store);
      return store;
    };

    /** Latest accepted version of every span, by document id. */
    const latest = new Map<string, Span>();
    let seq = 0;
    let store = open();
    const produce = (n: number) => {
      const batch: Span[] = [];
      for (let i = 0; i < n; i++) {
        const span = makeSpan({ startMicros: BASE_MICROS + seq++ });
        batch.push(span);
      }
      // Every tenth batch also carries late-event updates of spans written earlier.
      if (seq % 1000 < n) {
        for (const old of [...latest.values()].slice(-20))
          batch.push({ ...old, lateEvents: (old.lateEvents ?? 0) + 1 });
      }
      for (const span of batch) latest.set(documentId(span), span);
      store.write(batch);
    };
    const load = async (millis: number) => {
      const end = performance.now() + millis;
      while (performance.now() < end) {
        produce(100);
        await sleep(20);
      }
    };

    await load(1_500);
    await node.stop();
    await load(3_000);
    const during = store.stats();
    expect(during.spooledSpans).toBeGreaterThan(0);
    expect((await store.health()).status).not.toBe('OK');

    // Collector restart while ES is still down: what is in memory or being retried goes to the spool.
    await store.close();
    store = open();
    expect(store.stats().spoolPendingSpans).toBeGreaterThan(0);
    await load(1_500);

    await node.start();
    await load(1_000);
    await Promise.race([
      store.flush(),
      sleep(120_000).then(() => {
        throw new Error(`spool not drained in 120 s: ${JSON.stringify(store.stats())}`);
      }),
    ]);
    await admin.indices.refresh({ index: `${prefix}-*` });

    const stats = stores.map((s) => s.stats());
    for (const s of stats) {
      expect(s.droppedSpans).toBe(0);
      expect(s.rejectedSpans).toBe(0);
    }
    const count = await admin.count({ index: `${prefix}-*` });
    expect(count.count).toBe(latest.size);
    // Exactly once: no span id appears in two documents.
    const dupes = await admin.search({
      index: `${prefix}-*`,
      size: 0,
      aggs: { ids: { terms: { field: 'span.id', min_doc_count: 2, size: 10 } } },
    });
    expect((dupes.aggregations?.ids as { buckets: unknown[] } | undefined)?.buckets).toEqual([]);
    // Latest version of each updated span won.
    const updated = [...latest.values()].filter((s) => (s.lateEvents ?? 0) > 0);
    expect(updated.length).toBeGreaterThan(0);
    const lateCount = await admin.count({
      index: `${prefix}-*`,
      query: { range: { 'phosphor.late_events': { gte: 1 } } },
    });
    expect(lateCount.count).toBe(updated.length);
    for (const span of updated.slice(0, 20)) expect(await store.getTrace(span.traceId)).toEqual([span]);
    expect(store.stats().spoolPendingSpans).toBe(0);
    expect(store.stats().spoolBytes).toBe(0);
  }, 300_000);
});
