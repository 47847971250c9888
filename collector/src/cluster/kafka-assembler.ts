import { Consumer, ListOffsetTimestamps, type Message, type MessagesStream } from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { Aggregates } from '../aggregates/aggregates.js';
import type { EmitReason } from '../assembly/span-sink.js';
import type { AssemblyConfig } from '../config/config.js';
import { CollectorEngine } from '../engine/collector-engine.js';
import type { Span } from '../model/span.js';
import type { ElasticsearchStore } from '../storage/elasticsearch/index.js';
import type { TailHub } from '../tail/tail-hub.js';
import { RateLimitedWarner } from '../util/rate-limited-warner.js';
import { PartitionProgress, WriteWatermark } from './commit-safety.js';
import { type KafkaConfig, parseBroker } from './config.js';
import { decodeRecord, type RecordRejection } from './event-records.js';
import { ReplayGate, replayStarts } from './replay-gate.js';

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** What the assembler needs from the collector around it. */
export interface KafkaAssemblerDeps {
  kafka: KafkaConfig;
  assembly: AssemblyConfig;
  store: ElasticsearchStore;
  aggregates: Aggregates;
  tail: TailHub;
  logger: Logger;
  warnIntervalMillis: number;
}

/** One assigned partition as the cluster page shows it. */
export interface PartitionStatus {
  partition: number;
  consumedRecords: number;
  /** Last committed offset + 1 (where a new owner would start), -1 before the first commit. */
  committedOffset: string;
  /** Records in Kafka not consumed yet, from the last lag poll (-1 unknown). */
  lag: number;
  pendingSpans: number;
  waitingCheckpoints: number;
}

/** Assembler counters. */
export interface KafkaAssemblerStats {
  consumedRecords: number;
  consumedEvents: number;
  /** Records that failed validation (never assembled), by reason. */
  badRecords: Record<RecordRejection, number>;
  /** Events inside valid records that failed event validation. */
  invalidEvents: number;
  commits: number;
  failedCommits: number;
  /** Times assembly state was discarded for a rebalance or a reconnect (its records are replayed). */
  resets: number;
  /**
   * Records fetched after a rebalance from past a partition's replay start (a fetch in flight during
   * the rebalance): dropped, and the partition read again from its start (see replay-gate.ts).
   */
  rewoundRecords: number;
  /**
   * Records the replay gate dropped without sending the partition back: fetched while the replay
   * starts of a join were still being looked up (read again once they are known), or repeats of
   * records already assembled that a re-seek brought again (see replay-gate.ts).
   */
  skippedRecords: number;
  /**
   * Times the consumer was rebuilt because it had stopped working without failing: no successful group
   * heartbeat, or records waiting on an assigned partition and none fetched, for `stallMillis`.
   */
  stalls: number;
  /** 1 while consuming is paused because Elasticsearch is failing or its queue is long. */
  paused: number;
  pauses: number;
  /** Store writes whose spans were dropped (stops commits: replay on restart). */
  lostWrites: number;
  pendingWrites: number;
  /** Sum of the partitions' lag, -1 unknown. */
  lag: number;
  /** Partial spans still open for late events, holding commits back. */
  heldPartialSpans: number;
  partitions: PartitionStatus[];
  /** Assembly counters summed over the partition cores. */
  assembly: Record<string, number>;
}

/** How often the timer sweeps the cores, checks backpressure and (every commit interval) commits. */
const TICK_MILLIS = 100;
/** Consumed positions closer than this share one checkpoint. */
const CHECKPOINT_COALESCE_MILLIS = 100;
/** After a stream failure (broker restart), the consumer is rebuilt after this long. */
const RESTART_DELAY_MILLIS = 1000;
/** Lookups of the replay starts after a join (RESTART_DELAY_MILLIS apart) before the consumer is rebuilt. */
const REPLAY_START_ATTEMPTS = 3;
/**
 * Spans queued for Elasticsearch with none indexed for this long: it is not keeping up (a node not
 * answering, the index template not installed yet): pause as when requests fail. Twice the bulk
 * flush interval's order of magnitude, well under a request timeout.
 */
const STORE_STALL_MILLIS = 3000;
/** How often the lag is polled for stats (and the consumer's liveness checked). */
const LAG_POLL_MILLIS = 2000;
/**
 * A consumer with no successful heartbeat, or with records waiting on an assigned partition and none
 * fetched, for this many session timeouts (and at least MIN_STALL_MILLIS) is rebuilt. The client can
 * end up there without an error on the stream: a group rejoin that ran out of retries while the
 * broker restarted leaves a member with no assignment and no heartbeat, and a fetch whose reply never
 * came blocks its broker for two minutes. Rebuilding is safe: partitions replay from committed offsets.
 */
