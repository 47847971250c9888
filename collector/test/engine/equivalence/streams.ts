/**
 * Event streams for the equivalence test: deterministic (seeded), so the golden outputs made by
 * the old core once stay comparable. A stream is a list of steps: a datagram to ingest, time
 * passing (then a timeout sweep), or a trace-by-id read of the pending spans (which feeds the
 * emission-time skew bookkeeping, so it is part of the behaviour).
 */
import { AppendStatus, DatagramWriter, EventFlags, type TraceEvent } from '@phosphor/wire';
import { encodeBatch } from '../../../../wire/test/support/reference-encoder.js';
import { prng, shuffle } from '../../support/hops.js';

export type Step =
  | { kind: 'datagram'; bytes: Buffer }
  | { kind: 'advance'; millis: number }
  | { kind: 'pending'; traceId: string };

const T0 = 1_700_000_000_000_000;
const HOSTS = ['web-1', 'web-2', 'api-1', 'api-2', 'ids-1', 'db-proxy-1'];
const SERVICES: [string, string[]][] = [
  ['gateway', ['GET /', 'GET /quote/:sku', 'POST /order']],
  ['quote', ['/quote.Quote/Get', '/quote.Quote/List']],
  ['id-generator', ['NextID', 'NextValidID']],
  ['inventory', ['GET /stock/:sku']],
  ['legacy-db', ['query']],
];

/** Generated traffic: trees of hops across hosts with clock skew, errors, tags, uninstrumented callees. */
function generateTraces(seed: number, traces: number): TraceEvent[][] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  const skew = new Map(HOSTS.map((h, i) => [h, i === 0 ? 0 : Math.round((random() - 0.5) * 100_000)]));
  const out: TraceEvent[][] = [];
  for (let t = 0; t < traces; t++) {
    const traceId = String(397_237_206_544_449_536n + BigInt(t * 7919 + seed));
    const events: TraceEvent[] = [];
    let spanCounter = 0;
    const newSpanId = () => (t * 1000 + spanCounter++).toString(16).padStart(16, '0');
    const start = T0 + t * 50_000;
    const hop = (
      parent: string | undefined,
      caller: [string, string, string] | undefined,
      depth: number,
      at: number,
      budget: number,
    ) => {
      const [service, endpoints] = depth === 0 ? (SERVICES[0] as [string, string[]]) : pick(SERVICES.slice(1));
      const endpoint = pick(endpoints);
      const serverHost = pick(HOSTS);
      const spanId = newSpanId();
      const instrumented = service !== 'legacy-db';
      const net = 50 + Math.floor(random() * 200);
      const inAt = at + net;
      const outAt = inAt + Math.max(10, budget - 2 * net);
      const error = random() < 0.08 ? pick(['UNAVAILABLE', 'NOT_FOUND', 'HTTP_503']) : undefined;
      const tags =
        random() < 0.2 ? { correlation_id: traceId, ...(random() < 0.3 ? { user: String(t % 17) } : {}) } : undefined;
      const flags = EventFlags.sampled | (random() < 0.05 ? EventFlags.persistent : 0);
      const base = {
        traceId,
        spanId,
        ...(parent ? { parentSpanId: parent } : {}),
        from: caller?.[0] ?? '',
        fromEndpoint: caller?.[1] ?? '',
        to: service,
        toEndpoint: endpoint,
        flags,
      };
      if (caller) {
        const clientSkew = skew.get(caller[2]) ?? 0;
        events.push({ ...base, type: 'REQ', timestampMicros: at + clientSkew, hostname: caller[2], zone: 'eu-1' });
        const rep: TraceEvent = {
          ...base,
          type: 'REP',
          timestampMicros: outAt + net + clientSkew,
          hostname: caller[2],
          durationMicros: outAt + net - at,
        };
        if (error && !instrumented) rep.errorCode = error;
        if (tags) rep.tags = tags;
        events.push(rep);
      }
      if (instrumented) {
        const serverSkew = skew.get(serverHost) ?? 0;
        events.push({ ...base, type: 'IN', timestampMicros: inAt + serverSkew, hostname: serverHost });
        const out: TraceEvent = {
          ...base,
          type: 'OUT',
          timestampMicros: outAt + serverSkew,
          hostname: serverHost,
          zone: random() < 0.5 ? 'eu-2' : '',
          durationMicros: outAt - inAt,
        };
        if (error) {
          out.errorCode = error;
          out.errorDescription = `${error} while serving ${endpoint}`;
        }
        if (tags && random() < 0.5) out.tags = { server: serverHost };
        events.push(out);
        if (depth < 3) {
          const children = Math.floor(random() * (depth === 0 ? 4 : 2.5));
          let childAt = inAt + 5;
          for (let c = 0; c < children; c++) {
            const childBudget = Math.max(30, Math.floor((outAt - childAt) / (children - c + 1)));
            hop(spanId, [service, endpoint, serverHost], depth + 1, childAt, childBudget);
            childAt += childBudget + 3;
          }
        }
      }
    };
    hop(undefined, undefined, 0, start, 2000 + Math.floor(random() * 8000));
    if (events.some((e) => e.hostname === '')) throw new Error('bad generator');
    out.push(events.filter((e) => e.type !== undefined));
  }
  return out;
}

