import type { FastifyInstance } from 'fastify';
import { CollectorError } from '../../errors.js';
import type { ApiDeps } from '../api-deps.js';

/** GET /api/services, /api/aggregates, /api/dependencies, /api/stats. */
export function registerLiveStatsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const labels = deps.aggregates.windowLabels();
  const noQuery = { querystring: { type: 'object', additionalProperties: false, properties: {} } };

  app.get('/api/services', { schema: noQuery }, async () => ({ services: await deps.aggregates.services() }));

  app.get<{ Querystring: { window: string } }>(
    '/api/aggregates',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { window: { type: 'string', enum: labels, default: labels[0] } },
        },
      },
    },
    async (request) => {
      const minutes = Number.parseInt(request.query.window, 10);
      const snapshot = await deps.aggregates.snapshot(minutes);
      if (!snapshot)
        throw new CollectorError('COL_ERR_API_BAD_PARAM', `window: must be one of ${labels.join(', ')}`, 'window');
      return snapshot;
    },
  );

  app.get('/api/dependencies', { schema: noQuery }, async () => deps.aggregates.dependencies());

  app.get('/api/stats', { schema: noQuery }, async () => deps.stats());
}
