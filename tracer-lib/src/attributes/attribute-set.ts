import { ATTR_ERROR_TYPE, DEFAULT_ATTRIBUTES } from './semantic-conventions.js';

/**
 * Which default attributes a tracer records: the resolved form of the `attributes` option. Built
 * once per tracer; the instrumentation asks it for an {@link AttributeSet} once per endpoint.
 */
export class AttributePolicy {
  private readonly enabled: ReadonlySet<string>;

  /** `true`: all of {@link DEFAULT_ATTRIBUTES}; `false`: none; a list: those names only. */
  constructor(selection: boolean | readonly string[]) {
    this.enabled = new Set(selection === true ? DEFAULT_ATTRIBUTES : selection === false ? [] : selection);
  }

  /** True when `name` is recorded. */
  has(name: string): boolean {
    return this.enabled.has(name);
  }

  /** True when no attribute is recorded at all (instrumentation then skips building sets). */
  get none(): boolean {
    return this.enabled.size === 0;
  }

  /**
   * The attributes of one endpoint (route + method + peer): `request` are the fixed ones, put on the
   * hop's first event (REQ/IN); `statusKey` names the status attribute of its second event (OUT/REP).
   * Entries whose name is not enabled or whose value is undefined are left out.
   */
  attributeSet(request: readonly (readonly [string, string | number | undefined])[], statusKey: string): AttributeSet {
    const tags: Record<string, string> = {};
    let count = 0;
    for (const [name, value] of request) {
      if (value === undefined || value === '' || !this.enabled.has(name)) continue;
      tags[name] = String(value);
      count++;
    }
    return new AttributeSet(
      count === 0 ? undefined : Object.freeze(tags),
      this.enabled.has(statusKey) ? statusKey : undefined,
      this.enabled.has(ATTR_ERROR_TYPE),
    );
  }
}

/** Status codes cached per set: HTTP's 100…599 and gRPC's 0…16 both fit. */
const MAX_CACHED_STATUS = 600;

/**
 * The attribute tags of one endpoint, built once and shared by every hop through it, so recording a
 * hop allocates nothing for its attributes: the hop keeps a reference to the set and its numeric
 * status, and the tags objects are made (once per status code, then cached) only when the
 * background flush encodes the events. The objects are frozen: the encoder may recognise them by
 * identity.
 */
export class AttributeSet {
  /** Tags of the hop's first event (REQ / IN); undefined when none are enabled. */
  readonly request: Readonly<Record<string, string>> | undefined;
  private readonly statusKey: string | undefined;
  private readonly errorType: boolean;
  private readonly byStatus = new Array<Readonly<Record<string, string>> | undefined>(MAX_CACHED_STATUS).fill(
    undefined,
  );

  constructor(
    request: Readonly<Record<string, string>> | undefined,
    statusKey: string | undefined,
    errorType: boolean,
  ) {
    this.request = request;
    this.statusKey = statusKey;
    this.errorType = errorType;
  }

  /**
   * Tags of the hop's second event (OUT / REP): the status code (negative = none, e.g. the call
   * failed before a response) and `error.type` when the hop failed. Cached per status without error.
   */
  response(status: number, errorType: string | undefined): Readonly<Record<string, string>> | undefined {
    if (errorType !== undefined && this.errorType) {
      const tags: Record<string, string> = { [ATTR_ERROR_TYPE]: errorType };
      if (this.statusKey !== undefined && status >= 0) tags[this.statusKey] = String(status);
      return Object.freeze(tags);
    }
    if (this.statusKey === undefined || status < 0) return undefined;
    if (status < MAX_CACHED_STATUS) {
      let tags = this.byStatus[status];
      if (tags === undefined) {
        tags = Object.freeze({ [this.statusKey]: String(status) });
        this.byStatus[status] = tags;
      }
      return tags;
    }
    return Object.freeze({ [this.statusKey]: String(status) });
  }
}
