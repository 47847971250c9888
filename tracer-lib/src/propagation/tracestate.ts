/**
 * W3C Trace Context `tracestate` (https://www.w3.org/TR/trace-context/#tracestate-header): a list
 * of up to 32 `key=value` members, one per tracing system, most recently updated first. Phosphor
 * owns the `phosphor` member; every other vendor's member is forwarded unchanged and in order, as
 * the spec requires of a system that continues the trace.
 *
 * Parsing follows the spec and its test suite (w3c/trace-context test/test.py, strict level 2):
 * several headers (or a header Node joined from duplicates) form one list; empty and
 * whitespace-only members are skipped; spaces and tabs around members are ignored; and a list with
 * any invalid member — bad key or value, a duplicated key, more than 32 members — is discarded as a
 * whole.
 */

/** The tracestate list-member key Phosphor owns. */
export const TRACESTATE_KEY = 'phosphor';
/** Most list members a tracestate may hold (spec §3.3.1.1). */
export const TRACESTATE_MAX_MEMBERS = 32;
/**
 * Longest combined header Phosphor propagates: the spec asks every system to pass on at least 512
 * characters and, when it shortens a list, to drop members longer than 128 characters first.
 */
export const TRACESTATE_PROPAGATED_CHARS = 512;
const TRACESTATE_LONG_MEMBER_CHARS = 128;
/**
 * Longest incoming header read: 32 members of a 256-char key, '=' and a 256-char value, with
 * separators and some spaces. Anything longer cannot be valid.
 */
const TRACESTATE_MAX_INPUT_CHARS = TRACESTATE_MAX_MEMBERS * (256 + 1 + 256 + 8);

/** simple-key, or tenant@system multi-tenant key (spec §3.3.1.3.1). */
const KEY = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
/** 1..256 printable ASCII chars except ',' and '=', not ending in a space (spec §3.3.1.3.2). */
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const HEX_SPAN_ID = /^[0-9a-f]{16}$/;

/** A parsed tracestate: Phosphor's own member, and everyone else's members to forward. */
export interface Tracestate {
  /** The hop's parent span, from Phosphor's member (`p:`). */
  parentSpanId?: string;
  /** Phosphor's persistent flag (`k:1`). */
  persistent: boolean;
  /** The other vendors' members, in order, joined with ',' (undefined when there are none). */
  others?: string;
}

/** Trims the spaces and tabs (OWS) the spec allows around list members. */
function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 0x20 || value.charCodeAt(start) === 0x09)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0x09)) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/**
 * Parses a tracestate header (several headers joined with ','). Returns `{ persistent: false }`
 * — nothing to forward — for a missing, empty or invalid list.
 */
export function parseTracestate(header: string | undefined): Tracestate {
  const result: Tracestate = { persistent: false };
  if (typeof header !== 'string' || header.length === 0 || header.length > TRACESTATE_MAX_INPUT_CHARS) return result;
  const keys = new Set<string>();
  const others: string[] = [];
  let own: string | undefined;
  for (const raw of header.split(',')) {
    const member = trimOws(raw);
    if (member.length === 0) continue;
    const eq = member.indexOf('=');
    if (eq <= 0) return result;
    const key = member.slice(0, eq);
    const value = member.slice(eq + 1);
    if (!KEY.test(key) || !VALUE.test(value) || keys.has(key)) return result;
    keys.add(key);
    if (keys.size > TRACESTATE_MAX_MEMBERS) return result;
    if (key === TRACESTATE_KEY) own = value;
    else others.push(member);
  }
  if (own !== undefined) {
    for (const part of own.split(';')) {
      if (part === 'k:1') result.persistent = true;
      else if (part.startsWith('p:') && HEX_SPAN_ID.test(part.slice(2))) result.parentSpanId = part.slice(2);
    }
  }
  if (others.length > 0) result.others = others.join(',');
  return result;
}

/** Phosphor's member value: `p:<parent span>;k:1`, either part may be absent; undefined when both are. */
function ownValue(parentSpanId: string | undefined, persistent: boolean): string | undefined {
  const parent = parentSpanId !== undefined && HEX_SPAN_ID.test(parentSpanId) ? `p:${parentSpanId}` : undefined;
  if (parent === undefined) return persistent ? 'k:1' : undefined;
  return persistent ? `${parent};k:1` : parent;
}

/**
 * The tracestate to send: Phosphor's member first (the spec puts the member of the system that
 * last touched the trace leftmost), then the other vendors' members as they arrived (`others`,
 * from {@link parseTracestate}), at most 32 members and {@link TRACESTATE_PROPAGATED_CHARS}
 * characters — members are removed from the right, long (> 128 chars) ones first. Undefined when
 * there is nothing to send.
 */
export function formatTracestate(
  parentSpanId: string | undefined,
  persistent: boolean,
  others?: string,
): string | undefined {
  const value = ownValue(parentSpanId, persistent);
  const own = value === undefined ? undefined : `${TRACESTATE_KEY}=${value}`;
  if (others === undefined || others.length === 0) return own;
  const combined = own === undefined ? others : `${own},${others}`;
  // The common case — a few short members — needs no counting: 32 members take at least 63 chars.
  if (combined.length <= TRACESTATE_PROPAGATED_CHARS && combined.length < 2 * TRACESTATE_MAX_MEMBERS) return combined;
  const members = others.split(',');
  const room = TRACESTATE_MAX_MEMBERS - (own === undefined ? 0 : 1);
  if (members.length > room) members.length = room;
  let length = (own?.length ?? -1) + members.reduce((sum, m) => sum + m.length + 1, 0);
  while (length > TRACESTATE_PROPAGATED_CHARS && members.length > 0) {
    let drop = members.length - 1;
    for (let i = members.length - 1; i >= 0; i--) {
      if ((members[i] as string).length > TRACESTATE_LONG_MEMBER_CHARS) {
        drop = i;
        break;
      }
    }
    length -= (members[drop] as string).length + 1;
    members.splice(drop, 1);
  }
  if (members.length === 0) return own;
  return own === undefined ? members.join(',') : `${own},${members.join(',')}`;
}
