import { compileConfigSchema } from '@phosphor/service-kit';
import type { Ajv, ErrorObject } from 'ajv';
import { CollectorError } from '../../errors.js';
import type { SpoolFsyncPolicy } from './disk-spool.js';

/** Where a local single-node cluster listens (what test/infra/backends.sh starts). */
export const DEFAULT_ES_NODES: readonly string[] = ['http://127.0.0.1:9200'];
/** Daily indices are `<prefix>-YYYY.MM.DD`; the index template matches `<prefix>-*`. */
export const DEFAULT_ES_INDEX_PREFIX = 'phosphor-spans';
/**
 * Spans per bulk request. Elastic's tuning guide suggests starting around a few thousand small docs;
 * a span document is ~1 KiB, so 1,000 keeps a request near 1 MiB and the retry unit small.
 */
export const DEFAULT_ES_BULK_MAX_SPANS = 1_000;
/** Elastic recommends bulk bodies of 5–15 MB; stay at the low end so a retried request stays cheap. */
export const DEFAULT_ES_BULK_MAX_BYTES = 5 * 1024 * 1024;
/** A span is searchable at most ~1 s (ES refresh interval) after this much queuing delay. */
export const DEFAULT_ES_FLUSH_INTERVAL_MILLIS = 1_000;
/** ES's write thread pool has one thread per core; two requests in flight keep a small node busy without 429s. */
export const DEFAULT_ES_MAX_CONCURRENT_REQUESTS = 2;
/** First retry after a 429/5xx/connection error: long enough for a GC pause, short for a blip. */
export const DEFAULT_ES_RETRY_INITIAL_BACKOFF_MILLIS = 100;
/** Cap of the exponential backoff: an outage is probed at least twice a minute. */
export const DEFAULT_ES_RETRY_MAX_BACKOFF_MILLIS = 30_000;
/** The client's own default; bulk requests ask ES for per-item answers within half of it. */
export const DEFAULT_ES_REQUEST_TIMEOUT_MILLIS = 30_000;
/** ~100 MB of pending spans in memory (≈1 KiB each) before spilling to the disk spool. */
export const DEFAULT_ES_MEMORY_QUEUE_MAX_SPANS = 100_000;
/** Relative to the collector's working directory, next to the backends' state in `.phosphor/`. */
export const DEFAULT_ES_SPOOL_DIR = '.phosphor/spool/elasticsearch';
/** 1 GiB ≈ one million spans: several hours of a busy service's traffic during an ES outage. */
export const DEFAULT_ES_SPOOL_MAX_BYTES = 1024 * 1024 * 1024;
/** A week of traces covers most incident reviews; older daily indices are deleted. */
export const DEFAULT_ES_RETENTION_DAYS = 7;
/** Indices are daily, so checking hourly deletes an expired index at most an hour late. */
export const DEFAULT_ES_RETENTION_CHECK_INTERVAL_MILLIS = 60 * 60 * 1000;
/** A single-node cluster cannot place replicas (health would stay yellow); raise it on a real cluster. */
export const DEFAULT_ES_INDEX_REPLICAS = 0;

/** HTTP basic auth or an API key (base64 `id:key`, the `encoded` value ES returns), as the client takes them. */
export type ElasticsearchAuth = { username: string; password: string } | { apiKey: string };

/** How the collector checks an HTTPS node's certificate. */
export interface ElasticsearchTlsConfig {
  /** PEM file of the CA that signed the nodes' certificates (e.g. the `http_ca.crt` ES generates). */
  caFile?: string;
  /**
   * SHA-256 fingerprint of that CA (hex, colons optional, as `openssl x509 -fingerprint -sha256` prints it):
   * the client accepts a node whose chain contains a CA with this fingerprint. Without caFile this pin is the
   * whole check (the chain is not verified against trusted CAs, nor the host name); with caFile, both apply.
   */
  caFingerprint?: string;
  /** Verify the node's certificate and host name (default true). Turning it off is for throw-away tests only. */
  verifyCertificate?: boolean;
}

/**
 * `storage.elasticsearch` section of the collector config. Every field is optional; absent
 * fields take the `DEFAULT_ES_*` values (see {@link resolveElasticsearchConfig}).
 */
