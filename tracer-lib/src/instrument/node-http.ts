import type { ClientRequest, IncomingMessage, RequestOptions, Server, ServerResponse } from 'node:http';
import * as http from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AttributeSet } from '../attributes/attribute-set.js';
import { HttpClientAttributes, HttpServerEndpoint } from '../attributes/endpoint-attributes.js';
import { runWithTrace } from '../context.js';
import { TracerError } from '../errors.js';
import { extractTrace, HttpHeaders, injectTrace, type OutgoingTrace } from '../propagation/carrier.js';
import type { Tracer } from '../tracer.js';
import { beginClientHop, beginServerHop, endClientHop, endServerHop, errorFromThrown } from './hop.js';

/** Replies with a status at or above this are errors on OUT/REP (4xx are the caller's mistake, not a failed hop). */
const ERROR_STATUS_MIN = 500;

/** A `node:http` request listener — what `http.createServer()`, Express apps and Koa's `app.callback()` are. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Options of {@link tracedRequestListener} and {@link traceHttpServer}. */
export interface TracedHttpServerOptions {
  /**
   * The endpoint name recorded on IN/OUT. Default `"METHOD /path"` (query string left out). Pass a
   * function that maps paths with ids to their route pattern (`GET /users/:id`) to keep the number of
   * endpoints small.
   */
  endpoint?: (req: IncomingMessage) => string;
}

/**
 * Wraps a `node:http` request listener so every request records IN (on arrival) and OUT (when the
 * response has been sent, or the connection closed before that), continues the trace from
 * `X-Correlation-ID` / `traceparent`, echoes `X-Correlation-ID`, and runs the listener inside the
 * trace context: `currentTrace()` works in handlers and calls made with `tracedHttpRequest` or
 * `tracedFetch` become child spans. Works for plain servers, Express (`app`) and Koa (`app.callback()`).
 * With a disabled tracer the listener is returned unchanged.
 */
export function tracedRequestListener(
  tracer: Tracer,
  listener: RequestListener,
  options: TracedHttpServerOptions = {},
): RequestListener {
  checkTracer(tracer, 'tracedRequestListener');
  if (typeof listener !== 'function') {
    throw new TracerError('TRC_ERR_OPTIONS_INVALID', 'tracedRequestListener: listener: must be a function');
  }
  const endpointOf = endpointNamer(options, 'tracedRequestListener');
  if (!tracer.enabled) return listener;
  const attributesOf = serverAttributes(tracer);
  return (req, res) => {
    const headers = req.headers;
    const incoming =
      headers[HttpHeaders.correlationId] === undefined && headers[HttpHeaders.traceparent] === undefined
        ? undefined
        : extractTrace((name) => firstHeader(headers[name]), HttpHeaders);
    const hop = beginServerHop(tracer, incoming, endpointOf(req), attributesOf(req));
    res.setHeader(HttpHeaders.correlationId, hop.context.traceId);
    let ended = false;
    const end = (aborted: boolean): void => {
      if (ended) return;
      ended = true;
      const status = res.statusCode;
      endServerHop(
        tracer,
        hop,
        aborted
          ? { code: 'ABORTED', description: 'connection closed before the response was sent' }
          : status >= ERROR_STATUS_MIN
            ? { code: `HTTP_${status}`, description: `HTTP ${status}`, type: String(status) }
            : undefined,
        aborted ? -1 : status,
      );
    };
    res.once('finish', () => end(false));
    res.once('close', () => end(!res.writableFinished));
    runWithTrace(hop.context, () => listener(req, res));
  };
}

/**
 * Traces every request of an existing `node:http` (or `node:https`) server: the `request` listeners
 * registered so far are replaced by one {@link tracedRequestListener} that calls them in order. Call it
 * after `http.createServer(handler)` and before `listen()`. Returns the server.
 */
export function traceHttpServer<S extends Server>(tracer: Tracer, server: S, options: TracedHttpServerOptions = {}): S {
  checkTracer(tracer, 'traceHttpServer');
  const listeners = server.listeners('request') as RequestListener[];
  if (listeners.length === 0) {
    throw new TracerError(
      'TRC_ERR_OPTIONS_INVALID',
      'traceHttpServer: server: has no request listener yet (call it after http.createServer(handler))',
    );
  }
  server.removeAllListeners('request');
  const all: RequestListener = (req, res) => {
    for (const listener of listeners) listener.call(server, req, res);
  };
  server.on('request', tracedRequestListener(tracer, all, options));
  return server;
}

/** Options of {@link tracedHttpRequest}. */
export interface TracedHttpRequestOptions {
  /** The called service's name (`to` on REQ/REP). */
  to: string;
  /** The request function to wrap (`http.request` or `https.request`). Default `http.request`. */
  request?: typeof http.request;
}

/** What `http.request` accepts, plus the endpoint name to record (default `"METHOD /path"`). */
export type TracedHttpRequestArgs = RequestOptions & { endpoint?: string };

/**
 * Wraps `http.request` so every call records REQ (when the request is created) and REP (when the
 * response headers arrive, or the request fails), as a child of the current trace, and sends
 * `X-Correlation-ID`, `traceparent` and `tracestate`. The returned function takes
 * `(url)`, `(url, options)` or `(options)` and an optional response callback, like `http.request`,
 * and returns the `ClientRequest` (call `end()` on it as usual). With a disabled tracer it is the
 * plain request function.
 */
