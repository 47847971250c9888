/**
 * The search form's URL parameters → an API query, with every field validated. Durations are
 * typed in milliseconds (`minMs`, `maxMs`) and sent in microseconds; the time range is a lookback
 * (`lookback=1h`) or explicit `from`/`to` ISO times.
 */
import type { SearchParams } from '../api/types.js';

/** Lookback choices offered by the form, in microseconds. */
export const LOOKBACKS = {
  '15m': 15 * 60 * 1e6,
  '1h': 3600 * 1e6,
  '6h': 6 * 3600 * 1e6,
  '24h': 24 * 3600 * 1e6,
  '7d': 7 * 24 * 3600 * 1e6,
} as const;
export type Lookback = keyof typeof LOOKBACKS | 'all' | 'custom';

/** Default and largest result counts; the collector caps the limit too, this keeps the scatter readable. */
export const DEFAULT_SEARCH_LIMIT = 50;
export const MAX_SEARCH_LIMIT = 1000;

export type ParsedSearch = { ok: true; query: SearchParams } | { ok: false; errors: string[] };

function optionalMillis(params: URLSearchParams, key: string, errors: string[]): number | undefined {
  const raw = params.get(key)?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    errors.push(`${key}: "${raw}" is not a non-negative number of milliseconds`);
    return undefined;
  }
  return Math.round(value * 1000);
}

function isoMicros(params: URLSearchParams, key: string, errors: string[]): number | undefined {
  const raw = params.get(key)?.trim();
  if (!raw) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) {
    errors.push(`${key}: "${raw}" is not a date/time`);
    return undefined;
  }
  return ms * 1000;
}

/** Validates the search parameters; `nowMicros` anchors the lookback. */
export function parseSearch(params: URLSearchParams, nowMicros: number): ParsedSearch {
  const errors: string[] = [];
  const query: SearchParams = { limit: DEFAULT_SEARCH_LIMIT };
  const service = params.get('service')?.trim();
  if (service) query.service = service;
  const endpoint = params.get('endpoint')?.trim();
  if (endpoint) query.endpoint = endpoint;
  const min = optionalMillis(params, 'minMs', errors);
  const max = optionalMillis(params, 'maxMs', errors);
  if (min !== undefined) query.minDurationMicros = min;
  if (max !== undefined) query.maxDurationMicros = max;
  if (min !== undefined && max !== undefined && min > max) errors.push('maxMs: must not be below minMs');
  if (params.get('errors') === '1') query.errorsOnly = true;

  const tags: Record<string, string> = {};
  for (const raw of params.getAll('tag')) {
    for (const pair of raw.split(/[\n,]/)) {
      const text = pair.trim();
      if (!text) continue;
      const eq = text.indexOf('=');
      if (eq <= 0) {
        errors.push(`tag: "${text}" is not key=value`);
        continue;
      }
      tags[text.slice(0, eq).trim()] = text.slice(eq + 1).trim();
    }
  }
  if (Object.keys(tags).length > 0) query.tags = tags;

  const lookback = (params.get('lookback') ?? '1h') as Lookback;
  if (lookback === 'custom') {
    const from = isoMicros(params, 'from', errors);
    const to = isoMicros(params, 'to', errors);
    if (from !== undefined) query.sinceMicros = from;
    if (to !== undefined) query.untilMicros = to;
    if (from !== undefined && to !== undefined && from > to) errors.push('to: must not be before from');
  } else if (lookback in LOOKBACKS) {
    query.sinceMicros = nowMicros - LOOKBACKS[lookback as keyof typeof LOOKBACKS];
  } else if (lookback !== 'all') {
    errors.push(`lookback: "${lookback}" is not one of ${Object.keys(LOOKBACKS).join(', ')}, all, custom`);
  }

  const limitRaw = params.get('limit')?.trim();
  if (limitRaw) {
    const limit = Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
      errors.push(`limit: "${limitRaw}" is not a whole number from 1 to ${MAX_SEARCH_LIMIT}`);
    } else query.limit = limit;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, query };
}
