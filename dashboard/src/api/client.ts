/**
 * The one module that talks to the collector. Every route, query parameter and response shape
 * lives here, so a change on the collector side is one edit. URLs are relative (`/api/...`): the
 * collector serves the dashboard, and `vite dev` proxies `/api` to it.
 */
import { type ClusterStatus, parseClusterStatus } from './cluster.js';
import { httpError, parseJsonText, sendGet } from './http.js';
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
  /**
   * The request behind getTrace, for loading large traces in a Web Worker. Absent (as in
   * in-memory test clients) means traces are loaded on the page through getTrace.
   */
  traceRequest?(traceId: string): TraceRequest;
  getServices(signal?: AbortSignal): Promise<ServiceInfo[]>;
  getAggregates(window: AggregateWindow, signal?: AbortSignal): Promise<AggregatesSnapshot>;
  getDependencies(signal?: AbortSignal): Promise<DependencyGraph>;
  /** Missing `/api/config` (404) means "nothing configured", not an error. */
  getConfig(signal?: AbortSignal): Promise<DashboardConfig>;
  /** URL of the server-sent-events stream of finished spans. */
  tailUrl(filters: TailFilters): string;
  /** Cluster members with lag and loss (`GET /api/cluster`); absent in clients without a cluster. */
  getCluster?(signal?: AbortSignal): Promise<ClusterStatus>;
}

/** Where one trace is read from. */
function tracePath(traceId: string): string {
  return `/api/traces/${encodeURIComponent(traceId)}`;
}

/** A request another context (the trace worker) can send exactly as the client would. */
export interface TraceRequest {
  /** Absolute URL of `GET /api/traces/:id`. */
  url: string;
  /** The path alone, for error messages. */
  path: string;
  headers: Record<string, string>;
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
  function headersFor(): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const bearer = token();
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    return headers;
  }

  async function getJson(path: string, signal: AbortSignal | undefined, allow404 = false): Promise<unknown> {
    const response = await sendGet(fetchImpl, `${baseUrl}${path}`, path, headersFor(), signal);
    if (allow404 && response.status === 404) return undefined;
    if (!response.ok) throw await httpError(path, response);
    return parseJsonText(path, await response.text());
  }

  return {
    async searchTraces(params, signal) {
      return parseTraceSummaries(await getJson(`/api/traces?${searchQueryString(params)}`, signal));
    },
    async getTrace(traceId, signal) {
      const body = await getJson(tracePath(traceId), signal, true);
      return body === undefined ? undefined : parseTrace(body);
    },
    traceRequest(traceId) {
      const path = tracePath(traceId);
      // Absolute: a worker resolves relative URLs against its own script, not the page.
      const url = new URL(`${baseUrl}${path}`, globalThis.location?.href ?? 'http://localhost/').href;
      return { url, path, headers: headersFor() };
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
    async getCluster(signal) {
      return parseClusterStatus(await getJson('/api/cluster', signal));
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
