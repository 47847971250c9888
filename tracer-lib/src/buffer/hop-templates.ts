import { EventTemplate, type EventType } from '@phosphor/wire';
import type { HopEventKind } from './slot-kind.js';

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
    const template = EventTemplate.encode({
      type: TYPE_OF_KIND[kind] as EventType,
      from,
      fromEndpoint,
      to,
      toEndpoint,
      hostname: this.hostname,
      zone: this.zone,
      tags,
      flags,
    });
    if (template === undefined) return undefined;
    if (templates.length < MAX_TEMPLATES_PER_KIND) {
      templates.push(template);
    } else {
      const at = this.nextReplaced[kind] as number;
      templates[at] = template;
      this.nextReplaced[kind] = (at + 1) % MAX_TEMPLATES_PER_KIND;
    }
    this.last[kind] = template;
    return template;
  }
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
