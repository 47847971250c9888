import {
  type AppendStatus,
  type DatagramWriter,
  EventFlags,
  type EventTemplate,
  type EventType,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
  spanIdWordsText,
  type TraceEvent,
} from '@phosphor/wire';
import type { AttributeSet } from '../attributes/attribute-set.js';
import type { HopPairing, HopRecord } from '../buffer/event-ring.js';
import type { HopTemplates } from '../buffer/hop-templates.js';
import { type HopEventKind, SlotKind } from '../buffer/slot-kind.js';
import { nowMicros } from '../clock.js';
import { currentTrace, type TraceContext } from '../context.js';
import { drawSpanIdWords, newSpanId } from '../ids.js';
import type { IncomingTrace, OutgoingTrace } from '../propagation/carrier.js';
import type { Tracer } from '../tracer.js';

/**
 * The two halves of a hop, shared by the fastify, fetch and gRPC instrumentation: a server records
 * IN then OUT, a client REQ then REP, all four with the same span id.
 *
 * Each half is one object (a {@link ServerHop} or {@link ClientHop}) holding everything its two
 * events share; recording an event puts (kind, hop) in the tracer's ring and the background flush
 * builds the wire event from it. So a hop costs two small objects, four clock reads and four ring
 * slots on the request path — no event objects, no tag objects (the attributes are an
 * {@link AttributeSet} built once per endpoint), no string building.
 */

/** An error to put on OUT/REP. */
export interface HopError {
  code: string;
  description?: string | undefined;
  /** `error.type` attribute; default: `code`. */
  type?: string | undefined;
}

/** Event flags for a context: the sampled and persistent bits. */
export function flagsOf(context: { sampled: boolean; persistent: boolean }): number {
  return (context.sampled ? EventFlags.sampled : 0) | (context.persistent ? EventFlags.persistent : 0);
}

/** Clips a name to the wire limit (an over-long route or method must not cost the whole event). */
export function clipName(name: string): string {
  return name.length > MAX_NAME_LENGTH ? name.slice(0, MAX_NAME_LENGTH) : name;
}

/** Writes the start-of-hop fields shared by REQ and IN into `into`. */
function fillStart(into: TraceEvent, startMicros: number, attributes: AttributeSet | undefined): void {
  into.timestampMicros = startMicros;
  into.durationMicros = undefined;
  into.errorCode = undefined;
  into.errorDescription = undefined;
  into.tags = attributes?.request;
}

/** Writes the end-of-hop fields shared by OUT and REP into `into`. */
function fillEnd(
  into: TraceEvent,
  startMicros: number,
  endMicros: number,
  status: number,
  error: HopError | undefined,
  attributes: AttributeSet | undefined,
): void {
  into.timestampMicros = endMicros;
  into.durationMicros = Math.max(0, endMicros - startMicros);
  if (error === undefined) {
    into.errorCode = undefined;
    into.errorDescription = undefined;
    into.tags = attributes?.response(status, undefined);
  } else {
    into.errorCode = clipName(error.code);
    into.errorDescription = error.description?.slice(0, MAX_TEXT_LENGTH);
    into.tags = attributes?.response(status, clipName(error.type ?? error.code));
  }
}

/**
 * Writes one event of `hop` into `into`: the fields both of its events share, then the start (REQ/IN)
 * or end (OUT/REP) fields. The caller names the sides: a server hop is the callee, a client hop the caller.
 */
function fillEvent(
  into: TraceEvent,
  hop: ServerHop | ClientHop,
  type: EventType,
  start: boolean,
  from: string,
  fromEndpoint: string,
  to: string,
  toEndpoint: string,
  hostname: string,
  zone: string | undefined,
): void {
  into.type = type;
  into.traceId = hop.traceId;
  into.spanId = hop.spanId;
  into.parentSpanId = hop.parentSpanId;
  into.from = from;
  into.fromEndpoint = fromEndpoint;
  into.to = to;
  into.toEndpoint = toEndpoint;
  into.hostname = hostname;
  into.zone = zone;
  into.flags = flagsOf(hop);
  if (start) fillStart(into, hop.startMicros, hop.attributes);
  else fillEnd(into, hop.startMicros, hop.endMicros, hop.status, hop.error, hop.attributes);
}

