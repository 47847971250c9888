import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLLECTOR_FLAGS, collectorHelp, collectorVersion } from '../../src/cli/usage.js';
import { ENV_OVERRIDES } from '../../src/config/load-config.js';

describe('phosphor-collector --help / --version', () => {
  const help = collectorHelp();

  it.each(Object.keys(COLLECTOR_FLAGS))('documents the flag --%s', (flag) => {
    expect(help).toContain(`--${flag}`);
  });

  it.each(Object.keys(ENV_OVERRIDES))('documents the environment variable %s', (name) => {
    expect(help).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('reports the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(collectorVersion()).toBe(pkg.version);
    expect(help.split('\n')[0]).toContain(`phosphor-collector ${pkg.version}`);
  });
});
