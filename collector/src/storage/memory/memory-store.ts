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

interface StoredTrace {
  traceId: string;
  spans: Span[];
  /** spanId → position in `spans`, once the trace has more than SPAN_INDEX_THRESHOLD spans. */
  index: Map<string, number> | undefined;
  /** Distinct services (callers and callees) of the trace: a few, so an array. */
  services: string[];
  /** False once evicted (the eviction queue may still reference it briefly). */
  live: boolean;
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
    return trace ? [...trace.spans] : undefined;
  }

  /** Walks traces newest first (by arrival), through the service index when a service is given. */
  async findTraces(query: TraceQuery): Promise<TraceSummary[]> {
    const candidates = query.service !== undefined ? this.byService.get(query.service)?.traces : this.arrival;
    const results: TraceSummary[] = [];
    if (candidates === undefined) return results;
    for (let i = candidates.size - 1; i >= 0 && results.length < query.limit; i--) {
      const trace = candidates.at(i) as StoredTrace;
      if (!trace.live) continue;
      if (traceMatches(trace.spans, query)) results.push(summarizeTrace(trace.traceId, trace.spans));
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
        // Literal arrays are allocated at their exact length ([] then push reserves 16 slots).
        const { from, to } = span;
        const services = from && to && from !== to ? [from, to] : from || to ? [from || to] : [];
        trace = { traceId: span.traceId, spans: [span], index: undefined, services, live: true };
        this.traces.set(span.traceId, trace);
        this.arrival.push(trace);
        for (const service of services) this.serviceTraces(service).push(trace);
        this.spanCount++;
        this.counters.writtenSpans++;
        this.lastTrace = trace;
        return;
      }
      this.lastTrace = trace;
    }
    const at = findSpan(trace, span.spanId);
    if (at >= 0) {
      trace.spans[at] = span;
      this.counters.updatedSpans++;
    } else {
      trace.spans.push(span);
      if (trace.index !== undefined) trace.index.set(span.spanId, trace.spans.length - 1);
      else if (trace.spans.length > SPAN_INDEX_THRESHOLD) {
        trace.index = new Map(trace.spans.map((s, i) => [s.spanId, i]));
      }
      this.spanCount++;
    }
    this.counters.writtenSpans++;
    this.indexService(trace, span.from);
    this.indexService(trace, span.to);
  }

  private indexService(trace: StoredTrace, service: string): void {
    if (!service || trace.services.includes(service)) return;
    if (trace.services.length === 0) trace.services = [service];
    else trace.services.push(service);
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
      this.spanCount -= trace.spans.length;
      this.counters.evictedTraces++;
      this.counters.evictedSpans += trace.spans.length;
      for (const service of trace.services) this.dropFromService(service);
    }
  }
}

/** Position of a span in its trace, or -1. */
function findSpan(trace: StoredTrace, spanId: string): number {
  if (trace.index !== undefined) return trace.index.get(spanId) ?? -1;
  const spans = trace.spans;
  for (let i = 0; i < spans.length; i++) if ((spans[i] as Span).spanId === spanId) return i;
  return -1;
}

/** Flaki-style duration text, e.g. "906.881µs". */
export function formatDuration(millis: number): string {
  return millis < 1 ? `${(millis * 1000).toFixed(3)}µs` : `${millis.toFixed(3)}ms`;
}
