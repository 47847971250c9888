import { EventFlags, type EventType } from './event.js';
import {
  eventTypeCode,
  PREPARED_SCRATCH_BYTES,
  TAG_EVENT_TYPE,
  TAG_FLAGS_0,
  TAG_FLAGS_1,
  writeHostFields,
  writePeerFields,
  writeTags,
} from './event-fields.js';
import { writeVarint } from './varint-writer.js';

/** The fields of an event an {@link EventTemplate} holds: those that repeat across many events. */
export interface EventTemplateFields {
  type: EventType;
  from: string;
  fromEndpoint: string;
  to: string;
  toEndpoint: string;
  hostname: string;
  zone?: string | undefined;
  /** Must not change after the template is made (instrumentation passes frozen objects). */
  tags?: Readonly<Record<string, string>> | undefined;
  /** Default: sampled (1), as in {@link TraceEvent}. */
  flags?: number | undefined;
}

/**
 * The repeating fields of an event — type, from/from_endpoint/to/to_endpoint, hostname/zone, tags
 * and flags — encoded once, for {@link DatagramWriter.appendFromTemplate}: the events of one
 * endpoint, status and host differ only in ids and times, so writing one is copying this run after
 * them. Immutable; make one with {@link EventTemplate.encode} and keep it as long as those fields
 * stay the same (the tracer keeps one per endpoint, event type and status).
 */
export class EventTemplate {
  /** The fields encoded (for callers matching a template to an event). */
  readonly fields: Readonly<EventTemplateFields>;
  /** Encoded fields 1, 5..8, 10, 11, 15 and 16, in that order. */
  readonly bytes: Uint8Array;
  /** Events one frame of this template counts as: 2 with {@link EventFlags.carriesStart}, else 1. */
  readonly events: 1 | 2;

  private constructor(fields: EventTemplateFields, bytes: Uint8Array, events: 1 | 2) {
    this.fields = Object.freeze({ ...fields });
    this.bytes = bytes;
    this.events = events;
  }

  /** Encodes `fields`; undefined when one is invalid (the same checks as {@link DatagramWriter.append}). */
  static encode(fields: EventTemplateFields): EventTemplate | undefined {
    const type = eventTypeCode(fields.type);
    if (type === 0) return undefined;
    const flags = fields.flags ?? 1;
    if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) return undefined;
    const carriesStart = (flags & EventFlags.carriesStart) !== 0;
    if (carriesStart && type !== 3 && type !== 4) return undefined;
    const tags = fields.tags;
    const buf = Buffer.allocUnsafe(
      2 + PREPARED_SCRATCH_BYTES * 2 + (tags === undefined ? 0 : tagsBytesBound(tags)) + 7,
    );
    buf[0] = TAG_EVENT_TYPE;
    buf[1] = type;
    const limit = buf.length;
    let at = writePeerFields(buf, 2, limit, fields.from, fields.fromEndpoint, fields.to, fields.toEndpoint);
    if (at >= 0) at = writeHostFields(buf, at, limit, fields.hostname, fields.zone);
    if (at >= 0 && tags !== undefined) at = writeTags(buf, at, limit, tags);
    if (at < 0) return undefined;
    if (flags !== 0) {
      buf[at++] = TAG_FLAGS_0;
      buf[at++] = TAG_FLAGS_1;
      at = writeVarint(buf, at, flags);
    }
    return new EventTemplate(fields, Uint8Array.prototype.slice.call(buf, 0, at), carriesStart ? 2 : 1);
  }
}

/** Most bytes `writeTags` may write for `tags` (UTF-8 is at most 3 bytes per UTF-16 unit); 0 when not an object. */
function tagsBytesBound(tags: Readonly<Record<string, string>>): number {
  if (typeof tags !== 'object' || tags === null) return 0;
  let bytes = 0;
  for (const key in tags) {
    const value = tags[key];
    bytes += 12 + key.length * 3 + (typeof value === 'string' ? value.length * 3 : 0);
  }
  return bytes;
}
