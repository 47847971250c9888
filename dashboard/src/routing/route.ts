/**
 * Hash routing: the URL after `#` names the view and its state, so every view is a shareable
 * link and the collector can serve index.html at `/` without server-side routes.
 *
 *   #/search?service=auth&errors=1     #/trace/<id>?mode=raw&view=text&span=<spanId>
 *   #/compare?a=<id>&b=<id>            #/services?window=5m        #/tail?service=auth
 *   #/cluster
 */
import { isTraceId } from '../model/ids.js';

export type Page = 'search' | 'trace' | 'compare' | 'services' | 'tail' | 'cluster';

export type Route =
  | { page: Exclude<Page, 'trace'>; params: URLSearchParams }
  | { page: 'trace'; traceId: string; params: URLSearchParams }
  | { page: 'not-found'; path: string; params: URLSearchParams };

const PAGES: readonly Page[] = ['search', 'trace', 'compare', 'services', 'tail', 'cluster'];

/** Parses `location.hash`; an empty hash is the search page. */
export function parseHash(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const q = text.indexOf('?');
  const path = q >= 0 ? text.slice(0, q) : text;
  const params = new URLSearchParams(q >= 0 ? text.slice(q + 1) : '');
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0) return { page: 'search', params };
  const [first, second] = parts;
  if (first === 'trace') {
    let id = '';
    try {
      id = decodeURIComponent(second ?? '');
    } catch {
      id = '';
    }
    if (parts.length === 2 && isTraceId(id)) return { page: 'trace', traceId: id, params };
    return { page: 'not-found', path, params };
  }
  if (parts.length === 1 && (PAGES as readonly string[]).includes(first!)) {
    return { page: first as Exclude<Page, 'trace'>, params };
  }
  return { page: 'not-found', path, params };
}

/** Formats a route as a hash (with the leading `#`). Empty parameters are left out. */
export function formatRoute(
  page: Page,
  params: Record<string, string | string[] | undefined> = {},
  traceId?: string,
): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) if (v !== '') q.append(key, v);
  }
  const qs = q.toString();
  const path = page === 'trace' ? `/trace/${encodeURIComponent(traceId ?? '')}` : `/${page}`;
  return `#${path}${qs ? `?${qs}` : ''}`;
}

/** Link to a trace, optionally to one span in it. */
export function traceHref(traceId: string, extra: Record<string, string | undefined> = {}): string {
  return formatRoute('trace', extra, traceId);
}
