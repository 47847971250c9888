import { errors as esErrors } from '@elastic/elasticsearch';
import { CollectorError } from '../../errors.js';
import type { ResolvedElasticsearchConfig } from './config.js';

const SECTION = 'storage.elasticsearch';

/** OpenSSL/Node messages of a certificate that does not chain to a trusted CA (or is otherwise unacceptable). */
const CERTIFICATE_PROBLEMS = [
  /self[- ]signed certificate/i,
  /unable to (verify|get local issuer)/i,
  /certificate (has expired|is not yet valid|signature failure)/i,
  /Hostname\/IP does not match/i,
  /ERR_TLS_CERT|CERT_/,
];

function securityReason(err: InstanceType<typeof esErrors.ResponseError>): string {
  const body = err.body as
    | { error?: { reason?: string; additional_unsuccessful_credentials?: string } | string }
    | string
    | undefined;
  const error = typeof body === 'object' ? body?.error : undefined;
  if (typeof error === 'object' && error) {
    return [error.reason, error.additional_unsuccessful_credentials].filter(Boolean).join('; ');
  }
  return typeof error === 'string' ? error : `HTTP ${err.statusCode}`;
}

/**
 * Turns a client error caused by the connection settings into a {@link CollectorError} that names the setting
 * to fix: TLS verification failures name `tls.caFile`/`tls.caFingerprint`, 401 names the API key or password,
 * 403 the credentials' privileges. Returns undefined for other errors (outages, timeouts), which callers retry.
 * The message carries the server's reason only — never a header, URL credential or secret.
 */
export function describeConnectionError(
  err: unknown,
  config: Pick<ResolvedElasticsearchConfig, 'auth' | 'tls'>,
): CollectorError | undefined {
  if (err instanceof esErrors.ResponseError) {
    const status = err.statusCode;
    if (status !== 401 && status !== 403) return undefined;
    const reason = securityReason(err);
    const auth = config.auth;
    if (status === 403) {
      const who = auth && 'apiKey' in auth ? `${SECTION}.auth.apiKey` : `${SECTION}.auth.username`;
      return new CollectorError(
        'COL_ERR_ES_PRIVILEGES',
        `${who}: the credentials lack a privilege the collector needs (cluster: monitor, manage_index_templates; indices <indexPrefix>-*: all): ${reason}`,
        who,
      );
    }
    if (!auth) {
      return new CollectorError(
        'COL_ERR_ES_AUTH',
        `${SECTION}.auth: the cluster requires credentials (set auth.apiKey or auth.username/password): ${reason}`,
        `${SECTION}.auth`,
      );
    }
    if ('apiKey' in auth) {
      return new CollectorError(
        'COL_ERR_ES_AUTH',
        `${SECTION}.auth.apiKey: Elasticsearch refused the API key (wrong, invalidated or expired): ${reason}`,
        `${SECTION}.auth.apiKey`,
      );
    }
    return new CollectorError(
      'COL_ERR_ES_AUTH',
      `${SECTION}.auth.password: Elasticsearch refused user "${auth.username}" (wrong or expired password, or unknown user): ${reason}`,
      `${SECTION}.auth.password`,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | undefined)?.code;
  if (/fingerprint/i.test(message)) {
    return new CollectorError(
      'COL_ERR_ES_TLS',
      `${SECTION}.tls.caFingerprint: the node's certificate chain has no CA with this fingerprint: ${message}`,
      `${SECTION}.tls.caFingerprint`,
    );
  }
  if (CERTIFICATE_PROBLEMS.some((re) => re.test(message) || (typeof code === 'string' && re.test(code)))) {
    const setting = config.tls.caFile
      ? `${SECTION}.tls.caFile`
      : config.tls.caFingerprint
        ? `${SECTION}.tls.caFingerprint`
        : `${SECTION}.tls.caFile`;
    const hint =
      config.tls.caFile || config.tls.caFingerprint ? 'is not the CA that signed' : 'is not set; set it to the CA of';
    return new CollectorError(
      'COL_ERR_ES_TLS',
      `${setting}: cannot verify the node's TLS certificate (${setting.slice(SECTION.length + 1)} ${hint} the node's certificate): ${message}`,
      setting,
    );
  }
  return undefined;
}
