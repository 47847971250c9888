/**
 * The Snowflake-style generator (Flaki layout). Single-threaded JS means no locking: each call runs
 * to completion, so (timestamp, sequence) pairs cannot race within one process; uniqueness across
 * processes comes from the (node, component) pair each one holds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { IdServiceError } from '../errors.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { composeId, DEFAULT_EPOCH_MILLIS, lowBits, MAX_SEQUENCE, MAX_TIMESTAMP_OFFSET_MILLIS } from './flaki-layout.js';
import type { PairGrant, PairSource } from './pair-grant.js';

/** Default bound on how long NextValidID (and sequence overflow) may wait for the clock: 1 s, as a
 * request-scale delay; longer regressions are operational incidents that should surface as errors. */
export const DEFAULT_MAX_CLOCK_WAIT_MILLIS = 1_000;

/** Longest single sleep while waiting for the clock, so a clock that jumps forward is noticed quickly. */
const MAX_POLL_SLEEP_MILLIS = 20;

/** Options of {@link IdGenerator}. */
export interface IdGeneratorOptions {
  /** Where the (node, component) pair comes from (static config or a Redis lease). */
  pairs: PairSource;
  /** Epoch of the timestamp field, ms since the Unix epoch; default 2017-01-01T00:00:00Z. */
  epochMillis?: number;
  /** Clock; default the system clock. */
  clock?: Clock;
  /** How long NextValidID and sequence overflow may wait; default {@link DEFAULT_MAX_CLOCK_WAIT_MILLIS}. */
  maxClockWaitMillis?: number;
}

/** Counters of {@link IdGenerator}. */
export interface IdGeneratorStats {
  issuedIds: number;
  clockBackwardsErrors: number;
  clockWaits: number;
  sequenceWaits: number;
  leaseRefusals: number;
  /** Last timestamp used (ms since the Unix epoch), or the floor when nothing was issued yet. */
  lastTimestampMillis: number;
}

enum Failure {
  None = 0,
  Backwards = 1,
  Exhausted = 2,
}

/** Issues unique 64-bit ids as decimal strings. */
export class IdGenerator {
  readonly epochMillis: number;
  private readonly clock: Clock;
  private readonly pairs: PairSource;
  private readonly maxClockWaitMillis: number;

  private generation = -1;
  private low = 0;
  private lastTimestamp = Number.NEGATIVE_INFINITY;
  private sequence = 0;
  private ceiling = Number.POSITIVE_INFINITY;
  /** Set by `attempt()` when it returns undefined. */
  private failure: Failure = Failure.None;
  private behindMillis = 0;

  private issuedIds = 0;
  private clockBackwardsErrors = 0;
  private clockWaits = 0;
  private sequenceWaits = 0;
  private leaseRefusals = 0;

  constructor(options: IdGeneratorOptions) {
    this.pairs = options.pairs;
    this.epochMillis = options.epochMillis ?? DEFAULT_EPOCH_MILLIS;
    this.clock = options.clock ?? systemClock;
    this.maxClockWaitMillis = options.maxClockWaitMillis ?? DEFAULT_MAX_CLOCK_WAIT_MILLIS;
  }

  /**
   * NextID, synchronous: throws IDG_ERR_CLOCK_BACKWARDS when the clock is behind the last issued
   * timestamp, IDG_ERR_SEQUENCE_EXHAUSTED when this millisecond's sequence is used up, and
   * IDG_ERR_LEASE_UNAVAILABLE when no valid pair is held. Never waits.
   */
  nextIdSync(): string {
    const id = this.attempt();
    if (id !== undefined) return id;
    if (this.failure === Failure.Backwards) throw this.backwardsError();
    throw new IdServiceError('IDG_ERR_SEQUENCE_EXHAUSTED', 'sequence exhausted for this millisecond');
  }

  /**
   * NextID: fails with IDG_ERR_CLOCK_BACKWARDS when the clock moved backwards; when the sequence of
   * the current millisecond is used up it waits (timer, not a spin) for the next millisecond.
   */
  async nextId(): Promise<string> {
    const ids = await this.issue(1, false);
    return ids[0]!;
  }

  /**
   * NextValidID: like NextID but when the clock is behind it waits for it to catch up, up to
   * `maxClockWaitMillis`, then fails with IDG_ERR_CLOCK_WAIT_EXCEEDED.
   */
  async nextValidId(): Promise<string> {
    const ids = await this.issue(1, true);
    return ids[0]!;
  }

