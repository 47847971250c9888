/**
 * Collector RSS as a user runs it: `npm run bench:collector-rss` builds the packages, starts the
 * built daemon (`collector/dist/main.js`, default config and caps, memory store) in its own
 * process, offers it 100k events/s of the ingest benchmark's datagrams from this process (a
 * worker thread), and samples the daemon's resident set once a second from /proc — so the
 * figure holds the collector alone, not the benchmark's sender, datagram rounds or TypeScript
 * loader, which `bench:collector` (everything in one process) counts too.
 * One shard (the main thread, as `bench:collector` builds it) unless BENCH_RSS_SHARDS says otherwise
 * (`auto` is the daemon's default: a worker thread with its own heap and store per core).
 * Knobs: BENCH_RSS_MILLIS (30 s; 600000 for the 10-minute flatness run), BENCH_RSS_EVENTS_PER_SECOND,
 * BENCH_RSS_SHARDS, BENCH_RSS_MAIN; NODE_OPTIONS reaches the daemon (e.g. `--max-semi-space-size=64`
 * replaces the 16 MB semi-spaces the daemon gives itself at start, src/cli/young-generation.ts: uncapped,
 * V8 grows the young generation to 128 MB over minutes of this load, which is most of the growth).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_MAX_PENDING_SPANS,
  DEFAULT_MAX_REMEMBERED_SPANS,
  DEFAULT_MEMORY_MAX_SPANS,
} from '../src/config/defaults.js';
import { buildRound } from './bench-datagrams.js';
import { send, sleep } from './udp-blast.js';

const RSS_MILLIS = Number(process.env.BENCH_RSS_MILLIS ?? 30_000);
const EVENTS_PER_SECOND = Number(process.env.BENCH_RSS_EVENTS_PER_SECOND ?? 100_000);
const SHARDS = process.env.BENCH_RSS_SHARDS ?? '1';
const RSS_TARGET_MB = 256;
/** Growth of the last third's mean over the middle third's still called flat. */
const FLAT_GROWTH = 0.05;
/** The daemon to run; BENCH_RSS_MAIN points at another build (an A/B run against another commit). */
const MAIN = process.env.BENCH_RSS_MAIN ?? fileURLToPath(new URL('../dist/main.js', import.meta.url));

const mb = (kb: number) => `${Math.round(kb / 1024)} MB`;

function residentKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
}

/** Starts the daemon on ephemeral ports; resolves with its UDP port and API URL from its start-up log line. */
function startDaemon(configFile: string): Promise<{ child: ChildProcess; udpPort: number; httpUrl: string }> {
  const child = spawn(
    process.execPath,
    [MAIN, '--config', configFile, '--udp-port', '0', '--http-port', '0', '--shards', SHARDS],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`collector exited with code ${code} before listening`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { udpPort?: number; httpUrl?: string };
        if (entry.udpPort !== undefined && entry.httpUrl !== undefined) {
          resolve({ child, udpPort: entry.udpPort, httpUrl: entry.httpUrl });
        }
      } catch {
        // Not a JSON log line.
      }
    });
  });
}

async function main() {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build:ts\` first`);
  const round = buildRound();
  const eventsPerDatagram = round.events / round.datagrams.length;
  const dir = mkdtempSync(join(tmpdir(), 'phosphor-rss-'));
  const configFile = join(dir, 'collector.yml');
  // Default caps and store; only the OTLP ports move off their fixed defaults.
  writeFileSync(configFile, 'otlp:\n  http:\n    port: 0\n  grpc:\n    port: 0\nlogging:\n  level: info\n');
  const { child, udpPort, httpUrl } = await startDaemon(configFile);
  try {
    await sleep(2000);
    const pid = child.pid as number;
    const idleKb = residentKb(pid);
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(residentKb(pid)), 1000);
    const sent = await send(round, udpPort, 'rate', RSS_MILLIS, EVENTS_PER_SECOND / eventsPerDatagram);
    clearInterval(sampler);
    const stats = (await (await fetch(`${httpUrl}/api/stats`)).json()) as {
      udp: { acceptedEvents: number; receivedDatagrams: number };
      storage: { storedSpans: number; evictedSpans: number };
    };
    const third = Math.max(1, Math.floor(samples.length / 3));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const middle = mean(samples.slice(third, 2 * third));
    const last = mean(samples.slice(2 * third));
    const growth = middle > 0 ? last / middle - 1 : 0;
    const maxKb = Math.max(...samples);
    const endKb = samples[samples.length - 1] ?? Number.NaN;
    const received = stats.udp.acceptedEvents / (sent.elapsedMillis / 1000);
    console.log(`collector process (node ${process.version}, ${MAIN} --shards ${SHARDS}): idle RSS ${mb(idleKb)}`);
    console.log(
      `offered ${EVENTS_PER_SECOND.toLocaleString('en-US')} events/s for ${RSS_MILLIS / 1000} s: ${Math.round(received).toLocaleString('en-US')} events/s accepted, loss ${((1 - stats.udp.receivedDatagrams / sent.sent) * 100).toFixed(3)} %; store ${stats.storage.storedSpans} spans (${stats.storage.evictedSpans} evicted)`,
    );
    console.log(`  RSS samples (MB, 1/s): ${samples.map((kb) => Math.round(kb / 1024)).join(' ')}`);
    console.log(
      `default caps: assembly.maxPendingSpans ${DEFAULT_MAX_PENDING_SPANS}, assembly.maxRememberedSpans ${DEFAULT_MAX_REMEMBERED_SPANS}, storage.memory.maxSpans ${DEFAULT_MEMORY_MAX_SPANS}`,
    );
    const met = maxKb <= RSS_TARGET_MB * 1024 && growth < FLAT_GROWTH;
    console.log(
      `| RSS ≤ ${RSS_TARGET_MB} MB at ${EVENTS_PER_SECOND.toLocaleString('en-US')} events/s for ${RSS_MILLIS / 1000} s, flat (collector process alone) | end ${mb(endKb)}, max ${mb(maxKb)}, last third vs middle third ${(growth * 100).toFixed(1)} % | ${met ? 'met' : '**missed**'} |`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
