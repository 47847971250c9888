import type { TraceEvent } from '@phosphor/wire';
import type { Span } from '../model/span.js';
import { Ring } from '../util/ring.js';
import { buildSpan, type HopEvents } from './build-span.js';
import { HopIndex, type IndexedHop } from './hop-index.js';
import { adjustSpanSkew, clearSpanSkew, HostOffsets } from './skew.js';

/** Assembly settings; see `assembly:` in configs/collector.yml. */
export interface SpanAssemblerOptions {
  spanTimeoutMillis: number;
  maxPendingSpans: number;
  skewCorrection: boolean;
  lateWindowMillis: number;
  maxRememberedSpans: number;
  /** Monotonic clock in milliseconds; tests inject one. */
  now?: () => number;
}

/** Why a span left the assembler. */
export type EmitReason = 'complete' | 'timeout' | 'evicted' | 'late' | 'shutdown';

/** Receives finished spans, in batches; `reason` is shared by the batch. */
export type SpanSink = (spans: Span[], reason: EmitReason) => void;

/** Self counters of the assembler. */
export interface AssemblerStats {
  /** Events handed to the assembler. */
  receivedEvents: number;
  /** Events whose type was already present for their hop (ignored). */
  duplicateEvents: number;
  /** Events that arrived after their span was emitted and updated it. */
  lateEvents: number;
  /** Spans emitted with all four events. */
  completeSpans: number;
  /** Spans emitted with some events missing (timeout, eviction, shutdown). */
  partialSpans: number;
  /** Partial spans emitted because `spanTimeoutMillis` passed. */
  timedOutSpans: number;
  /** Partial spans emitted early because `maxPendingSpans` was reached. */
  evictedPendingSpans: number;
  /** Re-emissions of a span after a late event. */
  updatedSpans: number;
  /** Hops waiting for events now. */
  pendingSpans: number;
  /** Emitted spans remembered for late events now. */
  rememberedSpans: number;
}

/** Where a hop is in its life. */
const HopState = {
  /** Waiting for events. */
  pending: 0,
  /** Emitted partial; remembered so late events update it. */
  partial: 1,
  /** Emitted with all four events; remembered so repeats count as duplicates. */
  complete: 2,
  /** Forgotten (no longer in the hop map); may still sit in a queue until it reaches the head. */
  gone: 3,
} as const;
type HopState = (typeof HopState)[keyof typeof HopState];

/**
 * One hop from its first event until it is forgotten: pending while events are missing, then
 * remembered (for late events and duplicates) as the same object in the same map entry, so a
 * hop costs one map insertion and one removal over its whole life.
 */
class Hop implements HopEvents, IndexedHop {
  REQ: TraceEvent | undefined = undefined;
  IN: TraceEvent | undefined = undefined;
  OUT: TraceEvent | undefined = undefined;
  REP: TraceEvent | undefined = undefined;
  state: HopState = HopState.pending;
  emittedAtMillis = 0;
  /** Events that arrived after the first emission. */
  late = 0;

  constructor(
    readonly traceId: string,
    readonly spanId: string,
    readonly firstSeenMillis: number,
  ) {}

  /** Stores the event unless its type is already there (a duplicate): returns false then. */
  add(event: TraceEvent): boolean {
    switch (event.type) {
      case 'REQ':
        if (this.REQ !== undefined) return false;
        this.REQ = event;
        return true;
      case 'IN':
        if (this.IN !== undefined) return false;
        this.IN = event;
        return true;
      case 'OUT':
        if (this.OUT !== undefined) return false;
        this.OUT = event;
        return true;
      default:
        if (this.REP !== undefined) return false;
        this.REP = event;
        return true;
    }
  }

  hasAll(): boolean {
    return this.REQ !== undefined && this.IN !== undefined && this.OUT !== undefined && this.REP !== undefined;
  }

  /** Marks the hop complete and lets its events be collected: any further event is a duplicate. */
  seal(): void {
    this.state = HopState.complete;
    this.REQ = this.IN = this.OUT = this.REP = undefined;
  }
}

/** Traces whose host offsets are kept for emission-time skew correction. */
const MAX_TRACKED_TRACE_OFFSETS = 20_000;
/**
 * The pending queue keeps emitted hops until they reach its head (lazy deletion); it is compacted
 * when it holds this many times more hops than are pending, so it stays O(pending).
 */
const PENDING_QUEUE_SLACK = 4;
/** Below this many queued hops compaction is not worth it. */
const PENDING_QUEUE_MIN_COMPACT = 1024;

