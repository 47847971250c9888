/**
 * (node, component) pairs leased from Redis, safer than cirrus: a pair is taken with `SET NX PX` and a
 * random token, renewed and released by token-checked Lua scripts, and the holder stops issuing ids
 * before the lease could have expired. Next to each pair key, a bound key (no expiry) records the
 * highest timestamp the holder may use; it is raised *before* the holder may use timestamps up to it,
 * and the next holder only issues ids strictly after it. That makes reuse safe even when the previous
 * holder vanished without releasing.
 *
 * Time, from one renewal sent at monotonic time T (wall clock W):
 *   - the holder may issue until T + ttlMillis - failClosedMarginMillis, with timestamps ≤ W + ttlMillis;
 *   - Redis keeps the pair until (at least) T + ttlMillis + reuseMarginMillis, so nobody else can take it
 *     until failClosedMarginMillis + reuseMarginMillis after the holder stopped.
 * Single Redis (not cluster): the acquire script walks all pair keys.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import { IdServiceError } from '../errors.js';
import type { Clock } from '../ids/clock.js';
import { systemClock } from '../ids/clock.js';
import { PAIR_COUNT, pairFromIndex } from '../ids/flaki-layout.js';
import type { PairGrant, PairSource } from '../ids/pair-grant.js';

/** Default lease length: 10 s keeps renewal traffic negligible while bounding a dead holder's pair loss. */
export const DEFAULT_LEASE_TTL_MILLIS = 10_000;
/** Default: stop issuing 2 s before the lease could expire, covering a slow renewal reply and clock-rate drift. */
export const DEFAULT_FAIL_CLOSED_MARGIN_MILLIS = 2_000;
/** Default: a pair is taken over no earlier than 1 s after the previous holder's lease expired. */
export const DEFAULT_REUSE_MARGIN_MILLIS = 1_000;
/** Default renewal period: a third of the TTL leaves two more attempts before fail-closed. */
export const DEFAULT_RENEW_INTERVAL_MILLIS = 3_000;
/** Default retry period while no lease is held. */
export const DEFAULT_ACQUIRE_RETRY_MILLIS = 1_000;

/** Takes the first free pair starting at a random index; raises the bound; returns [index, previous bound]. */
const ACQUIRE_SCRIPT = `
local prefix, token, px, ceiling = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local start, n = tonumber(ARGV[5]), tonumber(ARGV[6])
for i = 0, n - 1 do
  local idx = (start + i) % n
  if redis.call('SET', prefix .. ':pair:' .. idx, token, 'NX', 'PX', px) then
    local boundKey = prefix .. ':bound:' .. idx
    local floor = redis.call('GET', boundKey)
    if (not floor) or tonumber(floor) < tonumber(ceiling) then redis.call('SET', boundKey, ceiling) end
    return {idx, floor or '0'}
  end
end
return false`;

/** Extends the pair and raises its bound, only for the token holder. */
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local bound = redis.call('GET', KEYS[2])
if (not bound) or tonumber(bound) < tonumber(ARGV[3]) then redis.call('SET', KEYS[2], ARGV[3]) end
return 1`;

/** Frees the pair and lowers the bound to the last timestamp really used, only for the token holder. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[2])
return 1`;

/** Lease events, for logs and metrics. */
export type LeaseEvent = 'acquired' | 'renewed' | 'renewal_failed' | 'lost' | 'released' | 'acquire_failed';

/** Options of {@link RedisLease}. */
export interface RedisLeaseOptions {
  /** Connected ioredis client; the lease does not close it. */
  redis: Redis;
  /** Key prefix; pairs live at `<prefix>:pair:<index>`, bounds at `<prefix>:bound:<index>`. */
  keyPrefix: string;
  ttlMillis?: number;
  failClosedMarginMillis?: number;
  reuseMarginMillis?: number;
  renewIntervalMillis?: number;
  acquireRetryMillis?: number;
  clock?: Clock;
  /** Last timestamp the generator used under a grant generation (undefined if none); used on release. */
  lastTimestampFor?: (generation: number) => number | undefined;
  /** Called on every lease event; must not throw. */
  onEvent?: (event: LeaseEvent, details: Record<string, unknown>) => void;
}

