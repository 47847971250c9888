/**
 * Elasticsearch benchmark (`npm run bench:es`), against the real node of test/infra/backends.sh.
 *
 * 1. Indexing: the same spans indexed by the store's bulk exporter (write() → queue → bulk, with
 *    document conversion, external versions and per-item handling) and by a raw
 *    `client.helpers.bulk` (documents pre-built, same ids, same concurrency and batch bytes),
 *    alternating, in the same process run. Target: exporter ≥ 90 % of the raw helper.
 * 2. Trace by id: 1M spans (100k traces of 10) stored through the exporter, then getTrace() on
 *    random traces, p50/p99, next to a raw search for the same ids (one request, no decoding).
 *
 * Options (env): BENCH_SPANS (per indexing run, default 100000), BENCH_STORED_SPANS (default 1000000),
 * BENCH_LOOKUPS (default 1000). The 1M-span index (`phosphor-bench-stored-*`) is kept and reused by
 * the next run when it already holds enough spans, so only the first run pays for loading it;
 * BENCH_CLEAN=1 deletes it at the end.
 */
import { Client } from '@elastic/elasticsearch';
import pino from 'pino';
import { requireBackend } from '../../test/support/backends.js';
import type { Span } from '../src/model/span.js';
import { createElasticsearchStore, type ElasticsearchStore } from '../src/storage/elasticsearch/index.js';
import { documentId, indexNameFor, toDocument } from '../src/storage/elasticsearch/span-document.js';

const SPANS = Number(process.env.BENCH_SPANS ?? 100_000);
const STORED = Number(process.env.BENCH_STORED_SPANS ?? 1_000_000);
const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 1_000);
const CLEAN = process.env.BENCH_CLEAN === '1';
const STORED_PREFIX = 'phosphor-bench-stored';
/** Same request shape for both indexers: two in flight, ~5 MB bodies. */
const CONCURRENCY = 2;
const BULK_BYTES = 5 * 1024 * 1024;
const SPANS_PER_TRACE = 10;
const DAY_START_MICROS = Date.UTC(2025, 0, 15) * 1000;

const url = await requireBackend('elasticsearch');
const admin = new Client({ node: url, requestTimeout: 120_000 });
const run = Date.now().toString(36);
const prefixes: string[] = [];

/** Deterministic, cheap span generator: no crypto, ids from counters. */
function span(n: number, salt: string): Span {
  const trace = Math.floor(n / SPANS_PER_TRACE);
  const i = n % SPANS_PER_TRACE;
  const start = DAY_START_MICROS + trace * 1000 + i * 10;
  const traceId = `${salt}${trace}`;
  const spanId = (0x1000000000000000n + BigInt(n)).toString(16);
  return {
    traceId,
    spanId,
    ...(i > 0 ? { parentSpanId: (0x1000000000000000n + BigInt(n - i)).toString(16) } : {}),
    from: i === 0 ? 'gateway' : 'id-generator',
    fromEndpoint: i === 0 ? 'GET /id' : 'NextID',
    to: i === 0 ? 'id-generator' : `store-${i % 3}`,
    toEndpoint: i === 0 ? 'NextID' : 'Lease',
    clientHost: `host-${trace % 7}`,
    serverHost: `host-${(trace + 1) % 7}`,
    events: { REQ: start, IN: start + 20, OUT: start + 180, REP: start + 200 },
    rawEvents: { REQ: start, IN: start + 25, OUT: start + 185, REP: start + 200 },
    skewMicros: -5,
    skewCorrected: true,
    missing: [],
    clientDurationMicros: 200,
    serverDurationMicros: 160,
    startMicros: start,
    durationMicros: 200,
    ...(n % 97 === 0 ? { errorCode: 'UNAVAILABLE', errorDescription: 'lease store down' } : {}),
    tags: { correlation_id: traceId, 'http.method': 'GET' },
  };
}

function openStore(prefix: string): ElasticsearchStore {
  prefixes.push(prefix);
  return createElasticsearchStore(
    {
      nodes: [url],
      indexPrefix: prefix,
      bulkMaxSpans: 5_000,
      bulkMaxBytes: BULK_BYTES,
      maxConcurrentRequests: CONCURRENCY,
      memoryQueueMaxSpans: 200_000,
      spoolMaxBytes: 0,
      retentionCheckIntervalMillis: 0,
      requestTimeoutMillis: 120_000,
    },
    pino({ level: 'warn' }),
  );
}

/** Feeds spans in chunks of 5,000 (as the assembler would), waiting while the queue is deep. */
async function feed(store: ElasticsearchStore, from: number, count: number, salt: string): Promise<void> {
  const CHUNK = 5_000;
  for (let n = from; n < from + count; n += CHUNK) {
    const chunk: Span[] = [];
    for (let k = n; k < Math.min(n + CHUNK, from + count); k++) chunk.push(span(k, salt));
    store.write(chunk);
    while (store.stats().queuedSpans > 100_000) await new Promise((r) => setTimeout(r, 2));
  }
  await store.flush();
}

async function exporterRun(round: number): Promise<number> {
  const store = openStore(`phosphor-bench-${run}-exp${round}`);
  // Let the template go in before timing.
  store.write([span(0, 'warm')]);
  await store.flush();
  const t0 = performance.now();
  await feed(store, 0, SPANS, `e${round}-`);
  const seconds = (performance.now() - t0) / 1000;
  const s = store.stats();
  if (s.indexedSpans !== SPANS + 1 || s.rejectedSpans !== 0)
    throw new Error(`exporter run lost spans: ${JSON.stringify(s)}`);
  await store.close();
  return SPANS / seconds;
}

