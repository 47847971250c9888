import type { TraceEvent } from './event.js';
import { PREPARED_SCRATCH_BYTES, writeHostFields, writePeerFields, writeTags } from './event-fields.js';

/**
 * Where the encoded ids (trace, span, parent span) of the last event written into the current
 * datagram are, so the next event of the same hop can copy them. Invalid after `finish` (the
 * next datagram is another buffer).
 */
export class LastIds {
  valid = false;
  traceId = '';
  /** The span id as text, or undefined when it was written from its words. */
  spanText: string | undefined = undefined;
  spanHigh = 0;
  spanLow = 0;
  parentSpanId: string | undefined = undefined;
  start = 0;
  end = 0;
  /** Set by the event being written; committed only when it was appended whole. */
  pendingStart = 0;
  pendingEnd = 0;

  commit(
    traceId: string,
    spanText: string | undefined,
    spanHigh: number,
    spanLow: number,
    parentSpanId: string | undefined,
    delta: number,
  ): void {
    this.valid = true;
    this.traceId = traceId;
    this.spanText = spanText;
    this.spanHigh = spanHigh;
    this.spanLow = spanLow;
    this.parentSpanId = parentSpanId;
    this.start = this.pendingStart + delta;
    this.end = this.pendingEnd + delta;
  }
}

/** Most distinct (from, fromEndpoint, to, toEndpoint) tuples kept prepared: a service's endpoints times its peers. */
const MAX_PREPARED_PEERS = 64;

/** The encoded bytes of an event's fields that repeat across a service's events, and the strings they came from. */
interface PeerRun {
  from: string | undefined;
  fromEndpoint: string | undefined;
  to: string | undefined;
  toEndpoint: string | undefined;
  bytes: Uint8Array;
}

interface HostRun {
  hostname: string | undefined;
  zone: string | undefined;
  bytes: Uint8Array;
}

/**
 * The events of one endpoint repeat the same service, endpoint, host and zone strings, and in
 * phosphor.proto those fields sit in two contiguous runs: from/from_endpoint/to/to_endpoint (5..8)
 * and hostname/zone (10..11). Their encoded bytes (tags, lengths, UTF-8) are prepared once per
 * distinct tuple, so encoding an event is copying two prepared byte runs plus writing the ids,
 * timestamp and duration. Tuples are matched with `===` (identical strings compare by pointer,
 * which is what instrumentation passes: one string per endpoint). Bounded: past
 * {@link MAX_PREPARED_PEERS} tuples the oldest entry is replaced.
 */
export class PreparedRuns {
  /** The last event's encoded ids in the current datagram. */
  readonly ids = new LastIds();
  private readonly peers: PeerRun[] = [];
  private lastPeer: PeerRun | undefined;
  private nextReplaced = 0;
  private host: HostRun | undefined;
  private readonly tagRuns = new WeakMap<object, Uint8Array>();
  private lastTags: object | undefined;
  private lastTagsRun: Uint8Array | undefined;
  private readonly scratch = Buffer.allocUnsafe(PREPARED_SCRATCH_BYTES);

  /** The run for fields 5..8 of `e`, or undefined when one of them is invalid. */
  peerRun(e: TraceEvent): Uint8Array | undefined {
    const last = this.lastPeer;
    if (
      last !== undefined &&
      last.toEndpoint === e.toEndpoint &&
      last.to === e.to &&
      last.fromEndpoint === e.fromEndpoint &&
      last.from === e.from
    ) {
      return last.bytes;
    }
    const peers = this.peers;
    for (let i = 0; i < peers.length; i++) {
      const run = peers[i] as PeerRun;
      if (
        run.toEndpoint === e.toEndpoint &&
        run.to === e.to &&
        run.fromEndpoint === e.fromEndpoint &&
        run.from === e.from
      ) {
        this.lastPeer = run;
        return run.bytes;
      }
    }
    const buf = this.scratch;
    const at = writePeerFields(buf, 0, buf.length, e.from, e.fromEndpoint, e.to, e.toEndpoint);
    if (at < 0) return undefined;
    const run: PeerRun = {
      from: e.from,
      fromEndpoint: e.fromEndpoint,
      to: e.to,
      toEndpoint: e.toEndpoint,
      bytes: Uint8Array.prototype.slice.call(buf, 0, at),
    };
    if (peers.length < MAX_PREPARED_PEERS) {
      peers.push(run);
    } else {
      peers[this.nextReplaced] = run;
      this.nextReplaced = (this.nextReplaced + 1) % MAX_PREPARED_PEERS;
    }
    this.lastPeer = run;
    return run.bytes;
  }

  /**
   * The encoded `tags` entries of a frozen tags object — instrumentation shares one per endpoint and
   * status — remembered by identity (frozen, so the bytes cannot go stale; weakly, so they go with
   * it). Undefined when it must be written directly: invalid, or too big for the scratch buffer.
   */
  tagsRun(tags: Readonly<Record<string, string>>): Uint8Array | undefined {
    if (tags === this.lastTags) return this.lastTagsRun;
    let run = this.tagRuns.get(tags);
    if (run === undefined) {
      const end = writeTags(this.scratch, 0, this.scratch.length, tags);
      if (end < 0) return undefined;
      run = Uint8Array.prototype.slice.call(this.scratch, 0, end);
      this.tagRuns.set(tags, run);
    }
    this.lastTags = tags;
    this.lastTagsRun = run;
    return run;
  }

  /** The run for fields 10..11 of `e`, or undefined when one of them is invalid. */
  hostRun(e: TraceEvent): Uint8Array | undefined {
    const host = this.host;
    if (host !== undefined && host.hostname === e.hostname && host.zone === e.zone) return host.bytes;
    const buf = this.scratch;
    const at = writeHostFields(buf, 0, buf.length, e.hostname, e.zone);
    if (at < 0) return undefined;
    // One entry: a tracer stamps its own host and zone on every event.
    this.host = { hostname: e.hostname, zone: e.zone, bytes: Uint8Array.prototype.slice.call(buf, 0, at) };
    return this.host.bytes;
  }
}
