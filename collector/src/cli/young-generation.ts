/**
 * The daemon's young-generation cap. Under sustained ingest V8 grows the main thread's young generation
 * (semi-spaces) to its 128 MB default over minutes, which is most of the collector's RSS growth; V8 reads
 * that size only at start-up (`v8.setFlagsFromString` after start has no effect on it), so the daemon
 * re-executes itself once, in the same process (`process.execve`: same pid, same stdio, no parent left
 * behind), with `--max-semi-space-size`. Shard workers get the same cap through their resource limits.
 * A `--max-semi-space-size` the user gave (argv or NODE_OPTIONS) wins and nothing is re-executed.
 */

/** Semi-space size in MB: a 48 MB young generation, the same as each shard worker's. */
export const DAEMON_MAX_SEMI_SPACE_MB = 16;

/** Set in the re-executed process so that a runtime which drops the flag cannot loop (outside the
 * PHOSPHOR_COLLECTOR_ prefix, whose every variable the config validates). */
const RELAUNCHED_ENV = 'PHOSPHOR_DAEMON_YOUNG_GENERATION_CAPPED';

const SEMI_SPACE_FLAG = /(^|\s)--max[-_]semi[-_]space[-_]size(=|\s|$)/;

/**
 * The argv to re-execute with, or undefined when the young generation is already set (by the user or a
 * previous re-execution). `argv` is the full process.argv (node binary, script, flags).
 */
export function youngGenerationRelaunchArgs(
  execArgv: readonly string[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): string[] | undefined {
  if (env[RELAUNCHED_ENV] === '1') return undefined;
  if (execArgv.some((arg) => SEMI_SPACE_FLAG.test(arg))) return undefined;
  if (SEMI_SPACE_FLAG.test(env.NODE_OPTIONS ?? '')) return undefined;
  const [binary, ...rest] = argv;
  return [binary ?? process.execPath, `--max-semi-space-size=${DAEMON_MAX_SEMI_SPACE_MB}`, ...execArgv, ...rest];
}

/** Re-executes the process with the cap when it is missing and the platform can (POSIX, Node ≥ 22.15). */
export function capYoungGeneration(): void {
  if (typeof process.execve !== 'function') return;
  const args = youngGenerationRelaunchArgs(process.execArgv, process.argv, process.env);
  if (args === undefined) return;
  process.execve(process.execPath, args, { ...process.env, [RELAUNCHED_ENV]: '1' });
}
