/**
 * Sharded collector benchmark: `npm run bench:collector-shards`.
 *
 * In one run, with the same traffic for both, for each collector in turn:
 *   - one shard: the single-core collector on the main thread (what `shards: 1` runs — no worker,
 *     no hand-off);
 *   - N shards (default 2; BENCH_SHARDS): the main thread receiving and routing events through a
 *     shared-memory ring per shard to N worker threads, each a collector core.
 * Traffic: what the tracer sends to a collector on its own host, since sender and collector share
 * this host (LOOPBACK_TRAFFIC: 16 KiB datagrams, shared endpoint fields, paired frames;
 * BENCH_DATAGRAM_BYTES=1400 BENCH_TEMPLATES=0 BENCH_HOP_FRAMES=events gives bench:collector's
 * network-sized traffic). Network-sized datagrams sent over loopback make the sender the
 * collector's rival for the same cores: its sendto pays the kernel's delivery, about 0.7 µs per event
 * at 1400 bytes against 0.09 at 16 KiB, and on two cores that caps any N-shard collector below
 * 2 × (one shard's CPU per event) / (N shards' + the sender's) — the ceiling printed at the end.
 * One round (each hop's REQ/REP in a client
 * datagram and IN/OUT in a server datagram) is built with the tracer's DatagramWriter once, before
 * any timed window; the sender worker (its own thread, a connected socket, no per-send callback)
 * replays it, patching a fresh round number into every trace, span and parent id of each datagram,
 * so every datagram sent is unique and every hop new to the collector while the sender costs only
 * that patch and the sendto itself (on loopback, sendto also pays the kernel's delivery into the
 * receiving socket). Both collectors get the same datagrams, the same pacing, the same ramp, and
 * take turns at every step (both stay up; the idle one costs a few timers), so a change in the
 * shared machine's load hits both rather than one.
 * Each is warmed up, ramped in short paced steps (1.2×, then 1.05× within the last gap) to find
 * where loss starts, then held for SUSTAIN_MILLIS (10 s) at a rate, stepping down 5 % until the run loses < 0.1 % of the events sent
 * and its backlog clears within MAX_BACKLOG_MILLIS once the sender stops — "sustained" means
 * processed, not parked in a kernel or thread queue. Loss counts events the cores took in (after
 * the drain), so events dropped anywhere on the way — kernel buffer, a busy shard — are loss.
 * Each held run prints the CPU per event of every thread (/proc: main thread, each shard, the
 * sender, V8/libuv helpers) and how the hand-off went (events per hand-off, share that woke an
 * idle shard). Before the collectors, a probe (core-scaling.ts) shows what the machine gives two busy
 * threads against one — for compute-bound and for cache-missing work — the ceiling of any sharding.
 */

// First: under the daemon's memory caps, as bench:collector runs (why: collector-ingest.bench.ts).
import '../src/cli/relaunch-with-memory-caps.js';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { decodeDatagram } from '@phosphor/wire';
import { buildCollector } from '../src/app.js';
import { DEFAULT_RECEIVER_SHARD_SHARE, DEFAULT_SHARD_WORKER_NICENESS } from '../src/config/defaults.js';
import { loadConfig } from '../src/config/load-config.js';
import { EventRouter } from '../src/shards/event-router.js';
import { ShardOutbox } from '../src/shards/shard-outbox.js';
import { buildShardedCollector } from '../src/shards/sharded-collector.js';
import { TraceOwners } from '../src/shards/trace-owner.js';
import { buildRound, describeTraffic, LOOPBACK_TRAFFIC, type Round, trafficFromEnv } from './bench-datagrams.js';
import { coreScaling } from './core-scaling.js';
import { threadCpuDelta, threadCpuSnapshot } from './thread-cpu.js';
import { drain, RECEIVE_BUFFER_BYTES, SENDER_THREAD_NAME, send, threadGroup } from './udp-blast.js';

const SHARDS = Number(process.env.BENCH_SHARDS ?? 2);
/**
 * BENCH_RECEIVER_SHARES: comma-separated `receiverShardShare` values, one N-shard collector each
 * (taking turns with the others): 0 = every shard on a worker thread; the default is the config's.
 */
