/**
 * Materialises a Span object from a row of span columns — the only place the engine makes span
 * objects, called when a hop is emitted or a query asks for pending spans. Field for field it
 * follows the rules of the span builder it replaced (pinned by the equivalence test's golden outputs): the
 * client side is REQ else REP, the server side IN else OUT, the callee's error wins, tags merge
 * client first so server keys win.
 */
import { EventFlags, type EventType } from '@phosphor/wire';
import { finishTimes } from '../assembly/span-times.js';
import type { HopTimes, Span } from '../model/span.js';
import type { IdTable } from './id-table.js';
import {
  F_ERROR_CODE,
  F_ERROR_DESCRIPTION,
  F_FROM,
  F_FROM_ENDPOINT,
  F_HOSTNAME,
  F_PARENT,
  F_TO,
  F_TO_ENDPOINT,
  F_ZONE,
  type SpanColumns,
  TEXT_FIELDS,
} from './span-columns.js';

const REQ = 0;
const IN = 1;
const OUT = 2;
const REP = 3;
const ALL_TYPES: readonly EventType[] = ['REQ', 'IN', 'OUT', 'REP'];
/** Frozen `missing` lists per presence mask, shared by every span. */
const MISSING_BY_MASK: readonly EventType[][] = Array.from(
  { length: 16 },
  (_, mask) => Object.freeze(ALL_TYPES.filter((_, bit) => (mask & (1 << bit)) === 0)) as EventType[],
);
const NO_TAGS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * The first non-empty of field `f` on event `first`, then `second` (-1 = absent). Module-level
 * functions, not closures: a span is built per emission, and closures would be allocated each time.
 */
function firstOf(text: string[], base: number, f: number, first: number, second: number): string {
  const a = first >= 0 ? (text[base + first * TEXT_FIELDS + f] as string) : '';
  if (a) return a;
  return second >= 0 ? (text[base + second * TEXT_FIELDS + f] as string) : '';
}

/** Field `f` of event `k` when present, else '' (a zone or parent of an absent event counts as empty). */
function fieldOf(text: string[], base: number, mask: number, k: number, f: number): string {
  return (mask & (1 << k)) !== 0 ? (text[base + k * TEXT_FIELDS + f] as string) : '';
}

/** The span of `row` (no skew correction yet). */
export function buildSpanFromRow(columns: SpanColumns, ids: IdTable, row: number, lateEvents: number): Span {
  const mask = columns.mask[row] as number;
  const text = columns.text;
  const cell = columns.tagsBase(row);
  const base = columns.textBase(row);
  const hasReq = (mask & 1) !== 0;
  const hasIn = (mask & 2) !== 0;
  const hasOut = (mask & 4) !== 0;
  const hasRep = (mask & 8) !== 0;
  const client = hasReq ? REQ : hasRep ? REP : -1;
  const server = hasIn ? IN : hasOut ? OUT : -1;
  const raw: HopTimes = {};
  const ts = columns.timestamps;
  if (hasReq) raw.REQ = ts[cell + REQ] as number;
  if (hasIn) raw.IN = ts[cell + IN] as number;
  if (hasOut) raw.OUT = ts[cell + OUT] as number;
  if (hasRep) raw.REP = ts[cell + REP] as number;
  const durations = columns.durations;
  const repDuration = hasRep ? (durations[cell + REP] as number) : Number.NaN;
  const outDuration = hasOut ? (durations[cell + OUT] as number) : Number.NaN;
  const clientDuration = !Number.isNaN(repDuration)
    ? repDuration
    : hasReq && hasRep
      ? (raw.REP as number) - (raw.REQ as number)
      : undefined;
  const serverDuration = !Number.isNaN(outDuration)
    ? outDuration
    : hasIn && hasOut
      ? (raw.OUT as number) - (raw.IN as number)
      : undefined;
  const errorType = fieldOf(text, base, mask, OUT, F_ERROR_CODE)
    ? OUT
    : fieldOf(text, base, mask, REP, F_ERROR_CODE)
      ? REP
      : -1;
  const parent =
    fieldOf(text, base, mask, REQ, F_PARENT) ||
    fieldOf(text, base, mask, IN, F_PARENT) ||
    fieldOf(text, base, mask, OUT, F_PARENT) ||
    fieldOf(text, base, mask, REP, F_PARENT);
  let persistent = false;
  const flags = columns.flags;
  for (let k = 0; k < 4; k++) {
    if ((mask & (1 << k)) !== 0 && ((flags[cell + k] as number) & EventFlags.persistent) !== 0) persistent = true;
  }
  const span: Span = {
    traceId: ids.traceId(row),
    spanId: ids.spanId(row),
    parentSpanId: parent || undefined,
    from: firstOf(text, base, F_FROM, client, server),
    fromEndpoint: firstOf(text, base, F_FROM_ENDPOINT, client, server),
    to: firstOf(text, base, F_TO, server, client),
    toEndpoint: firstOf(text, base, F_TO_ENDPOINT, server, client),
    clientHost: client >= 0 ? (text[base + client * TEXT_FIELDS + F_HOSTNAME] as string) : undefined,
    clientZone:
      client >= 0
        ? fieldOf(text, base, mask, REQ, F_ZONE) || fieldOf(text, base, mask, REP, F_ZONE) || undefined
        : undefined,
    serverHost: server >= 0 ? (text[base + server * TEXT_FIELDS + F_HOSTNAME] as string) : undefined,
    serverZone:
      server >= 0
        ? fieldOf(text, base, mask, IN, F_ZONE) || fieldOf(text, base, mask, OUT, F_ZONE) || undefined
        : undefined,
    events: raw,
    rawEvents: raw,
    skewMicros: 0,
    skewCorrected: false,
    missing: MISSING_BY_MASK[mask] as EventType[],
    clientDurationMicros: clientDuration,
    serverDurationMicros: serverDuration,
    startMicros: 0,
    durationMicros: 0,
    errorCode: errorType >= 0 ? (text[base + errorType * TEXT_FIELDS + F_ERROR_CODE] as string) : undefined,
    errorDescription:
      errorType >= 0 ? (text[base + errorType * TEXT_FIELDS + F_ERROR_DESCRIPTION] as string) || undefined : undefined,
    tags: mergeTags(columns, cell, mask),
    persistent: persistent || undefined,
    lateEvents: lateEvents > 0 ? lateEvents : undefined,
  };
  finishTimes(span);
  return span;
}

/** Tags merged REQ, REP, IN, OUT (server keys win), or the shared empty object. */
function mergeTags(columns: SpanColumns, tagsBase: number, mask: number): Record<string, string> {
  const cell = tagsBase;
  const tags = columns.tags;
  const a = mask & 1 ? tags[cell + REQ] : undefined;
  const b = mask & 8 ? tags[cell + REP] : undefined;
  const c = mask & 2 ? tags[cell + IN] : undefined;
  const d = mask & 4 ? tags[cell + OUT] : undefined;
  if (a === undefined && b === undefined && c === undefined && d === undefined) return NO_TAGS;
  return Object.assign({}, a, b, c, d);
}
