/**
 * Every error code of the ID service, defined once (fastify's `lib/errors.js` pattern). Each code has a
 * message prefix, the HTTP status it maps to, and the gRPC status code it maps to, so both transports
 * answer the same failure the same way.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ServiceError } from '@phosphor/service-kit';

/** Definition of one error code. */
export interface ErrorCodeDefinition {
  /** What went wrong, in a sentence; the instance message adds the details. */
  description: string;
  httpStatus: number;
  grpcStatus: GrpcStatus;
}

/** All error codes: `IDG_ERR_<AREA>_<WHAT>`. Never reuse a retired code. */
export const ERROR_CODES = {
  IDG_ERR_CONFIG_INVALID: {
    description: 'the configuration file or an environment override is invalid',
    httpStatus: 500,
    grpcStatus: GrpcStatus.INTERNAL,
  },
  IDG_ERR_INPUT_INVALID: {
    description: 'a request field is missing, malformed or out of range',
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
  },
  IDG_ERR_CLOCK_BACKWARDS: {
    description: 'the clock is behind the last issued timestamp; NextID refuses rather than risk a duplicate',
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
  },
  IDG_ERR_CLOCK_WAIT_EXCEEDED: {
    description: 'NextValidID waited for the clock to catch up longer than the configured bound',
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
  },
  IDG_ERR_SEQUENCE_EXHAUSTED: {
    description: 'the 15-bit sequence of the current millisecond is used up (synchronous callers only)',
    httpStatus: 503,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
  },
  IDG_ERR_LEASE_UNAVAILABLE: {
    description: 'no valid (node, component) lease is held, so no id may be issued (fail closed)',
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
  },
  IDG_ERR_UPSTREAM_FAILED: {
    description: 'a call to another service failed',
    httpStatus: 502,
    grpcStatus: GrpcStatus.UNAVAILABLE,
  },
  IDG_ERR_SERVER_BIND: {
    description: 'the HTTP or gRPC listener could not bind its address (in use, not permitted)',
    httpStatus: 500,
    grpcStatus: GrpcStatus.INTERNAL,
  },
  IDG_ERR_SERVER_INTERNAL: {
    description: 'an unexpected internal error',
    httpStatus: 500,
    grpcStatus: GrpcStatus.INTERNAL,
  },
} as const satisfies Record<string, ErrorCodeDefinition>;

/** One of the codes in {@link ERROR_CODES}. */
export type IdErrorCode = keyof typeof ERROR_CODES;

/** An error carrying one of the service's codes; both transports map it via {@link ERROR_CODES}. */
export class IdServiceError extends ServiceError<IdErrorCode> {
  readonly grpcStatus: GrpcStatus;

  constructor(code: IdErrorCode, message: string, options?: { cause?: unknown; field?: string }) {
    super(code, ERROR_CODES[code].httpStatus, message, options);
    this.grpcStatus = ERROR_CODES[code].grpcStatus;
  }
}

/** True when `error` is an {@link IdServiceError} (optionally with the given code). */
export function isIdServiceError(error: unknown, code?: IdErrorCode): error is IdServiceError {
  return error instanceof IdServiceError && (code === undefined || error.code === code);
}