const STALL_SESSION_TIMEOUTS = 3;
const MIN_STALL_MILLIS = 15_000;

const REJECTIONS: readonly RecordRejection[] = ['empty', 'undecodable', 'key_mismatch'];

/**
 * An assembler: a member of the Kafka consumer group whose assigned partitions each feed their own
 * assembly core. Spans go to Elasticsearch with tracked writes; offsets are committed only once
 * every span built from the records before them is settled (see commit-safety.ts), so a killed
 * assembler loses nothing: the partition's next owner replays from the committed offset.
 *
 * On every rebalance (and when the stream fails, e.g. a broker restart) the cores are discarded
 * without emitting anything, because the stream refetches every assigned partition from its
 * committed offset: the replay rebuilds the hops exactly. While Elasticsearch fails or its queue
 * is longer than `pauseAtQueuedSpans`, consuming pauses and Kafka holds the backlog (the
 * assembler's Elasticsearch store runs without a disk spool).
 */
export class KafkaAssembler {
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private readonly cores = new Map<number, CollectorEngine>();
  private readonly progress = new Map<number, PartitionProgress<KafkaMessage>>();
  private readonly lags = new Map<number, number>();
  private readonly watermark = new WriteWatermark();
  /** Per partition: partial spans open for late events → hold on commits (see commit-safety.ts). */
  private readonly holds = new Map<number, Map<string, { fromMillis: number; untilMillis: number }>>();
  /** Lets through only records that continue each partition's replay from its start. */
  private readonly gate = new ReplayGate();
  /** When the cores were last swept: a hop still pending then was first seen after this − spanTimeout. */
  private lastSweepAt = performance.now();
  private lastSettledSpans = 0;
  private lastProgressAt = performance.now();
  private readonly warner: RateLimitedWarner;
  private tick: NodeJS.Timeout | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private lastCommitAt = 0;
  private paused = false;
  private closed = false;
  /** Bumped on every consumer rebuild, so events of an old consumer are ignored. */
  private generation = 0;
  private restarting = false;
  /** Last successful group heartbeat or join of the current consumer. */
  private lastLivenessAt = performance.now();
  /** Last record fetched by the current consumer (or when it was built). */
  private lastMessageAt = performance.now();
  private readonly stallMillis: number;
  private readonly emitDelayMillis: number;
  private readonly retired = { receivedEvents: 0, completeSpans: 0, partialSpans: 0, duplicateEvents: 0 };
  private readonly counters = {
    consumedRecords: 0,
    consumedEvents: 0,
    invalidEvents: 0,
    commits: 0,
    failedCommits: 0,
    resets: 0,
    rewoundRecords: 0,
    skippedRecords: 0,
    stalls: 0,
    pauses: 0,
  };
  private readonly bad = Object.fromEntries(REJECTIONS.map((r) => [r, 0])) as Record<RecordRejection, number>;

  constructor(private readonly deps: KafkaAssemblerDeps) {
    this.warner = new RateLimitedWarner(deps.logger, deps.warnIntervalMillis);
    // A record's hops are all emitted by the first sweep spanTimeoutMillis after it was consumed;
    // checkpoints coalesce records up to CHECKPOINT_COALESCE_MILLIS apart, and the tick may run late.
    this.emitDelayMillis = deps.assembly.spanTimeoutMillis + CHECKPOINT_COALESCE_MILLIS + TICK_MILLIS;
    this.stallMillis = Math.max(MIN_STALL_MILLIS, STALL_SESSION_TIMEOUTS * deps.kafka.sessionTimeoutMillis);
  }

  /** Joins the group and starts consuming. Resolves once the stream exists (assignment may follow). */
  async start(): Promise<void> {
    await this.connect();
    this.tick = setInterval(() => this.onTick(), TICK_MILLIS);
    this.tick.unref();
    this.lagTimer = setInterval(() => {
      void this.pollLag();
      void this.checkLiveness();
    }, LAG_POLL_MILLIS);
    this.lagTimer.unref();
  }

