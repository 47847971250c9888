import { randomFillSync } from 'node:crypto';
import { TracerError, type TracerProblem } from './errors.js';

/**
 * Where root trace ids come from. Synchronous on purpose: starting a trace never waits for the
 * network, so a remote source must be pooled (see {@link PooledIdSource}).
 */
export interface IdSource {
  /** A new trace id: a decimal 64-bit id (Flaki style). */
  nextTraceId(): string;
  /**
   * True when every id `nextTraceId` returns is ASCII text (decimal digits are): the encoder then
   * copies the ids' characters as bytes without checking each. A source that says so and returns
   * anything else gets wrong trace ids on the wire. Default false.
   */
  readonly asciiIds?: boolean;
}

/**
 * Random bytes are taken from a pool refilled 4 KiB at a time: one `randomFillSync` call per 512
 * ids instead of one per id keeps id generation off the profile.
 */
const RANDOM_POOL_BYTES = 4096;
const randomPool = Buffer.allocUnsafe(RANDOM_POOL_BYTES);
let randomOffset = RANDOM_POOL_BYTES;

function takeRandom8(): number {
  if (randomOffset + 8 > RANDOM_POOL_BYTES) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const at = randomOffset;
  randomOffset += 8;
  return at;
}

/**
 * Span ids come from one batch of 1024 random ids (8 bytes each), refilled by one `randomFillSync`.
 * A new span id is either its two 32-bit words ({@link drawSpanIdWords}: a server hop's, written to
 * the wire from the words and turned into text only if asked), or text sliced from the batch as
 * hex ({@link newSpanId}: a substring costs a small fixed allocation where a `toString('hex')` per
 * id costs ~120 ns). The hex is made once per batch, when the batch's first id is wanted as text. (A
 * slice keeps its 32 KiB parent string alive while it lives; span ids are short-lived.)
 */
const SPAN_ID_BATCH_BYTES = 16 * 1024;
/** The batch as 32-bit words (two per id, high first) and as bytes (for randomFillSync and hex). */
const spanIdWords = new Uint32Array(SPAN_ID_BATCH_BYTES / 4);
const spanIdBytes = Buffer.from(spanIdWords.buffer);
/**
 * The same words as signed integers, which is how {@link drawSpanIdWords} hands them out: V8 keeps a
 * field that only ever held 31-bit-or-less integers unboxed (a Smi), where an unsigned word past 2^31
 * makes the field a double, and every hop then allocates a heap number per such field.
 */
const spanIdInts = new Int32Array(spanIdWords.buffer);
/** The batch as hex, '' until an id of this batch is wanted as text. */
let spanIdHex = '';
/** The next unused id of the batch, as the index of its first word. */
let spanIdWordAt = spanIdWords.length;

/**
 * Refills the span id batch. An all-zero id (W3C forbids it as a parent-id) is made non-zero here,
 * once per batch over the bytes, instead of comparing every id handed out with sixteen zeros.
 */
function refillSpanIds(): void {
  randomFillSync(spanIdBytes);
  const words = spanIdWords;
  for (let i = 0; i < words.length; i += 2) {
    if (((words[i] as number) | (words[i + 1] as number)) === 0) spanIdBytes[i * 4 + 7] = 1;
  }
  spanIdHex = '';
  spanIdWordAt = 0;
}

/** A new span id: 16 lowercase hex chars, never all zeros (W3C forbids an all-zero parent-id). */
export function newSpanId(): string {
  if (spanIdWordAt >= spanIdWords.length) refillSpanIds();
  if (spanIdHex === '') spanIdHex = spanIdBytes.toString('hex');
  // Two words are eight bytes, sixteen hex digits.
  const at = spanIdWordAt * 8;
  spanIdWordAt += 2;
  return spanIdHex.slice(at, at + 16);
}

/**
 * Draws a new span id as two 32-bit words into `into` (`spanHigh` first, never both zero), as signed
 * integers (see {@link spanIdInts}); its text is `spanIdWordsText(spanHigh, spanLow)` from the wire
 * package, the digits the encoder writes (the same for a word signed or not).
 */
export function drawSpanIdWords(into: { spanHigh: number; spanLow: number }): void {
  if (spanIdWordAt >= spanIdWords.length) refillSpanIds();
  const at = spanIdWordAt;
  spanIdWordAt = at + 2;
  into.spanHigh = spanIdInts[at] as number;
  into.spanLow = spanIdInts[at + 1] as number;
}

/** Largest 64-bit unsigned id, the range of Flaki ids and of a traceparent's lower half. */
const MAX_UINT64 = (1n << 64n) - 1n;
const DECIMAL_ID = /^[1-9][0-9]{0,19}$/;

/** True for a decimal trace id in 1..2^64-1 (the form the ID service issues). */
export function isDecimalTraceId(value: string): boolean {
  return DECIMAL_ID.test(value) && (value.length < 20 || BigInt(value) <= MAX_UINT64);
}

