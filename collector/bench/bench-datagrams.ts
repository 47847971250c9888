/**
 * The benchmarks' traffic, shared by the ingest and shard benchmarks and the profiling loops: one
 * "round" of batched datagrams written by the tracer's own DatagramWriter, every hop's REQ/REP in a
 * client datagram and IN/OUT in a server datagram, with a round number patched into every trace,
 * span and parent span id so each replayed round is new traffic to the collector (unique ids, as
 * real tracers send). Two shapes of it, as the tracer sends them by default:
 * - {@link NETWORK_TRAFFIC}: to a collector on another host — 1400-byte datagrams;
 * - {@link LOOPBACK_TRAFFIC}: to a collector on its own host — 16 KiB datagrams, each endpoint's
 *   repeating fields once per datagram (templates), a fast hop's two events of a side as one frame.
 * Each bench picks its default; BENCH_DATAGRAM_BYTES, BENCH_TEMPLATES, BENCH_HOP_FRAMES and
 * BENCH_HOPS_PER_TRACE override it.
 */

import { DEFAULT_LOOPBACK_DATAGRAM_BYTES, MIN_DATAGRAM_BYTES } from '@phosphor/tracer';
import {
  AppendStatus,
  DatagramWriter,
  DEFAULT_MAX_DATAGRAM_BYTES,
  EventFlags,
  EventTemplate,
  MAX_UDP_PAYLOAD_BYTES,
  type TraceEvent,
} from '@phosphor/wire';

/** What the round's datagrams look like. */
export interface Traffic {
  /** Datagram budget, header included (BENCH_DATAGRAM_BYTES). */
  maxDatagramBytes: number;
  /**
   * BENCH_TEMPLATES=1/0: events written as the tracer writes an instrumented hop's — from a template
   * of the fields that repeat per endpoint (`appendFromTemplate`), so a datagram carries each
   * endpoint's fields once as a shared entry from its second event on (docs/wire-format.md, "Shared
   * fields"); an event with an error stays inline, as in the tracer. Off: every field inline (`append`).
   */
  templates: boolean;
  /**
   * BENCH_HOP_FRAMES=pairs: each side of a hop as the one frame a tracer sends when it holds both of
   * the side's events as it encodes them (wire flags bit 2, "carries start"; a hop with an error
   * still as two frames). `events`: every event its own frame, as a tracer sends a hop whose end
   * comes after its start was encoded (a slow call).
   */
  hopFrames: 'events' | 'pairs';
  /**
   * BENCH_HOPS_PER_TRACE: hops per trace, each the child of the one before (1: every hop a trace of
   * its own, the collector's worst case for its per-trace work — skew offsets and the store's
   * trace slots are made and forgotten once per span).
   */
  hopsPerTrace: number;
}

/**
 * The tracer's datagram size for a collector on another host (MTU-safe), every event inline in its
 * own frame: bench:collector's default, on which its bare-socket comparison was defined. It is what
 * the tracer writes for events outside an instrumented hop and for hops with an error; an
 * instrumented hop's events it writes from templates, a fast hop's side as one frame — about three
 * times the events per datagram (BENCH_TEMPLATES=1 BENCH_HOP_FRAMES=pairs), so a bare socket's
 * per-datagram cost is spread over three times the events and the ratio reads lower on that shape.
 */
export const NETWORK_TRAFFIC: Traffic = {
  maxDatagramBytes: DEFAULT_MAX_DATAGRAM_BYTES,
  templates: false,
  hopFrames: 'events',
  hopsPerTrace: 1,
};

/** What the tracer sends by default to a collector on its own host (tracer-lib/src/options.ts). */
export const LOOPBACK_TRAFFIC: Traffic = {
  maxDatagramBytes: DEFAULT_LOOPBACK_DATAGRAM_BYTES,
  templates: true,
  hopFrames: 'pairs',
  hopsPerTrace: 1,
};

