/**
 * Service plumbing shared by Phosphor's daemons (collector, ID service, demo), written once: the YAML +
 * JSON-schema config loader with its one Ajv setup, the error-class template and the one HTTP error body,
 * the fastify validation-error formatter, the Flaki health helpers and the start-failure line. Internal to
 * Phosphor: no stable API.
 */

export { startFailureLine } from './cli/start-failure.js';
export { readConfigFile, readYamlFile, YamlFileError, type YamlFileProblem } from './config/read-yaml-file.js';
export {
  compileConfigSchema,
  configAjv,
  configErrorKey,
  describeConfigError,
  describeConfigErrors,
  validatedCopy,
} from './config/schema-validator.js';
export { type ErrorBody, type ErrorCodeDefinition, errorBody, ServiceError } from './errors/service-error.js';
export * from './health/flaki-health.js';
export { MAX_ROUTE_PARAM_LENGTH, SHOWN_PATH_MAX_CHARS, shownPath } from './http/unknown-route.js';
export { formatValidationError, type ValidationProblem } from './http/validation-error.js';
