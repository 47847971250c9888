import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { compileConfigSchema, configErrorKey, readYamlFile, YamlFileError } from '@phosphor/service-kit';
import type { ErrorObject } from 'ajv';
import { defaultMemberName } from '../cluster/config.js';
import { CollectorError } from '../errors.js';
import { ELASTICSEARCH_ENV_OVERRIDES, type EnvOverride } from '../storage/elasticsearch/env-overrides.js';
import type { CollectorConfig } from './config.js';
import { MAX_SHARDS } from './defaults.js';
import { collectorConfigSchema } from './schema.js';

/** Prefix of every environment variable the collector reads. */
export const ENV_PREFIX = 'PHOSPHOR_COLLECTOR_';

type ValueKind = EnvOverride['kind'] | 'int-or-string';

/** Environment variables and the config key each one overrides. Unknown `PHOSPHOR_COLLECTOR_*` variables are errors. */
export const ENV_OVERRIDES: Readonly<Record<string, Omit<EnvOverride, 'kind'> & { kind: ValueKind }>> = {
  PHOSPHOR_COLLECTOR_CONFIG: { key: '', kind: 'string' },
  PHOSPHOR_COLLECTOR_SHARDS: { key: 'shards', kind: 'int-or-string' },
  PHOSPHOR_COLLECTOR_UDP_HOST: { key: 'udp.host', kind: 'string' },
  PHOSPHOR_COLLECTOR_UDP_PORT: { key: 'udp.port', kind: 'int' },
  PHOSPHOR_COLLECTOR_UDP_HMAC_KEY: { key: 'udp.hmacKey', kind: 'string' },
  PHOSPHOR_COLLECTOR_HTTP_HOST: { key: 'http.host', kind: 'string' },
  PHOSPHOR_COLLECTOR_HTTP_PORT: { key: 'http.port', kind: 'int' },
  PHOSPHOR_COLLECTOR_HTTP_BEARER_TOKEN: { key: 'http.bearerToken', kind: 'string' },
  PHOSPHOR_COLLECTOR_STORAGE: { key: 'storage.type', kind: 'string' },
  PHOSPHOR_COLLECTOR_SKEW_CORRECTION: { key: 'assembly.skewCorrection', kind: 'bool' },
  PHOSPHOR_COLLECTOR_DASHBOARD_DIST_DIR: { key: 'dashboard.distDir', kind: 'string' },
  PHOSPHOR_COLLECTOR_LOG_LEVEL: { key: 'logging.level', kind: 'string' },
  PHOSPHOR_COLLECTOR_MEMORY_MAX_SPANS: { key: 'storage.memory.maxSpans', kind: 'int' },
  ...ELASTICSEARCH_ENV_OVERRIDES,
  PHOSPHOR_COLLECTOR_ROLE: { key: 'role', kind: 'string' },
  PHOSPHOR_COLLECTOR_KAFKA_MEMBER_NAME: { key: 'kafka.memberName', kind: 'string' },
};

/** Where the config comes from; later sources win: file < values < env < overrides. */
export interface LoadConfigOptions {
  /** YAML config file; relative paths inside it (dashboard.distDir) resolve against its folder. */
  file?: string;
  /** A config object merged over the file (tests use this instead of writing YAML). */
  values?: Record<string, unknown>;
  /** Environment to read `PHOSPHOR_COLLECTOR_*` overrides from; none when omitted. */
  env?: Record<string, string | undefined>;
  /** Dotted-key overrides from command-line flags, e.g. `{ 'udp.port': 0 }`. */
  overrides?: Record<string, unknown>;
  /** Label used in errors for `overrides` entries, by key (e.g. `'--udp-port'`). */
  overrideLabels?: Record<string, string>;
}

const validate = compileConfigSchema(collectorConfigSchema);

/**
 * Reads, merges and validates the collector config, filling every default. Throws a
 * {@link CollectorError} naming the key (and the env var or flag it came from) when a key is
 * unknown or a value is bad; the daemon refuses to start on it.
 */
