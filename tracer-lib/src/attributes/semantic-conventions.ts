/**
 * The OpenTelemetry semantic-convention attributes the instrumentation puts on every hop
 * (https://opentelemetry.io/docs/specs/semconv/http/http-spans/ and …/rpc/grpc/). They travel as
 * event tags, so the collector, its OTLP exporter and Kibana see the names OpenTelemetry users know.
 */

/** HTTP request method, upper case (`GET`). Request side, HTTP. */
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
/** The matched route pattern (`/price/:sku`). Server side, HTTP. */
export const ATTR_HTTP_ROUTE = 'http.route';
/** The response status code (`200`). Response side, HTTP. */
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
/** `http` or `https`. Request side, HTTP. */
export const ATTR_URL_SCHEME = 'url.scheme';
/** Host name of the server (the URL's host on a client, the Host header on a server). */
export const ATTR_SERVER_ADDRESS = 'server.address';
/** Port of the server, as above. */
export const ATTR_SERVER_PORT = 'server.port';
/** `grpc`. Request side, gRPC. */
export const ATTR_RPC_SYSTEM = 'rpc.system';
/** Full service name (`flaki.Flaki`). Request side, gRPC. */
export const ATTR_RPC_SERVICE = 'rpc.service';
/** Method name (`NextID`). Request side, gRPC. */
export const ATTR_RPC_METHOD = 'rpc.method';
/** Numeric gRPC status code (`0` = OK). Response side, gRPC. */
export const ATTR_RPC_GRPC_STATUS_CODE = 'rpc.grpc.status_code';
/** Why the hop failed: the status code for HTTP, the status name for gRPC, the error code or class when thrown. */
export const ATTR_ERROR_TYPE = 'error.type';

/** Every default attribute, in the order the docs list them. */
export const DEFAULT_ATTRIBUTES: readonly string[] = [
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_ROUTE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_URL_SCHEME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_RPC_SYSTEM,
  ATTR_RPC_SERVICE,
  ATTR_RPC_METHOD,
  ATTR_RPC_GRPC_STATUS_CODE,
  ATTR_ERROR_TYPE,
];
