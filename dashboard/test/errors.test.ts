// @vitest-environment node
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DashboardErrorCodes } from '../src/errors.js';

describe('error codes', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  it.each(Object.keys(DashboardErrorCodes))('%s is documented in dashboard/README.md', (code) => {
    expect(code).toMatch(/^DSH_ERR_[A-Z]+_[A-Z_]+$/);
    expect(readme).toContain(`\`${code}\``);
  });
});
