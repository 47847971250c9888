import { HttpClientAttributes } from '../attributes/endpoint-attributes.js';
import { TracerError } from '../errors.js';
import { HttpHeaders, injectTrace } from '../propagation/carrier.js';
import type { Tracer } from '../tracer.js';
import { beginClientHop, endClientHop, errorFromThrown } from './hop.js';

/** Options of {@link tracedFetch}. */
export interface TracedFetchOptions {
  /** The called service's name (`to` on REQ/REP). */
  to: string;
  /** The fetch to wrap. Default: the global `fetch`. */
  fetch?: typeof fetch;
}

/** `RequestInit` plus the endpoint name to record (default `"METHOD /path"`). */
export type TracedRequestInit = RequestInit & { endpoint?: string };

/** Replies with a status at or above this are errors on REP, as on the server's OUT. */
const ERROR_STATUS_MIN = 500;

/**
 * Wraps `fetch` so every call records REQ (before sending) and REP (when the response headers
 * arrive, or the call fails) as a child of the current trace, and sends `X-Correlation-ID`,
 * `traceparent` and `tracestate`. Failures are rethrown unchanged; status >= 500 and thrown errors
 * put an error code on REP. With a disabled tracer the original fetch is returned.
 */
export function tracedFetch(
  tracer: Tracer,
  options: TracedFetchOptions,
): (url: string | URL | Request, init?: TracedRequestInit) => Promise<Response> {
  if (typeof options?.to !== 'string' || options.to.length === 0) {
    throw new TracerError('TRC_ERR_OPTIONS_INVALID', 'tracedFetch: to: must be the called service name');
  }
  const baseFetch = options.fetch ?? globalThis.fetch;
  if (!tracer.enabled) return (url, init) => baseFetch(url, init);
  const to = options.to;
  const attributeSets = new HttpClientAttributes(tracer.attributes);
  return async (url, init) => {
    const request = url instanceof Request ? url : undefined;
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const href = request ? request.url : typeof url === 'string' ? url : (url as URL).href;
    const endpoint = init?.endpoint ?? `${method} ${pathOf(href)}`;
    const hop = beginClientHop(tracer, to, endpoint, attributeSets.attributes(href, method));
    const headers = new Headers(init?.headers ?? request?.headers);
    injectTrace((name, value) => headers.set(name, value), HttpHeaders, hop.outgoing);
    const { endpoint: _endpoint, ...fetchInit } = init ?? {};
    let response: Response;
    try {
      response = await baseFetch(url, { ...fetchInit, headers });
    } catch (err) {
      endClientHop(tracer, hop, errorFromThrown(err));
      throw err;
    }
    const status = response.status;
    endClientHop(
      tracer,
      hop,
      status >= ERROR_STATUS_MIN
        ? { code: `HTTP_${status}`, description: `HTTP ${status} ${response.statusText}`, type: String(status) }
        : undefined,
      status,
    );
    return response;
  };
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return String(url).split('?')[0] ?? '';
  }
}
