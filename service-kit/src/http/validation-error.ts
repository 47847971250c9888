import type { FastifyError } from 'fastify';

/** A fastify schema-validation failure, reduced to the parameter it is about and a message naming it. */
export interface ValidationProblem {
  /** The query/path parameter or top-level body field, or the part of the request when none is named. */
  param: string;
  /** `<where> <param>: <problem>`, e.g. `querystring limit: must be <= 1000`. */
  message: string;
}

/**
 * Formats fastify's schema-validation error the same way in every daemon: the first failing parameter,
 * named (ajv's "must NOT have additional properties" becomes "unknown parameter"), with an enum's allowed
 * values. Undefined when the error is not a validation failure.
 */
export function formatValidationError(error: FastifyError): ValidationProblem | undefined {
  const first = error.validation?.[0];
  if (first === undefined) return undefined;
  const where = error.validationContext ?? 'request';
  const params = (first.params ?? {}) as Record<string, unknown>;
  const fromPath = first.instancePath?.split('/').filter(Boolean)[0];
  const param = String(params.missingProperty ?? params.additionalProperty ?? (fromPath || where));
  let message = first.message ?? 'is invalid';
  if (params.additionalProperty !== undefined) message = 'unknown parameter';
  if (Array.isArray(params.allowedValues)) message += ` (${params.allowedValues.join(', ')})`;
  return { param, message: `${where} ${param}: ${message}` };
}