export interface ElasticsearchConfig {
  /** Node URLs; requests are spread over them and retried on another node when one fails. */
  nodes?: string[];
  /** Index name prefix: spans go to `<prefix>-YYYY.MM.DD` (UTC day of the span start). */
  indexPrefix?: string;
  auth?: ElasticsearchAuth;
  /** TLS settings for `https://` nodes; the system CAs are trusted when neither caFile nor caFingerprint is set. */
  tls?: ElasticsearchTlsConfig;
  /** A bulk request is sent when this many spans are queued... */
  bulkMaxSpans?: number;
  /** ...or when their NDJSON reaches this many bytes... */
  bulkMaxBytes?: number;
  /** ...or when the oldest queued span has waited this long. */
  flushIntervalMillis?: number;
  /** Bulk requests in flight at once. */
  maxConcurrentRequests?: number;
  /** Backoff after a retriable failure starts here, doubles each attempt (with jitter)... */
  retryInitialBackoffMillis?: number;
  /** ...up to this cap. Retriable failures are retried forever; the spool absorbs the backlog. */
  retryMaxBackoffMillis?: number;
  /** Per-request client timeout. */
  requestTimeoutMillis?: number;
  /** Spans held in memory (queued, not in flight) before new spans go to the disk spool. */
  memoryQueueMaxSpans?: number;
  /** Directory of the on-disk spool (created if missing; replayed at start). */
  spoolDir?: string;
  /** Spool size bound; past it, new spans are dropped and counted as `droppedSpans`. */
  spoolMaxBytes?: number;
  /** Daily indices whose day is more than this many days before today (UTC) are deleted. */
  retentionDays?: number;
  /** How often the collector runs retention; 0 disables the schedule (the CLI still works). */
  retentionCheckIntervalMillis?: number;
  /** `number_of_replicas` written into the index template. */
  indexReplicas?: number;
  /** Install/refresh the index template at start (needs the manage_index_templates privilege). */
  installTemplate?: boolean;
  /**
   * When the spool fsyncs its files: `batch` (at the end of the event-loop turn that wrote them, on the thread
   * pool), `interval`, `never`.
   */
  spoolFsync?: SpoolFsyncPolicy;
  /** With `spoolFsync: interval`, the longest a spooled span stays only in the OS page cache. */
  spoolFsyncIntervalMillis?: number;
}

/**
 * Spooled batches are fsync'd at the end of the event-loop turn that wrote them: a power cut loses at most
 * that turn's writes and the fsync in flight (a killed process loses none of them: the page cache keeps them).
 */
export const DEFAULT_ES_SPOOL_FSYNC: SpoolFsyncPolicy = 'batch';
/** Matches the default flush interval: at most a second of spooled spans exposed to a power cut. */
export const DEFAULT_ES_SPOOL_FSYNC_INTERVAL_MILLIS = 1_000;

/** {@link ElasticsearchConfig} with every default applied. */
export type ResolvedElasticsearchConfig = Required<Omit<ElasticsearchConfig, 'auth' | 'tls'>> &
  Pick<ElasticsearchConfig, 'auth'> & { tls: ElasticsearchTlsConfig & { verifyCertificate: boolean } };

const positiveInt = (minimum = 1) => ({ type: 'integer', minimum });

