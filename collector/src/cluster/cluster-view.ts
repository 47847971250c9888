import { randomBytes } from 'node:crypto';
import { Consumer, type Message, Producer } from '@platformatic/kafka';
import type { Logger } from 'pino';
import type {
  AggregatesSnapshot,
  DependencyGraph,
  ExportedAggregates,
  ServiceInfo,
} from '../aggregates/aggregate-views.js';
import type { Aggregates } from '../aggregates/aggregates.js';
import { mergeDependencies, mergeServices, mergeWindow } from '../aggregates/merge-aggregates.js';
import { RateLimitedWarner } from '../util/rate-limited-warner.js';
import { type KafkaConfig, parseBroker } from './config.js';

/**
 * Cluster-wide views. Every receiver and assembler publishes a small status record to the
 * `kafka.clusterTopic` topic every `publishIntervalMillis` — who it is, where its API is, its
 * counters (loss, lag), and for assemblers its aggregates in mergeable form (compressed HDR
 * histograms, dependency graph, catalog). Every member reads that topic, so ANY collector's API and
 * dashboard show the whole cluster: aggregates merged exactly across assemblers, and the member list.
 *
 * Why a topic rather than fanning out HTTP requests to every member at query time: members already
 * share Kafka and need no list of each other's addresses (receivers behind a DNS name, assemblers
 * coming and going with the group); a query never waits for the slowest member; and a member that
 * crashed disappears by ageing out instead of failing requests. The cost is views up to one publish
 * interval old, which is what live aggregates with 10 s buckets show anyway.
 */

/** One member's status record (the value of a record in the cluster topic, JSON). */
export interface MemberStatus {
  v: 1;
  member: string;
  role: 'receiver' | 'assembler';
  httpUrl: string;
  atMillis: number;
  /** Role counters: loss for receivers, lag and consumption for assemblers. */
  summary: Record<string, number>;
  /** Assigned partitions (assemblers). */
  partitions?: { partition: number; lag: number; committedOffset: string }[];
  /** Assemblers' aggregates, mergeable. */
  aggregates?: ExportedAggregates;
}

/** A member as GET /api/cluster lists it. */
export interface ClusterMember extends Omit<MemberStatus, 'v' | 'aggregates'> {
  /** Since its last status record. */
  ageMillis: number;
  /** `up` while it published within three intervals, `stale` after (crashed or cut off). */
  state: 'up' | 'stale';
}

/** Members not heard from for this many publish intervals are shown stale… */
const STALE_INTERVALS = 3;
/** …and forgotten after this many. */
const FORGET_INTERVALS = 12;
/** A status record past this is refused (a record from something else on the topic). */
const MAX_STATUS_BYTES = 16 * 1024 * 1024;
/**
 * The view's reader is rebuilt when this member's own status, published successfully since, has not
 * come back for this many publish intervals (and at least MIN_STUCK_MILLIS): its consumer stopped
 * without failing its stream (a group rejoin that ran out of retries during a broker restart leaves a
 * member with no assignment), and the cluster page would go stale for good.
 */
const STUCK_INTERVALS = 5;
const MIN_STUCK_MILLIS = 15_000;

/** What the view reads from its own process. */
export interface ClusterViewSource {
  role: 'receiver' | 'assembler';
  summary(): Record<string, number>;
  partitions?(): { partition: number; lag: number; committedOffset: string }[];
  aggregates?: Aggregates;
}

/** The aggregate queries the API serves, here merged across the cluster's assemblers. */
export interface AggregatesView {
  windowLabels(): string[];
  snapshot(windowMinutes: number): AggregatesSnapshot | undefined;
  dependencies(): DependencyGraph;
  services(): ServiceInfo[];
}

