/**
 * The ID service configuration: YAML (configs/id-generator.yml), validated with a JSON schema (ajv)
 * that also fills in the documented defaults, so a missing entry means "default" (Flaki's rule).
 */
import { compileConfigSchema, describeConfigErrors, readConfigFile, validatedCopy } from '@phosphor/service-kit';
import { IdServiceError } from '../errors.js';
import { MAX_COMPONENT_ID, MAX_NODE_ID } from '../ids/flaki-layout.js';

/** Validated configuration, every field present. */
export interface IdServiceConfig {
  service: {
    /** Service name in traces, logs and metrics. */
    name: string;
    /** HTTP listen address `host:port` (port 0 = any free port). */
    httpHostPort: string;
    /** gRPC listen address `host:port` (port 0 = any free port). */
    grpcHostPort: string;
  };
  ids: {
    /** ISO-8601 epoch of the 42-bit timestamp. */
    epoch: string;
    /** Static node id, used only when no Redis lease is configured. */
    nodeId: number;
    /** Static component id, used only when no Redis lease is configured. */
    componentId: number;
    /** Largest `count` accepted by the batch call. */
    maxBatchCount: number;
    /** How long NextValidID (and sequence overflow) waits for the clock. */
    maxClockWaitMillis: number;
  };
  redis: {
    /** `redis://host:port[/db]`; null disables the lease and the Redis log sink. */
    url: string | null;
    /** Per-command timeout, so a hung Redis fails fast instead of stalling renewals. */
    commandTimeoutMillis: number;
  };
  lease: {
    /** Lease node ids from Redis (needs `redis.url`); false uses the static ids. */
    enabled: boolean;
    keyPrefix: string;
    ttlMillis: number;
    failClosedMarginMillis: number;
    reuseMarginMillis: number;
    renewIntervalMillis: number;
    acquireRetryMillis: number;
  };
  logging: {
    level: 'debug' | 'info' | 'warn' | 'error';
    /** Write JSON log lines to stdout. */
    stdout: boolean;
    /** One log line per request (at `info`); off keeps only errors and lifecycle lines. */
    requestLogs: boolean;
    redis: {
      /** Push log lines to a Redis list (needs `redis.url`). */
      enabled: boolean;
      key: string;
      maxListLength: number;
      maxBufferedLines: number;
      maxBatchLines: number;
      flushIntervalMillis: number;
    };
  };
  influx: {
    /** InfluxDB v2 write API base URL; null disables metrics. */
    url: string | null;
    org: string;
    bucket: string;
    token: string;
    flushIntervalMillis: number;
    maxBufferLines: number;
  };
  tracing: {
    enabled: boolean;
    /** Collector addresses `host:port`. */
    collectors: string[];
    /** Share of new traces kept, 0..1, decided at the root. */
    sampleRate: number;
    /** Shared HMAC key for datagrams; null = unsigned. */
    hmacKey: string | null;
    /** Default semantic-convention attributes on hops: true (all), false (none) or a list of names (tracer `attributes`). */
    attributes: boolean | string[];
  };
}

const HOST_PORT = '^[^\\s:]+:[0-9]{1,5}$';

