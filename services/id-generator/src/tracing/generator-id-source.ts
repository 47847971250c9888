/**
 * The ID service's own trace-id source: its generator, directly (no request to itself). Synchronous,
 * as the tracer requires; when the generator cannot issue (lease lost, clock behind, sequence used up
 * this millisecond) it falls back to the tracer's local random ids and counts it.
 */
import { type IdSource, LocalIdSource } from '@phosphor/tracer';
import type { IdGenerator } from '../ids/id-generator.js';

/** An IdSource over the local generator, with a local fallback. */
export class GeneratorIdSource implements IdSource {
  /** The generator's ids are decimal digits; the fallback's say for themselves. */
  readonly asciiIds: boolean;
  private readonly generator: IdGenerator;
  private readonly fallback: IdSource;
  private fallbacks = 0;

  constructor(generator: IdGenerator, fallback: IdSource = new LocalIdSource()) {
    this.generator = generator;
    this.fallback = fallback;
    this.asciiIds = fallback.asciiIds === true;
  }

  nextTraceId(): string {
    try {
      return this.generator.nextIdSync();
    } catch {
      return this.fallbackId();
    }
  }

  /** Out of {@link nextTraceId}, which is inlined into every traced request: kept small. */
  private fallbackId(): string {
    this.fallbacks++;
    return this.fallback.nextTraceId();
  }

  /** `fallbacks`: ids that did not come from the generator (the tracer reports it as idFallbacks). */
  stats(): { fallbacks: number } {
    return { fallbacks: this.fallbacks };
  }
}
