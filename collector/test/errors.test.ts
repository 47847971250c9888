import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/errors.js';

describe('error codes', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

  it.each(Object.keys(ERROR_CODES))('%s is documented in collector/README.md', (code) => {
    expect(readme).toContain(`| ${code} |`);
  });

  it('follows COL_ERR_<AREA>_<WHAT>', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^COL_ERR_[A-Z]+_[A-Z_]+$/);
  });
});