/**
 * Appends a hop's start (REQ/IN) or end (OUT/REP) event from its endpoint's template; undefined when
 * no template fits (the caller then encodes the event field by field).
 */
function appendFromTemplate(
  hop: ServerHop | ClientHop,
  start: boolean,
  writer: DatagramWriter,
  templates: HopTemplates,
  kind: HopEventKind,
  from: string,
  fromEndpoint: string,
  to: string,
  toEndpoint: string,
): AppendStatus | undefined {
  const tags = start ? hop.attributes?.request : hop.attributes?.response(hop.status, undefined);
  const template = templates.get(kind, from, fromEndpoint, to, toEndpoint, tags, flagsOf(hop));
  if (template === undefined) return undefined;
  if (start) return appendWithIds(hop, writer, template, hop.startMicros, undefined);
  return appendWithIds(hop, writer, template, hop.endMicros, Math.max(0, hop.endMicros - hop.startMicros));
}

/** Appends `template` with the hop's ids: a server hop's span id from its words while it has no text. */
function appendWithIds(
  hop: ServerHop | ClientHop,
  writer: DatagramWriter,
  template: EventTemplate,
  timestampMicros: number,
  durationMicros: number | undefined,
): AppendStatus {
  if (!(hop instanceof ServerHop)) {
    return writer.appendFromTemplate(
      template,
      hop.traceId,
      hop.spanId,
      hop.parentSpanId,
      timestampMicros,
      durationMicros,
      0,
      0,
      hop.asciiIds,
    );
  }
  return writer.appendFromTemplate(
    template,
    hop.traceId,
    hop.spanIdText,
    hop.parentSpanId,
    timestampMicros,
    durationMicros,
    hop.spanHigh,
    hop.spanLow,
    hop.asciiIds,
  );
}

/**
 * Appends a hop's start and end events as one frame (see {@link HopRecord.appendPairTo}). The span id
 * is `spanText`, or the words `spanHigh`, `spanLow` while it has no text: the caller knows its kind of hop.
 */
function appendPairFromTemplate(
  hop: ServerHop | ClientHop,
  spanText: string | undefined,
  spanHigh: number,
  spanLow: number,
  writer: DatagramWriter,
  templates: HopTemplates,
  kind: typeof SlotKind.OUT | typeof SlotKind.REP,
  from: string,
  fromEndpoint: string,
  to: string,
  toEndpoint: string,
): AppendStatus | undefined {
  if (hop.error !== undefined) return undefined;
  const template = templates.pairOf(kind, from, fromEndpoint, to, toEndpoint, hop.attributes, hop.status, flagsOf(hop));
  if (template === undefined) return undefined;
  if (!hop.asciiIds) {
    return appendWithIds(hop, writer, template, hop.endMicros, Math.max(0, hop.endMicros - hop.startMicros));
  }
  return writer.appendHopPair(
    template,
    hop.traceId,
    spanText,
    spanHigh,
    spanLow,
    hop.parentSpanId,
    hop.startMicros,
    hop.endMicros,
  );
}

/**
 * A hop being served. It is also the hop's {@link TraceContext} (what `currentTrace()` and
 * `traceOf()` return in the handler), so serving a request makes one object, not three.
 */
