/**
 * Spool durability across a crash: the collector daemon runs with Elasticsearch unreachable, so accepted spans
 * go through the memory queue into the disk spool (fsync'd per batch, the default); it is SIGKILLed, then
 * restarted against the secured Elasticsearch 9 node. Every span the collector had acknowledged as spooled
 * (`spooledSpans` in /api/stats) must be indexed exactly once — no loss, no duplicate.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceEvent } from '@phosphor/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../wire/test/support/reference-encoder.js';
import { type EsTarget, requireEsTarget } from '../support/elasticsearch-targets.js';
import { type Daemon, runDaemon } from './support/child-process.js';
import { waitFor } from './support/wait.js';

const SPANS = 2_000;
const HOPS_PER_DATAGRAM = 10;
const MEMORY_QUEUE_MAX_SPANS = 100;
const BULK_MAX_SPANS = 50;
const T0 = Date.now() * 1000;

interface StorageStats {
  acceptedSpans: number;
  spooledSpans: number;
  queuedSpans: number;
  inFlightSpans: number;
  spoolPendingSpans: number;
  indexedSpans: number;
  droppedSpans: number;
  rejectedSpans: number;
  spoolFsyncs: number;
}

/** A port nothing listens on: Elasticsearch is "down" for the first collector. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function hop(i: number): TraceEvent[] {
  const base = {
    traceId: `crash${i}`,
    spanId: `s${i}`,
    from: 'gateway',
    fromEndpoint: 'GET /',
    to: 'quote',
    toEndpoint: 'Get',
  };
  const at = T0 + i;
  return [
    { ...base, type: 'REQ', timestampMicros: at, hostname: 'a' },
    { ...base, type: 'IN', timestampMicros: at + 10, hostname: 'b' },
    { ...base, type: 'OUT', timestampMicros: at + 90, hostname: 'b', durationMicros: 80 },
    { ...base, type: 'REP', timestampMicros: at + 100, hostname: 'a', durationMicros: 100 },
  ];
}

async function startCollector(configFile: string, env: Record<string, string>) {
  const daemon = runDaemon(
    'collector/dist/main.js',
    ['--config', configFile, '--udp-port', '0', '--http-port', '0'],
    env,
  );
  const listening = await waitFor(
    'the collector to log its ports',
    () => {
      for (const line of daemon.stdout().split('\n')) {
        if (line.includes('"udpPort"')) return JSON.parse(line) as { udpPort: number; httpUrl: string };
      }
      return undefined;
    },
    30_000,
    100,
  );
  const stats = async () =>
    ((await (await fetch(`${listening.httpUrl}/api/stats`)).json()) as { storage: StorageStats }).storage;
  return { daemon, ...listening, stats };
}

describe('spool durability: SIGKILL while Elasticsearch is down, restart, every acknowledged span indexed once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'phosphor-spool-crash-'));
  const spoolDir = join(dir, 'spool');
  const prefix = `phosphor-crash-${Date.now().toString(36)}-${process.pid}`;
  const daemons: Daemon[] = [];
  let es: EsTarget | undefined;

  afterAll(async () => {
    for (const d of daemons) d.child.kill('SIGKILL');
    await es?.request('DELETE', `/${prefix}-*?allow_no_indices=true&ignore_unavailable=true`);
    await es?.request('DELETE', `/_index_template/${prefix}`);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('indexes exactly the spans on disk at the kill, each once', async () => {
    es = await requireEsTarget('es9');
    const secured = es.secured as NonNullable<EsTarget['secured']>;
    const configFile = join(dir, 'collector.yml');
    writeFileSync(
      configFile,
      [
        'logging:\n  level: info',
        'storage:\n  type: elasticsearch\n  elasticsearch:',
        `    indexPrefix: ${prefix}`,
        `    spoolDir: ${spoolDir}`,
        `    memoryQueueMaxSpans: ${MEMORY_QUEUE_MAX_SPANS}`,
        `    bulkMaxSpans: ${BULK_MAX_SPANS}`,
        '    flushIntervalMillis: 50',
        '    retryInitialBackoffMillis: 50',
        '    retryMaxBackoffMillis: 300',
        '    requestTimeoutMillis: 1000',
        '    retentionCheckIntervalMillis: 0',
        '',
      ].join('\n'),
    );
    const credentials = {
      PHOSPHOR_COLLECTOR_ES_CA_FILE: secured.caFile,
      PHOSPHOR_COLLECTOR_ES_API_KEY: secured.apiKey,
    };

    const down = await startCollector(configFile, {
      ...credentials,
      PHOSPHOR_COLLECTOR_ES_NODES: `https://127.0.0.1:${await closedPort()}`,
    });
    daemons.push(down.daemon);
    const socket = createSocket('udp4');
    for (let i = 0; i < SPANS; i += HOPS_PER_DATAGRAM) {
      const events = Array.from({ length: HOPS_PER_DATAGRAM }, (_, k) => hop(i + k)).flat();
      const datagram = encodeBatch({
        tracerId: 'crash-test',
        sequence: i / HOPS_PER_DATAGRAM,
        service: 'gateway',
        hostname: 'a',
        sentAtMicros: T0,
        drops: { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 },
        events,
      });
      await new Promise<void>((resolve, reject) =>
        socket.send(datagram, down.udpPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
      );
      // Pace the datagrams: the kernel buffer must not drop any.
      if ((i / HOPS_PER_DATAGRAM) % 20 === 19) await new Promise((r) => setTimeout(r, 5));
    }
    socket.close();

    // Everything accepted is either in memory (queue, retried batches) or acknowledged in the spool. A batch is
    // counted as spooled when written and fsync'd on the thread pool after its event-loop turn: settled means
    // the spooled count held still between two reads and an fsync has completed.
    let previous: StorageStats | undefined;
    const before = await waitFor(
      "all spans accepted, the spool settled and fsync'd",
      async () => {
        const s = await down.stats();
        const settled =
          s.acceptedSpans === SPANS &&
          s.spooledSpans > 0 &&
          s.spooledSpans === previous?.spooledSpans &&
          s.spoolFsyncs > 0;
        previous = s;
        return settled ? s : undefined;
      },
      30_000,
      100,
    );
    expect(before.indexedSpans).toBe(0);
    // The window a SIGKILL can lose is bounded by the memory queue and the batches being retried.
    expect(SPANS - before.spooledSpans).toBeLessThanOrEqual(MEMORY_QUEUE_MAX_SPANS + 2 * BULK_MAX_SPANS);

    down.daemon.child.kill('SIGKILL');
    expect(await down.daemon.exited).toBe('SIGKILL');

    // What is on disk is exactly what was acknowledged.
    // Recursive: with several shards, shard n spools under <spoolDir>/shard-<n>.
    const onDisk = readdirSync(spoolDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.spool'))
      .flatMap((f) => readFileSync(join(spoolDir, f), 'utf8').split('\n').filter(Boolean))
      .map((line) => (JSON.parse(line.slice(0, line.indexOf('\t'))) as [string, string, number])[1]);
    expect(onDisk.length).toBe(before.spooledSpans);
    expect(new Set(onDisk).size).toBe(onDisk.length);

    const up = await startCollector(configFile, { ...credentials, PHOSPHOR_COLLECTOR_ES_NODES: es.url });
    daemons.push(up.daemon);
    const after = await waitFor(
      'the replayed spool to drain into Elasticsearch',
      async () => {
        const s = await up.stats();
        return s.spoolPendingSpans === 0 && s.queuedSpans === 0 && s.inFlightSpans === 0 && s.indexedSpans > 0
          ? s
          : undefined;
      },
      120_000,
      200,
    );
    expect(after.rejectedSpans).toBe(0);
    expect(after.droppedSpans).toBe(0);
    await es.request('POST', `/${prefix}-*/_refresh`);
    const count = await es.request('GET', `/${prefix}-*/_count`);
    expect((count.body as { count: number }).count).toBe(onDisk.length);
    const found = await es.request('POST', `/${prefix}-*/_search`, {
      size: 0,
      aggs: {
        ids: { cardinality: { field: 'span.id', precision_threshold: 40_000 } },
        dupes: { terms: { field: 'span.id', min_doc_count: 2, size: 5 } },
      },
    });
    const aggs = (found.body as { aggregations: { ids: { value: number }; dupes: { buckets: unknown[] } } })
      .aggregations;
    expect(aggs.dupes.buckets).toEqual([]);
    expect(aggs.ids.value).toBe(onDisk.length);
    const expectedIds = new Set(onDisk.map((id) => id.slice(id.lastIndexOf('-') + 1)));
    const sample = await es.request('POST', `/${prefix}-*/_search`, { size: 10_000, _source: ['span.id'] });
    const indexedIds = (sample.body as { hits: { hits: { _source: { span: { id: string } } }[] } }).hits.hits.map(
      (h) => h._source.span.id,
    );
    expect(new Set(indexedIds)).toEqual(expectedIds);
  }, 240_000);
});
