/**
 * Fault scenario 2: Elasticsearch stops under load and comes back. An in-process collector
 * stores to the real node (small memory queue, disk spool in a temp dir) while the demo services send it
 * real tracer traffic; ES is stopped, traffic continues, ES is started again, and once the store has
 * drained every span the collector handed to storage must be in ES exactly once. See docs/faults.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { buildCollector, type Collector, loadConfig, type Span } from '@phosphor/collector';
import type { RunningDemo } from '@phosphor/demo-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ES_TARGET_NAMES, type EsTarget, requireEsTarget } from '../support/elasticsearch-targets.js';
import { demoTracers, SYMBOLS, startQuietDemo } from './support/demo.js';
import { phaseMillis, testTimeoutMillis } from './support/durations.js';
import { LoadClient } from './support/load-client.js';
import { sleep, waitFor } from './support/wait.js';

const BASELINE_MILLIS = 4_000;
/**
 * Traffic with ES stopped, before it is started again. Its restart then takes another ~20–45 s on this
 * machine with traffic still flowing, so ES is unavailable for ~30–50 s in all. A soak run keeps ES
 * stopped FAULT_SOAK_SECONDS before the restart.
 */
const OUTAGE_MILLIS = phaseMillis(6_000);
/** A small memory queue (the default is 100,000) so the outage goes through the disk spool too. */
const MEMORY_QUEUE_MAX_SPANS = 200;
/** Probe a recovered ES within 2 s instead of the 30 s default backoff cap, to keep the test short. */
const RETRY_MAX_BACKOFF_MILLIS = 2_000;
const DRAIN_TIMEOUT_MILLIS = 120_000;

/** Store counters this scenario reads (ElasticsearchStoreStats in collector/src/storage/elasticsearch). */
interface StoreStats {
  acceptedSpans: number;
  indexedSpans: number;
  rejectedSpans: number;
  droppedSpans: number;
  spooledSpans: number;
  replayedSpans: number;
  queuedSpans: number;
  inFlightSpans: number;
  spoolPendingSpans: number;
}

