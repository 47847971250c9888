import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import { formatDuration } from '@phosphor/service-kit';
import type { Logger } from 'pino';
import { CollectorError } from '../../errors.js';
import type { Span, TraceQuery, TraceSummary } from '../../model/span.js';
import type { ComponentHealth, HealthStatus, HealthTest, SpanStore } from '../span-store.js';
import { BulkIndexer, type BulkIndexerStats, type IndexItem } from './bulk-indexer.js';
import { type ElasticsearchConfig, type ResolvedElasticsearchConfig, resolveElasticsearchConfig } from './config.js';
import { describeConnectionError } from './connection-error.js';
import { DiskSpool } from './disk-spool.js';
import { installIndexTemplate } from './index-template.js';
import { deleteExpiredIndices } from './retention.js';
import { documentId, indexNameFor, toDocument } from './span-document.js';
import { SpanQuery } from './span-query.js';

export type { ElasticsearchConfig } from './config.js';
export { elasticsearchConfigSchema, resolveElasticsearchConfig } from './config.js';

/** A health ping slower than this counts as a failure: the API's /health must answer quickly. */
const PING_TIMEOUT_MILLIS = 2_000;
/** Spans dropped within this window make health "Degraded". */
const RECENT_DROP_WINDOW_MILLIS = 60_000;

/** Extra wiring for tests and tools; the collector passes none. */
export interface ElasticsearchStoreOptions {
  /** Merged into the client options (tests pass a fake `Connection`). */
  clientOptions?: Partial<ClientOptions>;
}

/** Counters of the store: the bulk exporter's plus conversion, retention and template state. */
export type ElasticsearchStoreStats = BulkIndexerStats & {
  /** Spans write() could not turn into a document (dropped). */
  invalidSpans: number;
  deletedIndices: number;
  retentionFailures: number;
  /** 1 once the index template is in place (spans are only sent after that). */
  templateInstalled: number;
  /** fsync calls the spool made (see `spoolFsync`). */
  spoolFsyncs: number;
};

/** The Elasticsearch store, with a few extras beyond {@link SpanStore} for tests and tools. */
export interface ElasticsearchStore extends SpanStore {
  stats(): ElasticsearchStoreStats;
  /** Resolves once everything accepted so far is indexed, rejected or dropped (never while ES is down). */
  flush(): Promise<void>;
  /**
   * Like {@link SpanStore.write}, then calls `settled` once every span of this call is settled:
   * `true` when all are stored (indexed, superseded or permanently rejected), `false` when any was
   * dropped. Never throws; spans that cannot become documents count as settled (nothing to store).
   */
  writeTracked(spans: readonly Span[], settled: (stored: boolean) => void): void;
  /** True while bulk requests fail with a retriable error (Elasticsearch down or overloaded). */
  readonly backendFailing: boolean;
  /** Runs retention now; returns the deleted index names. */
  runRetention(nowMillis?: number): Promise<string[]>;
  /** The resolved config in use. */
  readonly config: ResolvedElasticsearchConfig;
  /** The underlying client (shared, closed by close()). */
  readonly client: Client;
}

/**
 * External versions rank a span first by how many of its four events it has, then by time: a
 * span rebuilt from fewer events (a Kafka partition replayed from its last committed offset after
 * an assembler crash sees only the tail of a hop) never overwrites a more complete stored copy,
 * while a late event, which always adds an event, still wins. Versions stay below 2^53 (exact in
 * a double): the clock part counts µs since 2025-01-01 (< 1e15 until 2056), ranks step by 1e15.
 */
const VERSION_PER_EVENT = 1e15;
/** 2025-01-01T00:00:00Z in µs. */
const VERSION_EPOCH_MICROS = 1_735_689_600_000_000;

function rankedVersion(span: Span, clock: () => number): number {
  return (4 - span.missing.length) * VERSION_PER_EVENT + (clock() - VERSION_EPOCH_MICROS);
}

/**
 * Monotonic external versions: microseconds of wall time, bumped when two writes share a
 * microsecond, so a later write of a span always wins — and still wins after a restart, since the
 * clock has moved on.
 */
function versionClock(): () => number {
  let last = 0;
  return () => {
    const now = Date.now() * 1000;
    last = now > last ? now : last + 1;
    return last;
  };
}

const STATUS_RANK: Record<HealthStatus, number> = { OK: 0, Deactivated: 0, Degraded: 1, KO: 2 };

/** `openssl x509 -fingerprint -sha256` style (upper-case hex pairs joined by colons), what the client compares. */
function normalizeFingerprint(fingerprint: string): string {
  return fingerprint.replaceAll(':', '').toUpperCase().match(/.{2}/g)?.join(':') ?? fingerprint;
}

function readCaFile(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CollectorError(
      'COL_ERR_CONFIG_INVALID',
      `storage.elasticsearch.tls.caFile: cannot read ${file}: ${(err as Error).message}`,
      'storage.elasticsearch.tls.caFile',
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new CollectorError(
      'COL_ERR_CONFIG_INVALID',
      `storage.elasticsearch.tls.caFile: ${file} holds no PEM certificate`,
      'storage.elasticsearch.tls.caFile',
    );
  }
  return pem;
}

