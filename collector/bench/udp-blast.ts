/**
 * The UDP side of the collector benchmarks: a worker-thread sender replaying datagram rounds over
 * loopback, receiver CPU accounting, and the raw ceiling (a bare dgram socket counting datagrams, in
 * a process of its own).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ROUND_DIGITS, type Round } from './bench-datagrams.js';
import { threadCpuDelta, threadCpuSnapshot } from './thread-cpu.js';

/** Length of each blasted phase. */
export const BLAST_MILLIS = Number(process.env.BENCH_BLAST_MILLIS ?? 5000);
/**
 * Receive buffer the bare socket and the collector ask for: the collector's default
 * (`udp.receiveBufferBytes`); BENCH_RECEIVE_BUFFER_BYTES measures a host tuned otherwise. Linux
 * grants at most net.core.rmem_max.
 */
export const RECEIVE_BUFFER_BYTES = Number(process.env.BENCH_RECEIVE_BUFFER_BYTES ?? 8 * 1024 * 1024);
/**
 * After the sender stops, the receiver is drained until its count stays put for DRAIN_QUIET_MILLIS
 * (at most DRAIN_MAX_MILLIS): a large receive buffer can hold seconds of an overloaded phase's
 * traffic, which a fixed pause would let leak into the next phase's count.
 */
const DRAIN_QUIET_MILLIS = 300;
const DRAIN_MAX_MILLIS = 30_000;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How often the drain looks at the count. */
const DRAIN_POLL_MILLIS = 20;

/**
 * Waits until `count()` has not changed for DRAIN_QUIET_MILLIS; returns how long after the call
 * it last changed — the backlog the receiver was still working off after the sender stopped,
 * which belongs to the phase's receive time (rates over the sender's time alone would count a
 * large buffer's backlog as speed).
 */
export async function drain(count: () => number): Promise<number> {
  const start = performance.now();
  let lastChangeAt = start;
  let last = count();
  for (;;) {
    await sleep(DRAIN_POLL_MILLIS);
    const now = performance.now();
    const current = count();
    if (current !== last) {
      last = current;
      lastChangeAt = now;
    } else if (now - lastChangeAt >= DRAIN_QUIET_MILLIS || now - start > DRAIN_MAX_MILLIS) {
      return lastChangeAt - start;
    }
  }
}

export interface SendResult {
  sent: number;
  rounds: number;
  elapsedMillis: number;
  /** CPU time of the sender thread (µs; NaN where /proc is unavailable). */
  cpuMicros: number;
  /** Whether the sender ran in this process (a worker thread) rather than in a process of its own. */
  inProcess: boolean;
}

/**
 * Where the sender runs: a worker thread of this process, or a process of its own — so that a
 * receiver measured in this process is not charged the sender's garbage collection, which V8 runs
 * on the process's shared helper threads (30–34 ns per event at 370,000 events/s).
 */
export type SenderPlace = 'thread' | 'process';

/**
 * CPU the receiving side used while `run` ran: this process's CPU time minus the sender thread's
 * (when the sender ran here), or, for a receiver in another process (`pid`), the CPU time of all of
 * that process's threads. On this shared 2-core machine wall-clock rates swing with other load, so
 * "events/s on one core" is also reported as events per receiver CPU-second — stable across runs,
 * and what a dedicated core would deliver.
 */
export async function withReceiverCpu<T extends { sender: SendResult }>(
  run: () => Promise<T>,
  pid: number | 'self' = 'self',
) {
  const before = process.cpuUsage();
  const threadsBefore = threadCpuSnapshot(pid);
  const result = await run();
  const total = process.cpuUsage(before);
  const byThread = threadCpuDelta(threadsBefore, threadCpuSnapshot(pid), threadGroup);
  let receiverCpuMicros = 0;
  if (pid !== 'self') for (const micros of byThread.values()) receiverCpuMicros += micros;
  else receiverCpuMicros = total.user + total.system - (result.sender.inProcess ? result.sender.cpuMicros : 0);
  return {
    ...result,
    receiverCpuMicros,
    /** The main thread's share (NaN off Linux): the socket's reads, the JavaScript that handles them. */
    mainThreadCpuMicros: byThread.get('main') ?? Number.NaN,
    /** V8's and libuv's helper threads (garbage collection, compilation), the sender excluded. */
    helperCpuMicros: byThread.get('helpers') ?? 0,
  };
}

/**
 * Thread groups for CPU accounting: `main`, each shard and the sender by their own names, and
 * `helpers` for the rest (V8's garbage collection and compiler threads, libuv's pool).
 */
export function threadGroup(name: string): string {
  if (name === 'MainThread') return 'main';
  if (name.startsWith('shard-') || name === SENDER_THREAD_NAME) return name;
  return 'helpers';
}

