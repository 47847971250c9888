import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Fastify, { type FastifyError } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  compileConfigSchema,
  describeConfigErrors,
  errorBody,
  formatDuration,
  formatValidationError,
  readConfigFile,
  readYamlFile,
  ServiceError,
  SHOWN_PATH_MAX_CHARS,
  shownPath,
  startFailureLine,
  summarize,
  validatedCopy,
  YamlFileError,
} from '../src/index.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    http: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        port: { type: 'integer', minimum: 0, maximum: 65_535, default: 8080 },
        level: { enum: ['info', 'debug'], default: 'info' },
      },
    },
  },
} as const;

function yaml(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'service-kit-')), 'config.yml');
  writeFileSync(file, text);
  return file;
}

describe('config loading', () => {
  const validate = compileConfigSchema(schema);

  it('fills defaults and names every bad key, unknown keys included', () => {
    const filled: Record<string, unknown> = {};
    expect(validate(filled)).toBe(true);
    expect(filled).toEqual({ http: { port: 8080, level: 'info' } });
    const bad = { http: { port: 70_000, level: 'loud', prot: 1 } };
    expect(validate(bad)).toBe(false);
    const message = describeConfigErrors(validate.errors);
    expect(message).toContain('http.prot: unknown key');
    expect(message).toContain('http.port: must be <= 65535');
    expect(message).toContain('http.level: must be equal to one of the allowed values ("info", "debug")');
  });

  it('refuses a schema with a misspelt keyword (strict mode)', () => {
    expect(() => compileConfigSchema({ type: 'object', propertiez: {} })).toThrow(/strict mode/);
  });

  it('reads YAML mappings and names the file and line of a problem', () => {
    expect(readYamlFile(yaml('http:\n  port: 1\n'))).toEqual({ http: { port: 1 } });
    expect(readYamlFile(yaml(''))).toEqual({});
    const problems = ['http: [\n', '- 1\n', null].map((text) => {
      try {
        readYamlFile(text === null ? '/nonexistent/config.yml' : yaml(text));
      } catch (err) {
        return err as YamlFileError;
      }
      return undefined;
    });
    expect(problems.map((p) => p?.problem)).toEqual(['parse', 'not-a-mapping', 'read']);
    expect(problems[0]?.message).toMatch(/config\.yml \(line \d+\): not valid YAML/);
    expect(problems[2]?.message).toContain('/nonexistent/config.yml');
  });

  it("validates a copy (the input untouched) and throws the daemon's own error naming the source", () => {
    const raw = { http: { port: 1 } };
    const fail = (message: string) => new RangeError(message);
    expect(validatedCopy(validate, raw, 'x.yml', fail)).toEqual({ http: { port: 1, level: 'info' } });
    expect(raw).toEqual({ http: { port: 1 } });
    expect(validatedCopy(validate, null, 'x.yml', fail)).toEqual({ http: { port: 8080, level: 'info' } });
    expect(() => validatedCopy(validate, { http: { port: -1 } }, 'x.yml', fail)).toThrow(
      new RangeError('x.yml: http.port: must be >= 0'),
    );
  });

  it("reads a config file, turning a file problem into the daemon's own error with the cause", () => {
    const fail = (message: string, cause: YamlFileError) => new RangeError(message, { cause });
    expect(readConfigFile(yaml('http:\n  port: 2\n'), fail)).toEqual({ http: { port: 2 } });
    let thrown: unknown;
    try {
      readConfigFile('/nonexistent/config.yml', fail);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RangeError);
    expect((thrown as Error).message).toContain('/nonexistent/config.yml: cannot read');
    expect((thrown as Error).cause).toBeInstanceOf(YamlFileError);
  });
});

describe('errors', () => {
  it('ServiceError carries code, status, detail and field, and renders the one body shape', () => {
    class DemoError extends ServiceError<'X_ERR_INPUT_INVALID'> {}
    const err = new DemoError('X_ERR_INPUT_INVALID', 400, 'limit: must be <= 10', { field: 'limit' });
    expect(err.message).toBe('X_ERR_INPUT_INVALID: limit: must be <= 10');
    expect(err.name).toBe('DemoError');
    expect(err.httpStatus).toBe(400);
    expect(err.toBody()).toEqual({ code: 'X_ERR_INPUT_INVALID', message: 'limit: must be <= 10', param: 'limit' });
    expect(errorBody('X', 'y')).toEqual({ code: 'X', message: 'y' });
  });

  it('formats fastify validation failures naming the parameter', async () => {
    const app = Fastify();
    app.setErrorHandler((error: FastifyError, _request, reply) => reply.code(400).send(formatValidationError(error)));
    app.get(
      '/x',
      {
        schema: {
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { limit: { type: 'integer', maximum: 10 }, order: { enum: ['asc', 'desc'] } },
          },
        },
      },
      async () => ({}),
    );
    expect((await app.inject('/x?limit=11')).json()).toEqual({
      param: 'limit',
      message: 'querystring.limit: must be <= 10',
    });
    expect((await app.inject('/x?order=up')).json().message).toBe(
      'querystring.order: must be equal to one of the allowed values (asc, desc)',
    );
    await app.close();
  });
});

describe('Flaki health', () => {
  it('prints durations as Go does and summarizes component status', () => {
    expect(formatDuration(0.906881)).toBe('906.881µs');
    expect(formatDuration(12.5)).toBe('12.5ms');
    expect(formatDuration(1200)).toBe('1.2s');
    expect(summarize([{ name: 'a', duration: '1ms', status: 'OK' }])).toBe('OK');
    expect(
      summarize([
        { name: 'a', duration: '1ms', status: 'Degraded' },
        { name: 'b', duration: '1ms', status: 'KO' },
      ]),
    ).toBe('KO');
    expect(summarize([{ name: 'a', duration: '0s', status: 'Deactivated' }])).toBe('Deactivated');
  });
});

describe('unknown routes', () => {
  it('shows a path up to its limit, clipped and marked beyond it', () => {
    expect(shownPath('/api/nope')).toBe('/api/nope');
    const long = `/${'a'.repeat(1000)}`;
    expect(shownPath(long)).toBe(`${long.slice(0, SHOWN_PATH_MAX_CHARS)}…`);
  });
});

describe('start-failure line', () => {
  it('names the program and the reason, and points a bad flag at --help', () => {
    let flagError: unknown;
    try {
      parseArgs({ args: ['--bogus'], options: {} });
    } catch (error) {
      flagError = error;
    }
    expect(startFailureLine('demo', flagError)).toBe("demo failed to start: Unknown option '--bogus' (see --help)\n");
    expect(startFailureLine('id-generator', new Error('port in use'))).toBe(
      'id-generator failed to start: port in use\n',
    );
    expect(startFailureLine('demo', 'plain')).toBe('demo failed to start: plain\n');
  });
});
