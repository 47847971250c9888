import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../api-deps.js';

/**
 * GET /api/cluster: this collector's role and every cluster member with its lag and loss (from the
 * members' status records, see cluster/cluster-view.ts). For `role: all` the list is empty.
 */
export function registerClusterRoute(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/api/cluster',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: {} } } },
    async () => {
      const members = deps.cluster?.list() ?? [];
      const up = members.filter((m) => m.state === 'up');
      const sum = (role: string, key: string) =>
        up.filter((m) => m.role === role).reduce((n, m) => n + (m.summary[key] ?? 0), 0);
      return {
        role: deps.config.role,
        member: deps.config.role === 'all' ? null : deps.config.kafka.memberName,
        members,
        totals: {
          receivers: up.filter((m) => m.role === 'receiver').length,
          assemblers: up.filter((m) => m.role === 'assembler').length,
          acceptedEvents: sum('receiver', 'acceptedEvents'),
          producedEvents: sum('receiver', 'producedEvents'),
          droppedEvents: sum('receiver', 'droppedEvents'),
          consumedEvents: sum('assembler', 'consumedEvents'),
          lag: sum('assembler', 'lag'),
        },
      };
    },
  );
}
