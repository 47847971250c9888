/** `@phosphor/tracer/fastify`: the fastify plugin (fastify 5 is an optional peer dependency of the tracer). */
export {
  type FastifyInstrumentMode,
  type FastifyRouteHops,
  fastifyRouteHops,
  type PhosphorFastifyOptions,
  phosphorFastify,
} from './instrument/fastify.js';
