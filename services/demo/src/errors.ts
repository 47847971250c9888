/**
 * Every error code of the demo services, defined once: message prefix, HTTP status, gRPC status.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ServiceError } from '@phosphor/service-kit';

/** All demo error codes: `DEMO_ERR_<AREA>_<WHAT>`. */
export const DEMO_ERROR_CODES = {
  DEMO_ERR_CONFIG_INVALID: {
    httpStatus: 500,
    grpcStatus: GrpcStatus.INTERNAL,
    description: 'demo configuration invalid',
  },
  DEMO_ERR_INPUT_INVALID: {
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    description: 'a request field is invalid',
  },
  DEMO_ERR_QUOTE_UNAVAILABLE: {
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
    description: 'the injected occasional failure of the quote service (so traces show errors)',
  },
  DEMO_ERR_UPSTREAM_FAILED: {
    httpStatus: 502,
    grpcStatus: GrpcStatus.UNAVAILABLE,
    description: 'a downstream call failed',
  },
} as const;

/** One of {@link DEMO_ERROR_CODES}. */
export type DemoErrorCode = keyof typeof DEMO_ERROR_CODES;

/** An error with a demo code. */
export class DemoError extends ServiceError<DemoErrorCode> {
  readonly grpcStatus: GrpcStatus;

  constructor(code: DemoErrorCode, message: string, options?: { cause?: unknown; field?: string }) {
    super(code, DEMO_ERROR_CODES[code].httpStatus, message, options);
    this.grpcStatus = DEMO_ERROR_CODES[code].grpcStatus;
  }
}

/** Symbols: 1-5 upper-case letters. */
export const SYMBOL_PATTERN = '^[A-Z]{1,5}$';
const SYMBOL = new RegExp(SYMBOL_PATTERN);
/** Largest quantity accepted. */
export const MAX_QUANTITY = 1_000;

/** Validates a symbol (error names `field`). */
export function checkSymbol(value: unknown, field: string): string {
  if (typeof value !== 'string' || !SYMBOL.test(value)) {
    throw new DemoError('DEMO_ERR_INPUT_INVALID', `${field} must be 1-5 upper-case letters`);
  }
  return value;
}

/** Validates a quantity 1..MAX_QUANTITY (error names `field`). */
export function checkQuantity(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_QUANTITY) {
    throw new DemoError('DEMO_ERR_INPUT_INVALID', `${field} must be an integer from 1 to ${MAX_QUANTITY}`);
  }
  return value;
}
