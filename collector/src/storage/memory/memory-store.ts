import { formatDuration } from '@phosphor/service-kit';
import type { Span, TraceQuery, TraceSummary } from '../../model/span.js';
import { Ring } from '../../util/ring.js';
import type { ComponentHealth, SpanStore } from '../span-store.js';
import { summarizeTrace, traceMatches } from '../trace-query.js';

/** Memory store settings (`storage.memory`). */
export interface MemoryStoreOptions {
  /** Spans kept at most; past it, whole traces are evicted oldest first. */
  maxSpans: number;
}

/**
 * Spans of a trace are an array, searched linearly on upsert while the trace is small; past this
 * many spans a spanId → index map is built so huge traces stay O(1) per write. Most traces have a
 * handful of spans, and an array costs a fraction of a Map's memory.
 */
const SPAN_INDEX_THRESHOLD = 16;

/** A service's traces; `evicted` counts the evicted ones still in the ring. */
interface ServiceTraces {
  traces: Ring<StoredTrace>;
  evicted: number;
}

/**
 * One stored trace. Most traces are small and a store holds hundreds of thousands, so a lone span
 * is kept without an array and the first two services without one (each array costs two objects).
 */
interface StoredTrace {
  traceId: string;
  /** The only span, or every span once there are several. */
  spans: Span | Span[];
  /** spanId → position in `spans`, once the trace has more than SPAN_INDEX_THRESHOLD spans. */
  index: Map<string, number> | undefined;
  /** Distinct services (callers and callees): the first two, then any others; '' = none. */
  service0: string;
  service1: string;
  moreServices: string[] | undefined;
  /** False once evicted (the eviction queue may still reference it briefly). */
  live: boolean;
}

/** The spans of a trace as an array (a new one-element array for a lone span). */
function spansOf(trace: StoredTrace): Span[] {
  return Array.isArray(trace.spans) ? trace.spans : [trace.spans];
}

function spanCountOf(trace: StoredTrace): number {
  return Array.isArray(trace.spans) ? trace.spans.length : 1;
}

function servicesOf(trace: StoredTrace): string[] {
  const services: string[] = [];
  if (trace.service0) services.push(trace.service0);
  if (trace.service1) services.push(trace.service1);
  if (trace.moreServices) services.push(...trace.moreServices);
  return services;
}

/**
 * The embedded default store: bounded, in memory, oldest traces evicted first (counted). Traces
 * are kept in arrival order with a per-service index, so searches walk newest first and stop at
 * the limit. Also used as the in-memory test double.
 */
export class MemoryStore implements SpanStore {
  readonly name = 'memory';
  private readonly traces = new Map<string, StoredTrace>();
  /** Traces in arrival order (eviction order); see Ring for why not the Map's own order. */
  private readonly arrival = new Ring<StoredTrace>();
  /**
   * Traces per service, in the order the service first appeared in them. Evicted traces are
   * dropped lazily (skipped by searches, removed at the head or by compaction), which costs no
   * hashing per write, unlike a Set of trace ids.
   */
  private readonly byService = new Map<string, ServiceTraces>();
  /** Last trace written: consecutive spans mostly belong to one trace. */
  private lastTrace: StoredTrace | undefined;
  private spanCount = 0;
  private readonly counters = { writtenSpans: 0, updatedSpans: 0, evictedTraces: 0, evictedSpans: 0 };
  private closed = false;

  constructor(private readonly options: MemoryStoreOptions) {}

  /** Stores spans at once; a span with a known (traceId, spanId) replaces the earlier version. */
  write(spans: readonly Span[]): void {
    if (this.closed) return;
    for (let i = 0; i < spans.length; i++) this.writeOne(spans[i] as Span);
    this.evict();
  }

  /** All stored spans of a trace. */
  async getTrace(traceId: string): Promise<Span[] | undefined> {
    const trace = this.traces.get(traceId);
    return trace ? [...spansOf(trace)] : undefined;
  }

  /** Walks traces newest first (by arrival), through the service index when a service is given. */
  async findTraces(query: TraceQuery): Promise<TraceSummary[]> {
    const candidates = query.service !== undefined ? this.byService.get(query.service)?.traces : this.arrival;
    const results: TraceSummary[] = [];
    if (candidates === undefined) return results;
    for (let i = candidates.size - 1; i >= 0 && results.length < query.limit; i--) {
      const trace = candidates.at(i) as StoredTrace;
      if (!trace.live) continue;
      const spans = spansOf(trace);
      if (traceMatches(spans, query)) results.push(summarizeTrace(trace.traceId, spans));
    }
    return results.sort((a, b) => b.startMicros - a.startMicros);
  }

