import type { Span, TraceQuery, TraceSummary } from '../../model/span.js';
import type { ComponentHealth, SpanStore } from '../span-store.js';
import { summarizeTrace, traceMatches } from '../trace-query.js';

/** Memory store settings (`storage.memory`). */
export interface MemoryStoreOptions {
  /** Spans kept at most; past it, whole traces are evicted oldest first. */
  maxSpans: number;
}

interface StoredTrace {
  spans: Map<string, Span>;
  services: Set<string>;
}

/**
 * The embedded default store: bounded, in memory, oldest traces evicted first (counted). Traces
 * are kept in arrival order with a per-service index, so searches walk newest first and stop at
 * the limit. Also used as the in-memory test double.
 */
export class MemoryStore implements SpanStore {
  readonly name = 'memory';
  private readonly traces = new Map<string, StoredTrace>();
  private readonly byService = new Map<string, Set<string>>();
  private spanCount = 0;
  private readonly counters = { writtenSpans: 0, updatedSpans: 0, evictedTraces: 0, evictedSpans: 0 };
  private closed = false;

  constructor(private readonly options: MemoryStoreOptions) {}

  /** Stores spans at once; a span with a known (traceId, spanId) replaces the earlier version. */
  write(spans: readonly Span[]): void {
    if (this.closed) return;
    for (const span of spans) {
      let trace = this.traces.get(span.traceId);
      if (!trace) {
        trace = { spans: new Map(), services: new Set() };
        this.traces.set(span.traceId, trace);
      }
      if (trace.spans.has(span.spanId)) this.counters.updatedSpans++;
      else this.spanCount++;
      trace.spans.set(span.spanId, span);
      this.counters.writtenSpans++;
      this.indexService(span.traceId, trace, span.from);
      this.indexService(span.traceId, trace, span.to);
    }
    this.evict();
  }

  /** All stored spans of a trace. */
  async getTrace(traceId: string): Promise<Span[] | undefined> {
    const trace = this.traces.get(traceId);
    return trace ? [...trace.spans.values()] : undefined;
  }

  /** Walks traces newest first (by arrival), through the service index when a service is given. */
  async findTraces(query: TraceQuery): Promise<TraceSummary[]> {
    const candidates: Iterable<string> =
      query.service !== undefined ? [...(this.byService.get(query.service) ?? [])] : [...this.traces.keys()];
    const ids = Array.isArray(candidates) ? candidates : [...candidates];
    const results: TraceSummary[] = [];
    for (let i = ids.length - 1; i >= 0 && results.length < query.limit; i--) {
      const traceId = ids[i] as string;
      const trace = this.traces.get(traceId);
      if (!trace) continue;
      const spans = [...trace.spans.values()];
      if (traceMatches(spans, query)) results.push(summarizeTrace(traceId, spans));
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
    this.byService.clear();
    this.spanCount = 0;
  }

  private indexService(traceId: string, trace: StoredTrace, service: string): void {
    if (!service || trace.services.has(service)) return;
    trace.services.add(service);
    const set = this.byService.get(service);
    if (set) set.add(traceId);
    else this.byService.set(service, new Set([traceId]));
  }

  private evict(): void {
    while (this.spanCount > this.options.maxSpans) {
      const oldest = this.traces.entries().next().value;
      if (!oldest) return;
      const [traceId, trace] = oldest;
      this.traces.delete(traceId);
      this.spanCount -= trace.spans.size;
      this.counters.evictedTraces++;
      this.counters.evictedSpans += trace.spans.size;
      for (const service of trace.services) {
        const set = this.byService.get(service);
        set?.delete(traceId);
        if (set?.size === 0) this.byService.delete(service);
      }
    }
  }
}

/** Flaki-style duration text, e.g. "906.881µs". */
export function formatDuration(millis: number): string {
  return millis < 1 ? `${(millis * 1000).toFixed(3)}µs` : `${millis.toFixed(3)}ms`;
}