/**
 * Joins REQ/IN/OUT/REP events into spans in any arrival order. A hop is emitted when its four
 * events are in, or as partial when `spanTimeoutMillis` passes or the pending cap evicts it.
 * Duplicates are counted and ignored; late events for a partial span re-emit it updated.
 * Memory is bounded by `maxPendingSpans` + `maxRememberedSpans`.
 *
 * Pending and remembered hops share one map (one lookup per event); two ring queues keep their
 * orders — first-seen for timeouts and the pending cap, emission for forgetting. A Map's own
 * insertion order is not used as a FIFO: see {@link Ring}.
 */
export class SpanAssembler {
  /** Pending and remembered hops by (traceId, spanId). */
  private readonly hops = new HopIndex<Hop>();
  private pendingCount = 0;
  /** Hops in first-seen order; entries no longer pending are skipped (and dropped) at the head. */
  private readonly pendingQueue = new Ring<Hop>();
  /** Remembered hops in emission order: every hop is forgotten from this queue's head. */
  private readonly rememberedQueue = new Ring<Hop>();
  private readonly traceOffsets = new Map<string, HostOffsets>();
  /** Keys of `traceOffsets` in insertion order. */
  private readonly traceOffsetsQueue = new Ring<string>();
  /** Last trace whose offsets were looked up: consecutive spans mostly share a trace. */
  private lastOffsetsTraceId: string | undefined;
  private lastOffsets: HostOffsets | undefined;
  private readonly remember: boolean;
  private readonly now: () => number;
  private readonly counters = {
    receivedEvents: 0,
    duplicateEvents: 0,
    lateEvents: 0,
    completeSpans: 0,
    partialSpans: 0,
    timedOutSpans: 0,
    evictedPendingSpans: 0,
    updatedSpans: 0,
  };
  private outbox: Span[] = [];
  private lateOutbox: Span[] = [];
  private evictedOutbox: Span[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: SpanAssemblerOptions,
    private readonly sink: SpanSink,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.remember = options.maxRememberedSpans > 0 && options.lateWindowMillis > 0;
  }

  /** Starts the timeout sweep (an unref'd timer, so it never keeps the process alive). */
  start(): void {
    if (this.timer) return;
    // Sweeping at a quarter of the timeout keeps emission within 125 % of it without busy timers.
    const interval = Math.max(10, Math.min(1000, Math.floor(this.options.spanTimeoutMillis / 4)));
    this.timer = setInterval(() => this.sweep(), interval);
    this.timer.unref();
  }

  /** Stops the sweep timer. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Adds the events of one datagram; finished spans go to the sink before this returns. */
  addEvents(events: readonly TraceEvent[]): void {
    const now = this.now();
    for (let i = 0; i < events.length; i++) this.addOne(events[i] as TraceEvent, now);
    this.flushOutboxes();
  }

  /** Emits hops older than `spanTimeoutMillis` as partial, and forgets old emitted hops. */
  sweep(): void {
    const now = this.now();
    const deadline = now - this.options.spanTimeoutMillis;
    // The queue is in first-seen order, so the expired hops are a prefix.
    for (let hop = this.oldestPending(); hop !== undefined; hop = this.oldestPending()) {
      if (hop.firstSeenMillis > deadline) break;
      this.pendingQueue.shift();
      this.counters.timedOutSpans++;
      this.emitHop(hop, now, this.outbox);
    }
    this.forgetEmitted(now);
    this.flushOutboxes('timeout');
  }

  /** Emits every pending hop as partial (graceful shutdown). */
  flushAll(): void {
    const now = this.now();
    for (let hop = this.pendingQueue.shift(); hop !== undefined; hop = this.pendingQueue.shift()) {
      if (hop.state === HopState.pending) this.emitHop(hop, now, this.outbox);
    }
    this.flushOutboxes('shutdown');
  }

  /**
   * Emits every pending hop as partial, then forgets remembered hops and trace offsets, so a
   * stopped assembler holds no memory (shutdown). Counters are kept.
   */
  flushAndRelease(): void {
    this.flushAll();
    this.hops.clear();
    this.pendingCount = 0;
    this.rememberedQueue.clear();
    this.traceOffsets.clear();
    this.traceOffsetsQueue.clear();
    this.lastOffsetsTraceId = undefined;
    this.lastOffsets = undefined;
  }

  /** Spans of a trace still waiting for events, built as partial spans (for the trace API). */
  pendingSpansOf(traceId: string): Span[] {
    const spans: Span[] = [];
    this.pendingQueue.forEach((hop) => {
      if (hop.state === HopState.pending && hop.traceId === traceId) spans.push(this.finishSpan(buildSpan(hop)));
    });
    return spans;
  }

  /** Current counters. */
  stats(): AssemblerStats {
    return {
      ...this.counters,
      pendingSpans: this.pendingCount,
      rememberedSpans: this.hops.size - this.pendingCount,
    };
  }

