import type { Ajv } from 'ajv';
import { validateSection } from '../../storage/elasticsearch/config.js';

/** The OTLP/HTTP port of the OpenTelemetry spec and every OTel SDK's default endpoint. */
export const DEFAULT_OTLP_HTTP_PORT = 4318;
/** The OTLP/gRPC port of the OpenTelemetry spec. */
export const DEFAULT_OTLP_GRPC_PORT = 4317;
/** Loopback, like the UDP and HTTP listeners: receiving from other hosts is a deliberate choice. */
export const DEFAULT_OTLP_HOST = '127.0.0.1';
/**
 * 4 MiB: gRPC's default maximum message size, which OTel SDKs' batches (512 spans by default)
 * stay well below; the same bound applies to HTTP bodies as sent (compressed or not).
 */
export const DEFAULT_OTLP_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** A gzip body may inflate to this much; more is refused, so a small "gzip bomb" costs nothing. */
export const DEFAULT_OTLP_MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024;
/**
 * OTel SDKs export a child span before its parent; a CLIENT span waits this long for the SERVER
 * span it ran under. 6 s is just above BatchSpanProcessor's default 5 s schedule, so a parent
 * exported in the next batch is still met.
 */
export const DEFAULT_OTLP_PARENT_WAIT_MILLIS = 6000;
/** Spans waiting for a parent at most (a few MB); past it spans pass on unresolved, counted. */
export const DEFAULT_OTLP_MAX_WAITING_SPANS = 20_000;

/** One OTLP listener (`otlp.http` or `otlp.grpc`). */
export interface OtlpListenerConfig {
  enabled: boolean;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Larger requests are refused (HTTP 413, gRPC RESOURCE_EXHAUSTED) and counted. */
  maxRequestBytes: number;
}

/** Config section `otlp`: the OTLP trace receiver. */
export interface OtlpReceiverConfig {
  http: OtlpListenerConfig & { maxDecompressedBytes: number };
  grpc: OtlpListenerConfig;
  parentWaitMillis: number;
  maxWaitingSpans: number;
}

const listener = (port: number) =>
  ({
    enabled: { type: 'boolean', default: true },
    host: { type: 'string', minLength: 1, maxLength: 255, default: DEFAULT_OTLP_HOST },
    port: { type: 'integer', minimum: 0, maximum: 65_535, default: port },
    maxRequestBytes: {
      type: 'integer',
      minimum: 1024,
      maximum: 1024 * 1024 * 1024,
      default: DEFAULT_OTLP_MAX_REQUEST_BYTES,
    },
  }) as const;

/** JSON schema (ajv) of {@link OtlpReceiverConfig}; unknown keys are rejected. */
export const otlpReceiverConfigSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    http: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        ...listener(DEFAULT_OTLP_HTTP_PORT),
        maxDecompressedBytes: {
          type: 'integer',
          minimum: 1024,
          maximum: 1024 * 1024 * 1024,
          default: DEFAULT_OTLP_MAX_DECOMPRESSED_BYTES,
        },
      },
    },
    grpc: { type: 'object', additionalProperties: false, default: {}, properties: listener(DEFAULT_OTLP_GRPC_PORT) },
    parentWaitMillis: { type: 'integer', minimum: 0, maximum: 600_000, default: DEFAULT_OTLP_PARENT_WAIT_MILLIS },
    maxWaitingSpans: { type: 'integer', minimum: 0, maximum: 10_000_000, default: DEFAULT_OTLP_MAX_WAITING_SPANS },
  },
} as const;

const compiled: { validate?: ReturnType<Ajv['compile']> } = {};

/** Validates a raw `otlp` section and fills its defaults; throws `COL_ERR_CONFIG_INVALID` naming the field. */
export function resolveOtlpReceiverConfig(raw: unknown): OtlpReceiverConfig {
  return validateSection<OtlpReceiverConfig>(otlpReceiverConfigSchema, 'otlp', raw, compiled);
}
