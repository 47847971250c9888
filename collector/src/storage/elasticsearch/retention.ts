import type { Client } from '@elastic/elasticsearch';

const DAY_MILLIS = 86_400_000;
/** Indices deleted per request, keeping the URL (index names joined by commas) well under 4 KB. */
const DELETE_CHUNK = 50;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Names among `indices` that are daily span indices (`<prefix>-YYYY.MM.DD`) whose day is more than
 * `retentionDays` days before the UTC day of `nowMillis`. With retentionDays = 7 on the 10th, the
 * 3rd is kept and the 2nd deleted.
 */
export function expiredIndices(
  indices: readonly string[],
  indexPrefix: string,
  retentionDays: number,
  nowMillis: number,
): string[] {
  const pattern = new RegExp(`^${escapeRegExp(indexPrefix)}-(\\d{4})\\.(\\d{2})\\.(\\d{2})$`);
  const today = Math.floor(nowMillis / DAY_MILLIS);
  const out: string[] = [];
  for (const name of indices) {
    const m = pattern.exec(name);
    if (!m) continue;
    const day = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MILLIS;
    if (Number.isFinite(day) && today - day > retentionDays) out.push(name);
  }
  return out.sort();
}

/**
 * Deletes the daily span indices older than `retentionDays` and returns their names. Indices that
 * do not follow the daily naming (e.g. created by hand under the prefix) are never touched.
 */
export async function deleteExpiredIndices(
  client: Client,
  indexPrefix: string,
  retentionDays: number,
  nowMillis = Date.now(),
): Promise<string[]> {
  const rows = await client.cat.indices({
    index: `${indexPrefix}-*`,
    h: 'index',
    format: 'json',
    expand_wildcards: 'all',
  });
  const names = rows.map((r) => r.index).filter((n): n is string => typeof n === 'string');
  const expired = expiredIndices(names, indexPrefix, retentionDays, nowMillis);
  for (let i = 0; i < expired.length; i += DELETE_CHUNK) {
    await client.indices.delete({ index: expired.slice(i, i + DELETE_CHUNK), ignore_unavailable: true });
  }
  return expired;
}
