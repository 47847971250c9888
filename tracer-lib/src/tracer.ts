import { AppendStatus, DatagramWriter, EventFlags, type TraceEvent, validateEvent } from '@phosphor/wire';
import type { AttributePolicy } from './attributes/attribute-set.js';
import { EventRing, HopPairing, type HopRecord } from './buffer/event-ring.js';
import { HopTemplates } from './buffer/hop-templates.js';
import { type HopEventKind, SlotKind } from './buffer/slot-kind.js';
import { nowMicros, resyncClock } from './clock.js';
import type { TraceContext } from './context.js';
import { withEnvironment } from './env-options.js';
import type { TracerErrorCode, TracerProblem } from './errors.js';
import { type IdSource, LocalIdSource, newSpanId } from './ids.js';
import { type ResolvedTracerOptions, resolveTracerOptions, type TracerOptions } from './options.js';
import { RateSampler, type Sampler } from './sampler.js';
import { UdpTransport } from './transport/udp.js';

/** Events lost, by reason. The first four travel in every datagram so the collector can compute loss per tracer. */
export interface DroppedEvents {
  /** The bounded buffer was full (collector or flush too slow for the event rate). */
  bufferFull: number;
  /** The event alone is larger than `maxDatagramBytes`. */
  tooLarge: number;
  /** The datagram carrying the event could not be sent (DNS failure, socket error, backlog full). */
  sendError: number;
  /** The event belongs to a trace not sampled at its root (and not persistent). */
  sampledOut: number;
  /** The event passed to `emit()` failed validation (see `lastProblem`). Not sent on the wire. */
  invalid: number;
  /** The event arrived after `close()`. Not sent on the wire. */
  closed: number;
}

/** What a tracer has done since it was created; cheap to call. */
export interface TracerStats {
  /** Events accepted into the buffer. */
  recordedEvents: number;
  /** Events in datagrams the socket reported sent. */
  sentEvents: number;
  sentDatagrams: number;
  sentBytes: number;
  droppedEvents: DroppedEvents;
  /** Events waiting: in the buffer or in the datagram being filled. */
  bufferedEvents: number;
  /** Datagrams handed to the socket (or waiting for DNS) and not yet completed. */
  inFlightDatagrams: number;
  /** Root trace ids that came from the id source's fallback (e.g. ID service unreachable). */
  idFallbacks: number;
  /** The most recent runtime problem (never thrown), with its error code. */
  lastProblem?: TracerProblem;
}

