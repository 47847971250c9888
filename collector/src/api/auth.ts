import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './error-handler.js';

/**
 * With a bearer token configured, /api/* and /metrics require `Authorization: Bearer <token>`.
 * `GET /api/tail` also accepts `?access_token=<token>` because browsers' EventSource cannot set
 * headers. /health and the dashboard files stay open (they reveal nothing about traces).
 */
export function installBearerAuth(app: FastifyInstance, token: string | undefined): void {
  if (!token) return;
  const expected = Buffer.from(token, 'utf8');
  const check = (given: string | undefined) => {
    if (given === undefined) return false;
    const buf = Buffer.from(given, 'utf8');
    return buf.length === expected.length && timingSafeEqual(buf, expected);
  };
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    if (!path.startsWith('/api/') && path !== '/api' && path !== '/metrics') return;
    const header = request.headers.authorization;
    const fromHeader = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    let ok = check(fromHeader);
    if (!ok && path === '/api/tail') {
      const query = new URLSearchParams(request.url.slice(path.length + 1));
      ok = check(query.get('access_token') ?? undefined);
    }
    if (!ok) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(errorBody('COL_ERR_API_UNAUTHORIZED', 'missing or wrong bearer token'));
    }
  });
}
