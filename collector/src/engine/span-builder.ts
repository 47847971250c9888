/**
 * Writes a row of span columns into a span batch as a finished span — the only place the engine
 * reads a hop's fields into a span, when a hop is emitted or a query asks for pending spans (Span
 * objects are made from the batch only for consumers that want them). Field for field it
 * follows the rules of the span builder it replaced (pinned by the equivalence test's golden outputs): the
 * client side is REQ else REP, the server side IN else OUT, the callee's error wins, tags merge
 * client first so server keys win.
 */
import { EventFlags, type EventType } from '@phosphor/wire';
import { type HostOffsetTable, type SideOffsets, sideOffsets, skewCorrected } from '../assembly/skew.js';
import {
  FLAG_EVENTS_RAW,
  FLAG_PERSISTENT,
  FLAG_PERSISTENT_SET,
  FLAG_SKEW_CORRECTED,
  N_CLIENT_DURATION,
  N_DURATION,
  N_EVENTS,
  N_RAW,
  N_SERVER_DURATION,
  N_SKEW,
  N_START,
  NUMBER_STRIDE,
  type SpanBatch,
  T_CLIENT_HOST,
  T_CLIENT_ZONE,
  T_ERROR_CODE,
  T_ERROR_DESCRIPTION,
  T_FROM,
  T_FROM_ENDPOINT,
  T_SERVER_HOST,
  T_SERVER_ZONE,
  T_TO,
  T_TO_ENDPOINT,
  TEXT_STRIDE,
} from '../model/span-batch.js';
import type { IdTable } from './id-table.js';
import {
  F_ERROR_CODE,
  F_ERROR_DESCRIPTION,
  F_FROM,
  F_FROM_ENDPOINT,
  F_HOSTNAME,
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

/**
 * Appends the span of `row` to `batch` (no skew correction yet: its adjusted times are its raw
 * ones) and returns the entry's index.
 */
export function appendSpanFromRow(
  batch: SpanBatch,
  columns: SpanColumns,
  ids: IdTable,
  row: number,
  lateEvents: number,
): number {
  const i = batch.add();
  ids.copyIdsTo(row, batch, i);
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
  const ts = columns.timestamps;
  const req = hasReq ? (ts[cell + REQ] as number) : Number.NaN;
  const inTime = hasIn ? (ts[cell + IN] as number) : Number.NaN;
  const out = hasOut ? (ts[cell + OUT] as number) : Number.NaN;
  const rep = hasRep ? (ts[cell + REP] as number) : Number.NaN;
  const durations = columns.durations;
  const repDuration = hasRep ? (durations[cell + REP] as number) : Number.NaN;
  const outDuration = hasOut ? (durations[cell + OUT] as number) : Number.NaN;
  const clientDuration = !Number.isNaN(repDuration) ? repDuration : hasReq && hasRep ? rep - req : Number.NaN;
  const serverDuration = !Number.isNaN(outDuration) ? outDuration : hasIn && hasOut ? out - inTime : Number.NaN;
  const errorType = fieldOf(text, base, mask, OUT, F_ERROR_CODE)
    ? OUT
    : fieldOf(text, base, mask, REP, F_ERROR_CODE)
      ? REP
      : -1;
  // The parent: the first event's in REQ, IN, OUT, REP order that names one.
  const parentIds = columns.parentIds;
  let parentCell = -1;
  for (let k = 0; k < 4 && parentCell < 0; k++) {
    if ((mask & (1 << k)) !== 0 && parentIds.has(cell + k)) parentCell = cell + k;
  }
  batch.setParentIdFrom(i, parentIds, parentCell);
  let persistent = false;
  const flags = columns.flags;
  for (let k = 0; k < 4; k++) {
    if ((mask & (1 << k)) !== 0 && ((flags[cell + k] as number) & EventFlags.persistent) !== 0) persistent = true;
  }
  const t = i * TEXT_STRIDE;
  const fields = batch.text;
  fields[t + T_FROM] = firstOf(text, base, F_FROM, client, server);
  fields[t + T_FROM_ENDPOINT] = firstOf(text, base, F_FROM_ENDPOINT, client, server);
  fields[t + T_TO] = firstOf(text, base, F_TO, server, client);
  fields[t + T_TO_ENDPOINT] = firstOf(text, base, F_TO_ENDPOINT, server, client);
  fields[t + T_CLIENT_HOST] = client >= 0 ? (text[base + client * TEXT_FIELDS + F_HOSTNAME] as string) : undefined;
  fields[t + T_CLIENT_ZONE] =
    client >= 0
      ? fieldOf(text, base, mask, REQ, F_ZONE) || fieldOf(text, base, mask, REP, F_ZONE) || undefined
      : undefined;
  fields[t + T_SERVER_HOST] = server >= 0 ? (text[base + server * TEXT_FIELDS + F_HOSTNAME] as string) : undefined;
  fields[t + T_SERVER_ZONE] =
    server >= 0
      ? fieldOf(text, base, mask, IN, F_ZONE) || fieldOf(text, base, mask, OUT, F_ZONE) || undefined
      : undefined;
  fields[t + T_ERROR_CODE] =
    errorType >= 0 ? (text[base + errorType * TEXT_FIELDS + F_ERROR_CODE] as string) : undefined;
  fields[t + T_ERROR_DESCRIPTION] =
    errorType >= 0 ? (text[base + errorType * TEXT_FIELDS + F_ERROR_DESCRIPTION] as string) || undefined : undefined;
  const n = i * NUMBER_STRIDE;
  const numbers = batch.numbers;
  numbers[n + N_RAW + REQ] = numbers[n + N_EVENTS + REQ] = req;
  numbers[n + N_RAW + IN] = numbers[n + N_EVENTS + IN] = inTime;
  numbers[n + N_RAW + OUT] = numbers[n + N_EVENTS + OUT] = out;
  numbers[n + N_RAW + REP] = numbers[n + N_EVENTS + REP] = rep;
  numbers[n + N_SKEW] = 0;
  numbers[n + N_CLIENT_DURATION] = clientDuration;
  numbers[n + N_SERVER_DURATION] = serverDuration;
  finishEntryTimes(numbers, n);
  batch.flags[i] = FLAG_EVENTS_RAW | (persistent ? FLAG_PERSISTENT_SET | FLAG_PERSISTENT : 0);
  batch.lateEvents[i] = lateEvents > 0 ? lateEvents : -1;
  batch.missing[i] = MISSING_BY_MASK[mask] as EventType[];
  batch.tags[i] = mergeTags(columns, cell, mask);
  return i;
}

/** Sets an entry's start and duration from its adjusted times and durations (NaN = absent), as finishTimes does. */
export function finishEntryTimes(numbers: Float64Array, n: number): void {
  // NaN compares false: an absent time is never the earliest or the latest.
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let k = n + N_EVENTS; k < n + N_EVENTS + 4; k++) {
    const t = numbers[k] as number;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const start = min === Number.POSITIVE_INFINITY ? 0 : min;
  numbers[n + N_START] = start;
  const clientDuration = numbers[n + N_CLIENT_DURATION] as number;
  const serverDuration = numbers[n + N_SERVER_DURATION] as number;
  numbers[n + N_DURATION] = !Number.isNaN(clientDuration)
    ? clientDuration
    : !Number.isNaN(serverDuration)
      ? serverDuration
      : max > start
        ? max - start
        : 0;
}

const skewFound: SideOffsets = { client: 0, server: 0 };

/**
 * Skew-corrects entry `i` of `batch` with its trace's offsets, as adjustSpanSkew does a Span
 * (which records the server host's offset for the trace's later spans).
 */
export function adjustEntrySkew(batch: SpanBatch, i: number, offsets: HostOffsetTable): void {
  const numbers = batch.numbers;
  const n = i * NUMBER_STRIDE;
  const t = i * TEXT_STRIDE;
  const req = present(numbers[n + N_RAW + REQ] as number);
  const rep = present(numbers[n + N_RAW + REP] as number);
  sideOffsets(
    req,
    present(numbers[n + N_RAW + IN] as number),
    present(numbers[n + N_RAW + OUT] as number),
    rep,
    batch.text[t + T_CLIENT_HOST],
    batch.text[t + T_SERVER_HOST],
    offsets,
    skewFound,
  );
  const client = skewFound.client;
  const server = skewFound.server;
  numbers[n + N_SKEW] = server;
  if (client === 0 && server === 0) return;
  // NaN (absent) stays NaN.
  numbers[n + N_EVENTS + REQ] = (numbers[n + N_RAW + REQ] as number) + client;
  numbers[n + N_EVENTS + IN] = (numbers[n + N_RAW + IN] as number) + server;
  numbers[n + N_EVENTS + OUT] = (numbers[n + N_RAW + OUT] as number) + server;
  numbers[n + N_EVENTS + REP] = (numbers[n + N_RAW + REP] as number) + client;
  let flags = (batch.flags[i] as number) & ~FLAG_EVENTS_RAW;
  if (skewCorrected(client, server, req, rep)) flags |= FLAG_SKEW_CORRECTED;
  batch.flags[i] = flags;
  finishEntryTimes(numbers, n);
}

/** A time column's value as an optional number: NaN (absent) is undefined. */
function present(value: number): number | undefined {
  return Number.isNaN(value) ? undefined : value;
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
