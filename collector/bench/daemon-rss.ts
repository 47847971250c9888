/**
 * The collector's resident set as a user runs it: the built daemon (`collector/dist/main.js`, default
 * config and caps, memory store) in its own process, offered a steady rate of the ingest benchmark's
 * datagrams from this process (a worker thread), its RSS read from /proc once a second — so the
 * figure holds the collector alone, not a benchmark's sender, datagram rounds or TypeScript loader.
 * Used by `bench:collector` (30 s) and `bench:collector-rss` (10 minutes for flatness).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Round } from './bench-datagrams.js';
import { send, sleep } from './udp-blast.js';

export const RSS_TARGET_MB = 256;
/** Growth of the last third's mean over the middle third's still called flat. */
export const FLAT_GROWTH = 0.05;
/** The built daemon; BENCH_RSS_MAIN points at another build (an A/B run against another commit). */
export const DAEMON_MAIN = process.env.BENCH_RSS_MAIN ?? fileURLToPath(new URL('../dist/main.js', import.meta.url));

export interface DaemonRss {
  idleKb: number;
  /** One sample a second while the load ran. */
  samplesKb: number[];
  endKb: number;
  maxKb: number;
  /** Last third's mean over the middle third's, minus 1 (the store fills in the first third). */
  growth: number;
  acceptedEventsPerSecond: number;
  loss: number;
  storedSpans: number;
  evictedSpans: number;
  /** True when the maximum stays within RSS_TARGET_MB and the growth under FLAT_GROWTH. */
  met: boolean;
}

export const mb = (kb: number) => `${Math.round(kb / 1024)} MB`;

function residentKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
}

/** Starts the daemon on ephemeral ports; resolves with its UDP port and API URL from its start-up log line. */
function startDaemon(
  configFile: string,
  shards: string,
): Promise<{ child: ChildProcess; udpPort: number; httpUrl: string }> {
  const child = spawn(
    process.execPath,
    [DAEMON_MAIN, '--config', configFile, '--udp-port', '0', '--http-port', '0', '--shards', shards],
    { stdio: ['ignore', 'pipe', 'inherit'] },
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

/** Runs the daemon under `eventsPerSecond` of `round`'s datagrams for `millis` and samples its RSS. */
export async function measureDaemonRss(
  round: Round,
  opts: { millis: number; eventsPerSecond: number; shards: string },
): Promise<DaemonRss> {
  if (!existsSync(DAEMON_MAIN)) throw new Error(`${DAEMON_MAIN} is missing: run \`npm run build:ts\` first`);
  const eventsPerDatagram = round.events / round.datagrams.length;
  const dir = mkdtempSync(join(tmpdir(), 'phosphor-rss-'));
  const configFile = join(dir, 'collector.yml');
  // Default caps and store; only the OTLP ports move off their fixed defaults.
  writeFileSync(configFile, 'otlp:\n  http:\n    port: 0\n  grpc:\n    port: 0\nlogging:\n  level: info\n');
  const { child, udpPort, httpUrl } = await startDaemon(configFile, opts.shards);
  try {
    await sleep(2000);
    const pid = child.pid as number;
    const idleKb = residentKb(pid);
    const samplesKb: number[] = [];
    const sampler = setInterval(() => samplesKb.push(residentKb(pid)), 1000);
    const sent = await send(round, udpPort, 'rate', opts.millis, opts.eventsPerSecond / eventsPerDatagram);
    clearInterval(sampler);
    const stats = (await (await fetch(`${httpUrl}/api/stats`)).json()) as {
      udp: { acceptedEvents: number; receivedDatagrams: number };
      storage: { storedSpans: number; evictedSpans: number };
    };
    const third = Math.max(1, Math.floor(samplesKb.length / 3));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const middle = mean(samplesKb.slice(third, 2 * third));
    const growth = middle > 0 ? mean(samplesKb.slice(2 * third)) / middle - 1 : 0;
    const maxKb = Math.max(...samplesKb);
    return {
      idleKb,
      samplesKb,
      endKb: samplesKb[samplesKb.length - 1] ?? Number.NaN,
      maxKb,
      growth,
      acceptedEventsPerSecond: stats.udp.acceptedEvents / (sent.elapsedMillis / 1000),
      loss: 1 - stats.udp.receivedDatagrams / sent.sent,
      storedSpans: stats.storage.storedSpans,
      evictedSpans: stats.storage.evictedSpans,
      met: maxKb <= RSS_TARGET_MB * 1024 && growth < FLAT_GROWTH,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
