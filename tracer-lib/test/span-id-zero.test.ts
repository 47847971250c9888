import { describe, expect, it, vi } from 'vitest';

// A random source that returns zero bytes: every 8-byte group of a span id batch is all zeros.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    randomFillSync: <T extends NodeJS.ArrayBufferView>(buffer: T): T => {
      new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength).fill(0);
      return buffer;
    },
  };
});

describe('span ids from an all-zero random batch', () => {
  it('never hands out the all-zero id W3C forbids', async () => {
    const { newSpanId } = await import('../src/ids.js');
    const ids = Array.from({ length: 3000 }, newSpanId);
    // The zero group is made non-zero in its last byte.
    expect(ids[0]).toBe('0000000000000001');
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{16}$/);
      expect(id).not.toBe('0000000000000000');
    }
  });

  it('never draws the all-zero id as words either', async () => {
    const { drawSpanIdWords } = await import('../src/ids.js');
    const into = { spanHigh: -1, spanLow: -1 };
    for (let i = 0; i < 3000; i++) {
      drawSpanIdWords(into);
      expect(into.spanHigh).toBe(0);
      // The zero group is made non-zero in its last byte: the second word's highest byte, little-endian.
      expect(into.spanLow).not.toBe(0);
    }
  });
});
