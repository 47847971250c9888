import type { FastifyInstance } from 'fastify';
import { CollectorError } from '../../errors.js';
import type { ApiDeps } from '../api-deps.js';

/** GET /health (component → status) and GET /health/:component (its tests), Flaki format. */
export function registerHealthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/health', async () => {
    const all = await deps.health();
    return Object.fromEntries(Object.entries(all).map(([name, h]) => [name, h.status]));
  });
  app.get<{ Params: { component: string } }>(
    '/health/:component',
    {
      schema: {
        params: {
          type: 'object',
          properties: { component: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' } },
          required: ['component'],
        },
      },
    },
    async (request) => {
      const all = await deps.health();
      const component = all[request.params.component];
      if (!component) {
        throw new CollectorError(
          'COL_ERR_API_UNKNOWN_COMPONENT',
          `component: "${request.params.component}" is not one of ${Object.keys(all).join(', ')}`,
          'component',
        );
      }
      return component.tests;
    },
  );
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.registry.contentType);
    return deps.registry.metrics();
  });
}
