import { describe, expect, it } from 'vitest';
import { createFrameRing, FrameRingReader, FrameRingWriter } from '../../src/shards/frame-ring.js';

function payload(n: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (n * 31 + i) & 0xff);
}

describe('FrameRing', () => {
  it('hands records over in order, whole, across many wraps of the ring', () => {
    const ring = createFrameRing(1000);
    const writer = new FrameRingWriter(ring);
    const reader = new FrameRingReader(ring);
    const seen: { frames: number; bytes: number[] }[] = [];
    let written = 0;
    for (let round = 0; round < 500; round++) {
      // Sizes that do not divide the capacity, so records land on every offset and wrap.
      const length = 1 + ((round * 37) % 190);
      if (writer.push(payload(round, length), round)) written++;
      if (round % 3 === 2) reader.drain(2, (p, frames) => seen.push({ frames, bytes: [...p] }));
    }
    reader.drain(Number.POSITIVE_INFINITY, (p, frames) => seen.push({ frames, bytes: [...p] }));
    expect(seen.length).toBe(written);
    expect(written).toBeGreaterThan(300);
    for (const { frames, bytes } of seen) {
      expect(bytes).toEqual([...payload(frames, 1 + ((frames * 37) % 190))]);
    }
    expect(seen.map((s) => s.frames)).toEqual([...seen.map((s) => s.frames)].sort((a, b) => a - b));
  });

  it('refuses a record when the ring is full and takes records again once the reader catches up', () => {
    const ring = createFrameRing(256);
    const writer = new FrameRingWriter(ring);
    const reader = new FrameRingReader(ring);
    let accepted = 0;
    while (writer.push(payload(accepted, 40), accepted)) accepted++;
    expect(accepted).toBe(5); // 5 × 48 bytes fit in 256 with the gap kept free
    expect(writer.push(payload(99, 40), 99)).toBe(false);
    // The next record wraps to offset 0 and must end short of the reader by the gap: one record read is not enough room.
    expect(reader.drain(1, () => {})).toBe(1);
    expect(writer.push(payload(5, 40), 5)).toBe(false);
    expect(reader.drain(1, () => {})).toBe(1);
    expect(writer.push(payload(5, 40), 5)).toBe(true);
    const frames: number[] = [];
    reader.drain(100, (_p, f) => frames.push(f));
    expect(frames).toEqual([2, 3, 4, 5]);
  });

  it('wakes a reader waiting on an empty ring, and a waiting reader costs one wake-up however many records follow', async () => {
    const ring = createFrameRing(4096);
    const writer = new FrameRingWriter(ring);
    const reader = new FrameRingReader(ring);
    const waiting = reader.waitForRecords();
    writer.push(payload(1, 10), 1);
    writer.push(payload(2, 10), 2);
    await waiting;
    expect(writer.wakeUps).toBe(1);
    expect(reader.drain(10, () => {})).toBe(2);
    // Not asleep: no wake-up for the next record; a wait with a record already there resolves at once.
    writer.push(payload(3, 10), 3);
    expect(writer.wakeUps).toBe(1);
    await reader.waitForRecords();
    expect(reader.drain(10, () => {})).toBe(1);
  });
});
