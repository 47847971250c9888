import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDemoConfig, resolveDemoConfig } from '../src/demo-config.js';
import { DEMO_ERROR_CODES } from '../src/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('demo config', () => {
  it('configs/demo.yml is valid and equals the defaults', async () => {
    expect(await loadDemoConfig(path.join(here, '../../../configs/demo.yml'))).toEqual(resolveDemoConfig({}));
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['error rate above 1', { quote: { errorRate: 1.5 } }, /quote\.errorRate: must be <= 1/],
    ['lower-case traffic symbol', { traffic: { symbols: ['acme'] } }, /traffic\.symbols\.0: must match/],
    ['unknown key', { gateway: { port: 1 } }, /gateway\.port: unknown key/],
    [
      'external id service without urls',
      { idGenerator: { embedded: false } },
      /idGenerator\.httpUrl and idGenerator\.grpcTarget are required/,
    ],
  ];
  for (const [name, raw, message] of bad) {
    it(`rejects ${name} naming the field`, () => {
      expect(() => resolveDemoConfig(raw, 'demo.yml')).toThrow(message);
    });
  }

  it('every error code is documented in the README', () => {
    const readme = readFileSync(path.join(here, '../README.md'), 'utf8');
    for (const code of Object.keys(DEMO_ERROR_CODES)) expect(readme).toContain(`\`${code}\``);
  });
});