const RECEIVER_SHARES = (process.env.BENCH_RECEIVER_SHARES ?? String(DEFAULT_RECEIVER_SHARD_SHARE))
  .split(',')
  .map(Number);
/**
 * BENCH_WORKER_NICENESS: comma-separated `shardWorkerNiceness` values; every share above runs once
 * with each (0 = worker shards at the receiving thread's priority); the default is the config's.
 */
const WORKER_NICENESS = (process.env.BENCH_WORKER_NICENESS ?? String(DEFAULT_SHARD_WORKER_NICENESS))
  .split(',')
  .map(Number);
const SUSTAIN_MILLIS = Number(process.env.BENCH_SUSTAIN_MILLIS ?? 10_000);
/** A hold whose sender sent less than this share of the datagrams its rate asks for did not offer that rate. */
const MIN_SENT_SHARE = 0.99;
/**
 * BENCH_FIXED_EVENTS_PER_SECOND: skip the search and hold every collector at this one offered load
 * (A/B comparisons of CPU per event at equal load, which a shared machine distorts less than rates).
 */
const FIXED_EVENTS_PER_SECOND = Number(process.env.BENCH_FIXED_EVENTS_PER_SECOND ?? 0);
const RAMP_STEP_MILLIS = 2000;
const WARM_UP_MILLIS = 3000;
const WARM_UP_EVENTS_PER_SECOND = 20_000;
const RAMP_START_EVENTS_PER_SECOND = 40_000;
const RAMP_FACTOR = 1.2;
/**
 * After the coarse ramp, the gap between its last clean step and the first losing one (20 %) is
 * walked again in 5 % steps: with 1.2× steps alone, the result is quantised to the ramp's grid
 * and two collectors up to 20 % apart can come out equal.
 */
const RAMP_FINE_FACTOR = 1.05;
/**
 * Enough steps to pass 2.6M events/s: with 16 KiB datagrams (BENCH_DATAGRAM_BYTES) one core passes
 * 1.2M on some machines. The ramp ends at the first losing step, so unused steps cost nothing.
 */
const RAMP_MAX_STEPS = 24;
/** A ramp step losing more than this ends the ramp. */
const RAMP_MAX_LOSS = 0.005;
const TARGET_LOSS = 0.001;
/** A run whose processing lags the sender by more than this is not sustained, whatever its loss. */
const MAX_BACKLOG_MILLIS = 1000;
/** Each failed sustain attempt retries at this fraction of the previous rate. */
const STEP_DOWN = 0.95;
/** With 5 % steps, 14 holds reach down to half the ramp's rate. */
const MAX_SUSTAIN_ATTEMPTS = 14;

/** What the benchmark needs from either collector. */
interface Subject {
  label: string;
  udpPort: number;
  /** Events the cores have taken in so far (fresh). */
  processedEvents(): Promise<number>;
  /** Datagrams the receiving thread has read off the socket so far (what the kernel did not drop). */
  receivedDatagrams(): number;
  /** Events dropped inside the collector so far (a shard busy or down). */
  internalDrops(): Promise<number>;
  /** Hand-offs from the receiving thread to shards so far (0 when nothing crosses threads). */
  handOffs(): number;
  /** Hand-offs that had to wake an idle shard so far. */
  wakeUps(): number;
  close(): Promise<void>;
}

function configValues(shards: number, receiverShardShare = 0, shardWorkerNiceness = 0) {
  return loadConfig({
    values: {
      shards,
      receiverShardShare,
      shardWorkerNiceness,
      udp: { port: 0, receiveBufferBytes: RECEIVE_BUFFER_BYTES },
      http: { port: 0 },
      // Both collectors are up at once (and other work may hold the OTLP defaults): free ports.
      otlp: { http: { port: 0 }, grpc: { port: 0 } },
      logging: { level: 'silent' },
      dashboard: { distDir: '/nonexistent-dashboard' },
    },
  });
}

