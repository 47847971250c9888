import { InfluxDB, escape as lineProtocol, type WriteApi } from '@influxdata/influxdb-client';
import type { Logger } from 'pino';
import { CollectorError } from '../../errors.js';
import type { ComponentHealth } from '../../storage/span-store.js';
import { type InfluxConfig, type ResolvedInfluxConfig, resolveInfluxConfig } from './config.js';

export type { InfluxConfig } from './config.js';
export { influxConfigSchema, resolveInfluxConfig } from './config.js';

/**
 * One row of the collector's rolling aggregates, as the exporter reads them. Which optional
 * fields are set depends on `kind`: endpoint → service + endpoint; edge → caller + callee;
 * host → host (+ service). Only these become Influx tags: never a trace or correlation id.
 */
export interface AggregateRow {
  kind: 'endpoint' | 'edge' | 'host';
  service?: string;
  endpoint?: string;
  caller?: string;
  callee?: string;
  host?: string;
  /** Rolling window label, e.g. "1m" (a tag: low cardinality by construction). */
  window: string;
  /** Spans in the window. */
  count: number;
  /** Spans with an error in the window. */
  errors: number;
  /** Latency percentiles over the window, microseconds. */
  p50: number;
  p95: number;
  p99: number;
}

/** Returns the current aggregate rows; called once per interval. */
export type AggregateSource = () => readonly AggregateRow[];

/** Window stats as the collector's aggregates report them (structural: no dependency on their module). */
interface WindowStatsLike {
  count: number;
  errors: number;
  p50Micros: number;
  p95Micros: number;
  p99Micros: number;
}

/**
 * The part of the collector's `Aggregates` the exporter can read directly: window labels like "5m"
 * and a snapshot per window. Passing it instead of an {@link AggregateSource} exports every window.
 */
export interface AggregatesLike {
  windowLabels(): string[];
  snapshot(windowMinutes: number):
    | {
        window: string;
        endpoints: (WindowStatsLike & { service: string; endpoint: string })[];
        edges: (WindowStatsLike & { from: string; to: string })[];
        hosts: (WindowStatsLike & { host: string })[];
      }
    | undefined;
}

function stats(s: WindowStatsLike): Pick<AggregateRow, 'count' | 'errors' | 'p50' | 'p95' | 'p99'> {
  return { count: s.count, errors: s.errors, p50: s.p50Micros, p95: s.p95Micros, p99: s.p99Micros };
}

/** Adapts the collector's aggregates to an {@link AggregateSource} (all configured windows). */
export function aggregatesSource(aggregates: AggregatesLike): AggregateSource {
  return () => {
    const rows: AggregateRow[] = [];
    for (const label of aggregates.windowLabels()) {
      const snap = aggregates.snapshot(Number.parseInt(label, 10));
      if (!snap) continue;
      const window = snap.window;
      for (const e of snap.endpoints)
        rows.push({ kind: 'endpoint', service: e.service, endpoint: e.endpoint, window, ...stats(e) });
      for (const e of snap.edges) rows.push({ kind: 'edge', caller: e.from, callee: e.to, window, ...stats(e) });
      for (const h of snap.hosts) rows.push({ kind: 'host', host: h.host, window, ...stats(h) });
    }
    return rows;
  };
}

/** Counters of the exporter. */
export type InfluxExporterStats = {
  /** Points acknowledged by the server. */
  writtenPoints: number;
  /** Points discarded because the buffer was full (oldest first). */
  droppedPoints: number;
  /** Rows skipped because a value was missing or not a finite non-negative number. */
  invalidRows: number;
  writeRequests: number;
  failedWrites: number;
  /** Points waiting to be written (gauge). */
  bufferedPoints: number;
};

