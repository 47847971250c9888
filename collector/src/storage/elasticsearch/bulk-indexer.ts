import type { Client } from '@elastic/elasticsearch';
import { errors as esErrors } from '@elastic/elasticsearch';
import type { Logger } from 'pino';
import { CollectorError } from '../../errors.js';
import type { DiskSpool, SpooledRecord } from './disk-spool.js';

/** One span ready to be indexed: where, under which id and version, and its JSON source. */
export interface IndexItem {
  index: string;
  id: string;
  /** External version: a later write of the same span carries a larger one and wins whatever the order. */
  version: number;
  /** The document, already serialised. */
  source: string;
  /** Set when the item came from the spool: called once the item needs no disk copy any more. */
  release?: () => void;
  /**
   * Called once when the item's fate is known: `true` when it is indexed, superseded, permanently
   * rejected (retrying cannot help) or safe in the spool; `false` when it was dropped. A Kafka
   * assembler commits offsets only past spans settled `true`.
   */
  onSettled?: (stored: boolean) => void;
}

/** Options of {@link BulkIndexer} (resolved config values, see config.ts for meaning and defaults). */
export interface BulkIndexerOptions {
  bulkMaxSpans: number;
  bulkMaxBytes: number;
  flushIntervalMillis: number;
  maxConcurrentRequests: number;
  retryInitialBackoffMillis: number;
  retryMaxBackoffMillis: number;
  requestTimeoutMillis: number;
  memoryQueueMaxSpans: number;
}

/** Counters of the indexer, merged into the store's `stats()`. */
export type BulkIndexerStats = {
  acceptedSpans: number;
  indexedSpans: number;
  /** Writes ES ignored because a newer version of the span was already stored (or a retry of a done write). */
  supersededSpans: number;
  /** Spans ES refused for good (mapping conflict, bad document): counted, a sample logged. */
  rejectedSpans: number;
  /** Spans lost because the spool was full or unwritable. */
  droppedSpans: number;
  spooledSpans: number;
  replayedSpans: number;
  bulkRequests: number;
  retriedRequests: number;
  /** Items retried alone after a per-item 429/5xx inside a 200 response. */
  retriedItems: number;
  queuedSpans: number;
  inFlightSpans: number;
  spoolPendingSpans: number;
  spoolBytes: number;
};

/** Classification of a failed request or item. */
type Outcome = 'retry' | 'permanent';

/** Per-item statuses ES uses for transient conditions: 429 rejected execution, 5xx unavailable shards. */
function classifyStatus(status: number): Outcome {
  return status === 429 || status >= 500 ? 'retry' : 'permanent';
}

function classifyError(err: unknown): Outcome {
  // 401/403 on the whole request are settings problems an operator fixes (rotated key, missing privilege):
  // keep the spans and retry rather than reject what was accepted.
  if (err instanceof esErrors.ResponseError && (err.statusCode === 401 || err.statusCode === 403)) return 'retry';
  if (err instanceof esErrors.ResponseError) return classifyStatus(err.statusCode ?? 500);
  // Connection refused/reset, timeouts, no living node, and anything unexpected: retry. Losing an
  // accepted span is worse than retrying a request that can never succeed, which we log.
  return 'retry';
}

interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string };
}

interface BulkResponse {
  errors?: boolean;
  items?: Record<string, BulkItemResult>[];
}

/** At most one log line per this period for rejected or dropped spans (a count and one sample). */
const SAMPLE_LOG_INTERVAL_MILLIS = 10_000;

/**
 * The bulk exporter: a bounded memory FIFO that spills to a {@link DiskSpool}, drained by up to
 * `maxConcurrentRequests` bulk requests of at most `bulkMaxSpans` / `bulkMaxBytes`, sent when a batch is
 * full or `flushIntervalMillis` after the oldest span was queued.
 *
 * Ordering invariant: once anything is in the spool, new spans go to the spool too, and the memory
 * queue is refilled from the spool only — so spans leave in the order they were accepted. Batches in
 * flight at the same time may land in any order; external versions make the last accepted version win.
 *
 * Failures: a request failing with a connection error, timeout, 429 or 5xx is retried (same batch,
 * exponential backoff with jitter, forever); other 4xx reject the batch. A 200 response with
 * `errors: true` is handled item by item: 409 version conflict = already stored (superseded),
 * 429/5xx items are retried, other items are rejected, counted and sampled to the log.
 */
