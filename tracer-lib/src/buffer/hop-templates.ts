import { EventFlags, EventTemplate, type EventType, isStartTagKey } from '@phosphor/wire';
import type { HopEventKind, SlotKind } from './slot-kind.js';

/**
 * Most templates kept per event kind: a service's endpoints times the statuses they answer with
 * (and, for calls, the endpoints they are made from). Past it the oldest entry is replaced, so an
 * unusual mix costs re-encoding, never memory.
 */
const MAX_TEMPLATES_PER_KIND = 64;

const TYPE_OF_KIND: readonly EventType[] = ['REQ', 'REQ', 'IN', 'OUT', 'REP'];

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
  private readonly byKind: EventTemplate[][] = [[], [], [], [], []];
  private readonly last: (EventTemplate | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  private readonly nextReplaced = [0, 0, 0, 0, 0];
  /** Templates of a hop's two events in one frame, by end kind (OUT, REP), matched by both events' tags. */
  private readonly pairsByKind: PairTemplate[][] = [[], [], [], [], []];
  private readonly lastPair: (PairTemplate | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  private readonly nextPairReplaced = [0, 0, 0, 0, 0];

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
    const last = this.last[kind];
    if (last !== undefined && matches(last, from, fromEndpoint, to, toEndpoint, tags, flags)) return last;
    const templates = this.byKind[kind] as EventTemplate[];
    for (let i = 0; i < templates.length; i++) {
      const template = templates[i] as EventTemplate;
      if (matches(template, from, fromEndpoint, to, toEndpoint, tags, flags)) {
        this.last[kind] = template;
        return template;
      }
    }
    // Identity matching is only sound for tags that cannot change.
    if (tags !== undefined && !Object.isFrozen(tags)) return undefined;
    const template = this.encode(kind, from, fromEndpoint, to, toEndpoint, tags, flags);
    if (template === undefined) return undefined;
    keepBounded(templates, template, this.nextReplaced, kind);
    this.last[kind] = template;
    return template;
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
    const pairFlags = flags | EventFlags.carriesStart;
    const last = this.lastPair[kind];
    if (last !== undefined && pairMatches(last, from, fromEndpoint, to, toEndpoint, startTags, endTags, pairFlags)) {
      return last.template;
    }
    const pairs = this.pairsByKind[kind] as PairTemplate[];
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i] as PairTemplate;
      if (pairMatches(pair, from, fromEndpoint, to, toEndpoint, startTags, endTags, pairFlags)) {
        this.lastPair[kind] = pair;
        return pair.template;
      }
    }
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
    const template = this.encode(kind, from, fromEndpoint, to, toEndpoint, tags, pairFlags);
    if (template === undefined) return undefined;
    const pair: PairTemplate = { template, startTags, endTags };
    keepBounded(pairs, pair, this.nextPairReplaced, kind);
    this.lastPair[kind] = pair;
    return template;
  }

  private encode(
    kind: HopEventKind,
    from: string,
    fromEndpoint: string,
    to: string,
    toEndpoint: string,
    tags: Readonly<Record<string, string>> | undefined,
    flags: number,
  ): EventTemplate | undefined {
    const type = TYPE_OF_KIND[kind] as EventType;
    return EventTemplate.encode({
      type,
      from,
      fromEndpoint,
      to,
      toEndpoint,
      hostname: this.hostname,
      zone: this.zone,
      tags,
      flags,
    });
  }
}

/** Adds `item` to `list`, past {@link MAX_TEMPLATES_PER_KIND} replacing the oldest (`nextReplaced[kind]` tracks it). */
function keepBounded<T>(list: T[], item: T, nextReplaced: number[], kind: number): void {
  if (list.length < MAX_TEMPLATES_PER_KIND) {
    list.push(item);
    return;
  }
  const at = nextReplaced[kind] as number;
  list[at] = item;
  nextReplaced[kind] = (at + 1) % MAX_TEMPLATES_PER_KIND;
}

/** A pair template and the start and end tags objects its union of tags was made from. */
interface PairTemplate {
  template: EventTemplate;
  startTags: Readonly<Record<string, string>> | undefined;
  endTags: Readonly<Record<string, string>> | undefined;
}

function matches(
  template: EventTemplate,
  from: string,
  fromEndpoint: string,
  to: string,
  toEndpoint: string,
  tags: Readonly<Record<string, string>> | undefined,
  flags: number,
): boolean {
  const f = template.fields;
  return (
    f.tags === tags &&
    f.toEndpoint === toEndpoint &&
    f.flags === flags &&
    f.to === to &&
    f.fromEndpoint === fromEndpoint &&
    f.from === from
  );
}

function pairMatches(
  pair: PairTemplate,
  from: string,
  fromEndpoint: string,
  to: string,
  toEndpoint: string,
  startTags: Readonly<Record<string, string>> | undefined,
  endTags: Readonly<Record<string, string>> | undefined,
  flags: number,
): boolean {
  const f = pair.template.fields;
  return (
    pair.endTags === endTags &&
    pair.startTags === startTags &&
    f.toEndpoint === toEndpoint &&
    f.flags === flags &&
    f.to === to &&
    f.fromEndpoint === fromEndpoint &&
    f.from === from
  );
}
