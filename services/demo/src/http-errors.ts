/**
 * One error handler for the demo services' fastify apps: demo codes map to their status, schema
 * failures to 400 naming the field, anything else from a downstream call to 502.
 */
import { errorBody, formatValidationError } from '@phosphor/service-kit';
import type { FastifyError, FastifyInstance } from 'fastify';
import { DemoError } from './errors.js';

/** Installs the handler; replies with the one Phosphor error body `{ code, message, param? }`. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const invalid = formatValidationError(error);
    if (error instanceof DemoError) return reply.status(error.httpStatus).send(error.toBody());
    if (invalid) return reply.status(400).send(errorBody('DEMO_ERR_INPUT_INVALID', invalid.message, invalid.param));
    if (typeof error.statusCode === 'number' && error.statusCode < 500) {
      return reply.status(error.statusCode).send(errorBody('DEMO_ERR_INPUT_INVALID', error.message));
    }
    return reply.status(502).send(errorBody('DEMO_ERR_UPSTREAM_FAILED', error.message));
  });
}

/** Turns a non-2xx downstream HTTP reply into a DemoError carrying its message. */
export async function checkResponse(response: Response, what: string): Promise<Response> {
  if (response.ok) return response;
  const body = await response.text();
  if (response.status === 400) throw new DemoError('DEMO_ERR_INPUT_INVALID', `${what}: ${body}`);
  throw new DemoError('DEMO_ERR_UPSTREAM_FAILED', `${what} answered HTTP ${response.status}: ${body}`);
}
