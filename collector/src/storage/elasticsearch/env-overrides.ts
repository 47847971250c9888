import { elasticsearchConfigSchema } from './config.js';

/** How an environment variable's text becomes a config value. */
export type EnvValueKind = 'string' | 'int' | 'bool' | 'list';

/** One environment variable: the dotted config key it sets and how its value is read. */
export interface EnvOverride {
  key: string;
  kind: EnvValueKind;
  /** Never logged or echoed in errors (passwords, API keys). */
  secret?: boolean;
  /**
   * Cleared before the variable is applied, once per load: credentials from the environment replace the
   * file's `auth` as a whole, so an API key in the environment wins over a user/password in the YAML.
   */
  replaces?: string;
}

const PREFIX = 'PHOSPHOR_COLLECTOR_ES_';
const SECTION = 'storage.elasticsearch';
const AUTH = `${SECTION}.auth`;

function envName(camel: string): string {
  return PREFIX + camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function kindOf(schema: { type?: string; enum?: readonly unknown[] }): EnvValueKind {
  if (schema.type === 'integer') return 'int';
  if (schema.type === 'boolean') return 'bool';
  if (schema.type === 'array') return 'list';
  return 'string';
}

/**
 * `PHOSPHOR_COLLECTOR_ES_*` variables: one per `storage.elasticsearch` setting, named after it
 * (`bulkMaxSpans` → `PHOSPHOR_COLLECTOR_ES_BULK_MAX_SPANS`, `nodes` as a comma-separated list), plus the
 * credentials and TLS settings, so a deployment can keep every node address and secret out of YAML.
 */
export const ELASTICSEARCH_ENV_OVERRIDES: Readonly<Record<string, EnvOverride>> = (() => {
  const out: Record<string, EnvOverride> = {};
  for (const [name, schema] of Object.entries(elasticsearchConfigSchema.properties)) {
    if (name === 'auth' || name === 'tls') continue;
    out[envName(name)] = { key: `${SECTION}.${name}`, kind: kindOf(schema as { type?: string }) };
  }
  out[`${PREFIX}USERNAME`] = { key: `${AUTH}.username`, kind: 'string', replaces: AUTH };
  out[`${PREFIX}PASSWORD`] = { key: `${AUTH}.password`, kind: 'string', secret: true, replaces: AUTH };
  out[`${PREFIX}API_KEY`] = { key: `${AUTH}.apiKey`, kind: 'string', secret: true, replaces: AUTH };
  out[`${PREFIX}CA_FILE`] = { key: `${SECTION}.tls.caFile`, kind: 'string' };
  out[`${PREFIX}CA_FINGERPRINT`] = { key: `${SECTION}.tls.caFingerprint`, kind: 'string' };
  out[`${PREFIX}VERIFY_CERTIFICATE`] = { key: `${SECTION}.tls.verifyCertificate`, kind: 'bool' };
  return out;
})();
