/**
 * The HTTP API (fastify): the four operations as JSON routes with schema validation, and Flaki-format
 * health. Built without listening so tests use `inject()`.
 */
import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { CORRELATION_HEADER, resolveCorrelationId } from '../correlation.js';
import { isIdServiceError } from '../errors.js';
import type { HealthComponent } from '../health/health-check.js';
import { summarize } from '../health/health-check.js';
import type { IdOperations } from '../id-operations.js';
import type { RequestObserver } from '../request-observer.js';

declare module 'fastify' {
  interface FastifyRequest {
    correlationId: string;
    issuedIds: number;
    startedAtMillis: number;
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
  /** Registers tracing (phosphorFastify) on the root instance, before the routes and hooks. */
  tracing?: (app: FastifyInstance) => Promise<void>;
}

const idReply = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

const errorReply = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
  },
} as const;

const DECIMAL_ID_PATTERN = '^[0-9]{1,20}$';

/** Builds the fastify app (not listening). */
export async function buildHttpApi(options: HttpApiOptions): Promise<FastifyInstance> {
  const { operations, observer } = options;
  const app = Fastify({
    logger: false,
    return503OnClosing: true,
    // Reject what the schema does not allow instead of silently stripping or coercing it.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });
  if (options.tracing) await options.tracing(app);

  app.decorateRequest('correlationId', '');
  app.decorateRequest('issuedIds', 0);
  app.decorateRequest('startedAtMillis', 0);

  // Callback-style hooks: they run on every request, and async hooks cost a promise each.
  app.addHook('onRequest', (request, reply, done) => {
    request.startedAtMillis = performance.now();
    try {
      request.correlationId = resolveCorrelationId(
        request.headers[CORRELATION_HEADER],
        `header ${CORRELATION_HEADER}`,
        options.freshCorrelationId,
      );
    } catch (error) {
      request.correlationId = options.freshCorrelationId();
      reply.header(CORRELATION_HEADER, request.correlationId);
      done(error as Error);
      return;
    }
    reply.header(CORRELATION_HEADER, request.correlationId);
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const endpoint = `${request.method} ${request.routeOptions.url ?? 'unknown'}`;
    const failed = reply.statusCode >= 400;
    const error = failed ? (reply as unknown as { idError?: Error }).idError : undefined;
    observer.finished(
      'http',
      endpoint,
      request.correlationId,
      performance.now() - request.startedAtMillis,
      failed ? ((error as { code?: string } | undefined)?.code ?? `HTTP_${reply.statusCode}`) : 'ok',
      request.issuedIds,
      failed ? (error ?? new Error(`HTTP ${reply.statusCode}`)) : undefined,
    );
    done();
  });

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    let code: string;
    let status: number;
    let message: string;
    if (isIdServiceError(error)) {
      code = error.code;
      status = error.httpStatus;
      message = error.message;
    } else if (error.validation) {
      code = 'IDG_ERR_INPUT_INVALID';
      status = 400;
      const where = error.validationContext ?? 'request';
      message = `IDG_ERR_INPUT_INVALID: ${error.validation
        .map((v) => `${where}${v.instancePath.replaceAll('/', '.')} ${v.message ?? 'is invalid'}`)
        .join('; ')}`;
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      code = 'IDG_ERR_INPUT_INVALID';
      status = error.statusCode;
      message = `IDG_ERR_INPUT_INVALID: ${error.message}`;
    } else {
      code = 'IDG_ERR_SERVER_INTERNAL';
      status = 500;
      message = `IDG_ERR_SERVER_INTERNAL: ${error.message}`;
    }
    (reply as unknown as { idError?: Error }).idError = Object.assign(new Error(message), { code });
    return reply.status(status).send({ statusCode: status, code, error: STATUS_CODES[status] ?? 'Error', message });
  });

  app.post('/nextid', { schema: { response: { 200: idReply, '4xx': errorReply, '5xx': errorReply } } }, async (request) => {
    const id = await operations.nextId();
    request.issuedIds = 1;
    return { id };
  });

  app.post('/nextvalidid', { schema: { response: { 200: idReply, '4xx': errorReply, '5xx': errorReply } } }, async (request) => {
    const id = await operations.nextValidId();
    request.issuedIds = 1;
    return { id };
  });

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
    async (request) => {
      const ids = await operations.nextIds(request.body.count, request.body.valid ?? false, 'body.count');
      request.issuedIds = ids.length;
      return { ids };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/decode/:id',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: DECIMAL_ID_PATTERN } }, required: ['id'] },
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
    async (request) => operations.decode(request.params.id, 'params.id'),
  );

  const components = new Map(options.health.map((c) => [c.name, c]));

  app.get('/health', async () => {
    const entries = await Promise.all(options.health.map(async (c) => [c.name, summarize(await c.check())] as const));
    return Object.fromEntries(entries);
  });

  app.get<{ Params: { component: string } }>(
    '/health/:component',
    { schema: { params: { type: 'object', properties: { component: { type: 'string', maxLength: 64 } } } } },
    async (request, reply) => {
      const component = components.get(request.params.component);
      if (component === undefined) {
        return reply.status(404).send({
          statusCode: 404,
          code: 'IDG_ERR_INPUT_INVALID',
          error: 'Not Found',
          message: `IDG_ERR_INPUT_INVALID: params.component must be one of ${[...components.keys()].join(', ')}`,
        });
      }
      return component.check();
    },
  );

  app.get('/stats', async () => options.stats());

  return app;
}
