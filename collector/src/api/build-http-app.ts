import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { MAX_ROUTE_PARAM_LENGTH, shownPath } from '@phosphor/service-kit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { ApiDeps } from './api-deps.js';
import { installBearerAuth } from './auth.js';
import { errorBody, installErrorHandler } from './error-handler.js';
import { registerClusterRoute } from './routes/cluster.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerLiveStatsRoutes } from './routes/live-stats.js';
import { registerTailRoute } from './routes/tail.js';
import { registerTraceRoutes } from './routes/traces.js';

/** Paths that are API, never dashboard pages: unknown ones get a JSON 404, not index.html. */
const API_PREFIXES = ['/api', '/health', '/metrics'];

/**
 * Builds the fastify app (API, health, metrics, dashboard files) without listening, so tests
 * call it with `app.inject()`.
 */
export async function buildHttpApp(deps: ApiDeps, logger: Logger): Promise<FastifyInstance> {
  const { http, dashboard } = deps.config;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One log line per request would flood the log under dashboard polling; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: http.bodyLimitBytes,
    routerOptions: { maxParamLength: MAX_ROUTE_PARAM_LENGTH },
    // Unknown query parameters are errors naming the parameter, not silently removed.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  installErrorHandler(app);
  app.addHook('onRequest', async (request, reply) => {
    const q = request.url.indexOf('?');
    if (q >= 0 && request.url.length - q - 1 > http.maxQueryStringBytes) {
      return reply
        .code(414)
        .send(errorBody('COL_ERR_API_QUERY_TOO_LONG', `query string longer than ${http.maxQueryStringBytes} bytes`));
    }
  });
  installBearerAuth(app, http.bearerToken);
  registerTraceRoutes(app, deps);
  registerLiveStatsRoutes(app, deps);
  registerTailRoute(app, deps);
  registerHealthRoutes(app, deps);
  registerClusterRoute(app, deps);
  app.get('/api/config', async () => ({
    kibanaUrl: dashboard.kibanaUrl ?? null,
    windows: deps.aggregates.windowLabels(),
    storage: deps.store.name,
    role: deps.config.role,
  }));

  const hasDashboard = existsSync(join(dashboard.distDir, 'index.html'));
  if (hasDashboard) await app.register(fastifyStatic, { root: dashboard.distDir, wildcard: true });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    const isApi = API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
    if (hasDashboard && !isApi && (request.method === 'GET' || request.method === 'HEAD')) {
      const target = dashboardRedirect(path, request.url.slice(path.length));
      if (target !== undefined) return reply.redirect(target, 302);
    }
    return reply
      .code(404)
      .send(errorBody('COL_ERR_API_ROUTE_NOT_FOUND', `${request.method} ${shownPath(path)}: no such route`));
  });
  return app;
}

/**
 * Where a page path that is not a file goes. The dashboard routes by the URL's hash (`#/trace/<id>`)
 * and loads its assets relative to its root, so a path such as `/trace/<id>` (as Jaeger's links
 * read) or `/services` would load the page without its scripts: it is redirected to the same view
 * under the hash, by a relative Location (`../#/trace/<id>`), which also holds behind a proxy that
 * serves the dashboard under a path prefix. Undefined for a missing file (a dot in the last
 * segment), which stays a 404.
 */
export function dashboardRedirect(path: string, query: string): string | undefined {
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (last.includes('.')) return undefined;
  const depth = path.split('/').length - 2;
  return `${depth > 0 ? '../'.repeat(depth) : './'}#${path}${query}`;
}
