/**
 * Runs a project daemon (collector, ID service, demo) as a child process from its compiled dist/ with plain
 * `node`, as it is deployed, so a scenario can SIGKILL it or check its exit code and stderr. The system
 * project's global setup builds dist/ first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: daemons run from here so relative paths resolve as in `npm start`. */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** A running (or finished) child process with its output collected. */
export interface Daemon {
  readonly child: ChildProcess;
  /** Everything written to stdout/stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process ended. */
  readonly exited: Promise<number | string>;
}

/** Starts `node <script> ...args` (a compiled dist/ entry) from the repository root. */
export function runDaemon(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Daemon {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/**
 * Runs a daemon that is expected to refuse to start, and returns its exit code and output. Kills it
 * (and fails) if it is still running after `timeoutMillis` — a bad config must never leave it running.
 */
export async function runToExit(
  script: string,
  args: readonly string[],
  timeoutMillis = 30_000,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const daemon = runDaemon(script, args, env);
  const timer = setTimeout(() => daemon.child.kill('SIGKILL'), timeoutMillis);
  const code = await daemon.exited;
  clearTimeout(timer);
  return { code, stdout: daemon.stdout(), stderr: daemon.stderr() };
}
