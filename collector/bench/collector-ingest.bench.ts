/**
 * Collector ingest benchmark: `npm run bench:collector`. Prints the four targets with their figures.
 *
 * In one run, with the same datagrams (made by the tracer's DatagramWriter, ≤ 1400 bytes, every
 * hop's four events split over a client and a server datagram, fresh ids every round) sent over
 * loopback by a sender in a process of its own (the RSS phase's by a worker thread):
 *   1. raw ceiling — a bare dgram socket counting blasted datagrams (context), in a process of its
 *      own, as every bare socket here (udp-blast.ts `rawCeiling`);
 *   2. RSS of the built daemon in its own process (default config and caps, one shard) while it
 *      sustains 100k events/s, sampled every second (BENCH_RSS_MILLIS, 30 s by default;
 *      `bench:collector-rss` with 600000 for the 10-minute flatness run): this process holds the
 *      sender, the datagram rounds and the TypeScript loader, so its own RSS says nothing of the
 *      collector's;
 *   3. collector max — the full collector (engine + aggregates + memory store + tail), blasted and
 *      in a paced ramp, in steady state (store already full); then the highest rate it *sustains*
 *      for 10 s (stepping down from the ramp's best until a 10 s run loses ≤ 1 %);
 *   4. loss at 80 % of that sustained rate (10 s), and a bare socket paced at the same offered
 *      load: events per receiver CPU-second of each; then more pairs of the two at that load,
 *      alternating which goes first, whose median ratio the ≥ 50 % target is judged by;
 *   5. trace-by-id and search latency through the HTTP API with the memory store full.
 * Events/s are on one core: the receiving side is the main thread.
 */
// First: this process re-executes itself under the daemon's memory caps (its young generation and
// malloc arenas), so the collectors measured here run as `phosphor-collector` runs them. Without it
// a collector on this main thread got V8's default 128 MB young generation, where the daemon's main
// thread and every shard worker get 32 MB.
import '../src/cli/relaunch-with-memory-caps.js';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildCollector, type Collector } from '../src/app.js';
import {
  DEFAULT_MAX_AGGREGATE_KEYS,
  DEFAULT_MAX_PENDING_SPANS,
  DEFAULT_MAX_REMEMBERED_SPANS,
  DEFAULT_MEMORY_MAX_SPANS,
} from '../src/config/defaults.js';
import { loadConfig } from '../src/config/load-config.js';
import { readReceiveBufferCap } from '../src/receivers/udp/kernel-buffer-cap.js';
import {
  buildRound,
  describeTraffic,
  NETWORK_TRAFFIC,
  ROUND_DIGITS,
  type Round,
  trafficFromEnv,
} from './bench-datagrams.js';
import { DAEMON_MAIN, mb, measureDaemonRss, RSS_TARGET_MB } from './daemon-rss.js';
import {
  BLAST_MILLIS,
  drain,
  RECEIVE_BUFFER_BYTES,
  rawCeiling,
  receiverThreadNanos,
  send,
  withReceiverCpu,
} from './udp-blast.js';

const LOSS_MILLIS = Number(process.env.BENCH_LOSS_MILLIS ?? 10_000);
/**
 * The CPU ratio is read from several pairs (BENCH_RATIO_PAIRS, BENCH_RATIO_PAIR_MILLIS): the collector
 * and then a bare socket (or the other way round, alternating) paced at the same load, one ratio
 * per pair, the verdict on their median. Why not the one pair of the loss run alone: the machine's
 * speed moves by tens of per cent between minutes (the collector in process read 972–1,694 ns per
 * event within a quarter of an hour), and that single pair read 39.6–52.9 % in five runs of one
 * engine that quarter; the median of several pairs discards the pairs another process disturbed,
 * as `bench:ids` does. Each pair's runs are as long as the loss run: in 3-s pairs the collector
 * comes back to its tables from idle every few seconds (a bare socket has none to come back to),
 * which could only read against it. The loss run's pair is still printed beside the median.
 */
