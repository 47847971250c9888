/**
 * In-process ingest loop for profiling: the benchmark's datagrams fed to `collector.ingest()` for
 * PROFILE_MILLIS, no socket. `node --cpu-prof --import tsx collector/bench/profile-ingest.ts`
 * writes a .cpuprofile. Knobs for what-if runs: PROFILE_SKEW=off, PROFILE_MAX_SPANS (memory store
 * cap), PROFILE_REMEMBERED (assembly.maxRememberedSpans), PROFILE_EVENTS (a fixed event count
 * instead of PROFILE_MILLIS, for memory A/B runs), PROFILE_WARMUP_MILLIS (untimed ingest first,
 * default 3000; 0 times from the start), PROFILE_CPU_FILE (a .cpuprofile of the timed window only),
 * PROFILE_V8_FLAGS (V8 flags set at run time),
 * PROFILE_SNAPSHOT (a heap snapshot file written at the end). With --expose-gc it prints the live
 * heap after a full GC and the peak RSS sampled once per round (sampled only then).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { buildCollector } from '../src/app.js';
import { loadConfig } from '../src/config/load-config.js';
import { buildRound, ROUND_DIGITS } from './bench-datagrams.js';

const PROFILE_MILLIS = Number(process.env.PROFILE_MILLIS ?? 8000);
/**
 * Rounds ingested before the timed window: the first seconds grow the tables to the caps and
 * compile the hot path, which is not the steady state the per-event figure is about.
 */
const PROFILE_WARMUP_MILLIS = Number(process.env.PROFILE_WARMUP_MILLIS ?? 3000);
/** Stop after this many events instead (same work for A/B runs of memory); 0 = time-bound. */
const PROFILE_EVENTS = Number(process.env.PROFILE_EVENTS ?? 0);

if (process.env.PROFILE_V8_FLAGS) setFlagsFromString(process.env.PROFILE_V8_FLAGS);

const round = buildRound();
const collector = await buildCollector(
  loadConfig({
    values: {
      udp: { port: 0 },
      http: { port: 0 },
      otlp: { http: { port: 0 }, grpc: { port: 0 } },
      logging: { level: 'silent' },
      assembly: {
        skewCorrection: process.env.PROFILE_SKEW !== 'off',
        maxRememberedSpans: Number(process.env.PROFILE_REMEMBERED ?? 200_000),
      },
      storage: { memory: { maxSpans: Number(process.env.PROFILE_MAX_SPANS ?? 200_000) } },
    },
  }),
);
let events = 0;
let peakRss = 0;
let r = 0;
const digitBytes = new Uint8Array(ROUND_DIGITS);
// Patched byte by byte: a Buffer.write call per id was ~6 % of the loop's profile, not the collector's.
const ingestRound = (): void => {
  const digits = String(r++).padStart(ROUND_DIGITS, '0').slice(-ROUND_DIGITS);
  for (let k = 0; k < ROUND_DIGITS; k++) digitBytes[k] = digits.charCodeAt(k);
  for (let i = 0; i < round.datagrams.length; i++) {
    const d = round.datagrams[i] as Buffer;
    const offsets = round.patchOffsets[i] as number[];
    for (let o = 0; o < offsets.length; o++) d.set(digitBytes, offsets[o] as number);
    collector.ingest(d);
  }
};
const gc = (globalThis as { gc?: () => void }).gc;
const warmupStart = performance.now();
while (performance.now() - warmupStart < PROFILE_WARMUP_MILLIS) ingestRound();
// PROFILE_CPU_FILE: a .cpuprofile of the timed window only (after the warm-up), unlike --cpu-prof.
const session = process.env.PROFILE_CPU_FILE ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
const cpuStart = process.cpuUsage();
const start = performance.now();
while (PROFILE_EVENTS > 0 ? events < PROFILE_EVENTS : performance.now() - start < PROFILE_MILLIS) {
  ingestRound();
  events += round.events;
  // Only printed with --expose-gc; sampling it otherwise would cost the loop a system call per round.
  if (gc) peakRss = Math.max(peakRss, process.memoryUsage.rss());
}
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
if (session) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(process.env.PROFILE_CPU_FILE as string, JSON.stringify(profile));
  session.disconnect();
}
console.log(
  `${Math.round(events / seconds).toLocaleString('en-US')} events/s in-process (${((1e6 * seconds) / events).toFixed(2)} µs/event wall, ${((cpu.user + cpu.system) / events).toFixed(2)} µs/event CPU)`,
);
if (gc) {
  gc();
  const m = process.memoryUsage();
  console.log(
    `live heap after GC ${(m.heapUsed / 1048576).toFixed(1)} MB, heap total ${(m.heapTotal / 1048576).toFixed(1)} MB, RSS ${(m.rss / 1048576).toFixed(1)} MB (peak ${(peakRss / 1048576).toFixed(1)} MB), external ${(m.external / 1048576).toFixed(1)} MB, array buffers ${(m.arrayBuffers / 1048576).toFixed(1)} MB`,
  );
}
if (process.env.PROFILE_SNAPSHOT) writeHeapSnapshot(process.env.PROFILE_SNAPSHOT);
console.log(collector.assembler.stats(), collector.store.stats(), collector.receiver.stats().invalidEvents);
await collector.close();
