import type { ServerResponse } from 'node:http';
import type { Span } from '../model/span.js';
import type { SpanBatch } from '../model/span-batch.js';
import type { SpanConsumer } from '../pipeline/pipeline-component.js';

/** Live tail settings (`tail:` in collector.yml). */
export interface TailHubOptions {
  maxClients: number;
  maxBufferedBytes: number;
  heartbeatMillis: number;
}

/** Which spans a tail client wants. */
export interface TailFilter {
  /** Caller or callee service. */
  service?: string;
  /** true: only spans with an error; false: only without. */
  error?: boolean;
}

interface TailClient {
  res: ServerResponse;
  filter: TailFilter;
}

/**
 * Fans finished spans out to Server-Sent Events clients. Each span is serialised once whatever
 * the number of clients. A client whose socket holds more than `maxBufferedBytes` of unsent data
 * is disconnected (counted) — a slow consumer never makes the collector buffer without bound.
 */
export class TailHub implements SpanConsumer {
  readonly statsKey = 'tail';
  private readonly clients = new Set<TailClient>();
  private readonly timer: NodeJS.Timeout;
  private readonly counters = { tailConnections: 0, tailSentSpans: 0, tailDroppedClients: 0, tailRejectedClients: 0 };

  constructor(private readonly options: TailHubOptions) {
    this.timer = setInterval(() => this.heartbeat(), options.heartbeatMillis);
    this.timer.unref();
  }

  /** False when the client cap is reached (the caller answers 503). */
  canAccept(): boolean {
    if (this.clients.size < this.options.maxClients) return true;
    this.counters.tailRejectedClients++;
    return false;
  }

  /** Starts streaming to `res` (headers are written here) until the client disconnects. */
  subscribe(res: ServerResponse, filter: TailFilter): void {
    const client: TailClient = { res, filter };
    this.clients.add(client);
    this.counters.tailConnections++;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Tells EventSource how long to wait before reconnecting, and flushes the headers.
    res.write('retry: 2000\n\n');
    const remove = () => this.clients.delete(client);
    res.on('close', remove);
    res.on('error', remove);
  }

  /** Pipeline entry: every finished span and every late update is streamed. */
  consume(spans: readonly Span[]): void {
    this.publish(spans);
  }

  /** Span objects are made only while a client listens. */
  consumeBatch(batch: SpanBatch): void {
    if (this.clients.size > 0) this.publish(batch.spans());
  }

  /** Sends spans to every matching client. */
  publish(spans: readonly Span[]): void {
    if (this.clients.size === 0) return;
    for (const span of spans) {
      let frame: string | undefined;
      for (const client of this.clients) {
        if (!matches(span, client.filter)) continue;
        if (client.res.writableLength > this.options.maxBufferedBytes) {
          this.drop(client);
          continue;
        }
        frame ??= `event: span\ndata: ${JSON.stringify(span)}\n\n`;
        client.res.write(frame);
        this.counters.tailSentSpans++;
      }
    }
  }

  /** Current subscribers and counters. */
  stats(): Record<string, number> {
    return { tailClients: this.clients.size, ...this.counters };
  }

  /** Ends every stream. Safe to call twice. */
  close(): void {
    clearInterval(this.timer);
    for (const client of this.clients) client.res.end();
    this.clients.clear();
  }

  private heartbeat(): void {
    for (const client of this.clients) {
      if (client.res.writableLength > this.options.maxBufferedBytes) this.drop(client);
      else client.res.write(': keep-alive\n\n');
    }
  }

  private drop(client: TailClient): void {
    this.clients.delete(client);
    this.counters.tailDroppedClients++;
    // destroy, not end: end() would queue behind the unsent backlog we are trying to shed.
    client.res.destroy();
  }
}

function matches(span: Span, filter: TailFilter): boolean {
  if (filter.service !== undefined && span.to !== filter.service && span.from !== filter.service) return false;
  if (filter.error !== undefined && (span.errorCode !== undefined) !== filter.error) return false;
  return true;
}