  /** Always OK while open: reports fill level as a test. */
  async health(): Promise<ComponentHealth> {
    const started = performance.now();
    const status = this.closed ? 'KO' : 'OK';
    return {
      status,
      tests: [{ name: 'capacity', duration: formatDuration(performance.now() - started), status }],
    };
  }

  /** Counters for /api/stats and /metrics. */
  stats(): Record<string, number> {
    return { ...this.counters, storedSpans: this.spanCount, storedTraces: this.traces.size, queuedSpans: 0 };
  }

  /** Nothing to flush; drops the data so a closed store holds no memory. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    this.traces.clear();
    this.arrival.clear();
    this.byService.clear();
    this.lastTrace = undefined;
    this.spanCount = 0;
  }

  private writeOne(span: Span): void {
    let trace = this.lastTrace;
    if (trace === undefined || trace.traceId !== span.traceId || !trace.live) {
      trace = this.traces.get(span.traceId);
      if (trace === undefined) {
        const { from, to } = span;
        trace = {
          traceId: span.traceId,
          spans: span,
          index: undefined,
          service0: from || to,
          service1: from && to && from !== to ? to : '',
          moreServices: undefined,
          live: true,
        };
        this.traces.set(span.traceId, trace);
        this.arrival.push(trace);
        if (trace.service0) this.serviceTraces(trace.service0).push(trace);
        if (trace.service1) this.serviceTraces(trace.service1).push(trace);
        this.spanCount++;
        this.counters.writtenSpans++;
        this.lastTrace = trace;
        return;
      }
      this.lastTrace = trace;
    }
    this.upsert(trace, span);
    this.counters.writtenSpans++;
    this.indexService(trace, span.from);
    this.indexService(trace, span.to);
  }

  private upsert(trace: StoredTrace, span: Span): void {
    const spans = trace.spans;
    if (!Array.isArray(spans)) {
      if (spans.spanId === span.spanId) {
        trace.spans = span;
        this.counters.updatedSpans++;
      } else {
        trace.spans = [spans, span];
        this.spanCount++;
      }
      return;
    }
    const at = findSpan(trace, spans, span.spanId);
    if (at >= 0) {
      spans[at] = span;
      this.counters.updatedSpans++;
      return;
    }
    spans.push(span);
    if (trace.index !== undefined) trace.index.set(span.spanId, spans.length - 1);
    else if (spans.length > SPAN_INDEX_THRESHOLD) trace.index = new Map(spans.map((s, i) => [s.spanId, i]));
    this.spanCount++;
  }

  private indexService(trace: StoredTrace, service: string): void {
    if (!service || trace.service0 === service || trace.service1 === service) return;
    if (trace.moreServices?.includes(service)) return;
    if (!trace.service0) trace.service0 = service;
    else if (!trace.service1) trace.service1 = service;
    else if (trace.moreServices) trace.moreServices.push(service);
    else trace.moreServices = [service];
    this.serviceTraces(service).push(trace);
  }

  private serviceTraces(service: string): Ring<StoredTrace> {
    let entry = this.byService.get(service);
    if (entry === undefined) {
      entry = { traces: new Ring(), evicted: 0 };
      this.byService.set(service, entry);
    }
    return entry.traces;
  }

  /** Accounts an evicted trace of `service`: drops dead traces at the head, compacts when they dominate. */
  private dropFromService(service: string): void {
    const entry = this.byService.get(service);
    if (entry === undefined) return;
    entry.evicted++;
    const ring = entry.traces;
    for (let head = ring.peek(); head !== undefined && !head.live; head = ring.peek()) {
      ring.shift();
      entry.evicted--;
    }
    if (ring.size === 0) this.byService.delete(service);
    else if (entry.evicted > ring.size / 2) {
      ring.retain((t) => t.live);
      entry.evicted = 0;
    }
  }

  private evict(): void {
    while (this.spanCount > this.options.maxSpans) {
      const trace = this.arrival.shift();
      if (!trace) return;
      trace.live = false;
      this.traces.delete(trace.traceId);
      const count = spanCountOf(trace);
      this.spanCount -= count;
      this.counters.evictedTraces++;
      this.counters.evictedSpans += count;
      for (const service of servicesOf(trace)) this.dropFromService(service);
    }
  }
}

/** Position of a span in its trace's span array, or -1. */
function findSpan(trace: StoredTrace, spans: Span[], spanId: string): number {
  if (trace.index !== undefined) return trace.index.get(spanId) ?? -1;
  for (let i = 0; i < spans.length; i++) if ((spans[i] as Span).spanId === spanId) return i;
  return -1;
}