export class ServerHop implements TraceContext, HopRecord {
  /** The trace id ({@link traceId}), kept behind an accessor so that replacing it clears {@link asciiIds}. */
  private traceIdText: string;
  /**
   * The span id as text: the caller's, or made from the words when first asked for ({@link spanId});
   * undefined while the id is only its words, which is all the encoder needs.
   */
  spanIdText: string | undefined;
  /** The span id's words (span-id-words.ts in the wire package) when it was drawn here. */
  spanHigh = 0;
  spanLow = 0;
  sampled: boolean;
  persistent: boolean;
  endpoint: string | undefined;
  tracestate: string | undefined;
  readonly parentSpanId: string | undefined;
  readonly attributes: AttributeSet | undefined;
  /**
   * True when the ids given to the constructor are known to be ASCII (made by the id source or checked
   * on arrival), so the encoder copies them without a check per character; cleared when the
   * application replaces the trace or span id.
   */
  asciiIds: boolean;
  readonly startMicros: number;
  endMicros = 0;
  /** Response status for the attributes; -1 = none. */
  status = -1;
  error: HopError | undefined = undefined;
  pairing: HopPairing = 0;

  /** `spanId` undefined: a new span id is drawn (as words). */
  constructor(
    traceId: string,
    spanId: string | undefined,
    sampled: boolean,
    persistent: boolean,
    endpoint: string,
    parentSpanId: string | undefined,
    attributes: AttributeSet | undefined,
    tracestate: string | undefined,
    asciiIds: boolean,
  ) {
    this.traceIdText = traceId;
    this.spanIdText = spanId;
    if (spanId === undefined) drawSpanIdWords(this);
    this.sampled = sampled;
    this.persistent = persistent;
    this.endpoint = endpoint;
    this.tracestate = tracestate;
    this.parentSpanId = parentSpanId;
    this.attributes = attributes;
    this.asciiIds = asciiIds;
    this.startMicros = nowMicros();
  }

  /** The span id as 16 hex digits (made from its words the first time it is asked for). */
  get spanId(): string {
    this.spanIdText ??= spanIdWordsText(this.spanHigh, this.spanLow);
    return this.spanIdText;
  }

  /** An application's span id: not known to be ASCII, so the encoder checks the hop's ids again. */
  set spanId(spanId: string) {
    this.spanIdText = spanId;
    this.asciiIds = false;
  }

  get traceId(): string {
    return this.traceIdText;
  }

  /** An application's trace id: not known to be ASCII, so the encoder checks the hop's ids again. */
  set traceId(traceId: string) {
    this.traceIdText = traceId;
    this.asciiIds = false;
  }

  /** The hop's trace context (the hop itself). */
  get context(): TraceContext {
    return this;
  }

  /** Serialises as the {@link TraceContext} it is to the service (a handler may return `currentTrace()`). */
  toJSON(): TraceContext {
    return {
      traceId: this.traceId,
      spanId: this.spanId,
      sampled: this.sampled,
      persistent: this.persistent,
      endpoint: this.endpoint,
      tracestate: this.tracestate,
    };
  }

  fill(kind: HopEventKind, into: TraceEvent, service: string, hostname: string, zone: string | undefined): void {
    const start = kind === SlotKind.IN;
    fillEvent(into, this, start ? 'IN' : 'OUT', start, '', '', service, this.endpoint ?? '', hostname, zone);
  }

  appendTo(
    kind: HopEventKind,
    writer: DatagramWriter,
    templates: HopTemplates,
    service: string,
  ): AppendStatus | undefined {
    if (this.error !== undefined) return undefined;
    return appendFromTemplate(
      this,
      kind === SlotKind.IN,
      writer,
      templates,
      kind,
      '',
      '',
      service,
      this.endpoint ?? '',
    );
  }

  appendPairTo(writer: DatagramWriter, templates: HopTemplates, service: string): AppendStatus | undefined {
    return appendPairFromTemplate(
      this,
      this.spanIdText,
      this.spanHigh,
      this.spanLow,
      writer,
      templates,
      SlotKind.OUT,
      '',
      '',
      service,
      this.endpoint ?? '',
    );
  }
}