/** Influx exporter handle: `start()` begins the interval, `close()` writes once more and stops. */
export interface InfluxExporter {
  start(): void;
  /** Samples the source and writes now (also what each interval does). Resolves when the write ends. */
  exportNow(): Promise<void>;
  stats(): InfluxExporterStats;
  /** Flaki-format health: KO while writes fail and points were dropped recently, Degraded while writes fail. */
  health(): Promise<ComponentHealth>;
  /** Stops the interval, makes a last bounded attempt to write the buffer. Safe to call twice. */
  close(): Promise<void>;
}

/** Points per write request; the v2 API accepts more, but small bodies keep a retry cheap. */
const MAX_POINTS_PER_WRITE = 5_000;
/** Tag values longer than this are cut: a tag is an index key in Influx and must stay small. */
const MAX_TAG_CHARS = 256;
/** At most one warning per this period while writes keep failing. */
const FAILURE_LOG_INTERVAL_MILLIS = 60_000;

const TAGS_BY_KIND: Record<AggregateRow['kind'], readonly (keyof AggregateRow)[]> = {
  endpoint: ['service', 'endpoint'],
  edge: ['caller', 'callee'],
  host: ['host', 'service'],
};

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function isMicros(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** Line protocol for one row, or undefined when the row is invalid. */
export function rowToLine(prefix: string, row: AggregateRow, timestampMillis: number): string | undefined {
  const tagKeys = TAGS_BY_KIND[row.kind];
  if (!tagKeys || typeof row.window !== 'string' || row.window === '') return undefined;
  if (!isCount(row.count) || !isCount(row.errors) || !isMicros(row.p50) || !isMicros(row.p95) || !isMicros(row.p99)) {
    return undefined;
  }
  // Tags sorted by key, as Influx prefers for its index.
  const tags: [string, string][] = [['window', row.window]];
  for (const key of tagKeys) {
    const value = row[key];
    if (typeof value === 'string' && value !== '') tags.push([key, value.slice(0, MAX_TAG_CHARS)]);
  }
  if (tags.length === 1) return undefined;
  tags.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  let line = lineProtocol.measurement(`${prefix}_${row.kind}`);
  for (const [k, v] of tags) line += `,${lineProtocol.tag(k)}=${lineProtocol.tag(v)}`;
  line += ` count=${row.count}i,errors=${row.errors}i,p50_micros=${row.p50},p95_micros=${row.p95},p99_micros=${row.p99}`;
  return `${line} ${Math.floor(timestampMillis)}`;
}

/**
 * Creates the exporter that writes the collector's rolling aggregates to InfluxDB (v2 write API,
 * `@influxdata/influxdb-client`) every `intervalMillis`. It never blocks the collector: sampling is
 * synchronous and cheap, at most one write is in flight, and while the server is down points stay in
 * a buffer of `maxBufferedPoints`; past it the oldest are dropped and counted. Throws
 * COL_ERR_CONFIG_INVALID for a bad config.
 */
export function createInfluxExporter(
  rawConfig: InfluxConfig,
  sourceOrAggregates: AggregateSource | AggregatesLike,
  logger: Logger,
): InfluxExporter {
  const config: ResolvedInfluxConfig = resolveInfluxConfig(rawConfig);
  const source = typeof sourceOrAggregates === 'function' ? sourceOrAggregates : aggregatesSource(sourceOrAggregates);
  const log = logger.child({ component: 'influx' });
  const influx = new InfluxDB({ url: config.url, token: config.token, timeout: config.requestTimeoutMillis });
  const writeApi: WriteApi = influx.getWriteApi(config.org, config.bucket, 'ms', {
    batchSize: MAX_POINTS_PER_WRITE + 1,
    flushInterval: 0,
    maxRetries: 0,
    // Returning a promise tells the client the failure is handled here (no retry buffer, no console log).
    writeFailed: (error) => Promise.reject(error),
  });
  let buffer: string[] = [];
  let inFlight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed: Promise<void> | undefined;
  let lastFailureLogAt = 0;
  let lastDropLogAt = 0;
  let inFlightPoints = 0;
  let lastWriteFailed = false;
  const counters = { writtenPoints: 0, droppedPoints: 0, invalidRows: 0, writeRequests: 0, failedWrites: 0 };

  function sample(): void {
    let rows: readonly AggregateRow[];
    try {
      rows = source();
    } catch (err) {
      log.warn({ err }, 'aggregate source failed; nothing exported this interval');
      return;
    }
    const now = Date.now();
    for (const row of rows) {
      const line = rowToLine(config.measurementPrefix, row, now);
      if (line === undefined) counters.invalidRows++;
      else buffer.push(line);
    }
    trim();
  }

  /** Keeps the buffer (plus the batch in flight) within maxBufferedPoints, dropping the oldest. */
  function trim(): void {
    const excess = buffer.length + inFlightPoints - config.maxBufferedPoints;
    if (excess <= 0) return;
    const n = Math.min(excess, buffer.length);
    // Oldest first: the newest aggregates describe the present best.
    buffer = buffer.slice(n);
    counters.droppedPoints += n;
    const now = Date.now();
    if (now - lastDropLogAt >= FAILURE_LOG_INTERVAL_MILLIS) {
      lastDropLogAt = now;
      const error = new CollectorError(
        'COL_ERR_INFLUX_BUFFER_FULL',
        `${n} points dropped (buffer of ${config.maxBufferedPoints})`,
      );
      log.warn({ err: error, droppedPoints: counters.droppedPoints }, error.message);
    }
  }

  async function writeBuffered(): Promise<void> {
    while (buffer.length > 0) {
      // Taken out while in flight; put back in front (oldest) when the write fails.
      const batch = buffer.splice(0, MAX_POINTS_PER_WRITE);
      inFlightPoints = batch.length;
      counters.writeRequests++;
      try {
        writeApi.writeRecords(batch);
        await writeApi.flush();
      } catch (err) {
        counters.failedWrites++;
        inFlightPoints = 0;
        buffer = batch.concat(buffer);
        trim();
        const now = Date.now();
        if (now - lastFailureLogAt >= FAILURE_LOG_INTERVAL_MILLIS) {
          lastFailureLogAt = now;
          const error = new CollectorError(
            'COL_ERR_INFLUX_WRITE',
            `${config.url}: ${err instanceof Error ? err.message : String(err)}`,
            undefined,
            {
              cause: err,
            },
          );
          log.warn({ err: error, bufferedPoints: buffer.length }, error.message);
        }
        lastWriteFailed = true;
        return;
      }
      lastWriteFailed = false;
      inFlightPoints = 0;
      counters.writtenPoints += batch.length;
    }
  }

  function exportNow(): Promise<void> {
    sample();
    // One write at a time: a slow server never makes requests pile up.
    if (!inFlight) {
      inFlight = writeBuffered().finally(() => {
        inFlight = undefined;
      });
    }
    return inFlight;
  }

  return {
    start(): void {
      if (timer || closed) return;
      timer = setInterval(() => void exportNow(), config.intervalMillis);
      timer.unref();
    },
    exportNow,
    stats(): InfluxExporterStats {
      return { ...counters, bufferedPoints: buffer.length + inFlightPoints };
    },
    async health(): Promise<ComponentHealth> {
      const recentDrop = lastDropLogAt > 0 && Date.now() - lastDropLogAt < FAILURE_LOG_INTERVAL_MILLIS;
      const status = lastWriteFailed ? (recentDrop ? 'KO' : 'Degraded') : 'OK';
      return {
        status,
        tests: [
          {
            name: 'write',
            duration: '0s',
            status,
            ...(lastWriteFailed
              ? { error: `last write to ${config.url} failed; ${buffer.length + inFlightPoints} points buffered` }
              : {}),
          },
        ],
      };
    },
    close(): Promise<void> {
      closed ??= (async () => {
        if (timer) clearInterval(timer);
        timer = undefined;
        await exportNow();
        if (buffer.length > 0) log.warn({ bufferedPoints: buffer.length }, 'InfluxDB points not written at shutdown');
        await writeApi.close().catch(() => undefined);
      })();
      return closed;
    },
  };
}