async function oneShard(): Promise<Subject> {
  const c = await buildCollector(configValues(1));
  const { udpPort } = await c.start();
  return {
    label: '1 shard (main thread)',
    udpPort,
    processedEvents: async () => c.receiver.stats().acceptedEvents,
    receivedDatagrams: () => c.receiver.stats().receivedDatagrams,
    internalDrops: async () => 0,
    handOffs: () => 0,
    wakeUps: () => 0,
    close: () => c.close(),
  };
}

async function sharded(n: number, receiverShare: number, niceness: number): Promise<Subject> {
  const c = await buildShardedCollector(configValues(n, receiverShare, niceness));
  const { udpPort } = await c.start();
  const workers = niceness > 0 ? `worker threads at nice ${niceness}` : 'worker threads';
  return {
    label:
      receiverShare > 0
        ? `${n} shards (shard-0 on the receiving thread, ${receiverShare} of the traces; ${workers})`
        : `${n} shards (${workers})`,
    udpPort,
    // Events the shards have ingested, read from shared memory: polling it costs the shards nothing
    // (a stats call to every shard every 10 ms would cost them more than the one shard's counter read
    // costs it). The bench sends no invalid events, so events ingested = events accepted.
    processedEvents: async () => c.shards.processedEvents(),
    receivedDatagrams: () => c.receiver.stats().receivedDatagrams,
    internalDrops: async () => {
      const s = c.shards.stats();
      return s.droppedEventsShardBusy + s.droppedEventsShardDown;
    },
    handOffs: () => c.shards.stats().forwardedBuffers,
    wakeUps: () => c.shards.stats().shardWakeUps,
    close: () => c.close(),
  };
}

