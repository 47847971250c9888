import type { Logger } from 'pino';
import type { Aggregates } from '../aggregates/aggregates.js';
import type { CollectorConfig } from '../config/config.js';
import type { Span } from '../model/span.js';
import type { DatagramIngest } from '../receivers/udp/udp-receiver.js';
import type { ElasticsearchStore } from '../storage/elasticsearch/index.js';
import type { ComponentHealth, SpanStore } from '../storage/span-store.js';
import type { TailHub } from '../tail/tail-hub.js';
import { ClusterView } from './cluster-view.js';
import { KafkaAssembler } from './kafka-assembler.js';
import { KafkaEventProducer } from './kafka-event-producer.js';
import { KafkaIngest } from './kafka-ingest.js';
import { ensureTopics } from './kafka-topics.js';

/** What a receiver or assembler adds to a collector. */
export interface ClusterRole {
  /** Replaces in-process assembly on the UDP path (receiver); undefined when this role takes no UDP. */
  readonly ingest: DatagramIngest | undefined;
  /** Whether this process binds the UDP socket. */
  readonly receivesUdp: boolean;
  start(): Promise<void>;
  /** Cluster-wide member list and merged aggregates, read from the cluster topic. */
  readonly view: ClusterView;
  /** Starts publishing this member's status (with its API address) and reading everyone's. */
  startView(httpUrl: string): Promise<void>;
  stats(): Record<string, unknown>;
  health(): ComponentHealth;
  /** Spans still in assembly for a trace (assembler). */
  pendingSpansOf(traceId: string): Span[];
  close(): Promise<void>;
}

/** What a role uses from the collector around it. */
export interface ClusterRoleDeps {
  store: SpanStore;
  /** The UDP receiver's counters (a receiver's loss in the cluster view). */
  udpTotals(): Record<string, number>;
  aggregates: Aggregates;
  tail: TailHub;
  logger: Logger;
}

/** Records dropped within this window make a receiver's Kafka health KO (as spool drops do for Elasticsearch). */
const RECENT_DROP_WINDOW_MILLIS = 60_000;
/** How long a closing receiver keeps sending what it buffered. */
const RECEIVER_CLOSE_DEADLINE_MILLIS = 5000;

/**
 * The config an assembler runs with: its Elasticsearch store keeps no disk spool, because Kafka is
 * the durable buffer (records are replayed from the last safe offset) and a spool would only grow
 * while Elasticsearch is down.
 */
export function roleStorageConfig(config: CollectorConfig): CollectorConfig {
  if (config.role !== 'assembler') return config;
  return {
    ...config,
    storage: { ...config.storage, elasticsearch: { ...config.storage.elasticsearch, spoolMaxBytes: 0 } },
  };
}

function topicsOf(config: CollectorConfig) {
  const { kafka } = config;
  return [
    { name: kafka.topic, partitions: kafka.partitions, replicationFactor: kafka.replicationFactor },
    {
      name: kafka.clusterTopic,
      partitions: 1,
      replicationFactor: kafka.replicationFactor,
      // Member snapshots are only useful for minutes.
      // Assemblers' status records carry compressed histograms: allow up to 16 MiB.
      configs: { 'retention.ms': String(15 * 60_000), 'max.message.bytes': String(16 * 1024 * 1024) },
    },
  ];
}

