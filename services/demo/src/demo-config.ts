/**
 * Demo configuration (configs/demo.yml): YAML validated with a JSON schema that fills the documented
 * defaults.
 */
import { compileConfigSchema, readConfigFile, validatedCopy } from '@phosphor/service-kit';
import { DemoError } from './errors.js';

/** Validated demo configuration. */
export interface DemoConfig {
  /** Interface all demo services listen on. */
  host: string;
  tracing: {
    collectors: string[];
    sampleRate: number;
    hmacKey: string | null;
    enabled: boolean;
    /** Where the OpenTelemetry-instrumented rates service sends OTLP/HTTP traces (the collector's OTLP receiver). */
    otlpTracesUrl: string;
  };
  idGenerator: {
    /** Start an ID service in-process (with `configFile` or the defaults); false = use the URLs below. */
    embedded: boolean;
    /** ID service config file for the embedded one; null = defaults with the ports below. */
    configFile: string | null;
    httpPort: number;
    grpcPort: number;
    /** External ID service (when not embedded). */
    httpUrl: string | null;
    grpcTarget: string | null;
    /** Trace ids fetched per batch by each demo service's tracer. */
    traceIdBatchSize: number;
  };
  gateway: { httpPort: number };
  /** The OpenTelemetry-instrumented rates service. */
  rates: { httpPort: number };
  quote: { httpPort: number; grpcPort: number; errorRate: number; slowRate: number; slowDelayMillis: number };
  traffic: {
    enabled: boolean;
    ratePerSecond: number;
    maxInFlight: number;
    symbols: string[];
    basketSize: number;
    timeoutMillis: number;
  };
}

const PORT = { type: 'integer', minimum: 0, maximum: 65_535 } as const;

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    host: { type: 'string', minLength: 1, default: '127.0.0.1' },
    tracing: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        collectors: {
          type: 'array',
          items: { type: 'string', pattern: '^[^\\s:]+:[0-9]{1,5}$' },
          default: ['127.0.0.1:7760'],
        },
        sampleRate: { type: 'number', minimum: 0, maximum: 1, default: 1 },
        hmacKey: { type: ['string', 'null'], minLength: 1, default: null },
        otlpTracesUrl: { type: 'string', pattern: '^https?://[^\\s]+$', default: 'http://127.0.0.1:4318/v1/traces' },
      },
    },
    idGenerator: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        embedded: { type: 'boolean', default: true },
        configFile: { type: ['string', 'null'], default: null },
        httpPort: { ...PORT, default: 8888 },
        grpcPort: { ...PORT, default: 5555 },
        httpUrl: { type: ['string', 'null'], pattern: '^https?://', default: null },
        grpcTarget: { type: ['string', 'null'], pattern: '^[^\\s:]+:[0-9]{1,5}$', default: null },
        // 1000 ids per fetch: one ID-service round trip per thousand traces per service.
        traceIdBatchSize: { type: 'integer', minimum: 1, maximum: 10_000, default: 1_000 },
      },
    },
    gateway: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { httpPort: { ...PORT, default: 8080 } },
    },
    rates: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { httpPort: { ...PORT, default: 8082 } },
    },
    quote: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        httpPort: { ...PORT, default: 8081 },
        grpcPort: { ...PORT, default: 5556 },
        // 5 % errors and 5 % slow requests: frequent enough to see in a minute of demo traffic.
        errorRate: { type: 'number', minimum: 0, maximum: 1, default: 0.05 },
        slowRate: { type: 'number', minimum: 0, maximum: 1, default: 0.05 },
        slowDelayMillis: { type: 'integer', minimum: 0, maximum: 60_000, default: 300 },
      },
    },
    traffic: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        ratePerSecond: { type: 'number', minimum: 0, maximum: 10_000, default: 5 },
        maxInFlight: { type: 'integer', minimum: 1, maximum: 10_000, default: 50 },
        symbols: {
          type: 'array',
          minItems: 1,
          items: { type: 'string', pattern: '^[A-Z]{1,5}$' },
          default: ['ACME', 'GLOBX', 'INIT', 'UMBR', 'WAYNE', 'STARK'],
        },
        basketSize: { type: 'integer', minimum: 1, maximum: 10, default: 3 },
        timeoutMillis: { type: 'integer', minimum: 10, maximum: 60_000, default: 5_000 },
      },
    },
  },
} as const;

const validate = compileConfigSchema(SCHEMA);
const invalidConfig = (message: string, cause?: unknown) =>
  new DemoError('DEMO_ERR_CONFIG_INVALID', message, cause === undefined ? undefined : { cause });

/** Validates a parsed demo config and fills defaults; throws DEMO_ERR_CONFIG_INVALID naming the fields. */
export function resolveDemoConfig(raw: unknown, source = 'demo configuration'): DemoConfig {
  const config = validatedCopy<DemoConfig>(validate, raw, source, invalidConfig);
  if (!config.idGenerator.embedded && (!config.idGenerator.httpUrl || !config.idGenerator.grpcTarget)) {
    throw new DemoError(
      'DEMO_ERR_CONFIG_INVALID',
      `${source}: idGenerator.httpUrl and idGenerator.grpcTarget are required when idGenerator.embedded is false`,
    );
  }
  return config;
}

/** Reads and validates a demo YAML file. */
export async function loadDemoConfig(path: string): Promise<DemoConfig> {
  return resolveDemoConfig(readConfigFile(path, invalidConfig), path);
}
