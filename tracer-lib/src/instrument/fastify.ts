import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  RouteHandlerMethod,
  RouteOptions,
} from 'fastify';
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
  /**
   * Where IN and OUT are recorded. `'hooks'` (default): application-wide `onRequest` + `onSend` hooks
   * record every request, whatever answered it, at the cost of fastify running both hook chains for
   * every request. `'routes'`: each route's handler is wrapped when the route is
   * registered (an `onRoute` hook) — IN as the handler starts, OUT when it settles (or, for a handler that
   * replies later through `reply.send`, or one that fails, when the response is finished, with the status
   * the error handler chose) — so fastify's per-request hook runners stay off a route's path; unmatched
   * requests (the not-found handler) are recorded by `onRequest`/`onSend` hooks given to that handler
   * only; a request failing before its handler (body parsing, validation) is recorded from the `onError`
   * hook, which runs only on errors. Routes registered before the plugin, and requests answered by the
   * application's own hooks without an error (e.g. an `onRequest` hook replying 401), are not recorded —
   * for services whose requests all reach a handler. `'manual'`: as `'routes'`, except that no handler
   * is wrapped: each route's handler records its own hop through {@link fastifyRouteHops} — for a
   * service that already wraps its handlers (metrics, logs), so a request passes one wrapper, not two,
   * and the service's duration and OUT share one clock read. Needs `context: 'request'`; routes whose
   * handlers do not record are not traced.
   */
  instrument?: FastifyInstrumentMode;
}

/** Where {@link phosphorFastify} records a request's IN and OUT (see {@link PhosphorFastifyOptions.instrument}). */
export type FastifyInstrumentMode = 'routes' | 'hooks' | 'manual';
const INSTRUMENT_MODES: readonly FastifyInstrumentMode[] = ['routes', 'hooks', 'manual'];

/** IN and OUT of one route, recorded by the application's own handler (`instrument: 'manual'`). */
export interface FastifyRouteHops {
  /**
   * Records IN: call first in the handler. Attaches the hop to the request (`traceOf(request)`) and
   * echoes X-Correlation-ID; for a request that has its hop already, returns that one.
   */
  begin(request: FastifyRequest, reply: FastifyReply): TraceContext;
  /**
   * Records OUT once the handler has `value` (before returning it), with the reply's status, and
   * returns OUT's timestamp (µs, the tracer's clock: `nowMicros()`), so a handler timing the request
   * need not read the clock again. A handler that returns nothing and replies later, or has already
   * replied, gets OUT when the response is finished; undefined then. A thrown error needs no call:
   * OUT is recorded with the error handler's reply.
   */
  end(request: FastifyRequest, reply: FastifyReply, value: unknown): number | undefined;
}
/** Decorates the instance with the factory of route recorders (`instrument: 'manual'`). */
const ROUTE_HOPS = Symbol('phosphor.fastifyRouteHops');

/**
 * The recorder of one route (`method`, `url` as registered) for `instrument: 'manual'`: made once,
 * when the route is defined, after the plugin's registration. Undefined when the plugin is not
 * registered in that mode on `app` or its ancestors, or its tracer is disabled: the handler then
 * records nothing.
 */
export function fastifyRouteHops(app: FastifyInstance, method: string, url: string): FastifyRouteHops | undefined {
  const factory = (app as unknown as Record<symbol, ((method: string, url: string) => FastifyRouteHops) | undefined>)[
    ROUTE_HOPS
  ];
  return factory?.(method, url);
}

/** Responses with a status at or above this are errors on OUT (4xx are the caller's mistake, not a failure of the hop). */
const ERROR_STATUS_MIN = 500;
/** Endpoint name for requests no route matched, so 404 scans show up as one endpoint, not one per URL. */
const UNMATCHED_ROUTE = '<unmatched>';

