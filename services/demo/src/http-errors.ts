/**
 * One error handler for the demo services' fastify apps: demo codes map to their status, schema
 * failures to 400 naming the field, anything else from a downstream call to 502.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import { DemoError } from './errors.js';

/** Installs the handler; replies `{statusCode, code, error, message}`. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    let status: number;
    let code: string;
    let message: string;
    if (error instanceof DemoError) {
      status = error.httpStatus;
      code = error.code;
      message = error.message;
    } else if (error.validation) {
      status = 400;
      code = 'DEMO_ERR_INPUT_INVALID';
      message = `DEMO_ERR_INPUT_INVALID: ${error.validation
        .map(
          (v) =>
            `${error.validationContext ?? 'request'}${v.instancePath.replaceAll('/', '.')} ${v.message ?? 'is invalid'}`,
        )
        .join('; ')}`;
    } else if (typeof error.statusCode === 'number' && error.statusCode < 500) {
      status = error.statusCode;
      code = 'DEMO_ERR_INPUT_INVALID';
      message = `DEMO_ERR_INPUT_INVALID: ${error.message}`;
    } else {
      status = 502;
      code = 'DEMO_ERR_UPSTREAM_FAILED';
      message = `DEMO_ERR_UPSTREAM_FAILED: ${error.message}`;
    }
    return reply.status(status).send({ statusCode: status, code, error: STATUS_CODES[status] ?? 'Error', message });
  });
}

/** Turns a non-2xx downstream HTTP reply into a DemoError carrying its message. */
export async function checkResponse(response: Response, what: string): Promise<Response> {
  if (response.ok) return response;
  const body = await response.text();
  if (response.status === 400) throw new DemoError('DEMO_ERR_INPUT_INVALID', `${what}: ${body}`);
  throw new DemoError('DEMO_ERR_UPSTREAM_FAILED', `${what} answered HTTP ${response.status}: ${body}`);
}