export class BulkIndexer {
  private queue: IndexItem[] = [];
  private queueHead = 0;
  private queueBytes = 0;
  private inFlight = 0;
  private inFlightSpans = 0;
  private timer: NodeJS.Timeout | undefined;
  private firstQueuedAt = 0;
  private closing = false;
  /** While paused (index template not installed yet) spans queue and spool but nothing is sent. */
  private paused: boolean;
  /** Resolvers waiting for the queue and in-flight requests to drain. */
  private drainWaiters: (() => void)[] = [];
  /** Batches whose retry was abandoned at shutdown; written back to the spool. */
  private abandoned: IndexItem[] = [];
  private retryAborters = new Set<() => void>();
  private lastRejectLogAt = 0;
  private rejectsSinceLog = 0;
  private lastDropLogAt = 0;
  private dropsSinceLog = 0;
  private retryWarned = false;
  private readonly counters = {
    acceptedSpans: 0,
    indexedSpans: 0,
    supersededSpans: 0,
    rejectedSpans: 0,
    droppedSpans: 0,
    spooledSpans: 0,
    replayedSpans: 0,
    bulkRequests: 0,
    retriedRequests: 0,
    retriedItems: 0,
  };
  /** Wall time of the last drop, for health. */
  lastDropAtMillis = 0;
  /** True while the last bulk attempt failed with a retriable error. */
  backendFailing = false;

  constructor(
    private readonly client: Client,
    private readonly spool: DiskSpool | undefined,
    private readonly options: BulkIndexerOptions,
    private readonly logger: Logger,
    startPaused = false,
    /** Names the setting behind a connection/credential failure (logged instead of the client's raw error). */
    private readonly describeError: (err: unknown) => Error | undefined = () => undefined,
  ) {
    this.paused = startPaused;
    if (spool && spool.pendingRecords > 0) {
      logger.info({ spans: spool.pendingRecords, dir: spool.dir }, 'replaying Elasticsearch spool from a previous run');
      this.schedule();
    }
  }

  /** Queues items without waiting; overflow goes to the spool, past its bound items are dropped. */
  enqueue(items: readonly IndexItem[]): void {
    if (items.length === 0) return;
    this.counters.acceptedSpans += items.length;
    if (this.closing) {
      this.toSpool(items, 'prepend');
      return;
    }
    let i = 0;
    // Memory only while the spool is empty, or order would break (spool holds older spans).
    if (!this.spool || this.spool.pendingRecords === 0) {
      const room = this.options.memoryQueueMaxSpans - this.queuedCount();
      const n = Math.min(room, items.length);
      for (; i < n; i++) this.push(items[i] as IndexItem);
    }
    if (i < items.length) this.toSpool(i === 0 ? items : items.slice(i), 'append');
    this.schedule();
  }

  /** Lets requests go out (after the index template is in place). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.drainWaiters.length > 0) this.pump(true);
    else this.schedule();
  }

  /** Sends everything queued now and resolves when the queue, the spool and in-flight requests are empty. */
  flush(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    // Timers here are unref'd so a collector can exit at will; whoever awaits a flush, though, must
    // not see the process end under it (a CLI or bench has nothing else keeping the loop alive).
    const keepAlive = setInterval(() => undefined, 1 << 30);
    return new Promise<void>((resolve) => {
      this.drainWaiters.push(resolve);
      this.pump(true);
    }).finally(() => clearInterval(keepAlive));
  }

