import { SpanKind } from '../../otlp/otlp-schema.js';
import type { OtelSpan } from './otel-span.js';

/** A span whose parent is known in Phosphor's terms. */
export interface ResolvedSpan {
  span: OtelSpan;
  /**
   * The parent in Phosphor's terms: the hop the parent span belongs to. A SERVER span is the
   * callee side of the hop named by its parent (the caller's CLIENT span id, which the
   * traceparent carried), so a child of a SERVER span hangs under that hop, not under the SERVER
   * span's own id. Undefined for roots.
   */
  parentHopId: string | undefined;
  /** The endpoint the parent span served: the caller's endpoint (`fromEndpoint`) of a CLIENT span. */
  callerEndpoint: string;
}

/** Options of {@link ParentResolver}. */
export interface ParentResolverOptions {
  /** How long a span waits for its parent span before it is passed on with the parent id as it is. */
  parentWaitMillis: number;
  /** Spans waiting at most; past it a new span is passed on at once (counted as unresolved). */
  maxWaitingSpans: number;
  /** Spans remembered for children that arrive later (oldest forgotten first). */
  maxRememberedSpans: number;
}

/** What is remembered of each span: its hop and the endpoint it served. */
interface Known {
  hopId: string;
  endpoint: string;
}

interface Waiting {
  span: OtelSpan;
  deadlineMillis: number;
}

/**
 * Turns OTel parent links into Phosphor hop links. OTel SDKs export a child before its parent
 * (a span is exported when it ends, and a parent ends last), so a CLIENT span often arrives before
 * the SERVER span it was called from; it then waits, bounded in time and count, until its parent
 * arrives. A span whose parent never comes (not exported, sampled out, or a Phosphor hop) is
 * passed on after `parentWaitMillis` with its OTel parent id, which is right when that id is
 * itself a hop (a Phosphor caller's span id). Memory is bounded by the two caps.
 */
export class ParentResolver {
  private readonly known = new Map<string, Known>();
  private readonly waiting = new Map<string, Waiting[]>();
  private waitingCount = 0;
  /** Deadlines in arrival order (equal wait per span, so also deadline order). */
  private readonly queue: { key: string; entry: Waiting }[] = [];
  private queueHead = 0;
  /** Spans passed on without their parent resolved (timed out, or the wait was full). */
  unresolvedParents = 0;

  constructor(private readonly options: ParentResolverOptions) {}

  /** Spans waiting for their parent now. */
  get waitingSpans(): number {
    return this.waitingCount;
  }

  /** Registers a batch and returns every span that is ready, including earlier waiters this batch released. */
  add(spans: readonly OtelSpan[], nowMillis: number): ResolvedSpan[] {
    const ready: ResolvedSpan[] = [];
    // Register the whole batch first: a parent later in the same request still resolves at once.
    for (const span of spans) this.remember(span);
    for (const span of spans) {
      if (span.kind === SpanKind.server || span.parentSpanId === undefined) {
        ready.push({ span, parentHopId: undefined, callerEndpoint: '' });
        continue;
      }
      const parent = this.known.get(key(span.traceId, span.parentSpanId));
      if (parent !== undefined) {
        ready.push({ span, parentHopId: parent.hopId, callerEndpoint: parent.endpoint });
      } else if (this.waitingCount >= this.options.maxWaitingSpans) {
        this.unresolvedParents++;
        ready.push({ span, parentHopId: span.parentSpanId, callerEndpoint: '' });
      } else {
        this.wait(span, nowMillis + this.options.parentWaitMillis);
      }
    }
    // Waiters whose parent arrived in this batch.
    for (const span of spans) this.release(key(span.traceId, span.spanId), ready);
    return ready;
  }

  /** Passes on the spans whose wait is over, parent unresolved. */
  expire(nowMillis: number): ResolvedSpan[] {
    const ready: ResolvedSpan[] = [];
    while (this.queueHead < this.queue.length) {
      const item = this.queue[this.queueHead] as { key: string; entry: Waiting };
      if (item.entry.deadlineMillis > nowMillis) break;
      this.queueHead++;
      const list = this.waiting.get(item.key);
      const at = list?.indexOf(item.entry) ?? -1;
      if (list === undefined || at < 0) continue; // released earlier
      list.splice(at, 1);
      if (list.length === 0) this.waiting.delete(item.key);
      this.waitingCount--;
      this.unresolvedParents++;
      ready.push({ span: item.entry.span, parentHopId: item.entry.span.parentSpanId, callerEndpoint: '' });
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return ready;
  }

  /** Passes on every waiting span (shutdown). */
  drain(): ResolvedSpan[] {
    return this.expire(Number.POSITIVE_INFINITY);
  }

  private remember(span: OtelSpan): void {
    const hopId = span.kind === SpanKind.server ? (span.parentSpanId ?? span.spanId) : span.spanId;
    const k = key(span.traceId, span.spanId);
    if (!this.known.has(k) && this.known.size >= this.options.maxRememberedSpans) {
      const oldest = this.known.keys().next();
      if (!oldest.done) this.known.delete(oldest.value);
    }
    this.known.set(k, { hopId, endpoint: span.name });
  }

  private wait(span: OtelSpan, deadlineMillis: number): void {
    const k = key(span.traceId, span.parentSpanId as string);
    const entry: Waiting = { span, deadlineMillis };
    const list = this.waiting.get(k);
    if (list === undefined) this.waiting.set(k, [entry]);
    else list.push(entry);
    this.waitingCount++;
    this.queue.push({ key: k, entry });
  }

  private release(parentKey: string, ready: ResolvedSpan[]): void {
    const list = this.waiting.get(parentKey);
    if (list === undefined) return;
    this.waiting.delete(parentKey);
    const parent = this.known.get(parentKey) as Known;
    for (const { span } of list) {
      this.waitingCount--;
      ready.push({ span, parentHopId: parent.hopId, callerEndpoint: parent.endpoint });
    }
  }
}

function key(traceId: string, spanId: string): string {
  return `${traceId}/${spanId}`;
}
