/**
 * How long a freshly started ID server takes to reach its steady rate, traced against untraced:
 * `node --conditions=@phosphor/source --import tsx services/id-generator/bench/warm-up-curve.ts`.
 *
 * BENCH_GENERATIONS (default 8) times, a fresh untraced and a fresh traced ID server (bench-servers.ts,
 * the traced one sending to a local UDP sink; the start order alternates) are loaded in turn for one
 * second each, BENCH_ROUNDS (default 8) rounds, from their first request on. Printed: per round, the
 * traced server's req/s as a percentage of the untraced one's in every generation and their median,
 * then the median of the first two rounds against that of the rest. It is what `bench:ids`'s warm-up
 * (BENCH_WARMUP_SECONDS) is chosen by: the pairs it records must come after the rounds that still climb.
 */
import { loadavg } from 'node:os';
import { CONCURRENCY, httpRequests, median, startBenchServer, startSink, stopBenchServer } from './bench-children.js';

const GENERATIONS = Number(process.env.BENCH_GENERATIONS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
if (!(GENERATIONS >= 1 && ROUNDS >= 3)) throw new Error('BENCH_GENERATIONS ≥ 1 and BENCH_ROUNDS ≥ 3');
/** The first rounds, compared with the rest. */
const EARLY_ROUNDS = 2;

const { sink, port: sinkPort } = await startSink();
const loadAtStart = loadavg();
/** ratios[round][generation]: traced req/s as % of untraced. */
const ratios: number[][] = Array.from({ length: ROUNDS }, () => []);
for (let generation = 0; generation < GENERATIONS; generation++) {
  const tracedFirst = generation % 2 === 1;
  const first = await startBenchServer(tracedFirst ? 'id-on' : 'id-off', sinkPort);
  const second = await startBenchServer(tracedFirst ? 'id-off' : 'id-on', sinkPort);
  const [off, on] = tracedFirst ? [second, first] : [first, second];
  const offUrl = off.addresses.http!;
  const onUrl = on.addresses.http!;
  for (let round = 0; round < ROUNDS; round++) {
    // The order alternates per round, as in ids.bench.ts.
    let untraced: number;
    let traced: number;
    if (round % 2 === 0) {
      untraced = await httpRequests(offUrl, 1);
      traced = await httpRequests(onUrl, 1);
    } else {
      traced = await httpRequests(onUrl, 1);
      untraced = await httpRequests(offUrl, 1);
    }
    (ratios[round] as number[]).push((100 * traced) / untraced);
  }
  for (const server of [on, off]) await stopBenchServer(server);
}
sink.send('exit');

console.log(
  `node ${process.version}, ${GENERATIONS} generations × ${ROUNDS} one-second rounds, ${CONCURRENCY} connections`,
);
console.log('');
console.log('| round (s under load) | traced / untraced req/s, per generation | median |');
console.log('|---:|---|---:|');
ratios.forEach((values, round) => {
  console.log(`| ${round + 1} | ${values.map((v) => v.toFixed(1)).join(' / ')} | ${median(values).toFixed(1)} % |`);
});
const early = ratios.slice(0, EARLY_ROUNDS).flat();
const later = ratios.slice(EARLY_ROUNDS).flat();
console.log('');
console.log(
  `rounds 1–${EARLY_ROUNDS}: median ${median(early).toFixed(1)} % (${early.length} pairs); rounds ${EARLY_ROUNDS + 1}–${ROUNDS}: median ${median(later).toFixed(1)} % (${later.length} pairs)`,
);
const loadAtEnd = loadavg();
console.log(
  `load average (1/5/15 min) at the start: ${loadAtStart.map((l) => l.toFixed(2)).join(' / ')}; at the end: ${loadAtEnd.map((l) => l.toFixed(2)).join(' / ')}`,
);
