import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskSpool, SPOOL_SEGMENT_MAX_BYTES } from '../../../src/storage/elasticsearch/disk-spool.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'phosphor-spool-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `line-${from + i}`);

describe('DiskSpool', () => {
  it('reads lines back in append order across reads', () => {
    const spool = new DiskSpool(dir, 1_000_000);
    spool.append(lines(0, 5));
    spool.append(lines(5, 5));
    expect(spool.pendingRecords).toBe(10);
    const first = spool.read(3);
    const rest = spool.read(100);
    expect([...first, ...rest].map((r) => r.line)).toEqual(lines(0, 10));
    expect(spool.pendingRecords).toBe(0);
  });

  it('stores only what fits in maxBytes and reports how many', () => {
    const spool = new DiskSpool(dir, 30);
    expect(spool.append(['aaaaaaaaa', 'bbbbbbbbb', 'ccccccccc', 'ddddddddd'])).toBe(3);
    expect(spool.bytes).toBe(30);
  });

  it('deletes a segment only when fully read and every record released', () => {
    const spool = new DiskSpool(dir, 1_000_000);
    spool.append(lines(0, 4));
    const records = spool.read(4);
    expect(readdirSync(dir)).toHaveLength(1);
    for (const r of records.slice(0, 3)) r.release();
    expect(readdirSync(dir)).toHaveLength(1);
    records[3]!.release();
    records[3]!.release();
    expect(readdirSync(dir)).toHaveLength(0);
    expect(spool.bytes).toBe(0);
  });

  it('rolls over to a new segment past SPOOL_SEGMENT_MAX_BYTES', () => {
    const spool = new DiskSpool(dir, 4 * SPOOL_SEGMENT_MAX_BYTES);
    const big = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 10; i++) spool.append([`${i}${big}`]);
    expect(readdirSync(dir).length).toBeGreaterThan(1);
    const got = spool.read(100).map((r) => r.line[0]);
    expect(got).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('after a restart, replays unreleased records, prepended lines first', () => {
    const a = new DiskSpool(dir, 1_000_000);
    a.append(lines(10, 3));
    a.read(1); // read but never released: must come back
    a.close();
    const b = new DiskSpool(dir, 1_000_000);
    expect(b.pendingRecords).toBe(3);
    b.prepend(lines(0, 2));
    expect(b.read(10).map((r) => r.line)).toEqual([...lines(0, 2), ...lines(10, 3)]);
  });
});

describe('DiskSpool after a crash mid-append', () => {
  it('hands out a torn last line as a record (which then fails to parse) and keeps the complete ones', async () => {
    const { appendFileSync } = await import('node:fs');
    const a = new DiskSpool(dir, 1_000_000);
    a.append(lines(0, 2));
    a.close();
    const [segment] = readdirSync(dir);
    appendFileSync(join(dir, segment!), 'torn-without-newl');
    const b = new DiskSpool(dir, 1_000_000);
    expect(b.pendingRecords).toBe(2);
    const got = b.read(10);
    expect(got.map((r) => r.line)).toEqual([...lines(0, 2), 'torn-without-newl']);
    for (const r of got) r.release();
    expect(readdirSync(dir)).toHaveLength(0);
  });
});