/** A tracer: records events without blocking or throwing, sends them to the collector in the background. */
export interface Tracer {
  /** This service's name. */
  readonly service: string;
  /** Host name stamped on events. */
  readonly hostname: string;
  /** Zone/region stamped on events, if configured. */
  readonly zone: string | undefined;
  /** False for the no-op tracer created with `enabled: false`. */
  readonly enabled: boolean;
  /** Random id of this tracer instance, sent in every datagram. */
  readonly tracerId: string;
  /** Which default (semantic-convention) attributes the instrumentation records (`attributes` option). */
  readonly attributes: AttributePolicy;
  /** True when every id {@link newTraceId} returns is ASCII (the id source's `asciiIds`). */
  readonly asciiTraceIds: boolean;
  /**
   * Records one fully specified event through the same bounded buffer as the instrumentation.
   * Never throws and never waits. The event object is owned by the tracer from now on: do not
   * modify it afterwards (it is encoded later, in the background flush). Events whose `flags`
   * have neither the sampled nor the persistent bit are counted as `sampledOut` and not sent;
   * invalid events are counted as `invalid` when packed.
   */
  emit(event: TraceEvent): void;
  /**
   * Starts a trace here: a new span id and the sampling decision (`sampleRate`). The trace id is
   * `traceId` when given (a correlation id that arrived without sampling information), else a
   * new one from the id source.
   */
  startTrace(traceId?: string): TraceContext;
  /** A new root trace id from the id source (for instrumentation starting a trace itself). Never throws. */
  newTraceId(): string;
  /** The sampling decision for a new root (`sampleRate`). */
  sampleRoot(): boolean;
  /**
   * Records event `kind` of a hop recorded by the instrumentation (`instrument/hop.ts`): the hop
   * object carries the fields, the background flush builds the event. Never throws or waits; the
   * same counters as {@link emit}.
   */
  recordHop(kind: HopEventKind, hop: HopRecord & { sampled: boolean; persistent: boolean }): void;
  /** A snapshot of the counters. */
  stats(): TracerStats;
  /** Packs and sends everything buffered; resolves when the socket has taken it (or failed, counted). */
  flush(): Promise<void>;
  /** Stops the timer, flushes, closes the socket. Events emitted afterwards are counted as `closed`. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Creates a tracer from `options` over the PHOSPHOR_* environment variables (options win). Throws a
 * `TRC_ERR_OPTIONS_INVALID` {@link TracerError} naming any bad option; a bad environment value is reported
 * once as a process warning and replaced by the default, never thrown.
 */
export function createTracer(options: TracerOptions = {}): Tracer {
  const resolved = resolveTracerOptions(withEnvironment(options));
  return resolved.enabled ? new UdpTracer(resolved) : new NoopTracer(resolved);
}

/** Before the first full datagram shows the real number, assume events of this size to pace flushes. */
const INITIAL_EVENT_BYTES_ESTIMATE = 128;
/**
 * A background drain waits for a burst of several datagrams' worth of events and sends them back to
 * back. Sending to a receiver that went idle costs a cross-CPU wake-up in the kernel, charged to the
 * sender (profiled at up to ≈ 100–200 µs per datagram to a local collector in the bench VM,
 * docs/benchmarks.md); in a burst the first datagram wakes it and the next ones find it running.
 * Latency is unchanged in effect: a partly filled batch still leaves on the flush timer.
 */
const DRAIN_BURST_MAX_DATAGRAMS = 8;
/**
 * Bytes of one burst at most: a burst must fit well inside the receiver's socket buffer (~208 KiB
 * by default). On Linux loopback the sender's buffer gives no warning: the kernel hands each
 * datagram to the receiving socket during the send (1000 sends of 8 KiB to a socket that never
 * reads all complete at once, measured) and drops it there when that buffer is full.
 * 64 KiB = 4 datagrams of the 16 KiB loopback default.
 */
const DRAIN_BURST_MAX_BYTES = 64 * 1024;
/**
 * Between two bursts of one drain, wait this long — unless the buffer is over 3/4 full, then go on
 * at the next event-loop turn. UDP gives no backpressure: on loopback the kernel takes a datagram
 * at once and drops it later if the receiver's socket buffer (≈ 208 KiB by default) is full, so
 * a burst sent back to back reaches a collector in another process only if that process keeps up
 * without ever being descheduled. One 64 KiB burst per millisecond is still ≈ 400,000 events/s of
 * ≈ 170 bytes (the size with the default attributes).
 */
const DRAIN_PACE_MILLIS = 1;
/**
 * Bytes one drain may send while the buffer is over 3/4 full (losing events to the full buffer is
 * then near): 96 KiB still fits a default receive buffer (≈ 208 KiB, of which a datagram takes
 * more than its size in bookkeeping), where 128 KiB per turn was measured to overflow a receiver
 * in the same process.
 */
const DRAIN_URGENT_MAX_BYTES = 96 * 1024;

class UdpTracer implements Tracer {
  readonly service: string;
  readonly hostname: string;
  readonly zone: string | undefined;
  readonly enabled = true;
  readonly tracerId: string;
  readonly attributes: AttributePolicy;
  readonly asciiTraceIds: boolean;
  private readonly ring: EventRing;
  /** The event hop records are written into for encoding: one object reused by the flush. */
  private readonly scratch: TraceEvent = {
    type: 'REQ',
    traceId: '',
    spanId: '',
    parentSpanId: undefined,
    from: '',
    fromEndpoint: '',
    to: '',
    toEndpoint: '',
    timestampMicros: 0,
    hostname: '',
    zone: undefined,
    durationMicros: undefined,
    errorCode: undefined,
    errorDescription: undefined,
    tags: undefined,
    flags: 0,
  };
  private readonly writer: DatagramWriter;
  /** Encoded repeating fields of the hops' events (see HopTemplates). */
  private readonly templates: HopTemplates;
  private readonly transport: UdpTransport;
  private readonly idSource: IdSource;
  private readonly fallbackIds = new LocalIdSource();
  private readonly sampler: Sampler;
  private readonly timer: NodeJS.Timeout;
  /** When the buffer holds this many events, a flush is scheduled: about one burst's worth. */
  private flushThreshold: number;
  /** Datagrams per background drain (see {@link DRAIN_BURST_MAX_DATAGRAMS}). */
  private readonly burstDatagrams: number;
  /** Datagrams per drain while the buffer is over 3/4 full (see {@link DRAIN_URGENT_MAX_BYTES}). */
  private readonly urgentDatagrams: number;
  /** Buffered events from which the drain hurries (3/4 of the buffer). */
  private readonly urgentEvents: number;
  private flushScheduled = false;
  /** The timer, flush() or close() asked for the partly filled datagram to go out too. */
  private partialWanted = false;
  /** flush()/close() callers waiting until nothing is buffered or in flight. */
  private drainedWaiters: (() => void)[] = [];
  private closing: Promise<void> | undefined;
  private sequence = 0;
  private recorded = 0;
  /** End events carried in their start's ring slot (see HopPairing.endQueued). */
  private ridingEnds = 0;
  private sent = 0;
  private sentDatagrams = 0;
  private sentBytes = 0;
  private idSourceFailures = 0;
  private readonly dropped: DroppedEvents = {
    bufferFull: 0,
    tooLarge: 0,
    sendError: 0,
    sampledOut: 0,
    invalid: 0,
    closed: 0,
  };
  private lastProblem: TracerProblem | undefined;
  /** The timer of a paced drain waiting, if any. */
  private pacedDrain: NodeJS.Timeout | undefined;
  private readonly drainSoon = (): void => {
    this.flushScheduled = false;
    this.pacedDrain = undefined;
    this.drain(false);
  };

