import { EventFlags, EventTemplate, type EventType, isStartTagKey } from '@phosphor/wire';
import type { AttributeSet } from '../attributes/attribute-set.js';
import type { HopEventKind, SlotKind } from './slot-kind.js';

/**
 * Most templates kept per event kind: a service's endpoints times the statuses they answer with
 * (and, for calls, the endpoints they are made from). Past it the oldest entry is replaced, so an
 * unusual mix costs re-encoding, never memory.
 */
const MAX_TEMPLATES_PER_KIND = 64;

const TYPE_OF_KIND: readonly EventType[] = ['REQ', 'REQ', 'IN', 'OUT', 'REP'];
/** Template slots: the four hop kinds (1–4), then OUT and REP as pairs at kind + PAIR_SLOT_OFFSET (7, 8). */
const PAIR_SLOT_OFFSET = 4;
const SLOTS = 9;

/**
 * The {@link EventTemplate}s of the hops a tracer records, made in the background flush and kept:
 * a hop's event is then encoded as its ids and times plus one copied run of bytes, instead of
 * encoding its service, endpoint, host and attribute strings again for every event. Templates are
 * matched by identity of the strings and of the (frozen) tags object — the instrumentation passes
 * one string per endpoint and one tags object per endpoint and status — so a lookup is a few
 * pointer comparisons, most often against the last template used for that kind.
 */
export class HopTemplates {
  private readonly hostname: string;
  private readonly zone: string | undefined;
  /** By slot: a kind's single-event templates at the kind, its paired ones at kind + PAIR_SLOT_OFFSET. */
  private readonly bySlot: TemplateEntry[][] = Array.from({ length: SLOTS }, () => []);
  private readonly last: (TemplateEntry | undefined)[] = new Array<TemplateEntry | undefined>(SLOTS).fill(undefined);
  private readonly nextReplaced: number[] = new Array<number>(SLOTS).fill(0);

  /**
   * The pair template {@link pairOf} found last and what it was found for: the hop's attribute set
   * and status stand for the two tags objects they give, so a hop like the previous one (a service's
   * requests mostly repeat an endpoint and status) costs eight comparisons on this object, without
   * the attribute set's status lookup or the slot's entries.
   */
  private lastPair: EventTemplate | undefined = undefined;
  private lastPairKind = 0;
  private lastPairAttributes: AttributeSet | undefined = undefined;
  private lastPairStatus = 0;
  private lastPairFlags = 0;
  private lastPairFrom = '';
  private lastPairFromEndpoint = '';
  private lastPairTo = '';
  private lastPairToEndpoint = '';

  constructor(hostname: string, zone: string | undefined) {
    this.hostname = hostname;
    this.zone = zone;
  }

  /**
   * The template of event `kind` with these fields (host and zone are the tracer's); undefined when
   * a field is invalid or `tags` is not frozen — the caller then encodes the event field by field,
   * which counts it.
   */
  get(
    kind: HopEventKind,
    from: string,
    fromEndpoint: string,
    to: string,
    toEndpoint: string,
    tags: Readonly<Record<string, string>> | undefined,
    flags: number,
  ): EventTemplate | undefined {
    const found = this.find(kind, from, fromEndpoint, to, toEndpoint, tags, undefined, flags);
    if (found !== undefined) return found;
    // Identity matching is only sound for tags that cannot change.
    if (tags !== undefined && !Object.isFrozen(tags)) return undefined;
    return this.add(kind, kind, from, fromEndpoint, to, toEndpoint, tags, undefined, tags, flags);
  }

  /**
   * The template of a hop's end event `kind` (OUT, REP) that also stands for its start event
   * ({@link EventFlags.carriesStart}): the end event's fields with the start's tags and the end's
   * together. Undefined where {@link get} would be, or when a tag would not decode back onto its own
   * event (see `isStartTagKey`).
   */
  getPair(
    kind: typeof SlotKind.OUT | typeof SlotKind.REP,
    from: string,
    fromEndpoint: string,
    to: string,
    toEndpoint: string,
    startTags: Readonly<Record<string, string>> | undefined,
    endTags: Readonly<Record<string, string>> | undefined,
    flags: number,
  ): EventTemplate | undefined {
    const slot = kind + PAIR_SLOT_OFFSET;
    const pairFlags = flags | EventFlags.carriesStart;
    const found = this.find(slot, from, fromEndpoint, to, toEndpoint, endTags, startTags, pairFlags);
    if (found !== undefined) return found;
    if (
      (startTags !== undefined && !Object.isFrozen(startTags)) ||
      (endTags !== undefined && !Object.isFrozen(endTags))
    ) {
      return undefined;
    }
    // Decoders give a pair's request keys to the start event and the rest to the end (`isStartTagKey`):
    // tags that would not land back where they were recorded make the hop go as two events.
    if (
      (startTags !== undefined && !Object.keys(startTags).every(isStartTagKey)) ||
      (endTags !== undefined && Object.keys(endTags).some(isStartTagKey))
    ) {
      return undefined;
    }
    const tags = startTags === undefined ? endTags : endTags === undefined ? startTags : { ...startTags, ...endTags };
    return this.add(slot, kind, from, fromEndpoint, to, toEndpoint, endTags, startTags, tags, pairFlags);
  }

