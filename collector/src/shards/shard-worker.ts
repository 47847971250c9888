/**
 * Entry point of one shard's worker thread: builds the collector core named below from the
 * shard's config, feeds it the event datagrams the host routes here, answers the host's calls and
 * streams finished spans back while the live tail has subscribers. Hosting another core means
 * changing `createCore` only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { EngineShardCore } from './engine-shard-core.js';
import type { ShardCore } from './shard-core.js';
import type { FromShard, ShardCallable, ShardWorkerData, ToShard } from './shard-messages.js';

/** The core this worker hosts. */
function createCore(data: ShardWorkerData): Promise<ShardCore> {
  const logger = pino({ level: data.config.logging.level, name: 'phosphor-collector' }).child({
    component: 'shard',
    shard: data.shardIndex,
  });
  return EngineShardCore.create(data.config, logger);
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('shard-worker.ts runs in a worker thread only');
  const data = workerData as ShardWorkerData;
  const core = await createCore(data);
  const send = (message: FromShard) => port.postMessage(message);
  const callable: ShardCallable = core;
  port.on('message', (message: ToShard) => {
    switch (message.kind) {
      case 'events':
        core.ingest(message.datagram);
        Atomics.add(data.processedBuffers, data.shardIndex, 1);
        return;
      case 'traceEvents':
        core.ingestEvents(message.events);
        Atomics.add(data.processedBuffers, data.shardIndex, 1);
        return;
      case 'tail':
        core.setTailListener(message.on ? (spans) => send({ kind: 'spans', spans }) : undefined);
        return;
      case 'call': {
        const { id, method, args } = message;
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
  send({ kind: 'ready' });
}

main().catch((err: unknown) => {
  // Start-up failed (e.g. the store could not be created): thrown as uncaught so the host sees
  // the worker's 'error' and 'exit' events and reports the shard down.
  process.nextTick(() => {
    throw err;
  });
});
