import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { HttpServerEndpoint } from '../attributes/endpoint-attributes.js';
import { CONTEXT_MODES, type ContextMode, runWithTrace, TRACE_KEY, type TraceContext } from '../context.js';
import { TracerError } from '../errors.js';
import { extractTrace, HttpHeaders } from '../propagation/carrier.js';
import type { Tracer } from '../tracer.js';
import { markFastifyPlugin } from './fastify-plugin-meta.js';
import { beginServerHop, clipName, endServerHop, type HopError, type ServerHop } from './hop.js';

/** Options of {@link phosphorFastify}. */
export interface PhosphorFastifyOptions {
  tracer: Tracer;
  /**
   * How handlers reach the hop's context (see {@link ContextMode}). Default `'asyncLocalStorage'`:
   * `currentTrace()` works in handlers and outgoing calls become child spans. `'request'`: only
   * `traceOf(request)`, no AsyncLocalStorage — for services that make no traced outgoing calls.
   */
  context?: ContextMode;
}

/** Responses with a status at or above this are errors on OUT (4xx are the caller's mistake, not a failure of the hop). */
const ERROR_STATUS_MIN = 500;
/** Endpoint name for requests no route matched, so 404 scans show up as one endpoint, not one per URL. */
const UNMATCHED_ROUTE = '<unmatched>';

const HOP = Symbol('phosphor.hop');
const ERROR = Symbol('phosphor.error');
interface TracedRequest extends FastifyRequest {
  [HOP]?: ServerHop | null;
  [ERROR]?: HopError | null;
  [TRACE_KEY]?: TraceContext | null;
}

const plugin: FastifyPluginCallback<PhosphorFastifyOptions> = (app, options, done) => {
  const tracer = options?.tracer;
  if (typeof tracer?.emit !== 'function') {
    done(new TracerError('TRC_ERR_OPTIONS_INVALID', 'phosphorFastify: tracer: must be a Tracer from createTracer()'));
    return;
  }
  const mode = options.context ?? 'asyncLocalStorage';
  if (!CONTEXT_MODES.includes(mode)) {
    done(
      new TracerError(
        'TRC_ERR_OPTIONS_INVALID',
        `phosphorFastify: context: must be one of ${CONTEXT_MODES.map((m) => `'${m}'`).join(', ')} (got ${JSON.stringify(mode)})`,
      ),
    );
    return;
  }
  if (!tracer.enabled) {
    done();
    return;
  }

  if (app.hasRequestDecorator(HOP)) {
    // A second registration would record every hop twice (and fastify would refuse the decorators anyway).
    done(new TracerError('TRC_ERR_OPTIONS_INVALID', 'phosphorFastify: already registered on this fastify instance'));
    return;
  }
  // Declared up front so every request object has the same shape (no per-request hidden-class transitions).
  app.decorateRequest(HOP, null);
  app.decorateRequest(ERROR, null);
  app.decorateRequest(TRACE_KEY, null);

  const useAsyncLocalStorage = mode === 'asyncLocalStorage';
  // One endpoint per (route pattern, method), made once: no concatenation per request, the encoder
  // recognises a repeated endpoint string by identity, and its attribute sets are prebuilt. Bounded:
  // route patterns are the app's routes, methods are the ones Node's HTTP parser accepts.
  const endpoints = new Map<string, Map<string, HttpServerEndpoint>>();
  const policy = tracer.attributes;
  // The last endpoint found: a service's traffic mostly repeats a route, and the pattern and method
  // strings of one route are the same strings on every request, so this usually skips both maps.
  let lastPattern: string | undefined;
  let lastMethod = '';
  let lastEndpoint: HttpServerEndpoint | undefined;
  const endpointOf = (request: FastifyRequest): HttpServerEndpoint => {
    const pattern = request.routeOptions.url;
    const method = request.method;
    if (lastEndpoint !== undefined && pattern === lastPattern && method === lastMethod) return lastEndpoint;
    const endpoint = lookupEndpoint(pattern, method);
    lastPattern = pattern;
    lastMethod = method;
    lastEndpoint = endpoint;
    return endpoint;
  };
  const lookupEndpoint = (pattern: string | undefined, method: string): HttpServerEndpoint => {
    const route = pattern ?? UNMATCHED_ROUTE;
    let byMethod = endpoints.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      endpoints.set(route, byMethod);
    }
    let endpoint = byMethod.get(method);
    if (endpoint === undefined) {
      endpoint = new HttpServerEndpoint(policy, clipName(`${method} ${route}`), method, pattern);
      byMethod.set(method, endpoint);
    }
    return endpoint;
  };
  const readHeader = (headers: FastifyRequest['headers'], name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  app.addHook('onRequest', (request: TracedRequest, reply, next) => {
    const headers = request.headers;
    // Most requests to a trace root carry neither header that names a trace (tracestate alone names
    // none): skip the parser (and its closure) then.
    const incoming =
      headers[HttpHeaders.correlationId] === undefined && headers[HttpHeaders.traceparent] === undefined
        ? undefined
        : extractTrace((name) => readHeader(headers, name), HttpHeaders);
    const endpoint = endpointOf(request);
    const attributes = policy.none ? undefined : endpoint.attributes(headers.host, request.protocol);
    const hop = beginServerHop(tracer, incoming, endpoint.endpoint, attributes);
    request[HOP] = hop;
    request[TRACE_KEY] = hop.context;
    reply.header(HttpHeaders.correlationId, hop.context.traceId);
    // Continuing the hook chain inside the context makes the handler (and all it awaits) see it.
    if (useAsyncLocalStorage) runWithTrace(hop.context, next);
    else next();
  });

  app.addHook('onError', (request: TracedRequest, _reply, error, next) => {
    request[ERROR] = { code: error.code ?? error.name, description: error.message };
    next();
  });

  app.addHook('onSend', (request: TracedRequest, reply, payload, next) => {
    const hop = request[HOP];
    if (hop != null) {
      // Cleared so a second send (e.g. a reply sent from an error handler after onSend failed) records no second OUT.
      request[HOP] = null;
      const status = reply.statusCode;
      const thrown = request[ERROR];
      const error =
        status >= ERROR_STATUS_MIN
          ? {
              code: thrown?.code ?? `HTTP_${status}`,
              description: thrown?.description ?? `HTTP ${status}`,
              type: String(status),
            }
          : undefined;
      endServerHop(tracer, hop, error, status);
    }
    next(null, payload);
  });

  done();
};

/**
 * Fastify plugin: `app.register(phosphorFastify, { tracer, context? })`. For every request it
 * records IN (on arrival) and OUT (just before the reply is sent, with the handler duration and,
 * for status >= 500 or a thrown error, an error code), with endpoint `"METHOD /route/pattern"`.
 * It continues the trace from `X-Correlation-ID` / `traceparent` (starting one when neither is
 * present), echoes `X-Correlation-ID` on the reply, and attaches the hop's context to the request
 * (`traceOf(request)`). With `context: 'asyncLocalStorage'` (default) the handler also runs inside
 * the trace context, so `currentTrace()` works and outgoing calls made there become child spans;
 * with `context: 'request'` AsyncLocalStorage is not used at all. With a disabled tracer it does nothing.
 */
export const phosphorFastify = markFastifyPlugin(plugin, { name: '@phosphor/tracer-fastify', fastify: '5.x' });
