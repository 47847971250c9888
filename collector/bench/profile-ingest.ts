/**
 * In-process ingest loop for profiling: the benchmark's datagrams fed to `collector.ingest()` for
 * PROFILE_MILLIS, no socket. `node --cpu-prof --import tsx collector/bench/profile-ingest.ts`
 * writes a .cpuprofile. Knobs for what-if runs: PROFILE_SKEW=off, PROFILE_MAX_SPANS (memory store
 * cap), PROFILE_REMEMBERED (assembly.maxRememberedSpans).
 */
import { buildCollector } from '../src/app.js';
import { loadConfig } from '../src/config/load-config.js';
import { buildRound, ROUND_DIGITS } from './bench-datagrams.js';

const PROFILE_MILLIS = Number(process.env.PROFILE_MILLIS ?? 8000);

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
const cpuStart = process.cpuUsage();
const start = performance.now();
for (let r = 0; performance.now() - start < PROFILE_MILLIS; r++) {
  const digits = String(r).padStart(ROUND_DIGITS, '0').slice(-ROUND_DIGITS);
  for (let i = 0; i < round.datagrams.length; i++) {
    const d = round.datagrams[i] as Buffer;
    for (const offset of round.patchOffsets[i] as number[]) d.write(digits, offset, 'latin1');
    collector.ingest(d);
  }
  events += round.events;
}
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
console.log(
  `${Math.round(events / seconds).toLocaleString('en-US')} events/s in-process (${((1e6 * seconds) / events).toFixed(2)} µs/event wall, ${((cpu.user + cpu.system) / events).toFixed(2)} µs/event CPU)`,
);
console.log(collector.assembler.stats(), collector.store.stats(), collector.receiver.stats().invalidEvents);
await collector.close();
