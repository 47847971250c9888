/**
 * Head sampling: the decision is taken once, where a trace starts, and travels with the trace
 * (traceparent flags), so every service keeps or drops the same traces.
 */
export interface Sampler {
  /** Called once per new root trace. */
  shouldSample(): boolean;
}

/** Keeps each new trace with probability `rate` (0..1). */
export class RateSampler implements Sampler {
  readonly rate: number;

  constructor(rate: number) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`sampleRate: must be between 0 and 1 (got ${rate})`);
    this.rate = rate;
  }

  shouldSample(): boolean {
    // Math.random() < 1 is always true and < 0 never, so the edge rates need no special case.
    return Math.random() < this.rate;
  }
}
