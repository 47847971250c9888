import { describe, expect, it } from 'vitest';
import { expiredIndices } from '../../../src/storage/elasticsearch/retention.js';

describe('expiredIndices', () => {
  const now = Date.UTC(2025, 2, 10, 12);
  it('deletes days more than retentionDays before today (UTC), keeps the rest', () => {
    const names = ['p-2025.03.10', 'p-2025.03.03', 'p-2025.03.02', 'p-2024.12.31'];
    expect(expiredIndices(names, 'p', 7, now)).toEqual(['p-2024.12.31', 'p-2025.03.02']);
  });
  it('never touches indices of another prefix or not in the daily format', () => {
    const names = ['p-extra-2020.01.01', 'other-2020.01.01', 'p-2020.1.1', 'p-archive', 'p.x-2020.01.01'];
    expect(expiredIndices(names, 'p', 1, now)).toEqual([]);
    expect(expiredIndices(['p.x-2020.01.01'], 'p.x', 1, now)).toEqual(['p.x-2020.01.01']);
  });
});