const RATIO_PAIRS = Number(process.env.BENCH_RATIO_PAIRS ?? 5);
const RATIO_PAIR_MILLIS = Number(process.env.BENCH_RATIO_PAIR_MILLIS ?? LOSS_MILLIS);
/**
 * More offered loads to read the ratio at, the same way (BENCH_RATIO_LOADS, events/s, comma-separated;
 * none by default). The ratio depends on the load: both receivers spend more per event at lower loads
 * (each wake-up finds fewer datagrams queued), the collector more so, coming back to its tables after
 * each sleep; the target is read at 80 % of the sustained maximum.
 */
const RATIO_LOADS = parseLoads(process.env.BENCH_RATIO_LOADS ?? '');
const RSS_MILLIS = Number(process.env.BENCH_RSS_MILLIS ?? 30_000);
/** "Max rate" is what the collector sustains this long, not a burst into the kernel buffer. */
const SUSTAIN_MILLIS = Number(process.env.BENCH_SUSTAIN_MILLIS ?? 10_000);
const SUSTAIN_MAX_LOSS = 0.01;
const SUSTAIN_STEP_DOWN = 0.85;
const SUSTAIN_TRIES = 4;
const QUERY_TRACE_BY_ID = 500;
const QUERY_SEARCHES = 200;
const RSS_EVENTS_PER_SECOND = 100_000;
/** Paced ramp to find the highest rate received with ≤ RAMP_MAX_LOSS: blasting overloads the
 * kernel and the sender competes for the same two cores, which understates the collector. */
const RAMP_STEP_MILLIS = 1500;
const RAMP_START_EVENTS_PER_SECOND = 20_000;
const RAMP_FACTOR = 1.25;
/**
 * The ramp stops at the first step losing more than RAMP_MAX_LOSS, or one the sender could not
 * offer (less than RAMP_SENDER_SHORT of the step's rate received though little of what was sent
 * was lost: a faster step would measure the sender). The step count (up to ≈ 3.4M events/s) is
 * only a guard: a ramp that ended by it would report its last step, not the collector's highest rate.
 */
const RAMP_MAX_STEPS = 24;
const RAMP_MAX_LOSS = 0.01;
const RAMP_SENDER_SHORT = 0.9;

const DEFAULTS = {
  maxPendingSpans: DEFAULT_MAX_PENDING_SPANS,
  maxRememberedSpans: DEFAULT_MAX_REMEMBERED_SPANS,
  memoryMaxSpans: DEFAULT_MEMORY_MAX_SPANS,
  aggregateKeys: DEFAULT_MAX_AGGREGATE_KEYS,
};

/**
 * Datagrams the kernel dropped because a socket's receive buffer was full (Udp RcvbufErrors in
 * /proc/net/snmp, all sockets of the host), so loss can be attributed; NaN off Linux.
 */
function receiveBufferOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp: '));
    const names = (lines[0] ?? '').split(' ');
    const values = (lines[1] ?? '').split(' ');
    return Number(values[names.indexOf('RcvbufErrors')]);
  } catch {
    return Number.NaN;
  }
}

async function newCollector(): Promise<Collector> {
  const config = loadConfig({
    values: {
      udp: { port: 0, receiveBufferBytes: RECEIVE_BUFFER_BYTES },
      http: { port: 0 },
      otlp: { http: { port: 0 }, grpc: { port: 0 } },
      logging: { level: 'silent' },
    },
  });
  const collector = await buildCollector(config);
  await collector.start();
  return collector;
}

async function collectorRun(collector: Collector, round: Round, mode: 'blast' | 'rate', millis: number, dps = 0) {
  const before = collector.receiver.stats();
  const run = await withReceiverCpu(async () => {
    const sender = await send(round, collector.addresses!.udpPort, mode, millis, dps, 'process');
    const backlogMillis = await drain(() => collector.receiver.stats().receivedDatagrams);
    return { sender, backlogMillis };
  });
  const seconds = (run.sender.elapsedMillis + run.backlogMillis) / 1000;
  const after = collector.receiver.stats();
  const received = after.receivedDatagrams - before.receivedDatagrams;
  const events = after.acceptedEvents - before.acceptedEvents;
  return {
    sent: run.sender.sent,
    received,
    events,
    eventsPerSecond: events / seconds,
    eventsPerCpuSecond: events / (run.receiverCpuMicros / 1e6),
    ...receiverThreadNanos(run, events),
    seconds,
    loss: 1 - received / run.sender.sent,
  };
}

