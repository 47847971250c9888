import { describe, expect, it } from 'vitest';
import { NO_TAGS, TagSetInterner } from '../../../src/storage/memory/tag-set-interner.js';

describe('TagSetInterner', () => {
  it('shares one frozen object per distinct set, keeps key order, frees unique sets', () => {
    const sets = new TagSetInterner();
    const a = sets.acquire({ region: 'eu', tier: '1' });
    expect(sets.acquire({ region: 'eu', tier: '1' })).toBe(a);
    expect(sets.acquire({ tier: '1', region: 'eu' })).not.toBe(a);
    expect(Object.isFrozen(sets.get(a))).toBe(true);
    expect(Object.keys(sets.get(a))).toEqual(['region', 'tier']);
    expect(sets.acquire({})).toBe(NO_TAGS);
    expect(sets.get(NO_TAGS)).toEqual({});
    const unique = { correlation_id: 'c1' };
    const u = sets.acquire(unique);
    sets.release(u);
    expect(sets.size).toBe(2);
    // The same object handed again after its set was freed is interned afresh, not by a stale id.
    const again = sets.acquire(unique);
    expect(sets.get(again)).toEqual(unique);
  });
});
