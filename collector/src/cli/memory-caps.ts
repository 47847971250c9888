/**
 * The daemon's memory caps, applied by re-executing itself once at start.
 *
 * The young generation. Under sustained ingest V8 grows the main thread's young generation
 * (semi-spaces) to its 128 MB default over minutes, which is most of the collector's RSS growth; V8 reads
 * that size only at start-up (`v8.setFlagsFromString` after start has no effect on it), so the daemon
 * re-executes itself once, in the same process (`process.execve`: same pid, same stdio, no parent left
 * behind), with `--max-semi-space-size`. Shard workers get the same cap through their resource limits.
 * A `--max-semi-space-size` the user gave (argv or NODE_OPTIONS) wins and nothing is re-executed.
 *
 * glibc's malloc arenas. glibc gives threads that contend for malloc arenas of their own (up to 8 per
 * core); the daemon's threads (V8's platform workers, libuv's pool, shard workers) each keep some memory
 * resident in theirs. `MALLOC_ARENA_MAX=2` in the re-executed process (glibc reads it at start; a value
 * the user set is kept) took the one-shard daemon at 100k events/s from 248–260 MB to 237–253 MB in
 * alternating runs (docs/benchmarks.md); the daemon's hot allocations are V8's, not malloc's, so the
 * fewer arenas cost no measurable CPU there.
 *
 * V8's inlining budgets. The same re-execution raises them ({@link DAEMON_INLINING_FLAGS}): the engine's
 * decode-and-join loop is a few large functions calling small ones, and with V8's default budgets the
 * optimiser stops inlining part-way through it. The raised budgets took the engine from 0.82–0.89 to
 * 0.75–0.85 µs of CPU per event in alternating runs of the ingest loop (docs/benchmarks.md, "The collector
 * reads its socket in polls"). A budget the user gave on the command line is kept.
 */

/**
 * Semi-space size in MB: a 24 MB young generation. A datagram the main thread receives as a `'message'`
 * event (the first of a burst, or every one where the socket cannot be polled) is a Buffer of its own whose
 * memory is freed only when a scavenge collects it, so a larger young generation keeps more received
 * datagrams' memory resident (external memory): with the engine allocating little per span, 16 MB
 * semi-spaces held 10 MB more of it than 8 MB (docs/benchmarks.md). Shard workers, which read datagrams
 * from shared rings, keep a 48 MB young generation.
 */
export const DAEMON_MAX_SEMI_SPACE_MB = 8;

/** V8 flags the re-executed process gets, each unless the user gave it (see the module comment). */
export const DAEMON_INLINING_FLAGS: readonly string[] = [
  '--max-inlined-bytecode-size=1000',
  '--max-inlined-bytecode-size-cumulative=3000',
];

/** A flag's name, with V8's `_`/`-` spellings made one. */
const flagName = (arg: string): string => (arg.split('=')[0] as string).replaceAll('_', '-');

/** Arenas the re-executed process may use unless the user set MALLOC_ARENA_MAX. */
export const DAEMON_MALLOC_ARENA_MAX = 2;

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
  const given = new Set(execArgv.map(flagName));
  const inlining = DAEMON_INLINING_FLAGS.filter((flag) => !given.has(flagName(flag)));
  return [
    binary ?? process.execPath,
    `--max-semi-space-size=${DAEMON_MAX_SEMI_SPACE_MB}`,
    ...inlining,
    ...execArgv,
    ...rest,
  ];
}

/** The environment of the re-executed process: the caller's, marked as re-executed, with the arena cap. */
export function memoryCapsRelaunchEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { MALLOC_ARENA_MAX: String(DAEMON_MALLOC_ARENA_MAX), ...env, [RELAUNCHED_ENV]: '1' };
}

/** Re-executes the process with the caps when they are missing and the platform can (POSIX, Node ≥ 22.15). */
export function applyMemoryCaps(): void {
  if (typeof process.execve !== 'function') return;
  const args = youngGenerationRelaunchArgs(process.execArgv, process.argv, process.env);
  if (args === undefined) {
    // The mark is for this process only: a collector it starts (a benchmark's daemon, a test's)
    // must apply the caps to itself, not inherit "already applied" without the flag.
    delete process.env[RELAUNCHED_ENV];
    return;
  }
  process.execve(process.execPath, args, memoryCapsRelaunchEnv(process.env));
}
