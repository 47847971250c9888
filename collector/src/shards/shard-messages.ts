import type { TraceEvent } from '@phosphor/wire';
import type { CollectorConfig } from '../config/config.js';
import type { Span } from '../model/span.js';
import type { ShardCore } from './shard-core.js';

/** Core methods the host may call on a shard (plain data in and out). */
export type ShardCallMethod =
  | 'getTrace'
  | 'findTraces'
  | 'aggregatesParts'
  | 'dependencies'
  | 'services'
  | 'stats'
  | 'health'
  | 'close';

/** What a shard worker is started with. */
export interface ShardWorkerData {
  shardIndex: number;
  /** This shard's slice of the collector config (see shardConfig). */
  config: CollectorConfig;
  /** Event messages processed per shard (shared memory): the shard adds 1 at its index after each `traceEvents` message. */
  processedMessages: Int32Array;
  /**
   * Events each shard has taken from its ring (shared memory, one BigInt64 per shard, written
   * by the shard only): read without a call, so watching progress costs the shards nothing.
   */
  processedEvents: BigInt64Array;
  /** The shard's hand-off ring (see frame-ring.ts): datagrams of its event frames, written by the receiving thread. */
  ring: SharedArrayBuffer;
}

/** Host → shard worker. */
export type ToShard =
  /** Already decoded and validated events of this shard's traces (OTLP spans mapped on the main thread). */
  | { kind: 'traceEvents'; events: TraceEvent[] }
  | { kind: 'call'; id: number; method: ShardCallMethod; args: unknown[] }
  /** Whether finished spans should be sent back for the live tail. */
  | { kind: 'tail'; on: boolean };

/** Shard worker → host. */
export type FromShard =
  | { kind: 'ready' }
  | { kind: 'result'; id: number; ok: true; value: unknown }
  | { kind: 'result'; id: number; ok: false; message: string }
  | { kind: 'spans'; spans: Span[] };

/** Compile-time check that every callable method exists on the core. */
export type ShardCallable = Pick<ShardCore, ShardCallMethod>;
