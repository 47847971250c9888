import { type TraceEvent, validateEvent } from '@phosphor/wire';
import type { Logger } from 'pino';
import { RateLimitedWarner } from '../../util/rate-limited-warner.js';
import type { OtelSpan } from './otel-span.js';
import { mapOtelSpan } from './otel-span-mapper.js';
import {
  type DecodedRequest,
  decodeJsonRequest,
  decodeProtobufRequest,
  MalformedRequestError,
} from './otlp-request-decoder.js';
import { ParentResolver, type ResolvedSpan } from './parent-resolver.js';
import {
  REQUEST_REJECTIONS,
  type RequestRejection,
  SPAN_REJECTIONS,
  type SpanRejection,
  zeroCounts,
} from './rejection-reasons.js';

/** Spans remembered for children that arrive later: a few seconds of a busy service's spans. */
const MAX_REMEMBERED_PARENTS = 200_000;
/** How often spans whose parent never came are passed on. */
const EXPIRE_INTERVAL_MILLIS = 250;

/** The answer to one export request, whatever the transport. */
export type ExportOutcome =
  | { ok: true; acceptedSpans: number; rejectedSpans: number; errorMessage: string }
  | { ok: false; reason: RequestRejection; detail: string };

/** Counters of the OTLP receiver (both transports). */
export interface OtlpIngestStats {
  requests: { http: number; grpc: number };
  acceptedSpans: number;
  /** Spans left out of accepted requests, by reason. */
  rejectedSpans: Record<SpanRejection, number>;
  /** Requests refused as a whole, by reason. */
  rejectedRequests: Record<RequestRejection, number>;
  /** Events handed to span assembly. */
  events: number;
  waitingSpans: number;
  unresolvedParents: number;
  /** Batches whose hand-off to assembly threw (bugs). */
  handlerErrors: number;
}

/** Options of {@link OtlpIngest}. */
export interface OtlpIngestOptions {
  parentWaitMillis: number;
  maxWaitingSpans: number;
  warnIntervalMillis: number;
}

/**
 * The transport-independent part of the OTLP receiver: decodes a request body, validates and
 * counts spans, resolves parents, maps spans to events and hands them to `onEvents` — the same
 * entry point datagrams take, so OTel spans join Phosphor's hops in one assembler.
 */
export class OtlpIngest {
  private readonly resolver: ParentResolver;
  private readonly warner: RateLimitedWarner;
  private timer: NodeJS.Timeout | undefined;
  private readonly counters = {
    requests: { http: 0, grpc: 0 },
    acceptedSpans: 0,
    rejectedSpans: zeroCounts(SPAN_REJECTIONS),
    rejectedRequests: zeroCounts(REQUEST_REJECTIONS),
    events: 0,
    handlerErrors: 0,
  };

  constructor(
    options: OtlpIngestOptions,
    private readonly onEvents: (events: TraceEvent[]) => void,
    logger: Logger,
  ) {
    this.resolver = new ParentResolver({
      parentWaitMillis: options.parentWaitMillis,
      maxWaitingSpans: options.maxWaitingSpans,
      maxRememberedSpans: MAX_REMEMBERED_PARENTS,
    });
    this.warner = new RateLimitedWarner(logger, options.warnIntervalMillis);
  }

  /** Starts the timer that passes on spans whose parent never came. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.deliver(this.resolver.expire(Date.now())), EXPIRE_INTERVAL_MILLIS);
    this.timer.unref();
  }

  /** Stops the timer and passes on every waiting span (so nothing accepted is lost). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.deliver(this.resolver.drain());
  }

  /** Handles one request body (already decompressed). Never throws. */
  handle(body: Uint8Array, format: 'protobuf' | 'json', transport: 'http' | 'grpc'): ExportOutcome {
    this.counters.requests[transport]++;
    let decoded: DecodedRequest;
    try {
      decoded = format === 'protobuf' ? decodeProtobufRequest(body) : decodeJsonRequest(body);
    } catch (err) {
      const detail = err instanceof MalformedRequestError ? err.message : `decoding failed: ${(err as Error).message}`;
      return this.reject('malformed', detail);
    }
    for (const [reason, n] of Object.entries(decoded.rejected) as [SpanRejection, number][]) {
      this.counters.rejectedSpans[reason] += n;
    }
    let rejectedSpans = decoded.rejectedCount;
    let errorMessage = decoded.firstProblem ?? '';
    const ready = this.resolver.add(decoded.spans, Date.now());
    // Spans of earlier requests released by this one are not this request's to report.
    const invalid = this.deliver(ready, new Set(decoded.spans));
    rejectedSpans += invalid.count;
    if (!errorMessage && invalid.firstProblem) errorMessage = invalid.firstProblem;
    const acceptedSpans = decoded.spans.length - invalid.count;
    this.counters.acceptedSpans += acceptedSpans;
    if (rejectedSpans > 0) this.warner.warn('otlp_span', `rejected ${rejectedSpans} OTLP span(s): ${errorMessage}`);
    return { ok: true, acceptedSpans, rejectedSpans, errorMessage };
  }

  /** Counts a request refused before decoding (size, media type, encoding) and builds its outcome. */
  reject(reason: RequestRejection, detail: string): ExportOutcome {
    this.counters.rejectedRequests[reason]++;
    this.warner.warn(`otlp_${reason}`, `rejected OTLP request (${reason}): ${detail}`);
    return { ok: false, reason, detail };
  }

  /** Current counters. */
  stats(): OtlpIngestStats {
    return {
      requests: { ...this.counters.requests },
      acceptedSpans: this.counters.acceptedSpans,
      rejectedSpans: { ...this.counters.rejectedSpans },
      rejectedRequests: { ...this.counters.rejectedRequests },
      events: this.counters.events,
      waitingSpans: this.resolver.waitingSpans,
      unresolvedParents: this.resolver.unresolvedParents,
      handlerErrors: this.counters.handlerErrors,
    };
  }

  /** Maps and validates ready spans and hands their events on; returns the spans that broke a wire limit. */
  private deliver(ready: ResolvedSpan[], current?: ReadonlySet<OtelSpan>): { count: number; firstProblem?: string } {
    if (ready.length === 0) return { count: 0 };
    const events: TraceEvent[] = [];
    let count = 0;
    let firstProblem: string | undefined;
    for (const resolved of ready) {
      const mapped = mapOtelSpan(resolved);
      // The decoder already cut names and tags to the wire limits and checked ids and times; the
      // event carrying every field (the second: it has the duration and error) is checked once more
      // against the wire rules, so nothing the datagram path would refuse gets in this way.
      const problem = validateEvent(mapped[1] as TraceEvent);
      if (problem !== undefined) {
        this.counters.rejectedSpans.invalid_event++;
        if (current === undefined || current.has(resolved.span)) {
          count++;
          firstProblem ??= `span ${resolved.span.spanId}: ${problem}`;
        }
        continue;
      }
      for (const event of mapped) events.push(event);
    }
    if (events.length > 0) {
      try {
        this.onEvents(events);
        this.counters.events += events.length;
      } catch (err) {
        // Assembly failing is a bug; the request was valid, so the sender is not told to retry.
        this.counters.handlerErrors++;
        this.warner.warn('otlp_handler', `assembly threw on OTLP events: ${(err as Error).message}`);
      }
    }
    return firstProblem === undefined ? { count } : { count, firstProblem };
  }
}
