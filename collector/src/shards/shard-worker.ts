/**
 * Entry point of one shard's worker thread: builds the collector core named below from the
 * shard's config, feeds it the event datagrams the receiving thread writes into the shard's ring,
 * answers the host's calls and streams finished spans back while the live tail has subscribers.
 * Hosting another core means changing `createCore` only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { copyBytes } from './copy-bytes.js';
import { EngineShardCore } from './engine-shard-core.js';
import { FrameRingReader } from './frame-ring.js';
import type { ShardCore } from './shard-core.js';
import type { FromShard, ShardCallable, ShardWorkerData, ToShard } from './shard-messages.js';
import { OUTBOX_BYTES } from './shard-outbox.js';
import { setCurrentThreadNiceness } from './thread-niceness.js';

/**
 * Ring records ingested per turn of the event loop before it yields (so calls from the host —
 * queries, stats — are answered while traffic flows): 64 records of up to 64 KiB is a few ms.
 */
const RECORDS_PER_TURN = 64;
/** Drains in a row that found records before the shard yields to its event loop anyway. */
const YIELD_EVERY_TURNS = 16;

/** The core this worker hosts. */
function createCore(data: ShardWorkerData): Promise<ShardCore> {
  const logger = pino({ level: data.config.logging.level, name: 'phosphor-collector' }).child({
    component: 'shard',
    shard: data.shardIndex,
  });
  // The receiving thread gets a core first when both want one (see shardWorkerNiceness).
  const niceness = data.config.shardWorkerNiceness;
  const failure = setCurrentThreadNiceness(niceness);
  if (failure) logger.warn({ niceness }, `shard thread priority unchanged: ${failure}`);
  return EngineShardCore.create(data.config, logger);
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('shard-worker.ts runs in a worker thread only');
  const data = workerData as ShardWorkerData;
  const core = await createCore(data);
  const send = (message: FromShard) => port.postMessage(message);
  const callable: ShardCallable = core;
  const ring = new FrameRingReader(data.ring);
  // Each record is copied out of shared memory before decoding: the decoder then reads private
  // memory that no other thread writes, and the ring's room is given back at once.
  let scratch = Buffer.allocUnsafeSlow(OUTBOX_BYTES);
  const ingestRecord = (payload: Uint8Array, events: number) => {
    if (payload.length > scratch.length) scratch = Buffer.allocUnsafeSlow(payload.length);
    copyBytes(payload, 0, payload.length, scratch, 0);
    core.ingest(scratch.subarray(0, payload.length));
    Atomics.add(data.processedEvents, data.shardIndex, BigInt(events));
  };
  let closed = false;
  const pump = async () => {
    let busyTurns = 0;
    while (!closed) {
      const drained = ring.drain(RECORDS_PER_TURN, ingestRecord);
      // A waiting call gets its turn at least every YIELD_EVERY_TURNS drains; otherwise the shard
      // goes straight back to the ring (waiting only when it is empty) — a turn of the event loop
      // per record would cost as much as the record.
      if (drained === RECORDS_PER_TURN || (drained > 0 && ++busyTurns % YIELD_EVERY_TURNS === 0)) {
        await yieldToLoop();
        continue;
      }
      await ring.waitForRecords();
    }
  };
  port.on('message', (message: ToShard) => {
    switch (message.kind) {
      case 'traceEvents':
        core.ingestEvents(message.events);
        Atomics.add(data.processedMessages, data.shardIndex, 1);
        return;
      case 'tail':
        core.setTailListener(message.on ? (spans) => send({ kind: 'spans', spans }) : undefined);
        return;
      case 'call': {
        const { id, method, args } = message;
        // Everything handed over before the call is ingested first, so a call sees it (as it
        // would if the events had come as messages ahead of it).
        ring.drain(Number.POSITIVE_INFINITY, ingestRecord);
        if (method === 'close') closed = true;
        // Calls are answered in order of completion; the host matches them by id.
        Promise.resolve()
          .then(() => (callable[method] as (...a: unknown[]) => unknown).apply(core, args))
          .then(
            (value) => send({ kind: 'result', id, ok: true, value }),
            (err: unknown) => send({ kind: 'result', id, ok: false, message: (err as Error).message ?? String(err) }),
          )
          .then(() => {
            if (method === 'close') port.close();
          });
        return;
      }
    }
  });
  core.start();
  void pump();
  send({ kind: 'ready' });
}

main().catch((err: unknown) => {
  // Start-up failed (e.g. the store could not be created): thrown as uncaught so the host sees
  // the worker's 'error' and 'exit' events and reports the shard down.
  process.nextTick(() => {
    throw err;
  });
});