/** Publishes this member's status and keeps every member's latest. */
export class ClusterView {
  private producer: Producer | undefined;
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly members = new Map<string, { status: MemberStatus; receivedAtMillis: number }>();
  private readonly warner: RateLimitedWarner;
  private httpUrl = '';
  private closed = false;
  private rereading = false;
  private readonly bootstrapBrokers: { host: string; port: number }[];
  /** When this member's own status last came back through the topic (or the reader was built). */
  private ownStatusAtMillis = Date.now();
  badRecords = 0;
  /** Readers rebuilt because this member's own status stopped coming back. */
  stuckReaders = 0;
  publishedRecords = 0;
  failedPublishes = 0;

  constructor(
    private readonly kafka: KafkaConfig,
    private readonly source: ClusterViewSource,
    private readonly windowsMinutes: number[],
    logger: Logger,
    warnIntervalMillis: number,
  ) {
    this.warner = new RateLimitedWarner(logger, warnIntervalMillis);
    this.bootstrapBrokers = kafka.brokers.map(parseBroker);
  }

  /** Starts publishing (with this member's API address) and reading. Never throws: Kafka may be down. */
  async start(httpUrl: string): Promise<void> {
    this.httpUrl = httpUrl;
    this.producer = new Producer({
      clientId: `phosphor-view-${this.kafka.memberName}`,
      bootstrapBrokers: this.bootstrapBrokers,
      retries: 1,
      timeout: 5000,
    });
    this.timer = setInterval(() => void this.publish(), this.kafka.publishIntervalMillis);
    this.timer.unref();
    void this.publish();
    // Joining a group takes a rebalance round; the collector does not wait for it to serve.
    void this.read();
  }

