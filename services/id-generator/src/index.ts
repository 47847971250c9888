/**
 * @phosphor/id-generator — the ID service (Flaki layout) and what other services need from it.
 */
export { buildIdService, type IdService, type IdServiceAddresses, type IdServiceDependencies } from './app.js';
export {
  describeConfigErrors,
  type IdServiceConfig,
  loadIdServiceConfig,
  resolveIdServiceConfig,
} from './config/id-service-config.js';
export { CORRELATION_HEADER, CORRELATION_METADATA_KEY } from './correlation.js';
export { ERROR_CODES, type IdErrorCode, IdServiceError, isIdServiceError } from './errors.js';
export {
  createIdGeneratorClient,
  type IdCallOptions,
  type IdCallResult,
  type IdGeneratorClient,
  type IdGeneratorClientOptions,
} from './grpc/grpc-client.js';
export { PROTO_PATH, SERVICE_NAME } from './grpc/proto.js';
export { type Clock, ManualClock, OffsetClock, systemClock } from './ids/clock.js';
export { DEFAULT_EPOCH_MILLIS, type DecodedId, decodeId, parseId } from './ids/flaki-layout.js';
export { IdGenerator } from './ids/id-generator.js';
export { GeneratorIdSource } from './tracing/generator-id-source.js';
export {
  createRemoteIdSource,
  grpcIdBatchFetcher,
  httpIdBatchFetcher,
  type RemoteIdSourceOptions,
} from './tracing/id-batch-fetcher.js';
