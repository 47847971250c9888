import { describe, expect, it } from 'vitest';
import { PartitionProgress, WriteWatermark } from '../../src/cluster/commit-safety.js';

describe('WriteWatermark', () => {
  it('advances only over writes settled without a gap', () => {
    const w = new WriteWatermark();
    const a = w.begin();
    const b = w.begin();
    const c = w.begin();
    expect(w.settledThrough).toBe(0);
    w.settle(b, true);
    expect(w.settledThrough).toBe(0);
    w.settle(a, true);
    expect(w.settledThrough).toBe(b);
    w.settle(c, true);
    expect(w.settledThrough).toBe(c);
    expect(w.pendingWrites).toBe(0);
  });

  it('counts writes whose spans were dropped', () => {
    const w = new WriteWatermark();
    w.settle(w.begin(), false);
    expect(w.lostWrites).toBe(1);
  });
});

describe('PartitionProgress', () => {
  const EMIT = 1000;

  it('is safe only after the emission delay AND once the writes issued by then are settled', () => {
    const w = new WriteWatermark();
    const p = new PartitionProgress<string>(10);
    p.observe(5n, 0, 'm5');
    const early = w.begin(); // a span of record 5 written before its deadline
    expect(p.takeSafe(500, EMIT, w)).toBeUndefined(); // too early: its hops may still be pending
    const atDeadline = w.begin(); // the timeout sweep's partial span
    expect(p.takeSafe(1000, EMIT, w)).toBeUndefined(); // barrier = atDeadline, not settled
    w.settle(atDeadline, true);
    expect(p.takeSafe(1100, EMIT, w)).toBeUndefined(); // `early` still in flight
    w.settle(early, true);
    expect(p.takeSafe(1200, EMIT, w)?.offset).toBe(5n);
    expect(p.takeSafe(1300, EMIT, w)).toBeUndefined();
  });

  it('writes begun after a checkpoint got its barrier do not hold it back', () => {
    const w = new WriteWatermark();
    const p = new PartitionProgress<string>(10);
    p.observe(1n, 0, 'm1');
    const before = w.begin(); // a span of record 1
    expect(p.takeSafe(1000, EMIT, w)).toBeUndefined(); // barrier = before, in flight
    w.begin(); // later traffic, still in flight
    p.observe(2n, 1000, 'm2');
    w.settle(before, true);
    expect(p.takeSafe(1001, EMIT, w)?.offset).toBe(1n);
  });

  it('coalesces records within the coalescing window into one checkpoint', () => {
    const w = new WriteWatermark();
    const p = new PartitionProgress<string>(100);
    for (let i = 0; i < 50; i++) p.observe(BigInt(i), i, `m${i}`);
    expect(p.waitingCheckpoints).toBe(1);
    expect(p.takeSafe(2000, EMIT, w)?.handle).toBe('m49');
  });

  it('forgets every checkpoint when the stream goes back (replay after a rebalance)', () => {
    const w = new WriteWatermark();
    const p = new PartitionProgress<string>(10);
    p.observe(100n, 0, 'm100');
    p.observe(150n, 50, 'm150');
    p.observe(40n, 60, 'm40'); // replay from the committed offset: state before it was discarded
    expect(p.waitingCheckpoints).toBe(1);
    expect(p.takeSafe(5000, EMIT, w)?.offset).toBe(40n);
  });
});

describe('PartitionProgress holds', () => {
  it('does not commit records consumed since a partial span still open for late events', () => {
    const w = new WriteWatermark();
    const p = new PartitionProgress<string>(10);
    p.observe(1n, 0, 'm1');
    p.observe(2n, 500, 'm2'); // the first event of a hop later emitted partial
    p.observe(3n, 900, 'm3');
    expect(p.takeSafe(5000, 1000, w, 490)?.offset).toBe(1n);
    expect(p.takeSafe(5000, 1000, w, 490)).toBeUndefined();
    expect(p.takeSafe(5000, 1000, w)?.offset).toBe(3n); // hold released
  });
});