  constructor(options: ResolvedTracerOptions) {
    this.service = options.service;
    this.hostname = options.hostname;
    this.zone = options.zone;
    this.tracerId = newSpanId();
    this.attributes = options.attributes;
    this.idSource = options.idSource;
    // newTraceId's fallback (a LocalIdSource) makes ASCII ids too.
    this.asciiTraceIds = options.idSource.asciiIds === true;
    this.sampler = new RateSampler(options.sampleRate);
    this.ring = new EventRing(options.maxBufferedEvents);
    this.urgentEvents = Math.max(1, Math.floor(options.maxBufferedEvents * 0.75));
    this.writer = new DatagramWriter({
      maxDatagramBytes: options.maxDatagramBytes,
      tracerId: this.tracerId,
      service: options.service,
      hostname: options.hostname,
      hmacKey: options.hmacKey,
    });
    this.templates = new HopTemplates(options.hostname, options.zone);
    this.burstDatagrams = Math.max(
      1,
      Math.min(DRAIN_BURST_MAX_DATAGRAMS, Math.floor(DRAIN_BURST_MAX_BYTES / options.maxDatagramBytes)),
    );
    this.urgentDatagrams = Math.max(this.burstDatagrams, Math.floor(DRAIN_URGENT_MAX_BYTES / options.maxDatagramBytes));
    this.flushThreshold = this.drainThreshold(
      Math.floor(this.writer.eventCapacityBytes / INITIAL_EVENT_BYTES_ESTIMATE),
    );
    this.transport = new UdpTransport(
      options.collectors,
      {
        sent: (events, bytes, datagram) => {
          this.sent += events;
          this.sentDatagrams++;
          this.sentBytes += bytes;
          this.writer.recycle(datagram);
          this.sendCompleted();
        },
        failed: (events, code, message, datagram) => {
          this.dropped.sendError += events;
          this.problem(code, message);
          this.writer.recycle(datagram);
          this.sendCompleted();
        },
        refused: (events, bytes, message) => {
          this.sent -= events;
          this.sentDatagrams--;
          this.sentBytes -= bytes;
          this.dropped.sendError += events;
          this.problem('TRC_ERR_TRANSPORT_SEND', message);
        },
      },
      options.maxDatagramBytes,
    );
    this.timer = setInterval(() => {
      resyncClock();
      this.partialWanted = true;
      this.scheduleDrain(false);
    }, options.flushIntervalMillis);
    this.timer.unref();
  }

  emit(event: TraceEvent): void {
    if (this.closing !== undefined) {
      this.dropped.closed++;
      return;
    }
    if (typeof event !== 'object' || event === null) {
      this.dropped.invalid++;
      this.problem('TRC_ERR_EVENT_INVALID', `event: must be an object (got ${event === null ? 'null' : typeof event})`);
      return;
    }
    const flags = event.flags;
    if (flags !== undefined && (flags & (EventFlags.sampled | EventFlags.persistent)) === 0) {
      this.dropped.sampledOut++;
      return;
    }
    if (this.bufferFull()) {
      this.dropped.bufferFull++;
      return;
    }
    this.ring.push(event);
    this.recorded++;
    if (this.waitingEvents() >= this.flushThreshold) this.scheduleDrain(false);
  }

