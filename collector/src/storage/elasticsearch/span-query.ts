import type { Client, estypes } from '@elastic/elasticsearch';
import { errors as esErrors } from '@elastic/elasticsearch';
import type { Span, TraceQuery, TraceSummary } from '../../model/span.js';
import { fromDocument, type SpanDocument } from './span-document.js';

/**
 * First page of a trace lookup, fetched without a point in time: almost every trace fits, so the
 * common case costs one request. Bigger traces are re-read with a PIT and `search_after`.
 */
export const TRACE_FAST_PATH_SPANS = 1_000;
/** `index.max_result_window` default: the largest page one search may return. */
export const TRACE_PAGE_SPANS = 10_000;
/** PIT lifetime between two pages; a page of 10,000 spans is fetched in well under this. */
const PIT_KEEP_ALIVE = '1m';
/**
 * `error: false` filters on the whole trace, which the span-level search cannot see, so that many
 * times `limit` candidates are fetched and the ones with errors removed afterwards.
 */
const ERROR_FREE_OVERSAMPLING = 4;
/** Distinct services listed per trace summary. */
const MAX_SERVICES_PER_TRACE = 100;

/** Reads spans back from the daily indices (`<prefix>-*`). */
export class SpanQuery {
  private readonly pattern: string;

  constructor(
    private readonly client: Client,
    indexPrefix: string,
  ) {
    this.pattern = `${indexPrefix}-*`;
  }

  /** Every span of a trace in start order, however many (PIT + search_after past the first page). */
  async getTrace(traceId: string): Promise<Span[] | undefined> {
    const query: estypes.QueryDslQueryContainer = { term: { 'trace.id': traceId } };
    const sort: estypes.Sort = [{ 'timestamp.us': 'asc' }, { 'span.id': 'asc' }];
    const first = await this.client.search<SpanDocument>(
      {
        index: this.pattern,
        query,
        sort,
        size: TRACE_FAST_PATH_SPANS,
        version: true,
        track_total_hits: true,
        ignore_unavailable: true,
        allow_no_indices: true,
      },
      { maxRetries: 1 },
    );
    const total = totalOf(first.hits.total);
    let hits = first.hits.hits;
    if (total > hits.length) hits = await this.readAll(query, sort);
    if (hits.length === 0) return undefined;
    return dedupe(hits);
  }

  /** Traces with at least one span matching every filter, newest first. */
  async findTraces(q: TraceQuery): Promise<TraceSummary[]> {
    if (q.limit <= 0) return [];
    const filter = spanFilter(q);
    const candidates = q.error === false ? q.limit * ERROR_FREE_OVERSAMPLING : q.limit;
    const found = await this.client.search(
      {
        index: this.pattern,
        size: 0,
        query: { bool: { filter } },
        aggs: {
          traces: {
            terms: { field: 'trace.id', size: candidates, order: { newest: 'desc' } },
            aggs: { newest: { max: { field: 'timestamp.us' } } },
          },
        },
        ignore_unavailable: true,
        allow_no_indices: true,
      },
      { maxRetries: 1 },
    );
    const ids = bucketsOf(found.aggregations?.traces).map((b) => String(b.key));
    if (ids.length === 0) return [];
    const summaries = await this.summarise(ids);
    let out = summaries;
    if (q.error === false) out = out.filter((s) => s.errorCount === 0);
    if (q.sinceMicros !== undefined) out = out.filter((s) => s.startMicros >= (q.sinceMicros as number));
    if (q.untilMicros !== undefined) out = out.filter((s) => s.startMicros <= (q.untilMicros as number));
    out.sort((a, b) => b.startMicros - a.startMicros);
    return out.slice(0, q.limit);
  }

  private async summarise(ids: string[]): Promise<TraceSummary[]> {
    const res = await this.client.search(
      {
        index: this.pattern,
        size: 0,
        query: { terms: { 'trace.id': ids } },
        aggs: {
          traces: {
            terms: { field: 'trace.id', size: ids.length },
            aggs: {
              start: { min: { field: 'timestamp.us' } },
              end: { max: { field: 'phosphor.end.us' } },
              errors: { filter: { term: { 'event.outcome': 'failure' } } },
              // '' is no service, so not listed (as in the memory store's summaries): caller.service of a span
              // called from outside (an untraced client, an OTel root SERVER span), service.name of a caller-only
              // span whose callee is unnamed (an OTel CLIENT span without peer.service or server.address).
              callees: { terms: { field: 'service.name', size: MAX_SERVICES_PER_TRACE, exclude: [''] } },
              callers: { terms: { field: 'caller.service', size: MAX_SERVICES_PER_TRACE, exclude: [''] } },
              // The root: no parent; when the root hop is missing, the earliest span stands in.
              root: {
                top_hits: {
                  size: 1,
                  sort: [{ 'timestamp.us': 'asc' }],
                  _source: ['callee.service', 'callee.endpoint', 'parent.id'],
                },
              },
              rootless: {
                filter: { bool: { must_not: { exists: { field: 'parent.id' } } } },
                aggs: {
                  hit: {
                    top_hits: {
                      size: 1,
                      sort: [{ 'timestamp.us': 'asc' }],
                      _source: ['callee.service', 'callee.endpoint', 'span.duration.us'],
                    },
                  },
                },
              },
            },
          },
        },
        ignore_unavailable: true,
        allow_no_indices: true,
      },
      { maxRetries: 1 },
    );
    return bucketsOf(res.aggregations?.traces).map((bucket) => {
      const b = bucket as unknown as SummaryBucket;
      const rootHit = b.rootless.hit.hits.hits[0] ?? b.root.hits.hits[0];
      const start = b.start.value ?? 0;
      const services = new Set<string>();
      for (const s of b.callers.buckets) services.add(String(s.key));
      for (const s of b.callees.buckets) services.add(String(s.key));
      return {
        traceId: String(b.key),
        rootService: rootHit?._source?.callee?.service ?? '',
        rootEndpoint: rootHit?._source?.callee?.endpoint ?? '',
        rootSeen: b.rootless.hit.hits.hits.length > 0,
        startMicros: start,
        durationMicros: Math.max(0, (b.end.value ?? start) - start),
        spanCount: b.doc_count,
        errorCount: b.errors.doc_count,
        services: [...services].sort(),
      };
    });
  }

