import type { Span, TraceQuery, TraceSummary } from '../model/span.js';

/**
 * The search semantics every store implements: a trace matches when one of its spans matches
 * all span-level filters (service is the span's caller or callee, endpoint the caller's or
 * callee's endpoint, duration bounds, tags), `error: true` needs an erroneous span and
 * `error: false` a trace without any, and since/until bound the trace's start.
 */
export function traceMatches(spans: readonly Span[], query: TraceQuery): boolean {
  const summaryStart = traceStart(spans);
  if (query.sinceMicros !== undefined && summaryStart < query.sinceMicros) return false;
  if (query.untilMicros !== undefined && summaryStart > query.untilMicros) return false;
  if (query.error === false && spans.some((s) => s.errorCode !== undefined)) return false;
  return spans.some((span) => spanMatches(span, query));
}

/** Span-level part of {@link traceMatches}. */
export function spanMatches(span: Span, query: TraceQuery): boolean {
  if (query.service !== undefined && span.to !== query.service && span.from !== query.service) return false;
  if (query.endpoint !== undefined) {
    const onCallee = span.toEndpoint === query.endpoint && (query.service === undefined || span.to === query.service);
    const onCaller =
      span.fromEndpoint === query.endpoint && (query.service === undefined || span.from === query.service);
    if (!onCallee && !onCaller) return false;
  }
  if (query.minDurationMicros !== undefined && span.durationMicros < query.minDurationMicros) return false;
  if (query.maxDurationMicros !== undefined && span.durationMicros > query.maxDurationMicros) return false;
  if (query.error === true && span.errorCode === undefined) return false;
  if (query.tags) {
    for (const [key, value] of Object.entries(query.tags)) if (span.tags[key] !== value) return false;
  }
  return true;
}

/** Summarises a trace for search results. The root is the earliest span without a parent in the trace. */
export function summarizeTrace(traceId: string, spans: readonly Span[]): TraceSummary {
  const ids = new Set(spans.map((s) => s.spanId));
  // A span without a parent is the root; while none is stored, the earliest span whose parent is
  // missing stands in (as the Elasticsearch store's summaries do).
  let root: Span | undefined;
  let orphan: Span | undefined;
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  let errorCount = 0;
  const services = new Set<string>();
  for (const span of spans) {
    if (span.startMicros < start) start = span.startMicros;
    const spanEnd = span.startMicros + span.durationMicros;
    if (spanEnd > end) end = spanEnd;
    if (span.errorCode !== undefined) errorCount++;
    if (span.from) services.add(span.from);
    if (span.to) services.add(span.to);
    if (span.parentSpanId === undefined) {
      if (!root || span.startMicros < root.startMicros) root = span;
    } else if (!ids.has(span.parentSpanId) && (!orphan || span.startMicros < orphan.startMicros)) {
      orphan = span;
    }
  }
  const shown = root ?? orphan;
  return {
    traceId,
    rootService: shown?.to ?? '',
    rootEndpoint: shown?.toEndpoint ?? '',
    rootSeen: root !== undefined,
    startMicros: Number.isFinite(start) ? start : 0,
    durationMicros: Number.isFinite(end) && Number.isFinite(start) ? end - start : 0,
    spanCount: spans.length,
    errorCount,
    services: [...services].sort(),
  };
}

function traceStart(spans: readonly Span[]): number {
  let start = Number.POSITIVE_INFINITY;
  for (const span of spans) if (span.startMicros < start) start = span.startMicros;
  return start;
}