async function main() {
  const traffic = trafficFromEnv(NETWORK_TRAFFIC);
  const round = buildRound(traffic);
  const eventsPerDatagram = round.events / round.datagrams.length;
  const avgBytes = round.datagrams.reduce((a, d) => a + d.length, 0) / round.datagrams.length;
  console.log(
    `datagrams (${describeTraffic(traffic)}): ${round.datagrams.length} per round, ${eventsPerDatagram.toFixed(1)} events and ${avgBytes.toFixed(0)} bytes each on average; node ${process.version}`,
  );

  console.log(
    `receive buffer asked for: ${RECEIVE_BUFFER_BYTES} bytes; kernel cap net.core.rmem_max = ${readReceiveBufferCap() ?? 'unknown'} bytes`,
  );
  const raw = await rawCeiling(round);
  console.log(
    `raw ceiling: ${fmt(raw.eventsPerSecond)} events/s, ${fmt(raw.eventsPerCpuSecond)} per receiver CPU-second (${raw.received}/${raw.sent} datagrams received${raw.received >= 0.99 * raw.sent ? ': the receiver kept up, so this is the sender’s rate' : ''})`,
  );

  // RSS first, before this process's heap grows with the throughput phases' collector.
  const rss = await measureDaemonRss(round, {
    millis: RSS_MILLIS,
    eventsPerSecond: RSS_EVENTS_PER_SECOND,
    shards: '1',
  });
  console.log(
    `daemon (${DAEMON_MAIN}, own process) offered ${fmt(RSS_EVENTS_PER_SECOND)} events/s for ${(RSS_MILLIS / 1000).toFixed(0)} s: ${fmt(rss.acceptedEventsPerSecond)} accepted, loss ${(rss.loss * 100).toFixed(3)} %; RSS idle ${mb(rss.idleKb)}, end ${mb(rss.endKb)}, max ${mb(rss.maxKb)}, last third vs middle third ${(rss.growth * 100).toFixed(1)} %; store ${rss.storedSpans} spans (${rss.evictedSpans} evicted)`,
  );
  console.log(`  RSS samples (MB, 1/s): ${rss.samplesKb.map((kb) => Math.round(kb / 1024)).join(' ')}`);

  // Processing capacity without sockets: the same datagrams fed to collector.ingest() in a loop.
  // One collector for every throughput phase, in steady state: the in-process phase below fills
  // the memory store to its cap and the remembered-span set, so the socket phases measure a
  // collector that evicts as it stores, as a long-running daemon does — a fresh, empty collector
  // is faster for the few seconds until its store fills, which overstates the sustainable rate.
  const steady = await newCollector();
  let inProcessEvents = 0;
  const ipCpu = process.cpuUsage();
  const ipStart = performance.now();
  // At least BLAST_MILLIS, and until the memory store is full (evicting), so the queries below
  // run against a full store and the socket phases against a collector in steady state.
  for (let r = 0; performance.now() - ipStart < BLAST_MILLIS || steady.store.stats().evictedSpans === 0; r++) {
    const digits = String(9_000_000 + r)
      .padStart(ROUND_DIGITS, '0')
      .slice(-ROUND_DIGITS);
    for (let i = 0; i < round.datagrams.length; i++) {
      const d = round.datagrams[i] as Buffer;
      for (const offset of round.patchOffsets[i] as number[]) d.write(digits, offset, 'latin1');
      steady.ingest(d);
    }
    inProcessEvents += round.events;
  }
  const inProcessEps = inProcessEvents / ((performance.now() - ipStart) / 1000);
  const ipCpuUsed = process.cpuUsage(ipCpu);
  const inProcessPerCpu = inProcessEvents / ((ipCpuUsed.user + ipCpuUsed.system) / 1e6);
  const filled = steady.store.stats();
  console.log(
    `collector in-process (no socket): ${fmt(inProcessEps)} events/s, ${fmt(inProcessPerCpu)} per CPU-second; store ${filled.storedSpans} spans (${filled.evictedSpans} evicted), ${steady.assembler.stats().rememberedSpans} remembered`,
  );

  // Queries with the memory store full (it was just filled to its cap by the in-process phase).
  const queries = await queryLatency(steady);
  console.log(
    `queries with the store full (${filled.storedSpans} spans): trace by id p50 ${queries.byId.p50.toFixed(2)} ms, p99 ${queries.byId.p99.toFixed(2)} ms (${QUERY_TRACE_BY_ID}); search p50 ${queries.search.p50.toFixed(2)} ms, p99 ${queries.search.p99.toFixed(2)} ms (${QUERY_SEARCHES})`,
  );

  const max = await collectorRun(steady, round, 'blast', BLAST_MILLIS);
  console.log(
    `collector blasted: ${fmt(max.eventsPerSecond)} events/s, ${fmt(max.eventsPerCpuSecond)} per receiver CPU-second (${max.received}/${max.sent} datagrams; ${steady.assembler.stats().completeSpans} complete spans so far)`,
  );

  let rampBest = 0;
  let rampEnd = `its last step (${RAMP_MAX_STEPS})`;
  for (let step = 0, eps = RAMP_START_EVENTS_PER_SECOND; step < RAMP_MAX_STEPS; step++, eps *= RAMP_FACTOR) {
    const r = await collectorRun(steady, round, 'rate', RAMP_STEP_MILLIS, eps / eventsPerDatagram);
    console.log(
      `  ramp ${fmt(eps)} events/s offered: ${fmt(r.eventsPerSecond)} received, loss ${(r.loss * 100).toFixed(2)} %`,
    );
    if (r.loss > RAMP_MAX_LOSS) {
      rampEnd = 'loss';
      break;
    }
    rampBest = Math.max(rampBest, r.eventsPerSecond);
    if (r.eventsPerSecond < RAMP_SENDER_SHORT * eps) {
      rampEnd = 'the sender falling short';
      break;
    }
  }
  console.log(`  the ramp ended by ${rampEnd}`);
  // The highest rate sustained for SUSTAIN_MILLIS, stepping down from the ramp's best.
  let sustainedMax = 0;
  for (let i = 0, eps = rampBest; i < SUSTAIN_TRIES && eps > 0; i++, eps *= SUSTAIN_STEP_DOWN) {
    const r = await collectorRun(steady, round, 'rate', SUSTAIN_MILLIS, eps / eventsPerDatagram);
    console.log(
      `  sustain ${fmt(eps)} events/s for ${SUSTAIN_MILLIS / 1000} s: ${fmt(r.eventsPerSecond)} received, loss ${(r.loss * 100).toFixed(2)} %`,
    );
    if (r.loss <= SUSTAIN_MAX_LOSS) {
      sustainedMax = r.eventsPerSecond;
      break;
    }
  }
  console.log(`collector max sustained for ${SUSTAIN_MILLIS / 1000} s: ${fmt(sustainedMax)} events/s`);

  const targetEps = 0.8 * sustainedMax;
  const overflowsBefore = receiveBufferOverflows();
  // The longest event-loop stall while paced at 80 %: loss with stalls shorter than the receive
  // buffer's worth of traffic means the core itself was short (another process), not the collector.
  const stalls = monitorEventLoopDelay({ resolution: 10 });
  stalls.enable();
  const loss = await collectorRun(steady, round, 'rate', LOSS_MILLIS, targetEps / eventsPerDatagram);
  stalls.disable();
  const overflows = receiveBufferOverflows() - overflowsBefore;
  console.log(
    `  event-loop delay at 80 %: p99 ${(stalls.percentile(99) / 1e6).toFixed(1)} ms, max ${(stalls.max / 1e6).toFixed(1)} ms`,
  );
  console.log(
    `at 80 % (${fmt(targetEps)} events/s) for ${LOSS_MILLIS / 1000} s: loss ${(loss.loss * 100).toFixed(3)} % (${loss.received}/${loss.sent}), ${fmt(loss.eventsPerCpuSecond)} events per receiver CPU-second; kernel receive-buffer overflows meanwhile (all sockets): ${Number.isNaN(overflows) ? 'n/a' : overflows}`,
  );
  // The bare socket at the same offered load, same datagrams, same duration.
  const rawEqual = await rawCeiling(round, 'rate', LOSS_MILLIS, targetEps / eventsPerDatagram);
  console.log(
    `bare socket at the same ${fmt(targetEps)} events/s: ${fmt(rawEqual.eventsPerCpuSecond)} events per receiver CPU-second (loss ${(rawEqual.loss * 100).toFixed(3)} %)`,
  );
  const ratioAt = async (eps: number): Promise<number[]> => {
    const ratios: number[] = [];
    const collectorPaced = () => collectorRun(steady, round, 'rate', RATIO_PAIR_MILLIS, eps / eventsPerDatagram);
    const barePaced = () => rawCeiling(round, 'rate', RATIO_PAIR_MILLIS, eps / eventsPerDatagram);
    for (let pair = 0; pair < RATIO_PAIRS; pair++) {
      const collectorFirst = pair % 2 === 0;
      let ours: Awaited<ReturnType<typeof collectorPaced>>;
      let bare: Awaited<ReturnType<typeof barePaced>>;
      if (collectorFirst) {
        ours = await collectorPaced();
        bare = await barePaced();
      } else {
        bare = await barePaced();
        ours = await collectorPaced();
      }
      const ratio = ours.eventsPerCpuSecond / bare.eventsPerCpuSecond;
      ratios.push(ratio);
      console.log(
        `  ${fmt(eps)} events/s, pair ${pair + 1} (${collectorFirst ? 'collector first' : 'bare socket first'}, ${RATIO_PAIR_MILLIS / 1000} s each): collector ${fmt(ours.mainThreadNanosPerEvent + ours.helperNanosPerEvent)} ns, bare ${fmt(bare.mainThreadNanosPerEvent + bare.helperNanosPerEvent)} ns per event: ${pct(ratio)}`,
      );
    }
    return ratios;
  };
  const pairRatios = await ratioAt(targetEps);
  const ratiosAtLoads: { eps: number; ratios: number[] }[] = [];
  for (const eps of RATIO_LOADS) ratiosAtLoads.push({ eps, ratios: await ratioAt(eps) });
  await steady.close();

  // Where each receiver's CPU went at that load: the main thread (the socket's reads and the
  // JavaScript handling them) and V8's helper threads (garbage collection, compilation).
  const perEvent = (r: { mainThreadNanosPerEvent: number; helperNanosPerEvent: number }) =>
    `main thread ${fmt(r.mainThreadNanosPerEvent)} ns, helper threads ${fmt(r.helperNanosPerEvent)} ns`;
  console.log(
    `  receiver CPU per event at that load: collector ${perEvent(loss)}; bare socket ${perEvent(rawEqual)}; the collector in-process ${fmt(1e9 / inProcessPerCpu)} ns`,
  );
  const singleRatio = loss.eventsPerCpuSecond / rawEqual.eventsPerCpuSecond;
  const cpuRatio = nearestRank(pairRatios, 0.5);
  const verdict = (met: boolean) => (met ? 'met' : '**missed**');
  console.log(
    `\ndefault caps: assembly.maxPendingSpans ${DEFAULTS.maxPendingSpans}, assembly.maxRememberedSpans ${DEFAULTS.maxRememberedSpans}, storage.memory.maxSpans ${DEFAULTS.memoryMaxSpans}, aggregates.maxKeys ${DEFAULTS.aggregateKeys}`,
  );
  console.log('\n| target | figure | |\n|---|---|---|');
  console.log(
    `| events per receiver CPU-second ≥ 50 % of a bare socket, same datagrams, same offered load (${fmt(targetEps)} events/s) | ${pairsFigure(pairRatios)}; the ${LOSS_MILLIS / 1000}-s pair ${fmt(loss.eventsPerCpuSecond)} vs ${fmt(rawEqual.eventsPerCpuSecond)} = ${pct(singleRatio)} | ${verdict(cpuRatio >= 0.5)} |`,
  );
  for (const { eps, ratios } of ratiosAtLoads) {
    console.log(
      `| the same at ${fmt(eps)} events/s offered | ${pairsFigure(ratios)} | ${verdict(nearestRank(ratios, 0.5) >= 0.5)} |`,
    );
  }
  console.log(
    `| loss < 0.1 % at 80 % of the highest rate sustained for 10 s (${fmt(sustainedMax)} events/s) | ${(loss.loss * 100).toFixed(3)} % | ${verdict(loss.loss < 0.001)} |`,
  );
  console.log(
    `| RSS ≤ ${RSS_TARGET_MB} MB at ${fmt(RSS_EVENTS_PER_SECOND)} events/s (${fmt(rss.acceptedEventsPerSecond)} accepted) for ${(RSS_MILLIS / 1000).toFixed(0)} s, flat (the daemon's process) | end ${mb(rss.endKb)}, max ${mb(rss.maxKb)}, last third vs middle third ${(rss.growth * 100).toFixed(1)} % | ${verdict(rss.met)} |`,
  );
  console.log(
    `| trace by id p99 < 5 ms, search p99 < 50 ms, memory store full | ${queries.byId.p99.toFixed(2)} ms; ${queries.search.p99.toFixed(2)} ms | ${verdict(queries.byId.p99 < 5 && queries.search.p99 < 50)} |`,
  );
  console.log('\n| context | value |\n|---|---|');
  console.log(
    `| bare socket blasted (events/s wall; per receiver CPU-second) | ${fmt(raw.eventsPerSecond)}; ${fmt(raw.eventsPerCpuSecond)} |`,
  );
  console.log(
    `| collector in-process, no socket (events/s wall; per CPU-second) | ${fmt(inProcessEps)}; ${fmt(inProcessPerCpu)} |`,
  );
  console.log(
    `| collector blasted (events/s wall; per receiver CPU-second) | ${fmt(max.eventsPerSecond)}; ${fmt(max.eventsPerCpuSecond)} |`,
  );
  console.log(`| collector paced ramp ≤ 1 % loss per 1.5 s step (events/s; ended by) | ${fmt(rampBest)}; ${rampEnd} |`);
}