/** `defaults` with the BENCH_* overrides applied; throws on a malformed one. */
export function trafficFromEnv(defaults: Traffic, env: NodeJS.ProcessEnv = process.env): Traffic {
  const bytes = env.BENCH_DATAGRAM_BYTES === undefined ? defaults.maxDatagramBytes : Number(env.BENCH_DATAGRAM_BYTES);
  if (!Number.isInteger(bytes) || bytes < MIN_DATAGRAM_BYTES || bytes > MAX_UDP_PAYLOAD_BYTES) {
    throw new Error(
      `BENCH_DATAGRAM_BYTES: an integer from ${MIN_DATAGRAM_BYTES} to ${MAX_UDP_PAYLOAD_BYTES}, got ${env.BENCH_DATAGRAM_BYTES}`,
    );
  }
  const templates = env.BENCH_TEMPLATES ?? (defaults.templates ? '1' : '0');
  if (templates !== '0' && templates !== '1') throw new Error(`BENCH_TEMPLATES: 0 or 1, got ${templates}`);
  const hopFrames = env.BENCH_HOP_FRAMES ?? defaults.hopFrames;
  if (hopFrames !== 'events' && hopFrames !== 'pairs')
    throw new Error(`BENCH_HOP_FRAMES: events or pairs, got ${hopFrames}`);
  const hopsPerTrace =
    env.BENCH_HOPS_PER_TRACE === undefined ? defaults.hopsPerTrace : Number(env.BENCH_HOPS_PER_TRACE);
  if (!Number.isInteger(hopsPerTrace) || hopsPerTrace < 1 || hopsPerTrace > HOPS_PER_ROUND) {
    throw new Error(`BENCH_HOPS_PER_TRACE: an integer from 1 to ${HOPS_PER_ROUND}, got ${env.BENCH_HOPS_PER_TRACE}`);
  }
  return { maxDatagramBytes: bytes, templates: templates === '1', hopFrames, hopsPerTrace };
}

/** One line saying what `traffic` is, for a bench's header. */
export function describeTraffic(traffic: Traffic): string {
  return `${traffic.maxDatagramBytes}-byte datagrams, ${traffic.templates ? 'shared endpoint fields' : 'every field inline'}, ${traffic.hopFrames === 'pairs' ? "a fast hop side's two events as one frame" : 'one frame per event'}, ${traffic.hopsPerTrace === 1 ? 'every hop its own trace' : `${traffic.hopsPerTrace} hops per trace`}`;
}

/** Hops per round: 4,000 events, far more datagrams than the sender keeps in flight. */
export const HOPS_PER_ROUND = 1000;
/** Digits of the round number patched into every trace id (10^7 rounds before ids repeat). */
export const ROUND_DIGITS = 7;
/** Round-number slots: one letter then ROUND_DIGITS zeros, in trace, span and parent span ids. */
const PLACEHOLDERS = ['R', 'S', 'P'].map((letter) => `${letter}${'0'.repeat(ROUND_DIGITS)}`);
const T0 = 1_700_000_000_000_000;

/** One round of datagrams and where to patch the round number into each. */
export interface Round {
  datagrams: Buffer[];
  /** Per datagram, the offsets of the round-number digits. */
  patchOffsets: number[][];
  /** Events in the whole round. */
  events: number;
  /** Event frames in the whole round: `events`, or fewer with paired frames (a paired frame is two events). */
  frames: number;
}