/**
 * Local trace ids are made in blocks: a random 16-digit prefix, drawn once per block from the
 * crypto pool, followed by a 3-digit sequence number 000…999 — 19 decimal digits, always below
 * 2^63, so ids stay positive in signed 64-bit stores (Elasticsearch `long`, Java) too. A block is
 * one flat string the ids are sliced from: turning a random 63-bit number into decimal costs
 * ~200 ns per id (BigInt → string), which was most of what starting a trace cost; a slice costs a
 * small allocation. Several processes use this generator at once without coordination: two blocks
 * collide only when their random prefixes are equal, so among T ids the chance of any collision is
 * about T² / (1000 · 2^64) — a thousand times less than for T independent random 63-bit ids. Ids
 * within a block are sequential, as Snowflake/Flaki ids are.
 */
const TRACE_ID_BLOCK = 1000;
const TRACE_ID_SUFFIX_DIGITS = 3;
const TRACE_ID_DIGITS = 19;
/** Prefixes are 16-digit numbers in [10^15, 9223372036854775]: × 1000 + 999 stays below 2^63. */
const TRACE_ID_PREFIX_MIN = 1_000_000_000_000_000n;
const TRACE_ID_PREFIX_SPAN = 9_223_372_036_854_775n - TRACE_ID_PREFIX_MIN + 1n;
const TRACE_ID_SUFFIXES: readonly string[] = Array.from({ length: TRACE_ID_BLOCK }, (_, i) =>
  String(i).padStart(TRACE_ID_SUFFIX_DIGITS, '0'),
);

/** The suffixes' digits, in block order, for {@link traceIdBlock}. */
const TRACE_ID_SUFFIX_BYTES = Buffer.from(TRACE_ID_SUFFIXES.join(''), 'latin1');
/** One id's bytes: the block's prefix and a placeholder suffix, repeated over the block by `fill`. */
const traceIdPattern = Buffer.alloc(TRACE_ID_DIGITS);
const traceIdBlockBytes = Buffer.allocUnsafe(TRACE_ID_BLOCK * TRACE_ID_DIGITS);

/**
 * One block of local trace ids as a flat string (see {@link LocalIdSource}). Built as bytes — the
 * prefix repeated by one native `fill`, the suffix digits stored over it — then read back as one
 * Latin-1 string: about a tenth of what concatenating and joining a thousand strings costs, which
 * was ≈ 20 ns per trace id.
 */
function traceIdBlock(): string {
  const at = takeRandom8();
  const prefix = String((randomPool.readBigUInt64BE(at) % TRACE_ID_PREFIX_SPAN) + TRACE_ID_PREFIX_MIN);
  traceIdPattern.write(prefix, 0, 'latin1');
  const block = traceIdBlockBytes;
  block.fill(traceIdPattern);
  const suffixes = TRACE_ID_SUFFIX_BYTES;
  const prefixDigits = TRACE_ID_DIGITS - TRACE_ID_SUFFIX_DIGITS;
  for (let i = 0; i < TRACE_ID_BLOCK; i++) {
    const to = i * TRACE_ID_DIGITS + prefixDigits;
    const from = i * TRACE_ID_SUFFIX_DIGITS;
    block[to] = suffixes[from] as number;
    block[to + 1] = suffixes[from + 1] as number;
    block[to + 2] = suffixes[from + 2] as number;
  }
  return block.toString('latin1');
}

/**
 * Local trace ids: 19-digit decimal ids below 2^63 from a random prefix per block of 1000 and a
 * sequence number (see {@link TRACE_ID_BLOCK}). Needs no service.
 */
export class LocalIdSource implements IdSource {
  readonly asciiIds = true;
  private block = '';
  private offset = 0;

  nextTraceId(): string {
    if (this.offset >= this.block.length) {
      this.block = traceIdBlock();
      this.offset = 0;
    }
    const at = this.offset;
    this.offset = at + TRACE_ID_DIGITS;
    return this.block.slice(at, at + TRACE_ID_DIGITS);
  }
}

/** Options of {@link PooledIdSource}. */
export interface PooledIdSourceOptions {
  /** Fetches `count` new ids from the remote source (e.g. the ID generator's NextValidIDs). */
  fetchBatch: (count: number) => Promise<string[]>;
  /** Ids requested per fetch. Default 1000: one round trip per thousand traces. */
  batchSize?: number;
  /** Refill when fewer than this many ids are left. Default: half the batch size. */
  lowWaterMark?: number;
  /** Used when the pool is empty, so recording never waits. Default: a {@link LocalIdSource}. */
  fallback?: IdSource;
  /** Wait after a failed fetch before trying again. Default 1000 ms: retry soon, but never hammer a down service. */
  retryDelayMillis?: number;
}

/** Counters of a {@link PooledIdSource}. */
export interface PooledIdSourceStats {
  /** Ids waiting in the pool. */
  pooled: number;
  /** Ids handed out from the pool. */
  issued: number;
  /** Ids handed out by the fallback because the pool was empty. */
  fallbacks: number;
  /** Successful batch fetches. */
  fetchedBatches: number;
  /** Failed fetches (rejected, or not a list of ids). */
  fetchErrors: number;
  /** Ids in fetched batches that were not valid decimal 64-bit ids, skipped. */
  invalidIds: number;
  lastProblem?: TracerProblem;
}