/** Packs events into datagrams of up to `perDatagram` events for a few tracers, sequence numbers per tracer. */
function pack(events: TraceEvent[], random: () => number, perDatagram: number, loseSequence = 0): Buffer[] {
  const tracers = ['a1b2c3d4e5f60718', '0f0e0d0c0b0a0908', 'ffeeddccbbaa9988'];
  const sequences = [0, 0, 0];
  const out: Buffer[] = [];
  for (let i = 0; i < events.length; ) {
    const n = 1 + Math.floor(random() * perDatagram);
    const chunk = events.slice(i, i + n);
    i += n;
    const which = Math.floor(random() * tracers.length);
    // Skipped sequence numbers: datagrams "lost in the network", for per-client loss.
    if (random() < loseSequence) sequences[which] = (sequences[which] as number) + 1 + Math.floor(random() * 3);
    const sequence = sequences[which] as number;
    sequences[which] = sequence + 1;
    out.push(
      encodeBatch({
        tracerId: tracers[which] as string,
        sequence,
        service: `svc-${which}`,
        hostname: HOSTS[which] as string,
        sentAtMicros: T0,
        drops: { bufferFull: which, tooLarge: 0, sendError: sequence % 3, sampledOut: 0 },
        events: chunk,
      }),
    );
  }
  return out;
}

/** Clean traffic in arrival order: every hop's events in, datagrams in order, time passing. */
export function cleanStream(): Step[] {
  const random = prng(101);
  const steps: Step[] = [];
  for (const events of generateTraces(11, 60)) {
    for (const bytes of pack(events, random, 6)) steps.push({ kind: 'datagram', bytes });
    steps.push({ kind: 'advance', millis: 200 });
  }
  steps.push({ kind: 'advance', millis: 6000 });
  return steps;
}

/**
 * Chaos: events shuffled across traces, 6 % duplicated, 5 % missing, 4 % late (after a timeout
 * sweep, within the late window), 1 % very late (past the late window: a new partial span),
 * lost sequence numbers, pending reads in between.
 */
export function chaosStream(seed: number): Step[] {
  const random = prng(seed);
  const all = generateTraces(seed, 90).flat();
  const kept: TraceEvent[] = [];
  const late: TraceEvent[] = [];
  const veryLate: TraceEvent[] = [];
  for (const event of all) {
    const r = random();
    if (r < 0.05) continue;
    if (r < 0.09) late.push(event);
    else if (r < 0.1) veryLate.push(event);
    else kept.push(event);
    if (random() < 0.06) kept.push(event);
  }
  const steps: Step[] = [];
  const shuffled = shuffle(kept, random);
  const datagrams = pack(shuffled, random, 12, 0.05);
  datagrams.forEach((bytes, i) => {
    steps.push({ kind: 'datagram', bytes });
    if (i % 7 === 0) steps.push({ kind: 'advance', millis: 400 });
    if (i % 11 === 0) {
      const e = shuffled[Math.floor(random() * shuffled.length)] as TraceEvent;
      steps.push({ kind: 'pending', traceId: e.traceId });
    }
  });
  steps.push({ kind: 'advance', millis: 6000 });
  for (const bytes of pack(shuffle(late, random), random, 8)) steps.push({ kind: 'datagram', bytes });
  steps.push({ kind: 'advance', millis: 70_000 });
  steps.push({ kind: 'advance', millis: 1000 });
  for (const bytes of pack(veryLate, random, 8)) steps.push({ kind: 'datagram', bytes });
  steps.push({ kind: 'advance', millis: 6000 });
  return steps;
}

/** Tracer-made datagrams (the tracer's own DatagramWriter, 1,400-byte budget), client and server interleaved. */
export function tracerStream(): Step[] {
  const events = generateTraces(23, 80).flat();
  const client = events.filter((e) => e.type === 'REQ' || e.type === 'REP');
  const server = events.filter((e) => e.type === 'IN' || e.type === 'OUT');
  const write = (list: TraceEvent[], service: string) => {
    const writer = new DatagramWriter({
      maxDatagramBytes: 1400,
      tracerId: `${service}-tracer`,
      service,
      hostname: 'h',
    });
    const drops = { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 };
    const out: Buffer[] = [];
    for (const event of list) {
      let status = writer.append(event);
      if (status === AppendStatus.full) {
        out.push(writer.finish(out.length, drops, T0));
        status = writer.append(event);
      }
      if (status !== AppendStatus.appended) throw new Error(`event not appended (${status})`);
    }
    if (writer.eventCount > 0) out.push(writer.finish(out.length, drops, T0));
    return out;
  };
  const c = write(client, 'frontend');
  const s = write(server, 'backend');
  const steps: Step[] = [];
  for (let i = 0; i < Math.max(c.length, s.length); i++) {
    if (c[i]) steps.push({ kind: 'datagram', bytes: c[i] as Buffer });
    if (s[i]) steps.push({ kind: 'datagram', bytes: s[i] as Buffer });
    if (i % 3 === 0) steps.push({ kind: 'advance', millis: 1000 });
  }
  steps.push({ kind: 'advance', millis: 6000 });
  return steps;
}

