import { afterEach, describe, expect, it } from 'vitest';
import { ES_TARGET_NAMES } from '../../../../test/support/elasticsearch-targets.js';
import { indexNameFor } from '../../../src/storage/elasticsearch/span-document.js';
import { openRealStore, type RealStore } from './es-test-support.js';
import { BASE_MICROS, makeSpan } from './span-fixtures.js';

const DAY_MICROS = 86_400_000_000;

let real: RealStore | undefined;
afterEach(async () => {
  await real?.cleanup();
  real = undefined;
});

describe.each(ES_TARGET_NAMES)('bulk responses with errors: true, on a real node (%s)', (target) => {
  it('rejects a mapping conflict for good (counted, sampled in the log) and indexes the rest of the batch', async () => {
    real = await openRealStore(target);
    // Make sure the template exists, then pre-create the day's index with a conflicting field type.
    real.store.write([makeSpan({ startMicros: BASE_MICROS - DAY_MICROS })]);
    await real.store.flush();
    await real.admin.indices.create({
      index: indexNameFor(real.prefix, BASE_MICROS),
      mappings: { properties: { labels: { properties: { count: { type: 'long' } } } } },
    });
    const good = Array.from({ length: 9 }, () => makeSpan({ tags: { count: '42' } }));
    const bad = makeSpan({ tags: { count: 'not-a-number' } });
    real.store.write([...good.slice(0, 4), bad, ...good.slice(4)]);
    await real.store.flush();
    await real.refresh();

    const stats = real.store.stats();
    expect(stats.rejectedSpans).toBe(1);
    expect(stats.indexedSpans).toBe(10);
    const count = await real.admin.count({ index: indexNameFor(real.prefix, BASE_MICROS) });
    expect(count.count).toBe(9);
    expect(await real.store.getTrace(bad.traceId)).toBeUndefined();
    const logged = real.lines.find((l) => String(l.msg).includes('COL_ERR_ES_BULK_REJECTED'));
    expect(logged?.msg).toMatch(/1 span\(s\) rejected.*mapper_parsing_exception|document_parsing_exception/);
  });

  it('retries items answered 503 (primary shard unassigned) until the shard comes back, indexing each once', async () => {
    real = await openRealStore(target, { requestTimeoutMillis: 2_000, retryMaxBackoffMillis: 300 });
    real.store.write([makeSpan({ startMicros: BASE_MICROS - DAY_MICROS })]);
    await real.store.flush();
    const blockedDay = BASE_MICROS + DAY_MICROS;
    const blocked = indexNameFor(real.prefix, blockedDay);
    // A primary that cannot be allocated: bulk items for it time out with 503 unavailable_shards.
    await real.admin.indices.create({
      index: blocked,
      settings: { 'index.routing.allocation.require._name': 'no-such-node' },
      wait_for_active_shards: 0,
    });
    const okSpans = Array.from({ length: 5 }, () => makeSpan());
    const waiting = Array.from({ length: 5 }, () => makeSpan({ startMicros: blockedDay }));
    real.store.write([...okSpans, ...waiting]);
    const done = real.store.flush();

    await expect.poll(() => real!.store.stats().retriedItems, { timeout: 15_000, interval: 100 }).toBeGreaterThan(0);
    expect(real.store.stats().indexedSpans).toBe(1 + okSpans.length);
    await real.admin.indices.putSettings({
      index: blocked,
      settings: { 'index.routing.allocation.require._name': null },
    });
    await done;
    await real.refresh();

    const stats = real.store.stats();
    expect(stats.indexedSpans).toBe(11);
    expect(stats.rejectedSpans).toBe(0);
    expect((await real.admin.count({ index: blocked })).count).toBe(5);
    for (const span of waiting) expect(await real.store.getTrace(span.traceId)).toEqual([span]);
  }, 60_000);
});