function hopEvents(h: number, traffic: Traffic): { client: TraceEvent[]; server: TraceEvent[] } {
  // 20-char decimal-looking trace ids and 16-char span ids, as the tracer makes them.
  const perTrace = traffic.hopsPerTrace;
  const traceId = `${PLACEHOLDERS[0]}${String(Math.floor(h / perTrace)).padStart(12, '0')}`;
  const spanId = `${PLACEHOLDERS[1]}${h.toString(16).padStart(8, '0')}`;
  // A trace's first hop has a parent outside the traffic; each later hop is the child of the one before.
  const parentSpanId =
    h % perTrace === 0
      ? `${PLACEHOLDERS[2]}${h.toString(16).padStart(8, '0')}`
      : `${PLACEHOLDERS[1]}${(h - 1).toString(16).padStart(8, '0')}`;
  const base = {
    traceId,
    spanId,
    parentSpanId,
    from: 'frontend',
    fromEndpoint: 'GET /api/ids',
    to: 'id-generator',
    toEndpoint: 'NextID',
  };
  const start = T0 + h * 1000;
  const latency = 200 + (h % 97) * 13;
  if (traffic.hopFrames === 'pairs' && h % 50 !== 0) {
    const flags = EventFlags.sampled | EventFlags.carriesStart;
    return {
      client: [
        {
          ...base,
          type: 'REP',
          timestampMicros: start + latency + 80,
          hostname: 'web-1',
          durationMicros: latency + 80,
          flags,
        },
      ],
      server: [
        {
          ...base,
          type: 'OUT',
          timestampMicros: start + 40 + latency,
          hostname: 'ids-1',
          durationMicros: latency,
          flags,
        },
      ],
    };
  }
  return {
    client: [
      { ...base, type: 'REQ', timestampMicros: start, hostname: 'web-1' },
      { ...base, type: 'REP', timestampMicros: start + latency + 80, hostname: 'web-1', durationMicros: latency + 80 },
    ],
    server: [
      { ...base, type: 'IN', timestampMicros: start + 40, hostname: 'ids-1' },
      {
        ...base,
        type: 'OUT',
        timestampMicros: start + 40 + latency,
        hostname: 'ids-1',
        durationMicros: latency,
        ...(h % 50 === 0 ? { errorCode: 'UNAVAILABLE' } : {}),
      },
    ],
  };
}

function pack(events: TraceEvent[], service: string, host: string, traffic: Traffic): Buffer[] {
  const out: Buffer[] = [];
  const writer = new DatagramWriter({
    maxDatagramBytes: traffic.maxDatagramBytes,
    tracerId: `${service}-1`,
    service,
    hostname: host,
  });
  const drops = { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 };
  const templates = new Map<string, EventTemplate>();
  const write = (event: TraceEvent): AppendStatus => {
    if (!traffic.templates || event.errorCode !== undefined) return writer.append(event);
    const key = `${event.type}|${event.hostname}|${event.flags ?? 1}`;
    let template = templates.get(key);
    if (template === undefined) {
      template = EventTemplate.encode(event) as EventTemplate;
      templates.set(key, template);
    }
    const { traceId, spanId, parentSpanId, timestampMicros, durationMicros } = event;
    return writer.appendFromTemplate(template, traceId, spanId, parentSpanId, timestampMicros, durationMicros);
  };
  for (const event of events) {
    let status = write(event);
    if (status === AppendStatus.full) {
      out.push(writer.finish(out.length, drops, T0));
      status = write(event);
    }
    if (status !== AppendStatus.appended) throw new Error(`bench event not appended (status ${status})`);
  }
  if (writer.eventCount > 0) out.push(writer.finish(out.length, drops, T0));
  return out;
}

/** Builds one round: client and server datagrams interleaved, as two tracers would send them. */
export function buildRound(traffic: Traffic = trafficFromEnv(NETWORK_TRAFFIC)): Round {
  const client: TraceEvent[] = [];
  const server: TraceEvent[] = [];
  for (let h = 0; h < HOPS_PER_ROUND; h++) {
    const hop = hopEvents(h, traffic);
    client.push(...hop.client);
    server.push(...hop.server);
  }
  const c = pack(client, 'frontend', 'web-1', traffic);
  const s = pack(server, 'id-generator', 'ids-1', traffic);
  const datagrams: Buffer[] = [];
  for (let i = 0; i < Math.max(c.length, s.length); i++) {
    if (s[i]) datagrams.push(s[i] as Buffer);
    if (c[i]) datagrams.push(c[i] as Buffer);
  }
  const needles = PLACEHOLDERS.map((p) => Buffer.from(p, 'latin1'));
  const patchOffsets = datagrams.map((d) => {
    const offsets: number[] = [];
    for (const needle of needles) {
      for (let at = d.indexOf(needle); at >= 0; at = d.indexOf(needle, at + 1)) offsets.push(at + 1);
    }
    return offsets;
  });
  return { datagrams, patchOffsets, events: HOPS_PER_ROUND * 4, frames: client.length + server.length };
}
