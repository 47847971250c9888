import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { formatDuration } from '@phosphor/service-kit';
import type { TraceEvent } from '@phosphor/wire';
import type { Logger } from 'pino';
import type { CollectorConfig } from '../config/config.js';
import type { Span } from '../model/span.js';
import type { ComponentHealth } from '../storage/span-store.js';
import { EngineShardCore } from './engine-shard-core.js';
import { createFrameRing, FrameRingWriter } from './frame-ring.js';
import type { ShardCore } from './shard-core.js';
import type { FromShard, ShardCallable, ShardCallMethod, ShardWorkerData, ToShard } from './shard-messages.js';
import { TraceOwners } from './trace-owner.js';

/** A call to a shard that has not answered in this long fails (the API answers 503, health says KO). */
export const SHARD_CALL_TIMEOUT_MILLIS = 5000;
/** Wait before starting a crashed shard again: long enough not to spin on a crash at start-up. */
export const SHARD_RESTART_DELAY_MILLIS = 1000;
/** A shard restarted within this long reports Degraded (its in-memory state was lost). */
const RECENT_RESTART_MILLIS = 60_000;
/**
 * Bytes of each shard's hand-off ring (shared memory, see frame-ring.ts): what a shard may have
 * queued and not yet processed; past it, new events for that shard are dropped and counted
 * (`droppedEventsShardBusy`) instead of queueing without bound. 16 MiB is about a second of
 * traffic at 300k events/s.
 */
export const SHARD_RING_BYTES = 16 * 1024 * 1024;
/**
 * Batches of decoded events (OTLP) a shard may have queued in its message port and not yet
 * processed; past it, they are dropped and counted as busy, as ring records are.
 */
export const MAX_IN_FLIGHT_MESSAGES = 256;
/**
 * How long `close()` waits for a shard to emit its pending spans and close its store (an
 * Elasticsearch store flushes its queue or spools it to disk) before terminating it.
 */
const CLOSE_TIMEOUT_MILLIS = 30_000;