/** BENCH_RATIO_LOADS: positive event rates, comma-separated; throws on anything else. */
function parseLoads(text: string): number[] {
  if (text.trim() === '') return [];
  return text.split(',').map((item) => {
    const eps = Number(item.trim());
    if (!Number.isFinite(eps) || eps <= 0) {
      throw new Error(`BENCH_RATIO_LOADS: positive events per second, comma-separated; got ${JSON.stringify(item)}`);
    }
    return eps;
  });
}

/** The q-quantile (0..1) of a few values by nearest rank. */
function nearestRank(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.round(q * (sorted.length - 1))] as number;
}

/** A ratio read from pairs, as the table prints it: the median with its quartiles. */
function pairsFigure(ratios: readonly number[]): string {
  const quartiles = `${pct(nearestRank(ratios, 0.25))}–${pct(nearestRank(ratios, 0.75))}`;
  return `median of ${ratios.length} alternating ${RATIO_PAIR_MILLIS / 1000}-s pairs ${pct(nearestRank(ratios, 0.5))} [${quartiles}]`;
}

function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}

/** Latency (ms) of trace-by-id and search requests through the HTTP API (fastify inject, no socket). */
async function queryLatency(collector: Collector) {
  const found = await collector.store.findTraces({ limit: 1000 });
  const ids = found.map((t) => t.traceId);
  const percentile = (xs: number[], p: number) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  };
  const timed = async (url: string) => {
    const start = performance.now();
    const res = await collector.http.inject(url);
    if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode}`);
    return performance.now() - start;
  };
  const byId: number[] = [];
  for (let i = 0; i < QUERY_TRACE_BY_ID && ids.length > 0; i++) {
    byId.push(await timed(`/api/traces/${ids[(i * 7919) % ids.length]}`));
  }
  const searches = [
    '/api/traces?service=id-generator&limit=20',
    '/api/traces?service=frontend&minDurationMicros=1000&limit=20',
    '/api/traces?error=true&limit=20',
    '/api/traces?service=id-generator&endpoint=NextID&maxDurationMicros=500&limit=50',
    '/api/traces?limit=100',
  ];
  const search: number[] = [];
  for (let i = 0; i < QUERY_SEARCHES; i++) search.push(await timed(searches[i % searches.length] as string));
  return {
    byId: { p50: percentile(byId, 50), p99: percentile(byId, 99) },
    search: { p50: percentile(search, 50), p99: percentile(search, 99) },
  };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