/** A call in progress. It is also what the call propagates ({@link OutgoingTrace}). */
export class ClientHop implements OutgoingTrace, HopRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly sampled: boolean;
  readonly persistent: boolean;
  readonly tracestate: string | undefined;
  readonly to: string;
  readonly toEndpoint: string;
  readonly fromEndpoint: string;
  readonly attributes: AttributeSet | undefined;
  /** True when the trace and parent ids are known to be ASCII (see {@link ServerHop.asciiIds}); the span id is made here. */
  readonly asciiIds: boolean;
  readonly startMicros: number;
  endMicros = 0;
  status = -1;
  error: HopError | undefined = undefined;
  pairing: HopPairing = 0;

  constructor(
    traceId: string,
    parent: TraceContext | undefined,
    sampled: boolean,
    persistent: boolean,
    to: string,
    toEndpoint: string,
    attributes: AttributeSet | undefined,
    asciiIds: boolean,
  ) {
    this.traceId = traceId;
    this.spanId = newSpanId();
    this.parentSpanId = parent?.spanId;
    this.sampled = sampled;
    this.persistent = persistent;
    this.tracestate = parent?.tracestate;
    this.to = to;
    this.toEndpoint = toEndpoint;
    this.fromEndpoint = parent?.endpoint ?? '';
    this.attributes = attributes;
    this.asciiIds = asciiIds;
    this.startMicros = nowMicros();
  }

  /** What to propagate with the call (the hop itself). */
  get outgoing(): OutgoingTrace {
    return this;
  }

  fill(kind: HopEventKind, into: TraceEvent, service: string, hostname: string, zone: string | undefined): void {
    const start = kind === SlotKind.REQ;
    const type = start ? 'REQ' : 'REP';
    fillEvent(into, this, type, start, service, this.fromEndpoint, this.to, this.toEndpoint, hostname, zone);
  }

  appendTo(
    kind: HopEventKind,
    writer: DatagramWriter,
    templates: HopTemplates,
    service: string,
  ): AppendStatus | undefined {
    if (this.error !== undefined) return undefined;
    return appendFromTemplate(
      this,
      kind === SlotKind.REQ,
      writer,
      templates,
      kind,
      service,
      this.fromEndpoint,
      this.to,
      this.toEndpoint,
    );
  }

  appendPairTo(writer: DatagramWriter, templates: HopTemplates, service: string): AppendStatus | undefined {
    return appendPairFromTemplate(
      this,
      this.spanId,
      0,
      0,
      writer,
      templates,
      SlotKind.REP,
      service,
      this.fromEndpoint,
      this.to,
      this.toEndpoint,
    );
  }
}

/**
 * Records IN for a request that arrived with `incoming` (or none: a new trace starts here).
 * `endpoint` should be one string per route (the encoder recognises repeats by identity);
 * `attributes` the endpoint's prebuilt {@link AttributeSet}.
 */
export function beginServerHop(
  tracer: Tracer,
  incoming: IncomingTrace | undefined,
  endpoint: string,
  attributes?: AttributeSet,
): ServerHop {
  const name = clipName(endpoint);
  let hop: ServerHop;
  if (incoming === undefined) {
    hop = newServerHop(
      tracer.newTraceId(),
      undefined,
      tracer.sampleRoot(),
      false,
      name,
      undefined,
      attributes,
      undefined,
      tracer.asciiTraceIds,
    );
  } else if (incoming.hopSpanId !== undefined) {
    hop = newServerHop(
      incoming.traceId,
      incoming.hopSpanId,
      incoming.sampled ?? true,
      incoming.persistent,
      name,
      incoming.parentSpanId,
      attributes,
      incoming.tracestate,
      incoming.asciiIds === true,
    );
  } else {
    // A bare correlation id: continue its trace, decide the sampling here.
    hop = newServerHop(
      incoming.traceId,
      undefined,
      tracer.sampleRoot(),
      incoming.persistent,
      name,
      undefined,
      attributes,
      undefined,
      incoming.asciiIds === true,
    );
  }
  tracer.recordHop(SlotKind.IN, hop);
  return hop;
}