  startTrace(existingTraceId?: string): TraceContext {
    // `endpoint` declared here so the server instrumentation setting it does not change the object's shape.
    return {
      traceId: existingTraceId ?? this.newTraceId(),
      spanId: newSpanId(),
      sampled: this.sampler.shouldSample(),
      persistent: false,
      endpoint: undefined,
      tracestate: undefined,
    };
  }

  newTraceId(): string {
    try {
      return this.idSource.nextTraceId();
    } catch (err) {
      return this.fallbackTraceId(err);
    }
  }

  /**
   * A custom id source must not break request handling: a local id instead, counted. Out of
   * {@link newTraceId} so that what is inlined into every traced request stays small.
   */
  private fallbackTraceId(err: unknown): string {
    this.idSourceFailures++;
    this.problem('TRC_ERR_IDS_FETCH_FAILED', `idSource.nextTraceId threw: ${(err as Error)?.message ?? String(err)}`);
    return this.fallbackIds.nextTraceId();
  }

  sampleRoot(): boolean {
    return this.sampler.shouldSample();
  }

  recordHop(kind: HopEventKind, hop: HopRecord & { sampled: boolean; persistent: boolean }): void {
    // Kept small, drops aside in `dropHop`: this is inlined into every instrumented request, and its
    // size counts against the inlining budget of the code that records (a server hop's constructor
    // was left out of line, a construct call per request, while the drops were written here).
    if (this.closing !== undefined || (!hop.sampled && !hop.persistent) || this.bufferFull()) {
      this.dropHop(kind, hop);
      return;
    }
    if ((kind === SlotKind.OUT || kind === SlotKind.REP) && hop.pairing === HopPairing.none) {
      // The start still waits in the ring: the end rides in its slot (no slot, no second pass of the drain).
      hop.pairing = HopPairing.endQueued;
      this.ridingEnds++;
    } else {
      this.ring.pushHop(kind, hop);
    }
    this.recorded++;
    if (this.waitingEvents() >= this.flushThreshold) this.scheduleDrain(false);
  }

  /** Counts a hop event `recordHop` does not keep under its reason; a start dropped leaves its end nothing to ride on. */
  private dropHop(kind: HopEventKind, hop: HopRecord & { sampled: boolean; persistent: boolean }): void {
    if (this.closing !== undefined) {
      this.dropped.closed++;
    } else if (!hop.sampled && !hop.persistent) {
      this.dropped.sampledOut++;
    } else {
      this.dropped.bufferFull++;
      if (kind !== SlotKind.OUT && kind !== SlotKind.REP) hop.pairing = HopPairing.startGone;
    }
  }

  /** Events waiting in the ring: its slots plus the ends riding in them. */
  private waitingEvents(): number {
    return this.ring.size + this.ridingEnds;
  }

  /** True when `maxBufferedEvents` events wait. */
  private bufferFull(): boolean {
    return this.waitingEvents() >= this.ring.capacity;
  }

  stats(): TracerStats {
    const source = this.idSource as { stats?: () => { fallbacks?: number } };
    const sourceFallbacks = typeof source.stats === 'function' ? (source.stats().fallbacks ?? 0) : 0;
    const stats: TracerStats = {
      recordedEvents: this.recorded,
      sentEvents: this.sent,
      sentDatagrams: this.sentDatagrams,
      sentBytes: this.sentBytes,
      droppedEvents: { ...this.dropped },
      bufferedEvents: this.waitingEvents() + this.writer.eventCount,
      inFlightDatagrams: this.transport.inFlightDatagrams,
      idFallbacks: sourceFallbacks + this.idSourceFailures,
    };
    if (this.lastProblem) stats.lastProblem = { ...this.lastProblem };
    return stats;
  }

