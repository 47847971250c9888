/**
 * The HTTP API (fastify): the four operations as JSON routes with schema validation, and Flaki-format
 * health. Built without listening so tests use `inject()`.
 */
import {
  errorBody,
  formatValidationError,
  type HealthComponent,
  MAX_ROUTE_PARAM_LENGTH,
  shownPath,
  summarize,
} from '@phosphor/service-kit';
import { traceOf } from '@phosphor/tracer';
import { type FastifyRouteHops, fastifyRouteHops } from '@phosphor/tracer/fastify';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RouteGenericInterface,
} from 'fastify';
import { CORRELATION_HEADER, resolveCorrelationId } from '../correlation.js';
import { type IdErrorCode, isIdServiceError } from '../errors.js';
import type { IdOperations } from '../id-operations.js';
import type { DecodedId } from '../ids/flaki-layout.js';
import { elapsedMillis, requestStartMicros } from '../request-clock.js';
import type { RequestObserver } from '../request-observer.js';

declare module 'fastify' {
  interface FastifyRequest {
    correlationId: string;
    issuedIds: number;
    /** When the request started, on the request clock (request-clock.ts). */
    startedAtMicros: number;
  }
}

/** Options of {@link buildHttpApi}. */
export interface HttpApiOptions {
  operations: IdOperations;
  observer: RequestObserver;
  health: readonly HealthComponent[];
  /** Makes a fresh correlation id when the caller gave none (never throws). */
  freshCorrelationId: () => string;
  /** Counters for `GET /stats`. */
  stats: () => Record<string, unknown>;
  /**
   * Registers tracing (phosphorFastify) on the root instance, before the routes and hooks, with
   * `instrument: 'manual'` and `context: 'request'`: the handlers' wrapper records each request's hop
   * (`fastifyRouteHops`) and reads it with `traceOf(request)`.
   */
  tracing?: (app: FastifyInstance) => Promise<void>;
}

const idReply = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

/** The one error body of every Phosphor API (service-kit's ErrorBody): `{ code, message, param? }`. */
const errorReply = {
  type: 'object',
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    param: { type: 'string' },
  },
} as const;

const DECIMAL_ID_PATTERN = '^[0-9]{1,20}$';

