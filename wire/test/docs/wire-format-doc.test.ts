import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeDatagram } from '../../src/index.js';
import { EXAMPLE_EVENT, EXAMPLE_KEY, exampleDatagram, renderWireExample } from './wire-example.js';

const doc = readFileSync(new URL('../../../docs/wire-format.md', import.meta.url), 'utf8');

describe('docs/wire-format.md', () => {
  it('shows the worked example exactly as the encoder produces it', () => {
    const section = /<!-- wire-example:start -->\n([\s\S]*?)\n<!-- wire-example:end -->/.exec(doc)?.[1];
    expect(section).toBe(renderWireExample());
  });

  it('the worked example decodes, with its HMAC, to the documented event', () => {
    const result = decodeDatagram(exampleDatagram(), Buffer.from(EXAMPLE_KEY));
    expect(result.ok && result.batch.events).toEqual([EXAMPLE_EVENT]);
  });

  it('embeds the current phosphor.proto', () => {
    const proto = readFileSync(new URL('../../src/phosphor.proto', import.meta.url), 'utf8').trim();
    expect(doc).toContain(proto);
  });
});
