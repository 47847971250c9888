/**
 * `npm run bench:cluster`: the distributed mode on this machine against real Kafka and Elasticsearch.
 *  1. 1 receiver + 1 assembler vs 2 receivers + 2 assemblers at the same offered load (hops whose two halves go
 *     to different receivers when there are two): spans stored per second, event → searchable span latency
 *     (p50/p99, sampled hops looked up in Elasticsearch without forcing a refresh), consumer lag at the end.
 *  2. A 60 s Elasticsearch outage under load (2 + 2): the lag while it is down, and how long after Elasticsearch
 *     answers again the lag takes to come back to its steady level.
 * Needs `bash test/infra/backends.sh start` (PHOSPHOR_* ports as for the tests). Prints one table.
 * Env: BENCH_HOPS_PER_SECOND (default 1500), BENCH_SECONDS (default 20), BENCH_OUTAGE_SECONDS (default 60).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBackend, startBackend, stopBackend } from '../../support/backends.js';
import { type ClusterSettings, type Member, memberJson, startMember } from '../support/cluster-members.js';
import { HopTraffic, type SentHop } from '../support/hop-traffic.js';

const HOPS_PER_SECOND = Number(process.env.BENCH_HOPS_PER_SECOND ?? 1500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const OUTAGE_SECONDS = Number(process.env.BENCH_OUTAGE_SECONDS ?? 60);
/** One hop in this many is timed from send to searchable. */
const SAMPLE_EVERY = 25;

