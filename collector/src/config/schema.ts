import { fileURLToPath } from 'node:url';
import { MAX_UDP_PAYLOAD_BYTES, WIRE_HEADER_BYTES } from '@phosphor/wire';
import { COLLECTOR_ROLES, kafkaConfigSchema } from '../cluster/config.js';
import { influxConfigSchema } from '../exporters/influx/config.js';
import { otlpExportConfigSchema } from '../exporters/otlp/config.js';
import { spanDurationHistogramsConfigSchema } from '../prometheus/config.js';
import { otlpReceiverConfigSchema } from '../receivers/otlp/config.js';
import { elasticsearchConfigSchema } from '../storage/elasticsearch/config.js';
import * as d from './defaults.js';

/** The dashboard build shipped inside the collector package (copied there by scripts/bundle-assets.mjs). */
export const DEFAULT_DASHBOARD_DIST_DIR = fileURLToPath(new URL('../../dashboard/dist', import.meta.url));

const port = { type: 'integer', minimum: 0, maximum: 65_535 } as const;
const host = { type: 'string', minLength: 1, maxLength: 255 } as const;
const positiveInt = (max: number) => ({ type: 'integer', minimum: 1, maximum: max }) as const;

/**
 * JSON schema of collector.yml. Every object is closed (`additionalProperties: false`) so a typo
 * is an error naming the key; every leaf has its default so an empty file is a valid config.
 */
export const collectorConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    shards: {
      anyOf: [{ const: 'auto' }, { type: 'integer', minimum: 1, maximum: d.MAX_SHARDS }],
      default: 'auto',
    },
    receiverShardShare: {
      type: 'number',
      minimum: 0,
      maximum: d.MAX_RECEIVER_SHARD_SHARE,
      default: d.DEFAULT_RECEIVER_SHARD_SHARE,
    },
    shardWorkerNiceness: {
      type: 'integer',
      minimum: 0,
      maximum: d.MAX_SHARD_WORKER_NICENESS,
      default: d.DEFAULT_SHARD_WORKER_NICENESS,
    },
    role: { enum: COLLECTOR_ROLES, default: 'all' },
    kafka: kafkaConfigSchema,
    udp: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { ...host, default: d.DEFAULT_BIND_HOST },
        port: { ...port, default: d.DEFAULT_UDP_PORT },
        maxDatagramBytes: {
          type: 'integer',
          minimum: WIRE_HEADER_BYTES,
          maximum: MAX_UDP_PAYLOAD_BYTES,
          default: d.DEFAULT_MAX_DATAGRAM_BYTES,
        },
        receiveBufferBytes: {
          type: 'integer',
          minimum: 0,
          maximum: 1024 * 1024 * 1024,
          default: d.DEFAULT_RECEIVE_BUFFER_BYTES,
        },
        hmacKey: { type: 'string', minLength: 16, maxLength: 1024 },
        ingestBatchMillis: {
          type: 'integer',
          minimum: 0,
          maximum: d.MAX_INGEST_BATCH_MILLIS,
          default: d.DEFAULT_INGEST_BATCH_MILLIS,
        },
        maxTrackedClients: { ...positiveInt(10_000_000), default: d.DEFAULT_MAX_TRACKED_CLIENTS },
      },
    },
    http: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { ...host, default: d.DEFAULT_BIND_HOST },
        port: { ...port, default: d.DEFAULT_HTTP_PORT },
        bearerToken: { type: 'string', minLength: 16, maxLength: 1024 },
        bodyLimitBytes: { ...positiveInt(1024 * 1024 * 1024), default: d.DEFAULT_BODY_LIMIT_BYTES },
        maxQueryStringBytes: { ...positiveInt(1024 * 1024), default: d.DEFAULT_MAX_QUERY_STRING_BYTES },
      },
    },
    assembly: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        spanTimeoutMillis: { ...positiveInt(3_600_000), default: d.DEFAULT_SPAN_TIMEOUT_MILLIS },
        maxPendingSpans: { ...positiveInt(100_000_000), default: d.DEFAULT_MAX_PENDING_SPANS },
        skewCorrection: { type: 'boolean', default: true },
        lateWindowMillis: { type: 'integer', minimum: 0, maximum: 86_400_000, default: d.DEFAULT_LATE_WINDOW_MILLIS },
        maxRememberedSpans: {
          type: 'integer',
          minimum: 0,
          maximum: 100_000_000,
          default: d.DEFAULT_MAX_REMEMBERED_SPANS,
        },
      },
    },
    aggregates: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        windowsMinutes: {
          type: 'array',
          items: positiveInt(1440),
          minItems: 1,
          maxItems: 8,
          uniqueItems: true,
          default: d.DEFAULT_WINDOWS_MINUTES,
        },
        bucketSeconds: { ...positiveInt(3600), default: d.DEFAULT_BUCKET_SECONDS },
        maxKeys: { ...positiveInt(10_000_000), default: d.DEFAULT_MAX_AGGREGATE_KEYS },
      },
    },
    storage: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        type: { enum: ['memory', 'elasticsearch'], default: 'memory' },
        memory: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { maxSpans: { ...positiveInt(100_000_000), default: d.DEFAULT_MEMORY_MAX_SPANS } },
        },
        elasticsearch: elasticsearchConfigSchema,
      },
    },
    influx: influxConfigSchema,
    otlp: otlpReceiverConfigSchema,
    otlpExport: otlpExportConfigSchema,
    tail: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxClients: { ...positiveInt(100_000), default: d.DEFAULT_TAIL_MAX_CLIENTS },
        maxBufferedBytes: { ...positiveInt(1024 * 1024 * 1024), default: d.DEFAULT_TAIL_MAX_BUFFERED_BYTES },
        heartbeatMillis: { ...positiveInt(3_600_000), default: d.DEFAULT_TAIL_HEARTBEAT_MILLIS },
      },
    },
    dashboard: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        distDir: { type: 'string', minLength: 1, default: DEFAULT_DASHBOARD_DIST_DIR },
        kibanaUrl: { type: 'string', pattern: '^https?://' },
      },
    },
    metrics: spanDurationHistogramsConfigSchema,
    logging: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
        warnIntervalMillis: { ...positiveInt(86_400_000), default: d.DEFAULT_WARN_INTERVAL_MILLIS },
      },
    },
  },
} as const;
