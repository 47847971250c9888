import type { HopTimes, Span } from '../model/span.js';
import { finishTimes } from './span-times.js';

/** Clock offset of each host within one trace, microseconds to add to its raw timestamps (a Map fits). */
export interface HostOffsetTable {
  get(host: string): number | undefined;
  has(host: string): boolean;
  set(host: string, offset: number): unknown;
}

/**
 * A {@link HostOffsetTable} for the assembler's per-trace bookkeeping. Most
 * traces touch few hosts, and the assembler keeps one of these per recent trace, so the first
 * two hosts live in fields and only further hosts allocate a Map.
 */
export class HostOffsets implements HostOffsetTable {
  private host0: string | undefined;
  private offset0 = 0;
  private host1: string | undefined;
  private offset1 = 0;
  private more: Map<string, number> | undefined;

  get(host: string): number | undefined {
    if (host === this.host0) return this.offset0;
    if (host === this.host1) return this.offset1;
    return this.more?.get(host);
  }

  has(host: string): boolean {
    return host === this.host0 || host === this.host1 || (this.more?.has(host) ?? false);
  }

  /** Sets a host's offset (the callers only set hosts not yet present). */
  set(host: string, offset: number): void {
    if (this.host0 === undefined || host === this.host0) {
      this.host0 = host;
      this.offset0 = offset;
    } else if (this.host1 === undefined || host === this.host1) {
      this.host1 = host;
      this.offset1 = offset;
    } else {
      this.more ??= new Map();
      this.more.set(host, offset);
    }
  }
}

/** The offsets {@link sideOffsets} found: microseconds to add to a span's client and server times. */
export interface SideOffsets {
  client: number;
  server: number;
}

/**
 * The clock offsets for one span's raw times (undefined = absent), and records the server host's
 * offset for its descendants. The client side (REQ/REP) moves by the client host's offset
 * (inherited from an ancestor span served on that host). When both sides are present, the
 * server side (IN/OUT) must fall inside the adjusted REQ/REP; if it does not, the server host's
 * offset is estimated from the four timestamps with network time split evenly between request
 * and reply, as Zipkin and Jaeger do.
 */
export function sideOffsets(
  rawReq: number | undefined,
  rawIn: number | undefined,
  rawOut: number | undefined,
  rawRep: number | undefined,
  clientHost: string | undefined,
  serverHost: string | undefined,
  offsets: HostOffsetTable,
  into: SideOffsets,
): void {
  const clientOffset = clientHost !== undefined ? (offsets.get(clientHost) ?? 0) : 0;
  const req = rawReq === undefined ? undefined : rawReq + clientOffset;
  const rep = rawRep === undefined ? undefined : rawRep + clientOffset;
  let serverOffset = 0;
  if (rawIn !== undefined || rawOut !== undefined) {
    if (serverHost !== undefined && serverHost === clientHost) {
      serverOffset = clientOffset;
    } else {
      const known = serverHost === undefined ? undefined : offsets.get(serverHost);
      if (known !== undefined && fits(rawIn, rawOut, known, req, rep)) serverOffset = known;
      else if (fits(rawIn, rawOut, 0, req, rep)) serverOffset = 0;
      else serverOffset = estimateOffset(rawIn, rawOut, req, rep);
    }
    // The first offset found for a host wins: spans are visited root first, so it is the one
    // measured closest to the trace's reference clock.
    if (serverHost !== undefined && !offsets.has(serverHost)) offsets.set(serverHost, serverOffset);
  }
  into.client = clientOffset;
  into.server = serverOffset;
}

const found: SideOffsets = { client: 0, server: 0 };

/**
 * Adjusts one span's times with the offsets known for its trace (see {@link sideOffsets}), and
 * records the server host's offset for its descendants. `skewMicros` is the offset applied to the
 * server events.
 */
export function adjustSpanSkew(span: Span, offsets: HostOffsetTable): void {
  const raw = span.rawEvents;
  sideOffsets(raw.REQ, raw.IN, raw.OUT, raw.REP, span.clientHost, span.serverHost, offsets, found);
  const clientOffset = found.client;
  const serverOffset = found.server;
  span.skewMicros = serverOffset;
  if (serverOffset === 0 && clientOffset === 0) {
    // Nothing moves: share the raw times (never modified in place) instead of copying them.
    span.skewCorrected = false;
    if (span.events !== raw) {
      span.events = raw;
      finishTimes(span);
    }
    return;
  }
  const events: HopTimes = {};
  if (raw.REQ !== undefined) events.REQ = raw.REQ + clientOffset;
  if (raw.IN !== undefined) events.IN = raw.IN + serverOffset;
  if (raw.OUT !== undefined) events.OUT = raw.OUT + serverOffset;
  if (raw.REP !== undefined) events.REP = raw.REP + clientOffset;
  span.events = events;
  span.skewCorrected = skewCorrected(clientOffset, serverOffset, raw.REQ, raw.REP);
  finishTimes(span);
}

