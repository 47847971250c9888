import { hostname } from 'node:os';

/**
 * What a collector process does (`role:` in collector.yml):
 * - `all`: UDP in, assembly, storage, API in one process (the default, no Kafka).
 * - `receiver`: UDP in, validate, produce each trace's events to Kafka keyed by trace id. Stateless.
 * - `assembler`: a member of the Kafka consumer group; each assigned partition feeds its own
 *   assembly core; spans go to Elasticsearch; offsets are committed only past stored spans.
 */
export type CollectorRole = 'all' | 'receiver' | 'assembler';

/** The roles, for the schema and the CLI. */
export const COLLECTOR_ROLES: readonly CollectorRole[] = ['all', 'receiver', 'assembler'];

/** Kafka settings (`kafka:` in collector.yml), used by the receiver and assembler roles. */
export interface KafkaConfig {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Topic of trace events (records keyed by trace id). */
  topic: string;
  /** Partitions the events topic is created with when it does not exist: the most assemblers that can share the work. */
  partitions: number;
  /** Replication factor the topics are created with. */
  replicationFactor: number;
  /** Consumer group of the assemblers. */
  groupId: string;
  /** Topic where assemblers publish aggregate snapshots and membership (the cluster-wide views). */
  clusterTopic: string;
  /** This member's name in cluster views; defaults to `<hostname>-<pid>`. */
  memberName: string;
  /** Receiver: records held in memory while Kafka is slow or unreachable; past it new records are dropped and counted. */
  maxBufferedRecords: number;
  /** Receiver: bytes held in memory, same policy. */
  maxBufferedBytes: number;
  /** Receiver: records sent per produce request at most. */
  batchMaxRecords: number;
  /** Receiver: how long a record may wait for others to fill a produce request. */
  lingerMillis: number;
  /** Assembler: how often safe offsets are committed. */
  commitIntervalMillis: number;
  /** Assembler: spans queued for Elasticsearch above which consuming pauses (Kafka holds the backlog). */
  pauseAtQueuedSpans: number;
  /** Assembler: how often aggregate snapshots and member stats are published. */
  publishIntervalMillis: number;
  /** Consumer session timeout: a member silent this long (crashed) loses its partitions. */
  sessionTimeoutMillis: number;
}

/**
 * Twelve partitions: up to twelve assemblers share the work, and 12 divides evenly among 1, 2, 3,
 * 4 and 6 members. docs/scaling.md explains how to size it for larger clusters.
 */
export const DEFAULT_KAFKA_PARTITIONS = 12;
/** ~100k records: at ~300 bytes a record, 30 MB, or a few seconds of a busy host's traffic. */
export const DEFAULT_MAX_BUFFERED_RECORDS = 100_000;
/** 64 MiB bounds the receiver's memory when Kafka is unreachable. */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** 2,000 records of ~300 bytes keeps a produce request under 1 MiB (Kafka's default max message batch). */
export const DEFAULT_BATCH_MAX_RECORDS = 2000;
/** 20 ms of linger trades a little latency for far fewer produce requests (Kafka's Java client uses 5 ms). */
export const DEFAULT_LINGER_MILLIS = 20;
/** One commit a second: a crash replays at most this much beyond the span timeout. */
export const DEFAULT_COMMIT_INTERVAL_MILLIS = 1000;
/**
 * 20,000 queued spans is about ten bulk requests of the default size: enough to keep Elasticsearch
 * busy, far below the indexer's memory queue so pausing happens before anything could be dropped.
 */
export const DEFAULT_PAUSE_AT_QUEUED_SPANS = 20_000;
/** Snapshots every 5 s: cluster views lag at most this much behind the assemblers. */
export const DEFAULT_PUBLISH_INTERVAL_MILLIS = 5000;
/** 10 s: Kafka's default is 45 s; a crashed assembler's partitions move faster with less. */
export const DEFAULT_SESSION_TIMEOUT_MILLIS = 10_000;

/** JSON schema of the `kafka:` section (closed, every leaf defaulted). */
export const kafkaConfigSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    brokers: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^[^\\s:]+:[0-9]{1,5}$' },
      default: ['127.0.0.1:9092'],
    },
    topic: { type: 'string', pattern: '^[a-zA-Z0-9._-]{1,249}$', default: 'phosphor-events' },
    partitions: { type: 'integer', minimum: 1, maximum: 100_000, default: DEFAULT_KAFKA_PARTITIONS },
    replicationFactor: { type: 'integer', minimum: 1, maximum: 32, default: 1 },
    groupId: { type: 'string', minLength: 1, maxLength: 255, default: 'phosphor-assemblers' },
    clusterTopic: { type: 'string', pattern: '^[a-zA-Z0-9._-]{1,249}$', default: 'phosphor-cluster' },
    memberName: { type: 'string', minLength: 1, maxLength: 255 },
    maxBufferedRecords: { type: 'integer', minimum: 1, maximum: 100_000_000, default: DEFAULT_MAX_BUFFERED_RECORDS },
    maxBufferedBytes: {
      type: 'integer',
      minimum: 1024,
      maximum: 64 * 1024 * 1024 * 1024,
      default: DEFAULT_MAX_BUFFERED_BYTES,
    },
    batchMaxRecords: { type: 'integer', minimum: 1, maximum: 1_000_000, default: DEFAULT_BATCH_MAX_RECORDS },
    lingerMillis: { type: 'integer', minimum: 0, maximum: 60_000, default: DEFAULT_LINGER_MILLIS },
    commitIntervalMillis: { type: 'integer', minimum: 10, maximum: 600_000, default: DEFAULT_COMMIT_INTERVAL_MILLIS },
    pauseAtQueuedSpans: { type: 'integer', minimum: 1, maximum: 100_000_000, default: DEFAULT_PAUSE_AT_QUEUED_SPANS },
    publishIntervalMillis: {
      type: 'integer',
      minimum: 100,
      maximum: 3_600_000,
      default: DEFAULT_PUBLISH_INTERVAL_MILLIS,
    },
    sessionTimeoutMillis: {
      type: 'integer',
      minimum: 1000,
      maximum: 600_000,
      default: DEFAULT_SESSION_TIMEOUT_MILLIS,
    },
  },
} as const;

/** The default member name: unique per process on a host. */
export function defaultMemberName(): string {
  return `${hostname()}-${process.pid}`;
}

/** Parses `host:port`. */
export function parseBroker(broker: string): { host: string; port: number } {
  const colon = broker.lastIndexOf(':');
  return { host: broker.slice(0, colon), port: Number(broker.slice(colon + 1)) };
}