/** Counters of {@link RedisLease}. */
export interface RedisLeaseStats {
  acquisitions: number;
  renewals: number;
  renewalFailures: number;
  losses: number;
  releases: number;
  acquireFailures: number;
}

interface HeldLease {
  index: number;
  grant: PairGrant;
}

/** A {@link PairSource} backed by a Redis lease. */
export class RedisLease implements PairSource {
  readonly token = randomBytes(16).toString('hex');
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlMillis: number;
  private readonly failClosedMarginMillis: number;
  private readonly reuseMarginMillis: number;
  private readonly renewIntervalMillis: number;
  private readonly acquireRetryMillis: number;
  private readonly clock: Clock;
  private lastTimestampFor: (generation: number) => number | undefined;
  private readonly onEvent: (event: LeaseEvent, details: Record<string, unknown>) => void;

  private held: HeldLease | undefined;
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastError = 'no lease acquired yet';
  private readonly counters: RedisLeaseStats = {
    acquisitions: 0,
    renewals: 0,
    renewalFailures: 0,
    losses: 0,
    releases: 0,
    acquireFailures: 0,
  };

  constructor(options: RedisLeaseOptions) {
    this.redis = options.redis;
    this.prefix = options.keyPrefix;
    this.ttlMillis = options.ttlMillis ?? DEFAULT_LEASE_TTL_MILLIS;
    this.failClosedMarginMillis = options.failClosedMarginMillis ?? DEFAULT_FAIL_CLOSED_MARGIN_MILLIS;
    this.reuseMarginMillis = options.reuseMarginMillis ?? DEFAULT_REUSE_MARGIN_MILLIS;
    this.renewIntervalMillis = options.renewIntervalMillis ?? DEFAULT_RENEW_INTERVAL_MILLIS;
    this.acquireRetryMillis = options.acquireRetryMillis ?? DEFAULT_ACQUIRE_RETRY_MILLIS;
    this.clock = options.clock ?? systemClock;
    this.lastTimestampFor = options.lastTimestampFor ?? (() => undefined);
    this.onEvent = options.onEvent ?? (() => {});
    if (this.failClosedMarginMillis >= this.ttlMillis) {
      throw new IdServiceError('IDG_ERR_CONFIG_INVALID', 'lease.failClosedMarginMillis must be below lease.ttlMillis');
    }
    if (this.renewIntervalMillis >= this.ttlMillis - this.failClosedMarginMillis) {
      throw new IdServiceError(
        'IDG_ERR_CONFIG_INVALID',
        'lease.renewIntervalMillis must be below lease.ttlMillis - lease.failClosedMarginMillis (renew before fail-closed)',
      );
    }
  }

  /** Lets the generator report its last timestamp (the generator is built after the lease). */
  setLastTimestampSource(source: (generation: number) => number | undefined): void {
    this.lastTimestampFor = source;
  }

  /**
   * Tries to acquire a pair once, then keeps renewing (or retrying) in the background.
   * Resolves true when a pair is held; false leaves the service failing closed until a retry succeeds.
   */
  async start(): Promise<boolean> {
    const ok = await this.acquire();
    this.schedule(ok ? this.renewIntervalMillis : this.acquireRetryMillis);
    return ok;
  }

  current(): PairGrant | undefined {
    return this.held?.grant;
  }

  unavailableReason(): string {
    return `no valid node-id lease: ${this.lastError}`;
  }

  /** The pair index held, if any (for health and tests). */
  heldPairIndex(): number | undefined {
    return this.held?.index;
  }

  stats(): RedisLeaseStats {
    return { ...this.counters };
  }

