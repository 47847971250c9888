import type { Ajv } from 'ajv';
import { CollectorError } from '../../errors.js';
import { validateSection } from '../../storage/elasticsearch/config.js';

/** An OTLP/HTTP receiver on this host: the OTel Collector's, Jaeger v2's and Tempo's default. */
export const DEFAULT_OTLP_EXPORT_ENDPOINT = 'http://127.0.0.1:4318/v1/traces';
/** BatchSpanProcessor's default batch: receivers accept it everywhere. */
export const DEFAULT_OTLP_EXPORT_MAX_BATCH_SPANS = 512;
/**
 * Spans queued while the receiver is slow or down (a few tens of MB); past it new spans are
 * dropped and counted (`queue_full`), like BatchSpanProcessor's maxQueueSize.
 */
export const DEFAULT_OTLP_EXPORT_MAX_QUEUE_SPANS = 20_000;
/** A partial batch leaves after this long: spans reach the backend within about a second. */
export const DEFAULT_OTLP_EXPORT_FLUSH_INTERVAL_MILLIS = 1000;
/** OTel SDKs' default export timeout. */
export const DEFAULT_OTLP_EXPORT_REQUEST_TIMEOUT_MILLIS = 10_000;
/** Retries of one batch after a retryable failure (429, 502-504, UNAVAILABLE, network errors). */
export const DEFAULT_OTLP_EXPORT_MAX_RETRIES = 5;
/** Backoff doubles from the initial value up to the maximum, with jitter (OTLP's retry guidance). */
export const DEFAULT_OTLP_EXPORT_RETRY_INITIAL_BACKOFF_MILLIS = 500;
export const DEFAULT_OTLP_EXPORT_RETRY_MAX_BACKOFF_MILLIS = 30_000;

/** Config section `otlpExport`: forwards assembled spans to an OTLP receiver. */
export interface OtlpExportConfig {
  /** Off by default: nothing is sent anywhere unless asked. */
  enabled: boolean;
  /**
   * `http/protobuf`: `endpoint` is the full URL (…/v1/traces). `grpc`: `endpoint` is
   * `http://host:port` (insecure) of a TraceService.
   */
  protocol: 'http/protobuf' | 'grpc';
  endpoint: string;
  /** Extra request headers (gRPC: metadata), e.g. an Authorization header of a hosted backend. */
  headers: Record<string, string>;
  /** gzip request bodies (HTTP only). */
  gzip: boolean;
  maxBatchSpans: number;
  maxQueueSpans: number;
  flushIntervalMillis: number;
  requestTimeoutMillis: number;
  maxRetries: number;
  retryInitialBackoffMillis: number;
  retryMaxBackoffMillis: number;
}

/** JSON schema (ajv) of {@link OtlpExportConfig}; unknown keys are rejected. */
export const otlpExportConfigSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: false },
    protocol: { enum: ['http/protobuf', 'grpc'], default: 'http/protobuf' },
    endpoint: { type: 'string', pattern: '^https?://[^\\s]+$', default: DEFAULT_OTLP_EXPORT_ENDPOINT },
    headers: {
      type: 'object',
      default: {},
      propertyNames: { pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" },
      additionalProperties: { type: 'string', maxLength: 8192 },
    },
    gzip: { type: 'boolean', default: false },
    maxBatchSpans: { type: 'integer', minimum: 1, maximum: 100_000, default: DEFAULT_OTLP_EXPORT_MAX_BATCH_SPANS },
    maxQueueSpans: { type: 'integer', minimum: 1, maximum: 10_000_000, default: DEFAULT_OTLP_EXPORT_MAX_QUEUE_SPANS },
    flushIntervalMillis: {
      type: 'integer',
      minimum: 10,
      maximum: 600_000,
      default: DEFAULT_OTLP_EXPORT_FLUSH_INTERVAL_MILLIS,
    },
    requestTimeoutMillis: {
      type: 'integer',
      minimum: 100,
      maximum: 600_000,
      default: DEFAULT_OTLP_EXPORT_REQUEST_TIMEOUT_MILLIS,
    },
    maxRetries: { type: 'integer', minimum: 0, maximum: 100, default: DEFAULT_OTLP_EXPORT_MAX_RETRIES },
    retryInitialBackoffMillis: {
      type: 'integer',
      minimum: 1,
      maximum: 600_000,
      default: DEFAULT_OTLP_EXPORT_RETRY_INITIAL_BACKOFF_MILLIS,
    },
    retryMaxBackoffMillis: {
      type: 'integer',
      minimum: 1,
      maximum: 3_600_000,
      default: DEFAULT_OTLP_EXPORT_RETRY_MAX_BACKOFF_MILLIS,
    },
  },
} as const;

const compiled: { validate?: ReturnType<Ajv['compile']> } = {};

/** Validates a raw `otlpExport` section and fills its defaults; throws `COL_ERR_CONFIG_INVALID` naming the field. */
export function resolveOtlpExportConfig(raw: unknown): OtlpExportConfig {
  const config = validateSection<OtlpExportConfig>(otlpExportConfigSchema, 'otlpExport', raw, compiled);
  if (config.retryMaxBackoffMillis < config.retryInitialBackoffMillis) {
    throw new CollectorError(
      'COL_ERR_CONFIG_INVALID',
      'otlpExport.retryMaxBackoffMillis: must be >= retryInitialBackoffMillis',
      'otlpExport.retryMaxBackoffMillis',
    );
  }
  if (config.protocol === 'grpc' && new URL(config.endpoint).pathname.length > 1) {
    throw new CollectorError(
      'COL_ERR_CONFIG_INVALID',
      'otlpExport.endpoint: with protocol grpc, give http://host:port without a path',
      'otlpExport.endpoint',
    );
  }
  return config;
}
