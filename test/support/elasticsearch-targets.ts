import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { configuredValue, requireBackend, startBackend, stopBackend } from './backends.js';

/**
 * The Elasticsearch servers the suites run against (both by default, in the same `npm test`):
 * - `es8`: 8.19 over plain HTTP, security off (a developer's local node);
 * - `es9`: 9.2 as production runs it — HTTPS with the CA it generated, the collector on an API key.
 * `PHOSPHOR_TEST_ES_TARGETS=es9` (comma-separated) narrows a run while working on one of them.
 */
export type EsTargetName = 'es8' | 'es9';

const ALL: readonly EsTargetName[] = ['es8', 'es9'];

/** Targets of this run, in a fixed order (for `describe.each`). */
export const ES_TARGET_NAMES: readonly EsTargetName[] = (() => {
  const wanted = process.env.PHOSPHOR_TEST_ES_TARGETS;
  if (!wanted) return ALL;
  const names = wanted.split(',').map((n) => n.trim());
  for (const n of names) {
    if (!ALL.includes(n as EsTargetName)) throw new Error(`PHOSPHOR_TEST_ES_TARGETS: unknown target "${n}" (es8, es9)`);
  }
  return ALL.filter((n) => names.includes(n));
})();

/** An Elasticsearch server of the test run, with what the collector and an admin need to reach it. */
export interface EsTarget {
  name: EsTargetName;
  /** Major version the server must report. */
  major: 8 | 9;
  url: string;
  /** `storage.elasticsearch` settings that reach the node as a deployed collector does (TLS CA, API key). */
  connection: { nodes: string[]; tls?: { caFile: string }; auth?: { apiKey: string } };
  /** Options for an admin `@elastic/elasticsearch` Client (the provisioned superuser on the secured node). */
  adminOptions: { node: string; auth?: { username: string; password: string }; tls?: { ca: string } };
  /** Present on the secured node only. */
  secured?: { caFile: string; caFingerprint: string; apiKey: string; username: string; password: string };
  /** A raw HTTP request as the admin (JSON in and out), for checks that bypass the client. */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** Stops the node (fault tests); resolves once it is down. */
  stop(): Promise<void>;
  /** Starts it again and waits until it answers. */
  start(): Promise<void>;
}

function rawRequest(
  url: string,
  ca: string | undefined,
  auth: string | undefined,
  method: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const target = new URL(path, url);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method,
        ...(ca ? { ca } : {}),
        ...(auth ? { auth } : {}),
        headers: payload
          ? { 'content-type': body && typeof body === 'string' ? 'application/x-ndjson' : 'application/json' }
          : {},
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${target.href}: no answer within 30 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Returns a target after checking that its server answers; fails loudly (never skips) otherwise. */
export async function requireEsTarget(name: EsTargetName): Promise<EsTarget> {
  if (name === 'es8') {
    const url = await requireBackend('elasticsearch');
    return {
      name,
      major: 8,
      url,
      connection: { nodes: [url] },
      adminOptions: { node: url },
      request: (method, path, body) => rawRequest(url, undefined, undefined, method, path, body),
      stop: () => stopBackend('elasticsearch'),
      start: () => startBackend('elasticsearch'),
    };
  }
  const url = await requireBackend('elasticsearch9');
  const caFile = configuredValue('PHOSPHOR_TEST_ES9_CA', 'elasticsearch9');
  const ca = readFileSync(caFile, 'utf8');
  const secured = {
    caFile,
    caFingerprint: configuredValue('PHOSPHOR_TEST_ES9_CA_FINGERPRINT', 'elasticsearch9'),
    apiKey: configuredValue('PHOSPHOR_TEST_ES9_API_KEY', 'elasticsearch9'),
    username: configuredValue('PHOSPHOR_TEST_ES9_USERNAME', 'elasticsearch9'),
    password: configuredValue('PHOSPHOR_TEST_ES9_PASSWORD', 'elasticsearch9'),
  };
  return {
    name,
    major: 9,
    url,
    connection: { nodes: [url], tls: { caFile }, auth: { apiKey: secured.apiKey } },
    adminOptions: { node: url, auth: { username: secured.username, password: secured.password }, tls: { ca } },
    secured,
    request: (method, path, body) => rawRequest(url, ca, `${secured.username}:${secured.password}`, method, path, body),
    stop: () => stopBackend('elasticsearch9'),
    start: () => startBackend('elasticsearch9'),
  };
}
