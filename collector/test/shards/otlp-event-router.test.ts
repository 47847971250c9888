import type { TraceEvent } from '@phosphor/wire';
import { describe, expect, it } from 'vitest';
import { otlpEventRouter } from '../../src/shards/otlp-event-router.js';
import { ownerOfTraceId } from '../../src/shards/trace-owner.js';

function event(traceId: string, type: TraceEvent['type']): TraceEvent {
  return {
    type,
    traceId,
    spanId: '00f067aa0ba902b7',
    from: 'a',
    fromEndpoint: 'x',
    to: 'b',
    toEndpoint: 'y',
    timestampMicros: 1,
    hostname: 'h',
  };
}

describe('otlpEventRouter', () => {
  it('hands each shard the events of the traces it owns (as the UDP router decides), one batch per shard', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `4bf92f3577b34da6a3ce929d0e0e${(4736 + i).toString(16)}`);
    const events = ids.flatMap((id) => [event(id, 'IN'), event(id, 'OUT')]);
    const got: { shard: number; events: TraceEvent[] }[] = [];
    otlpEventRouter(3, (shard, list) => got.push({ shard, events: list }))(events);
    expect(new Set(got.map((g) => g.shard)).size).toBe(got.length);
    expect(got.length).toBe(3);
    for (const { shard, events: list } of got) {
      for (const e of list) expect(ownerOfTraceId(e.traceId, 3)).toBe(shard);
    }
    expect(got.reduce((n, g) => n + g.events.length, 0)).toBe(events.length);
  });

  it('passes a batch on whole with one shard and nothing for an empty batch', () => {
    const got: number[] = [];
    const route = otlpEventRouter(1, (shard, list) => got.push(shard, list.length));
    route([]);
    route([event('1', 'IN'), event('2', 'OUT')]);
    expect(got).toEqual([0, 2]);
  });
});