/** Decorates the instance the plugin is registered on, so a second registration is refused. */
const REGISTERED = Symbol('phosphor.fastifyRegistered');
/** Marks a handler this plugin wrapped (its original under the symbol), so it is never wrapped twice. */
const ORIGINAL_HANDLER = Symbol('phosphor.originalHandler');
/**
 * A request carries one property of this plugin, set at IN: its hop, which is also the trace context
 * `traceOf()` returns; the hop's other per-request state (OUT recorded, the error reported before it)
 * lives on the hop. The property is not a request decoration: fastify copies every decoration into
 * each new request with a megamorphic keyed store, where one store at IN, always from the same
 * request shape, stays monomorphic: 134 and 569 fewer instructions per traced request in two sets
 * than with the property declared as a decoration (callgrind, docs/benchmarks.md).
 */
interface TracedRequest extends FastifyRequest {
  [TRACE_KEY]?: ServerHop;
}
/** An error fastify reported for a request before its OUT: the error handler's status decides if OUT carries it. */
const THROWN = new WeakMap<ServerHop, HopError>();

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
  const instrument = options.instrument ?? 'hooks';
  if (!INSTRUMENT_MODES.includes(instrument)) {
    done(
      new TracerError(
        'TRC_ERR_OPTIONS_INVALID',
        `phosphorFastify: instrument: must be one of ${INSTRUMENT_MODES.map((m) => `'${m}'`).join(', ')} (got ${JSON.stringify(instrument)})`,
      ),
    );
    return;
  }
  if (instrument === 'manual' && mode !== 'request') {
    done(
      new TracerError(
        'TRC_ERR_OPTIONS_INVALID',
        "phosphorFastify: instrument 'manual' needs context: 'request' (the handler records the hop itself, so it cannot run inside it; it reads it with traceOf(request))",
      ),
    );
    return;
  }
  if (!tracer.enabled) {
    done();
    return;
  }

  if (app.hasDecorator(REGISTERED)) {
    // A second registration would record every hop twice (and fastify would refuse the decoration anyway).
    done(new TracerError('TRC_ERR_OPTIONS_INVALID', 'phosphorFastify: already registered on this fastify instance'));
    return;
  }
  app.decorate(REGISTERED, true);

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
  /** Records IN for `request` through `endpoint` and attaches the hop to the request (and the reply's header). */
  const begin = (request: TracedRequest, reply: FastifyReply, endpoint: HttpServerEndpoint): ServerHop => {
    const headers = request.headers;
    // Most requests to a trace root carry neither header that names a trace (tracestate alone names
    // none): skip the parser (and its closure) then.
    const incoming =
      headers[HttpHeaders.correlationId] === undefined && headers[HttpHeaders.traceparent] === undefined
        ? undefined
        : extractTrace((name) => readHeader(headers, name), HttpHeaders);
    const attributes = policy.none ? undefined : endpoint.attributes(headers.host, request.protocol);
    const hop = beginServerHop(tracer, incoming, endpoint.endpoint, attributes);
    request[TRACE_KEY] = hop;
    reply.header(HttpHeaders.correlationId, hop.context.traceId);
    return hop;
  };
  /**
   * Records OUT with the reply's status, once per request (a second call does nothing); returns
   * OUT's timestamp when recorded now.
   */
  const end = (request: TracedRequest, reply: FastifyReply): number | undefined => {
    const hop = request[TRACE_KEY];
    // No hop yet, or its OUT is recorded (a recorded end time is never 0).
    if (hop == null || hop.endMicros !== 0) return undefined;
    const status = reply.statusCode;
    let error: HopError | undefined;
    if (status >= ERROR_STATUS_MIN) {
      const thrown = THROWN.get(hop);
      error = {
        code: thrown?.code ?? `HTTP_${status}`,
        description: thrown?.description ?? `HTTP ${status}`,
        type: String(status),
      };
    }
    endServerHop(tracer, hop, error, status);
    return hop.endMicros;
  };
  /**
   * Records OUT when the response is finished (or the connection closes first): for replies whose
   * status is decided after the handler (an error handler's, a `reply.send` called later). One
   * listener pair per such request; the handlers' ordinary return path needs none.
   */
  const endWhenSent = (request: TracedRequest, reply: FastifyReply): void => {
    const raw = reply.raw;
    const onDone = (): void => {
      raw.removeListener('finish', onDone);
      raw.removeListener('close', onDone);
      end(request, reply);
    };
    raw.on('finish', onDone);
    raw.on('close', onDone);
  };

  app.addHook('onError', (request: TracedRequest, reply, error: FastifyError, next) => {
    let hop = request[TRACE_KEY];
    // Failed before its handler recorded IN (body parsing, validation, an application hook): the
    // request still gets its hop, from here to the error handler's reply.
    if (instrument !== 'hooks' && hop == null) {
      hop = begin(request, reply, endpointOf(request));
      endWhenSent(request, reply);
    } else if (instrument === 'manual' && hop != null && hop.endMicros === 0) {
      // A manual handler that threw left OUT unrecorded: the error handler's reply ends it.
      endWhenSent(request, reply);
    }
    if (hop != null) THROWN.set(hop, { code: error.code ?? error.name, description: error.message });
    next();
  });

  /** IN for the hook-based paths. Continuing the hook chain inside the context makes the handler see it. */
  const onRequest = (request: TracedRequest, reply: FastifyReply, next: () => void): void => {
    const hop = begin(request, reply, endpointOf(request));
    if (useAsyncLocalStorage) runWithTrace(hop.context, next);
    else next();
  };
  /** OUT for the hook-based paths, just before the reply is sent. */
  const onSend = (
    request: TracedRequest,
    reply: FastifyReply,
    payload: unknown,
    next: (error: null, payload: unknown) => void,
  ): void => {
    end(request, reply);
    next(null, payload);
  };

  if (instrument === 'hooks') {
    app.addHook('onRequest', onRequest);
    app.addHook('onSend', onSend);
    done();
    return;
  }

  /** OUT for a handler that settled with `value`: now, or once the reply it sends later is finished. */
  const settle = (request: TracedRequest, reply: FastifyReply, value: unknown): number | undefined => {
    if (reply.sent || (value !== undefined && value !== reply)) return end(request, reply);
    endWhenSent(request, reply);
    return undefined;
  };
  if (instrument === 'manual') {
    app.decorate(ROUTE_HOPS, (method: string, url: string): FastifyRouteHops => {
      const endpoint = lookupEndpoint(url, method);
      return {
        begin: (request: TracedRequest, reply) => request[TRACE_KEY] ?? begin(request, reply, endpoint),
        end: settle,
      };
    });
  } else {
    app.addHook('onRoute', (route: RouteOptions) => {
      const handler = route.handler as RouteHandlerMethod & { [ORIGINAL_HANDLER]?: RouteHandlerMethod };
      if (typeof handler !== 'function') return;
      route.handler = wrapHandler(handler[ORIGINAL_HANDLER] ?? handler, route);
    });
  }
  // Unmatched requests: the not-found handler (fastify's default, or the application's, set before or
  // after this plugin) gets the hook pair as its own hooks, so no route pays for them.
  const notFoundHooks = { onRequest: [onRequest], onSend: [onSend] };
  // Typed with preValidation/preHandler options only; fastify 5 takes every lifecycle hook there
  // (the not-found context's hooks are the instance's plus the options').
  const setNotFoundHandler = app.setNotFoundHandler as unknown as (
    this: FastifyInstance,
    opts?: unknown,
    handler?: unknown,
  ) => FastifyInstance;
  const tracedSetNotFoundHandler = function (this: FastifyInstance, opts?: unknown, handler?: unknown) {
    if (typeof opts === 'function') return setNotFoundHandler.call(this, notFoundHooks, opts);
    const given = (opts ?? {}) as Record<string, unknown>;
    const merged = {
      ...given,
      onRequest: [onRequest, ...hookList(given.onRequest)],
      onSend: [onSend, ...hookList(given.onSend)],
    };
    return handler === undefined
      ? setNotFoundHandler.call(this, merged)
      : setNotFoundHandler.call(this, merged, handler);
  };
  // Encapsulated children inherit the instance's methods through their prototype, so their
  // not-found handlers are traced too.
  app.setNotFoundHandler = tracedSetNotFoundHandler as FastifyInstance['setNotFoundHandler'];
  // Fastify's default handler, with the hooks: the application may still set its own afterwards.
  setNotFoundHandler.call(app, notFoundHooks);

  /**
   * The route's handler with IN before it and OUT when it settles: returned a value (fastify sends it
   * now, with the status the handler set) or has already sent the reply. A handler that returns nothing
   * and replies later, or throws, gets OUT when the response is finished.
   */
  function wrapHandler(handler: RouteHandlerMethod, route: RouteOptions): RouteHandlerMethod {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const single = methods.length === 1 ? lookupEndpoint(route.url, methods[0] as string) : undefined;
    const settler: HandlerSettler = { settled: settle, failed: endWhenSent };
    const wrapped = function (this: FastifyInstance, request: TracedRequest, reply: FastifyReply): unknown {
      const hop = begin(request, reply, single ?? lookupEndpoint(route.url, request.method));
      let result: unknown;
      try {
        result = useAsyncLocalStorage
          ? runWithTrace(hop.context, () => handler.call(this, request, reply))
          : handler.call(this, request, reply);
      } catch (error) {
        endWhenSent(request, reply);
        throw error;
      }
      if (
        result !== null &&
        typeof result === 'object' &&
        typeof (result as PromiseLike<unknown>).then === 'function'
      ) {
        return new SettlingResult(result as PromiseLike<unknown>, request, reply, settler);
      }
      settler.settled(request, reply, result);
      return result;
    } as RouteHandlerMethod & { [ORIGINAL_HANDLER]?: RouteHandlerMethod };
    wrapped[ORIGINAL_HANDLER] = handler;
    return wrapped;
  }

  done();
};

