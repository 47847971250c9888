import { describe, expect, it } from 'vitest';
import { hashIdPair, IdTable, idKeyBytes } from '../../src/engine/id-table.js';
import { prng } from '../support/hops.js';

describe('IdTable', () => {
  it('agrees with a Map under random inserts and removals (backward-shift deletion keeps every probe run reachable)', () => {
    const random = prng(5);
    const table = new IdTable(16);
    let rows = 16;
    const model = new Map<string, number>();
    const keyOf = new Map<number, [Buffer, Buffer]>();
    const free: number[] = [];
    let nextRow = 0;
    for (let op = 0; op < 20_000; op++) {
      const trace = Buffer.from(`t${Math.floor(random() * 40)}`);
      const span = Buffer.from(`s${Math.floor(random() * 60)}`);
      const key = `${trace}/${span}`;
      const hash = hashIdPair(trace, 0, trace.length, span, 0, span.length);
      const found = table.find(hash, trace, 0, trace.length, span, 0, span.length);
      expect(found).toBe(model.get(key) ?? -1);
      if (found >= 0 && random() < 0.5) {
        table.remove(found);
        model.delete(key);
        keyOf.delete(found);
        free.push(found);
      } else if (found < 0) {
        let row = free.pop();
        if (row === undefined) {
          row = nextRow++;
          if (row >= rows) {
            rows *= 2;
            table.grow(rows);
          }
        }
        table.insert(row, hash, trace, 0, trace.length, span, 0, span.length);
        model.set(key, row);
        keyOf.set(row, [trace, span]);
      }
    }
    for (const [row, [trace, span]] of keyOf) {
      expect(table.traceId(row)).toBe(trace.toString());
      expect(table.spanId(row)).toBe(span.toString());
    }
  });

  it('keys non-ASCII ids by their UTF-8 bytes, and over-long ones by a digest with their strings kept', () => {
    expect(idKeyBytes('äb').bytes).toEqual(Buffer.from('äb'));
    const long = idKeyBytes('ü'.repeat(40));
    expect(long.digested).toBe(true);
    expect(long.bytes[0]).toBe(0xff);
    const table = new IdTable(4);
    const span = idKeyBytes('s');
    const hash = hashIdPair(long.bytes, 0, long.bytes.length, span.bytes, 0, 1);
    table.insert(0, hash, long.bytes, 0, long.bytes.length, span.bytes, 0, 1);
    table.keepStrings(0, 'ü'.repeat(40), 's');
    expect(table.find(hash, long.bytes, 0, long.bytes.length, span.bytes, 0, 1)).toBe(0);
    expect(table.traceId(0)).toBe('ü'.repeat(40));
  });

  it('keeps id pairs longer than the inline key room (two 64-byte ids) apart from short ones, through growth and row reuse', () => {
    const random = prng(9);
    const table = new IdTable(4);
    let rows = 4;
    const model = new Map<string, number>();
    const keyOf = new Map<number, [Buffer, Buffer]>();
    const free: number[] = [];
    let nextRow = 0;
    const id = (prefix: string, n: number, long: boolean) =>
      Buffer.from(long ? `${prefix}${n}`.padEnd(64, 'x') : `${prefix}${n}`);
    for (let op = 0; op < 5_000; op++) {
      const trace = id('t', Math.floor(random() * 20), random() < 0.5);
      const span = id('s', Math.floor(random() * 20), random() < 0.3);
      const key = `${trace}/${span}`;
      const hash = hashIdPair(trace, 0, trace.length, span, 0, span.length);
      const found = table.find(hash, trace, 0, trace.length, span, 0, span.length);
      expect(found).toBe(model.get(key) ?? -1);
      if (found >= 0) {
        expect(table.traceIs(found, trace)).toBe(true);
        if (random() < 0.5) {
          table.remove(found);
          model.delete(key);
          keyOf.delete(found);
          free.push(found);
        }
      } else {
        let row = free.pop();
        if (row === undefined) {
          row = nextRow++;
          if (row >= rows) {
            rows *= 2;
            table.grow(rows);
          }
        }
        table.insert(row, hash, trace, 0, trace.length, span, 0, span.length);
        model.set(key, row);
        keyOf.set(row, [trace, span]);
      }
    }
    for (const [row, [trace, span]] of keyOf) {
      expect(table.traceId(row)).toBe(trace.toString());
      expect(table.spanId(row)).toBe(span.toString());
    }
  });
});
