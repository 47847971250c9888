import type { CollectorRole, KafkaConfig } from '../cluster/config.js';
import type { InfluxConfig } from '../exporters/influx/config.js';
import type { OtlpExportConfig } from '../exporters/otlp/config.js';
import type { SpanDurationHistogramsConfig } from '../prometheus/span-duration-histograms.js';
import type { OtlpReceiverConfig } from '../receivers/otlp/config.js';
import type { ElasticsearchConfig } from '../storage/elasticsearch/config.js';

/** UDP receiver settings (`udp:` in collector.yml). */
export interface UdpConfig {
  /** Bind address. */
  host: string;
  /** 0 picks a free port (tests); the bound port is reported by `collector.start()`. */
  port: number;
  /** Larger datagrams are dropped and counted as oversized. */
  maxDatagramBytes: number;
  /** Kernel receive buffer requested (SO_RCVBUF). */
  receiveBufferBytes: number;
  /** Shared key (UTF-8); when set, datagrams without a valid HMAC are rejected and counted. */
  hmacKey?: string;
  /**
   * Datagrams gather at most this long (from the first of a batch) and are ingested together;
   * 0 ingests each one as it arrives.
   */
  ingestBatchMillis: number;
  /** Tracer instances tracked for per-client loss. */
  maxTrackedClients: number;
}

/** HTTP API settings (`http:`). */
export interface HttpConfig {
  host: string;
  port: number;
  /** When set, /api/* and /metrics require `Authorization: Bearer <token>` (or `?access_token=` for SSE). */
  bearerToken?: string;
  bodyLimitBytes: number;
  maxQueryStringBytes: number;
}

/** Span assembly settings (`assembly:`). */
export interface AssemblyConfig {
  spanTimeoutMillis: number;
  maxPendingSpans: number;
  skewCorrection: boolean;
  lateWindowMillis: number;
  maxRememberedSpans: number;
}

/** Rolling aggregates (`aggregates:`). */
export interface AggregatesConfig {
  windowsMinutes: number[];
  bucketSeconds: number;
  maxKeys: number;
}

/** Storage (`storage:`). */
export interface StorageConfig {
  type: 'memory' | 'elasticsearch';
  memory: { maxSpans: number };
  elasticsearch: ElasticsearchConfig;
}

/** Live tail (`tail:`). */
export interface TailConfig {
  maxClients: number;
  maxBufferedBytes: number;
  heartbeatMillis: number;
}

/** Dashboard serving (`dashboard:`). */
export interface DashboardConfig {
  /** Built dashboard folder; served at `/` when it exists. Relative paths resolve against the config file's folder. */
  distDir: string;
  /** Shown by the dashboard as a link to Kibana. */
  kibanaUrl?: string;
}

/** Logging (`logging:`). */
export interface LoggingConfig {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  warnIntervalMillis: number;
}

/** The whole, validated collector config with every default filled in. */
export interface CollectorConfig {
  /**
   * Collector cores (shards), each owning a slice of the trace-id space: shard 0 on the main
   * thread (see receiverShardShare), the others on worker threads; `auto` in the file resolves here
   * to the cores the process may use. 1 runs today's single core on the main thread.
   */
  shards: number;
  /**
   * With `shards` > 1, shard 0 runs on the receiving (main) thread and owns this share of the
   * trace-id space; the other shards run on worker threads and split the rest. 0 puts every shard
   * on a worker thread (equal slices).
   */
  receiverShardShare: number;
  /**
   * Niceness added to each shard worker thread (0–19; Linux only, elsewhere ignored): the receiving
   * thread, whose kernel buffer is small, gets a core first when both want one. 0 turns it off.
   */
  shardWorkerNiceness: number;
  /** What this process does; see {@link CollectorRole}. */
  role: CollectorRole;
  /** Kafka, for the receiver and assembler roles. */
  kafka: KafkaConfig;
  udp: UdpConfig;
  http: HttpConfig;
  assembly: AssemblyConfig;
  aggregates: AggregatesConfig;
  storage: StorageConfig;
  influx: InfluxConfig;
  /** OTLP trace receiver (`otlp:`). */
  otlp: OtlpReceiverConfig;
  /** OTLP span exporter (`otlpExport:`). */
  otlpExport: OtlpExportConfig;
  tail: TailConfig;
  dashboard: DashboardConfig;
  /** Prometheus `/metrics` (`metrics:`). */
  metrics: SpanDurationHistogramsConfig;
  logging: LoggingConfig;
}