/** OS thread name of the sender worker (in /proc/self/task/<tid>/comm, at most 15 characters). */
export const SENDER_THREAD_NAME = 'udp-sender';

let nextRound = 1;
export function send(
  round: Round,
  port: number,
  mode: 'blast' | 'rate',
  durationMillis: number,
  datagramsPerSecond = 0,
  place: SenderPlace = 'thread',
) {
  const firstRound = nextRound;
  // Reserve round numbers generously so phases never reuse trace ids.
  nextRound += 1_000_000;
  const job = {
    port,
    round: round.datagrams.map((d) => new Uint8Array(d)),
    patchOffsets: round.patchOffsets,
    roundDigits: ROUND_DIGITS,
    firstRound: firstRound % 10 ** ROUND_DIGITS,
    mode,
    datagramsPerSecond,
    durationMillis,
  };
  const script = new URL('./udp-sender.worker.mjs', import.meta.url);
  if (place === 'process') {
    const child = fork(fileURLToPath(script), [], {
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise<SendResult>((resolve, reject) => {
      // The first message asks for the job; the second is the result.
      child.once('message', () => {
        child.send(job);
        child.once('message', (m: Omit<SendResult, 'inProcess'>) => resolve({ ...m, inProcess: false }));
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`sender process exited (code ${code}) before it reported`)));
    });
  }
  const worker = new Worker(script, {
    // The thread's name (Node ≥ 24 sets it as the OS thread name), so per-thread CPU can be attributed.
    name: SENDER_THREAD_NAME,
    workerData: job,
  });
  return new Promise<SendResult>((resolve, reject) => {
    worker.once('message', (m: Omit<SendResult, 'inProcess'>) => resolve({ ...m, inProcess: true }));
    worker.once('error', reject);
  });
}

/**
 * The raw ceiling: a bare dgram socket (same receive buffer request as the collector) counting
 * datagrams, in a process of its own (bare-socket.child.mjs says why) — blasted by default, or
 * paced at `datagramsPerSecond` for `millis` (the same offered load as a collector phase, for a
 * per-CPU-second comparison at equal load). Its CPU is every thread of that process.
 */
export async function rawCeiling(
  round: Round,
  mode: 'blast' | 'rate' = 'blast',
  millis = BLAST_MILLIS,
  datagramsPerSecond = 0,
) {
  const bare = await startBareSocket();
  try {
    const run = await withReceiverCpu(async () => {
      const sender = await send(round, bare.port, mode, millis, datagramsPerSecond, 'process');
      const backlogMillis = await drain(() => bare.datagrams);
      return { sender, backlogMillis };
    }, bare.pid);
    // Rates are over the sender's active time plus the backlog worked off after it (worker start-up
    // and the final quiet wait excluded).
    const seconds = (run.sender.elapsedMillis + run.backlogMillis) / 1000;
    const datagrams = bare.datagrams;
    const events = datagrams * (round.events / round.datagrams.length);
    return {
      sent: run.sender.sent,
      received: datagrams,
      eventsPerSecond: events / seconds,
      eventsPerCpuSecond: events / (run.receiverCpuMicros / 1e6),
      ...receiverThreadNanos(run, events),
      seconds,
      loss: 1 - datagrams / run.sender.sent,
    };
  } finally {
    bare.stop();
  }
}

/** The bare socket's process (bare-socket.child.mjs): its pid, port, and latest datagram count. */
interface BareSocket {
  pid: number;
  port: number;
  datagrams: number;
  stop(): void;
}

/** Starts a bare socket in a process of its own, with Node's defaults (no flags, no loader). */
function startBareSocket(): Promise<BareSocket> {
  const child = fork(
    fileURLToPath(new URL('./bare-socket.child.mjs', import.meta.url)),
    [String(RECEIVE_BUFFER_BYTES)],
    {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  return new Promise<BareSocket>((resolve, reject) => {
    const bare: BareSocket = {
      pid: child.pid as number,
      port: 0,
      datagrams: 0,
      stop: () => child.disconnect(),
    };
    child.on('message', (message: { port?: number; datagrams?: number }) => {
      if (message.datagrams !== undefined) bare.datagrams = message.datagrams;
      if (message.port !== undefined) {
        bare.port = message.port;
        resolve(bare);
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bare socket process exited (code ${code}) before it was bound`)));
  });
}

/** Receiver CPU per event by thread group, in nanoseconds (see withReceiverCpu). */
export function receiverThreadNanos(
  run: { mainThreadCpuMicros: number; helperCpuMicros: number },
  events: number,
): { mainThreadNanosPerEvent: number; helperNanosPerEvent: number } {
  return {
    mainThreadNanosPerEvent: (run.mainThreadCpuMicros * 1000) / events,
    helperNanosPerEvent: (run.helperCpuMicros * 1000) / events,
  };
}
