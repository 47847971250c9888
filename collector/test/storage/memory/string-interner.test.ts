import { describe, expect, it } from 'vitest';
import { NO_STRING, StringInterner } from '../../../src/storage/memory/string-interner.js';

describe('StringInterner', () => {
  it('gives one id per distinct string and frees it with its last holder', () => {
    const strings = new StringInterner();
    const a = strings.acquire('front');
    expect(strings.acquire('front')).toBe(a);
    const b = strings.acquire('ids');
    expect(b).not.toBe(a);
    expect(strings.get(a)).toBe('front');
    expect(strings.idOf('ids')).toBe(b);
    strings.release(a);
    expect(strings.get(a)).toBe('front');
    strings.release(a);
    expect(strings.idOf('front')).toBe(NO_STRING);
    expect(strings.size).toBe(1);
    // A freed id is reused, and a stale hint for it is not taken for the old string.
    const c = strings.acquire('auth', a);
    expect(c).toBe(a);
    expect(strings.acquire('front', a)).not.toBe(a);
  });

  it('stays as large as what is held, however many strings pass through', () => {
    const strings = new StringInterner();
    const held = strings.acquire('kept');
    for (let i = 0; i < 10_000; i++) strings.release(strings.acquire(`unique ${i}`));
    expect(strings.size).toBe(1);
    expect(strings.get(held)).toBe('kept');
    expect(strings.acquireOptional(undefined)).toBe(NO_STRING);
  });
});
