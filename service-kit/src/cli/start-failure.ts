/**
 * The one line a daemon prints when it cannot start: its name, the reason, and — for a bad flag
 * (node:util parseArgs' ERR_PARSE_ARGS_* errors) — a pointer at `--help`, which lists the flags.
 */
export function startFailureLine(program: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const hint = typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS') ? ' (see --help)' : '';
  return `${program} failed to start: ${message}${hint}\n`;
}
