/**
 * Fault scenario 1 (issue 7): the collector is SIGKILLed and restarted under load. The collector runs as a
 * child process; the demo services run in this process, tracing to it, driven by a bounded closed-loop
 * client. Phases: baseline (collector up) → outage (collector killed) → recovery (restarted on the same
 * ports). See docs/faults.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningDemo } from '@phosphor/demo-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, startCollectorProcess } from './support/collector-process.js';
import { demoTracers, SYMBOLS, startQuietDemo, TRACER_MAX_BUFFERED_EVENTS, unaccountedEvents } from './support/demo.js';
import { phaseMillis, testTimeoutMillis } from './support/durations.js';
import { LoadClient, quantile } from './support/load-client.js';
import { getJson, sleep, waitFor } from './support/wait.js';

/** Load phases of the short version; a soak run makes each FAULT_SOAK_SECONDS long. */
const WARMUP_MILLIS = 3_000;
const PHASE_MILLIS = phaseMillis(10_000);
/** Four requests in flight: enough to keep three services and three tracers busy, little enough for 2 shared cores. */
const CONCURRENCY = 4;
/**
 * Each worker pauses 10 ms between requests: the load stays below saturation on the shared 2 cores, so
 * latency measures the services (and any tracer stall), not the queue of a CPU-bound closed loop.
 */
const THINK_MILLIS = 10;
/**
 * "Within noise of the baseline": outage p99 ≤ 2 × (the larger p99 of the two collector-up phases,
 * before and after the outage) + 20 ms. Using both up phases and the factor absorbs a shared, loaded
 * 2-core machine (other suites run beside this one: single up phases were seen 2× apart); the 20 ms
 * floor absorbs one GC pause when p99 is a few ms. A tracer that blocked on a dead collector, or a
 * buffer that grew without bound, would blow through it.
 */
const P99_FACTOR = 2;
const P99_SLACK_MILLIS = 20;
/**
 * Heap growth allowed between the end of the baseline and the end of the run. The tracers' memory is
 * bounded by maxBufferedEvents (~2–3 MB each); what else grows is this test's own result list
 * (~200 B per request). 64 MB is far above both and far below an unbounded buffer at this rate.
 */
const MAX_HEAP_GROWTH_BYTES = 64 * 1024 * 1024;

interface MemorySample {
  phase: string;
  heapUsed: number;
  rss: number;
}

