import type { FastifyPluginCallback, FastifyPluginOptions } from 'fastify';

/** What fastify reads from a plugin function to treat it as non-encapsulated and check its version. */
export interface FastifyPluginMeta {
  name: string;
  /** Fastify semver range the plugin supports; fastify itself checks it on register(). */
  fastify: string;
}

/**
 * Marks a plugin the way `fastify-plugin` does (skip-override, display name, plugin meta), so the
 * `@phosphor/tracer/fastify` integration needs nothing but the application's own fastify — the tracer
 * package then has no runtime dependency on any fastify package.
 */
export function markFastifyPlugin<T extends FastifyPluginOptions>(
  plugin: FastifyPluginCallback<T>,
  meta: FastifyPluginMeta,
): FastifyPluginCallback<T> {
  const marked = plugin as FastifyPluginCallback<T> & Record<symbol, unknown>;
  marked[Symbol.for('skip-override')] = true;
  marked[Symbol.for('fastify.display-name')] = meta.name;
  marked[Symbol.for('plugin-meta')] = meta;
  return marked;
}