/**
 * Mutated bytes: valid datagrams with bit flips, truncations, spliced garbage, wrong headers,
 * invalid events (bad type, missing ids, over-long names, non-ASCII ids, negative durations).
 */
export function mutatedStream(seed: number): Step[] {
  const random = prng(seed);
  const datagrams = pack(generateTraces(seed, 40).flat(), random, 10);
  const steps: Step[] = [];
  for (const original of datagrams) {
    const bytes = Buffer.from(original);
    const r = random();
    if (r < 0.15) {
      for (let f = 0; f < 1 + Math.floor(random() * 3); f++) {
        const at = 4 + Math.floor(random() * (bytes.length - 4));
        bytes[at] = (bytes[at] as number) ^ (1 << Math.floor(random() * 8));
      }
      steps.push({ kind: 'datagram', bytes });
    } else if (r < 0.22) {
      steps.push({ kind: 'datagram', bytes: bytes.subarray(0, Math.floor(random() * bytes.length)) });
    } else if (r < 0.25) {
      const copy = Buffer.from(bytes);
      copy[Math.floor(random() * 4)] = 0x7a;
      steps.push({ kind: 'datagram', bytes: copy });
    } else {
      steps.push({ kind: 'datagram', bytes });
    }
    if (random() < 0.1) steps.push({ kind: 'advance', millis: 2000 });
  }
  const bad: TraceEvent[] = [
    {
      type: 'REQ',
      traceId: '',
      spanId: 's1',
      from: 'a',
      fromEndpoint: 'e',
      to: 'b',
      toEndpoint: 'x',
      timestampMicros: T0,
      hostname: 'h',
    },
    {
      type: 'IN',
      traceId: 't-bad',
      spanId: 's2',
      from: 'a',
      fromEndpoint: 'e',
      to: 'b'.repeat(300),
      toEndpoint: 'x',
      timestampMicros: T0,
      hostname: 'h',
    },
    {
      type: 'OUT',
      traceId: 't-bad',
      spanId: 's3',
      from: 'a',
      fromEndpoint: 'e',
      to: 'b',
      toEndpoint: 'x',
      timestampMicros: T0,
      hostname: 'h',
      durationMicros: -5,
    },
    {
      type: 'REP',
      traceId: 't-bad',
      spanId: 's4',
      from: 'a',
      fromEndpoint: 'e',
      to: 'b',
      toEndpoint: 'x',
      timestampMicros: -1,
      hostname: 'h',
    },
    {
      type: 'IN',
      traceId: 'tr\u00e4ce-\u00fc',
      spanId: 'sp\u00e4n',
      from: 'a',
      fromEndpoint: 'e',
      to: 'b',
      toEndpoint: 'x',
      timestampMicros: T0,
      hostname: 'h\u00f6st',
    },
    {
      type: 'OUT',
      traceId: 'tr\u00e4ce-\u00fc',
      spanId: 'sp\u00e4n',
      from: 'a',
      fromEndpoint: 'e',
      to: 'b',
      toEndpoint: 'x',
      timestampMicros: T0 + 9,
      hostname: 'h\u00f6st',
      tags: { ['k'.repeat(10)]: 'v', __proto__x: 'y' },
    },
    {
      type: 'REQ',
      traceId: 't-ok',
      spanId: 's5',
      from: 'a',
      fromEndpoint: 'e',
      to: 'b',
      toEndpoint: 'x',
      timestampMicros: T0,
      hostname: 'h',
      tags: { e: '' },
    },
  ];
  for (const event of bad) {
    steps.push({
      kind: 'datagram',
      bytes: encodeBatch({
        tracerId: 'bad-tracer',
        sequence: 0,
        service: 's',
        hostname: 'h',
        sentAtMicros: T0,
        drops: { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 },
        events: [event, { ...event, type: event.type === 'REQ' ? 'REP' : 'REQ', traceId: 't-good', spanId: 'g' }],
      }),
    });
  }
  steps.push({ kind: 'advance', millis: 6000 });
  return steps;
}

/** Every stream by name (the golden file names). */
export const STREAMS: Record<string, () => Step[]> = {
  clean: cleanStream,
  'chaos-1': () => chaosStream(1),
  'chaos-2': () => chaosStream(2),
  tracer: tracerStream,
  mutated: () => mutatedStream(7),
};