/** What a wrapped route does when its handler's promise settles: record OUT now, or once the reply is sent. */
interface HandlerSettler {
  settled(request: TracedRequest, reply: FastifyReply, value: unknown): number | undefined;
  failed(request: TracedRequest, reply: FastifyReply): void;
}

/**
 * What a wrapped route returns for a handler's promise: a promise-like that records OUT in the same
 * reaction that hands the value to whoever awaits it (fastify), just before them. A reaction of the
 * plugin's own beside fastify's would cost a second reaction, a derived promise and a microtask per
 * request (≈ 25 ns more, docs/benchmarks.md). Settling twice (two `then` calls) records OUT once.
 */
class SettlingResult<T> implements PromiseLike<T> {
  private readonly promise: PromiseLike<T>;
  private readonly request: TracedRequest;
  private readonly reply: FastifyReply;
  private readonly settler: HandlerSettler;

  constructor(promise: PromiseLike<T>, request: TracedRequest, reply: FastifyReply, settler: HandlerSettler) {
    this.promise = promise;
    this.request = request;
    this.reply = reply;
    this.settler = settler;
  }

  // biome-ignore lint/suspicious/noThenProperty: this object stands for the handler's promise.
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    const { request, reply, settler } = this;
    return this.promise.then(
      (value) => {
        settler.settled(request, reply, value);
        return onFulfilled ? onFulfilled(value) : (value as unknown as R1);
      },
      (reason: unknown) => {
        settler.failed(request, reply);
        if (onRejected) return onRejected(reason);
        throw reason;
      },
    );
  }

  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): PromiseLike<T | R> {
    return this.then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return Promise.resolve(this).finally(onFinally);
  }
}

/** A hook option (one function, a list, or absent) as a list. */
function hookList(hooks: unknown): unknown[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}

/**
 * Fastify plugin: `app.register(phosphorFastify, { tracer, context?, instrument? })`. For every request
 * it records IN (on arrival, or as the route's handler starts with `instrument: 'routes'`) and OUT
 * (just before the reply is sent, or when the handler settles with `'routes'`, with the handler duration
 * and, for status >= 500, an error code — the thrown error's when there was one), with endpoint
 * `"METHOD /route/pattern"`; see {@link PhosphorFastifyOptions.instrument}. It continues the trace from `X-Correlation-ID` / `traceparent` (starting one
 * when neither is present), echoes `X-Correlation-ID` on the reply, and attaches the hop's context to
 * the request (`traceOf(request)`). With `context: 'asyncLocalStorage'` (default) the handler also runs
 * inside the trace context, so `currentTrace()` works and outgoing calls made there become child spans;
 * with `context: 'request'` AsyncLocalStorage is not used at all. With a disabled tracer it does nothing.
 */
export const phosphorFastify = markFastifyPlugin(plugin, { name: '@phosphor/tracer-fastify', fastify: '5.x' });
