import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';

/** Why a YAML config file could not be turned into a mapping. */
export type YamlFileProblem = 'read' | 'parse' | 'not-a-mapping';

/** A config file that cannot be read or parsed; each daemon maps `problem` to its own error code. */
export class YamlFileError extends Error {
  readonly problem: YamlFileProblem;
  /** The file, with the line of a syntax error (`config.yml (line 3)`). */
  readonly file: string;

  constructor(problem: YamlFileProblem, file: string, detail: string, options?: { cause?: unknown }) {
    super(`${file}: ${detail}`, options);
    this.name = 'YamlFileError';
    this.problem = problem;
    this.file = file;
  }
}

/**
 * Reads a YAML config file as a mapping of sections (an empty file is `{}`). Throws {@link YamlFileError}
 * naming the file, and the line of a syntax error.
 */
export function readYamlFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new YamlFileError('read', file, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` (line ${err.linePos[0].line})` : '';
    throw new YamlFileError('parse', `${file}${where}`, `not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new YamlFileError('not-a-mapping', file, 'the top level must be a mapping of sections');
  }
  return parsed as Record<string, unknown>;
}

/** {@link readYamlFile}, its {@link YamlFileError} turned into the daemon's own error by `fail`. */
export function readConfigFile(
  file: string,
  fail: (message: string, cause: YamlFileError) => Error,
): Record<string, unknown> {
  try {
    return readYamlFile(file);
  } catch (error) {
    if (!(error instanceof YamlFileError)) throw error;
    throw fail(error.message, error);
  }
}
