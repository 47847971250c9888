import { hostname as osHostname } from 'node:os';
import { DEFAULT_MAX_DATAGRAM_BYTES, MAX_NAME_LENGTH, MAX_UDP_PAYLOAD_BYTES } from '@phosphor/wire';
import { AttributePolicy } from './attributes/attribute-set.js';
import { DEFAULT_ATTRIBUTES } from './attributes/semantic-conventions.js';
import { TracerError } from './errors.js';
import { type IdSource, LocalIdSource } from './ids.js';

/** Options of {@link createTracer}. Every option but `service` has a default. */
export interface TracerOptions {
  /**
   * This service's name: `from` on REQ/REP events, `to` on IN/OUT events. Default: env PHOSPHOR_SERVICE,
   * else `unknown_service:node`. Every option also has an environment variable (see env-options.ts); options win.
   */
  service?: string;
  /** Collector addresses as `host:port` (`[v6addr]:port` for IPv6). Default `['127.0.0.1:7760']`. */
  collectors?: string[];
  /** Events buffered before new ones are dropped (counted as `bufferFull`). Default 8192. */
  maxBufferedEvents?: number;
  /**
   * Largest datagram sent, header and HMAC included. Default 1400 (no IP fragmentation on an
   * Ethernet path), or 16384 when every collector is a loopback address (see
   * {@link DEFAULT_LOOPBACK_DATAGRAM_BYTES}).
   */
  maxDatagramBytes?: number;
  /** Longest an event waits before its (partly filled) datagram is sent. Default 1000 ms. */
  flushIntervalMillis?: number;
  /** Fraction of new traces kept, 0..1, decided at the trace root. Default 1 (keep all). */
  sampleRate?: number;
  /** Host name on every event. Default `os.hostname()`. */
  hostname?: string;
  /** Zone/region on every event (e.g. `eu-west-1a`). Default: none. */
  zone?: string;
  /** Shared key: when set, every datagram carries an HMAC the collector can check. Default: none. */
  hmacKey?: string | Buffer;
  /** Where root trace ids come from. Default: a {@link LocalIdSource}. */
  idSource?: IdSource;
  /** `false` gives a tracer that records nothing (for "tracing off" comparisons). Default true. */
  enabled?: boolean;
  /**
   * Which OpenTelemetry semantic-convention attributes the instrumentation puts on hops (as event
   * tags): `true` (default) all of {@link DEFAULT_ATTRIBUTES}, `false` none, or a list of those names.
   */
  attributes?: boolean | readonly string[];
}

/** The collector's default UDP receiver address (agreed with the collector package): same host, port 7760. */
export const DEFAULT_COLLECTOR = '127.0.0.1:7760';
/**
 * 8192 events ≈ 2–3 MB at ~300 bytes each: a few seconds of a busy service's events if the
 * collector stalls, yet a bounded and small share of a service's heap.
 */
export const DEFAULT_MAX_BUFFERED_EVENTS = 8192;
/**
 * One second: events reach the collector quickly enough for a live tail, while a quiet service
 * wakes up once a second at most (busy ones send as soon as a datagram is full).
 */
export const DEFAULT_FLUSH_INTERVAL_MILLIS = 1000;
/** Keep everything by default: sampling is an explicit cost/visibility trade-off for the operator. */
export const DEFAULT_SAMPLE_RATE = 1;
/**
 * Loopback has a 64 KiB MTU, so a local collector (the default 127.0.0.1 sidecar setup) takes
 * bigger datagrams without fragmentation. Each send is a syscall whose cost barely depends on the
 * size (on loopback the sender's CPU also delivers the datagram to the receiving socket and wakes
 * the receiver); 16 KiB carries ~95 events with the default attributes instead of ~8, and measured
 * ≈ 0.3 µs per hop below 8 KiB in the tracer bench (docs/benchmarks.md, "Tracer send path"). Not
 * bigger by default: with 64 KiB datagrams sends to a loaded receiver started waiting for the
 * socket (the ID service bench measured the send at ≈ 4.6 µs per request with 64 KiB datagrams
 * against ≈ 1.4 µs with 8 KiB); 32 KiB measured cheaper still in the tracer bench and is a
 * `maxDatagramBytes` away.
 */
export const DEFAULT_LOOPBACK_DATAGRAM_BYTES = 16_384;
/** Below this a datagram cannot hold the batch header plus a typical event. */
export const MIN_DATAGRAM_BYTES = 512;
/** A flush interval this short would spin the event loop; longer than an hour loses the live view. */
const MIN_FLUSH_INTERVAL_MILLIS = 1;
const MAX_FLUSH_INTERVAL_MILLIS = 3_600_000;
/** 2^24 events ≈ 5 GB: anything larger is a typo, not a buffer. */
const MAX_BUFFERED_EVENTS_LIMIT = 1 << 24;