/** Linux clock ticks per second (USER_HZ) for /proc CPU times. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (µs) of the main thread, whose task id is the process id (NaN off Linux). */
function mainThreadCpuMicros(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

interface RunResult {
  offeredEventsPerSecond: number;
  /** Cores the main thread used while the sender ran (receiving, and routing when sharded). */
  mainThreadCores: number;
  /** Cores the whole collector used (main thread and shard workers), sender excluded. */
  collectorCores: number;
  sentEvents: number;
  processedEvents: number;
  /** Share of the sent datagrams the kernel dropped before the receiving thread read them. */
  kernelLoss: number;
  /** Events dropped inside the collector (busy or down shard). */
  internalDrops: number;
  loss: number;
  backlogMillis: number;
  eventsPerSecond: number;
  /** Datagrams the sender sent over those its rate asked for in the time it ran. */
  sentShare: number;
  /** CPU ns per processed event by thread: main thread, each shard, the sender, V8/libuv helpers. */
  nanosPerEvent: Map<string, number>;
  /** Events per hand-off to a shard (NaN when nothing crosses threads). */
  eventsPerHandOff: number;
  /** Share of the hand-offs that woke an idle shard. */
  wakeUpShare: number;
}

async function run(subject: Subject, round: Round, eventsPerSecond: number, millis: number): Promise<RunResult> {
  const eventsPerDatagram = round.events / round.datagrams.length;
  const before = await subject.processedEvents();
  const receivedBefore = subject.receivedDatagrams();
  const dropsBefore = await subject.internalDrops();
  const mainBefore = mainThreadCpuMicros();
  const processBefore = process.cpuUsage();
  const threadsBefore = threadCpuSnapshot();
  const handOffsBefore = subject.handOffs();
  const wakeUpsBefore = subject.wakeUps();
  const datagramsPerSecond = eventsPerSecond / eventsPerDatagram;
  const sender = await send(round, subject.udpPort, 'rate', millis, datagramsPerSecond);
  // The drain watches the processed count, refreshed in the background (a sharded count is a call to every shard).
  let latest = before;
  const poll = setInterval(() => {
    void subject.processedEvents().then((n) => {
      latest = n;
    });
  }, 10);
  const backlog = await drain(() => latest);
  clearInterval(poll);
  const senderMillis = sender.elapsedMillis;
  const mainCpu = mainThreadCpuMicros() - mainBefore;
  const processCpu = process.cpuUsage(processBefore);
  const byThread = threadCpuDelta(threadsBefore, threadCpuSnapshot(), threadGroup);
  // The sender thread has ended by now: it reports its own CPU.
  byThread.set(SENDER_THREAD_NAME, sender.cpuMicros);
  const wallMicros = (senderMillis + backlog) * 1000;
  const processed = (await subject.processedEvents()) - before;
  const sentEvents = sender.sent * eventsPerDatagram;
  return {
    offeredEventsPerSecond: eventsPerSecond,
    sentShare: sender.sent / ((datagramsPerSecond * sender.elapsedMillis) / 1000),
    mainThreadCores: mainCpu / wallMicros,
    collectorCores: (processCpu.user + processCpu.system - sender.cpuMicros) / wallMicros,
    sentEvents,
    processedEvents: processed,
    kernelLoss: Math.max(0, 1 - (subject.receivedDatagrams() - receivedBefore) / sender.sent),
    internalDrops: (await subject.internalDrops()) - dropsBefore,
    loss: Math.max(0, 1 - processed / sentEvents),
    backlogMillis: backlog,
    eventsPerSecond: processed / ((sender.elapsedMillis + backlog) / 1000),
    nanosPerEvent: new Map([...byThread].sort().map(([k, micros]) => [k, (micros * 1000) / processed])),
    eventsPerHandOff: processed / (subject.handOffs() - handOffsBefore),
    wakeUpShare: (subject.wakeUps() - wakeUpsBefore) / (subject.handOffs() - handOffsBefore),
  };
}

/** `main 1,234 / shard-0 2,345 / …` CPU ns per event. */
function perThread(r: RunResult): string {
  return [...r.nanosPerEvent].map(([k, ns]) => `${k} ${fmt(ns)}`).join(' / ');
}

/**
 * Finds each collector's sustained rate, the collectors taking turns at every step (the same
 * offered load for both in the coarse ramp, one hold of each in turn): on a shared machine the
 * load changes by the minute, and measuring one collector after the other gave each a different
 * machine (one run showed 3.6× that way). Both stay alive throughout; the idle one costs a few
 * timers.
 */
async function sustainedAll(subjects: Subject[], round: Round): Promise<(RunResult | undefined)[]> {
  // Warm-up, not counted: JIT compilation (in every worker too) and the first allocations.
  for (const subject of subjects) await run(subject, round, WARM_UP_EVENTS_PER_SECOND, WARM_UP_MILLIS);
  if (FIXED_EVENTS_PER_SECOND > 0) {
    const out: (RunResult | undefined)[] = [];
    for (const subject of subjects) out.push(await hold(subject, round, FIXED_EVENTS_PER_SECOND));
    return out;
  }
  // A step that loses is tried once more before it ends the ramp: on a shared machine one 2 s step
  // can lose to a burst of other work, and ending there caps everything after it.
  const rampStep = async (subject: Subject, eps: number) => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await run(subject, round, eps, RAMP_STEP_MILLIS);
      console.log(
        `  ${subject.label} ramp ${fmt(eps)} events/s offered: ${fmt(r.eventsPerSecond)} processed, loss ${pct(r.loss)}, backlog ${r.backlogMillis.toFixed(0)} ms, sent ${pct(r.sentShare)} of the rate`,
      );
      if (r.loss <= RAMP_MAX_LOSS && r.backlogMillis <= MAX_BACKLOG_MILLIS && r.sentShare >= MIN_SENT_SHARE)
        return true;
    }
    return false;
  };
  const state = subjects.map(() => ({ best: 0, failedAt: 0, fineNext: 0, fineDone: false }));
  // Coarse ramp in lockstep: every collector still clean gets the same offered load at each step.
  for (let step = 0, eps = RAMP_START_EVENTS_PER_SECOND; step < RAMP_MAX_STEPS; step++, eps *= RAMP_FACTOR) {
    let anyRamping = false;
    for (const [i, subject] of subjects.entries()) {
      const st = state[i] as (typeof state)[number];
      if (st.failedAt > 0) continue;
      anyRamping = true;
      if (await rampStep(subject, eps)) st.best = eps;
      else st.failedAt = eps;
    }
    if (!anyRamping) break;
  }
  // Fine ramp inside each collector's last gap, taking turns.
  for (const st of state) {
    st.fineNext = st.best * RAMP_FINE_FACTOR;
    st.fineDone = st.best === 0 || st.failedAt === 0;
  }
  while (state.some((st) => !st.fineDone)) {
    for (const [i, subject] of subjects.entries()) {
      const st = state[i] as (typeof state)[number];
      if (st.fineDone) continue;
      if (st.fineNext >= st.failedAt * 0.99 || !(await rampStep(subject, st.fineNext))) {
        st.fineDone = true;
        continue;
      }
      st.best = st.fineNext;
      st.fineNext *= RAMP_FINE_FACTOR;
    }
  }
  // 10 s holds, taking turns; a first ramp step already losing (a burst of other load) still leaves rates below it.
  const rates = state.map((st) => (st.best > 0 ? st.best : RAMP_START_EVENTS_PER_SECOND * STEP_DOWN));
  const results: (RunResult | undefined)[] = subjects.map(() => undefined);
  for (let attempt = 0; attempt < MAX_SUSTAIN_ATTEMPTS; attempt++) {
    for (const [i, subject] of subjects.entries()) {
      if (results[i]) continue;
      const rate = (rates[i] as number) * STEP_DOWN ** attempt;
      results[i] = await hold(subject, round, rate);
    }
    if (results.every((r) => r)) break;
  }
  return results;
}