  /**
   * Renews now (the background loop calls this). Exposed so tests and health checks can force it.
   * Returns true when the lease is held afterwards.
   */
  async renew(): Promise<boolean> {
    const held = this.held;
    if (held === undefined) return this.acquire();
    const sentAt = this.clock.monotonicMillis();
    const ceiling = this.clock.wallMillis() + this.ttlMillis;
    try {
      const result = await this.redis.eval(
        RENEW_SCRIPT,
        2,
        this.pairKey(held.index),
        this.boundKey(held.index),
        this.token,
        String(this.ttlMillis + this.reuseMarginMillis),
        String(ceiling),
      );
      if (this.held !== held) return this.held !== undefined;
      if (result !== 1) {
        this.counters.losses++;
        this.held = undefined;
        this.lastError = `lease on pair ${held.index} was lost (expired or taken by another instance)`;
        this.onEvent('lost', { pair: held.index });
        return this.acquire();
      }
      // Replace the grant object: the generator reads it on every id; same generation, later bounds.
      held.grant = {
        ...held.grant,
        ceilingMillis: Math.max(held.grant.ceilingMillis, ceiling),
        validUntilMonotonicMillis: sentAt + this.ttlMillis - this.failClosedMarginMillis,
      };
      this.counters.renewals++;
      this.onEvent('renewed', { pair: held.index });
      return true;
    } catch (error) {
      this.counters.renewalFailures++;
      this.lastError = `renewal failed: ${(error as Error).message}`;
      this.onEvent('renewal_failed', { pair: held.index, error: (error as Error).message });
      return false;
    }
  }

  /**
   * Stops renewing and issuing *without* releasing, as a crashed holder would: the pair frees itself at
   * expiry and its bound keeps covering every id issued. For fault-injection tests and fatal shutdowns.
   */
  abandon(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.held = undefined;
    this.lastError = 'the lease was abandoned';
  }

  /** Stops renewing and releases the pair (token-checked). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const held = this.held;
    // Stop issuing before reading the last timestamp, so nothing is issued after the bound is written.
    this.held = undefined;
    this.lastError = 'the lease was released (service closing)';
    if (held === undefined) return;
    const last = Math.max(held.grant.floorMillis, this.lastTimestampFor(held.grant.generation) ?? 0);
    try {
      await this.redis.eval(
        RELEASE_SCRIPT,
        2,
        this.pairKey(held.index),
        this.boundKey(held.index),
        this.token,
        String(last),
      );
      this.counters.releases++;
      this.onEvent('released', { pair: held.index });
    } catch (error) {
      // Not released: the pair frees itself at expiry, with its bound still covering every issued id.
      this.onEvent('renewal_failed', { pair: held.index, error: (error as Error).message });
    }
  }

  private async acquire(): Promise<boolean> {
    const sentAt = this.clock.monotonicMillis();
    const ceiling = this.clock.wallMillis() + this.ttlMillis;
    try {
      const result = (await this.redis.eval(
        ACQUIRE_SCRIPT,
        0,
        this.prefix,
        this.token,
        String(this.ttlMillis + this.reuseMarginMillis),
        String(ceiling),
        String(randomInt(PAIR_COUNT)),
        String(PAIR_COUNT),
      )) as [number, string] | null;
      if (this.closed) return false;
      if (result === null) {
        this.counters.acquireFailures++;
        this.lastError = `all ${PAIR_COUNT} (node, component) pairs are leased by other instances`;
        this.onEvent('acquire_failed', { error: this.lastError });
        return false;
      }
      const [index, floor] = result;
      const { nodeId, componentId } = pairFromIndex(index);
      this.generation++;
      this.held = {
        index,
        grant: {
          nodeId,
          componentId,
          floorMillis: Number(floor),
          ceilingMillis: ceiling,
          validUntilMonotonicMillis: sentAt + this.ttlMillis - this.failClosedMarginMillis,
          generation: this.generation,
        },
      };
      this.counters.acquisitions++;
      this.onEvent('acquired', { pair: index, nodeId, componentId, floorMillis: Number(floor) });
      return true;
    } catch (error) {
      this.counters.acquireFailures++;
      this.lastError = `acquire failed: ${(error as Error).message}`;
      this.onEvent('acquire_failed', { error: this.lastError });
      return false;
    }
  }

  private schedule(delayMillis: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.renew().then((ok) => this.schedule(ok ? this.renewIntervalMillis : this.acquireRetryMillis));
    }, delayMillis);
    this.timer.unref();
  }

  private pairKey(index: number): string {
    return `${this.prefix}:pair:${index}`;
  }

  private boundKey(index: number): string {
    return `${this.prefix}:bound:${index}`;
  }
}