  async flush(): Promise<void> {
    await this.drainAll();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      await this.drainAll();
      await this.transport.close();
    })();
    return this.closing;
  }

  /**
   * Sends everything buffered, burst by burst ({@link drain}); resolves when nothing is buffered or
   * in flight any more (sent, or failed and counted).
   */
  private drainAll(): Promise<void> {
    this.partialWanted = true;
    if (this.isDrained()) return Promise.resolve();
    const drained = new Promise<void>((resolve) => this.drainedWaiters.push(resolve));
    this.scheduleDrain(false);
    return drained;
  }

  private isDrained(): boolean {
    return this.ring.size === 0 && this.writer.eventCount === 0 && this.transport.inFlightDatagrams === 0;
  }

  private settleDrained(): void {
    if (this.drainedWaiters.length === 0 || !this.isDrained()) return;
    const waiters = this.drainedWaiters;
    this.drainedWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Runs one drain in the background, at most one scheduled at a time: at the next event-loop turn
   * (check phase), or, for the next burst of a drain in progress (`paced`), after
   * {@link DRAIN_PACE_MILLIS} while the buffer is under 3/4 full. A paced drain still waiting is
   * brought forward to the next turn once the buffer reaches 3/4. Never two bursts in one turn:
   * send callbacks of datagrams the kernel took at once come back as next-ticks, before the loop
   * polls sockets again, so chaining on them alone would send the whole buffer back to back.
   */
  private scheduleDrain(paced: boolean): void {
    const hurry = this.waitingEvents() >= this.urgentEvents;
    if (this.flushScheduled) {
      if (this.pacedDrain === undefined || !hurry) return;
      clearTimeout(this.pacedDrain);
      this.pacedDrain = undefined;
      setImmediate(this.drainSoon);
      return;
    }
    this.flushScheduled = true;
    if (paced && !hurry) this.pacedDrain = setTimeout(this.drainSoon, DRAIN_PACE_MILLIS);
    else setImmediate(this.drainSoon);
  }

  /**
   * Moves buffered events into datagrams and hands full ones to the socket — but never more than
   * {@link DRAIN_BURST_MAX_DATAGRAMS} (one burst) waiting for the socket at once. Past that the
   * events stay in the ring, and the socket's send completions start the next drain
   * ({@link sendCompleted}): a burst the buffer accepted leaves at the pace the socket (and, on
   * loopback, the receiver) takes it, instead of overflowing the transport's backlog or the
   * receiver's socket buffer. The ring stays the one bounded place where events wait; what does
   * not fit there is dropped as `bufferFull`. With `sendPartial` (timer, flush, close) the last,
   * partly filled datagram goes too, once the ring is empty; otherwise it stays open for the next
   * events. Runs in the background (setImmediate/timer/send callbacks), never inside `emit`.
   */
  private drain(sendPartial: boolean): void {
    if (sendPartial) this.partialWanted = true;
    const ring = this.ring;
    const writer = this.writer;
    const scratch = this.scratch;
    for (let kind = ring.peekKind(); kind !== undefined; kind = ring.peekKind()) {
      const ref = ring.peekRef();
      let status: AppendStatus | undefined;
      if (kind === SlotKind.event) {
        status = writer.append(ref as TraceEvent);
      } else {
        const hop = ref as HopRecord;
        if ((kind === SlotKind.IN || kind === SlotKind.REQ) && hop.pairing === HopPairing.endQueued) {
          status = hop.appendPairTo(writer, this.templates, this.service);
          if (status === AppendStatus.appended) {
            this.ridingEnds--;
            ring.drop();
            continue;
          }
          // Not as a pair (no template, or invalid as one): the two events go one by one.
          if (status !== AppendStatus.full) status = undefined;
        }
        status ??= hop.appendTo(kind, writer, this.templates, this.service);
        if (status === undefined) {
          hop.fill(kind, scratch, this.service, this.hostname, this.zone);
          status = writer.append(scratch);
        }
      }
      if (status === AppendStatus.appended) {
        this.releaseOldest(kind, ref);
      } else if (status === AppendStatus.full) {
        // Pace the next drain by what actually fitted in a datagram.
        this.flushThreshold = this.drainThreshold(writer.eventCount);
        if (this.transport.inFlightDatagrams >= this.sendWindow()) return;
        this.sendDatagram();
      } else {
        if (kind !== SlotKind.event) (ref as HopRecord).fill(kind, scratch, this.service, this.hostname, this.zone);
        this.rejected(kind === SlotKind.event ? (ref as TraceEvent) : scratch, status);
        this.releaseOldest(kind, ref);
      }
    }
    if (!this.partialWanted) return;
    if (writer.eventCount > 0) {
      if (this.transport.inFlightDatagrams >= this.sendWindow()) return;
      this.sendDatagram();
    }
    this.partialWanted = false;
    this.settleDrained();
  }

  /**
   * The oldest slot's event left (appended or rejected). A hop's start that carries its end hands the
   * slot to the end, sent next; any other slot is dropped. Either way a start's slot is gone now.
   */
  private releaseOldest(kind: SlotKind, ref: TraceEvent | HopRecord | undefined): void {
    if (kind === SlotKind.IN || kind === SlotKind.REQ) {
      const hop = ref as HopRecord;
      const carriesEnd = hop.pairing === HopPairing.endQueued;
      hop.pairing = HopPairing.startGone;
      if (carriesEnd) {
        this.ridingEnds--;
        this.ring.retypeOldest(kind === SlotKind.IN ? SlotKind.OUT : SlotKind.REP);
        return;
      }
    }
    this.ring.drop();
  }

  /** Datagrams that may wait for the socket at once: one burst, a bit more while the buffer is over 3/4 full. */
  private sendWindow(): number {
    return this.waitingEvents() >= this.urgentEvents ? this.urgentDatagrams : this.burstDatagrams;
  }

  /** A send finished (or failed): when the burst is done and events wait, drain the next one. */
  private sendCompleted(): void {
    if (this.transport.inFlightDatagrams !== 0) return;
    const waiting = this.waitingEvents();
    if (waiting >= this.flushThreshold || (this.partialWanted && waiting + this.writer.eventCount > 0)) {
      this.scheduleDrain(true);
    } else {
      this.settleDrained();
    }
  }

  /** Events that start a background drain, for datagrams holding `eventsPerDatagram` each. */
  private drainThreshold(eventsPerDatagram: number): number {
    // At most half the buffer, so a burst never waits long enough to fill it.
    return Math.max(1, Math.min(eventsPerDatagram * this.burstDatagrams, Math.floor(this.ring.capacity / 2)));
  }

  private sendDatagram(): void {
    const events = this.writer.eventCount;
    const dropped = this.dropped;
    const datagram = this.writer.finish(this.sequence, dropped, nowMicros());
    this.sequence = (this.sequence + 1) >>> 0;
    this.transport.send(datagram, events);
  }

  private rejected(event: TraceEvent, status: AppendStatus): void {
    if (status === AppendStatus.tooLarge) {
      this.dropped.tooLarge++;
      this.problem(
        'TRC_ERR_EVENT_TOO_LARGE',
        `${event.type} event of trace ${String(event.traceId)} does not fit in maxDatagramBytes`,
      );
      return;
    }
    this.dropped.invalid++;
    this.problem('TRC_ERR_EVENT_INVALID', validateEvent(event) ?? 'flags: must be an unsigned 32-bit integer');
  }

  private problem(code: TracerErrorCode, message: string): void {
    this.lastProblem = { code, message, atMillis: Date.now() };
  }
}

