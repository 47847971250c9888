import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, IdServiceError } from '../src/errors.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('error codes', () => {
  for (const code of Object.keys(ERROR_CODES)) {
    it(`${code} is documented in the README and follows IDG_ERR_<AREA>_<WHAT>`, () => {
      expect(readme).toContain(`\`${code}\``);
      expect(code).toMatch(/^IDG_ERR_[A-Z]+_[A-Z_]+$/);
    });
  }

  it('an error carries its code, statuses and a prefixed message', () => {
    const error = new IdServiceError('IDG_ERR_INPUT_INVALID', 'count must be positive');
    expect(error.message).toBe('IDG_ERR_INPUT_INVALID: count must be positive');
    expect(error.httpStatus).toBe(400);
  });
});