/** Holds `rate` for SUSTAIN_MILLIS; the result when sustained (loss and backlog within bounds, the rate sent). */
async function hold(subject: Subject, round: Round, rate: number): Promise<RunResult | undefined> {
  const r = await run(subject, round, rate, SUSTAIN_MILLIS);
  const ok = r.loss < TARGET_LOSS && r.backlogMillis <= MAX_BACKLOG_MILLIS && r.sentShare >= MIN_SENT_SHARE;
  console.log(
    `  ${subject.label} ${SUSTAIN_MILLIS / 1000} s at ${fmt(rate)} events/s: ${fmt(r.eventsPerSecond)} processed, loss ${pct(r.loss)} (kernel ${pct(r.kernelLoss)}, busy or down shard ${fmt(r.internalDrops)} events), backlog ${r.backlogMillis.toFixed(0)} ms, sent ${pct(r.sentShare)} of the rate, CPU: main thread ${r.mainThreadCores.toFixed(2)} cores, collector ${r.collectorCores.toFixed(2)} cores; CPU ns/event: ${perThread(r)}; events per hand-off ${r.eventsPerHandOff.toFixed(1)} (${pct(r.wakeUpShare)} woke a shard) → ${ok ? 'sustained' : 'not sustained'}`,
  );
  return ok ? r : undefined;
}

/**
 * What routing costs next to decoding, in CPU nanoseconds per event on this thread: the
 * receiving thread's walk + copy of each event (what sharding adds) against the wire decoder
 * (what every shard does anyway, and the single core does before assembly).
 */
function routingCost(round: Round) {
  const outbox = new ShardOutbox(SHARDS, () => {});
  const router = new EventRouter(TraceOwners.forShards(SHARDS, RECEIVER_SHARES[0] ?? 0), outbox);
  const measure = (pass: () => number) => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    let events = 0;
    while (performance.now() - start < 1500) events += pass();
    const used = process.cpuUsage(cpu);
    return ((used.user + used.system) * 1000) / events;
  };
  const route = () => {
    let events = 0;
    for (const d of round.datagrams) {
      const r = router.route(d);
      if (r.ok) events += r.events;
    }
    outbox.flush();
    return events;
  };
  const decode = () => {
    let events = 0;
    for (const d of round.datagrams) {
      const r = decodeDatagram(d);
      if (r.ok) events += r.batch.events.length;
    }
    return events;
  };
  measure(route);
  measure(decode);
  return { routeNanos: measure(route), decodeNanos: measure(decode) };
}