export function tracedHttpRequest(
  tracer: Tracer,
  options: TracedHttpRequestOptions,
): (
  urlOrOptions: string | URL | TracedHttpRequestArgs,
  optionsOrCallback?: TracedHttpRequestArgs | ((res: IncomingMessage) => void),
  callback?: (res: IncomingMessage) => void,
) => ClientRequest {
  checkTracer(tracer, 'tracedHttpRequest');
  if (typeof options?.to !== 'string' || options.to.length === 0) {
    throw new TracerError('TRC_ERR_OPTIONS_INVALID', 'tracedHttpRequest: to: must be the called service name');
  }
  const request = options.request ?? http.request;
  const to = options.to;
  const clientAttributes = new HttpClientAttributes(tracer.attributes);
  return (urlOrOptions, optionsOrCallback, callback) => {
    const url = typeof urlOrOptions === 'string' || urlOrOptions instanceof URL ? urlOrOptions : undefined;
    let args: TracedHttpRequestArgs = url === undefined ? (urlOrOptions as TracedHttpRequestArgs) : {};
    let onResponse = callback;
    if (typeof optionsOrCallback === 'function') onResponse = optionsOrCallback;
    else if (optionsOrCallback !== undefined) args = optionsOrCallback;
    const { endpoint, ...requestArgs } = args;
    if (!tracer.enabled) {
      return url === undefined ? request(requestArgs, onResponse) : request(url, requestArgs, onResponse);
    }
    const method = (requestArgs.method ?? 'GET').toUpperCase();
    const hop = beginClientHop(
      tracer,
      to,
      endpoint ?? `${method} ${pathOf(url, requestArgs.path)}`,
      clientAttributes.attributes(originUrl(url, requestArgs), method),
    );
    const req = url === undefined ? request(requestArgs, onResponse) : request(url, requestArgs, onResponse);
    // Headers are sent on end() or the first write(), so they can still be set here.
    const injected: [string, string][] = [];
    injectHeaders(hop.outgoing, injected);
    for (const [name, value] of injected) req.setHeader(name, value);
    let ended = false;
    const end = (error?: { code: string; description?: string; type?: string }, status = -1): void => {
      if (ended) return;
      ended = true;
      endClientHop(tracer, hop, error, status);
    };
    // REP when the response headers arrive, as tracedFetch does: the body is the caller's to read (or not).
    req.once('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      end(
        status >= ERROR_STATUS_MIN
          ? { code: `HTTP_${status}`, description: `HTTP ${status} ${res.statusMessage}`, type: String(status) }
          : undefined,
        status,
      );
    });
    req.once('error', (err) => end(errorFromThrown(err)));
    req.once('close', () => end({ code: 'ABORTED', description: 'request closed without a response' }));
    return req;
  };
}

/** Attribute sets of a traced listener's requests, one per method (and Host header); no `http.route`: the listener has no routes. */
function serverAttributes(tracer: Tracer): (req: IncomingMessage) => AttributeSet | undefined {
  const policy = tracer.attributes;
  const byMethod = new Map<string, HttpServerEndpoint>();
  return (req) => {
    if (policy.none) return undefined;
    const method = req.method ?? 'GET';
    let endpoint = byMethod.get(method);
    if (endpoint === undefined) {
      // Methods are the ones Node's HTTP parser accepts: a small, fixed set.
      endpoint = new HttpServerEndpoint(policy, method, method, undefined);
      byMethod.set(method, endpoint);
    }
    return endpoint.attributes(req.headers.host, (req.socket as TLSSocket).encrypted ? 'https' : 'http');
  };
}

/** An absolute URL naming the server of a request made with `http.request` arguments (for the attributes). */
function originUrl(url: string | URL | undefined, args: RequestOptions): string {
  if (url !== undefined) return typeof url === 'string' ? url : url.href;
  const protocol = args.protocol ?? 'http:';
  const host = args.hostname ?? args.host ?? 'localhost';
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${protocol}//${bracketed}${args.port === undefined || args.port === null ? '' : `:${args.port}`}/`;
}

function injectHeaders(outgoing: OutgoingTrace, into: [string, string][]): void {
  injectTrace((name, value) => into.push([name, value]), HttpHeaders, outgoing);
}

function checkTracer(tracer: Tracer, fn: string): void {
  if (typeof tracer?.emit !== 'function') {
    throw new TracerError('TRC_ERR_OPTIONS_INVALID', `${fn}: tracer: must be a Tracer from createTracer()`);
  }
}

function endpointNamer(options: TracedHttpServerOptions, fn: string): (req: IncomingMessage) => string {
  if (options.endpoint === undefined) return (req) => `${req.method ?? 'GET'} ${(req.url ?? '/').split('?')[0]}`;
  if (typeof options.endpoint !== 'function') {
    throw new TracerError('TRC_ERR_OPTIONS_INVALID', `${fn}: endpoint: must be a function (req) => string`);
  }
  const named = options.endpoint;
  return (req) => {
    try {
      const name = named(req);
      return typeof name === 'string' && name.length > 0 ? name : `${req.method ?? 'GET'}`;
    } catch {
      // A throwing namer must not fail the request: fall back to the method alone.
      return `${req.method ?? 'GET'}`;
    }
  };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function pathOf(url: string | URL | undefined, path: string | null | undefined): string {
  if (url !== undefined) {
    try {
      return new URL(url).pathname;
    } catch {
      return String(url).split('?')[0] ?? '/';
    }
  }
  return (path ?? '/').split('?')[0] ?? '/';
}
