import { describe, expect, it } from 'vitest';
import {
  applyMemoryCaps,
  DAEMON_INLINING_FLAGS,
  DAEMON_MALLOC_ARENA_MAX,
  DAEMON_MAX_SEMI_SPACE_MB,
  memoryCapsRelaunchEnv,
  youngGenerationRelaunchArgs,
} from '../../src/cli/memory-caps.js';

const ARGV = ['/usr/bin/node', '/app/collector/dist/main.js', '--udp-port', '0'];

describe('youngGenerationRelaunchArgs', () => {
  it('adds the semi-space cap and the inlining budgets before the script, keeping the node flags and the daemon flags', () => {
    expect(youngGenerationRelaunchArgs(['--enable-source-maps'], ARGV, {})).toEqual([
      '/usr/bin/node',
      `--max-semi-space-size=${DAEMON_MAX_SEMI_SPACE_MB}`,
      ...DAEMON_INLINING_FLAGS,
      '--enable-source-maps',
      '/app/collector/dist/main.js',
      '--udp-port',
      '0',
    ]);
  });

  it.each([
    ['a node flag', ['--max-semi-space-size=64'], {}],
    ['a node flag with underscores', ['--max_semi_space_size=64'], {}],
    ['NODE_OPTIONS', [], { NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=8' }],
    ['NODE_OPTIONS with a separate value', [], { NODE_OPTIONS: '--max-semi-space-size 8' }],
  ])('leaves a size the user set through %s alone', (_, execArgv, env) => {
    expect(youngGenerationRelaunchArgs(execArgv, ARGV, env)).toBeUndefined();
  });

  it('keeps an inlining budget the user gave, in either spelling', () => {
    expect(youngGenerationRelaunchArgs(['--max_inlined_bytecode_size=500'], ARGV, {})).toEqual([
      '/usr/bin/node',
      `--max-semi-space-size=${DAEMON_MAX_SEMI_SPACE_MB}`,
      '--max-inlined-bytecode-size-cumulative=3000',
      '--max_inlined_bytecode_size=500',
      '/app/collector/dist/main.js',
      '--udp-port',
      '0',
    ]);
  });

  it('does not re-execute a process that was already re-executed', () => {
    expect(youngGenerationRelaunchArgs([], ARGV, { PHOSPHOR_DAEMON_YOUNG_GENERATION_CAPPED: '1' })).toBeUndefined();
  });

  it('clears the re-executed mark once read, so processes it starts apply the caps themselves', () => {
    process.env.PHOSPHOR_DAEMON_YOUNG_GENERATION_CAPPED = '1';
    try {
      applyMemoryCaps();
      expect(process.env.PHOSPHOR_DAEMON_YOUNG_GENERATION_CAPPED).toBeUndefined();
    } finally {
      delete process.env.PHOSPHOR_DAEMON_YOUNG_GENERATION_CAPPED;
    }
  });

  it('does not mistake a similar flag for the cap', () => {
    expect(
      youngGenerationRelaunchArgs(['--max-semi-space-sizes=1'], ARGV, { NODE_OPTIONS: '--semi-space-size=2' }),
    ).toBeDefined();
  });
});

describe('memoryCapsRelaunchEnv', () => {
  it('limits the malloc arenas and marks the process as re-executed, keeping the rest of the environment', () => {
    expect(memoryCapsRelaunchEnv({ PATH: '/bin', NODE_ENV: 'production' })).toEqual({
      PATH: '/bin',
      NODE_ENV: 'production',
      MALLOC_ARENA_MAX: String(DAEMON_MALLOC_ARENA_MAX),
      PHOSPHOR_DAEMON_YOUNG_GENERATION_CAPPED: '1',
    });
  });

  it('keeps an arena limit the user set', () => {
    expect(memoryCapsRelaunchEnv({ MALLOC_ARENA_MAX: '8' }).MALLOC_ARENA_MAX).toBe('8');
  });
});
