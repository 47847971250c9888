/**
 * A trace search compiled against the memory store's rows: the search semantics of
 * storage/trace-query.ts ({@link traceMatches}), read from the columns — names compared as
 * interned ids, numbers read in place — so a search makes no Span object for a trace that does
 * not match.
 */
import type { TraceQuery } from '../../model/span.js';
import type { traceMatches } from '../trace-query.js';
import {
  F_ERROR_CODE,
  F_FROM,
  F_FROM_ENDPOINT,
  F_TO,
  F_TO_ENDPOINT,
  N_DURATION,
  N_START,
  NAME_FIELDS,
  NUMBER_FIELDS,
  type SpanRows,
} from './span-rows.js';
import { NO_STRING, type StringInterner } from './string-interner.js';
import type { TagSetInterner } from './tag-set-interner.js';

/** An interned id no row holds: a filter on a string nobody stored matches nothing. */
const UNKNOWN = -2;
/** Filter not given. */
const ANY = -3;

export class RowQuery {
  private readonly service: number;
  private readonly endpoint: number;
  private readonly tags: [string, string][] | undefined;

  constructor(
    private readonly query: TraceQuery,
    strings: StringInterner,
    private readonly tagSets: TagSetInterner,
  ) {
    this.service = idFilter(strings, query.service);
    this.endpoint = idFilter(strings, query.endpoint);
    this.tags = query.tags ? Object.entries(query.tags) : undefined;
  }

  /** {@link traceMatches} for the trace whose rows chain from `firstRow`. */
  matchesTrace(rows: SpanRows, firstRow: number): boolean {
    const query = this.query;
    const numbers = rows.numbers;
    const names = rows.names;
    let start = Number.POSITIVE_INFINITY;
    let anyError = false;
    let anyMatch = false;
    for (let row = firstRow; row >= 0; row = rows.next[row] as number) {
      const rowStart = numbers[row * NUMBER_FIELDS + N_START] as number;
      if (rowStart < start) start = rowStart;
      if (names[row * NAME_FIELDS + F_ERROR_CODE] !== NO_STRING) anyError = true;
      if (!anyMatch && this.matchesRow(rows, row)) anyMatch = true;
    }
    if (query.sinceMicros !== undefined && start < query.sinceMicros) return false;
    if (query.untilMicros !== undefined && start > query.untilMicros) return false;
    if (query.error === false && anyError) return false;
    return anyMatch;
  }

  /** The span-level filters (spanMatches) on one row. */
  private matchesRow(rows: SpanRows, row: number): boolean {
    const query = this.query;
    const names = rows.names;
    const b = row * NAME_FIELDS;
    const service = this.service;
    if (service !== ANY && names[b + F_TO] !== service && names[b + F_FROM] !== service) return false;
    const endpoint = this.endpoint;
    if (endpoint !== ANY) {
      const onCallee = names[b + F_TO_ENDPOINT] === endpoint && (service === ANY || names[b + F_TO] === service);
      const onCaller = names[b + F_FROM_ENDPOINT] === endpoint && (service === ANY || names[b + F_FROM] === service);
      if (!onCallee && !onCaller) return false;
    }
    const duration = rows.numbers[row * NUMBER_FIELDS + N_DURATION] as number;
    if (query.minDurationMicros !== undefined && duration < query.minDurationMicros) return false;
    if (query.maxDurationMicros !== undefined && duration > query.maxDurationMicros) return false;
    if (query.error === true && names[b + F_ERROR_CODE] === NO_STRING) return false;
    if (this.tags) {
      const tags = this.tagSets.get(rows.tagSets[row] as number);
      for (const [key, value] of this.tags) if (tags[key] !== value) return false;
    }
    return true;
  }
}

function idFilter(strings: StringInterner, value: string | undefined): number {
  if (value === undefined) return ANY;
  const id = strings.idOf(value);
  return id === NO_STRING ? UNKNOWN : id;
}