/** The `enabled: false` tracer: same API, records nothing, costs nothing. */
class NoopTracer implements Tracer {
  readonly service: string;
  readonly hostname: string;
  readonly zone: string | undefined;
  readonly enabled = false;
  readonly tracerId = '';
  readonly attributes: AttributePolicy;
  readonly asciiTraceIds: boolean;
  private readonly idSource: IdSource;

  constructor(options: ResolvedTracerOptions) {
    this.service = options.service;
    this.hostname = options.hostname;
    this.zone = options.zone;
    this.attributes = options.attributes;
    this.idSource = options.idSource;
    // newTraceId's fallback (a LocalIdSource) makes ASCII ids too.
    this.asciiTraceIds = options.idSource.asciiIds === true;
  }

  emit(_event: TraceEvent): void {}

  recordHop(_kind: HopEventKind, _hop: HopRecord): void {}

  newTraceId(): string {
    return this.idSource.nextTraceId();
  }

  sampleRoot(): boolean {
    return false;
  }

  startTrace(traceId?: string): TraceContext {
    return { traceId: traceId ?? this.idSource.nextTraceId(), spanId: newSpanId(), sampled: false, persistent: false };
  }

  stats(): TracerStats {
    return {
      recordedEvents: 0,
      sentEvents: 0,
      sentDatagrams: 0,
      sentBytes: 0,
      droppedEvents: { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0, invalid: 0, closed: 0 },
      bufferedEvents: 0,
      inFlightDatagrams: 0,
      idFallbacks: 0,
    };
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}
