import { compatibilityPartitioner, type MessageToProduce, Producer } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { RateLimitedWarner } from '../util/rate-limited-warner.js';
import { parseBroker } from './config.js';
import type { EventRecord } from './event-records.js';

/** Producer settings: the `kafka:` keys the receiver uses. */
export interface KafkaEventProducerOptions {
  brokers: string[];
  topic: string;
  clientId: string;
  maxBufferedRecords: number;
  maxBufferedBytes: number;
  batchMaxRecords: number;
  lingerMillis: number;
  warnIntervalMillis: number;
}

/** Receiver-side Kafka counters. `acceptedEvents = producedEvents + droppedEvents + bufferedEvents`. */
export interface KafkaEventProducerStats {
  producedRecords: number;
  producedEvents: number;
  /** Records dropped because the buffer was full (Kafka slow or unreachable) or at shutdown. */
  droppedRecords: number;
  droppedEvents: number;
  bufferedRecords: number;
  bufferedEvents: number;
  bufferedBytes: number;
  produceRequests: number;
  failedProduceRequests: number;
  /** 1 while the last produce request failed (Kafka unreachable); records are kept and retried. */
  kafkaFailing: number;
  /** Wall time of the last drop, ms (0 never). */
  lastDropAtMillis: number;
}

/** A record waiting to be produced, with the events it carries (for the counters). */
interface Pending {
  record: EventRecord;
  events: number;
}

/** First retry after a failed produce request; doubled up to the cap. */
const RETRY_INITIAL_MILLIS = 100;
/** A reconnecting broker is tried at least this often. */
const RETRY_MAX_MILLIS = 2000;
/** A produce request not answered within this is failed and retried (records stay buffered). */
const PRODUCE_TIMEOUT_MILLIS = 10_000;

/**
 * The receiver's path to Kafka: a bounded in-memory FIFO drained by one produce request at a time
 * (up to `batchMaxRecords`, after at most `lingerMillis`). While Kafka is unreachable the FIFO
 * holds records up to `maxBufferedRecords` / `maxBufferedBytes`; past that, new records are
 * dropped and counted (`droppedRecords`), the first drop warned at once and then at a limited
 * rate. Failed requests are retried with backoff, records kept in order. `acks: -1` (all
 * in-sync replicas) so an acknowledged record survives a broker crash where replicas exist.
 */
export class KafkaEventProducer {
  private readonly producer: Producer;
  private queue: Pending[] = [];
  private head = 0;
  private bytes = 0;
  private events = 0;
  private inFlight = false;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;
  private lastDropAtMillis = 0;
  private readonly warner: RateLimitedWarner;
  private readonly counters = {
    producedRecords: 0,
    producedEvents: 0,
    droppedRecords: 0,
    droppedEvents: 0,
    produceRequests: 0,
    failedProduceRequests: 0,
  };

  constructor(
    private readonly options: KafkaEventProducerOptions,
    private readonly logger: Logger,
  ) {
    this.warner = new RateLimitedWarner(logger, options.warnIntervalMillis);
    this.producer = new Producer({
      clientId: options.clientId,
      bootstrapBrokers: options.brokers.map(parseBroker),
      acks: -1,
      // Retries are this class's job: records stay buffered (bounded) and go out in order.
      retries: 0,
      timeout: PRODUCE_TIMEOUT_MILLIS,
      connectTimeout: 5000,
      // The Java client's partitioner, so any producer keyed by trace id picks the same partition.
      partitioner: compatibilityPartitioner,
      autocreateTopics: false,
    });
  }

  /** Buffers the records of one datagram; drops and counts what does not fit. Never throws. */
  enqueue(records: readonly EventRecord[]): void {
    if (this.closed) {
      for (const record of records) this.dropRecord(record, record.events);
      return;
    }
    for (const record of records) {
      const events = record.events;
      if (
        this.queue.length - this.head >= this.options.maxBufferedRecords ||
        this.bytes + record.value.length > this.options.maxBufferedBytes
      ) {
        this.dropRecord(record, events);
        continue;
      }
      this.queue.push({ record, events });
      this.bytes += record.value.length;
      this.events += events;
    }
    this.schedule();
  }

