import { describe, expect, it } from 'vitest';
import { compareTraces } from '../../src/model/compare.js';
import { span } from '../support/spans.js';

describe('compareTraces', () => {
  it('classifies hops present in one trace only, with different counts, and slower ones', () => {
    const a = [
      span('1', undefined, 0, 100),
      span('2', '1', 0, 10, { to: 'db' }),
      span('3', '1', 0, 10, { to: 'cache' }),
    ];
    const b = [
      span('1', undefined, 0, 300),
      span('2', '1', 0, 10, { to: 'db' }),
      span('4', '1', 20, 10, { to: 'db' }),
      span('5', '1', 0, 10, { to: 'auth' }),
    ];
    const rows = compareTraces(a, b);
    const byTo = Object.fromEntries(rows.map((r) => [r.to, r]));
    expect(byTo.db!.difference).toBe('count');
    expect(byTo.db!.countA).toBe(1);
    expect(byTo.db!.countB).toBe(2);
    expect(byTo.cache!.difference).toBe('only-a');
    expect(byTo.auth!.difference).toBe('only-b');
    expect(byTo['svc-1']!.difference).toBe('duration');
    // Differences first; nothing here is the same.
    expect(rows.every((r) => r.difference !== 'same')).toBe(true);
  });

  it('treats small duration changes as the same', () => {
    const rows = compareTraces([span('1', undefined, 0, 100)], [span('1', undefined, 0, 105)]);
    expect(rows[0]!.difference).toBe('same');
  });
});
