/**
 * The distributed mode against real Kafka and real Elasticsearch: 2 receivers, 3 assemblers, one broker.
 * Every hop's caller half goes to one receiver and its callee half to the other. Under traffic an assembler
 * is SIGKILLed, a fourth joins, and the broker is restarted; afterwards every hop the receivers accepted is
 * in Elasticsearch exactly once and whole, and the counters add up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBackend, startBackend, stopBackend } from '../support/backends.js';
import { poll } from '../support/helpers.js';
import { type ClusterSettings, type Member, memberJson, startMember } from './support/cluster-members.js';
import { HopTraffic } from './support/hop-traffic.js';

/** 100 hops/s = 400 events/s through 6 processes on 2 shared cores: the point is correctness, not rate. */
const HOPS_PER_SECOND = 100;
const PHASE_MILLIS = 6000;

interface ReceiverStats {
  udp: { acceptedEvents: number; rejectedDatagrams: number };
  cluster: { kafka: { producedEvents: number; droppedEvents: number; bufferedEvents: number } };
}
interface AssemblerStats {
  cluster: {
    kafka: {
      consumedEvents: number;
      badRecords: Record<string, number>;
      lostWrites: number;
      resets: number;
      rewoundRecords: number;
      skippedRecords: number;
      stalls: number;
      paused: number;
      lag: number;
    };
  };
  storage: { spoolPendingSpans: number; spoolBytes: number; queuedSpans: number; droppedSpans: number };
}

async function es<T>(
  url: string,
  path: string,
  body?: unknown,
  method = body === undefined ? 'GET' : 'POST',
): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