/** JSON schema (ajv) of {@link ElasticsearchConfig}; unknown keys are rejected. */
export const elasticsearchConfigSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    nodes: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^https?://[^\\s]+$' },
      default: [...DEFAULT_ES_NODES],
    },
    indexPrefix: {
      type: 'string',
      // ES index names: lowercase, no \ / * ? " < > | space , #, must not start with - _ +.
      pattern: '^[a-z0-9][a-z0-9._-]{0,200}$',
      default: DEFAULT_ES_INDEX_PREFIX,
    },
    auth: {
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['username', 'password'],
          properties: { username: { type: 'string', minLength: 1 }, password: { type: 'string' } },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['apiKey'],
          properties: { apiKey: { type: 'string', minLength: 1 } },
        },
      ],
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        caFile: { type: 'string', minLength: 1 },
        caFingerprint: { type: 'string', pattern: '^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$' },
        verifyCertificate: { type: 'boolean', default: true },
      },
    },
    bulkMaxSpans: { ...positiveInt(), maximum: 100_000, default: DEFAULT_ES_BULK_MAX_SPANS },
    bulkMaxBytes: { ...positiveInt(1024), maximum: 100 * 1024 * 1024, default: DEFAULT_ES_BULK_MAX_BYTES },
    flushIntervalMillis: { ...positiveInt(), default: DEFAULT_ES_FLUSH_INTERVAL_MILLIS },
    maxConcurrentRequests: { ...positiveInt(), maximum: 64, default: DEFAULT_ES_MAX_CONCURRENT_REQUESTS },
    retryInitialBackoffMillis: { ...positiveInt(), default: DEFAULT_ES_RETRY_INITIAL_BACKOFF_MILLIS },
    retryMaxBackoffMillis: { ...positiveInt(), default: DEFAULT_ES_RETRY_MAX_BACKOFF_MILLIS },
    requestTimeoutMillis: { ...positiveInt(100), default: DEFAULT_ES_REQUEST_TIMEOUT_MILLIS },
    memoryQueueMaxSpans: { ...positiveInt(), default: DEFAULT_ES_MEMORY_QUEUE_MAX_SPANS },
    spoolDir: { type: 'string', minLength: 1, default: DEFAULT_ES_SPOOL_DIR },
    spoolMaxBytes: { ...positiveInt(0), default: DEFAULT_ES_SPOOL_MAX_BYTES },
    retentionDays: { ...positiveInt(), maximum: 36_500, default: DEFAULT_ES_RETENTION_DAYS },
    retentionCheckIntervalMillis: { ...positiveInt(0), default: DEFAULT_ES_RETENTION_CHECK_INTERVAL_MILLIS },
    indexReplicas: { ...positiveInt(0), maximum: 16, default: DEFAULT_ES_INDEX_REPLICAS },
    installTemplate: { type: 'boolean', default: true },
    spoolFsync: { enum: ['batch', 'interval', 'never'], default: DEFAULT_ES_SPOOL_FSYNC },
    spoolFsyncIntervalMillis: { ...positiveInt(), default: DEFAULT_ES_SPOOL_FSYNC_INTERVAL_MILLIS },
  },
} as const;

const compiled: { validate?: ReturnType<Ajv['compile']> } = {};

function toError(section: string, errors: ErrorObject[] | null | undefined): CollectorError {
  const first = errors?.[0];
  const field = `${section}${(first?.instancePath ?? '').replaceAll('/', '.')}`;
  const detail = (errors ?? [])
    .map((e) => {
      const at = `${section}${e.instancePath.replaceAll('/', '.')}`;
      if (e.keyword === 'additionalProperties') return `${at}: unknown field "${String(e.params.additionalProperty)}"`;
      return `${at}: ${e.message ?? 'invalid'}`;
    })
    .join('; ');
  return new CollectorError('COL_ERR_CONFIG_INVALID', detail, field);
}

/**
 * Validates `raw` against `schema` (ajv, all errors, defaults applied to a copy) and returns the
 * copy, or throws a `COL_ERR_CONFIG_INVALID` {@link CollectorError} naming each bad field under
 * `section`. Shared with the Influx exporter's config.
 */
export function validateSection<T>(
  schema: object,
  section: string,
  raw: unknown,
  cache: { validate?: ReturnType<Ajv['compile']> },
): T {
  if (!cache.validate) {
    // The root `default: {}` is for the collector's schema that embeds this one; ajv's strict mode
    // rejects a default at the root of a standalone schema.
    const { default: _rootDefault, ...standalone } = schema as Record<string, unknown>;
    cache.validate = compileConfigSchema(standalone);
  }
  // ajv writes defaults into the object it validates: never mutate the caller's config.
  const copy: unknown = structuredClone(raw ?? {});
  if (!cache.validate(copy)) throw toError(section, cache.validate.errors);
  return copy as T;
}

/**
 * Validates a raw `storage.elasticsearch` object and returns it with every default applied.
 * Throws a `COL_ERR_CONFIG_INVALID` {@link CollectorError} naming each bad field.
 */
export function resolveElasticsearchConfig(raw: unknown): ResolvedElasticsearchConfig {
  const config = validateSection<ResolvedElasticsearchConfig>(
    elasticsearchConfigSchema,
    'storage.elasticsearch',
    raw,
    compiled,
  );
  if (config.retryMaxBackoffMillis < config.retryInitialBackoffMillis) {
    throw new CollectorError(
      'COL_ERR_CONFIG_INVALID',
      'storage.elasticsearch.retryMaxBackoffMillis: must be >= retryInitialBackoffMillis',
      'storage.elasticsearch.retryMaxBackoffMillis',
    );
  }
  return config;
}