  /** Counters, gauges and per-partition status. */
  stats(): KafkaAssemblerStats {
    const partitions: PartitionStatus[] = [];
    const assembly: Record<string, number> = { ...this.retired, pendingSpans: 0 };
    let lag = 0;
    let lagKnown = true;
    for (const partition of new Set([...this.lags.keys(), ...this.progress.keys()])) {
      const progress = this.progress.get(partition);
      const s = this.cores.get(partition)?.stats();
      const partitionLag = this.lags.get(partition) ?? -1;
      if (partitionLag < 0) lagKnown = false;
      else lag += partitionLag;
      partitions.push({
        partition,
        consumedRecords: progress?.consumedRecords ?? 0,
        committedOffset: String(progress?.committedOffset ?? -1n),
        lag: partitionLag,
        pendingSpans: s?.pendingSpans ?? 0,
        waitingCheckpoints: progress?.waitingCheckpoints ?? 0,
      });
    }
    for (const core of this.cores.values()) {
      const s = core.stats();
      assembly.receivedEvents = (assembly.receivedEvents ?? 0) + s.receivedEvents;
      assembly.completeSpans = (assembly.completeSpans ?? 0) + s.completeSpans;
      assembly.partialSpans = (assembly.partialSpans ?? 0) + s.partialSpans;
      assembly.duplicateEvents = (assembly.duplicateEvents ?? 0) + s.duplicateEvents;
      assembly.pendingSpans = (assembly.pendingSpans ?? 0) + s.pendingSpans;
    }
    return {
      ...this.counters,
      badRecords: { ...this.bad },
      paused: this.paused ? 1 : 0,
      lostWrites: this.watermark.lostWrites,
      pendingWrites: this.watermark.pendingWrites,
      lag: lagKnown ? lag : -1,
      heldPartialSpans: [...this.holds.values()].reduce((n, h) => n + h.size, 0),
      partitions: partitions.sort((a, b) => a.partition - b.partition),
      assembly,
    };
  }

  /** Spans still being assembled for a trace (all partitions). */
  pendingSpansOf(traceId: string): Span[] {
    const spans: Span[] = [];
    for (const core of this.cores.values()) spans.push(...core.pendingSpansOf(traceId));
    return spans;
  }