describe('cluster: receivers → Kafka → assemblers → Elasticsearch', () => {
  let dir: string;
  let settings: ClusterSettings;
  const members: Member[] = [];

  beforeAll(async () => {
    const esUrl = await requireBackend('elasticsearch');
    const brokers = await requireBackend('kafka');
    const run = `${Date.now()}`;
    dir = mkdtempSync(join(tmpdir(), 'phosphor-cluster-'));
    settings = {
      dir,
      brokers,
      esUrl,
      topic: `phosphor-events-test-${run}`,
      clusterTopic: `phosphor-cluster-test-${run}`,
      groupId: `phosphor-assemblers-test-${run}`,
      indexPrefix: `phosphor-cluster-test-${run}`,
      partitions: 6,
      spanTimeoutMillis: 1000,
      sessionTimeoutMillis: 6000,
    };
  });

  afterAll(async () => {
    for (const member of members) member.child.kill('SIGKILL');
    await Promise.all(members.map((m) => m.exited));
    await fetch(`${settings.esUrl}/${settings.indexPrefix}-*`, { method: 'DELETE' }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9 an assembler, add one, restart the broker: every accepted hop is stored once and whole', async () => {
    // allSettled: members that did start are still killed by afterAll when another one failed to.
    const started = await Promise.allSettled([
      startMember(settings, 'receiver', 'receiver-a'),
      startMember(settings, 'receiver', 'receiver-b'),
      startMember(settings, 'assembler', 'assembler-1'),
      startMember(settings, 'assembler', 'assembler-2'),
      startMember(settings, 'assembler', 'assembler-3'),
    ]);
    for (const r of started) if (r.status === 'fulfilled') members.push(r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [receiverA, receiverB, ...assemblers] = members;
    const traffic = new HopTraffic({
      callerPort: receiverA!.udpPort,
      calleePort: receiverB!.udpPort,
      hopsPerSecond: HOPS_PER_SECOND,
    });
    traffic.start();
    try {
      await new Promise((r) => setTimeout(r, PHASE_MILLIS));
      const victim = assemblers[0]!;
      victim.child.kill('SIGKILL');
      expect(await victim.exited).toBe('SIGKILL');
      await new Promise((r) => setTimeout(r, PHASE_MILLIS));
      members.push(await startMember(settings, 'assembler', 'assembler-4'));
      await new Promise((r) => setTimeout(r, PHASE_MILLIS));
      await stopBackend('kafka');
      await new Promise((r) => setTimeout(r, 2000));
      await startBackend('kafka');
      await new Promise((r) => setTimeout(r, PHASE_MILLIS));
    } finally {
      await traffic.stop();
    }
    const sent = traffic.sent;
    const live = members.filter((m) => m.child.exitCode === null && m.child.signalCode === null);
    const receivers = live.filter((m) => m.role === 'receiver');
    const liveAssemblers = live.filter((m) => m.role === 'assembler');

    // Receivers drain their buffers into Kafka once the broker is back.
    const receiverStats = await poll(
      async () => {
        const stats = await Promise.all(receivers.map((r) => memberJson<ReceiverStats>(r, '/api/stats')));
        return stats.every((s) => s.cluster.kafka.bufferedEvents === 0) ? stats : undefined;
      },
      { timeoutMillis: 60_000, what: 'receivers to empty their Kafka buffers' },
    );
    const accepted = receiverStats.reduce((n, s) => n + s.udp.acceptedEvents, 0);
    const produced = receiverStats.reduce((n, s) => n + s.cluster.kafka.producedEvents, 0);
    const dropped = receiverStats.reduce((n, s) => n + s.cluster.kafka.droppedEvents, 0);
    console.info(
      `cluster: sent ${sent.length} hops (${traffic.sentEvents} events); accepted ${accepted}, produced ${produced}, dropped ${dropped}`,
    );
    // Loopback at 400 events/s loses nothing; the buffer (100k records) outlasts the broker restart.
    expect(accepted).toBe(traffic.sentEvents);
    expect(dropped).toBe(0);
    expect(produced).toBe(accepted);

    // Every hop is in Elasticsearch, once (document ids), whole (all four events).
    const index = `${settings.indexPrefix}-*`;
    let lastCounts = '';
    const stored = await poll(
      async () => {
        await es(settings.esUrl, `/${index}/_refresh`, undefined, 'POST');
        const { count } = await es<{ count: number }>(settings.esUrl, `/${index}/_count`);
        const { count: whole } = await es<{ count: number }>(settings.esUrl, `/${index}/_count`, {
          query: { term: { 'phosphor.complete': true } },
        });
        lastCounts = `${count} stored, ${whole} whole`;
        return whole === sent.length ? { count, whole } : undefined;
      },
      { timeoutMillis: 120_000, what: `${sent.length} whole spans in Elasticsearch`, intervalMillis: 1000 },
    ).catch(async (err: Error) => {
      // Each assembler's Kafka counters and partitions: the stats' other sections do not say why spans are missing.
      const stats = await Promise.all(
        liveAssemblers.map(async (a) => {
          const s = await memberJson<{ cluster?: { kafka?: Record<string, unknown> } }>(a, '/api/stats').catch(
            () => undefined,
          );
          const { assembly: _assembly, ...kafka } = s?.cluster?.kafka ?? {};
          return { member: a.name, kafka };
        }),
      );
      // The assemblers' own logs say what their Kafka clients did (rebalances, reconnects).
      for (const a of liveAssemblers)
        console.error(`${a.name} log (last lines):\n${a.stdout().split('\n').slice(-40).join('\n')}`);
      throw new Error(`${err.message}; last: ${lastCounts}; assemblers: ${JSON.stringify(stats).slice(0, 4000)}`);
    });
    expect(stored.count).toBe(sent.length);
    // Exactly the hops sent: look a sample up by id.
    const sample = sent.filter((_, i) => i % Math.max(1, Math.floor(sent.length / 50)) === 0);
    const found = await es<{ hits: { total: { value: number } } }>(settings.esUrl, `/${index}/_search`, {
      size: 0,
      track_total_hits: true,
      query: { ids: { values: sample.map((h) => `${h.traceId}-${h.spanId}`) } },
    });
    expect(found.hits.total.value).toBe(sample.length);

    // Assemblers: nothing rejected, nothing lost, and together they consumed at least every event (a
    // crash and a broker restart replay some records: more, never fewer).
    const assemblerStats = await Promise.all(liveAssemblers.map((a) => memberJson<AssemblerStats>(a, '/api/stats')));
    for (const s of assemblerStats) {
      expect(Object.values(s.cluster.kafka.badRecords).reduce((a, b) => a + b, 0)).toBe(0);
      expect(s.cluster.kafka.lostWrites).toBe(0);
    }
    // Cluster-wide views from any member: every live member listed with lag and loss, the dependency graph
    // merged across assemblers.
    interface ClusterView {
      members: { member: string; role: string; state: string; summary: Record<string, number> }[];
      totals: { receivers: number; assemblers: number; droppedEvents: number };
    }
    let lastView: ClusterView | undefined;
    const view = await poll(
      async () => {
        const v = await memberJson<ClusterView>(receivers[0]!, '/api/cluster');
        lastView = v;
        const up = v.members.filter((m) => m.state === 'up');
        // An assembler reports lag -1 (unknown) until its first lag poll after a rebalance: members
        // publish every second, so wait for a status in which every assembler's lag is known.
        const lagsKnown = up.filter((m) => m.role === 'assembler').every((m) => (m.summary.lag ?? -1) >= 0);
        return v.totals.receivers === receivers.length &&
          v.totals.assemblers === liveAssemblers.length &&
          up.length >= 5 &&
          lagsKnown
          ? v
          : undefined;
      },
      // After the broker restart an assembler's lag stays unknown until its client has reconnected and a lag
      // poll (every 2 s) succeeded: on a loaded machine that has taken more than 30 s.
      { timeoutMillis: 90_000, what: 'every live member in /api/cluster with its lag known' },
    ).catch((err: Error) => {
      const members = lastView?.members.map((m) => `${m.member} ${m.role} ${m.state} lag ${m.summary.lag}`);
      throw new Error(`${err.message}; last view: totals ${JSON.stringify(lastView?.totals)}, ${members?.join('; ')}`);
    });
    expect(view.totals.droppedEvents).toBe(0);
    for (const m of view.members.filter((x) => x.role === 'assembler' && x.state === 'up')) {
      expect(m.summary.lag, `${m.member} lag`).toBeGreaterThanOrEqual(0);
    }
    const graph = await memberJson<{ edges: { from: string; to: string; calls: number }[] }>(
      liveAssemblers[0]!,
      '/api/dependencies',
    );
    expect(graph.edges.find((e) => e.from === 'gateway' && e.to === 'quote')?.calls ?? 0).toBeGreaterThan(0);
    console.info(
      `cluster: assemblers consumed ${assemblerStats.map((s) => s.cluster.kafka.consumedEvents).join(', ')} events; resets ${assemblerStats.map((s) => s.cluster.kafka.resets).join(', ')}; records fetched past a replay start and read again ${assemblerStats.map((s) => s.cluster.kafka.rewoundRecords).join(', ')}; records skipped by the replay gate ${assemblerStats.map((s) => s.cluster.kafka.skippedRecords).join(', ')}; stalled consumers rebuilt ${assemblerStats.map((s) => s.cluster.kafka.stalls).join(', ')}`,
    );
  }, 400_000);

  it('Elasticsearch down: the assembler pauses, Kafka holds the backlog, no spool; all stored after', async () => {
    // An index prefix that the first test's template pattern (`<prefix>-*`) does not match: Elasticsearch
    // refuses a second template of the same priority over the same indices, and spans would never be sent.
    const outage = {
      ...settings,
      groupId: `${settings.groupId}-outage`,
      topic: `${settings.topic}-outage`,
      indexPrefix: settings.indexPrefix.replace('phosphor-cluster-test', 'phosphor-outage-test'),
    };
    const receiver = await startMember(outage, 'receiver', 'outage-receiver');
    members.push(receiver);
    const assembler = await startMember(outage, 'assembler', 'outage-assembler');
    members.push(assembler);
    const traffic = new HopTraffic({ callerPort: receiver.udpPort, calleePort: receiver.udpPort, hopsPerSecond: 50 });
    traffic.start();
    const during: AssemblerStats[] = [];
    try {
      // Spans flow into Elasticsearch before it goes away.
      await poll(
        async () => {
          const s = await memberJson<AssemblerStats & { storage: { indexedSpans: number } }>(assembler, '/api/stats');
          return s.storage.indexedSpans > 0 ? s : undefined;
        },
        { timeoutMillis: 60_000, what: 'the assembler to index its first spans' },
      );
      await stopBackend('elasticsearch');
      const until = performance.now() + 15_000;
      while (performance.now() < until) {
        during.push(await memberJson<AssemblerStats>(assembler, '/api/stats'));
        await new Promise((r) => setTimeout(r, 1000));
      }
    } finally {
      await traffic.stop();
      await startBackend('elasticsearch');
    }
    const last = during[during.length - 1]!;
    console.info(
      `es-outage samples (paused/lag/queued/consumed): ${during
        .map(
          (d) =>
            `${d.cluster.kafka.paused}/${d.cluster.kafka.lag}/${d.storage.queuedSpans}/${d.cluster.kafka.consumedEvents}`,
        )
        .join(' ')}`,
    );
    // Paused, backlog in Kafka (lag grows), nothing spooled, queue bounded by what assembly emitted before pausing.
    // Consumption stopped (paused on the store's failure; with nothing flowing it never had to): the last
    // samples consumed nothing more.
    const tail = during.slice(-5).map((d) => d.cluster.kafka.consumedEvents);
    expect(new Set(tail).size).toBe(1);
    expect(last.cluster.kafka.lag).toBeGreaterThan(0);
    for (const s of during) {
      expect(s.storage.spoolPendingSpans).toBe(0);
      expect(s.storage.spoolBytes).toBe(0);
      expect(s.storage.droppedSpans).toBe(0);
    }
    console.info(
      `es-outage: lag at end of outage ${last.cluster.kafka.lag} records, queued spans ${last.storage.queuedSpans}`,
    );
    const index = `${outage.indexPrefix}-*`;
    const sent = traffic.sent.length;
    await poll(
      async () => {
        await es(settings.esUrl, `/${index}/_refresh`, undefined, 'POST');
        const { count } = await es<{ count: number }>(settings.esUrl, `/${index}/_count`, {
          query: { term: { 'phosphor.complete': true } },
        });
        return count === sent ? count : undefined;
      },
      { timeoutMillis: 120_000, what: `${sent} whole spans after the outage`, intervalMillis: 1000 },
    );
    const { count } = await es<{ count: number }>(settings.esUrl, `/${index}/_count`);
    expect(count).toBe(sent);
    await fetch(`${settings.esUrl}/${index}`, { method: 'DELETE' }).catch(() => undefined);
  }, 400_000);
});