/**
 * Client options for the TLS settings: the CA file's certificates are trusted (instead of the system's), the
 * fingerprint pins the CA, and `verifyCertificate: false` turns verification off. Throws COL_ERR_CONFIG_INVALID
 * naming `tls.caFile` when the file is unreadable or holds no certificate.
 */
export function tlsClientOptions(tls: ResolvedElasticsearchConfig['tls']): Partial<ClientOptions> {
  const options: Partial<ClientOptions> = {};
  const ca = tls.caFile ? readCaFile(tls.caFile) : undefined;
  // A fingerprint without a CA file pins the CA instead of chaining to a trusted one: the client checks the
  // fingerprint of the chain's CA after the handshake, which Node's own verification would refuse first.
  const pinnedOnly = tls.caFingerprint !== undefined && ca === undefined;
  if (ca || pinnedOnly || !tls.verifyCertificate) {
    options.tls = { ...(ca ? { ca } : {}), rejectUnauthorized: tls.verifyCertificate && !pinnedOnly };
  }
  if (tls.caFingerprint) options.caFingerprint = normalizeFingerprint(tls.caFingerprint);
  return options;
}

/** Builds the Elasticsearch client for a resolved config (also used by the retention CLI and bench). */
export function createElasticsearchClient(
  config: ResolvedElasticsearchConfig,
  extra: Partial<ClientOptions> = {},
): Client {
  return new Client({
    nodes: config.nodes,
    ...(config.auth ? { auth: config.auth } : {}),
    ...tlsClientOptions(config.tls),
    requestTimeout: config.requestTimeoutMillis,
    // The bulk exporter does its own retries with backoff; queries get one retry on another node.
    maxRetries: 1,
    ...extra,
  });
}

/**
 * Creates the Elasticsearch span store. Spans are queued at once by write() and indexed in the
 * background into daily indices (`<indexPrefix>-YYYY.MM.DD`) under id `<traceId>-<spanId>`; the
 * index template is installed first (retried until ES answers). Retention runs every
 * `retentionCheckIntervalMillis`. Throws COL_ERR_CONFIG_INVALID for a bad config and
 * COL_ERR_ES_SPOOL_IO when the spool directory cannot be opened.
 */