  /**
   * `count` ids in one call (the caller bounds `count`). With `valid` the clock-regression behaviour
   * is NextValidID's, otherwise NextID's.
   */
  nextIds(count: number, valid: boolean): Promise<string[]> {
    return this.issue(count, valid);
  }

  /** Counters and the last timestamp used. */
  stats(): IdGeneratorStats {
    return {
      issuedIds: this.issuedIds,
      clockBackwardsErrors: this.clockBackwardsErrors,
      clockWaits: this.clockWaits,
      sequenceWaits: this.sequenceWaits,
      leaseRefusals: this.leaseRefusals,
      lastTimestampMillis: this.lastTimestamp,
    };
  }

  /** Last timestamp used for the given grant generation, or undefined if the grant changed since. */
  lastTimestampFor(generation: number): number | undefined {
    return generation === this.generation ? this.lastTimestamp : undefined;
  }

  private async issue(count: number, valid: boolean): Promise<string[]> {
    const ids: string[] = [];
    let deadline = Number.NaN;
    while (ids.length < count) {
      const id = this.attempt();
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      if (Number.isNaN(deadline)) deadline = this.clock.monotonicMillis() + this.maxClockWaitMillis;
      const remaining = deadline - this.clock.monotonicMillis();
      if (this.failure === Failure.Backwards) {
        if (!valid) throw this.backwardsError();
        if (remaining <= 0) {
          throw new IdServiceError(
            'IDG_ERR_CLOCK_WAIT_EXCEEDED',
            `clock still ${this.behindMillis} ms behind the last issued timestamp after waiting ${this.maxClockWaitMillis} ms`,
          );
        }
        this.clockWaits++;
        await sleep(Math.max(1, Math.min(this.behindMillis, remaining, MAX_POLL_SLEEP_MILLIS)));
      } else {
        if (remaining <= 0) {
          throw new IdServiceError(
            'IDG_ERR_SEQUENCE_EXHAUSTED',
            `sequence exhausted and the clock did not reach the next millisecond within ${this.maxClockWaitMillis} ms`,
          );
        }
        this.sequenceWaits++;
        await sleep(1);
      }
    }
    return ids;
  }

  /** One id, or undefined with `failure` set. Throws only for lease problems. */
  private attempt(): string | undefined {
    const grant = this.pairs.current();
    if (grant === undefined || this.clock.monotonicMillis() >= grant.validUntilMonotonicMillis) {
      this.leaseRefusals++;
      throw new IdServiceError(
        'IDG_ERR_LEASE_UNAVAILABLE',
        grant === undefined ? this.pairs.unavailableReason() : 'the lease has expired and was not renewed in time',
      );
    }
    if (grant.generation !== this.generation) this.adopt(grant);
    this.ceiling = grant.ceilingMillis;
    const now = this.clock.wallMillis();
    if (now < this.lastTimestamp) {
      this.failure = Failure.Backwards;
      this.behindMillis = this.lastTimestamp - now;
      return undefined;
    }
    if (now === this.lastTimestamp) {
      if (this.sequence >= MAX_SEQUENCE) {
        this.failure = Failure.Exhausted;
        return undefined;
      }
      this.sequence++;
    } else {
      if (now > this.ceiling) {
        this.leaseRefusals++;
        throw new IdServiceError(
          'IDG_ERR_LEASE_UNAVAILABLE',
          `clock (${now}) is past the timestamp bound persisted with the lease (${this.ceiling}); waiting for renewal`,
        );
      }
      const offset = now - this.epochMillis;
      if (offset < 0 || offset > MAX_TIMESTAMP_OFFSET_MILLIS) {
        throw new IdServiceError('IDG_ERR_CLOCK_BACKWARDS', `clock ${now} is outside the 42-bit range of the epoch`);
      }
      this.lastTimestamp = now;
      this.sequence = 0;
    }
    this.issuedIds++;
    return composeId(now - this.epochMillis, this.low | this.sequence).toString();
  }

  /** Switches to a new grant: ids must start strictly after its floor. */
  private adopt(grant: PairGrant): void {
    this.generation = grant.generation;
    this.low = lowBits(grant.nodeId, grant.componentId, 0);
    // Sequence at its maximum makes the floor millisecond itself unusable: the next id needs a later one.
    this.lastTimestamp = grant.floorMillis;
    this.sequence = MAX_SEQUENCE;
  }

  private backwardsError(): IdServiceError {
    this.clockBackwardsErrors++;
    return new IdServiceError(
      'IDG_ERR_CLOCK_BACKWARDS',
      `clock moved backwards: ${this.behindMillis} ms behind the last issued timestamp`,
    );
  }
}