describe.each(ES_TARGET_NAMES)('Elasticsearch (%s) stopped under load, then restarted', (target) => {
  const run = `${Date.now().toString(36)}-${process.pid}`;
  const indexPrefix = `phosphor-fault-${run}`;
  const spoolDir = mkdtempSync(join(tmpdir(), 'phosphor-fault-es-'));
  let es: EsTarget | undefined;
  let admin: Client | undefined;
  let collector: Collector | undefined;
  let demo: RunningDemo | undefined;
  let client: LoadClient | undefined;
  let esStopped = false;
  /** Every span the collector handed to storage (first emissions and late updates), by document id. */
  const handedToStore = new Map<string, number>();
  let writes = 0;

  beforeAll(async () => {
    const node = await requireEsTarget(target);
    es = node;
    admin = new Client(node.adminOptions);
    collector = await buildCollector(
      loadConfig({
        values: {
          udp: { port: 0 },
          http: { port: 0 },
          otlp: { http: { port: 0 }, grpc: { port: 0 } },
          assembly: { spanTimeoutMillis: 1_000 },
          logging: { level: 'silent' },
          storage: {
            type: 'elasticsearch',
            elasticsearch: {
              ...node.connection,
              indexPrefix,
              spoolDir,
              memoryQueueMaxSpans: MEMORY_QUEUE_MAX_SPANS,
              flushIntervalMillis: 200,
              retryMaxBackoffMillis: RETRY_MAX_BACKOFF_MILLIS,
              requestTimeoutMillis: 5_000,
              retentionCheckIntervalMillis: 0,
            },
          },
        },
      }),
    );
    // Observe exactly what reaches the store: the assembler's sink calls store.write for every emitted span.
    const store = collector.store;
    const write = store.write.bind(store);
    store.write = (spans: readonly Span[]) => {
      for (const span of spans) {
        const id = `${span.traceId}-${span.spanId}`;
        handedToStore.set(id, (handedToStore.get(id) ?? 0) + 1);
      }
      writes += spans.length;
      write(spans);
    };
    await collector.start();
    demo = await startQuietDemo(collector.addresses!.udpPort);
  });

  afterAll(async () => {
    try {
      // Whatever happened, leave a running ES for the other suites.
      if (esStopped) await es?.start();
    } finally {
      await client?.stop();
      await demo?.close();
      await collector?.close();
      await admin?.indices
        .delete({ index: `${indexPrefix}-*`, allow_no_indices: true, ignore_unavailable: true })
        .catch(() => undefined);
      await admin?.indices.deleteIndexTemplate({ name: indexPrefix }).catch(() => undefined);
      await admin?.close();
      rmSync(spoolDir, { recursive: true, force: true });
    }
  }, 300_000);

  it(
    'indexes every span the collector accepted exactly once after the outage',
    async () => {
      const running = demo!;
      const col = collector!;
      const storeStats = () => (col.stats() as { storage: StoreStats }).storage;
      client = new LoadClient({
        baseUrl: running.urls.gateway,
        concurrency: 2,
        timeoutMillis: 5_000,
        thinkMillis: 10,
        pathFor: (n) => (n % 5 === 4 ? '/basket?symbols=ACME,INIT' : `/quote/${SYMBOLS[n % SYMBOLS.length]}`),
      });
      client.setPhase('baseline');
      client.start();
      await sleep(BASELINE_MILLIS);
      await waitFor('spans indexed before the outage', () => storeStats().indexedSpans > 0, 20_000);

      client.setPhase('outage');
      esStopped = true;
      const stopStarted = Date.now();
      await es!.stop();
      await sleep(OUTAGE_MILLIS);
      // A loaded machine serves fewer demo requests per second: keep the outage going until the memory
      // queue has overflowed into the spool, which is what this scenario is about.
      await waitFor(
        'spans to go to the disk spool during the outage',
        () => storeStats().spooledSpans > 0,
        60_000,
        250,
      );
      const during = storeStats();
      expect(during.spooledSpans, 'spans went to the disk spool during the outage').toBeGreaterThan(0);
      const health = (await col.http.inject('/health')).json<Record<string, string>>();
      expect(health.elasticsearch).not.toBe('OK');

      const restartStarted = Date.now();
      await es!.start();
      esStopped = false;
      const restarted = Date.now();
      client.setPhase('recovery');
      await sleep(2_000);
      await client.stop();

      // Drain: tracers → collector → assembler (root spans wait spanTimeoutMillis) → store → ES.
      await Promise.all(Object.values(demoTracers(running)).map((t) => t.flush()));
      await waitFor('no pending spans in the assembler', () => col.assembler.stats().pendingSpans === 0, 15_000, 100);
      await waitFor(
        'the Elasticsearch store to drain its queue and spool',
        () => {
          const s = storeStats();
          return s.queuedSpans === 0 && s.inFlightSpans === 0 && s.spoolPendingSpans === 0;
        },
        DRAIN_TIMEOUT_MILLIS,
        250,
      );
      const drained = Date.now();
      await admin!.indices.refresh({ index: `${indexPrefix}-*` });

      const final = storeStats();
      console.info(
        `elasticsearch-outage: ES unavailable ${((restarted - stopStarted) / 1000).toFixed(1)} s under traffic ` +
          `(stop + ${OUTAGE_MILLIS / 1000} s + restart ${((restarted - restartStarted) / 1000).toFixed(1)} s), drained ${((drained - restarted) / 1000).toFixed(1)} s later; ` +
          `requests ${['baseline', 'outage', 'recovery'].map((p) => client!.countOf(p)).join('/')}; spans handed to store ${writes} (${handedToStore.size} distinct); ` +
          `store ${JSON.stringify(final)}`,
      );
      expect(client.unexpected.slice(0, 5), `${client.unexpectedCount} unexpected answers`).toEqual([]);
      // The store accepted exactly what the collector handed it, and lost or refused none of it.
      expect(final.acceptedSpans).toBe(writes);
      expect(final.droppedSpans).toBe(0);
      expect(final.rejectedSpans).toBe(0);
      expect(final.replayedSpans).toBeGreaterThan(0);

      // Exactly once: every handed-over span id is in ES, in one document, and nothing else is.
      const inEs = new Map<string, number>();
      let documents = 0;
      for await (const hits of admin!.helpers.scrollDocuments<{ trace: { id: string }; span: { id: string } }>({
        index: `${indexPrefix}-*`,
        size: 5_000,
        _source: ['trace.id', 'span.id'],
      })) {
        documents++;
        const id = `${hits.trace.id}-${hits.span.id}`;
        inEs.set(id, (inEs.get(id) ?? 0) + 1);
      }
      const duplicates = [...inEs].filter(([, n]) => n > 1);
      expect(duplicates.slice(0, 5)).toEqual([]);
      expect(documents).toBe(handedToStore.size);
      const missing = [...handedToStore.keys()].filter((id) => !inEs.has(id));
      expect(missing.slice(0, 5), `${missing.length} spans missing from ES`).toEqual([]);
      const extra = [...inEs.keys()].filter((id) => !handedToStore.has(id));
      expect(extra.slice(0, 5)).toEqual([]);
      const count = await admin!.count({ index: `${indexPrefix}-*` });
      expect(count.count).toBe(handedToStore.size);
    },
    testTimeoutMillis(240_000, 1, 300_000),
  );
});
