import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readReceiveBufferCap, receiveBufferCapWarning } from '../../../src/receivers/udp/kernel-buffer-cap.js';

describe('kernel receive-buffer cap', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmem-'));

  it('reads net.core.rmem_max and ignores unreadable or nonsensical values', () => {
    const good = join(dir, 'good');
    writeFileSync(good, '4194304\n');
    expect(readReceiveBufferCap(good)).toBe(4194304);
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'lots\n');
    expect(readReceiveBufferCap(bad)).toBeUndefined();
    expect(readReceiveBufferCap(join(dir, 'missing'))).toBeUndefined();
  });

  it('warns, naming the setting, the cap and the sysctl, only when the request exceeds the cap', () => {
    const warning = receiveBufferCapWarning(8388608, 4194304);
    expect(warning).toContain('udp.receiveBufferBytes asks for 8388608 bytes');
    expect(warning).toContain('net.core.rmem_max = 4194304');
    expect(warning).toContain('sysctl -w net.core.rmem_max=8388608');
    expect(receiveBufferCapWarning(4194304, 4194304)).toBeUndefined();
    expect(receiveBufferCapWarning(8388608, undefined)).toBeUndefined();
  });
});
