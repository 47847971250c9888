import { type ErrorBody, formatValidationError, errorBody as sharedErrorBody } from '@phosphor/service-kit';
import type { FastifyError, FastifyInstance } from 'fastify';
import { CollectorError, ERROR_CODES, type ErrorCode } from '../errors.js';

/** JSON body of every API error: the one Phosphor error body (service-kit), with a collector code. */
export interface ApiErrorBody extends ErrorBody {
  code: ErrorCode;
}

/** Sends `{ code, message, param? }` with the code's HTTP status. */
export function errorBody(code: ErrorCode, message: string, param?: string): ApiErrorBody {
  return sharedErrorBody(code, message, param) as ApiErrorBody;
}

/**
 * Maps every error to a JSON body with a COL_ERR_* code: schema validation failures become 400
 * naming the parameter; fastify's own errors (body too large …) keep their status.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | CollectorError, request, reply) => {
    if (error instanceof CollectorError) {
      return reply.code(error.statusCode).send(errorBody(error.code, error.detail, error.field));
    }
    const invalid = formatValidationError(error);
    if (invalid) return reply.code(400).send(errorBody('COL_ERR_API_BAD_PARAM', invalid.message, invalid.param));
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .code(413)
        .send(errorBody('COL_ERR_API_BODY_TOO_LARGE', ERROR_CODES.COL_ERR_API_BODY_TOO_LARGE.message));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send(errorBody('COL_ERR_API_BAD_PARAM', error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(errorBody('COL_ERR_API_INTERNAL', ERROR_CODES.COL_ERR_API_INTERNAL.message));
  });
}
