import { MAX_NAME_LENGTH } from '@phosphor/wire';
import type { FastifyInstance } from 'fastify';
import { CollectorError } from '../../errors.js';
import type { TailFilter } from '../../tail/tail-hub.js';
import type { ApiDeps } from '../api-deps.js';

/** GET /api/tail: Server-Sent Events, one `span` event per finished (or updated) span. */
export function registerTailRoute(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: { service?: string; error?: boolean; access_token?: string } }>(
    '/api/tail',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            service: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH },
            error: { type: 'boolean' },
            access_token: { type: 'string', maxLength: 1024 },
          },
        },
      },
    },
    async (request, reply) => {
      if (!deps.tail.canAccept()) {
        throw new CollectorError('COL_ERR_API_TAIL_FULL', `tail.maxClients (${deps.config.tail.maxClients}) reached`);
      }
      const filter: TailFilter = {};
      if (request.query.service !== undefined) filter.service = request.query.service;
      if (request.query.error !== undefined) filter.error = request.query.error;
      // The stream outlives this handler: fastify must not send a reply of its own.
      reply.hijack();
      deps.tail.subscribe(reply.raw, filter);
    },
  );
}
