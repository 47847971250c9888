/**
 * Benchmark sender, run in a worker thread or in a process of its own (its own core): replays
 * pre-encoded datagram rounds, patching a round number into every trace id so each round's hops
 * are new to the collector. Mode `blast` keeps at most MAX_IN_FLIGHT sends queued; mode `rate`
 * paces to datagrams/s. As a thread it gets its job as workerData and reports to parentPort; as a
 * process (forked with structured-clone IPC) it gets the job as its first message and reports back
 * over IPC, then exits.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

/*
 * workerData (SenderJob in collector-ingest.bench.ts): { port, round: Uint8Array[] (one round of
 * datagrams; every hop completes within a round), patchOffsets: number[][] (offsets of the
 * round-number digits per datagram), roundDigits, firstRound, mode: 'blast' | 'rate',
 * datagramsPerSecond, durationMillis }.
 * Plain JavaScript so the worker needs no TypeScript loader.
 */

/** Linux clock ticks per second (USER_HZ) for /proc CPU times: 100 on every mainstream kernel. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time of this thread (µs) from /proc/thread-self/stat, so the parent can subtract the
 * sender's CPU from the process total and see what the receiving side alone used.
 */
function threadCpuMicros() {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5); fields[0] is field 3.
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

const cpuAtStart = threadCpuMicros();

/**
 * Queued sends at most: enough to keep the socket busy, bounded so libuv's queue cannot grow (and
 * below a round's datagram count, so a datagram still queued is sent before its buffer is patched
 * for the next round).
 */
const MAX_IN_FLIGHT = 64;

// As a process: asks for its job once it listens, so the job cannot arrive before the listener.
const job =
  workerData ??
  (await new Promise((resolve) => {
    process.once('message', resolve);
    process.send?.({ ready: true });
  }));
const report = (result) => {
  if (parentPort) parentPort.postMessage(result);
  else process.send?.(result, () => process.exit(0));
};
const datagrams = job.round.map((u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength));
const socket = createSocket('udp4');
let sendErrors = 0;
// Errors of a connected socket (ECONNREFUSED once the receiver has gone) are counted, not thrown.
socket.on('error', () => {
  sendErrors++;
});
const digits = Buffer.alloc(job.roundDigits);
let round = job.firstRound;
let index = 0;
let sent = 0;
let started = performance.now();

function next() {
  if (index === 0) {
    const text = String(round % 10 ** job.roundDigits).padStart(job.roundDigits, '0');
    digits.write(text, 'latin1');
  }
  const datagram = datagrams[index];
  for (const offset of job.patchOffsets[index]) digits.copy(datagram, offset);
  index++;
  if (index === datagrams.length) {
    index = 0;
    round++;
  }
  return datagram;
}

function done() {
  const finish = () => {
    socket.close();
    report({
      sent,
      rounds: round - job.firstRound,
      elapsedMillis: performance.now() - started,
      cpuMicros: threadCpuMicros() - cpuAtStart,
      sendErrors,
    });
  };
  if (socket.getSendQueueCount() === 0) finish();
  else setTimeout(done, 5);
}

function pump() {
  const elapsed = performance.now() - started;
  if (elapsed >= job.durationMillis) return done();
  const target = job.mode === 'rate' ? Math.floor((elapsed / 1000) * job.datagramsPerSecond) : Number.POSITIVE_INFINITY;
  let burst = 0;
  while (sent < target && socket.getSendQueueCount() < MAX_IN_FLIGHT && burst < 256) {
    sent++;
    burst++;
    // The datagram buffer is reused next round: a send libuv completes at once has been copied
    // into the kernel; one it queues is sent, in order, before the sender comes round to it again.
    socket.send(next());
  }
  if (job.mode === 'rate' && sent >= target) setTimeout(pump, 1);
  else setImmediate(pump);
}

// A connected socket and no send callback: the address is resolved once, not per datagram, and no
// JavaScript callback runs per send — the sender's CPU goes to the datagrams themselves (sendto on
// loopback also pays the kernel's delivery into the receiver's socket).
socket.connect(job.port, '127.0.0.1', () => {
  started = performance.now();
  pump();
});