const DEFAULT_ID_BATCH_SIZE = 1000;
const DEFAULT_ID_RETRY_DELAY_MILLIS = 1000;

/**
 * Trace ids issued by a remote ID service, fetched in batches in the background. `nextTraceId()`
 * never waits: it takes from the pool, starts a refill below the low-water mark, and uses the
 * fallback (counted in `stats().fallbacks`) while the pool is empty.
 */
export class PooledIdSource implements IdSource {
  /** Pooled ids are checked decimal on arrival; the fallback's say for themselves. */
  readonly asciiIds: boolean;
  private readonly fetchBatch: (count: number) => Promise<string[]>;
  private readonly batchSize: number;
  private readonly lowWaterMark: number;
  private readonly fallback: IdSource;
  private readonly retryDelayMillis: number;
  private pool: string[] = [];
  private next = 0;
  private refilling = false;
  private retryAfterMillis = 0;
  private closed = false;
  private counters: PooledIdSourceStats = {
    pooled: 0,
    issued: 0,
    fallbacks: 0,
    fetchedBatches: 0,
    fetchErrors: 0,
    invalidIds: 0,
  };

  constructor(options: PooledIdSourceOptions) {
    if (typeof options?.fetchBatch !== 'function') {
      throw new TracerError(
        'TRC_ERR_IDS_OPTIONS_INVALID',
        'fetchBatch: must be a function returning a Promise<string[]>',
      );
    }
    this.fetchBatch = options.fetchBatch;
    this.batchSize = positiveInteger('batchSize', options.batchSize ?? DEFAULT_ID_BATCH_SIZE);
    this.lowWaterMark = nonNegativeInteger('lowWaterMark', options.lowWaterMark ?? Math.floor(this.batchSize / 2));
    this.retryDelayMillis = nonNegativeInteger(
      'retryDelayMillis',
      options.retryDelayMillis ?? DEFAULT_ID_RETRY_DELAY_MILLIS,
    );
    if (options.fallback !== undefined && typeof options.fallback.nextTraceId !== 'function') {
      throw new TracerError('TRC_ERR_IDS_OPTIONS_INVALID', 'fallback: must implement nextTraceId()');
    }
    this.fallback = options.fallback ?? new LocalIdSource();
    this.asciiIds = this.fallback.asciiIds === true;
    this.refill();
  }

  nextTraceId(): string {
    const available = this.pool.length - this.next;
    if (available <= this.lowWaterMark) this.refill();
    if (available > 0) {
      this.counters.issued++;
      return this.pool[this.next++]!;
    }
    this.counters.fallbacks++;
    return this.fallback.nextTraceId();
  }

  /** A snapshot of the counters. */
  stats(): PooledIdSourceStats {
    return { ...this.counters, pooled: this.pool.length - this.next };
  }

  /** Resolves when no refill is in flight (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.refilling) await new Promise((resolve) => setTimeout(resolve, 1));
  }

  /** Stops refilling; ids already pooled are still handed out. */
  close(): void {
    this.closed = true;
  }

  private refill(): void {
    if (this.refilling || this.closed || Date.now() < this.retryAfterMillis) return;
    this.refilling = true;
    let request: Promise<string[]>;
    try {
      request = Promise.resolve(this.fetchBatch(this.batchSize));
    } catch (err) {
      request = Promise.reject(err);
    }
    request.then(
      (ids) => this.accept(ids),
      (err: unknown) => this.fail(`fetchBatch rejected: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  private accept(ids: unknown): void {
    this.refilling = false;
    if (!Array.isArray(ids)) {
      this.fail(`fetchBatch: must resolve to an array of id strings (got ${typeof ids})`);
      return;
    }
    // Compact before appending so the pool never grows beyond one batch plus the low-water mark.
    const fresh = this.pool.slice(this.next);
    for (const id of ids) {
      if (typeof id === 'string' && isDecimalTraceId(id)) fresh.push(id);
      else this.counters.invalidIds++;
    }
    if (fresh.length - (this.pool.length - this.next) === 0) {
      this.fail('fetchBatch: returned no valid decimal 64-bit ids');
      return;
    }
    this.pool = fresh;
    this.next = 0;
    this.counters.fetchedBatches++;
  }

  private fail(message: string): void {
    this.refilling = false;
    this.counters.fetchErrors++;
    this.counters.lastProblem = { code: 'TRC_ERR_IDS_FETCH_FAILED', message, atMillis: Date.now() };
    this.retryAfterMillis = Date.now() + this.retryDelayMillis;
  }
}

function positiveInteger(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TracerError('TRC_ERR_IDS_OPTIONS_INVALID', `${field}: must be a positive integer (got ${String(value)})`);
  }
  return value;
}

function nonNegativeInteger(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new TracerError(
      'TRC_ERR_IDS_OPTIONS_INVALID',
      `${field}: must be a non-negative integer (got ${String(value)})`,
    );
  }
  return value;
}