  private addOne(event: TraceEvent, now: number): void {
    this.counters.receivedEvents++;
    const hop = this.hops.get(event.traceId, event.spanId);
    if (hop !== undefined) {
      if (hop.state === HopState.complete || !hop.add(event)) {
        this.counters.duplicateEvents++;
        return;
      }
      if (hop.state === HopState.pending) {
        if (hop.hasAll()) this.emitHop(hop, now, this.outbox);
        return;
      }
      // A late event for a partial span already emitted: re-emit it updated.
      hop.late++;
      this.counters.lateEvents++;
      this.counters.updatedSpans++;
      this.lateOutbox.push(this.finishSpan(buildSpan(hop, hop.late)));
      if (hop.hasAll()) hop.seal();
      return;
    }
    if (this.pendingCount >= this.options.maxPendingSpans) {
      const oldest = this.oldestPending();
      if (oldest !== undefined) {
        this.pendingQueue.shift();
        this.counters.evictedPendingSpans++;
        this.emitHop(oldest, now, this.evictedOutbox);
      }
    }
    const created = new Hop(event.traceId, event.spanId, now);
    created.add(event);
    this.hops.add(created);
    this.pendingCount++;
    this.pendingQueue.push(created);
  }

  /** The oldest hop still pending; drops hops no longer pending from the queue's head on the way. */
  private oldestPending(): Hop | undefined {
    const queue = this.pendingQueue;
    let hop = queue.peek();
    while (hop !== undefined && hop.state !== HopState.pending) {
      queue.shift();
      hop = queue.peek();
    }
    return hop;
  }

  /** Emits a pending hop and moves it to remembered (or forgets it when nothing is remembered). */
  private emitHop(hop: Hop, now: number, outbox: Span[]): void {
    this.pendingCount--;
    // Emitted hops stay in the pending queue until they reach its head; compact when they dominate.
    if (this.pendingQueue.size > PENDING_QUEUE_SLACK * this.pendingCount + PENDING_QUEUE_MIN_COMPACT) {
      this.pendingQueue.retain((h) => h !== hop && h.state === HopState.pending);
    }
    const span = this.finishSpan(buildSpan(hop));
    const complete = span.missing.length === 0;
    if (complete) this.counters.completeSpans++;
    else this.counters.partialSpans++;
    outbox.push(span);
    if (!this.remember) {
      hop.state = HopState.gone;
      this.hops.delete(hop);
      return;
    }
    if (this.hops.size - this.pendingCount > this.options.maxRememberedSpans) this.forgetOldest();
    hop.emittedAtMillis = now;
    if (complete) hop.seal();
    else hop.state = HopState.partial;
    this.rememberedQueue.push(hop);
  }

  private forgetOldest(): void {
    const oldest = this.rememberedQueue.shift();
    if (oldest === undefined) return;
    oldest.state = HopState.gone;
    this.hops.delete(oldest);
  }

  private finishSpan(span: Span): Span {
    if (!this.options.skewCorrection) {
      clearSpanSkew(span);
      return span;
    }
    let offsets = span.traceId === this.lastOffsetsTraceId ? this.lastOffsets : this.traceOffsets.get(span.traceId);
    if (!offsets) {
      if (this.traceOffsets.size >= MAX_TRACKED_TRACE_OFFSETS) {
        const oldest = this.traceOffsetsQueue.shift();
        if (oldest !== undefined) this.traceOffsets.delete(oldest);
      }
      offsets = new HostOffsets();
      this.traceOffsets.set(span.traceId, offsets);
      this.traceOffsetsQueue.push(span.traceId);
    }
    this.lastOffsetsTraceId = span.traceId;
    this.lastOffsets = offsets;
    adjustSpanSkew(span, offsets);
    return span;
  }

  private forgetEmitted(now: number): void {
    const deadline = now - this.options.lateWindowMillis;
    for (let hop = this.rememberedQueue.peek(); hop !== undefined; hop = this.rememberedQueue.peek()) {
      if (hop.emittedAtMillis > deadline) break;
      this.forgetOldest();
    }
  }

  private flushOutboxes(reason: EmitReason = 'complete'): void {
    // Evicted spans first: they are older than anything completed in the same batch.
    if (this.evictedOutbox.length > 0) {
      const spans = this.evictedOutbox;
      this.evictedOutbox = [];
      this.sink(spans, 'evicted');
    }
    if (this.outbox.length > 0) {
      const spans = this.outbox;
      this.outbox = [];
      this.sink(spans, reason);
    }
    if (this.lateOutbox.length > 0) {
      const spans = this.lateOutbox;
      this.lateOutbox = [];
      this.sink(spans, 'late');
    }
  }
}