export function loadConfig(options: LoadConfigOptions = {}): CollectorConfig {
  const sources = new Map<string, string>();
  let config: Record<string, unknown> = {};
  let baseDir = process.cwd();
  const file = options.file ?? options.env?.PHOSPHOR_COLLECTOR_CONFIG;
  if (file) {
    config = readConfigFile(file);
    baseDir = dirname(resolve(file));
  }
  if (options.values) config = deepMerge(config, structuredClone(options.values));
  if (options.env) {
    const replaced = new Set<string>();
    for (const [name, raw] of Object.entries(options.env)) {
      if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
      const spec = ENV_OVERRIDES[name];
      if (!spec) {
        throw new CollectorError(
          'COL_ERR_CONFIG_ENV',
          `${name}: unknown variable (known: ${Object.keys(ENV_OVERRIDES).join(', ')})`,
          name,
        );
      }
      if (spec.key === '') continue;
      if (spec.replaces && !replaced.has(spec.replaces)) {
        replaced.add(spec.replaces);
        setPath(config, spec.replaces, {});
      }
      setPath(config, spec.key, convert(raw, spec.kind, name));
      sources.set(spec.key, `environment variable ${name}`);
    }
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) continue;
    setPath(config, key, value);
    sources.set(key, options.overrideLabels?.[key] ?? `override ${key}`);
  }
  if (!validate(config)) throw toConfigError(validate.errors?.[0], sources, file);
  const result = config as unknown as CollectorConfig;
  result.storage.elasticsearch ??= {};
  result.influx ??= { enabled: false };
  const shards = result.shards as number | 'auto';
  if (result.role !== 'all' && shards !== 'auto' && shards > 1) {
    // A receiver hands events to Kafka and an assembler runs one engine per partition: Kafka spreads
    // the work there, not worker threads.
    throw new CollectorError(
      'COL_ERR_CONFIG_INVALID',
      `shards: ${shards} applies to role all only (role is "${result.role}"${sourceOf(sources, 'role')})`,
      'shards',
    );
  }
  result.shards = result.role === 'all' ? resolveShards(shards) : 1;
  if (result.role !== 'all') {
    // OTLP spans are joined by the engine of the process that receives them; a receiver has none (it
    // forwards datagram events to Kafka) and an assembler takes its events from Kafka only.
    result.otlp.http.enabled = false;
    result.otlp.grpc.enabled = false;
  }
  result.kafka.memberName ??= defaultMemberName();
  if (result.role === 'assembler' && result.storage.type !== 'elasticsearch') {
    // Offsets are committed only past spans stored durably; the memory store would lose them on a crash.
    throw new CollectorError(
      'COL_ERR_CONFIG_INVALID',
      `role: an assembler stores spans in Elasticsearch (storage.type is "${result.storage.type}"${sourceOf(sources, 'role')})`,
      'role',
    );
  }
  if (!isAbsolute(result.dashboard.distDir)) result.dashboard.distDir = resolve(baseDir, result.dashboard.distDir);
  return result;
}

function sourceOf(sources: Map<string, string>, key: string): string {
  const source = sources.get(key);
  return source ? `; role set by ${source}` : '';
}

/** The shared YAML reader, its problems mapped to the collector's config error codes. */
function readConfigFile(file: string): Record<string, unknown> {
  try {
    return readYamlFile(file);
  } catch (err) {
    if (!(err instanceof YamlFileError)) throw err;
    const code =
      err.problem === 'read'
        ? 'COL_ERR_CONFIG_READ'
        : err.problem === 'parse'
          ? 'COL_ERR_CONFIG_PARSE'
          : 'COL_ERR_CONFIG_INVALID';
    throw new CollectorError(code, err.message, undefined, { cause: err.cause ?? err });
  }
}

/** `shards: auto` is one shard per core the process may use (cgroup and affinity limits included). */
function resolveShards(shards: number | 'auto'): number {
  return shards === 'auto' ? Math.min(availableParallelism(), MAX_SHARDS) : shards;
}

function convert(raw: string, kind: ValueKind, name: string): unknown {
  if (kind === 'string') return raw;
  if (kind === 'int-or-string') return /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (kind === 'list') {
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    if (items.length === 0)
      throw new CollectorError('COL_ERR_CONFIG_ENV', `${name}: must list at least one value`, name);
    return items;
  }
  if (kind === 'int') {
    if (!/^-?\d+$/.test(raw.trim()))
      throw new CollectorError('COL_ERR_CONFIG_ENV', `${name}: must be an integer (got "${raw}")`, name);
    return Number(raw.trim());
  }
  const lower = raw.trim().toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw new CollectorError('COL_ERR_CONFIG_ENV', `${name}: must be true or false (got "${raw}")`, name);
}

function toConfigError(error: ErrorObject | undefined, sources: Map<string, string>, file: string | undefined) {
  if (!error) return new CollectorError('COL_ERR_CONFIG_INVALID', 'config failed validation');
  const base = error.instancePath.split('/').slice(1).join('.');
  const where = file ? ` in ${file}` : '';
  if (error.keyword === 'additionalProperties') {
    const key = configErrorKey(error);
    return new CollectorError('COL_ERR_CONFIG_UNKNOWN_KEY', `${key}: unknown key${where}`, key);
  }
  const key = configErrorKey(error);
  // The bad value may sit inside what a variable set (nodes.0) or around it (auth, set by ..._ES_PASSWORD).
  const source =
    sources.get(base) ?? [...sources].find(([k]) => base.startsWith(`${k}.`) || k.startsWith(`${base}.`))?.[1];
  // The anyOf behind `shards` would report only its first branch ("must be equal to constant").
  let message =
    key === 'shards' ? `must be "auto" or an integer from 1 to ${MAX_SHARDS}` : (error.message ?? 'is invalid');
  if (error.keyword === 'enum') {
    message += ` (${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')})`;
  }
  return new CollectorError('COL_ERR_CONFIG_INVALID', `${key}: ${message}${source ? ` (from ${source})` : where}`, key);
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(over)) {
    const current = base[key];
    if (isPlainObject(current) && isPlainObject(value)) base[key] = deepMerge(current, value);
    else base[key] = value;
  }
  return base;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
