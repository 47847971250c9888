import type { TraceEvent } from '@phosphor/wire';
import { type TraceOwners, traceOwners } from './trace-owner.js';

/** Where a shard's share of a batch of events goes (ShardHost.deliverEvents). */
export type ShardEventsSink = (shard: number, events: TraceEvent[]) => void;

/**
 * The `onEvents` of a sharded collector's OTLP receiver: splits each batch of mapped OTel span
 * events by the shard owning its trace — the ownership function the UDP router uses, so an OTel
 * callee's IN/OUT meet a Phosphor caller's REQ/REP in one shard — and hands each shard its share.
 *
 * The events go to the shards as objects (a `traceEvents` message) rather than re-encoded into an
 * events-only datagram: the OTLP ingest has already mapped and validated them, so encoding them
 * with DatagramWriter only for the shard to decode them again would be work for nothing, and a
 * shard counts datagram events as UDP events (`udp.acceptedEvents`), which OTLP events are not —
 * the single core hands them to `ingestEvents` too, past the UDP counters.
 */
export function otlpEventRouter(owners: TraceOwners | number, sink: ShardEventsSink): (events: TraceEvent[]) => void {
  const ownership = traceOwners(owners);
  const shardCount = ownership.shardCount;
  return (events) => {
    if (events.length === 0) return;
    if (shardCount === 1) {
      sink(0, events);
      return;
    }
    const byShard: TraceEvent[][] = Array.from({ length: shardCount }, () => []);
    for (const event of events) (byShard[ownership.ofTraceId(event.traceId)] as TraceEvent[]).push(event);
    byShard.forEach((list, shard) => {
      if (list.length > 0) sink(shard, list);
    });
  };
}