/** Builds the receiver or assembler part of a collector; undefined for `role: all`. */
export function createClusterRole(config: CollectorConfig, deps: ClusterRoleDeps): ClusterRole | undefined {
  if (config.role === 'all') return undefined;
  const { kafka } = config;
  const log = deps.logger.child({ component: `kafka-${config.role}` });
  if (config.role === 'receiver') {
    const producer = new KafkaEventProducer(
      {
        brokers: kafka.brokers,
        topic: kafka.topic,
        clientId: `phosphor-receiver-${kafka.memberName}`,
        maxBufferedRecords: kafka.maxBufferedRecords,
        maxBufferedBytes: kafka.maxBufferedBytes,
        batchMaxRecords: kafka.batchMaxRecords,
        lingerMillis: kafka.lingerMillis,
        warnIntervalMillis: config.logging.warnIntervalMillis,
      },
      log,
    );
    const view = new ClusterView(
      kafka,
      {
        role: 'receiver',
        summary: () => {
          const p = producer.stats();
          return {
            ...deps.udpTotals(),
            producedEvents: p.producedEvents,
            droppedEvents: p.droppedEvents,
            bufferedEvents: p.bufferedEvents,
            kafkaFailing: p.kafkaFailing,
          };
        },
      },
      config.aggregates.windowsMinutes,
      log,
      config.logging.warnIntervalMillis,
    );
    return {
      receivesUdp: true,
      view,
      startView: (httpUrl) => view.start(httpUrl),
      ingest: new KafkaIngest(config.udp.hmacKey, producer),
      async start() {
        // A receiver must start while Kafka is down (it buffers, then drops and counts).
        await ensureTopics(kafka.brokers, topicsOf(config), log).catch((err: Error) =>
          log.warn({ err }, 'cannot check the Kafka topics yet; producing anyway (records are buffered)'),
        );
      },
      stats: () => ({ role: 'receiver', member: kafka.memberName, kafka: producer.stats() }),
      health() {
        const s = producer.stats();
        const recentDrop = s.lastDropAtMillis > 0 && Date.now() - s.lastDropAtMillis < RECENT_DROP_WINDOW_MILLIS;
        const status = recentDrop ? 'KO' : s.kafkaFailing ? 'Degraded' : 'OK';
        const error = recentDrop
          ? `${s.droppedRecords} records dropped (buffer full: Kafka slow or unreachable)`
          : s.kafkaFailing
            ? `Kafka unreachable; ${s.bufferedRecords} records buffered`
            : undefined;
        return { status, tests: [{ name: 'produce', duration: '0s', status, ...(error ? { error } : {}) }] };
      },
      pendingSpansOf: () => [],
      async close() {
        await view.close();
        await producer.close(RECEIVER_CLOSE_DEADLINE_MILLIS);
      },
    };
  }
  if (deps.store.name !== 'elasticsearch') throw new Error('an assembler needs the Elasticsearch store');
  const assembler = new KafkaAssembler({
    kafka,
    assembly: config.assembly,
    store: deps.store as ElasticsearchStore,
    aggregates: deps.aggregates,
    tail: deps.tail,
    logger: log,
    warnIntervalMillis: config.logging.warnIntervalMillis,
  });
  const view = new ClusterView(
    kafka,
    {
      role: 'assembler',
      summary: () => {
        const s = assembler.stats();
        const badRecords = Object.values(s.badRecords).reduce((a, b) => a + b, 0);
        return {
          consumedEvents: s.consumedEvents,
          badRecords,
          invalidEvents: s.invalidEvents,
          lag: s.lag,
          paused: s.paused,
          lostWrites: s.lostWrites,
          resets: s.resets,
          rewoundRecords: s.rewoundRecords,
          skippedRecords: s.skippedRecords,
          stalls: s.stalls,
          pendingSpans: s.assembly.pendingSpans ?? 0,
          partitions: s.partitions.length,
        };
      },
      partitions: () =>
        assembler
          .stats()
          .partitions.map((p) => ({ partition: p.partition, lag: p.lag, committedOffset: p.committedOffset })),
      aggregates: deps.aggregates,
    },
    config.aggregates.windowsMinutes,
    log,
    config.logging.warnIntervalMillis,
  );
  return {
    receivesUdp: false,
    view,
    startView: (httpUrl) => view.start(httpUrl),
    ingest: undefined,
    async start() {
      await ensureTopics(kafka.brokers, topicsOf(config), log);
      await assembler.start();
    },
    stats: () => ({ role: 'assembler', member: kafka.memberName, kafka: assembler.stats() }),
    health() {
      const s = assembler.stats();
      const status = s.lostWrites > 0 ? 'KO' : s.paused ? 'Degraded' : 'OK';
      return {
        status,
        tests: [
          {
            name: 'consume',
            duration: '0s',
            status,
            ...(s.lostWrites > 0
              ? { error: 'spans were dropped by the store; offsets are no longer committed (restart to replay)' }
              : s.paused
                ? { error: 'paused: Elasticsearch is failing or behind; Kafka holds the backlog' }
                : {}),
          },
        ],
      };
    },
    pendingSpansOf: (traceId) => assembler.pendingSpansOf(traceId),
    async close() {
      await view.close();
      await assembler.close();
    },
  };
}
