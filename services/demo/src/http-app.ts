/**
 * What the demo's HTTP services share: the fastify app (traced, with the demo error handler) and the schema of
 * a `/:symbol?quantity=` quote route, so the gateway and the quote service validate the same way.
 */
import type { Tracer } from '@phosphor/tracer';
import { phosphorFastify } from '@phosphor/tracer/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { MAX_QUANTITY, SYMBOL_PATTERN } from './errors.js';
import { installErrorHandler } from './http-errors.js';

/** A fastify app traced with `tracer` (IN/OUT per request) and the demo error handler installed. */
export async function createTracedHttpApp(tracer: Tracer): Promise<FastifyInstance> {
  // Coercion on: querystring numbers arrive as strings; extra fields are rejected, never silently removed.
  const http = Fastify({ logger: false, ajv: { customOptions: { removeAdditional: false, coerceTypes: true } } });
  await http.register(phosphorFastify, { tracer });
  installErrorHandler(http);
  return http;
}

/** Route schema of `GET …/:symbol?quantity=n`. */
export const SYMBOL_QUOTE_ROUTE_SCHEMA = {
  params: {
    type: 'object',
    properties: { symbol: { type: 'string', pattern: SYMBOL_PATTERN } },
    required: ['symbol'],
  },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { quantity: { type: 'integer', minimum: 1, maximum: MAX_QUANTITY } },
  },
} as const;
