import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiskSpool } from '../../../src/storage/elasticsearch/disk-spool.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'phosphor-spool-fsync-'));
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

describe('DiskSpool fsync policy', () => {
  it("batch (the default): one event-loop turn's appends are fsync'd together after it, off the event loop", async () => {
    const spool = new DiskSpool(dir, 1_000_000);
    const synced = async (n: number) => {
      for (let i = 0; i < 200 && spool.fsyncs < n; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      return spool.fsyncs;
    };
    spool.append(['a', 'b']);
    spool.append(['c']);
    expect(spool.fsyncs).toBe(0); // not inside the turn that appended
    expect(await synced(2)).toBe(2); // tail + directory, once for both appends
    spool.append(['d']);
    expect(await synced(4)).toBe(4);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(spool.fsyncs).toBe(4); // nothing new written
    spool.prepend(['z']);
    expect(spool.fsyncs).toBe(6); // shutdown path: synced at once
    spool.append(['e']);
    spool.close();
    expect(spool.fsyncs).toBe(8); // close syncs what is pending
    expect(spool.fsyncErrors).toBe(0);
  });

  it('interval: appends are synced together by the timer, at most once per interval, and at close', () => {
    vi.useFakeTimers();
    const spool = new DiskSpool(dir, 1_000_000, { fsync: 'interval', fsyncIntervalMillis: 500 });
    spool.append(['a']);
    spool.append(['b']);
    expect(spool.fsyncs).toBe(0);
    vi.advanceTimersByTime(500);
    expect(spool.fsyncs).toBe(2); // tail + directory
    vi.advanceTimersByTime(5_000);
    expect(spool.fsyncs).toBe(2); // nothing written since
    spool.append(['c']);
    spool.close();
    expect(spool.fsyncs).toBe(4);
  });

  it('never: leaves flushing to the OS', () => {
    const spool = new DiskSpool(dir, 1_000_000, { fsync: 'never' });
    spool.append(['a']);
    spool.prepend(['b']);
    spool.close();
    expect(spool.fsyncs).toBe(0);
    const again = new DiskSpool(dir, 1_000_000, { fsync: 'never' });
    expect(again.read(10).map((r) => r.line)).toEqual(['b', 'a']);
    again.close();
  });
});
