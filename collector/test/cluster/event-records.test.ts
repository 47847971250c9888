import { decodeDatagram } from '@phosphor/wire';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import { decodeRecord, recordsOf } from '../../src/cluster/event-records.js';
import { batchOf, hopEvents } from '../support/hops.js';

const hop = (traceId: string, spanId: string) =>
  hopEvents({ traceId, spanId, times: { REQ: 1_000, IN: 1_100, OUT: 1_200, REP: 1_300 } });

describe('Kafka event records', () => {
  it('splits a datagram into one wire-format record per trace, keyed by trace id, header kept', () => {
    const batch = batchOf([...hop('111', 'aaaaaaaaaaaaaaaa'), ...hop('222', 'bbbbbbbbbbbbbbbb')], 7, 'tracer-x');
    const datagram = encodeBatch(batch);
    const records = recordsOf(decodeOk(datagram), datagram);
    expect(records.map((r) => r.key.toString())).toEqual(['111', '222']);
    expect(records.map((r) => r.events)).toEqual([4, 4]);
    for (const record of records) {
      const decoded = decodeRecord(record.key, record.value);
      if (!decoded.ok) throw new Error(decoded.detail);
      expect(decoded.batch.tracerId).toBe('tracer-x');
      expect(decoded.batch.sequence).toBe(7);
      expect(decoded.batch.events.every((e) => e.traceId === record.key.toString())).toBe(true);
    }
  });

  it('forwards a single-trace datagram as it came', () => {
    const datagram = encodeBatch(batchOf(hop('333', 'cccccccccccccccc')));
    const [record] = recordsOf(decodeOk(datagram), datagram);
    expect(record!.value).toBe(datagram);
  });

  it.each([
    ['empty', Buffer.alloc(0), 'empty'],
    ['garbage', Buffer.from('not a datagram at all'), 'undecodable'],
  ] as const)('rejects a %s value', (_name, value, reason) => {
    const decoded = decodeRecord(Buffer.from('1'), value);
    expect(decoded.ok ? 'ok' : decoded.reason).toBe(reason);
  });

  it('rejects a record whose events belong to another trace than its key', () => {
    const datagram = encodeBatch(batchOf(hop('444', 'dddddddddddddddd')));
    const decoded = decodeRecord(Buffer.from('555'), datagram);
    expect(decoded.ok ? 'ok' : decoded.reason).toBe('key_mismatch');
  });
});

function decodeOk(datagram: Buffer) {
  const result = decodeDatagram(datagram);
  if (!result.ok) throw new Error(result.detail);
  return result.batch;
}
