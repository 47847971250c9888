import type { TraceEvent } from '@phosphor/tracer/wire';
import type { Span } from '../model/span.js';
import { buildSpan, type HopEvents } from './build-span.js';
import { hopKey } from './hop-key.js';
import { adjustSpanSkew, clearSpanSkew, type HostOffsets } from './skew.js';

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

interface PendingHop {
  events: HopEvents;
  firstSeenMillis: number;
  traceId: string;
}

/** Remembered emitted hop: events for partial spans (late events may complete them); null once complete. */
interface EmittedHop {
  events: HopEvents | null;
  emittedAtMillis: number;
  late: number;
}

/** Traces whose host offsets are kept for emission-time skew correction. */
const MAX_TRACKED_TRACE_OFFSETS = 20_000;

/**
 * Joins REQ/IN/OUT/REP events into spans in any arrival order. A hop is emitted when its four
 * events are in, or as partial when `spanTimeoutMillis` passes or the pending cap evicts it.
 * Duplicates are counted and ignored; late events for a partial span re-emit it updated.
 * Memory is bounded by `maxPendingSpans` + `maxRememberedSpans`.
 */
export class SpanAssembler {
  private readonly pending = new Map<string, PendingHop>();
  private readonly emitted = new Map<string, EmittedHop>();
  private readonly traceOffsets = new Map<string, HostOffsets>();
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
    for (const event of events) this.addOne(event, now);
    this.flushOutboxes();
  }

  /** Emits hops older than `spanTimeoutMillis` as partial, and forgets old emitted hops. */
  sweep(): void {
    const now = this.now();
    const deadline = now - this.options.spanTimeoutMillis;
    // Map iteration is insertion order = first-seen order, so the expired hops are a prefix.
    for (const [key, hop] of this.pending) {
      if (hop.firstSeenMillis > deadline) break;
      this.pending.delete(key);
      this.counters.timedOutSpans++;
      this.emitHop(key, hop, now, this.outbox);
    }
    this.forgetEmitted(now);
    this.flushOutboxes('timeout');
  }

  /** Emits every pending hop as partial (graceful shutdown). */
  flushAll(): void {
    const now = this.now();
    for (const [key, hop] of this.pending) {
      this.pending.delete(key);
      this.emitHop(key, hop, now, this.outbox);
    }
    this.flushOutboxes('shutdown');
  }

  /** Spans of a trace still waiting for events, built as partial spans (for the trace API). */
  pendingSpansOf(traceId: string): Span[] {
    const spans: Span[] = [];
    for (const hop of this.pending.values()) {
      if (hop.traceId === traceId) spans.push(this.finishSpan(buildSpan(hop.events)));
    }
    return spans;
  }

  /** Current counters. */
  stats(): AssemblerStats {
    return { ...this.counters, pendingSpans: this.pending.size, rememberedSpans: this.emitted.size };
  }

  private addOne(event: TraceEvent, now: number): void {
    this.counters.receivedEvents++;
    const key = hopKey(event.traceId, event.spanId);
    const hop = this.pending.get(key);
    if (hop) {
      if (hop.events[event.type]) {
        this.counters.duplicateEvents++;
        return;
      }
      hop.events[event.type] = event;
      if (hop.events.REQ && hop.events.IN && hop.events.OUT && hop.events.REP) {
        this.pending.delete(key);
        this.emitHop(key, hop, now, this.outbox);
      }
      return;
    }
    const done = this.emitted.get(key);
    if (done) {
      if (done.events === null || done.events[event.type]) {
        this.counters.duplicateEvents++;
        return;
      }
      done.events[event.type] = event;
      done.late++;
      this.counters.lateEvents++;
      this.counters.updatedSpans++;
      const complete = done.events.REQ && done.events.IN && done.events.OUT && done.events.REP;
      this.lateOutbox.push(this.finishSpan(buildSpan(done.events, done.late)));
      if (complete) done.events = null;
      return;
    }
    if (this.pending.size >= this.options.maxPendingSpans) {
      const oldest = this.pending.entries().next().value;
      if (oldest) {
        this.pending.delete(oldest[0]);
        this.counters.evictedPendingSpans++;
        this.emitHop(oldest[0], oldest[1], now, this.evictedOutbox);
      }
    }
    const events: HopEvents = {};
    events[event.type] = event;
    this.pending.set(key, { events, firstSeenMillis: now, traceId: event.traceId });
  }

  private emitHop(key: string, hop: PendingHop, now: number, outbox: Span[]): void {
    const span = this.finishSpan(buildSpan(hop.events));
    const complete = span.missing.length === 0;
    if (complete) this.counters.completeSpans++;
    else this.counters.partialSpans++;
    outbox.push(span);
    if (this.options.maxRememberedSpans === 0 || this.options.lateWindowMillis === 0) return;
    if (this.emitted.size >= this.options.maxRememberedSpans) {
      const oldest = this.emitted.keys().next().value;
      if (oldest !== undefined) this.emitted.delete(oldest);
    }
    this.emitted.set(key, { events: complete ? null : hop.events, emittedAtMillis: now, late: 0 });
  }

  private finishSpan(span: Span): Span {
    if (!this.options.skewCorrection) {
      clearSpanSkew(span);
      return span;
    }
    let offsets = this.traceOffsets.get(span.traceId);
    if (!offsets) {
      if (this.traceOffsets.size >= MAX_TRACKED_TRACE_OFFSETS) {
        const oldest = this.traceOffsets.keys().next().value;
        if (oldest !== undefined) this.traceOffsets.delete(oldest);
      }
      offsets = new Map();
      this.traceOffsets.set(span.traceId, offsets);
    }
    adjustSpanSkew(span, offsets);
    return span;
  }

  private forgetEmitted(now: number): void {
    const deadline = now - this.options.lateWindowMillis;
    for (const [key, hop] of this.emitted) {
      if (hop.emittedAtMillis > deadline) break;
      this.emitted.delete(key);
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