  private async read(): Promise<void> {
    this.ownStatusAtMillis = Date.now();
    try {
      // A group of its own per process: every member reads every status record.
      this.consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
        clientId: `phosphor-view-${this.kafka.memberName}`,
        groupId: `${this.kafka.groupId}.view.${this.kafka.memberName}.${randomBytes(4).toString('hex')}`,
        bootstrapBrokers: this.bootstrapBrokers,
        autocommit: false,
        maxWaitTime: 500,
        maxBytes: 2 * MAX_STATUS_BYTES,
      });
      const consumer = this.consumer;
      // The client emits 'error' when a group rejoin runs out of retries; unheard, it would end the process.
      consumer.on('error', (err: Error) => {
        if (consumer !== this.consumer) return;
        this.warner.warn('view_consumer', `cluster view consumer failed (${err.message}); reconnecting`);
        this.reread();
      });
      const stream = await this.consumer.consume({
        topics: [this.kafka.clusterTopic],
        mode: 'latest',
        autocommit: false,
      });
      stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => this.onStatus(message.value));
      stream.on('error', (err: Error) => {
        this.warner.warn('view_stream', `cluster view stream failed (${err.message}); reconnecting`);
        this.reread();
      });
    } catch (err) {
      this.warner.warn('view_start', `cluster view cannot read ${this.kafka.clusterTopic}: ${(err as Error).message}`);
      this.reread();
    }
  }

  /** Drops the consumer (e.g. after a broker restart) and reads again a second later. */
  private reread(): void {
    if (this.closed || this.rereading) return;
    this.rereading = true;
    const consumer = this.consumer;
    this.consumer = undefined;
    const timer = setTimeout(() => {
      this.rereading = false;
      if (consumer) consumer.close(true, () => undefined);
      if (!this.closed) void this.read();
    }, 1000);
    timer.unref();
  }

  /** Every member heard from recently, this one included (once its first record came back). */
  list(nowMillis = Date.now()): ClusterMember[] {
    const interval = this.kafka.publishIntervalMillis;
    const out: ClusterMember[] = [];
    for (const [name, { status, receivedAtMillis }] of this.members) {
      const age = nowMillis - receivedAtMillis;
      if (age > FORGET_INTERVALS * interval) {
        this.members.delete(name);
        continue;
      }
      const { v: _v, aggregates: _a, ...rest } = status;
      out.push({ ...rest, ageMillis: age, state: age > STALE_INTERVALS * interval ? 'stale' : 'up' });
    }
    return out.sort((a, b) => a.role.localeCompare(b.role) || a.member.localeCompare(b.member));
  }

  /** Aggregates merged across the assemblers that are up. */
  aggregatesView(): AggregatesView {
    const parts = (): ExportedAggregates[] =>
      this.list()
        .filter((m) => m.state === 'up')
        .map((m) => this.members.get(m.member)?.status.aggregates)
        .filter((a): a is ExportedAggregates => a !== undefined);
    return {
      windowLabels: () => this.windowsMinutes.map((m) => `${m}m`),
      snapshot: (minutes) => (this.windowsMinutes.includes(minutes) ? mergeWindow(parts(), minutes) : undefined),
      dependencies: () => mergeDependencies(parts()),
      services: () => mergeServices(parts()),
    };
  }

  /** Stops publishing and reading. Safe twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const producer = this.producer;
    const consumer = this.consumer;
    if (producer) await new Promise<void>((resolve) => producer.close(true, () => resolve()));
    if (consumer) await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  }

  private async publish(): Promise<void> {
    if (this.closed || !this.producer) return;
    const status: MemberStatus = {
      v: 1,
      member: this.kafka.memberName,
      role: this.source.role,
      httpUrl: this.httpUrl,
      atMillis: Date.now(),
      summary: this.source.summary(),
      ...(this.source.partitions ? { partitions: this.source.partitions() } : {}),
      ...(this.source.aggregates ? { aggregates: this.source.aggregates.exportAll() } : {}),
    };
    try {
      await this.producer.send({
        messages: [
          {
            topic: this.kafka.clusterTopic,
            key: Buffer.from(status.member),
            value: Buffer.from(JSON.stringify(status)),
          },
        ],
      });
      this.publishedRecords++;
      this.checkReader();
    } catch (err) {
      this.failedPublishes++;
      this.warner.warn('view_publish', `cannot publish cluster status: ${(err as Error).message}`);
    }
  }

  private onStatus(value: Buffer | undefined): void {
    const status = parseStatus(value);
    if (!status) {
      this.badRecords++;
      this.warner.warn('view_bad_record', `ignored a record on ${this.kafka.clusterTopic} that is not a member status`);
      return;
    }
    const now = Date.now();
    if (status.member === this.kafka.memberName) this.ownStatusAtMillis = now;
    this.members.set(status.member, { status, receivedAtMillis: now });
  }

  /** After a successful publish: rebuilds a reader that has not seen this member's own status for too long. */
  private checkReader(): void {
    if (this.closed || this.rereading || !this.consumer) return;
    const stuckMillis = Math.max(MIN_STUCK_MILLIS, STUCK_INTERVALS * this.kafka.publishIntervalMillis);
    const silentMillis = Date.now() - this.ownStatusAtMillis;
    if (silentMillis <= stuckMillis) return;
    this.stuckReaders++;
    this.warner.warn(
      'view_stuck',
      `cluster view has not read this member's own status for ${Math.round(silentMillis / 1000)} s; reconnecting`,
    );
    this.reread();
  }
}

/** Validates a status record; undefined when it is not one. */
export function parseStatus(value: Buffer | undefined): MemberStatus | undefined {
  if (!value || value.length === 0 || value.length > MAX_STATUS_BYTES) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const s = parsed as Partial<MemberStatus>;
  if (s.v !== 1 || typeof s.member !== 'string' || s.member.length === 0 || s.member.length > 255) return undefined;
  if (s.role !== 'receiver' && s.role !== 'assembler') return undefined;
  if (typeof s.httpUrl !== 'string' || typeof s.atMillis !== 'number') return undefined;
  if (typeof s.summary !== 'object' || s.summary === null) return undefined;
  for (const v of Object.values(s.summary)) if (typeof v !== 'number') return undefined;
  if (s.partitions !== undefined && !Array.isArray(s.partitions)) return undefined;
  if (s.aggregates !== undefined) {
    const a = s.aggregates as Partial<ExportedAggregates>;
    if (!Array.isArray(a.windows) || typeof a.dependencies !== 'object' || !Array.isArray(a.services)) return undefined;
  }
  return s as MemberStatus;
}