interface ClusterStats {
  totals: { lag: number; consumedEvents: number; droppedEvents: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Watches sampled hops until Elasticsearch finds them; records send → searchable latency. */
class SearchableProbe {
  readonly latencies: number[] = [];
  private waiting: SentHop[] = [];
  private seen = 0;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly esUrl: string,
    private readonly index: string,
    private readonly traffic: HopTraffic,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const sent = this.traffic.sent;
      for (; this.seen < sent.length; this.seen++)
        if (this.seen % SAMPLE_EVERY === 0) this.waiting.push(sent[this.seen]!);
      const batch = this.waiting.slice(0, 500);
      if (batch.length > 0) {
        try {
          const res = await fetch(`${this.esUrl}/${this.index}/_search`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              size: batch.length,
              _source: false,
              query: { ids: { values: batch.map((h) => `${h.traceId}-${h.spanId}`) } },
            }),
          });
          if (res.ok) {
            const now = performance.now();
            const body = (await res.json()) as { hits: { hits: { _id: string }[] } };
            const found = new Set(body.hits.hits.map((h) => h._id));
            this.waiting = this.waiting.filter((h) => {
              if (!found.has(`${h.traceId}-${h.spanId}`)) return true;
              this.latencies.push(now - h.sentAtMillis);
              return false;
            });
          }
        } catch {
          // Elasticsearch down (outage phase): keep waiting.
        }
      }
      await sleep(100);
    }
  }

  get outstanding(): number {
    return this.waiting.length;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

async function storedCount(esUrl: string, index: string): Promise<number> {
  const res = await fetch(`${esUrl}/${index}/_count`);
  if (!res.ok) return 0;
  return ((await res.json()) as { count: number }).count;
}

interface TopologyResult {
  name: string;
  offeredHopsPerSecond: number;
  storedHopsPerSecond: number;
  p50Millis: number;
  p99Millis: number;
  lagAtEnd: number;
  drainSeconds: number;
}

async function runTopology(base: ClusterSettings, receivers: number, assemblers: number): Promise<TopologyResult> {
  const tag = `${receivers}r${assemblers}a-${Date.now()}`;
  const settings: ClusterSettings = {
    ...base,
    topic: `${base.topic}-${tag}`,
    clusterTopic: `${base.clusterTopic}-${tag}`,
    groupId: `${base.groupId}-${tag}`,
    indexPrefix: `${base.indexPrefix}-${tag}`,
  };
  const members: Member[] = await Promise.all([
    ...Array.from({ length: receivers }, (_, i) => startMember(settings, 'receiver', `r${i}-${tag}`)),
    ...Array.from({ length: assemblers }, (_, i) => startMember(settings, 'assembler', `a${i}-${tag}`)),
  ]);
  const rs = members.filter((m) => m.role === 'receiver');
  const index = `${settings.indexPrefix}-*`;
  try {
    // Let the group settle (one rebalance per member) before measuring.
    await sleep(8000);
    const traffic = new HopTraffic({
      callerPort: rs[0]!.udpPort,
      calleePort: rs[rs.length - 1]!.udpPort,
      hopsPerSecond: HOPS_PER_SECOND,
    });
    const probe = new SearchableProbe(settings.esUrl, index, traffic);
    const startStored = await storedCount(settings.esUrl, index);
    traffic.start();
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const stored = (await storedCount(settings.esUrl, index)) - startStored;
    const elapsed = (performance.now() - t0) / 1000;
    await traffic.stop();
    const lag = (await memberJson<ClusterStats>(rs[0]!, '/api/cluster')).totals.lag;
    const drainStart = performance.now();
    while (probe.outstanding > 0 && performance.now() - drainStart < 120_000) await sleep(200);
    const drainSeconds = (performance.now() - drainStart) / 1000;
    await probe.stop();
    const sorted = [...probe.latencies].sort((a, b) => a - b);
    return {
      name: `${receivers} receiver(s) + ${assemblers} assembler(s)`,
      offeredHopsPerSecond: traffic.sent.length / elapsed,
      storedHopsPerSecond: stored / elapsed,
      p50Millis: quantile(sorted, 0.5),
      p99Millis: quantile(sorted, 0.99),
      lagAtEnd: lag,
      drainSeconds,
    };
  } finally {
    for (const m of members) m.child.kill('SIGKILL');
    await Promise.all(members.map((m) => m.exited));
    await fetch(`${settings.esUrl}/${index}`, { method: 'DELETE' }).catch(() => undefined);
  }
}

async function runOutage(base: ClusterSettings): Promise<string[]> {
  const tag = `outage-${Date.now()}`;
  const settings: ClusterSettings = {
    ...base,
    topic: `${base.topic}-${tag}`,
    clusterTopic: `${base.clusterTopic}-${tag}`,
    groupId: `${base.groupId}-${tag}`,
    indexPrefix: `${base.indexPrefix}-${tag}`,
  };
  const members = await Promise.all([
    startMember(settings, 'receiver', `r0-${tag}`),
    startMember(settings, 'receiver', `r1-${tag}`),
    startMember(settings, 'assembler', `a0-${tag}`),
    startMember(settings, 'assembler', `a1-${tag}`),
  ]);
  const lines: string[] = [];
  const lagOf = async () => (await memberJson<ClusterStats>(members[0]!, '/api/cluster')).totals.lag;
  const rate = Math.floor(HOPS_PER_SECOND / 3);
  try {
    await sleep(8000);
    const traffic = new HopTraffic({
      callerPort: members[0]!.udpPort,
      calleePort: members[1]!.udpPort,
      hopsPerSecond: rate,
    });
    traffic.start();
    await sleep(10_000);
    const steady = await lagOf();
    await stopBackend('elasticsearch');
    const down = performance.now();
    await sleep(OUTAGE_SECONDS * 1000);
    const lagDown = await lagOf();
    await startBackend('elasticsearch');
    const up = performance.now();
    const outageSeconds = (up - down) / 1000;
    let recovered = Number.NaN;
    let maxLag = lagDown;
    while (performance.now() - up < 300_000) {
      const lag = await lagOf().catch(() => Number.NaN);
      if (lag > maxLag) maxLag = lag;
      if (lag <= Math.max(steady * 2, rate * 2)) {
        recovered = (performance.now() - up) / 1000;
        break;
      }
      await sleep(500);
    }
    await traffic.stop();
    lines.push(
      `ES outage under ${rate * 4} events/s (2 receivers + 2 assemblers): Elasticsearch down ${outageSeconds.toFixed(0)} s ` +
        `(stop + ${OUTAGE_SECONDS} s + start); lag steady ${steady} → ${lagDown} records at the end of the outage (max seen ${maxLag}); ` +
        `back to steady ${Number.isNaN(recovered) ? 'NOT within 300 s' : `${recovered.toFixed(1)} s after Elasticsearch answered`}`,
    );
    return lines;
  } finally {
    for (const m of members) m.child.kill('SIGKILL');
    await Promise.all(members.map((m) => m.exited));
    await fetch(`${settings.esUrl}/${settings.indexPrefix}-*`, { method: 'DELETE' }).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const esUrl = await requireBackend('elasticsearch');
  const brokers = await requireBackend('kafka');
  const dir = mkdtempSync(join(tmpdir(), 'phosphor-bench-cluster-'));
  const base: ClusterSettings = {
    dir,
    brokers,
    esUrl,
    topic: 'bench-events',
    clusterTopic: 'bench-cluster',
    groupId: 'bench-assemblers',
    indexPrefix: 'bench-cluster-spans',
    partitions: 12,
    spanTimeoutMillis: 2000,
    sessionTimeoutMillis: 10_000,
  };
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(
    `node ${process.version}; load average at start ${load()}; offered ${HOPS_PER_SECOND} hops/s (${HOPS_PER_SECOND * 4} events/s) for ${SECONDS} s`,
  );
  try {
    const results: TopologyResult[] = [];
    for (const [r, a] of [
      [1, 1],
      [2, 2],
    ] as const) {
      results.push(await runTopology(base, r, a));
    }
    console.log(
      '| topology | offered hops/s | stored hops/s | event → searchable p50 | p99 | lag at end (records) | sampled hops drained after stop |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const r of results) {
      console.log(
        `| ${r.name} | ${r.offeredHopsPerSecond.toFixed(0)} | ${r.storedHopsPerSecond.toFixed(0)} | ${r.p50Millis.toFixed(0)} ms | ${r.p99Millis.toFixed(0)} ms | ${r.lagAtEnd} | ${r.drainSeconds.toFixed(1)} s |`,
      );
    }
    const [one, two] = results;
    console.log(`2+2 / 1+1 stored rate: ${(two!.storedHopsPerSecond / one!.storedHopsPerSecond).toFixed(2)}×`);
    for (const line of await runOutage(base)) console.log(line);
    console.log(`load average at end ${load()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
