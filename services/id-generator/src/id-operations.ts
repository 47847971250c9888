/**
 * The four operations, shared by the HTTP and gRPC transports so both validate and answer the same way.
 */
import { IdServiceError } from './errors.js';
import { type DecodedId, decodeId, parseId } from './ids/flaki-layout.js';
import type { IdGenerator } from './ids/id-generator.js';

/** The operations over one generator. */
export class IdOperations {
  readonly generator: IdGenerator;
  readonly maxBatchCount: number;

  constructor(generator: IdGenerator, maxBatchCount: number) {
    this.generator = generator;
    this.maxBatchCount = maxBatchCount;
  }

  /** NextID. */
  nextId(): Promise<string> {
    return this.generator.nextId();
  }

  /** NextValidID. */
  nextValidId(): Promise<string> {
    return this.generator.nextValidId();
  }

  /** Batch: `count` must be an integer in 1..maxBatchCount (error names `field`). */
  nextIds(count: unknown, valid: boolean, field = 'count'): Promise<string[]> {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > this.maxBatchCount) {
      return Promise.reject(
        new IdServiceError(
          'IDG_ERR_INPUT_INVALID',
          `${field} must be an integer from 1 to ${this.maxBatchCount}, got ${String(count)}`,
        ),
      );
    }
    return this.generator.nextIds(count, valid);
  }

  /** Decode: `id` must be a decimal 64-bit id (error names `field`). */
  decode(id: unknown, field = 'id'): DecodedId {
    return decodeId(parseId(id, field), this.generator.epochMillis);
  }
}