/**
 * `new ServerHop(...)` in a function of its own. Where the constructor is not inlined (the code
 * recording a request inlines the id source and the tracer's `recordHop` first, and its inlining
 * budget runs out), a `new` costs a generic construct call — about 200 instructions more per request
 * than an ordinary call to a function in which the constructor is inlined, as it is here. Its
 * parameters are spelt out: forwarding `...args` made the call a spread (`CallVarargs`, about 100
 * instructions per request) and pushed the ring's `pushHop` out of line.
 */
function newServerHop(
  traceId: string,
  spanId: string | undefined,
  sampled: boolean,
  persistent: boolean,
  endpoint: string,
  parentSpanId: string | undefined,
  attributes: AttributeSet | undefined,
  tracestate: string | undefined,
  asciiIds: boolean,
): ServerHop {
  return new ServerHop(traceId, spanId, sampled, persistent, endpoint, parentSpanId, attributes, tracestate, asciiIds);
}

/**
 * Records OUT (handler duration, error if any) just before the reply leaves. `status` is the
 * response status for the attributes (HTTP status, gRPC code; omit when there is none).
 */
export function endServerHop(tracer: Tracer, hop: ServerHop, error?: HopError, status = -1): void {
  endHop(tracer, hop, SlotKind.OUT, error, status);
}

/**
 * Records REQ for a call to `to`/`toEndpoint`, as a child of the current trace (or the root of a
 * new one). Returns what to propagate (`hop.outgoing`) and what `endClientHop` needs.
 */
export function beginClientHop(tracer: Tracer, to: string, toEndpoint: string, attributes?: AttributeSet): ClientHop {
  const parent = currentTrace();
  const peer = clipName(to);
  const name = clipName(toEndpoint);
  // A served hop's ids are known ASCII or not; another context's (startTrace, an application's) are not.
  const hop =
    parent === undefined
      ? new ClientHop(
          tracer.newTraceId(),
          undefined,
          tracer.sampleRoot(),
          false,
          peer,
          name,
          attributes,
          tracer.asciiTraceIds,
        )
      : new ClientHop(
          parent.traceId,
          parent,
          parent.sampled,
          parent.persistent,
          peer,
          name,
          attributes,
          parent instanceof ServerHop && parent.asciiIds,
        );
  tracer.recordHop(SlotKind.REQ, hop);
  return hop;
}

/** Records REP (round-trip duration, error if any) when the reply or the failure arrives. */
export function endClientHop(tracer: Tracer, hop: ClientHop, error?: HopError, status = -1): void {
  endHop(tracer, hop, SlotKind.REP, error, status);
}

/** Stamps a hop's end (time, status, error) and records its end event `kind`. */
function endHop(
  tracer: Tracer,
  hop: ServerHop | ClientHop,
  kind: typeof SlotKind.OUT | typeof SlotKind.REP,
  error: HopError | undefined,
  status: number,
): void {
  hop.endMicros = nowMicros();
  hop.status = status;
  hop.error = error;
  tracer.recordHop(kind, hop);
}

/**
 * An error code for a thrown value: its `code` if it has a string one, else its cause's (fetch
 * wraps ECONNREFUSED & co. in a TypeError's `cause`), else its name.
 */
export function errorFromThrown(err: unknown): HopError {
  if (err instanceof Error) {
    const code = stringCode(err) ?? stringCode(err.cause) ?? err.name;
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return { code, description: `${err.message}${cause}` };
  }
  return { code: 'Error', description: String(err) };
}

function stringCode(value: unknown): string | undefined {
  const code = typeof value === 'object' && value !== null ? (value as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.length > 0 ? code : undefined;
}
