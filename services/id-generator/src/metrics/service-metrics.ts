/**
 * Metrics to InfluxDB (v2 write API) with `@influxdata/influxdb-client`: the client batches lines,
 * flushes on an interval, retries and bounds its retry buffer. Tags stay low-cardinality (service,
 * host, transport, endpoint, status/code/event); the correlation id is a *field* so every point can be
 * tied to its logs and trace without exploding the series index.
 */
import { InfluxDB, Point, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import { type HealthComponent, type HealthTestResult, timedTest } from '@phosphor/service-kit';
import { addCorrelationFields } from './correlation-fields.js';

/** Measurement names. */
export const MEASUREMENTS = {
  requests: 'idgen_requests',
  errors: 'idgen_errors',
  lease: 'idgen_lease',
} as const;

/** How long a health ping may take before the server counts as down. */
const PING_TIMEOUT_MILLIS = 2_000;

/** Options of {@link InfluxServiceMetrics}. */
export interface InfluxMetricsOptions {
  url: string;
  org: string;
  bucket: string;
  token: string;
  flushIntervalMillis: number;
  maxBufferLines: number;
  service: string;
  hostname: string;
  /** Where client warnings go (first failure and then a count, not one line per retry). */
  warn?: (message: string) => void;
}

/** What the request path records; implemented by Influx and by a no-op when metrics are off. */
export interface ServiceMetrics {
  /** One finished request. `status` is "ok" or an error code. */
  request(
    transport: 'http' | 'grpc',
    endpoint: string,
    status: string,
    durationMillis: number,
    correlationId: string,
    ids: number,
  ): void;
  /** One lease event (acquired, renewed, renewal_failed, lost, released). */
  lease(event: string, correlationId: string): void;
  stats(): { writtenLines: number; failedWrites: number; skippedLines: number };
  flush(): Promise<void>;
  close(): Promise<void>;
  health: HealthComponent;
}

let clientLoggerInstalled = false;

/** Metrics to an InfluxDB v2 write API. */
export class InfluxServiceMetrics implements ServiceMetrics {
  private readonly writeApi: WriteApi;
  private readonly options: InfluxMetricsOptions;
  private writtenLines = 0;
  private failedWrites = 0;
  private skippedLines = 0;
  private closed = false;
  readonly health: HealthComponent;

  constructor(options: InfluxMetricsOptions) {
    this.options = options;
    if (!clientLoggerInstalled) {
      // The client logs every retry to the console by default; we count failures instead.
      setLogger({ error: () => {}, warn: () => {} });
      clientLoggerInstalled = true;
    }
    const self = this;
    this.writeApi = new InfluxDB({ url: options.url, token: options.token }).getWriteApi(
      options.org,
      options.bucket,
      'ms',
      {
        flushInterval: options.flushIntervalMillis,
        maxBufferLines: options.maxBufferLines,
        batchSize: 1_000,
        maxRetries: 3,
        defaultTags: { service: options.service, host: options.hostname },
        writeFailed(error: Error, _lines: string[], attempt: number) {
          self.failedWrites++;
          if (self.failedWrites === 1 || self.failedWrites % 100 === 0) {
            options.warn?.(
              `influx write failed (attempt ${attempt}, ${self.failedWrites} failures so far): ${error.message}`,
            );
          }
        },
        writeSuccess(lines: string[]) {
          self.writtenLines += lines.length;
        },
        writeRetrySkipped(entry: { lines: string[] }) {
          self.skippedLines += entry.lines.length;
        },
      },
    );
    this.health = { name: 'influx', check: () => this.check() };
  }

  request(
    transport: 'http' | 'grpc',
    endpoint: string,
    status: string,
    durationMillis: number,
    correlationId: string,
    ids: number,
  ): void {
    if (this.closed) return;
    this.writeApi.writePoint(
      addCorrelationFields(
        new Point(MEASUREMENTS.requests)
          .tag('transport', transport)
          .tag('endpoint', endpoint)
          .tag('status', status)
          .floatField('duration_ms', durationMillis)
          .intField('ids', ids),
        correlationId,
      ),
    );
    if (status !== 'ok') {
      this.writeApi.writePoint(
        addCorrelationFields(
          new Point(MEASUREMENTS.errors)
            .tag('transport', transport)
            .tag('endpoint', endpoint)
            .tag('code', status)
            .intField('count', 1),
          correlationId,
        ),
      );
    }
  }

  lease(event: string, correlationId: string): void {
    if (this.closed) return;
    this.writeApi.writePoint(
      addCorrelationFields(new Point(MEASUREMENTS.lease).tag('event', event).intField('count', 1), correlationId),
    );
  }

  stats() {
    return { writtenLines: this.writtenLines, failedWrites: this.failedWrites, skippedLines: this.skippedLines };
  }

  async flush(): Promise<void> {
    try {
      await this.writeApi.flush();
    } catch {
      // Counted in writeFailed; metrics never fail the caller.
    }
  }

  /** Flushes and stops; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.writeApi.close();
    } catch {
      // Counted in writeFailed.
    }
  }

  private async check(): Promise<HealthTestResult[]> {
    const ping = await timedTest('ping', async () => {
      const response = await fetch(new URL('/ping', this.options.url), {
        signal: AbortSignal.timeout(PING_TIMEOUT_MILLIS),
      });
      if (!response.ok) throw new Error(`ping answered HTTP ${response.status}`);
      return 'OK';
    });
    const writes = await timedTest('writes', async () =>
      this.failedWrites > 0 && this.writtenLines === 0 ? 'KO' : this.failedWrites > 0 ? 'Degraded' : 'OK',
    );
    return [ping, writes];
  }
}

/** Metrics switched off: records nothing. */
export class NoopServiceMetrics implements ServiceMetrics {
  readonly health: HealthComponent = {
    name: 'influx',
    check: async () => [{ name: 'configured', duration: '0s', status: 'Deactivated' }],
  };
  request(): void {}
  lease(): void {}
  stats() {
    return { writtenLines: 0, failedWrites: 0, skippedLines: 0 };
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