/** The JSON schema; `default` values are the documented defaults (also listed in configs/id-generator.yml). */
const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    service: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 64, default: 'id-generator' },
        // Flaki's defaults: HTTP 8888, gRPC 5555.
        httpHostPort: { type: 'string', pattern: HOST_PORT, default: '0.0.0.0:8888' },
        grpcHostPort: { type: 'string', pattern: HOST_PORT, default: '0.0.0.0:5555' },
      },
    },
    ids: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        epoch: { type: 'string', minLength: 1, default: '2017-01-01T00:00:00Z' },
        nodeId: { type: 'integer', minimum: 0, maximum: MAX_NODE_ID, default: 0 },
        componentId: { type: 'integer', minimum: 0, maximum: MAX_COMPONENT_ID, default: 0 },
        // 10 000 ids is ~160 KB of JSON: a batch a tracer pool would want, well under fastify's 1 MiB body limit.
        maxBatchCount: { type: 'integer', minimum: 1, maximum: 100_000, default: 10_000 },
        maxClockWaitMillis: { type: 'integer', minimum: 0, maximum: 60_000, default: 1_000 },
      },
    },
    redis: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: ['string', 'null'], pattern: '^rediss?://', default: null },
        commandTimeoutMillis: { type: 'integer', minimum: 10, maximum: 60_000, default: 1_000 },
      },
    },
    lease: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        keyPrefix: { type: 'string', minLength: 1, default: 'phosphor:idgen:lease' },
        ttlMillis: { type: 'integer', minimum: 100, maximum: 600_000, default: 10_000 },
        failClosedMarginMillis: { type: 'integer', minimum: 10, maximum: 600_000, default: 2_000 },
        reuseMarginMillis: { type: 'integer', minimum: 0, maximum: 600_000, default: 1_000 },
        renewIntervalMillis: { type: 'integer', minimum: 10, maximum: 600_000, default: 3_000 },
        acquireRetryMillis: { type: 'integer', minimum: 10, maximum: 600_000, default: 1_000 },
      },
    },
    logging: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { enum: ['debug', 'info', 'warn', 'error'], default: 'info' },
        stdout: { type: 'boolean', default: true },
        requestLogs: { type: 'boolean', default: true },
        redis: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            // Logstash's redis input default key.
            key: { type: 'string', minLength: 1, default: 'logstash' },
            // Cap on the list: ~100 k lines of ~400 B = 40 MB in Redis when Logstash is not draining it.
            maxListLength: { type: 'integer', minimum: 1, maximum: 10_000_000, default: 100_000 },
            // In-process buffer while Redis is slow or down; past it lines are dropped and counted.
            maxBufferedLines: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 10_000 },
            maxBatchLines: { type: 'integer', minimum: 1, maximum: 100_000, default: 500 },
            flushIntervalMillis: { type: 'integer', minimum: 1, maximum: 60_000, default: 200 },
          },
        },
      },
    },
    influx: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: ['string', 'null'], pattern: '^https?://', default: null },
        org: { type: 'string', default: 'phosphor' },
        bucket: { type: 'string', minLength: 1, default: 'phosphor' },
        token: { type: 'string', default: '' },
        flushIntervalMillis: { type: 'integer', minimum: 10, maximum: 60_000, default: 1_000 },
        // The influx client drops the oldest lines past this while the server is unreachable.
        maxBufferLines: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 50_000 },
      },
    },
    tracing: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        // The collector's default UDP port.
        collectors: { type: 'array', items: { type: 'string', pattern: HOST_PORT }, default: ['127.0.0.1:7760'] },
        sampleRate: { type: 'number', minimum: 0, maximum: 1, default: 1 },
        hmacKey: { type: ['string', 'null'], minLength: 1, default: null },
        attributes: { type: ['boolean', 'array'], items: { type: 'string', minLength: 1 }, default: true },
      },
    },
  },
} as const;

const validate = compileConfigSchema(SCHEMA);
const invalidConfig = (message: string, cause?: unknown) =>
  new IdServiceError('IDG_ERR_CONFIG_INVALID', message, cause === undefined ? undefined : { cause });

/** The shared config error message (one per bad key); re-exported for the services that embed this config. */
export { describeConfigErrors };

/**
 * Validates a parsed configuration object and fills in defaults. Throws IDG_ERR_CONFIG_INVALID naming
 * every bad field. `source` names where it came from in the message.
 */
export function resolveIdServiceConfig(raw: unknown, source = 'configuration'): IdServiceConfig {
  const config = validatedCopy<IdServiceConfig>(validate, raw, source, invalidConfig);
  if (Number.isNaN(Date.parse(config.ids.epoch))) {
    throw new IdServiceError('IDG_ERR_CONFIG_INVALID', `${source}: ids.epoch must be an ISO-8601 date`);
  }
  if (Date.parse(config.ids.epoch) > Date.now()) {
    throw new IdServiceError('IDG_ERR_CONFIG_INVALID', `${source}: ids.epoch must not be in the future`);
  }
  const lease = config.lease;
  if (lease.failClosedMarginMillis >= lease.ttlMillis) {
    throw new IdServiceError(
      'IDG_ERR_CONFIG_INVALID',
      `${source}: lease.failClosedMarginMillis must be below lease.ttlMillis`,
    );
  }
  if (lease.renewIntervalMillis >= lease.ttlMillis - lease.failClosedMarginMillis) {
    throw new IdServiceError(
      'IDG_ERR_CONFIG_INVALID',
      `${source}: lease.renewIntervalMillis must be below lease.ttlMillis - lease.failClosedMarginMillis`,
    );
  }
  return config;
}

/** Reads and validates a YAML configuration file. Throws IDG_ERR_CONFIG_INVALID with the path on failure. */
export async function loadIdServiceConfig(path: string): Promise<IdServiceConfig> {
  return resolveIdServiceConfig(readConfigFile(path, invalidConfig), path);
}

/** Splits `host:port`; the schema already guaranteed the shape. Throws when the port is out of range. */
export function parseHostPort(value: string, field: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  const port = Number(value.slice(at + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new IdServiceError('IDG_ERR_CONFIG_INVALID', `${field} port must be 0..65535, got "${value}"`);
  }
  return { host: value.slice(0, at), port };
}
