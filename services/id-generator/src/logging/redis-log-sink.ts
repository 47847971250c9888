/**
 * A pino destination that pushes log lines to a Redis list for Logstash's redis input
 * (`data_type => "list"`). Never blocks the caller: `write()` only appends to a bounded in-process
 * buffer; a timer (unref'd) flushes with one in-flight `RPUSH` + `LTRIM` at a time. When the buffer is
 * full, or Redis fails, lines are dropped and counted — logs are the thing we give up first.
 */
import type { Redis } from 'ioredis';

/** Options of {@link RedisLogSink}. */
export interface RedisLogSinkOptions {
  redis: Redis;
  /** List key (Logstash's `key`). */
  key: string;
  /** The list is trimmed to its newest `maxListLength` elements after every push. */
  maxListLength: number;
  /** In-process buffer bound; lines past it are dropped (counted in `droppedLines.bufferFull`). */
  maxBufferedLines: number;
  /** Lines per `RPUSH`. */
  maxBatchLines: number;
  flushIntervalMillis: number;
}

/** Counters of {@link RedisLogSink}. */
export interface RedisLogSinkStats {
  bufferedLines: number;
  sentLines: number;
  droppedLines: { bufferFull: number; sendError: number };
  /** Last send error message, for health. */
  lastError: string | undefined;
}

/** Bounded, non-blocking Redis list sink; pass it to pino as a stream. */
export class RedisLogSink {
  private readonly options: RedisLogSinkOptions;
  private buffer: string[] = [];
  private inFlight: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private sentLines = 0;
  private droppedBufferFull = 0;
  private droppedSendError = 0;
  private lastError: string | undefined;

  constructor(options: RedisLogSinkOptions) {
    this.options = options;
    this.timer = setInterval(() => this.flushSoon(), options.flushIntervalMillis);
    this.timer.unref();
  }

  /** pino calls this with one serialized line (newline-terminated). Never throws, never waits. */
  write(line: string): boolean {
    if (this.closed || this.buffer.length >= this.options.maxBufferedLines) {
      this.droppedBufferFull++;
      return true;
    }
    this.buffer.push(line.endsWith('\n') ? line.slice(0, -1) : line);
    if (this.buffer.length >= this.options.maxBatchLines) this.flushSoon();
    return true;
  }

  stats(): RedisLogSinkStats {
    return {
      bufferedLines: this.buffer.length,
      sentLines: this.sentLines,
      droppedLines: { bufferFull: this.droppedBufferFull, sendError: this.droppedSendError },
      lastError: this.lastError,
    };
  }

  /** Sends everything buffered (waits for the in-flight push first). */
  async flush(): Promise<void> {
    while (this.inFlight || this.buffer.length > 0) {
      if (this.inFlight) await this.inFlight;
      else this.flushSoon();
    }
  }

  /** Flushes and stops the timer; later writes are dropped. Safe to call twice. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    this.closed = true;
  }

  private flushSoon(): void {
    if (this.inFlight || this.buffer.length === 0) return;
    const batch =
      this.buffer.length <= this.options.maxBatchLines ? this.buffer : this.buffer.slice(0, this.options.maxBatchLines);
    this.buffer = batch === this.buffer ? [] : this.buffer.slice(batch.length);
    this.inFlight = this.options.redis
      .multi()
      .rpush(this.options.key, ...batch)
      .ltrim(this.options.key, -this.options.maxListLength, -1)
      .exec()
      .then((results) => {
        const failed = results?.find(([error]) => error !== null)?.[0];
        if (failed) throw failed;
        this.sentLines += batch.length;
      })
      .catch((error: Error) => {
        this.droppedSendError += batch.length;
        this.lastError = error.message;
      })
      .finally(() => {
        this.inFlight = undefined;
        if (this.buffer.length >= this.options.maxBatchLines) this.flushSoon();
      });
  }
}