export function createElasticsearchStore(
  rawConfig: ElasticsearchConfig,
  logger: Logger,
  options: ElasticsearchStoreOptions = {},
): ElasticsearchStore {
  const config = resolveElasticsearchConfig(rawConfig);
  const log = logger.child({ component: 'elasticsearch' });
  const client = createElasticsearchClient(config, options.clientOptions);
  let spool: DiskSpool | undefined;
  if (config.spoolMaxBytes > 0) {
    try {
      spool = new DiskSpool(config.spoolDir, config.spoolMaxBytes, {
        fsync: config.spoolFsync,
        fsyncIntervalMillis: config.spoolFsyncIntervalMillis,
      });
    } catch (err) {
      throw new CollectorError(
        'COL_ERR_ES_SPOOL_IO',
        `cannot open spool directory ${config.spoolDir}`,
        'storage.elasticsearch.spoolDir',
        {
          cause: err,
        },
      );
    }
  }
  const indexer = new BulkIndexer(client, spool, config, log, config.installTemplate, (err) =>
    describeConnectionError(err, config),
  );
  const query = new SpanQuery(client, config.indexPrefix);
  const nextVersion = versionClock();
  const counters = { invalidSpans: 0, deletedIndices: 0, retentionFailures: 0, templateInstalled: 0 };
  let closed = false;
  let closing: Promise<void> | undefined;
  let retentionTimer: NodeJS.Timeout | undefined;
  let templateTimer: NodeJS.Timeout | undefined;

  async function runRetention(nowMillis = Date.now()): Promise<string[]> {
    try {
      const deleted = await deleteExpiredIndices(client, config.indexPrefix, config.retentionDays, nowMillis);
      counters.deletedIndices += deleted.length;
      if (deleted.length > 0) log.info({ deleted }, 'retention deleted old span indices');
      return deleted;
    } catch (err) {
      counters.retentionFailures++;
      const error = new CollectorError(
        'COL_ERR_ES_RETENTION',
        `cannot delete indices older than ${config.retentionDays} days`,
        undefined,
        {
          cause: err,
        },
      );
      log.warn({ err: error }, error.message);
      throw error;
    }
  }

  function startRetention(): void {
    if (config.retentionCheckIntervalMillis <= 0 || closed) return;
    retentionTimer = setInterval(() => void runRetention().catch(() => undefined), config.retentionCheckIntervalMillis);
    retentionTimer.unref();
    void runRetention().catch(() => undefined);
  }

  async function installTemplate(attempt: number): Promise<void> {
    if (closed) return;
    try {
      await installIndexTemplate(client, config.indexPrefix, config.indexReplicas);
      counters.templateInstalled = 1;
      indexer.resume();
      startRetention();
    } catch (err) {
      const wait = Math.min(
        config.retryMaxBackoffMillis,
        config.retryInitialBackoffMillis * 2 ** Math.min(attempt, 20),
      );
      if (attempt === 0) {
        // A settings problem is logged as the setting to fix, without the client's request details.
        const described = describeConnectionError(err, config);
        log.warn(
          { err: described ?? err },
          `cannot install the Elasticsearch index template yet; spans are queued meanwhile${described ? `: ${described.message}` : ''}`,
        );
      }
      templateTimer = setTimeout(() => void installTemplate(attempt + 1), wait);
      templateTimer.unref();
    }
  }
  if (config.installTemplate) void installTemplate(0);
  else startRetention();

  function toItems(spans: readonly Span[]): IndexItem[] {
    const items: IndexItem[] = [];
    for (const span of spans) {
      try {
        items.push({
          index: indexNameFor(config.indexPrefix, span.startMicros),
          id: documentId(span),
          version: rankedVersion(span, nextVersion),
          source: JSON.stringify(toDocument(span)),
        });
      } catch (err) {
        // A span the assembler should never produce (e.g. missing fields): count, never throw.
        counters.invalidSpans++;
        if (counters.invalidSpans === 1) log.warn({ err }, 'span could not be converted to a document; dropped');
      }
    }
    return items;
  }

  function unavailable(what: string, err: unknown): CollectorError {
    return new CollectorError(
      'COL_ERR_STORAGE_UNAVAILABLE',
      `Elasticsearch ${what} failed: ${err instanceof Error ? err.message : String(err)}`,
      undefined,
      {
        cause: err,
      },
    );
  }

  return {
    name: 'elasticsearch',
    config,
    client,

    write(spans: readonly Span[]): void {
      if (spans.length === 0) return;
      indexer.enqueue(toItems(spans));
    },

    writeTracked(spans: readonly Span[], settled: (stored: boolean) => void): void {
      const items = toItems(spans);
      if (items.length === 0) {
        settled(true);
        return;
      }
      let remaining = items.length;
      let allStored = true;
      const onSettled = (stored: boolean) => {
        if (!stored) allStored = false;
        if (--remaining === 0) settled(allStored);
      };
      for (const item of items) item.onSettled = onSettled;
      indexer.enqueue(items);
    },

    get backendFailing() {
      return indexer.backendFailing;
    },

    async getTrace(traceId: string): Promise<Span[] | undefined> {
      try {
        return await query.getTrace(traceId);
      } catch (err) {
        throw unavailable('trace lookup', err);
      }
    },

    async findTraces(q: TraceQuery): Promise<TraceSummary[]> {
      try {
        return await query.findTraces(q);
      } catch (err) {
        throw unavailable('trace search', err);
      }
    },

    async health(): Promise<ComponentHealth> {
      const tests: HealthTest[] = [];
      const started = performance.now();
      try {
        // Cluster health rather than `HEAD /`: minimal distributions (the integ-test zip) lack the root endpoint.
        const h = await client.cluster.health({}, { requestTimeout: PING_TIMEOUT_MILLIS, maxRetries: 0 });
        if (h.status === 'red') throw new Error('cluster health is red');
        tests.push({ name: 'ping', duration: formatDuration(performance.now() - started), status: 'OK' });
      } catch (err) {
        const described = describeConnectionError(err, config);
        tests.push({
          name: 'ping',
          duration: formatDuration(performance.now() - started),
          status: 'KO',
          error: described ? described.message : err instanceof Error ? err.message : String(err),
        });
      }
      const s = indexer.stats();
      tests.push({
        name: 'indexing',
        duration: '0s',
        status:
          indexer.backendFailing || (counters.templateInstalled === 0 && config.installTemplate) ? 'Degraded' : 'OK',
        ...(indexer.backendFailing ? { error: 'bulk requests failing; spans are queued and spooled' } : {}),
      });
      const recentDrop =
        indexer.lastDropAtMillis > 0 && Date.now() - indexer.lastDropAtMillis < RECENT_DROP_WINDOW_MILLIS;
      tests.push({
        name: 'spool',
        duration: '0s',
        status: recentDrop ? 'KO' : s.spoolPendingSpans > 0 ? 'Degraded' : 'OK',
        ...(recentDrop ? { error: `${s.droppedSpans} spans dropped (spool full)` } : {}),
      });
      const status = tests.reduce<HealthStatus>(
        (worst, t) => (STATUS_RANK[t.status] > STATUS_RANK[worst] ? t.status : worst),
        'OK',
      );
      return { status, tests };
    },

    stats(): ElasticsearchStoreStats {
      return { ...indexer.stats(), ...counters, spoolFsyncs: spool?.fsyncs ?? 0 };
    },

    flush(): Promise<void> {
      return indexer.flush();
    },

    runRetention,

    close(): Promise<void> {
      closing ??= (async () => {
        closed = true;
        if (retentionTimer) clearInterval(retentionTimer);
        if (templateTimer) clearTimeout(templateTimer);
        await indexer.close(config.requestTimeoutMillis);
        await client.close();
      })();
      return closing;
    },
  };
}
