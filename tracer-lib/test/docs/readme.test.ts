import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TracerErrorCodes } from '../../src/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('tracer-lib/README.md', () => {
  it.each(Object.keys(TracerErrorCodes))('documents error code %s', (code) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${code}\` +\\| \\S`, 'm'));
  });

  it.each([
    'service',
    'collectors',
    'maxBufferedEvents',
    'maxDatagramBytes',
    'flushIntervalMillis',
    'sampleRate',
    'hostname',
    'zone',
    'hmacKey',
    'idSource',
    'enabled',
    // phosphorFastify / traceGrpcHandlers
    'tracer',
    'context',
    'instrument',
  ])('documents option %s with its default', (option) => {
    // A table row: option, a non-empty default, a non-empty reason (column padding allowed).
    expect(readme).toMatch(new RegExp(`^\\| \`${option}\` +\\| *[^| ][^|]* \\| *[^| ][^|]* \\|$`, 'm'));
  });
});
