/**
 * The one module that talks to the collector. Every route, query parameter and response shape
 * lives here, so a change on the collector side is one edit. URLs are relative (`/api/...`): the
 * collector serves the dashboard, and `vite dev` proxies `/api` to it.
 */
import { DashboardError } from '../errors.js';
import type {
  AggregatesSnapshot,
  AggregateWindow,
  DashboardConfig,
  DependencyGraph,
  SearchParams,
  ServiceInfo,
  Span,
  TraceSummary,
} from './types.js';
import {
  parseAggregates,
  parseConfig,
  parseDependencies,
  parseServices,
  parseTrace,
  parseTraceSummaries,
} from './validate.js';

/** Filters for the live tail stream. */
export interface TailFilters {
  service?: string;
  errorsOnly?: boolean;
}

/** Everything the views read from the collector. */
export interface ApiClient {
  searchTraces(params: SearchParams, signal?: AbortSignal): Promise<TraceSummary[]>;
  /** Resolves undefined when the collector does not know the trace (HTTP 404). */
  getTrace(traceId: string, signal?: AbortSignal): Promise<Span[] | undefined>;
  getServices(signal?: AbortSignal): Promise<ServiceInfo[]>;
  getAggregates(window: AggregateWindow, signal?: AbortSignal): Promise<AggregatesSnapshot>;
  getDependencies(signal?: AbortSignal): Promise<DependencyGraph>;
  /** Missing `/api/config` (404) means "nothing configured", not an error. */
  getConfig(signal?: AbortSignal): Promise<DashboardConfig>;
  /** URL of the server-sent-events stream of finished spans. */
  tailUrl(filters: TailFilters): string;
}

/** Builds the query string of a trace search, in the collector's parameter names. */
export function searchQueryString(params: SearchParams): string {
  const q = new URLSearchParams();
  if (params.service) q.set('service', params.service);
  if (params.endpoint) q.set('endpoint', params.endpoint);
  if (params.minDurationMicros !== undefined) q.set('minDurationMicros', String(params.minDurationMicros));
  if (params.maxDurationMicros !== undefined) q.set('maxDurationMicros', String(params.maxDurationMicros));
  if (params.errorsOnly) q.set('error', 'true');
  // The collector splits `key:value` at the first colon, so values may contain colons.
  for (const [key, value] of Object.entries(params.tags ?? {})) q.append('tag', `${key}:${value}`);
  if (params.sinceMicros !== undefined) q.set('since', String(Math.floor(params.sinceMicros)));
  if (params.untilMicros !== undefined) q.set('until', String(Math.ceil(params.untilMicros)));
  q.set('limit', String(params.limit));
  return q.toString();
}

/** Where the collector's bearer token (when it requires one) is kept: per tab, gone on close. */
export const TOKEN_STORAGE_KEY = 'phosphor.apiToken';

/** The bearer token the user entered for this tab, if any. */
export function storedApiToken(): string | undefined {
  try {
    return globalThis.sessionStorage?.getItem(TOKEN_STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Saves (or with an empty string, forgets) the bearer token for this tab. */
export function storeApiToken(token: string): void {
  if (token) globalThis.sessionStorage?.setItem(TOKEN_STORAGE_KEY, token);
  else globalThis.sessionStorage?.removeItem(TOKEN_STORAGE_KEY);
}

/**
 * Creates the client; `baseUrl` is empty in the app (same origin) and set in tests. `token`
 * supplies the collector's bearer token when `http.bearerToken` is configured there.
 */
export function createApiClient(
  baseUrl = '',
  fetchImpl: typeof fetch = (...args) => fetch(...args),
  token: () => string | undefined = storedApiToken,
): ApiClient {
  async function getJson(path: string, signal: AbortSignal | undefined, allow404 = false): Promise<unknown> {
    let response: Response;
    const headers: Record<string, string> = { accept: 'application/json' };
    const bearer = token();
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    try {
      response = await fetchImpl(`${baseUrl}${path}`, { signal, headers });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new DashboardError('DSH_ERR_API_NETWORK', `GET ${path}: ${(err as Error).message}`);
    }
    if (allow404 && response.status === 404) return undefined;
    if (!response.ok) {
      let detail = '';
      try {
        const body = (await response.json()) as { message?: unknown; error?: unknown; code?: unknown };
        const message =
          typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : '';
        detail = [typeof body.code === 'string' ? body.code : '', message].filter(Boolean).join(' ');
      } catch {
        // A non-JSON error body: the status alone says enough.
      }
      throw new DashboardError(
        'DSH_ERR_API_HTTP',
        `GET ${path} → HTTP ${response.status}${detail ? ` (${detail})` : ''}`,
        response.status,
      );
    }
    try {
      return await response.json();
    } catch (err) {
      throw new DashboardError('DSH_ERR_API_SHAPE', `GET ${path}: body is not JSON (${(err as Error).message})`);
    }
  }

  return {
    async searchTraces(params, signal) {
      return parseTraceSummaries(await getJson(`/api/traces?${searchQueryString(params)}`, signal));
    },
    async getTrace(traceId, signal) {
      const body = await getJson(`/api/traces/${encodeURIComponent(traceId)}`, signal, true);
      return body === undefined ? undefined : parseTrace(body);
    },
    async getServices(signal) {
      return parseServices(await getJson('/api/services', signal));
    },
    async getAggregates(window, signal) {
      return parseAggregates(await getJson(`/api/aggregates?window=${window}`, signal));
    },
    async getDependencies(signal) {
      return parseDependencies(await getJson('/api/dependencies', signal));
    },
    async getConfig(signal) {
      const body = await getJson('/api/config', signal, true);
      return body === undefined ? {} : parseConfig(body);
    },
    tailUrl(filters) {
      const q = new URLSearchParams();
      if (filters.service) q.set('service', filters.service);
      if (filters.errorsOnly) q.set('error', 'true');
      // EventSource cannot send headers; the collector accepts the token as a query parameter here.
      const bearer = token();
      if (bearer) q.set('access_token', bearer);
      const qs = q.toString();
      return `${baseUrl}/api/tail${qs ? `?${qs}` : ''}`;
    },
  };
}
