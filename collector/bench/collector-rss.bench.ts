/**
 * Collector RSS as a user runs it: `npm run bench:collector-rss` builds the packages, starts the
 * built daemon (`collector/dist/main.js`, default config and caps, memory store) in its own
 * process, offers it 100k events/s of the ingest benchmark's datagrams from this process (a
 * worker thread), and samples the daemon's resident set once a second from /proc — so the
 * figure holds the collector alone, not the benchmark's sender, datagram rounds or TypeScript
 * loader (`bench:collector` runs the same measurement for 30 s; this command is the long run).
 * One shard (the main thread, as `bench:collector` builds it) unless BENCH_RSS_SHARDS says otherwise
 * (`auto` is the daemon's default: a worker thread with its own heap and store per core).
 * Knobs: BENCH_RSS_MILLIS (30 s; 600000 for the 10-minute flatness run), BENCH_RSS_EVENTS_PER_SECOND,
 * BENCH_RSS_SHARDS, BENCH_RSS_MAIN; NODE_OPTIONS reaches the daemon (e.g. `--max-semi-space-size=64`
 * replaces the 16 MB semi-spaces the daemon gives itself at start, src/cli/memory-caps.ts: uncapped,
 * V8 grows the young generation to 128 MB over minutes of this load, which is most of the growth).
 */
import {
  DEFAULT_MAX_PENDING_SPANS,
  DEFAULT_MAX_REMEMBERED_SPANS,
  DEFAULT_MEMORY_MAX_SPANS,
} from '../src/config/defaults.js';
import { buildRound } from './bench-datagrams.js';
import { DAEMON_MAIN, mb, measureDaemonRss, RSS_TARGET_MB } from './daemon-rss.js';

const RSS_MILLIS = Number(process.env.BENCH_RSS_MILLIS ?? 30_000);
const EVENTS_PER_SECOND = Number(process.env.BENCH_RSS_EVENTS_PER_SECOND ?? 100_000);
const SHARDS = process.env.BENCH_RSS_SHARDS ?? '1';

const rss = await measureDaemonRss(buildRound(), {
  millis: RSS_MILLIS,
  eventsPerSecond: EVENTS_PER_SECOND,
  shards: SHARDS,
});
console.log(
  `collector process (node ${process.version}, ${DAEMON_MAIN} --shards ${SHARDS}): idle RSS ${mb(rss.idleKb)}`,
);
console.log(
  `offered ${EVENTS_PER_SECOND.toLocaleString('en-US')} events/s for ${RSS_MILLIS / 1000} s: ${Math.round(rss.acceptedEventsPerSecond).toLocaleString('en-US')} events/s accepted, loss ${(rss.loss * 100).toFixed(3)} %; store ${rss.storedSpans} spans (${rss.evictedSpans} evicted)`,
);
console.log(`  RSS samples (MB, 1/s): ${rss.samplesKb.map((kb) => Math.round(kb / 1024)).join(' ')}`);
console.log(
  `default caps: assembly.maxPendingSpans ${DEFAULT_MAX_PENDING_SPANS}, assembly.maxRememberedSpans ${DEFAULT_MAX_REMEMBERED_SPANS}, storage.memory.maxSpans ${DEFAULT_MEMORY_MAX_SPANS}`,
);
console.log(
  `| RSS ≤ ${RSS_TARGET_MB} MB at ${EVENTS_PER_SECOND.toLocaleString('en-US')} events/s for ${RSS_MILLIS / 1000} s, flat (collector process alone) | end ${mb(rss.endKb)}, max ${mb(rss.maxKb)}, last third vs middle third ${(rss.growth * 100).toFixed(1)} % | ${rss.met ? 'met' : '**missed**'} |`,
);
