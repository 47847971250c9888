import { describe, expect, it } from 'vitest';
import { isIdServiceError } from '../../src/errors.js';
import {
  composeId,
  DEFAULT_EPOCH_MILLIS,
  decodeId,
  lowBits,
  MAX_COMPONENT_ID,
  MAX_NODE_ID,
  MAX_SEQUENCE,
  MAX_TIMESTAMP_OFFSET_MILLIS,
  PAIR_COUNT,
  pairFromIndex,
  parseId,
} from '../../src/ids/flaki-layout.js';

describe('flaki layout', () => {
  it('puts the timestamp in the top 42 bits, then node (2), component (5), sequence (15)', () => {
    const id = composeId(1, lowBits(3, 31, 32767));
    expect(id).toBe((1n << 22n) | (3n << 20n) | (31n << 15n) | 32767n);
    expect(composeId(MAX_TIMESTAMP_OFFSET_MILLIS, lowBits(MAX_NODE_ID, MAX_COMPONENT_ID, MAX_SEQUENCE))).toBe(
      (1n << 64n) - 1n,
    );
  });

  const cases = [
    { offset: 0, node: 0, component: 0, sequence: 0 },
    { offset: 283_000_000_123, node: 2, component: 17, sequence: 4242 },
    { offset: MAX_TIMESTAMP_OFFSET_MILLIS, node: MAX_NODE_ID, component: MAX_COMPONENT_ID, sequence: MAX_SEQUENCE },
    { offset: 2 ** 31 + 7, node: 1, component: 0, sequence: 1 },
  ];
  for (const c of cases) {
    it(`round-trips offset=${c.offset} node=${c.node} component=${c.component} sequence=${c.sequence}`, () => {
      const id = composeId(c.offset, lowBits(c.node, c.component, c.sequence)).toString();
      const decoded = decodeId(id);
      expect(decoded).toEqual({
        id,
        timestampMillis: DEFAULT_EPOCH_MILLIS + c.offset,
        timestamp: new Date(DEFAULT_EPOCH_MILLIS + c.offset).toISOString(),
        nodeId: c.node,
        componentId: c.component,
        sequence: c.sequence,
      });
    });
  }

  it('decodes with a custom epoch', () => {
    const epoch = Date.UTC(2020, 0, 1);
    const id = composeId(1000, lowBits(1, 2, 3));
    expect(decodeId(id, epoch).timestamp).toBe('2020-01-01T00:00:01.000Z');
  });

  it('ids above 2^53 survive as decimal strings', () => {
    const id = composeId(283_000_000_123, lowBits(3, 31, 9));
    expect(id > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(parseId(id.toString())).toBe(id);
  });

  const bad: unknown[] = ['', '-1', '12a', '1.5', ' 12', '18446744073709551616', '123456789012345678901', 12, null];
  for (const value of bad) {
    it(`rejects ${JSON.stringify(value)} naming the field`, () => {
      let caught: unknown;
      try {
        parseId(value, 'body.id');
      } catch (error) {
        caught = error;
      }
      expect(isIdServiceError(caught, 'IDG_ERR_INPUT_INVALID')).toBe(true);
      expect((caught as Error).message).toContain('body.id');
    });
  }

  it('maps every pair index to a distinct (node, component)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < PAIR_COUNT; i++) {
      const { nodeId, componentId } = pairFromIndex(i);
      expect(nodeId).toBeLessThanOrEqual(MAX_NODE_ID);
      expect(componentId).toBeLessThanOrEqual(MAX_COMPONENT_ID);
      seen.add(`${nodeId}/${componentId}`);
    }
    expect(seen.size).toBe(128);
  });
});
