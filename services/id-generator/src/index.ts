/**
 * @phosphor/id-generator — the ID service (Flaki layout) and what other services need from it.
 */
export { buildIdService, type IdService, type IdServiceAddresses, type IdServiceDependencies } from './app.js';
export { type IdServiceConfig, loadIdServiceConfig, resolveIdServiceConfig } from './config/id-service-config.js';
export { ERROR_CODES, IdServiceError, type IdErrorCode, isIdServiceError } from './errors.js';
export { CORRELATION_HEADER, CORRELATION_METADATA_KEY } from './correlation.js';
export {
  createIdGeneratorClient,
  type IdGeneratorClient,
  type IdGeneratorClientOptions,
  type IdCallOptions,
  type IdCallResult,
} from './grpc/grpc-client.js';
export { PROTO_PATH, SERVICE_NAME } from './grpc/proto.js';
export {
  createRemoteIdSource,
  grpcIdBatchFetcher,
  httpIdBatchFetcher,
  type RemoteIdSourceOptions,
} from './tracing/id-batch-fetcher.js';
export { GeneratorIdSource } from './tracing/generator-id-source.js';
export { type Clock, ManualClock, OffsetClock, systemClock } from './ids/clock.js';
export { type DecodedId, DEFAULT_EPOCH_MILLIS, decodeId, parseId } from './ids/flaki-layout.js';
export { IdGenerator } from './ids/id-generator.js';