/** Builds the fastify app (not listening). */
export async function buildHttpApi(options: HttpApiOptions): Promise<FastifyInstance> {
  const { operations, observer } = options;
  const fresh = options.freshCorrelationId;
  const app = Fastify({
    logger: false,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_ROUTE_PARAM_LENGTH },
    // Reject what the schema does not allow instead of silently stripping or coercing it.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });
  if (options.tracing) await options.tracing(app);

  app.decorateRequest('correlationId', '');
  app.decorateRequest('issuedIds', 0);
  app.decorateRequest('startedAtMicros', 0);

  /**
   * Correlation id of the request (trace id, header, or fresh), echoed on the reply (by the tracing
   * plugin when the request is traced). Throws on a bad header.
   */
  const begin = (request: FastifyRequest, reply: FastifyReply): string => {
    const trace = traceOf(request);
    request.startedAtMicros = requestStartMicros(trace);
    if (trace !== undefined) {
      request.correlationId = trace.traceId;
    } else {
      request.correlationId = resolveCorrelationId(
        undefined,
        () => request.headers[CORRELATION_HEADER],
        `header ${CORRELATION_HEADER}`,
        fresh,
      );
      reply.header(CORRELATION_HEADER, request.correlationId);
    }
    return request.correlationId;
  };

  /**
   * The tracing plugin's recorder for the route `endpoint` ("METHOD /url"): the handlers' wrapper
   * records each request's hop itself (`instrument: 'manual'`); undefined when tracing is off.
   */
  const routeHops = (endpoint: string): FastifyRouteHops | undefined => {
    const space = endpoint.indexOf(' ');
    return fastifyRouteHops(app, endpoint.slice(0, space), endpoint.slice(space + 1));
  };

  /**
   * Wraps a handler: the request's hop when traced, correlation id first, one observation (metric +
   * log) on success. Failures, including
   * schema errors raised before any handler runs, are observed by the error handler. Doing this inside
   * the handler instead of onRequest/onResponse hooks keeps fastify's fast path (no per-request hook
   * runner, no 'finish' listener).
   */
  function observed<R extends RouteGenericInterface, T>(
    endpoint: string,
    handler: (request: FastifyRequest<R>) => Promise<T> | T,
  ): (request: FastifyRequest<R>, reply: FastifyReply) => Promise<T> {
    const hops = routeHops(endpoint);
    return async (request, reply) => {
      hops?.begin(request, reply);
      const correlationId = begin(request, reply);
      const result = await handler(request);
      // OUT's timestamp is the request's end: one clock read for both.
      const endMicros = hops?.end(request, reply, result);
      observer.finished(
        'http',
        endpoint,
        correlationId,
        elapsedMillis(request.startedAtMicros, endMicros),
        'ok',
        request.issuedIds,
      );
      return result;
    };
  }

  app.setNotFoundHandler((request, reply) => {
    let correlationId: string;
    try {
      correlationId = begin(request, reply);
    } catch {
      correlationId = fresh();
      reply.header(CORRELATION_HEADER, correlationId);
    }
    const message = `no route ${request.method} ${shownPath(request.url)}`;
    observer.finished(
      'http',
      '<unmatched>',
      correlationId,
      0,
      'IDG_ERR_INPUT_INVALID',
      0,
      new Error(`IDG_ERR_INPUT_INVALID: ${message}`),
    );
    return reply.status(404).send(errorBody('IDG_ERR_INPUT_INVALID', message));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let code: IdErrorCode;
    let status: number;
    let message: string;
    let param: string | undefined;
    const invalid = formatValidationError(error);
    if (isIdServiceError(error)) {
      code = error.code;
      status = error.httpStatus;
      message = error.detail;
      param = error.field;
    } else if (invalid) {
      code = 'IDG_ERR_INPUT_INVALID';
      status = 400;
      message = invalid.message;
      param = invalid.param;
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      code = 'IDG_ERR_INPUT_INVALID';
      status = error.statusCode;
      message = error.message;
    } else {
      code = 'IDG_ERR_SERVER_INTERNAL';
      status = 500;
      message = error.message;
    }
    if (request.correlationId === '') {
      try {
        begin(request, reply);
      } catch {
        request.correlationId = fresh();
        reply.header(CORRELATION_HEADER, request.correlationId);
      }
    }
    observer.finished(
      'http',
      `${request.method} ${request.routeOptions.url ?? '<unmatched>'}`,
      request.correlationId,
      elapsedMillis(request.startedAtMicros),
      code,
      0,
      new Error(`${code}: ${message}`),
    );
    return reply.status(status).send(errorBody(code, message, param));
  });

  app.post(
    '/nextid',
    { schema: { response: { 200: idReply, '4xx': errorReply, '5xx': errorReply } } },
    observed('POST /nextid', async (request) => {
      const id = await operations.nextId();
      request.issuedIds = 1;
      return { id };
    }),
  );

  app.post(
    '/nextvalidid',
    { schema: { response: { 200: idReply, '4xx': errorReply, '5xx': errorReply } } },
    observed('POST /nextvalidid', async (request) => {
      const id = await operations.nextValidId();
      request.issuedIds = 1;
      return { id };
    }),
  );

  app.post<{ Body: { count: number; valid?: boolean } }>(
    '/ids',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['count'],
          properties: {
            count: { type: 'integer', minimum: 1, maximum: operations.maxBatchCount },
            valid: { type: 'boolean' },
          },
        },
        response: {
          200: { type: 'object', properties: { ids: { type: 'array', items: { type: 'string' } } }, required: ['ids'] },
          '4xx': errorReply,
          '5xx': errorReply,
        },
      },
    },
    observed<{ Body: { count: number; valid?: boolean } }, { ids: string[] }>('POST /ids', async (request) => {
      const ids = await operations.nextIds(request.body.count, request.body.valid ?? false, 'body.count');
      request.issuedIds = ids.length;
      return { ids };
    }),
  );

  app.get<{ Params: { id: string } }>(
    '/decode/:id',
    {
      schema: {
        params: {
          type: 'object',
          properties: { id: { type: 'string', pattern: DECIMAL_ID_PATTERN } },
          required: ['id'],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              timestamp: { type: 'string' },
              timestampMillis: { type: 'number' },
              nodeId: { type: 'integer' },
              componentId: { type: 'integer' },
              sequence: { type: 'integer' },
            },
          },
          '4xx': errorReply,
          '5xx': errorReply,
        },
      },
    },
    observed<{ Params: { id: string } }, DecodedId>('GET /decode/:id', (request) =>
      operations.decode(request.params.id, 'params.id'),
    ),
  );

  const components = new Map(options.health.map((c) => [c.name, c]));
  const componentHops = routeHops('GET /health/:component');

  app.get(
    '/health',
    observed('GET /health', async () => {
      const entries = await Promise.all(options.health.map(async (c) => [c.name, summarize(await c.check())] as const));
      return Object.fromEntries(entries);
    }),
  );

  app.get<{ Params: { component: string } }>(
    '/health/:component',
    { schema: { params: { type: 'object', properties: { component: { type: 'string', maxLength: 64 } } } } },
    async (request, reply) => {
      componentHops?.begin(request, reply);
      const correlationId = begin(request, reply);
      const component = components.get(request.params.component);
      if (component === undefined) {
        componentHops?.end(request, reply, reply);
        return reply
          .status(404)
          .send(
            errorBody(
              'IDG_ERR_INPUT_INVALID',
              `params.component: must be one of ${[...components.keys()].join(', ')}`,
              'component',
            ),
          );
      }
      const results = await component.check();
      const endMicros = componentHops?.end(request, reply, results);
      observer.finished(
        'http',
        'GET /health/:component',
        correlationId,
        elapsedMillis(request.startedAtMicros, endMicros),
        'ok',
        0,
      );
      return results;
    },
  );

  app.get(
    '/stats',
    observed('GET /stats', () => options.stats()),
  );

  return app;
}