describe('collector SIGKILLed and restarted under load', () => {
  let dir: string;
  let configFile: string;
  let collector: CollectorProcess | undefined;
  let demo: RunningDemo | undefined;
  let client: LoadClient | undefined;
  const uncaught: Error[] = [];
  const onUncaught = (error: Error) => uncaught.push(error);

  beforeAll(async () => {
    process.on('uncaughtExceptionMonitor', onUncaught);
    dir = mkdtempSync(join(tmpdir(), 'phosphor-fault-kill-'));
    configFile = join(dir, 'collector.yml');
    // Info level: the daemon's "listening" line carries its ports. A short span timeout lets the gateway's
    // root spans (IN/OUT only) reach the API quickly.
    writeFileSync(configFile, 'logging:\n  level: info\nassembly:\n  spanTimeoutMillis: 1000\n');
    collector = await startCollectorProcess(configFile);
    demo = await startQuietDemo(collector.udpPort);
  });

  afterAll(async () => {
    process.off('uncaughtExceptionMonitor', onUncaught);
    await client?.stop();
    await demo?.close();
    collector?.child.kill('SIGKILL');
    if (collector) await collector.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'keeps serving with p99 within noise, bounded tracer memory, exact drop accounting, and resumes tracing',
    async () => {
      const running = demo!;
      const tracers = demoTracers(running);
      client = new LoadClient({
        baseUrl: running.urls.gateway,
        concurrency: CONCURRENCY,
        timeoutMillis: 5_000,
        thinkMillis: THINK_MILLIS,
        // Every 50th request is the always-failing symbol (502 expected), every 10th a fan-out basket.
        pathFor: (n) =>
          n % 50 === 49
            ? '/quote/FAIL'
            : n % 10 === 9
              ? '/basket?symbols=ACME,INIT,UMBR'
              : `/quote/${SYMBOLS[n % SYMBOLS.length]}`,
      });
      let phase = 'warmup';
      let maxBuffered = 0;
      const memory: MemorySample[] = [];
      const sampler = setInterval(() => {
        for (const tracer of Object.values(tracers)) maxBuffered = Math.max(maxBuffered, tracer.stats().bufferedEvents);
        const { heapUsed, rss } = process.memoryUsage();
        memory.push({ phase, heapUsed, rss });
      }, 100);

      try {
        client.setPhase(phase);
        client.start();
        await sleep(WARMUP_MILLIS);
        phase = 'baseline';
        client.setPhase(phase);
        await sleep(PHASE_MILLIS);

        const before = collector!;
        before.child.kill('SIGKILL');
        expect(await before.exited).toBe('SIGKILL');
        phase = 'outage';
        client.setPhase(phase);
        await sleep(PHASE_MILLIS);

        collector = await startCollectorProcess(configFile, before.udpPort, before.httpPort);
        expect([collector.udpPort, collector.httpPort]).toEqual([before.udpPort, before.httpPort]);
        phase = 'recovery';
        client.setPhase(phase);
        await sleep(PHASE_MILLIS);
      } finally {
        await client.stop();
        clearInterval(sampler);
      }
      const restarted = collector!;

      // No request failed: every answer is the expected one in every phase, and nothing threw.
      for (const name of ['warmup', 'baseline', 'outage', 'recovery']) {
        const results = client.of(name);
        expect(results.length, `requests in ${name}`).toBeGreaterThan(20);
        const wrong = results.filter((r) => r.status !== (r.path === '/quote/FAIL' ? 502 : 200));
        expect(wrong.slice(0, 5), `unexpected answers in ${name}`).toEqual([]);
      }
      expect(uncaught).toEqual([]);

      const p99 = (name: string) =>
        quantile(
          client!.of(name).map((r) => r.latencyMillis),
          0.99,
        );
      const baselineP99 = p99('baseline');
      const outageP99 = p99('outage');
      const recoveryP99 = p99('recovery');
      console.info(
        `collector-kill: requests baseline=${client.of('baseline').length} outage=${client.of('outage').length} ` +
          `recovery=${client.of('recovery').length}; p99 ms baseline=${baselineP99.toFixed(1)} ` +
          `outage=${outageP99.toFixed(1)} recovery=${recoveryP99.toFixed(1)}; max buffered events=${maxBuffered}`,
      );
      // Both collector-up phases (before and after the outage) bracket the machine's noise.
      expect(outageP99).toBeLessThanOrEqual(P99_FACTOR * Math.max(baselineP99, recoveryP99) + P99_SLACK_MILLIS);

      // Tracer memory stays bounded, and the drop counters account for everything not sent.
      expect(maxBuffered).toBeLessThanOrEqual(TRACER_MAX_BUFFERED_EVENTS);
      for (const [service, tracer] of Object.entries(tracers)) {
        await tracer.flush();
        const stats = tracer.stats();
        expect(stats.inFlightDatagrams, `${service} in-flight datagrams`).toBe(0);
        expect(unaccountedEvents(tracer), `${service} recorded = sent + dropped + buffered`).toBe(0);
        expect(stats.droppedEvents.bufferFull, `${service} bufferFull`).toBe(0);
        console.info(
          `collector-kill: ${service} recorded=${stats.recordedEvents} sent=${stats.sentEvents} ` +
            `sendError=${stats.droppedEvents.sendError} buffered=${stats.bufferedEvents}`,
        );
      }
      // The dead collector was noticed (connected UDP socket: ECONNREFUSED) by the busiest tracer.
      expect(tracers.gateway!.stats().droppedEvents.sendError).toBeGreaterThan(0);

      const heapAt = (name: string) => Math.max(...memory.filter((m) => m.phase === name).map((m) => m.heapUsed));
      const rssAt = (name: string) => Math.max(...memory.filter((m) => m.phase === name).map((m) => m.rss));
      console.info(
        `collector-kill: max heapUsed MB baseline=${(heapAt('baseline') / 2 ** 20).toFixed(1)} ` +
          `outage=${(heapAt('outage') / 2 ** 20).toFixed(1)} recovery=${(heapAt('recovery') / 2 ** 20).toFixed(1)}; ` +
          `max RSS MB baseline=${(rssAt('baseline') / 2 ** 20).toFixed(1)} recovery=${(rssAt('recovery') / 2 ** 20).toFixed(1)}`,
      );
      expect(heapAt('outage') - heapAt('baseline')).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
      expect(heapAt('recovery') - heapAt('baseline')).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
      expect(rssAt('recovery') - rssAt('baseline')).toBeLessThan(2 * MAX_HEAP_GROWTH_BYTES);

      // Tracing resumed by itself: traces of requests made after the restart are complete in the new collector.
      const recovered = client
        .of('recovery')
        .filter((r) => r.path.startsWith('/quote/') && r.path !== '/quote/FAIL' && r.correlationId);
      expect(recovered.length).toBeGreaterThan(0);
      const sample = recovered.slice(-5);
      for (const request of sample) {
        const trace = await waitFor(
          `trace ${request.correlationId} in the restarted collector`,
          async () => {
            const t = await getJson<{ spans: { to: string; toEndpoint: string; missing: string[] }[] }>(
              `${restarted.httpUrl}/api/traces/${request.correlationId}`,
            );
            return t.spans.length >= 4 ? t : undefined;
          },
          15_000,
          250,
        );
        // gateway entry, gateway → quote (HTTP), quote → id-generator (gRPC NextID and HTTP POST /ids).
        expect(trace.spans.map((s) => `${s.to} ${s.toEndpoint}`).sort()).toEqual(
          [
            'gateway GET /quote/:symbol',
            'id-generator /phosphor.idgen.v1.IdGenerator/NextID',
            'id-generator POST /ids',
            'quote GET /quotes/:symbol',
          ].sort(),
        );
      }
      const stats = await getJson<{ udp: { acceptedEvents: number } }>(`${restarted.httpUrl}/api/stats`);
      expect(stats.udp.acceptedEvents).toBeGreaterThan(0);
    },
    testTimeoutMillis(120_000, 3, 120_000),
  );
});
