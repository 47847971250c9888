/** One series from VictoriaMetrics' `/api/v1/export` (JSON lines). */
export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/**
 * Reads raw points back from VictoriaMetrics (the Influx-protocol store the tests write to) for a series
 * selector such as `{__name__="idgen_requests_ids",service="x"}`. Each Influx field is stored as its own
 * series named `<measurement>_<field>`, with the tags as labels.
 */
export async function exportSeries(baseUrl: string, match: string): Promise<ExportedSeries[]> {
  // Samples become searchable after VictoriaMetrics' periodic in-memory flush (seconds); force it so a read
  // right after a write sees the write.
  await fetch(new URL('/internal/force_flush', baseUrl));
  const url = new URL('/api/v1/export', baseUrl);
  url.searchParams.set('match[]', match);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`VictoriaMetrics export of ${match} answered HTTP ${res.status}`);
  const text = await res.text();
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ExportedSeries);
}