/** A collector address, split. */
export interface CollectorAddress {
  host: string;
  port: number;
}

/** Options after defaults and validation. */
export interface ResolvedTracerOptions {
  service: string;
  collectors: CollectorAddress[];
  maxBufferedEvents: number;
  maxDatagramBytes: number;
  flushIntervalMillis: number;
  sampleRate: number;
  hostname: string;
  zone: string | undefined;
  hmacKey: Buffer | undefined;
  idSource: IdSource;
  enabled: boolean;
  attributes: AttributePolicy;
}

/** Applies defaults and validates; throws a {@link TracerError} naming the bad option. */
export function resolveTracerOptions(options: TracerOptions): ResolvedTracerOptions {
  if (typeof options !== 'object' || options === null) invalid('options', 'must be an object');
  const service = name('service', options.service, true) as string;
  const collectorsInput = options.collectors ?? [DEFAULT_COLLECTOR];
  if (!Array.isArray(collectorsInput) || collectorsInput.length === 0) {
    invalid('collectors', 'must be a non-empty array of "host:port" strings');
  }
  const collectors = collectorsInput.map((entry, i) => parseCollector(entry, `collectors[${i}]`));
  const hmacKey = options.hmacKey === undefined ? undefined : toKey(options.hmacKey);
  const idSource = options.idSource ?? new LocalIdSource();
  if (typeof idSource?.nextTraceId !== 'function') invalid('idSource', 'must implement nextTraceId()');
  if (options.enabled !== undefined && typeof options.enabled !== 'boolean') invalid('enabled', 'must be a boolean');
  const sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
  if (typeof sampleRate !== 'number' || !(sampleRate >= 0 && sampleRate <= 1)) {
    invalid('sampleRate', `must be a number between 0 and 1 (got ${String(sampleRate)})`);
  }
  return {
    service,
    collectors,
    maxBufferedEvents: integer(
      'maxBufferedEvents',
      options.maxBufferedEvents,
      DEFAULT_MAX_BUFFERED_EVENTS,
      1,
      MAX_BUFFERED_EVENTS_LIMIT,
    ),
    maxDatagramBytes: integer(
      'maxDatagramBytes',
      options.maxDatagramBytes,
      collectors.every((c) => isLoopback(c.host)) ? DEFAULT_LOOPBACK_DATAGRAM_BYTES : DEFAULT_MAX_DATAGRAM_BYTES,
      MIN_DATAGRAM_BYTES,
      MAX_UDP_PAYLOAD_BYTES,
    ),
    flushIntervalMillis: integer(
      'flushIntervalMillis',
      options.flushIntervalMillis,
      DEFAULT_FLUSH_INTERVAL_MILLIS,
      MIN_FLUSH_INTERVAL_MILLIS,
      MAX_FLUSH_INTERVAL_MILLIS,
    ),
    sampleRate,
    hostname: name('hostname', options.hostname, false) ?? osHostname(),
    zone: name('zone', options.zone, false),
    hmacKey,
    idSource,
    enabled: options.enabled ?? true,
    attributes: new AttributePolicy(attributeSelection(options.attributes)),
  };
}

/** Parses `host:port` / `[v6]:port`; throws naming `field`. */
export function parseCollector(entry: unknown, field: string): CollectorAddress {
  if (typeof entry !== 'string') invalid(field, 'must be a "host:port" string');
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(entry);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || !(port >= 1 && port <= 65535)) {
    invalid(field, `must be "host:port" with a port 1..65535 (got ${JSON.stringify(entry)})`);
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

/** True for addresses that never leave the host. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function attributeSelection(value: unknown): boolean | readonly string[] {
  if (value === undefined) return true;
  if (typeof value === 'boolean') return value;
  if (!Array.isArray(value)) invalid('attributes', 'must be true, false or a list of attribute names');
  value.forEach((name, i) => {
    if (typeof name !== 'string' || !DEFAULT_ATTRIBUTES.includes(name)) {
      invalid(`attributes[${i}]`, `must be one of ${DEFAULT_ATTRIBUTES.join(', ')} (got ${JSON.stringify(name)})`);
    }
  });
  return value as string[];
}

function toKey(key: unknown): Buffer {
  if (typeof key === 'string' && key.length > 0) return Buffer.from(key, 'utf8');
  if (Buffer.isBuffer(key) && key.length > 0) return Buffer.from(key);
  return invalid('hmacKey', 'must be a non-empty string or Buffer');
}

function name(field: string, value: unknown, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
    invalid(field, `must be a non-empty string of at most ${MAX_NAME_LENGTH} chars`);
  }
  return value;
}

function integer(field: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(field, `must be an integer in ${min}..${max} (got ${String(value)})`);
  }
  return value;
}

function invalid(field: string, problem: string): never {
  throw new TracerError('TRC_ERR_OPTIONS_INVALID', `${field}: ${problem}`);
}