/** Counters of the host: what happened to shards and to events routed to them. */
export interface ShardHostStats {
  shardCount: number;
  liveShards: number;
  /** Shard workers that exited unexpectedly (each is restarted). */
  shardCrashes: number;
  /** Event hand-off buffers (ring records, and batches of OTLP events) handed to shards. */
  forwardedBuffers: number;
  /** Times a hand-off woke a shard that had found its ring empty and gone idle. */
  shardWakeUps: number;
  /** Events the shards have taken from their rings and ingested (valid or not). */
  processedEvents: number;
  /** Events routed to a shard that was down at the time: dropped and counted here. */
  droppedEventsShardDown: number;
  /** Events routed to a shard whose ring was full (or with MAX_IN_FLIGHT_MESSAGES queued): dropped and counted here. */
  droppedEventsShardBusy: number;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

interface ShardSlot {
  index: number;
  /** The core of a shard running on this (the receiving) thread; such a slot has no worker. */
  local: ShardCore | undefined;
  worker: Worker | undefined;
  ready: boolean;
  /** Calls waiting for this worker's answer, by id. */
  calls: Map<number, PendingCall>;
  lastError: string | undefined;
  lastCrashAtMillis: number;
  crashes: number;
  restartTimer: NodeJS.Timeout | undefined;
  /** The current worker's hand-off ring (a new one per start: a crashed worker's records are lost with it). */
  ring: FrameRingWriter | undefined;
  /** Messages of decoded events posted to the current worker (its processed count is in the shared counters). */
  posted: number;
}

/**
 * The shard's slice of the collector config: caps that bound memory are divided among shards so
 * N shards together hold what one would (pending and remembered hops, stored spans, spans queued
 * for OTLP export), and each
 * shard gets its own Elasticsearch spool folder (shard 0 the configured one, shard n `<spoolDir>/shard-<n>`).
 */
export function shardConfig(config: CollectorConfig, index: number): CollectorConfig {
  // Caps follow the shard's slice of the trace-id space (the receiving thread's shard owns a smaller one).
  const part = TraceOwners.forShards(config.shards, config.receiverShardShare).shares[index] ?? 1 / config.shards;
  const share = (value: number) => Math.max(1, Math.ceil(value * part));
  const copy = structuredClone(config);
  copy.assembly.maxPendingSpans = share(config.assembly.maxPendingSpans);
  copy.assembly.maxRememberedSpans =
    config.assembly.maxRememberedSpans === 0 ? 0 : share(config.assembly.maxRememberedSpans);
  copy.storage.memory.maxSpans = share(config.storage.memory.maxSpans);
  copy.otlpExport.maxQueueSpans = share(config.otlpExport.maxQueueSpans);
  // Shard 0 keeps the configured folder, so a spool left by a single-core run is replayed; the
  // spool only reads its own segment files, so the other shards' subfolders do not disturb it.
  const es = copy.storage.elasticsearch as { spoolDir?: string };
  if (es.spoolDir && index > 0) es.spoolDir = join(es.spoolDir, `shard-${index}`);
  return copy;
}

/**
 * A shard's young generation cap. Under sustained ingest V8 grows each isolate's young generation
 * to its maximum (128 MB on 64-bit), so N shards would hold N × 128 MB of mostly empty semi-spaces;
 * the engine's long-lived state is in typed arrays, and a smaller nursery only means more frequent,
 * still short, scavenges.
 */
const SHARD_YOUNG_GENERATION_MB = 48;

/**
 * Where the worker entry is and how to start it: the compiled `.js` runs as is; from TypeScript
 * sources (workspace runs, tests) the worker first registers tsx's loader, as bin/ does.
 */
function startWorker(data: ShardWorkerData): Worker {
  // Named, so the OS thread is too (`shard-<n>` in top -H, /proc/<pid>/task/<tid>/comm).
  const options = {
    workerData: data,
    name: `shard-${data.shardIndex}`,
    resourceLimits: { maxYoungGenerationSizeMb: SHARD_YOUNG_GENERATION_MB },
  };
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return new Worker(new URL('./shard-worker.js', import.meta.url), options);
  // tsx resolves its ESM API for `import` only; the resolved CommonJS path has the ESM file beside it.
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const entry = new URL('./shard-worker.ts', import.meta.url).href;
  const source = `const { register } = await import(${JSON.stringify(tsxApi)}); register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), options);
}

/**
 * Runs N collector cores: shard 0 on this thread (the one receiving datagrams) when
 * `receiverShardShare` > 0, the others on worker threads. Starts them, hands each its events,
 * calls into them (queries, aggregates, stats, health), streams their finished spans to the tail
 * while someone listens, and restarts a worker that crashes — a crashed shard is reported (stats,
 * health) and never takes the daemon down; events routed to it meanwhile are dropped and counted.
 * The shard on this thread takes its events by a plain call: no ring, no copy across threads, no
 * wake-up; its slice of the trace-id space is smaller, since this thread also receives and routes.
 */
export class ShardHost {
  /** Which shard owns which traces: used by every router (UDP, OTLP) and by the API. */
  readonly owners: TraceOwners;
  private readonly slots: ShardSlot[];
  /** Events ingested by the shard on this thread. */
  private localEvents = 0;
  private nextCallId = 1;
  private tailOn = false;
  private closing = false;
  private readonly counters = {
    shardCrashes: 0,
    forwardedBuffers: 0,
    /** Wake-ups of rings already replaced (restarted shards). */
    shardWakeUps: 0,
    /** Events processed by workers already replaced (restarted shards). */
    processedEvents: 0,
    droppedEventsShardDown: 0,
    droppedEventsShardBusy: 0,
  };
  /** Event messages each shard has processed, written by the shards (one Int32 each, wrapping). */
  private readonly processed: Int32Array;
  /** Events each shard has taken from its ring, written by the shards. */
  private readonly events: BigInt64Array;

  constructor(
    private readonly config: CollectorConfig,
    private readonly onSpans: (spans: Span[]) => void,
    private readonly logger: Logger,
  ) {
    this.owners = TraceOwners.forShards(config.shards, config.receiverShardShare);
    this.slots = Array.from({ length: config.shards }, (_, index) => ({
      index,
      local: undefined,
      worker: undefined,
      ready: false,
      calls: new Map(),
      lastError: undefined,
      lastCrashAtMillis: 0,
      crashes: 0,
      restartTimer: undefined,
      ring: undefined,
      posted: 0,
    }));
    this.processed = new Int32Array(new SharedArrayBuffer(4 * config.shards));
    this.events = new BigInt64Array(new SharedArrayBuffer(8 * config.shards));
  }

  get shardCount(): number {
    return this.slots.length;
  }

  /** Starts every shard; resolves once all are ready (rejects if one fails to start). */
  async start(): Promise<void> {
    const onReceiver = this.config.shards > 1 && this.config.receiverShardShare > 0;
    await Promise.all(
      this.slots.map((slot) => (onReceiver && slot.index === 0 ? this.startLocal(slot) : this.spawn(slot))),
    );
  }

  /** Whether `shard` runs on this thread. */
  isLocal(shard: number): boolean {
    return this.slots[shard]?.local !== undefined;
  }

  /**
   * Hands a datagram of event frames standing for `events` events to `shard`: copied into its ring (the bytes may be
   * reused once this returns); dropped and counted when the shard is down or its ring is full.
   */
  deliver(shard: number, datagram: Uint8Array, events: number): void {
    const slot = this.slots[shard] as ShardSlot;
    if (slot.local) {
      if (!slot.ready) this.counters.droppedEventsShardDown += events;
      else {
        // The core copies what it keeps (ShardCore.ingest), so the caller's buffer is reused as is.
        slot.local.ingest(datagram);
        this.localEvents += events;
      }
      return;
    }
    if (!slot.worker || !slot.ready || !slot.ring) {
      this.counters.droppedEventsShardDown += events;
      return;
    }
    if (!slot.ring.push(datagram, events)) {
      this.counters.droppedEventsShardBusy += events;
      return;
    }
    this.counters.forwardedBuffers++;
  }

  /**
   * Hands decoded events (all of traces `shard` owns) to `shard` as a message, under the same
   * rules as a datagram: counted as one hand-off, dropped and counted when the shard is down or busy.
   */
  deliverEvents(shard: number, events: TraceEvent[]): void {
    const slot = this.slots[shard] as ShardSlot;
    if (slot.local) {
      if (!slot.ready) this.counters.droppedEventsShardDown += events.length;
      else slot.local.ingestEvents(events);
      return;
    }
    if (!slot.worker || !slot.ready) {
      this.counters.droppedEventsShardDown += events.length;
      return;
    }
    // Wrapping difference: both counts are Int32 and only their distance matters.
    if (((slot.posted - Atomics.load(this.processed, shard)) | 0) >= MAX_IN_FLIGHT_MESSAGES) {
      this.counters.droppedEventsShardBusy += events.length;
      return;
    }
    slot.posted = (slot.posted + 1) | 0;
    this.counters.forwardedBuffers++;
    const message: ToShard = { kind: 'traceEvents', events };
    slot.worker.postMessage(message);
  }

  /** Calls a core method on one shard. */
  call<T>(shard: number, method: ShardCallMethod, ...args: unknown[]): Promise<T> {
    const slot = this.slots[shard] as ShardSlot;
    const local = slot.local;
    if (local && slot.ready) {
      // Asynchronous like a worker's answer (a caller never runs inside the core's own stack).
      const callable: ShardCallable = local;
      return Promise.resolve().then(() => (callable[method] as (...a: unknown[]) => T | Promise<T>).apply(local, args));
    }
    const worker = slot.worker;
    if (!worker || !slot.ready) {
      return Promise.reject(new Error(`shard ${shard} is down${slot.lastError ? `: ${slot.lastError}` : ''}`));
    }
    const id = this.nextCallId++;
    const timeoutMillis = method === 'close' ? CLOSE_TIMEOUT_MILLIS : SHARD_CALL_TIMEOUT_MILLIS;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        slot.calls.delete(id);
        reject(new Error(`shard ${shard} did not answer ${method} within ${timeoutMillis} ms`));
      }, timeoutMillis);
      timer.unref();
      slot.calls.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const message: ToShard = { kind: 'call', id, method, args };
      worker.postMessage(message);
    });
  }

  /** Calls a method on every shard; each entry is the shard's answer or its error. */
  callAll<T>(method: ShardCallMethod, ...args: unknown[]): Promise<PromiseSettledResult<T>[]> {
    return Promise.allSettled(this.slots.map((slot) => this.call<T>(slot.index, method, ...args)));
  }

  /** Whether shards send finished spans back (only while the tail has subscribers: it costs a copy per span). */
  setTail(on: boolean): void {
    if (on === this.tailOn) return;
    this.tailOn = on;
    for (const slot of this.slots) {
      if (slot.local) slot.local.setTailListener(on ? this.onSpans : undefined);
      else if (slot.ready) this.post(slot, { kind: 'tail', on });
    }
  }

  /** Host counters. */
  stats(): ShardHostStats {
    return {
      shardCount: this.slots.length,
      liveShards: this.slots.filter((s) => s.ready).length,
      ...this.counters,
      shardWakeUps: this.slots.reduce((sum, s) => sum + (s.ring?.wakeUps ?? 0), this.counters.shardWakeUps),
      processedEvents: this.processedEvents(),
    };
  }

  /** Events the shards have ingested so far: read from shared memory, no call to the shards. */
  processedEvents(): number {
    let n = this.counters.processedEvents + this.localEvents;
    for (let i = 0; i < this.slots.length; i++) n += Number(Atomics.load(this.events, i));
    return n;
  }

  /** One test per shard: OK, KO while down, Degraded for a while after a restart (its memory was lost). */
  health(): ComponentHealth {
    const now = Date.now();
    const tests = this.slots.map((slot) => {
      const recent = slot.crashes > 0 && now - slot.lastCrashAtMillis < RECENT_RESTART_MILLIS;
      const status: ComponentHealth['status'] = !slot.ready ? 'KO' : recent ? 'Degraded' : 'OK';
      const test: ComponentHealth['tests'][number] = {
        name: `shard-${slot.index}`,
        duration: formatDuration(0),
        status,
      };
      if (status !== 'OK') {
        test.error = `${slot.ready ? 'restarted' : 'down'} after ${slot.crashes} crash(es); last: ${slot.lastError ?? 'exited'}`;
      }
      return test;
    });
    const status = tests.some((t) => t.status === 'KO')
      ? 'KO'
      : tests.some((t) => t.status === 'Degraded')
        ? 'Degraded'
        : 'OK';
    return { status, tests };
  }

  /**
   * Ends one shard's worker abruptly, as a crash would (fault tests): it is reported down, then
   * restarted like any crashed shard.
   */
  async killShard(shard: number): Promise<void> {
    if (this.isLocal(shard))
      throw new Error(`shard ${shard} runs on the receiving thread: it ends with the process only`);
    const worker = this.slots[shard]?.worker;
    if (worker) await worker.terminate();
  }

  /** Asks every shard to flush pending spans and close its store, then ends the workers. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.local) {
          await slot.local.close();
          slot.ready = false;
          return;
        }
        if (slot.restartTimer) clearTimeout(slot.restartTimer);
        const worker = slot.worker;
        if (!worker) return;
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        const deadline = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MILLIS);
        try {
          if (slot.ready) await this.call(slot.index, 'close');
        } catch (err) {
          this.logger.warn({ err, shard: slot.index }, 'shard did not close cleanly');
        }
        await worker.terminate();
        await exited;
        clearTimeout(deadline);
      }),
    );
  }

  private post(slot: ShardSlot, message: ToShard): void {
    slot.worker?.postMessage(message);
  }

  /** Builds the core of the shard that runs on this thread (its store may connect to Elasticsearch). */
  private async startLocal(slot: ShardSlot): Promise<void> {
    const core = await EngineShardCore.create(
      shardConfig(this.config, slot.index),
      this.logger.child({ shard: slot.index }),
    );
    core.start();
    if (this.tailOn) core.setTailListener(this.onSpans);
    slot.local = core;
    slot.ready = true;
  }

  private spawn(slot: ShardSlot): Promise<void> {
    slot.posted = 0;
    Atomics.store(this.processed, slot.index, 0);
    this.counters.shardWakeUps += slot.ring?.wakeUps ?? 0;
    this.counters.processedEvents += Number(Atomics.exchange(this.events, slot.index, 0n));
    const ring = createFrameRing(SHARD_RING_BYTES);
    slot.ring = new FrameRingWriter(ring);
    const data: ShardWorkerData = {
      shardIndex: slot.index,
      config: shardConfig(this.config, slot.index),
      processedMessages: this.processed,
      processedEvents: this.events,
      ring,
    };
    const worker = startWorker(data);
    slot.worker = worker;
    slot.ready = false;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (message: FromShard) => {
        switch (message.kind) {
          case 'ready':
            slot.ready = true;
            started = true;
            if (this.tailOn) this.post(slot, { kind: 'tail', on: true });
            resolve();
            return;
          case 'spans':
            this.onSpans(message.spans);
            return;
          case 'result': {
            const call = slot.calls.get(message.id);
            if (!call) return;
            slot.calls.delete(message.id);
            clearTimeout(call.timer);
            if (message.ok) call.resolve(message.value);
            else call.reject(new Error(message.message));
            return;
          }
        }
      });
      worker.on('error', (err) => {
        slot.lastError = err.message;
        this.logger.error({ err, shard: slot.index }, 'shard worker failed');
      });
      worker.on('exit', (code) => {
        slot.ready = false;
        slot.worker = undefined;
        for (const call of slot.calls.values()) {
          clearTimeout(call.timer);
          call.reject(new Error(`shard ${slot.index} exited`));
        }
        slot.calls.clear();
        if (!started) {
          reject(new Error(`shard ${slot.index} failed to start: ${slot.lastError ?? `exit code ${code}`}`));
          return;
        }
        if (this.closing) return;
        this.counters.shardCrashes++;
        slot.crashes++;
        slot.lastCrashAtMillis = Date.now();
        slot.lastError ??= `exit code ${code}`;
        this.logger.error(
          { shard: slot.index, code },
          `shard ${slot.index} exited unexpectedly; restarting in ${SHARD_RESTART_DELAY_MILLIS} ms`,
        );
        slot.restartTimer = setTimeout(() => {
          slot.restartTimer = undefined;
          if (this.closing) return;
          this.spawn(slot).catch((err: Error) => {
            slot.lastError = err.message;
            this.logger.error({ err, shard: slot.index }, 'shard restart failed');
          });
        }, SHARD_RESTART_DELAY_MILLIS);
        slot.restartTimer.unref();
      });
    });
  }
}
