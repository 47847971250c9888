import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * The one Ajv setup every Phosphor daemon validates its configuration with: defaults written into the
 * object (a missing key means its documented default), every error reported, strict schemas (a typo in a
 * schema keyword fails at start-up instead of silently accepting anything), union types allowed for
 * nullable settings (`type: ['string', 'null']`).
 */
export const configAjv = new Ajv({ useDefaults: true, allErrors: true, strict: true, allowUnionTypes: true });

/** Compiles a config schema once with {@link configAjv}. */
export function compileConfigSchema<T = unknown>(schema: object): ValidateFunction<T> {
  return configAjv.compile<T>(schema);
}

/** The dotted key an Ajv error is about: `a.b`, with an unknown key appended (`a.b.typo`); `(root)` at the top. */
export function configErrorKey(error: ErrorObject): string {
  const base = error.instancePath.split('/').slice(1).join('.');
  if (error.keyword === 'additionalProperties') {
    return [base, (error.params as { additionalProperty: string }).additionalProperty].filter(Boolean).join('.');
  }
  return base || '(root)';
}

/**
 * Ajv errors as one message naming each bad key ("a.b must be …", "a.typo: unknown key"), with the
 * allowed values of an enum, the same in every daemon.
 */
export function describeConfigErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? []).map(describeConfigError).join('; ');
}

/** One Ajv error as "key: problem". */
export function describeConfigError(error: ErrorObject): string {
  const key = configErrorKey(error);
  if (error.keyword === 'additionalProperties') return `${key}: unknown key`;
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'enum') {
    message += ` (${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')})`;
  }
  return `${key}: ${message}`;
}

/**
 * A defaulted copy of `raw` (undefined or null is `{}`) that `validate` accepts; otherwise throws what
 * `fail` makes of "`source`: <every bad key>". The input is never modified.
 */
export function validatedCopy<T>(
  validate: ValidateFunction,
  raw: unknown,
  source: string,
  fail: (message: string) => Error,
): T {
  const copy = raw === undefined || raw === null ? {} : structuredClone(raw);
  if (!validate(copy)) throw fail(`${source}: ${describeConfigErrors(validate.errors)}`);
  return copy as T;
}
