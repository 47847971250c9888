/**
 * Loads the service's .proto once (proto-loader) for both the server and the client.
 */
import { fileURLToPath } from 'node:url';
import { type GrpcObject, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** Absolute path of `proto/id_generator.proto`. */
export const PROTO_PATH = fileURLToPath(new URL('../../proto/id_generator.proto', import.meta.url));

/** Fully qualified service name; method paths are `/<name>/<Method>`. */
export const SERVICE_NAME = 'phosphor.idgen.v1.IdGenerator';

const definition = loadSync(PROTO_PATH, {
  keepCase: false,
  // timestamp_millis < 2^53 so a number is exact; ids are `string` in the proto and never pass through here.
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});

const root = loadPackageDefinition(definition) as unknown as {
  phosphor: { idgen: { v1: GrpcObject & { IdGenerator: ServiceClientConstructor } } };
};

/** The generated client constructor (its `.service` is the server-side definition). */
export const IdGeneratorService = root.phosphor.idgen.v1.IdGenerator;

/** Message shapes (proto-loader camelCase). */
export interface NextIdsRequestMessage {
  count: number;
  valid: boolean;
}
export interface DecodeRequestMessage {
  id: string;
}
export interface IdReplyMessage {
  id: string;
}
export interface IdsReplyMessage {
  ids: string[];
}
export interface DecodedIdMessage {
  id: string;
  timestamp: string;
  timestampMillis: number;
  nodeId: number;
  componentId: number;
  sequence: number;
}
