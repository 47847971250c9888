import { type AppendStatus, type DatagramWriter, type EventTemplate, writeHopBody } from '@phosphor/wire';

/**
 * Bytes of one hop's frame body held here (`writeHopBody`): ids of up to 64 bytes together (a W3C
 * trace id with a span and a parent span id is 32 + 16 + 16), their tags and lengths, the timestamp
 * and the duration. Hops with longer ids wait in the ring instead. A multiple of 8, so every body
 * starts aligned and is copied four bytes at a time.
 */
export const WHOLE_HOP_BODY_BYTES = 88;

/**
 * Hops that ended while their start still waited in the ring, each held as its pair template and
 * the wire bytes of what differs per hop (`writeHopBody`: ids, end time, duration), until the
 * background flush copies them into a datagram as one frame. The hop object itself is let go when it
 * ends. A hop held in the ring until the flush survives the garbage collector's young-generation
 * collections that happen meanwhile — about a thousand hops at a time under load, which made V8 grow
 * a traced server's young generation to four times an untraced one's (docs/benchmarks.md). Held
 * here, nothing of a finished hop is left on the JavaScript heap but its template, which lives as
 * long as the tracer.
 */
export class WholeHops {
  readonly capacity: number;
  private readonly templates: (EventTemplate | undefined)[];
  private readonly bodyLength: Uint8Array;
  /** Per hop, {@link WHOLE_HOP_BODY_BYTES} bytes (and 4 more at the end, read by the last copy). */
  private readonly bodies: Buffer;
  private readonly view: DataView;
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.templates = new Array<EventTemplate | undefined>(capacity).fill(undefined);
    this.bodyLength = new Uint8Array(capacity);
    this.bodies = Buffer.alloc(capacity * WHOLE_HOP_BODY_BYTES + 4);
    this.view = new DataView(this.bodies.buffer, this.bodies.byteOffset, this.bodies.byteLength);
  }

  /** Hops held. */
  get size(): number {
    return this.count;
  }

  /**
   * Holds a hop: `template` is its pair template, the ids are strings known to be ASCII (`spanText`
   * undefined: the span id is the words). False, and nothing held, when the store is full or the hop's
   * body does not fit {@link WHOLE_HOP_BODY_BYTES} or is invalid — the hop then goes through the ring.
   */
  add(
    template: EventTemplate,
    traceId: string,
    spanText: string | undefined,
    spanHigh: number,
    spanLow: number,
    parentSpanId: string | undefined,
    startMicros: number,
    endMicros: number,
  ): boolean {
    if (this.count === this.capacity) return false;
    let at = this.head + this.count;
    if (at >= this.capacity) at -= this.capacity;
    const base = at * WHOLE_HOP_BODY_BYTES;
    const end = writeHopBody(
      this.bodies,
      this.view,
      base,
      base + WHOLE_HOP_BODY_BYTES,
      traceId,
      spanText,
      spanHigh,
      spanLow,
      parentSpanId,
      endMicros,
      Math.max(0, endMicros - startMicros),
    );
    if (end < 0) return false;
    this.templates[at] = template;
    this.bodyLength[at] = end - base;
    this.count++;
    return true;
  }

  /** Appends the oldest hop held to `writer` as one frame (the caller checked there is one). */
  appendOldestTo(writer: DatagramWriter): AppendStatus {
    const at = this.head;
    return writer.appendHopBody(
      this.templates[at] as EventTemplate,
      this.view,
      at * WHOLE_HOP_BODY_BYTES,
      this.bodyLength[at] as number,
    );
  }

  /** The oldest hop's trace id, for a message about it (the body starts with it: tag, length, bytes). */
  oldestTraceId(): string {
    const base = this.head * WHOLE_HOP_BODY_BYTES;
    return this.bodies.toString('latin1', base + 2, base + 2 + (this.bodies[base + 1] as number));
  }

  /** Lets the oldest hop go (appended or rejected). */
  drop(): void {
    if (this.count === 0) return;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.count--;
  }
}
