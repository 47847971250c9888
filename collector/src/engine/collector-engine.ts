/**
 * The collector engine: the one entry point to ingest and assembly. Owns a datagram decoder (bytes
 * straight into typed-array columns) and a hop joiner (ids as bytes in an open-addressing table,
 * hops as rows of span columns); finished spans leave through one sink — in the collector, the
 * pipeline's fan-out to the store, aggregates, tail and exporters.
 *
 * Entry points, for the UDP receiver, shards on worker threads and Kafka consumers alike:
 * - {@link CollectorEngine.ingestDatagram}: one tracer datagram's bytes (+ the sender's address,
 *   for callers that track it); returns what it came to (accepted events, rejection reason).
 *   Between {@link CollectorEngine.beginBatch} and {@link CollectorEngine.endBatch}, the spans of
 *   several datagrams reach the sink together.
 * - {@link CollectorEngine.ingestEvents}: already-decoded events (OTLP bridges, foreign spans).
 * - {@link CollectorEngine.pendingSpansOf}: spans still waiting for events (trace-by-id queries).
 * - {@link CollectorEngine.sweep}/{@link CollectorEngine.flushAll}: timeouts and shutdown.
 * Aggregates are kept by the Aggregates consumer behind the sink: `snapshot(minutes)` for the API,
 * `mergeableSnapshot(minutes)` + `mergeAggregateSnapshots()` to sum several engines' windows exactly.
 */
import type { TraceEvent } from '@phosphor/wire';
import type { AssemblerStats, SpanBatchSink, SpanSink } from '../assembly/span-sink.js';
import type { Span } from '../model/span.js';
import { DatagramDecoder, type DatagramOutcome } from './datagram-decoder.js';
import { HopJoiner, type HopJoinerOptions } from './hop-joiner.js';

/** Engine settings: assembly's, plus the shared HMAC key of the UDP receiver. */
export interface CollectorEngineOptions extends HopJoinerOptions {
  /** Datagrams must carry a valid HMAC made with this key (UTF-8 bytes) when set. */
  hmacKey?: string | undefined;
}

/** Engine counters: the assembly counters plus how datagrams were decoded. */
export interface EngineStats extends AssemblerStats {
  /** Datagrams decoded by the fast path. */
  fastDecodedDatagrams: number;
  /** Datagrams handed to the wire codec (rejected, invalid events, unusual fields). */
  codecDecodedDatagrams: number;
  /** Hop rows allocated in the span columns (grows to the caps, never past them). */
  allocatedRows: number;
}

export class CollectorEngine {
  private readonly joiner: HopJoiner;
  private readonly decoder: DatagramDecoder;
  private readonly now: () => number;
  private fastDecoded = 0;
  private codecDecoded = 0;
  /**
   * The clock read at {@link beginBatch}, NaN outside a batch: the datagrams of one batch (one read
   * of the socket's queue, a few milliseconds at most) arrived together and share it, instead of a
   * clock read each (docs/benchmarks.md, "per-datagram work off the receiver's path").
   */
  private batchNow = Number.NaN;

  constructor(options: CollectorEngineOptions, sink: SpanSink | SpanBatchSink) {
    this.now = options.now ?? (() => performance.now());
    this.joiner = new HopJoiner(options, sink);
    this.decoder = new DatagramDecoder(this.joiner, options.hmacKey ? Buffer.from(options.hmacKey, 'utf8') : undefined);
  }

  /**
   * Nothing of a datagram's memory outlives `ingestDatagram`: ids are copied into the id table and
   * the span columns, names interned as strings, tags decoded into strings.
   */
  readonly releasesDatagrams = true;

  /**
   * Decodes one datagram into the engine; finished spans reach the sink before it returns (inside a
   * batch: at {@link endBatch}). The returned object is reused by the next call. `remote` (the
   * sender's address) is accepted for callers that key per-sender state on it; loss accounting uses
   * the batch's tracer id.
   */
  ingestDatagram(datagram: Buffer, _remote?: { address: string; port: number }): DatagramOutcome {
    const batchNow = this.batchNow;
    const outcome = this.decoder.ingest(datagram, Number.isNaN(batchNow) ? this.now() : batchNow);
    if (outcome.decodedByCodec) this.codecDecoded++;
    else this.fastDecoded++;
    return outcome;
  }

  /**
   * Starts a batch of datagrams: the spans their events finish are held, and reach the sink
   * together at {@link endBatch} (evicted, then complete, then late updates, as within one datagram).
   */
  beginBatch(): void {
    this.decoder.holdSpans = true;
    this.batchNow = this.now();
  }

  /** Ends a batch: hands on the spans held since {@link beginBatch}. */
  endBatch(): void {
    this.decoder.holdSpans = false;
    this.batchNow = Number.NaN;
    this.joiner.flush();
  }

  /** Adds already-decoded (valid) events; finished spans reach the sink before it returns. */
  ingestEvents(events: readonly TraceEvent[]): void {
    this.joiner.addEvents(events);
  }

  /** The old assembler's name for {@link ingestEvents}. */
  addEvents(events: readonly TraceEvent[]): void {
    this.joiner.addEvents(events);
  }

  /** Spans of a trace still waiting for events, as partial spans. */
  pendingSpansOf(traceId: string): Span[] {
    return this.joiner.pendingSpansOf(traceId);
  }

  /** Starts the timeout sweep (unref'd timer). */
  start(): void {
    this.joiner.start();
  }

  stop(): void {
    this.joiner.stop();
  }

  /** Emits timed-out hops as partial and forgets hops past the late window. */
  sweep(): void {
    this.joiner.sweep();
  }

  /** Emits every pending hop as partial. */
  flushAll(): void {
    this.joiner.flushAll();
  }

  /** Emits every pending hop, then releases the engine's memory (shutdown). */
  flushAndRelease(): void {
    this.joiner.flushAndRelease();
  }

  stats(): EngineStats {
    return {
      ...this.joiner.stats(),
      fastDecodedDatagrams: this.fastDecoded,
      codecDecodedDatagrams: this.codecDecoded,
      allocatedRows: this.joiner.allocatedRows(),
    };
  }
}