/** Whether offsets moved a span: its server side, or a client side it has. */
export function skewCorrected(
  clientOffset: number,
  serverOffset: number,
  rawReq: number | undefined,
  rawRep: number | undefined,
): boolean {
  return serverOffset !== 0 || (clientOffset !== 0 && (rawReq !== undefined || rawRep !== undefined));
}

/** Resets a span to its raw times (skew correction switched off); `events` becomes `rawEvents`. */
export function clearSpanSkew(span: Span): void {
  span.skewMicros = 0;
  span.skewCorrected = false;
  if (span.events !== span.rawEvents) {
    span.events = span.rawEvents;
    finishTimes(span);
  }
}

/**
 * Skew-corrects a whole trace: visits spans from the roots down (orphans are roots too) so each
 * host's offset, found on the span it served, shifts that host's client events in child spans.
 * Returns adjusted copies sorted by start time; the input is not modified. Cycles in parent
 * links (possible with hostile input) cannot loop: every span is visited once.
 */
export function adjustTraceSkew(spans: readonly Span[], enabled: boolean): Span[] {
  const copies = spans.map((s) => ({ ...s, events: { ...s.rawEvents }, tags: s.tags }));
  const byId = new Map<string, Span>();
  for (const span of copies) byId.set(span.spanId, span);
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const span of copies) {
    const parent = span.parentSpanId;
    if (parent !== undefined && parent !== span.spanId && byId.has(parent)) {
      const list = children.get(parent);
      if (list) list.push(span);
      else children.set(parent, [span]);
    } else {
      roots.push(span);
    }
  }
  const byRawStart = (a: Span, b: Span) => rawStart(a) - rawStart(b);
  roots.sort(byRawStart);
  const offsets = new HostOffsets();
  const visited = new Set<Span>();
  const visit = (start: Span) => {
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      const span = queue[i] as Span;
      if (visited.has(span)) continue;
      visited.add(span);
      if (enabled) adjustSpanSkew(span, offsets);
      else clearSpanSkew(span);
      const kids = children.get(span.spanId);
      if (kids) queue.push(...kids.sort(byRawStart));
    }
  };
  for (const root of roots) visit(root);
  // Spans only reachable through a cycle have no root; visit them last.
  for (const span of copies) if (!visited.has(span)) visit(span);
  return copies.sort((a, b) => a.startMicros - b.startMicros);
}

function rawStart(span: Span): number {
  const r = span.rawEvents;
  return Math.min(r.REQ ?? Infinity, r.IN ?? Infinity, r.OUT ?? Infinity, r.REP ?? Infinity);
}

function fits(
  rawIn: number | undefined,
  rawOut: number | undefined,
  offset: number,
  req: number | undefined,
  rep: number | undefined,
): boolean {
  return fitsOne(rawIn, offset, req, rep) && fitsOne(rawOut, offset, req, rep);
}

function fitsOne(t: number | undefined, offset: number, req: number | undefined, rep: number | undefined): boolean {
  if (t === undefined) return true;
  if (req !== undefined && t + offset < req) return false;
  if (rep !== undefined && t + offset > rep) return false;
  return true;
}

function estimateOffset(
  IN: number | undefined,
  OUT: number | undefined,
  req: number | undefined,
  rep: number | undefined,
): number {
  if (req !== undefined && rep !== undefined && IN !== undefined && OUT !== undefined) {
    // Network time split evenly: IN lands half the non-server time after REQ. When the server
    // measured longer than the client (clock rate drift), this centres IN/OUT around REQ/REP.
    const latency = (rep - req - (OUT - IN)) / 2;
    return Math.round(req + latency - IN);
  }
  // Partial hops: the smallest shift that restores the order we can see.
  if (req !== undefined && IN !== undefined && IN < req) return req - IN;
  if (rep !== undefined && OUT !== undefined && OUT > rep) return rep - OUT;
  if (req !== undefined && OUT !== undefined && OUT < req) return req - OUT;
  if (rep !== undefined && IN !== undefined && IN > rep) return rep - IN;
  return 0;
}