async function helperRun(round: number): Promise<number> {
  // Same template and settings as the exporter's indices, installed by a store that sends nothing else.
  const prefix = `phosphor-bench-${run}-raw${round}`;
  const store = openStore(prefix);
  store.write([span(0, 'warm')]);
  await store.flush();
  await store.close();
  const salt = `r${round}-`;
  const t0 = performance.now();
  // Documents are built inside the generator, so the helper pays for conversion like the exporter.
  async function* docs() {
    for (let n = 0; n < SPANS; n++) yield span(n, salt);
  }
  const result = await admin.helpers.bulk<Span>({
    datasource: docs(),
    onDocument: (s) => [{ index: { _index: indexNameFor(prefix, s.startMicros), _id: documentId(s) } }, toDocument(s)],
    flushBytes: BULK_BYTES,
    concurrency: CONCURRENCY,
    refreshOnCompletion: false,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (result.successful !== SPANS) throw new Error(`helpers.bulk indexed ${result.successful}/${SPANS}`);
  return SPANS / seconds;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

try {
  console.log(
    `Elasticsearch ${url}; ${SPANS} spans per indexing run, concurrency ${CONCURRENCY}, ${BULK_BYTES} B bulks`,
  );
  const exp: number[] = [];
  const raw: number[] = [];
  for (let round = 0; round < 2; round++) {
    raw.push(await helperRun(round));
    exp.push(await exporterRun(round));
  }
  const best = (xs: number[]) => Math.max(...xs);
  const table = [
    ['client.helpers.bulk (raw)', ...raw.map((v) => v.toFixed(0)), best(raw).toFixed(0)],
    ['Phosphor bulk exporter', ...exp.map((v) => v.toFixed(0)), best(exp).toFixed(0)],
  ];
  console.log('\nIndexing throughput, spans/s (round 1, round 2, best)');
  for (const row of table)
    console.log(
      `  ${row[0]!.padEnd(28)} ${row
        .slice(1)
        .map((c) => c!.padStart(8))
        .join(' ')}`,
    );
  console.log(`  exporter / raw (best of each): ${((100 * best(exp)) / best(raw)).toFixed(1)} %`);

  // Trace by id with STORED spans (loaded once, reused by later runs).
  const store = openStore(STORED_PREFIX);
  const existing = await admin
    .count({ index: `${STORED_PREFIX}-*`, allow_no_indices: true, ignore_unavailable: true })
    .then((r) => r.count)
    .catch(() => 0);
  if (existing < STORED) {
    await admin.indices.delete({ index: `${STORED_PREFIX}-*`, allow_no_indices: true, ignore_unavailable: true });
    const t0 = performance.now();
    await feed(store, 0, STORED, 't');
    const loadSeconds = (performance.now() - t0) / 1000;
    await admin.indices.refresh({ index: `${STORED_PREFIX}-*` });
    console.log(
      `\nLoaded ${STORED} spans in ${loadSeconds.toFixed(1)} s (${(STORED / loadSeconds).toFixed(0)} spans/s through the exporter)`,
    );
  } else {
    console.log(`\nReusing ${existing} stored spans from an earlier run`);
  }
  const count = (await admin.count({ index: `${STORED_PREFIX}-*` })).count;
  const traces = STORED / SPANS_PER_TRACE;
  const pick = () => `t${Math.floor(Math.random() * traces)}`;
  for (let i = 0; i < 50; i++) await store.getTrace(pick());
  const lat: number[] = [];
  const rawLat: number[] = [];
  for (let i = 0; i < LOOKUPS; i++) {
    const id = pick();
    let t = performance.now();
    const spans = await store.getTrace(id);
    lat.push(performance.now() - t);
    if (spans?.length !== SPANS_PER_TRACE) throw new Error(`trace ${id} came back with ${spans?.length} spans`);
    t = performance.now();
    await admin.search({ index: `${STORED_PREFIX}-*`, query: { term: { 'trace.id': id } }, size: 1000 });
    rawLat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  rawLat.sort((a, b) => a - b);
  console.log(`\nTrace by id over ${count} stored spans, ${LOOKUPS} random lookups (ms)`);
  console.log(
    `  ${'store.getTrace()'.padEnd(28)} p50 ${quantile(lat, 0.5).toFixed(2)}  p99 ${quantile(lat, 0.99).toFixed(2)}  max ${lat.at(-1)!.toFixed(2)}`,
  );
  console.log(
    `  ${'raw client.search (peer)'.padEnd(28)} p50 ${quantile(rawLat, 0.5).toFixed(2)}  p99 ${quantile(rawLat, 0.99).toFixed(2)}  max ${rawLat.at(-1)!.toFixed(2)}`,
  );
  await store.close();
} finally {
  for (const p of prefixes) {
    if (p === STORED_PREFIX && !CLEAN) continue;
    await admin.indices
      .delete({ index: `${p}-*`, allow_no_indices: true, ignore_unavailable: true })
      .catch(() => undefined);
    await admin.indices.deleteIndexTemplate({ name: p }).catch(() => undefined);
  }
  await admin.close();
}