async function main() {
  const traffic = trafficFromEnv(LOOPBACK_TRAFFIC);
  const round = buildRound(traffic);
  console.log(
    `${describeTraffic(traffic)}: ${round.datagrams.length} datagrams per round, ${(round.events / round.datagrams.length).toFixed(1)} events each on average; node ${process.version}; ${SUSTAIN_MILLIS / 1000} s sustain at < ${pct(TARGET_LOSS)} loss`,
  );
  const cost = routingCost(round);
  console.log(
    `routing (walk + copy to ${SHARDS} shard buffers): ${cost.routeNanos.toFixed(0)} CPU-ns/event; wire decode: ${cost.decodeNanos.toFixed(0)} CPU-ns/event`,
  );
  const threads = Math.min(SHARDS, availableParallelism());
  const scaling = await coreScaling(threads);
  const scalingLine = `${threads} threads at once against one: compute-bound ${scaling.compute.toFixed(2)}×, cache-missing ${scaling.memory.toFixed(2)}×`;
  console.log(`this machine: ${scalingLine}`);
  const subjects = [await oneShard()];
  for (const share of RECEIVER_SHARES) {
    for (const niceness of WORKER_NICENESS) subjects.push(await sharded(SHARDS, share, niceness));
  }
  let results: { label: string; result: RunResult | undefined }[];
  try {
    const found = await sustainedAll(subjects, round);
    results = subjects.map((subject, i) => ({ label: subject.label, result: found[i] }));
  } finally {
    for (const subject of subjects) await subject.close();
  }
  const base = results[0]?.result?.offeredEventsPerSecond ?? Number.NaN;
  console.log(
    '\n| collector | sustained events/s (10 s, < 0.1 % loss) | loss | ratio to 1 shard | CPU: main thread / whole collector (cores) | events per collector CPU-second |\n|---|---|---|---|---|---|',
  );
  for (const { label, result } of results) {
    console.log(
      `| ${label} | ${result ? fmt(result.offeredEventsPerSecond) : 'none found'} | ${result ? pct(result.loss) : '–'} | ${result ? (result.offeredEventsPerSecond / base).toFixed(2) : '–'}× | ${result ? `${result.mainThreadCores.toFixed(2)} / ${result.collectorCores.toFixed(2)}` : '–'} | ${result ? fmt(result.eventsPerSecond / result.collectorCores) : '–'} |`,
    );
  }
  console.log(
    '\nCPU ns per event by thread at the sustained rate (sender included; helpers = V8 GC/compiler and libuv threads):',
  );
  for (const { label, result } of results) if (result) console.log(`  ${label}: ${perThread(result)}`);
  const one = results[0]?.result;
  console.log(`\nthis machine before the run: ${scalingLine}`);
  if (!one) return;
  // The sender shares the machine's cores: N shards can at most use what it leaves. One shard's
  // ceiling is one core at its own CPU per event; N shards' is every core at theirs plus the
  // sender's and helpers' — both from this run's held rates.
  const oneCollectorNanos = nanosOf(one, (k) => k === 'main');
  console.log(
    `\nceiling on this machine (${availableParallelism()} cores, the sender on them too): one shard ≤ ${fmt(1e9 / oneCollectorNanos)} events/s (one core at ${fmt(oneCollectorNanos)} ns/event)`,
  );
  for (const { label, result } of results.slice(1)) {
    if (!result) continue;
    const allNanos = nanosOf(result, () => true);
    const ceiling = (Math.min(SHARDS, availableParallelism()) * 1e9) / allNanos;
    console.log(
      `  ${label}: ≤ ${fmt(ceiling)} events/s (${fmt(allNanos)} ns/event on all threads) = ${(ceiling / (1e9 / oneCollectorNanos)).toFixed(2)}× one shard's ceiling; held ${((result.offeredEventsPerSecond / ceiling) * 100).toFixed(0)} % of it`,
    );
  }
}

/** CPU ns per event summed over the thread groups `which` picks. */
function nanosOf(r: RunResult, which: (group: string) => boolean): number {
  let total = 0;
  for (const [group, ns] of r.nanosPerEvent) if (which(group)) total += ns;
  return total;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function pct(x: number): string {
  return `${(x * 100).toFixed(3)} %`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