  private async readAll(
    query: estypes.QueryDslQueryContainer,
    sort: estypes.Sort,
  ): Promise<estypes.SearchHit<SpanDocument>[]> {
    const pit = await this.client.openPointInTime({
      index: this.pattern,
      keep_alive: PIT_KEEP_ALIVE,
      ignore_unavailable: true,
    });
    const hits: estypes.SearchHit<SpanDocument>[] = [];
    let pitId = pit.id;
    try {
      let after: estypes.SortResults | undefined;
      for (;;) {
        const page = await this.client.search<SpanDocument>({
          pit: { id: pitId, keep_alive: PIT_KEEP_ALIVE },
          query,
          // The PIT adds the `_shard_doc` tiebreaker, so search_after never skips or repeats a span.
          sort,
          size: TRACE_PAGE_SPANS,
          version: true,
          track_total_hits: false,
          ...(after ? { search_after: after } : {}),
        });
        if (page.pit_id) pitId = page.pit_id;
        hits.push(...page.hits.hits);
        const last = page.hits.hits[page.hits.hits.length - 1];
        if (!last || page.hits.hits.length < TRACE_PAGE_SPANS) break;
        after = last.sort;
      }
    } finally {
      await this.client.closePointInTime({ id: pitId }).catch(() => undefined);
    }
    return hits;
  }
}

interface SummaryBucket {
  key: string;
  doc_count: number;
  start: { value: number | null };
  end: { value: number | null };
  errors: { doc_count: number };
  callees: { buckets: { key: string }[] };
  callers: { buckets: { key: string }[] };
  root: { hits: { hits: { _source?: Partial<SpanDocument> }[] } };
  rootless: { hit: { hits: { hits: { _source?: Partial<SpanDocument> }[] } } };
}

function totalOf(total: number | estypes.SearchTotalHits | undefined): number {
  if (total === undefined) return 0;
  return typeof total === 'number' ? total : total.value;
}

function bucketsOf(agg: unknown): { key: unknown; doc_count: number }[] {
  const buckets = (agg as { buckets?: unknown } | undefined)?.buckets;
  return Array.isArray(buckets) ? (buckets as { key: unknown; doc_count: number }[]) : [];
}

/**
 * A span near midnight can be stored in two daily indices when a late event moves its start across
 * the day boundary; keep the copy with the highest external version (the latest write).
 */
function dedupe(hits: estypes.SearchHit<SpanDocument>[]): Span[] {
  const byId = new Map<string, estypes.SearchHit<SpanDocument>>();
  for (const hit of hits) {
    const id = hit._id ?? '';
    const seen = byId.get(id);
    if (!seen || (hit._version ?? 0) > (seen._version ?? 0)) byId.set(id, hit);
  }
  const spans: Span[] = [];
  for (const hit of byId.values()) if (hit._source) spans.push(fromDocument(hit._source));
  return spans;
}

/** Span-level filter of a trace search. */
export function spanFilter(q: TraceQuery): estypes.QueryDslQueryContainer[] {
  const filter: estypes.QueryDslQueryContainer[] = [];
  if (q.service) {
    filter.push({
      bool: { should: [{ term: { 'service.name': q.service } }, { term: { 'caller.service': q.service } }] },
    });
  }
  if (q.endpoint) {
    filter.push({
      bool: { should: [{ term: { 'callee.endpoint': q.endpoint } }, { term: { 'caller.endpoint': q.endpoint } }] },
    });
  }
  if (q.minDurationMicros !== undefined || q.maxDurationMicros !== undefined) {
    const range: estypes.QueryDslNumberRangeQuery = {};
    if (q.minDurationMicros !== undefined) range.gte = q.minDurationMicros;
    if (q.maxDurationMicros !== undefined) range.lte = q.maxDurationMicros;
    filter.push({ range: { 'span.duration.us': range } });
  }
  if (q.error === true) filter.push({ term: { 'event.outcome': 'failure' } });
  for (const [key, value] of Object.entries(q.tags ?? {})) {
    filter.push({ term: { [`labels.${key.replaceAll('.', '_')}`]: value } });
  }
  // Trace start bounds hold for the trace's first span and are re-checked on the summaries; at span
  // level a matching span starts at or after its trace, and is expected within the window too.
  if (q.sinceMicros !== undefined || q.untilMicros !== undefined) {
    const range: estypes.QueryDslNumberRangeQuery = {};
    if (q.sinceMicros !== undefined) range.gte = q.sinceMicros;
    if (q.untilMicros !== undefined) range.lte = q.untilMicros;
    filter.push({ range: { 'timestamp.us': range } });
  }
  return filter;
}

/** True when an error means Elasticsearch is unreachable or overloaded (not a bad query). */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof esErrors.ResponseError) return (err.statusCode ?? 500) >= 500 || err.statusCode === 429;
  return err instanceof esErrors.ConnectionError || err instanceof esErrors.TimeoutError;
}