  /**
   * Leaves the group. Pending hops are NOT emitted: their records are not committed, so the
   * partitions' next owners rebuild them whole. Spans already emitted are flushed by the store's
   * own close. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.tick) clearInterval(this.tick);
    if (this.lagTimer) clearInterval(this.lagTimer);
    // One last chance to commit what is safe already.
    this.sweepAll();
    await this.commitSafe();
    await this.disconnect();
    this.discardCores();
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    const { kafka } = this.deps;
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      clientId: `phosphor-assembler-${kafka.memberName}`,
      groupId: kafka.groupId,
      bootstrapBrokers: kafka.brokers.map(parseBroker),
      autocommit: false,
      sessionTimeout: kafka.sessionTimeoutMillis,
      heartbeatInterval: Math.max(500, Math.floor(kafka.sessionTimeoutMillis / 5)),
      rebalanceTimeout: kafka.sessionTimeoutMillis * 2,
      // Short fetch waits keep event → span latency low when traffic is light.
      maxWaitTime: 100,
      timeout: 10_000,
      retries: 3,
    });
    this.consumer = consumer;
    this.lastLivenessAt = performance.now();
    this.lastMessageAt = performance.now();
    consumer.on('consumer:heartbeat:end', () => {
      if (generation === this.generation) this.lastLivenessAt = performance.now();
    });
    // The client emits 'error' when a group rejoin runs out of retries; unheard, it would end the process.
    consumer.on('error', (err: Error) => {
      if (generation !== this.generation || this.closed) return;
      this.warner.warn('kafka_consumer', `Kafka consumer failed (${err.message}); reconnecting`);
      this.scheduleRestart();
    });
    consumer.on('consumer:group:join', () => {
      if (generation !== this.generation) return;
      this.lastLivenessAt = performance.now();
      // State built from records before the join is discarded and rebuilt from a replay of every
      // assigned partition from its committed offset, which the gate enforces.
      this.resetState('rebalance');
      void this.findReplayStarts(consumer, generation);
    });
    consumer.on('consumer:heartbeat:error', (payload) => {
      if (generation !== this.generation) return;
      this.warner.warn('kafka_heartbeat', `Kafka heartbeat failed: ${payload.error.message}`);
    });
    const stream = await consumer.consume({
      topics: [kafka.topic],
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
      maxWaitTime: 100,
      sessionTimeout: kafka.sessionTimeoutMillis,
      heartbeatInterval: Math.max(500, Math.floor(kafka.sessionTimeoutMillis / 5)),
    });
    this.stream = stream;
    stream.on('data', (message: KafkaMessage) => {
      if (generation === this.generation) this.onMessage(message);
    });
    stream.on('error', (err: Error) => {
      if (generation !== this.generation || this.closed) return;
      this.warner.warn('kafka_stream', `Kafka consumer stream failed (${err.message}); reconnecting`);
      this.scheduleRestart();
    });
    if (this.paused) stream.pause();
  }

  private async disconnect(): Promise<void> {
    const stream = this.stream;
    const consumer = this.consumer;
    this.stream = undefined;
    this.consumer = undefined;
    if (stream) await new Promise<void>((resolve) => stream.close(() => resolve()));
    if (consumer) await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  }

  private scheduleRestart(): void {
    if (this.restarting || this.closed) return;
    this.restarting = true;
    this.generation++;
    this.resetState('reconnect');
    const timer = setTimeout(async () => {
      await this.disconnect();
      try {
        if (!this.closed) await this.connect();
        this.restarting = false;
      } catch (err) {
        this.restarting = false;
        this.warner.warn('kafka_connect', `cannot reconnect to Kafka (${(err as Error).message}); retrying`);
        this.scheduleRestart();
      }
    }, RESTART_DELAY_MILLIS);
    timer.unref();
  }

  /**
   * Opens the gate with the replay start of every partition the join assigned to this member. A
   * lookup that fails is tried again; when it keeps failing, a fresh consumer joins again.
   */
  private async findReplayStarts(
    consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
    generation: number,
  ): Promise<void> {
    const epoch = this.gate.shut();
    const { topic } = this.deps.kafka;
    const assigned = this.assignedPartitions(consumer);
    const current = () => generation === this.generation && this.gate.isCurrent(epoch) && !this.closed;
    for (let attempt = 1; ; attempt++) {
      try {
        const [committed, logStarts] = await Promise.all([
          assigned.length > 0
            ? consumer.listCommittedOffsets({ topics: [{ topic, partitions: assigned }] })
            : Promise.resolve(new Map<string, bigint[]>()),
          consumer.listOffsets({ topics: [topic], timestamp: ListOffsetTimestamps.EARLIEST }),
        ]);
        const starts = replayStarts(assigned, committed.get(topic) ?? [], logStarts.get(topic) ?? []);
        if (!current() || !this.gate.open(epoch, starts)) return;
        for (const [partition, start] of starts) this.fetchFrom(partition, start);
        return;
      } catch (err) {
        if (!current()) return;
        if (attempt >= REPLAY_START_ATTEMPTS) {
          this.warner.warn(
            'kafka_replay_starts',
            `cannot read committed offsets (${(err as Error).message}); reconnecting`,
          );
          this.scheduleRestart();
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MILLIS).unref());
        if (!current()) return;
      }
    }
  }

  /** The partitions of the topic the group has assigned to `consumer` (none before a join). */
  private assignedPartitions(consumer: Consumer<Buffer, Buffer, Buffer, Buffer>): number[] {
    return consumer.assignments?.find((a) => a.topic === this.deps.kafka.topic)?.partitions ?? [];
  }

  /** The messages stream's key for a partition's next fetch offset. */
  private positionKey(partition: number): string {
    return `${this.deps.kafka.topic}:${partition}`;
  }

  /** Makes the stream's next fetch of `partition` start at `offset`. */
  private fetchFrom(partition: number, offset: bigint): void {
    this.stream?.offsetsToFetch.set(this.positionKey(partition), offset);
  }

  private onMessage(message: KafkaMessage): void {
    const partition = message.partition;
    const verdict = this.gate.check(partition, message.offset);
    if (verdict !== 'accept') {
      if (verdict === 'seek') {
        this.counters.rewoundRecords++;
        this.fetchFrom(partition, this.gate.startOf(partition) as bigint);
      } else {
        this.counters.skippedRecords++;
      }
      return;
    }
    let progress = this.progress.get(partition);
    if (!progress) {
      progress = new PartitionProgress<KafkaMessage>(CHECKPOINT_COALESCE_MILLIS);
      this.progress.set(partition, progress);
    }
    this.counters.consumedRecords++;
    const decoded = decodeRecord(message.key, message.value);
    if (!decoded.ok) {
      this.bad[decoded.reason]++;
      this.warner.warn(
        `bad_record_${decoded.reason}`,
        `dropped Kafka record ${message.topic}/${partition}@${message.offset} (${decoded.reason}): ${decoded.detail}`,
      );
    } else {
      this.counters.invalidEvents += decoded.invalidEvents;
      this.counters.consumedEvents += decoded.batch.events.length;
      try {
        this.coreFor(partition).addEvents(decoded.batch.events);
      } catch (err) {
        // A bug in assembly must not stop consumption; the record counts as bad.
        this.bad.undecodable++;
        this.warner.warn('assembly_error', `assembly failed: ${(err as Error).stack ?? String(err)}`);
      }
    }
    // One clock read per record: the checkpoint's consumption time is also the stall check's last fetch.
    const consumedAt = performance.now();
    progress.observe(message.offset, consumedAt, message);
    this.lastMessageAt = consumedAt;
  }

  private coreFor(partition: number): CollectorEngine {
    let core = this.cores.get(partition);
    if (!core) {
      core = new CollectorEngine(this.deps.assembly, (spans, reason) => this.sink(partition, spans, reason));
      this.cores.set(partition, core);
    }
    return core;
  }

  private sink(partition: number, spans: Span[], reason: EmitReason): void {
    this.trackPartials(partition, spans, reason);
    const seq = this.watermark.begin();
    this.deps.store.writeTracked(spans, (stored) => {
      this.watermark.settle(seq, stored);
      if (!stored) {
        this.warner.warn(
          'lost_write',
          'spans were dropped by the Elasticsearch store; commits stop so a restart replays them',
        );
      }
    });
    try {
      if (reason !== 'late') this.deps.aggregates.recordAll(spans);
      this.deps.tail.publish(spans);
    } catch (err) {
      this.warner.warn('sink_error', `aggregates or tail failed: ${(err as Error).message}`);
    }
  }

  /** Opens a commit hold for each partial span, and closes it when a late event completes the span. */
  private trackPartials(partition: number, spans: Span[], reason: EmitReason): void {
    let holds = this.holds.get(partition);
    if (reason === 'late') {
      if (!holds) return;
      for (const span of spans) if (span.missing.length === 0) holds.delete(`${span.traceId}-${span.spanId}`);
      return;
    }
    if (reason !== 'timeout' && reason !== 'evicted') return;
    const now = performance.now();
    // The hop was still pending at the previous sweep, so its first event came after that sweep − spanTimeout.
    const fromMillis = this.lastSweepAt - this.deps.assembly.spanTimeoutMillis - CHECKPOINT_COALESCE_MILLIS;
    const untilMillis = now + this.deps.assembly.lateWindowMillis;
    for (const span of spans) {
      if (span.missing.length === 0) continue;
      if (!holds) {
        holds = new Map();
        this.holds.set(partition, holds);
      }
      holds.set(`${span.traceId}-${span.spanId}`, { fromMillis, untilMillis });
    }
  }

  /** The earliest consumption time held on a partition (expired holds dropped on the way). */
  private holdFrom(partition: number, now: number): number {
    const holds = this.holds.get(partition);
    let from = Number.POSITIVE_INFINITY;
    if (!holds) return from;
    for (const [key, hold] of holds) {
      if (hold.untilMillis <= now) holds.delete(key);
      else if (hold.fromMillis < from) from = hold.fromMillis;
    }
    return from;
  }

  private onTick(): void {
    if (this.closed) return;
    this.sweepAll();
    this.applyBackpressure();
    const now = performance.now();
    if (now - this.lastCommitAt >= this.deps.kafka.commitIntervalMillis) {
      this.lastCommitAt = now;
      void this.commitSafe();
    }
  }

  private sweepAll(): void {
    const now = performance.now();
    for (const core of this.cores.values()) core.sweep();
    this.lastSweepAt = now;
  }

  private applyBackpressure(): void {
    const s = this.deps.store.stats();
    const queued = s.queuedSpans + s.inFlightSpans;
    // Progress of the store: a request hanging on an unreachable node (or the index template not yet
    // installed) fails nothing for a while, but settles nothing either.
    const settled = s.indexedSpans + s.supersededSpans + s.rejectedSpans;
    const now = performance.now();
    if (settled !== this.lastSettledSpans || queued === 0) {
      this.lastSettledSpans = settled;
      this.lastProgressAt = now;
    }
    const stalled = queued > 0 && now - this.lastProgressAt > STORE_STALL_MILLIS;
    const overloaded = this.deps.store.backendFailing || stalled || queued >= this.deps.kafka.pauseAtQueuedSpans;
    if (overloaded && !this.paused) {
      this.paused = true;
      this.counters.pauses++;
      this.stream?.pause();
      this.deps.logger.warn(
        { queuedSpans: queued, elasticsearchFailing: this.deps.store.backendFailing, stalled },
        'pausing Kafka consumption until Elasticsearch catches up (Kafka holds the backlog)',
      );
    } else if (!overloaded && this.paused && queued < this.deps.kafka.pauseAtQueuedSpans / 2) {
      this.paused = false;
      this.stream?.resume();
      this.deps.logger.info('resuming Kafka consumption');
    }
  }

  private async commitSafe(): Promise<void> {
    // A dropped write means some spans exist nowhere but in Kafka: commit nothing more.
    if (this.watermark.lostWrites > 0) return;
    const now = performance.now();
    const generation = this.generation;
    for (const [partition, progress] of this.progress) {
      const cp = progress.takeSafe(now, this.emitDelayMillis, this.watermark, this.holdFrom(partition, now));
      if (!cp) continue;
      try {
        await cp.handle.commit();
        if (generation !== this.generation) return;
        progress.committedOffset = cp.offset + 1n;
        this.counters.commits++;
      } catch (err) {
        this.counters.failedCommits++;
        this.warner.warn('kafka_commit', `offset commit failed (${(err as Error).message}); retried later`);
      }
    }
  }

  private async pollLag(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer || this.closed) return;
    try {
      const lag = await consumer.getLag({ topics: [this.deps.kafka.topic] });
      const perPartition = lag.get(this.deps.kafka.topic) ?? [];
      this.lags.clear();
      // Every assigned partition, including those with nothing consumed since the last rebalance.
      const assigned = this.assignedPartitions(consumer);
      for (const partition of new Set([...assigned, ...this.progress.keys()])) {
        const value = perPartition[partition];
        if (value !== undefined && value >= 0n) this.lags.set(partition, Number(value));
      }
    } catch {
      // Lag is informational; the next poll tries again.
    }
  }

  /** Rebuilds a consumer that stopped heartbeating, or that leaves records on its partitions unfetched. */
  private async checkLiveness(): Promise<void> {
    const consumer = this.consumer;
    const stream = this.stream;
    if (!consumer || !stream || this.restarting || this.closed) return;
    const now = performance.now();
    if (now - this.lastLivenessAt > this.stallMillis) {
      this.onStall(`no successful group heartbeat for ${Math.round((now - this.lastLivenessAt) / 1000)} s`);
      return;
    }
    if (this.paused || now - this.lastMessageAt <= this.stallMillis) return;
    const { topic } = this.deps.kafka;
    const assigned = this.assignedPartitions(consumer);
    if (assigned.length === 0) return;
    let latest: bigint[];
    try {
      latest = (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? [];
    } catch {
      return; // Broker unreachable: the heartbeat check covers a consumer that never recovers.
    }
    if (consumer !== this.consumer || this.paused || this.restarting || this.closed) return;
    if (performance.now() - this.lastMessageAt <= this.stallMillis) return;
    for (const partition of assigned) {
      const end = latest[partition] ?? 0n;
      const next = stream.offsetsToFetch.get(this.positionKey(partition)) ?? 0n;
      if (end > next) {
        this.onStall(
          `partition ${partition} has records from offset ${next} to ${end} and none was fetched for ${Math.round((performance.now() - this.lastMessageAt) / 1000)} s`,
        );
        return;
      }
    }
  }

  private onStall(why: string): void {
    this.counters.stalls++;
    this.warner.warn('kafka_stalled', `Kafka consumer stalled: ${why}; rebuilding it (partitions replay)`);
    this.scheduleRestart();
  }

  private resetState(why: string): void {
    this.counters.resets++;
    this.discardCores();
    this.progress.clear();
    this.holds.clear();
    this.lags.clear();
    this.deps.logger.info({ why }, 'assembly state discarded; partitions replay from their committed offsets');
  }

  private discardCores(): void {
    for (const core of this.cores.values()) {
      const s = core.stats();
      this.retired.receivedEvents += s.receivedEvents;
      this.retired.completeSpans += s.completeSpans;
      this.retired.partialSpans += s.partialSpans;
      this.retired.duplicateEvents += s.duplicateEvents;
      core.stop();
    }
    this.cores.clear();
  }
}