  /**
   * Stops accepting, tries to send what is queued for up to `deadlineMillis`, then writes whatever is
   * still queued or being retried to the front of the spool so the next run replays it.
   */
  async close(deadlineMillis: number): Promise<void> {
    if (this.closing) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMillis);
      timer.unref();
    });
    await Promise.race([this.flush(), deadline]);
    clearTimeout(timer);
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    for (const abort of this.retryAborters) abort();
    // Retry loops notice `closing` at their next step; wait for every request to come back.
    await new Promise<void>((resolve) => {
      if (this.inFlight === 0) resolve();
      else this.drainWaiters.push(resolve);
    });
    const leftover = [...this.abandoned, ...this.queue.slice(this.queueHead)];
    this.queue = [];
    this.queueHead = 0;
    this.abandoned = [];
    this.toSpool(leftover, 'prepend');
    this.spool?.close();
    // Anyone still awaiting flush() is released: what was not sent is safe in the spool now.
    this.releaseWaiters();
  }

  /** Counters and gauges. */
  stats(): BulkIndexerStats {
    return {
      ...this.counters,
      queuedSpans: this.queuedCount(),
      inFlightSpans: this.inFlightSpans,
      spoolPendingSpans: this.spool?.pendingRecords ?? 0,
      spoolBytes: this.spool?.bytes ?? 0,
    };
  }

  private queuedCount(): number {
    return this.queue.length - this.queueHead;
  }

  private isIdle(): boolean {
    return this.queuedCount() === 0 && this.inFlight === 0 && (this.spool?.pendingRecords ?? 0) === 0;
  }

  private push(item: IndexItem): void {
    if (this.queuedCount() === 0) this.firstQueuedAt = Date.now();
    this.queue.push(item);
    this.queueBytes += item.source.length;
  }

  private toSpool(items: readonly IndexItem[], where: 'append' | 'prepend'): void {
    if (items.length === 0) return;
    const lines = items.map(serialiseItem);
    let stored = 0;
    if (this.spool) {
      try {
        if (where === 'prepend') {
          this.spool.prepend(lines);
          stored = lines.length;
        } else {
          stored = this.spool.append(lines);
        }
      } catch (err) {
        const error = new CollectorError('COL_ERR_ES_SPOOL_IO', `cannot write ${this.spool.dir}`, undefined, {
          cause: err,
        });
        this.logger.error({ err: error }, error.message);
      }
    }
    // Items that came from the spool and are written again no longer need their old copy.
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as IndexItem;
      item.release?.();
      // Spool appends keep a prefix: the first `stored` items are on disk, the rest are dropped.
      item.onSettled?.(i < stored);
    }
    this.counters.spooledSpans += stored;
    if (stored < items.length) this.drop(items.length - stored);
  }

  private drop(count: number): void {
    this.counters.droppedSpans += count;
    this.lastDropAtMillis = Date.now();
    this.dropsSinceLog += count;
    const now = Date.now();
    if (now - this.lastDropLogAt >= SAMPLE_LOG_INTERVAL_MILLIS) {
      const error = new CollectorError(
        'COL_ERR_ES_SPOOL_FULL',
        `${this.dropsSinceLog} spans dropped (spool at ${this.spool?.bytes ?? 0} of ${this.spool?.maxBytes ?? 0} bytes)`,
      );
      this.logger.error({ err: error, droppedSpans: this.counters.droppedSpans }, error.message);
      this.lastDropLogAt = now;
      this.dropsSinceLog = 0;
    }
  }

  /** Pulls spooled records into memory while there is room, keeping FIFO order. */
  private refill(): void {
    if (!this.spool || this.spool.pendingRecords === 0) return;
    const room = this.options.memoryQueueMaxSpans - this.queuedCount();
    // Reading a few batches ahead is enough to keep every request slot busy.
    const want = Math.min(room, this.options.bulkMaxSpans * (this.options.maxConcurrentRequests + 1));
    if (want <= 0) return;
    let records: SpooledRecord[];
    try {
      records = this.spool.read(want);
    } catch (err) {
      const error = new CollectorError('COL_ERR_ES_SPOOL_IO', `cannot read ${this.spool.dir}`, undefined, {
        cause: err,
      });
      this.logger.error({ err: error }, error.message);
      return;
    }
    for (const record of records) {
      const item = parseItem(record);
      if (item) this.push(item);
      else {
        record.release();
        this.drop(1);
      }
    }
    this.counters.replayedSpans += records.length;
  }

  private schedule(): void {
    if (this.closing) return;
    const ready =
      this.queuedCount() >= this.options.bulkMaxSpans ||
      this.queueBytes >= this.options.bulkMaxBytes ||
      (this.spool?.pendingRecords ?? 0) > 0;
    if (ready && this.inFlight < this.options.maxConcurrentRequests) this.pump(false);
    else this.armTimer();
  }

  private armTimer(): void {
    if (!this.timer && !this.closing && this.queuedCount() > 0) {
      const wait = Math.max(0, this.firstQueuedAt + this.options.flushIntervalMillis - Date.now());
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump(true);
      }, wait);
      this.timer.unref();
    }
  }

  /** Starts requests while slots are free. `partial` allows a batch smaller than the size limits. */
  private pump(partial: boolean): void {
    while (!this.closing && !this.paused && this.inFlight < this.options.maxConcurrentRequests) {
      // Spooled spans are old already: send them without waiting for a full batch.
      const replaying = (this.spool?.pendingRecords ?? 0) > 0;
      if (this.queuedCount() < this.options.bulkMaxSpans) this.refill();
      const count = this.queuedCount();
      if (count === 0) break;
      const fullBatch = count >= this.options.bulkMaxSpans || this.queueBytes >= this.options.bulkMaxBytes;
      if (!fullBatch && !partial && !replaying && this.drainWaiters.length === 0) break;
      const batch = this.takeBatch();
      this.inFlight++;
      this.inFlightSpans += batch.length;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.inFlightSpans -= batch.length;
        this.afterRequest();
      });
    }
    this.armTimer();
    this.notifyIfIdle();
  }

  private afterRequest(): void {
    if (this.closing) {
      if (this.inFlight === 0) this.releaseWaiters();
      return;
    }
    this.pump(this.drainWaiters.length > 0);
  }

  private notifyIfIdle(): void {
    if (this.isIdle()) this.releaseWaiters();
  }

  private releaseWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private takeBatch(): IndexItem[] {
    const batch: IndexItem[] = [];
    let bytes = 0;
    while (this.queueHead < this.queue.length && batch.length < this.options.bulkMaxSpans) {
      const item = this.queue[this.queueHead] as IndexItem;
      if (batch.length > 0 && bytes + item.source.length > this.options.bulkMaxBytes) break;
      batch.push(item);
      bytes += item.source.length;
      this.queueHead++;
    }
    this.queueBytes -= bytes;
    // Compact once the consumed prefix dominates, so the array does not grow without bound.
    if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    if (this.queuedCount() > 0) this.firstQueuedAt = Date.now();
    return batch;
  }

  /** Sends one batch until every item is indexed, superseded or rejected (or shutdown abandons it). */
  private async send(initial: IndexItem[]): Promise<void> {
    let batch = initial;
    let attempt = 0;
    while (batch.length > 0) {
      if (attempt > 0) {
        if (!this.closing) await this.backoff(attempt);
        if (this.closing) {
          this.abandoned.push(...batch);
          return;
        }
        this.counters.retriedRequests++;
      }
      attempt++;
      this.counters.bulkRequests++;
      let response: BulkResponse;
      try {
        response = (await this.client.transport.request(
          {
            method: 'POST',
            path: '/_bulk',
            bulkBody: buildBody(batch),
            // ES answers per item (503 for an unassigned shard) before the client gives up.
            querystring: { timeout: `${Math.floor(this.options.requestTimeoutMillis / 2)}ms` },
          },
          { requestTimeout: this.options.requestTimeoutMillis, maxRetries: 0 },
        )) as BulkResponse;
      } catch (err) {
        if (classifyError(err) === 'permanent') {
          this.reject(batch, err instanceof Error ? err.message : String(err));
          return;
        }
        this.backendFailing = true;
        if (!this.retryWarned) {
          this.retryWarned = true;
          const described = this.describeError(err);
          this.logger.warn(
            { err: described ?? err },
            `Elasticsearch bulk request failed; retrying with backoff (spans are kept)${described ? `: ${described.message}` : ''}`,
          );
        }
        continue;
      }
      if (this.backendFailing || this.retryWarned) {
        this.logger.info('Elasticsearch bulk requests succeed again');
        this.backendFailing = false;
        this.retryWarned = false;
      }
      batch = this.handleItems(batch, response);
      if (batch.length > 0) this.counters.retriedItems += batch.length;
    }
  }

  /** Returns the items to retry. */
  private handleItems(batch: IndexItem[], response: BulkResponse): IndexItem[] {
    const items = response.items ?? [];
    if (!response.errors) {
      this.counters.indexedSpans += batch.length;
      for (const item of batch) {
        item.release?.();
        item.onSettled?.(true);
      }
      return [];
    }
    const retry: IndexItem[] = [];
    batch.forEach((item, i) => {
      const result = items[i]?.index;
      if (!result) {
        retry.push(item);
        return;
      }
      if (result.status >= 200 && result.status < 300) {
        this.counters.indexedSpans++;
      } else if (result.status === 409) {
        this.counters.supersededSpans++;
      } else if (classifyStatus(result.status) === 'retry') {
        retry.push(item);
        return;
      } else {
        this.reject([item], `${result.error?.type ?? result.status}: ${result.error?.reason ?? 'rejected'}`);
        return;
      }
      item.release?.();
      item.onSettled?.(true);
    });
    return retry;
  }

  private reject(items: IndexItem[], reason: string): void {
    this.counters.rejectedSpans += items.length;
    this.rejectsSinceLog += items.length;
    for (const item of items) {
      item.release?.();
      item.onSettled?.(true);
    }
    const now = Date.now();
    if (now - this.lastRejectLogAt >= SAMPLE_LOG_INTERVAL_MILLIS) {
      const sample = items[0];
      const error = new CollectorError(
        'COL_ERR_ES_BULK_REJECTED',
        `${this.rejectsSinceLog} span(s) rejected since the last report; sample ${sample?.index}/${sample?.id}: ${reason}`,
      );
      this.logger.error({ err: error, rejectedSpans: this.counters.rejectedSpans }, error.message);
      this.lastRejectLogAt = now;
      this.rejectsSinceLog = 0;
    }
  }

  private backoff(attempt: number): Promise<void> {
    const { retryInitialBackoffMillis: base, retryMaxBackoffMillis: cap } = this.options;
    const step = Math.min(cap, base * 2 ** Math.min(attempt - 1, 30));
    // Jitter between half and all of the step, so retrying collectors do not synchronise.
    const wait = step / 2 + Math.random() * (step / 2);
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.retryAborters.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, wait);
      timer.unref();
      this.retryAborters.add(finish);
    });
  }
}

function buildBody(batch: readonly IndexItem[]): string {
  let body = '';
  for (const item of batch) {
    body += `{"index":{"_index":${JSON.stringify(item.index)},"_id":${JSON.stringify(item.id)},"version":${item.version},"version_type":"external"}}\n${item.source}\n`;
  }
  return body;
}

/** Spool line: a JSON header `[index,id,version]`, a tab, the document JSON (JSON never holds a raw tab). */
function serialiseItem(item: IndexItem): string {
  return `${JSON.stringify([item.index, item.id, item.version])}\t${item.source}`;
}

function parseItem(record: SpooledRecord): IndexItem | undefined {
  const tab = record.line.indexOf('\t');
  if (tab < 0) return undefined;
  try {
    const header: unknown = JSON.parse(record.line.slice(0, tab));
    if (!Array.isArray(header) || header.length !== 3) return undefined;
    const [index, id, version] = header as unknown[];
    if (typeof index !== 'string' || typeof id !== 'string' || typeof version !== 'number') return undefined;
    return { index, id, version, source: record.line.slice(tab + 1), release: record.release };
  } catch {
    return undefined;
  }
}
