/**
 * Link from a trace to Kibana Discover, filtered on its correlation id. The Kibana base URL comes
 * from the collector's config and the id from span data: both are validated, and the link is only
 * built for http(s) URLs and ids that pass {@link isTraceId}, so no `javascript:` or other scheme
 * can reach an `href`.
 */
import { isTraceId } from './ids.js';

/**
 * Fields that carry the correlation id: span documents use `traceId`, the ID generator's Logstash
 * logs use `correlation_id` (Flaki convention). One query finds both.
 */
const CORRELATION_FIELDS = ['traceId', 'correlation_id'] as const;

/** Discover opens on this time range; traces older than the ES retention are gone anyway. */
const DISCOVER_LOOKBACK = 'now-30d';

/** Rison string quoting (the encoding Kibana's `_a`/`_g` URL state uses). */
function risonString(text: string): string {
  return `'${text.replace(/!/g, '!!').replace(/'/g, "!'")}'`;
}

/** Returns the http(s) base URL without a trailing slash, or undefined when it is not safe to link. */
export function safeHttpUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password) return undefined;
  return url.href.replace(/\/+$/, '');
}

/**
 * Discover URL for a trace, or undefined when Kibana is not configured or the id is not a
 * plain trace id.
 */
export function kibanaDiscoverUrl(
  kibanaUrl: string | undefined,
  traceId: string,
  indexPattern?: string,
): string | undefined {
  const base = safeHttpUrl(kibanaUrl);
  if (!base || !isTraceId(traceId)) return undefined;
  const kuery = CORRELATION_FIELDS.map((field) => `${field}:"${traceId}"`).join(' or ');
  const parts = [`query:(language:kuery,query:${risonString(kuery)})`];
  if (indexPattern && /^[\w.*:-]{1,255}$/.test(indexPattern)) parts.unshift(`index:${risonString(indexPattern)}`);
  const g = `(time:(from:${DISCOVER_LOOKBACK},to:now))`;
  const a = `(${parts.join(',')})`;
  return `${base}/app/discover#/?_g=${encodeURIComponent(g)}&_a=${encodeURIComponent(a)}`;
}
