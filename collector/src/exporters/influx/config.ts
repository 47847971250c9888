import type { Ajv } from 'ajv';
import { validateSection } from '../../storage/elasticsearch/config.js';

/** InfluxDB 2.x's default listen address. */
export const DEFAULT_INFLUX_URL = 'http://127.0.0.1:8086';
/** Org and bucket names used by the local setup (VictoriaMetrics ignores org; bucket becomes its `db` label). */
export const DEFAULT_INFLUX_ORG = 'phosphor';
export const DEFAULT_INFLUX_BUCKET = 'phosphor';
/** Matches the usual 10 s Influx/Grafana dashboard resolution; aggregates are rolling, so finer adds little. */
export const DEFAULT_INFLUX_INTERVAL_MILLIS = 10_000;
/**
 * Points kept while InfluxDB is unreachable. One export is a few hundred points (one per
 * endpoint/edge/host), so 50,000 covers several minutes of outage in a few MB.
 */
export const DEFAULT_INFLUX_MAX_BUFFERED_POINTS = 50_000;
/** Shorter than the interval so a hung server never makes writes pile up behind each other. */
export const DEFAULT_INFLUX_REQUEST_TIMEOUT_MILLIS = 5_000;
/** Measurements are `<prefix>_endpoint`, `<prefix>_edge`, `<prefix>_host`. */
export const DEFAULT_INFLUX_MEASUREMENT_PREFIX = 'phosphor';

/** Config section `influx`: where the collector writes its rolling aggregates (v2 write API). */
export interface InfluxConfig {
  /** Off by default: the embedded setup has no InfluxDB. */
  enabled: boolean;
  /** Base URL of a server speaking the InfluxDB v2 write API (`/api/v2/write`). */
  url?: string;
  org?: string;
  bucket?: string;
  /** API token (`Authorization: Token …`); empty for servers without auth. */
  token?: string;
  /** How often the aggregates are sampled and written. */
  intervalMillis?: number;
  /** Bound of the buffer of points not yet written; past it the oldest points are dropped and counted. */
  maxBufferedPoints?: number;
  /** Per-write HTTP timeout. */
  requestTimeoutMillis?: number;
  /** Measurement name prefix. */
  measurementPrefix?: string;
}

/** {@link InfluxConfig} with every default applied. */
export type ResolvedInfluxConfig = Required<InfluxConfig>;

/** JSON schema (ajv) of {@link InfluxConfig}; unknown keys are rejected. */
export const influxConfigSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: false },
    url: { type: 'string', pattern: '^https?://[^\\s]+$', default: DEFAULT_INFLUX_URL },
    org: { type: 'string', minLength: 1, default: DEFAULT_INFLUX_ORG },
    bucket: { type: 'string', minLength: 1, default: DEFAULT_INFLUX_BUCKET },
    token: { type: 'string', default: '' },
    intervalMillis: { type: 'integer', minimum: 100, default: DEFAULT_INFLUX_INTERVAL_MILLIS },
    maxBufferedPoints: { type: 'integer', minimum: 1, default: DEFAULT_INFLUX_MAX_BUFFERED_POINTS },
    requestTimeoutMillis: { type: 'integer', minimum: 100, default: DEFAULT_INFLUX_REQUEST_TIMEOUT_MILLIS },
    measurementPrefix: {
      type: 'string',
      // Also a valid Prometheus metric name prefix, since VictoriaMetrics maps measurements to metric names.
      pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,100}$',
      default: DEFAULT_INFLUX_MEASUREMENT_PREFIX,
    },
  },
} as const;

const compiled: { validate?: ReturnType<Ajv['compile']> } = {};

/**
 * Validates a raw `influx` section and returns it with every default applied. Throws a
 * `COL_ERR_CONFIG_INVALID` CollectorError naming each bad field.
 */
export function resolveInfluxConfig(raw: unknown): ResolvedInfluxConfig {
  return validateSection<ResolvedInfluxConfig>(influxConfigSchema, 'influx', raw, compiled);
}
