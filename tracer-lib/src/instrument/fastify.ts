import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { runWithTrace } from '../context.js';
import { TracerError } from '../errors.js';
import { extractTrace, HttpHeaders } from '../propagation/carrier.js';
import type { Tracer } from '../tracer.js';
import { beginServerHop, endServerHop, type HopError, type ServerHop } from './hop.js';

/** Options of {@link phosphorFastify}. */
export interface PhosphorFastifyOptions {
  tracer: Tracer;
}

/** Responses with a status at or above this are errors on OUT (4xx are the caller's mistake, not a failure of the hop). */
const ERROR_STATUS_MIN = 500;
/** Endpoint name for requests no route matched, so 404 scans show up as one endpoint, not one per URL. */
const UNMATCHED_ROUTE = '<unmatched>';

const HOP = Symbol('phosphor.hop');
const ERROR = Symbol('phosphor.error');
interface TracedRequest extends FastifyRequest {
  [HOP]?: ServerHop;
  [ERROR]?: HopError;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const plugin: FastifyPluginCallback<PhosphorFastifyOptions> = (app, options, done) => {
  const tracer = options?.tracer;
  if (typeof tracer?.emit !== 'function') {
    done(new TracerError('TRC_ERR_OPTIONS_INVALID', 'phosphorFastify: tracer: must be a Tracer from createTracer()'));
    return;
  }
  if (!tracer.enabled) {
    done();
    return;
  }

  app.addHook('onRequest', (request: TracedRequest, reply, next) => {
    const incoming = extractTrace((name) => header(request, name), HttpHeaders);
    const endpoint = `${request.method} ${request.routeOptions.url ?? UNMATCHED_ROUTE}`;
    const hop = beginServerHop(tracer, incoming, endpoint);
    request[HOP] = hop;
    reply.header(HttpHeaders.correlationId, hop.context.traceId);
    // Continuing the hook chain inside the context makes the handler (and all it awaits) see it.
    runWithTrace(hop.context, next);
  });

  app.addHook('onError', (request: TracedRequest, _reply, error, next) => {
    request[ERROR] = { code: error.code ?? error.name, description: error.message };
    next();
  });

  app.addHook('onSend', (request: TracedRequest, reply, payload, next) => {
    const hop = request[HOP];
    if (hop !== undefined) {
      request[HOP] = undefined;
      const status = reply.statusCode;
      const error =
        status >= ERROR_STATUS_MIN
          ? {
              code: request[ERROR]?.code ?? `HTTP_${status}`,
              description: request[ERROR]?.description ?? `HTTP ${status}`,
            }
          : undefined;
      endServerHop(tracer, hop, error);
    }
    next(null, payload);
  });

  done();
};

/**
 * Fastify plugin: `app.register(phosphorFastify, { tracer })`. For every request it records IN
 * (on arrival) and OUT (just before the reply is sent, with the handler duration and, for status
 * >= 500 or a thrown error, an error code), with endpoint `"METHOD /route/pattern"`. It continues
 * the trace from `X-Correlation-ID` / `traceparent` (starting one when neither is present), echoes
 * `X-Correlation-ID` on the reply, and runs the handler inside the trace context so outgoing calls
 * made there become child spans. With a disabled tracer it does nothing.
 */
export const phosphorFastify = fp(plugin, { name: '@phosphor/tracer-fastify', fastify: '5.x' });