  /** Counters and gauges. */
  stats(): KafkaEventProducerStats {
    return {
      ...this.counters,
      bufferedRecords: this.queue.length - this.head,
      bufferedEvents: this.events,
      bufferedBytes: this.bytes,
      kafkaFailing: this.failures > 0 ? 1 : 0,
      lastDropAtMillis: this.lastDropAtMillis,
    };
  }

  /** Sends what is buffered for up to `deadlineMillis`, drops (and counts) the rest, closes. Safe twice. */
  async close(deadlineMillis: number): Promise<void> {
    if (this.closed) return;
    const until = Date.now() + deadlineMillis;
    while (this.queue.length - this.head > 0 && Date.now() < until && this.failures === 0) {
      this.schedule(true);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (let i = this.head; i < this.queue.length; i++) {
      const pending = this.queue[i] as Pending;
      this.dropRecord(pending.record, pending.events);
    }
    this.queue = [];
    this.head = 0;
    this.bytes = 0;
    this.events = 0;
    await new Promise<void>((resolve) => this.producer.close(true, () => resolve()));
  }

  private schedule(now = false): void {
    if (this.inFlight || this.closed || this.timer) return;
    const queued = this.queue.length - this.head;
    if (queued === 0) return;
    if (this.failures > 0) {
      const wait = Math.min(RETRY_MAX_MILLIS, RETRY_INITIAL_MILLIS * 2 ** Math.min(this.failures - 1, 10));
      this.arm(wait);
    } else if (now || queued >= this.options.batchMaxRecords || this.options.lingerMillis === 0) {
      this.send();
    } else {
      this.arm(this.options.lingerMillis);
    }
  }

  private arm(wait: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.send();
    }, wait);
    this.timer.unref();
  }

  private send(): void {
    if (this.inFlight || this.closed) return;
    const end = Math.min(this.queue.length, this.head + this.options.batchMaxRecords);
    if (end === this.head) return;
    const batch = this.queue.slice(this.head, end);
    const messages: MessageToProduce<Buffer, Buffer, Buffer, Buffer>[] = batch.map((p) => ({
      topic: this.options.topic,
      key: p.record.key,
      value: p.record.value,
    }));
    this.inFlight = true;
    this.counters.produceRequests++;
    this.producer.send({ messages }).then(
      () => {
        this.inFlight = false;
        if (this.failures > 0) this.logger.info('Kafka produce requests succeed again; buffered records are flowing');
        this.failures = 0;
        // The batch is still the queue's head: nothing else removes entries while a send is in flight.
        let bytes = 0;
        let events = 0;
        for (const p of batch) {
          bytes += p.record.value.length;
          events += p.events;
        }
        this.head += batch.length;
        this.bytes -= bytes;
        this.events -= events;
        this.counters.producedRecords += batch.length;
        this.counters.producedEvents += events;
        if (this.head > 4096 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        this.schedule();
      },
      (err: unknown) => {
        this.inFlight = false;
        this.failures++;
        this.counters.failedProduceRequests++;
        this.warner.warn(
          'kafka_produce',
          `Kafka produce failed (${(err as Error).message}); ${this.queue.length - this.head} records buffered, retrying`,
        );
        this.schedule();
      },
    );
  }

  private dropRecord(_record: EventRecord, events: number): void {
    this.counters.droppedRecords++;
    this.counters.droppedEvents += events;
    this.lastDropAtMillis = Date.now();
    this.warner.warn(
      'kafka_buffer_full',
      `Kafka buffer full (kafka.maxBufferedRecords ${this.options.maxBufferedRecords}, kafka.maxBufferedBytes ${this.options.maxBufferedBytes}): records dropped and counted`,
    );
  }
}