  /**
   * {@link getPair} for a hop's end event `kind` with the request tags of `attributes` and its response
   * tags for `status` (no error): the same template, remembered for the next hop with the same fields.
   */
  pairOf(
    kind: typeof SlotKind.OUT | typeof SlotKind.REP,
    from: string,
    fromEndpoint: string,
    to: string,
    toEndpoint: string,
    attributes: AttributeSet | undefined,
    status: number,
    flags: number,
  ): EventTemplate | undefined {
    if (
      this.lastPair !== undefined &&
      attributes === this.lastPairAttributes &&
      status === this.lastPairStatus &&
      toEndpoint === this.lastPairToEndpoint &&
      flags === this.lastPairFlags &&
      kind === this.lastPairKind &&
      to === this.lastPairTo &&
      fromEndpoint === this.lastPairFromEndpoint &&
      from === this.lastPairFrom
    ) {
      return this.lastPair;
    }
    const template = this.getPair(
      kind,
      from,
      fromEndpoint,
      to,
      toEndpoint,
      attributes?.request,
      attributes?.response(status, undefined),
      flags,
    );
    if (template !== undefined) {
      this.lastPair = template;
      this.lastPairKind = kind;
      this.lastPairAttributes = attributes;
      this.lastPairStatus = status;
      this.lastPairFlags = flags;
      this.lastPairFrom = from;
      this.lastPairFromEndpoint = fromEndpoint;
      this.lastPairTo = to;
      this.lastPairToEndpoint = toEndpoint;
    }
    return template;
  }

  /** The template in `slot` made from these strings, tags objects (by identity) and flags, if kept. */
  private find(
    slot: number,
    from: string,
    fromEndpoint: string,
    to: string,
    toEndpoint: string,
    tags: Readonly<Record<string, string>> | undefined,
    startTags: Readonly<Record<string, string>> | undefined,
    flags: number,
  ): EventTemplate | undefined {
    const last = this.last[slot];
    if (last !== undefined && matches(last, from, fromEndpoint, to, toEndpoint, tags, startTags, flags)) {
      return last.template;
    }
    const entries = this.bySlot[slot] as TemplateEntry[];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as TemplateEntry;
      if (matches(entry, from, fromEndpoint, to, toEndpoint, tags, startTags, flags)) {
        this.last[slot] = entry;
        return entry.template;
      }
    }
    return undefined;
  }

  /**
   * Encodes event `kind` with `encodedTags` and keeps it in `slot` under the tags objects it is found
   * by; past {@link MAX_TEMPLATES_PER_KIND} per slot the oldest is replaced.
   */
  private add(
    slot: number,
    kind: HopEventKind,
    from: string,
    fromEndpoint: string,
    to: string,
    toEndpoint: string,
    tags: Readonly<Record<string, string>> | undefined,
    startTags: Readonly<Record<string, string>> | undefined,
    encodedTags: Readonly<Record<string, string>> | undefined,
    flags: number,
  ): EventTemplate | undefined {
    const type = TYPE_OF_KIND[kind] as EventType;
    const { hostname, zone } = this;
    const template = EventTemplate.encode({
      type,
      from,
      fromEndpoint,
      to,
      toEndpoint,
      hostname,
      zone,
      tags: encodedTags,
      flags,
    });
    if (template === undefined) return undefined;
    const entry: TemplateEntry = { template, tags, startTags };
    const entries = this.bySlot[slot] as TemplateEntry[];
    if (entries.length < MAX_TEMPLATES_PER_KIND) {
      entries.push(entry);
    } else {
      const at = this.nextReplaced[slot] as number;
      entries[at] = entry;
      this.nextReplaced[slot] = (at + 1) % MAX_TEMPLATES_PER_KIND;
    }
    this.last[slot] = entry;
    return template;
  }
}

/**
 * A kept template and the tags objects it is found by: a single event's `tags` (`startTags` undefined),
 * or a pair's end and start tags, whose union the template encodes.
 */
interface TemplateEntry {
  template: EventTemplate;
  tags: Readonly<Record<string, string>> | undefined;
  startTags: Readonly<Record<string, string>> | undefined;
}

function matches(
  entry: TemplateEntry,
  from: string,
  fromEndpoint: string,
  to: string,
  toEndpoint: string,
  tags: Readonly<Record<string, string>> | undefined,
  startTags: Readonly<Record<string, string>> | undefined,
  flags: number,
): boolean {
  const f = entry.template.fields;
  return (
    entry.tags === tags &&
    entry.startTags === startTags &&
    f.toEndpoint === toEndpoint &&
    f.flags === flags &&
    f.to === to &&
    f.fromEndpoint === fromEndpoint &&
    f.from === from
  );
}
