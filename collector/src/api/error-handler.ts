import type { FastifyError, FastifyInstance } from 'fastify';
import { CollectorError, ERROR_CODES, type ErrorCode } from '../errors.js';

/** JSON body of every API error. */
export interface ApiErrorBody {
  code: ErrorCode;
  message: string;
  /** The query/path parameter that was wrong, when there is one. */
  param?: string;
}

/** Sends `{ code, message, param? }` with the code's HTTP status. */
export function errorBody(code: ErrorCode, message: string, param?: string): ApiErrorBody {
  return param === undefined ? { code, message } : { code, message, param };
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
    if (error.validation && error.validation.length > 0) {
      const first = error.validation[0];
      const params = (first?.params ?? {}) as Record<string, unknown>;
      const fromPath = first?.instancePath?.split('/').filter(Boolean)[0];
      const param = String(
        params.missingProperty ?? params.additionalProperty ?? fromPath ?? error.validationContext ?? '',
      );
      let message = first?.message ?? 'is invalid';
      if (params.additionalProperty !== undefined) message = 'unknown parameter';
      if (Array.isArray(params.allowedValues)) message += ` (${params.allowedValues.join(', ')})`;
      return reply
        .code(400)
        .send(
          errorBody('COL_ERR_API_BAD_PARAM', `${error.validationContext ?? 'request'} ${param}: ${message}`, param),
        );
    }
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
