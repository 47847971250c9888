import { Point } from '@influxdata/influxdb-client';
import { describe, expect, it } from 'vitest';
import { addCorrelationFields, joinCorrelationId, splitCorrelationId } from '../../src/metrics/correlation-fields.js';

describe('correlation id fields', () => {
  it.each(['0', '1', '4294967295', '4294967296', '397237206544449536', '18446744073709551615'])(
    'splits %s into exact 32-bit halves and back',
    (id) => {
      const halves = splitCorrelationId(id);
      expect(halves).toBeDefined();
      expect(halves!.hi).toBeLessThan(2 ** 32);
      expect(halves!.lo).toBeLessThan(2 ** 32);
      expect(joinCorrelationId(halves!.hi, halves!.lo)).toBe(id);
    },
  );

  it.each(['4bf92f3577b34da6a3ce929d0e0e4736', '18446744073709551616', '-1', '', '1e5'])(
    'keeps %s as a string field only',
    (id) => {
      expect(splitCorrelationId(id)).toBeUndefined();
      const line = addCorrelationFields(new Point('m').intField('n', 1), id).toLineProtocol();
      expect(line).toContain('correlation_id=');
      expect(line).not.toContain('correlation_id_hi');
    },
  );

  it('writes the string and both integer halves, and no correlation tag', () => {
    const line = addCorrelationFields(
      new Point('m').tag('service', 's').intField('n', 1),
      '397237206544449536',
    ).toLineProtocol()!;
    expect(line).toMatch(/^m,service=s /);
    expect(line).toContain('correlation_id="397237206544449536"');
    expect(line).toContain(`correlation_id_hi=${Number(397237206544449536n >> 32n)}i`);
    expect(line).toContain(`correlation_id_lo=${Number(397237206544449536n & 0xffffffffn)}i`);
  });
});
